"""Generate small test/demo clips with ffmpeg (and espeak-ng for speech), nothing downloaded.

Used by the demo and by the tests: a ``testsrc2`` picture (a moving pattern with a frame
counter) with a 440 Hz tone, a spoken sentence, or no audio at all. GOPs are one second long so
seeks stay cheap, and ``+faststart`` puts the index first like most uploads.
"""

from __future__ import annotations

import shutil
import subprocess
import tempfile
from pathlib import Path
from typing import Literal

from tilework.errors import MediaError
from tilework.media.runner import FFmpegRunner

SampleAudio = Literal["tone", "speech"] | None
DEFAULT_SPEECH = "Welcome to the Tilework demo. This clip was generated for testing."


def _video_input(seconds: float, width: int, height: int, fps: int) -> list[str]:
    return ["-f", "lavfi", "-i", f"testsrc2=size={width}x{height}:rate={fps}:duration={seconds}"]


def _audio_input(audio: SampleAudio, seconds: float, speech_wav: Path | None) -> list[str]:
    if audio is None:
        return []
    if speech_wav is not None:
        return ["-i", str(speech_wav)]
    return ["-f", "lavfi", "-i", f"sine=frequency=440:sample_rate=48000:duration={seconds}"]


def _encode(has_audio: bool, seconds: float, fps: int, out: Path) -> list[str]:
    args = ["-c:v", "libx264", "-preset", "ultrafast", "-pix_fmt", "yuv420p", "-g", str(fps)]
    if has_audio:
        args += ["-af", f"aresample=48000,apad,atrim=duration={seconds}", "-map", "0:v", "-map"]
        args += ["1:a", "-c:a", "aac", "-b:a", "96k", "-ac", "2"]
    return [*args, "-t", str(seconds), "-movflags", "+faststart", str(out.absolute())]


def _speak(text: str, wav: Path) -> bool:
    espeak = shutil.which("espeak-ng")
    if espeak is None:
        return False
    result = subprocess.run(
        [espeak, "-v", "en-us", "-s", "150", "-w", str(wav), text],
        capture_output=True,
        timeout=60,
        check=False,
    )
    return result.returncode == 0 and wav.exists()


def _run(runner_or_ffmpeg_path: FFmpegRunner | str, args: list[str]) -> None:
    if isinstance(runner_or_ffmpeg_path, FFmpegRunner):
        runner_or_ffmpeg_path.run(args)
        return
    argv = [runner_or_ffmpeg_path, "-hide_banner", "-nostdin", "-loglevel", "error", "-y", *args]
    result = subprocess.run(argv, capture_output=True, text=True, timeout=300, check=False)
    if result.returncode != 0:
        raise MediaError(f"ffmpeg failed: {result.stderr.strip()[-500:]}")


def make_sample_clip(
    runner_or_ffmpeg_path: FFmpegRunner | str,
    out: Path,
    *,
    seconds: float = 5.0,
    width: int = 320,
    height: int = 180,
    fps: int = 25,
    audio: SampleAudio = "tone",
    speech_text: str | None = None,
) -> Path:
    """Write an H.264/AAC MP4 test clip to ``out`` (speech: a tone instead without espeak-ng)."""
    out.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=out.parent) as tmp:
        wav = Path(tmp) / "speech.wav"
        spoken = audio == "speech" and _speak(speech_text or DEFAULT_SPEECH, wav)
        args = [
            *_video_input(seconds, width, height, fps),
            *_audio_input(audio, seconds, wav if spoken else None),
            *_encode(audio is not None, seconds, fps, out),
        ]
        _run(runner_or_ffmpeg_path, args)
    return out
