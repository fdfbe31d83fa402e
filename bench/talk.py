"""A generated filmed talk: one speaker, small in a wide 720p shot, speaking for up to an hour.

What a conference recording or a two-person podcast shot wide looks like to Reframe: the
speaker's face is about ``face_px`` wide (scikit-image's astronaut photo, the face measured as
OpenCV's Haar cascade boxes it) and walks slowly across the stage, so a centre crop loses it
most of the time. The voice is espeak-ng reading a one-minute script.

Making an hour of 720p video is slow, so only one minute is encoded (``LOOP_S``: the walk is
periodic over it and the speech is padded to it) and the hour is that minute repeated with
stream copy; the result is kept in a cache folder (``.tilework/bench-cache/`` by default) and
reused while its parameters are the same. Benchmarks that need a long talk share it.
"""

from __future__ import annotations

import math
import shutil
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path

from tilework.media.samples import astronaut_png, place_astronaut

ROOT = Path(__file__).resolve().parent.parent
CACHE_DIR = ROOT / ".tilework" / "bench-cache"
LOOP_S = 60
VERSION = 1  # bump when the picture or the sound changes, so cached talks are made anew
BACKGROUND = "0x1c2430"
SCRIPT = (
    "Good morning everyone, and thank you for coming to this talk.",
    "Today I want to show you how we edit long recordings into short clips.",
    "A conference talk is often an hour long, filmed from the back of the room.",
    "The speaker is small in the picture, and walks from one side of the stage to the other.",
    "A vertical short has to follow the speaker, or the viewer sees an empty stage.",
    "So we look for faces at several scales, in tiles of the picture.",
    "And we only look where the edit needs it, in the parts that become clips.",
    "Thank you, and I am happy to take your questions now.",
)


@dataclass(frozen=True)
class Talk:
    path: Path
    minutes: float
    width: int
    height: int
    fps: int
    face_px: int

    def face_center(self, t: float) -> tuple[float, float]:
        """Where the speaker's face is centred at ``t`` seconds, in pixels."""
        return speaker_center(t, self.width, self.height)


def speaker_center(t: float, width: int, height: int) -> tuple[float, float]:
    """The walk: side to side between 20% and 80% of the width, once per ``LOOP_S``."""
    return width * (0.5 + 0.3 * math.sin(2 * math.pi * t / LOOP_S)), height * 0.3


def make_talk(
    minutes: float = 60,
    *,
    width: int = 1280,
    height: int = 720,
    fps: int = 30,
    face_px: int = 55,
    cache_dir: Path = CACHE_DIR,
) -> Talk:
    """The talk (from the cache when it was made before with the same parameters)."""
    name = f"talk-v{VERSION}-{minutes:g}min-{width}x{height}-{fps}fps-face{face_px}.mp4"
    talk = Talk(cache_dir / name, minutes, width, height, fps, face_px)
    if talk.path.is_file():
        return talk
    cache_dir.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=cache_dir, prefix="making-") as tmp:
        folder = Path(tmp)
        loop = _make_loop(talk, folder)
        partial = folder / "talk.mp4"
        _ffmpeg(
            *("-stream_loop", str(math.ceil(minutes * 60 / LOOP_S) - 1), "-i", str(loop)),
            *("-c", "copy", "-t", f"{minutes * 60:.3f}", "-movflags", "+faststart"),
            str(partial),
        )
        partial.replace(talk.path)  # whole or not at all
    return talk


def _make_loop(talk: Talk, folder: Path) -> Path:
    """One minute of the talk: the walk over a stage with a projection screen, and the voice."""
    photo = astronaut_png()
    espeak = shutil.which("espeak-ng")
    if photo is None or espeak is None:
        raise SystemExit("the talk needs scikit-image and espeak-ng (make system-deps)")
    wav = folder / "speech.wav"
    ssml = "<speak>" + '<break time="900ms"/>'.join(SCRIPT) + "</speak>"
    subprocess.run([espeak, "-m", "-v", "en-us", "-s", "150", "-w", str(wav), ssml], check=True)
    width, height = talk.width, talk.height
    place = place_astronaut(talk.face_px, 0, 0)  # offsets of the photo from the face's centre
    walk = f"{width * 0.5:.1f}+{width * 0.3:.1f}*sin(2*PI*t/{LOOP_S})"
    screen = f"drawbox=x={width // 8}:y={height // 10}:w={width * 3 // 4}:h={height // 2}"
    graph = (
        f"[1:v]scale={place.side}:{place.side},format=rgba[speaker];"
        f"[0:v]{screen}:color=0x3a4656:t=fill[stage];"
        f"[stage][speaker]overlay=x='{walk}+{place.x}':y={round(height * 0.3) + place.y}"
        ":eval=frame:shortest=1,format=yuv420p[v]"
    )
    loop = folder / "loop.mp4"
    _ffmpeg(
        *("-f", "lavfi", "-i", f"color=c={BACKGROUND}:size={width}x{height}:rate={talk.fps}"),
        *("-framerate", str(talk.fps), "-loop", "1", "-i", str(photo), "-i", str(wav)),
        *("-filter_complex", graph, "-map", "[v]", "-map", "2:a"),
        *("-af", f"aresample=48000,apad,atrim=duration={LOOP_S}", "-t", str(LOOP_S)),
        *("-c:v", "libx264", "-preset", "ultrafast", "-g", str(2 * talk.fps)),
        *("-c:a", "aac", "-b:a", "96k", "-ac", "2", str(loop)),
    )
    return loop


def _ffmpeg(*args: str) -> None:
    subprocess.run(
        ["ffmpeg", "-hide_banner", "-nostdin", "-loglevel", "error", "-y", *args],
        check=True,
        capture_output=True,
    )


if __name__ == "__main__":
    made = make_talk()
    print(made.path)
