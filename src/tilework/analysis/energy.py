"""Loudness of a source's audio over time: RMS in dBFS per short frame, cached.

Highlight selection uses it twice: to prefer lively speech, and to find where speech really
starts and stops (Whisper's word times drift by a few tenths of a second, the audio does not).
ffmpeg decodes the audio to 16 kHz mono 16-bit PCM in a scratch file and numpy computes the RMS
of each ``HOP_S`` frame; the answer is a short list (10 numbers a second), cached by content hash.
"""

from __future__ import annotations

import math
import tempfile
from pathlib import Path

import numpy as np
from pydantic import BaseModel

from tilework.analysis.cache import AnalysisCache
from tilework.config import Settings
from tilework.media.runner import FFmpegRunner
from tilework.workers.port import JobContext

CACHE_KIND = "loudness"
CACHE_VERSION = "1"
SAMPLE_RATE = 16_000
HOP_S = 0.1
FLOOR_DB = -100.0  # digital silence


class Loudness(BaseModel):
    """RMS level of frame ``i`` (source seconds ``[i * hop_s, (i + 1) * hop_s)``) in dBFS."""

    hop_s: float
    db: list[float]

    def at(self, seconds: float) -> float:
        """The level of the frame holding ``seconds`` (silence outside the audio)."""
        index = math.floor(seconds / self.hop_s)
        return self.db[index] if 0 <= index < len(self.db) else FLOOR_DB


def rms_db(
    samples: np.ndarray, sample_rate: int = SAMPLE_RATE, hop_s: float = HOP_S
) -> list[float]:
    """Per-frame RMS of int16 ``samples`` in dBFS (a last partial frame counts as a frame)."""
    hop = max(1, round(sample_rate * hop_s))
    if samples.size == 0:
        return []
    frames = math.ceil(samples.size / hop)
    padded = np.zeros(frames * hop, dtype=np.float64)
    padded[: samples.size] = samples.astype(np.float64) / 32768.0
    counts = np.full(frames, hop, dtype=np.float64)
    counts[-1] = samples.size - (frames - 1) * hop
    power = (padded.reshape(frames, hop) ** 2).sum(axis=1) / counts
    levels = 10.0 * np.log10(np.maximum(power, 10 ** (FLOOR_DB / 10)))
    return [round(float(level), 1) for level in levels]


def loudness(settings: Settings, path: Path, *, job: JobContext | None = None) -> Loudness:
    """The loudness curve of ``path``'s first audio stream (cached by content hash)."""
    cache = AnalysisCache(settings.analysis_cache_dir)
    version = f"{CACHE_VERSION}-{SAMPLE_RATE}-{HOP_S:g}"
    raw = cache.get_or_compute(
        path, CACHE_KIND, version, lambda: _measure(settings, path, job).model_dump()
    )
    return Loudness.model_validate(raw)


def _measure(settings: Settings, path: Path, job: JobContext | None) -> Loudness:
    settings.work_dir.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=settings.work_dir, prefix="loudness-") as tmp:
        pcm = Path(tmp) / "audio.s16le"
        args = ["-i", str(Path(path).absolute()), "-vn", "-sn", "-dn", "-map", "0:a:0"]
        args += ["-ac", "1", "-ar", str(SAMPLE_RATE), "-f", "s16le", "-c:a", "pcm_s16le"]
        FFmpegRunner(settings).run([*args, str(pcm)], job=job)
        samples = np.fromfile(pcm, dtype="<i2")
    return Loudness(hop_s=HOP_S, db=rms_db(samples))
