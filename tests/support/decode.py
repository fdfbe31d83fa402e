"""Read rendered media back as numbers with ffmpeg, independently of the code under test."""

from __future__ import annotations

import subprocess
from pathlib import Path

import numpy as np
import numpy.typing as npt


def _size(path: Path) -> tuple[int, int]:
    probe = subprocess.run(
        ["ffprobe", "-v", "error", "-select_streams", "v:0", "-show_entries",
         "stream=width,height", "-of", "csv=p=0", str(path)],
        capture_output=True, text=True, check=True,
    ).stdout  # fmt: skip
    width, height = (int(v) for v in probe.strip().split(",")[:2])
    return width, height


def frame_rgb(path: Path, at_s: float) -> npt.NDArray[np.uint8]:
    """The picture at ``at_s`` as an (height, width, 3) RGB array."""
    width, height = _size(path)
    raw = subprocess.run(
        ["ffmpeg", "-v", "error", "-ss", f"{at_s:.3f}", "-i", str(path), "-frames:v", "1",
         "-f", "rawvideo", "-pix_fmt", "rgb24", "-"],
        capture_output=True, check=True,
    ).stdout  # fmt: skip
    return np.frombuffer(raw, dtype=np.uint8).reshape(height, width, 3)


def all_frames_rgb(path: Path) -> npt.NDArray[np.uint8]:
    """Every picture of a (small) video as an (frames, height, width, 3) RGB array."""
    width, height = _size(path)
    raw = subprocess.run(
        ["ffmpeg", "-v", "error", "-i", str(path), "-f", "rawvideo", "-pix_fmt", "rgb24", "-"],
        capture_output=True, check=True,
    ).stdout  # fmt: skip
    return np.frombuffer(raw, dtype=np.uint8).reshape(-1, height, width, 3)


def audio_mono(path: Path, rate: int = 16000) -> npt.NDArray[np.float32]:
    """The whole audio track, downmixed to mono float samples at ``rate``."""
    raw = subprocess.run(
        ["ffmpeg", "-v", "error", "-i", str(path), "-vn", "-ac", "1", "-ar", str(rate),
         "-f", "f32le", "-"],
        capture_output=True, check=True,
    ).stdout  # fmt: skip
    return np.frombuffer(raw, dtype=np.float32)


def solid_png(out: Path, colour: str, width: int = 64, height: int = 64) -> Path:
    """A PNG of one colour (``red``, ``0x00ff00``...)."""
    subprocess.run(
        ["ffmpeg", "-v", "error", "-y", "-f", "lavfi", "-i",
         f"color=c={colour}:s={width}x{height}", "-frames:v", "1", str(out)],
        check=True,
    )  # fmt: skip
    return out


def solid_clip(out: Path, colour: str, seconds: float, width: int, height: int, fps: int) -> Path:
    """A clip of one colour with a 440 Hz tone (H.264/AAC)."""
    subprocess.run(
        ["ffmpeg", "-v", "error", "-y", "-f", "lavfi", "-i",
         f"color=c={colour}:s={width}x{height}:r={fps}:d={seconds}",
         "-f", "lavfi", "-i", f"sine=frequency=440:sample_rate=48000:duration={seconds}",
         "-c:v", "libx264", "-preset", "ultrafast", "-pix_fmt", "yuv420p", "-c:a", "aac",
         "-shortest", str(out)],
        check=True,
    )  # fmt: skip
    return out


def tone_wav(out: Path, frequency: int, seconds: float) -> Path:
    """A sine tone as a 48 kHz WAV (the stand-in for music)."""
    subprocess.run(
        ["ffmpeg", "-v", "error", "-y", "-f", "lavfi", "-i",
         f"sine=frequency={frequency}:sample_rate=48000:duration={seconds}", str(out)],
        check=True,
    )  # fmt: skip
    return out
