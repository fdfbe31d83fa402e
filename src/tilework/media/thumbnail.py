"""One JPEG thumbnail per video: one input seek, one decoded frame (cheap at any length)."""

from __future__ import annotations

from pathlib import Path

from tilework.errors import MediaError
from tilework.media.runner import FFmpegRunner

DEFAULT_AT_S = 1.0


def _args(video: Path, out: Path, at_s: float, width: int) -> list[str]:
    return [
        *("-ss", f"{max(0.0, at_s):.3f}", "-i", str(video.absolute())),
        *("-frames:v", "1", "-vf", f"scale='min({width},iw)':-2,format=yuvj420p"),
        *("-q:v", "3", "-f", "image2", "-update", "1", str(out.absolute())),
    ]


def extract_thumbnail(
    runner: FFmpegRunner, video: Path, out: Path, at_s: float | None = None, width: int = 640
) -> Path:
    """Write a JPEG of the frame at ``at_s`` (default: 1 s, or the middle of a shorter video)."""
    if at_s is None:
        duration = float((runner.probe_json(video).get("format") or {}).get("duration") or 0)
        at_s = min(DEFAULT_AT_S, duration / 2)
    out.unlink(missing_ok=True)
    runner.run(_args(video, out, at_s, width))
    if not out.exists() or out.stat().st_size == 0:  # seeked past the last frame
        runner.run(_args(video, out, 0.0, width))
    if not out.exists() or out.stat().st_size == 0:
        raise MediaError(f"{video.name}: no frame to make a thumbnail from")
    return out
