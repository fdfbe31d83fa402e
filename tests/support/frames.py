"""Pictures for face and reframe tests: decoded frames and a clip with a moving real face."""

from __future__ import annotations

import subprocess
from pathlib import Path

import cv2
import numpy as np

from tilework.media.samples import astronaut_png

# Where the face sits in scikit-image's astronaut.png (512x512), measured with OpenCV's Haar
# cascade at full resolution (an independent detector): centre x 224.5 px, y 113.5 px.
ASTRONAUT_FACE_X = 224.5 / 512
ASTRONAUT_FACE_Y = 113.5 / 512

# The moving clip: the photo, MOVING_SIDE px square, slides right at MOVING_SPEED px/s.
MOVING_SIDE = 300
MOVING_X0 = 10
MOVING_SPEED = 80
MOVING_Y = 30


def frame_at(video: Path, at_s: float) -> np.ndarray:
    """The BGR frame of ``video`` at ``at_s`` (accurate seek), decoded by ffmpeg."""
    png = subprocess.run(
        [
            *("ffmpeg", "-v", "error", "-ss", f"{at_s:.3f}", "-i", str(video)),
            *("-frames:v", "1", "-f", "image2pipe", "-c:v", "png", "-"),
        ],
        capture_output=True,
        check=True,
    ).stdout
    image = cv2.imdecode(np.frombuffer(png, dtype=np.uint8), cv2.IMREAD_COLOR)
    assert image is not None, f"no frame at {at_s} s in {video}"
    return image


def moving_face_x(t: float) -> float:
    """The face centre's x in pixels at time ``t`` of ``make_moving_face_clip``'s clip."""
    return MOVING_X0 + MOVING_SPEED * t + ASTRONAUT_FACE_X * MOVING_SIDE


def moving_face_y() -> float:
    return MOVING_Y + ASTRONAUT_FACE_Y * MOVING_SIDE


def make_moving_face_clip(out: Path, seconds: float = 4.0) -> Path:
    """640x360: the astronaut photo sliding right over a plain background (no audio)."""
    photo = astronaut_png()
    assert photo is not None, "scikit-image (astronaut.png) is a dependency"
    graph = (
        f"[1:v]scale={MOVING_SIDE}:{MOVING_SIDE}[f];"
        f"[0:v][f]overlay=x='{MOVING_X0}+t*{MOVING_SPEED}':y={MOVING_Y}:shortest=1,format=yuv420p"
    )
    subprocess.run(
        [
            *("ffmpeg", "-v", "error", "-y", "-f", "lavfi"),
            *("-i", f"color=c=0x203040:size=640x360:rate=25:duration={seconds}"),
            *("-loop", "1", "-i", str(photo), "-filter_complex", graph),
            *("-c:v", "libx264", "-preset", "ultrafast", "-g", "25", str(out)),
        ],
        check=True,
        capture_output=True,
    )
    return out
