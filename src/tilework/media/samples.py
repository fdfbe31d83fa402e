"""Generate small test/demo clips with ffmpeg (and espeak-ng for speech), nothing downloaded.

Used by the demo and by the tests: a ``testsrc2`` picture (a moving pattern with a frame
counter) with a 440 Hz tone, a spoken sentence, or no audio at all. GOPs are one second long so
seeks stay cheap, and ``+faststart`` puts the index first like most uploads.
"""

from __future__ import annotations

import shutil
import subprocess
import tempfile
import wave
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from tilework.errors import MediaError
from tilework.media.runner import FFmpegRunner

SampleAudio = Literal["tone", "speech"] | None
DEFAULT_SPEECH = "Welcome to the Tilework demo. This clip was generated for testing."


def _video_input(seconds: float, width: int, height: int, fps: float) -> list[str]:
    return ["-f", "lavfi", "-i", f"testsrc2=size={width}x{height}:rate={fps:g}:duration={seconds}"]


def _audio_input(audio: SampleAudio, seconds: float, speech_wav: Path | None) -> list[str]:
    if audio is None:
        return []
    if speech_wav is not None:
        return ["-i", str(speech_wav)]
    return ["-f", "lavfi", "-i", f"sine=frequency=440:sample_rate=48000:duration={seconds}"]


def _encode(has_audio: bool, seconds: float, fps: float, out: Path) -> list[str]:
    gop = str(max(1, round(fps)))  # about a second
    args = ["-c:v", "libx264", "-preset", "ultrafast", "-pix_fmt", "yuv420p", "-g", gop]
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
    fps: float = 25,  # 15 or 7.5 like a screen recording, too
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


DEFAULT_SCRIPT = (
    "Welcome to the Tilework demo.",
    "Today we turn one long video into short clips.",
    "Every caption is timed to the spoken word.",
    "Thank you for watching and see you next time.",
)


@dataclass(frozen=True)
class TalkingClip:
    """A generated clip with known speech: the script and roughly where each sentence starts."""

    path: Path
    script: tuple[str, ...]
    duration_s: float
    face_center_x: float | None  # fraction of the width where the face is centred, if any


# The face in scikit-image's astronaut.png (512x512) as OpenCV's Haar cascade boxes it at full
# resolution (an independent detector): left, top, width, height in pixels of the photo.
ASTRONAUT_SIDE = 512
ASTRONAUT_FACE_BOX = (177, 66, 95, 95)


@dataclass(frozen=True)
class FacePlacement:
    """The astronaut photo scaled to ``side`` px and overlaid with its top-left at (x, y)."""

    side: int
    x: int
    y: int


def place_astronaut(face_px: float, center_x: float, center_y: float) -> FacePlacement:
    """Where to put the photo so that its face is ``face_px`` wide, centred at (x, y) pixels."""
    left, top, width, height = ASTRONAUT_FACE_BOX
    side = max(2, round(face_px * ASTRONAUT_SIDE / width) // 2 * 2)
    scale = side / ASTRONAUT_SIDE
    x = round(center_x - (left + width / 2) * scale)
    y = round(center_y - (top + height / 2) * scale)
    return FacePlacement(side, x, y)


def astronaut_png() -> Path | None:
    """scikit-image's bundled astronaut photo (a real face), if scikit-image is installed."""
    try:
        import skimage
    except ImportError:
        return None
    path = Path(skimage.__file__).parent / "data" / "astronaut.png"
    return path if path.is_file() else None


def _speak_script(script: tuple[str, ...], pause_s: float, wav: Path) -> bool:
    espeak = shutil.which("espeak-ng")
    if espeak is None:
        return False
    gap = f'<break time="{round(pause_s * 1000)}ms"/>'
    ssml = f"<speak>{gap.join(script)}</speak>"  # espeak-ng ignores a leading <break>
    result = subprocess.run(
        [espeak, "-m", "-v", "en-us", "-s", "150", "-w", str(wav), ssml],
        capture_output=True,
        timeout=120,
        check=False,
    )
    return result.returncode == 0 and wav.exists()


def make_talking_clip(
    runner_or_ffmpeg_path: FFmpegRunner | str,
    out: Path,
    *,
    script: tuple[str, ...] = DEFAULT_SCRIPT,
    pause_s: float = 1.5,
    lead_in_s: float = 0.5,
    tail_s: float = 1.0,
    width: int = 640,
    height: int = 360,
    fps: int = 25,
    face: bool = True,
    face_center_x: float = 0.7,
    min_duration_s: float = 0.0,
) -> TalkingClip:
    """A clip of espeak-ng reading ``script`` with ``pause_s`` of silence between sentences,
    over a plain background with the astronaut's face at ``face_center_x`` of the width.

    Needs espeak-ng (``make system-deps``); the face is left out without scikit-image.
    ``min_duration_s`` pads the end with silence (benchmarks want a clip of a given length).
    """
    out.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=out.parent) as tmp:
        wav = Path(tmp) / "speech.wav"
        if not _speak_script(script, pause_s, wav):
            raise MediaError("espeak-ng is needed to generate speech (make system-deps)")
        seconds = max(lead_in_s + _wav_seconds(wav) + tail_s, min_duration_s)
        photo = astronaut_png() if face else None
        side = round(height * 0.8) // 2 * 2
        args = ["-f", "lavfi", "-i", f"color=c=0x203040:size={width}x{height}:rate={fps}"]
        args += ["-i", str(wav)]
        if photo is not None:
            x = round(width * face_center_x - side / 2)
            args += ["-loop", "1", "-i", str(photo)]
            args += [
                "-filter_complex",
                f"[2:v]scale={side}:{side}[f];[0:v][f]overlay="
                f"x={x}:y={(height - side) // 2}:shortest=1,format=yuv420p[v]",
                "-map",
                "[v]",
            ]
        else:
            args += ["-map", "0:v"]
        args += ["-map", "1:a", "-c:v", "libx264", "-preset", "ultrafast", "-pix_fmt", "yuv420p"]
        lead_ms = round(lead_in_s * 1000)
        audio = f"adelay={lead_ms}:all=1,aresample=48000,apad,atrim=duration={seconds}"
        args += ["-g", str(fps), "-af", audio]
        args += ["-c:a", "aac", "-b:a", "96k", "-ac", "2", "-t", f"{seconds:.3f}"]
        args += ["-movflags", "+faststart", str(out.absolute())]
        _run(runner_or_ffmpeg_path, args)
    center = face_center_x if photo is not None else None
    return TalkingClip(out, script, seconds, center)


def _wav_seconds(wav: Path) -> float:
    with wave.open(str(wav), "rb") as handle:
        return handle.getnframes() / float(handle.getframerate())
