"""Where people speak in a source file: spans in source seconds, cached by content hash.

Two detectors, both offline:

- ``energy`` (default): ffmpeg ``silencedetect`` at ``noise_db``; speech is everything that is not
  a silence. Fast (a fraction of a second per minute) and exact on clean recordings; on a noisy
  or music-backed track, raise ``noise_db`` towards the noise floor or use ``vad``.
- ``vad``: the Silero VAD model shipped inside the faster-whisper wheel
  (``faster_whisper.vad.get_speech_timestamps``), which tells speech from noise and music.

Detection keeps every silence longer than ``DETECT_MIN_SILENCE_S``; which pauses are worth cutting
is decided later (``media/cuts.py``), so one cached answer serves every ``min_silence_ms``.
"""

from __future__ import annotations

import re
import tempfile
from pathlib import Path
from typing import Literal

from pydantic import BaseModel

from tilework.analysis.cache import AnalysisCache
from tilework.config import Settings
from tilework.errors import MediaError
from tilework.media.runner import FFmpegRunner
from tilework.workers.port import JobContext

CACHE_KIND = "speech"
CACHE_VERSION = "1"
DETECT_MIN_SILENCE_S = 0.1  # shorter dips (between syllables) are part of speech
VAD_RATE = 16000  # the Silero model's sample rate
Detector = Literal["energy", "vad"]
_METADATA = re.compile(r"^lavfi\.silence_(start|end)=(-?[\d.]+)")


class SpeechSpan(BaseModel):
    start: float  # seconds in the source file
    end: float


class SpeechAnalysis(BaseModel):
    """The speech of one source: ``spans`` are sorted, disjoint and non-empty."""

    detector: Detector
    noise_db: float | None = None  # the energy detector's threshold
    duration_s: float
    spans: list[SpeechSpan]


def detect_speech(
    settings: Settings,
    path: Path,
    *,
    duration_s: float,
    has_audio: bool,
    detector: Detector = "energy",
    noise_db: float = -35.0,
    job: JobContext | None = None,
) -> SpeechAnalysis:
    """Speech spans of ``path`` (cached); no spans when the file has no audio."""
    threshold = noise_db if detector == "energy" else None
    if not has_audio:
        return SpeechAnalysis(
            detector=detector, noise_db=threshold, duration_s=duration_s, spans=[]
        )

    def compute() -> object:
        if detector == "vad":
            spans = _vad_spans(path)
        else:
            silences = _silences(FFmpegRunner(settings), path, noise_db, job)
            spans = speech_between(silences, duration_s)
        analysis = SpeechAnalysis(
            detector=detector, noise_db=threshold, duration_s=duration_s, spans=spans
        )
        return analysis.model_dump(mode="json")

    version = f"{CACHE_VERSION}-{detector}" + (f"-{noise_db:g}dB" if threshold is not None else "")
    raw = AnalysisCache(settings.analysis_cache_dir).get_or_compute(
        path, CACHE_KIND, version, compute
    )
    return SpeechAnalysis.model_validate(raw)


def speech_between(silences: list[tuple[float, float]], duration_s: float) -> list[SpeechSpan]:
    """The complement of ``silences`` (sorted, may be open-ended at the end) in [0, duration]."""
    spans = []
    position = 0.0
    for start, end in sorted(silences):
        start, end = max(0.0, start), min(duration_s, end)
        if start > position:
            spans.append(SpeechSpan(start=round(position, 4), end=round(start, 4)))
        position = max(position, end)
    if duration_s > position:
        spans.append(SpeechSpan(start=round(position, 4), end=round(duration_s, 4)))
    return spans


def parse_silences(lines: list[str], duration_s: float) -> list[tuple[float, float]]:
    """``silencedetect`` frame metadata (``lavfi.silence_start=1.2`` …) as (start, end) pairs.

    A silence still open at the end of the file has no ``silence_end``: it lasts to the end.
    """
    silences = []
    opened: float | None = None
    for line in lines:
        match = _METADATA.match(line.strip())
        if match is None:
            continue
        kind, value = match.group(1), float(match.group(2))
        if kind == "start":
            opened = value
        elif opened is not None:
            silences.append((opened, value))
            opened = None
    if opened is not None:
        silences.append((opened, duration_s))
    return silences


def _filter_path(path: Path) -> str:
    """``path`` escaped for a filter option inside a filter graph (two levels of escaping)."""
    option = re.sub(r"([\\':])", r"\\\1", str(path))
    return re.sub(r"([\\'\[\],;])", r"\\\1", option)


def _silences(
    runner: FFmpegRunner, path: Path, noise_db: float, job: JobContext | None
) -> list[tuple[float, float]]:
    # The silences go to a file rather than stderr: the runner keeps only the end of stderr, and
    # a long recording has thousands of pauses.
    with tempfile.TemporaryDirectory(prefix="tilework-speech-") as tmp:
        report = Path(tmp) / "silences.txt"
        chain = (
            f"silencedetect=noise={noise_db:g}dB:d={DETECT_MIN_SILENCE_S},"
            f"ametadata=mode=print:file={_filter_path(report)}"
        )
        args = ["-i", str(Path(path).absolute()), "-map", "0:a:0", "-af", chain, "-f", "null", "-"]
        runner.run(args, job=job)
        lines = report.read_text(encoding="utf-8").splitlines() if report.exists() else []
    return parse_silences(lines, float("inf"))


def _vad_spans(path: Path) -> list[SpeechSpan]:
    from faster_whisper.audio import decode_audio  # heavy imports, only when asked for
    from faster_whisper.vad import VadOptions, get_speech_timestamps

    try:
        audio = decode_audio(str(path), sampling_rate=VAD_RATE)
        options = VadOptions(
            min_silence_duration_ms=round(DETECT_MIN_SILENCE_S * 1000), speech_pad_ms=0
        )
        found = get_speech_timestamps(audio, options)
    except (RuntimeError, ValueError, OSError) as exc:
        raise MediaError(f"voice activity detection failed on {Path(path).name}: {exc}") from exc
    return [
        SpeechSpan(start=round(s["start"] / VAD_RATE, 4), end=round(s["end"] / VAD_RATE, 4))
        for s in found
        if s["end"] > s["start"]
    ]
