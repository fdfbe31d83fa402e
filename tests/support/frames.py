"""Pictures for face and reframe tests: decoded frames and a clip with a moving real face."""

from __future__ import annotations

import subprocess
from pathlib import Path

import cv2
import numpy as np

from tilework.media.samples import (
    ASTRONAUT_FACE_BOX,
    ASTRONAUT_SIDE,
    astronaut_png,
    place_astronaut,
)

# Where the face sits in scikit-image's astronaut.png (512x512), measured with OpenCV's Haar
# cascade at full resolution (an independent detector): centre x 224.5 px, y 113.5 px.
ASTRONAUT_FACE_X = (ASTRONAUT_FACE_BOX[0] + ASTRONAUT_FACE_BOX[2] / 2) / ASTRONAUT_SIDE
ASTRONAUT_FACE_Y = (ASTRONAUT_FACE_BOX[1] + ASTRONAUT_FACE_BOX[3] / 2) / ASTRONAUT_SIDE
HAAR_CASCADE = "haarcascade_frontalface_default.xml"

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


def moving_face_x(t: float, speed: float = MOVING_SPEED) -> float:
    """The face centre's x in pixels at time ``t`` of ``make_moving_face_clip``'s clip."""
    return MOVING_X0 + speed * t + ASTRONAUT_FACE_X * MOVING_SIDE


def moving_face_y() -> float:
    return MOVING_Y + ASTRONAUT_FACE_Y * MOVING_SIDE


def make_moving_face_clip(
    out: Path, seconds: float = 4.0, speed: float = MOVING_SPEED, fps: int = 25
) -> Path:
    """640x360: the astronaut photo sliding right over a plain background (no audio)."""
    photo = astronaut_png()
    assert photo is not None, "scikit-image (astronaut.png) is a dependency"
    graph = (
        f"[1:v]scale={MOVING_SIDE}:{MOVING_SIDE}[f];"
        f"[0:v][f]overlay=x='{MOVING_X0}+t*{speed}':y={MOVING_Y}:shortest=1,format=yuv420p"
    )
    subprocess.run(
        [
            *("ffmpeg", "-v", "error", "-y", "-f", "lavfi"),
            *("-i", f"color=c=0x203040:size=640x360:rate={fps}:duration={seconds}"),
            *("-loop", "1", "-i", str(photo), "-filter_complex", graph),
            *("-c:v", "libx264", "-preset", "ultrafast", "-g", str(fps), str(out)),
        ],
        check=True,
        capture_output=True,
    )
    return out


def still_face_picture(
    size: tuple[int, int], face_px: float, *centers: tuple[float, float]
) -> np.ndarray:
    """A BGR ``size`` picture with the astronaut's face ``face_px`` wide (as the Haar cascade
    boxes it) centred at each of ``centers`` (pixels); the photos may run past the frame."""
    photo_path = astronaut_png()
    assert photo_path is not None, "scikit-image (astronaut.png) is a dependency"
    width, height = size
    picture = np.full((height, width, 3), (0x40, 0x30, 0x20), dtype=np.uint8)
    for center in centers:
        place = place_astronaut(face_px, *center)
        photo = cv2.resize(cv2.imread(str(photo_path)), (place.side, place.side))
        x0, y0 = max(0, place.x), max(0, place.y)
        x1, y1 = min(width, place.x + place.side), min(height, place.y + place.side)
        picture[y0:y1, x0:x1] = photo[y0 - place.y : y1 - place.y, x0 - place.x : x1 - place.x]
    return picture


def make_still_face_clip(
    out: Path,
    size: tuple[int, int],
    face_px: float,
    center: tuple[float, float],
    *,
    seconds: float = 2.0,
    fps: int = 25,  # the lowest rate the render's Premiere export takes (SMPTE timecode)
) -> Path:
    """A still clip of ``still_face_picture`` (no audio; the picture is decoded once)."""
    still = out.with_suffix(".png")
    cv2.imwrite(str(still), still_face_picture(size, face_px, center))
    subprocess.run(
        [
            *("ffmpeg", "-v", "error", "-y", "-framerate", str(fps), "-i", str(still)),
            *("-vf", f"loop=loop={round(seconds * fps) - 1}:size=1,format=yuv420p"),
            *("-c:v", "libx264", "-preset", "ultrafast", "-g", str(fps), str(out)),
        ],
        check=True,
        capture_output=True,
    )
    return out


def haar_face(
    image: np.ndarray, face_px: float, upscale: int = 1
) -> tuple[float, float, float, float] | None:
    """The face OpenCV's Haar cascade (an independent detector) is surest of in a BGR picture,
    among boxes from 0.6 to 1.6 times ``face_px``: (x, y, w, h) in the picture's pixels.
    ``upscale`` enlarges the picture first, for faces near the cascade's 24 px window."""
    cascade = cv2.CascadeClassifier(str(Path(cv2.data.haarcascades) / HAAR_CASCADE))
    gray = cv2.cvtColor(image, cv2.COLOR_BGR2GRAY)
    if upscale > 1:
        gray = cv2.resize(gray, None, fx=upscale, fy=upscale, interpolation=cv2.INTER_CUBIC)
    smallest = max(24, round(0.6 * face_px * upscale))
    largest = round(1.6 * face_px * upscale)
    boxes, _levels, weights = cascade.detectMultiScale3(
        gray,
        scaleFactor=1.1,
        minNeighbors=5,
        minSize=(smallest, smallest),
        maxSize=(largest, largest),
        outputRejectLevels=True,
    )
    if len(boxes) == 0:
        return None
    x, y, w, h = np.array(boxes, dtype=np.float64).reshape(-1, 4)[int(np.argmax(weights))]
    return x / upscale, y / upscale, w / upscale, h / upscale


def frames_at(video: Path, times: list[float]) -> list[np.ndarray]:
    """The BGR frames of ``video`` at ``times`` (seconds), decoded in one pass."""
    capture = cv2.VideoCapture(str(video))
    frames: list[np.ndarray] = []
    try:
        for at in times:
            capture.set(cv2.CAP_PROP_POS_MSEC, at * 1000)
            ok, image = capture.read()
            assert ok and image is not None, f"no frame at {at} s in {video}"
            frames.append(image)
    finally:
        capture.release()
    return frames
