"""Reframe finds the face wherever it is and however small (from 40 px), at 720p and 1080p.

Each case is a still 1.2 s clip with scikit-image's astronaut, the face ``face_px`` wide,
centred in one quadrant of the frame or touching its top edge near the right. Reframe crops it
to 9:16 and the render's output is checked with OpenCV's Haar cascade (not the detector Reframe
uses): at three times the face is there, about its size, centred in the output's middle third.
A centre crop would fail every case: the faces are all outside the centre crop's middle third.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.support.frames import frames_at, haar_face, make_still_face_clip
from tests.support.media import requires_ffmpeg, tile_context
from tilework.config import Settings
from tilework.media.probe import probe
from tilework.media.runner import FFmpegRunner
from tilework.media.timeline import source_timeline
from tilework.tiles.reframe import ReframeTile
from tilework.tiles.render import RenderParams, render_timeline

pytestmark = requires_ffmpeg
FAST = RenderParams(preset="ultrafast", quality="low")
SIZES = [(1280, 720), (1920, 1080)]
FACES = [40, 60, 120, 300]
PLACES = ["top-left", "top-right", "bottom-left", "bottom-right", "top-edge"]
SECONDS = 1.2
CHECK_AT = (0.1, 0.6, 1.1)


def face_center(place: str, size: tuple[int, int], face_px: int) -> tuple[float, float]:
    width, height = size
    if place == "top-edge":  # the face's top on the frame's top edge, right of the centre
        return 0.8 * width, face_px / 2
    vertical, horizontal = place.split("-")
    x = width / 4 if horizontal == "left" else 3 * width / 4
    y = height / 4 if vertical == "top" else 3 * height / 4
    return x, y


@pytest.mark.parametrize("place", PLACES)
@pytest.mark.parametrize("face_px", FACES)
@pytest.mark.parametrize("size", SIZES, ids=lambda size: f"{size[1]}p")
def test_the_face_is_in_the_middle_third_of_the_reframe(
    settings: Settings,
    tmp_path: Path,
    size: tuple[int, int],
    face_px: int,
    place: str,
) -> None:
    center = face_center(place, size, face_px)
    source = make_still_face_clip(tmp_path / "source.mp4", size, face_px, center, seconds=SECONDS)
    runner = FFmpegRunner(settings)
    info = probe(runner, source, decode_check=False)  # ffmpeg just wrote it
    tl = source_timeline(source, info, start_ms=None, end_ms=None, name="in")
    tile = ReframeTile()
    result = tile.run(tile_context(settings, tmp_path), tile.parse_params({}), tl)
    assert result.warning is None, result.warning
    files = render_timeline(tile_context(settings, tmp_path), result.timelines[0], FAST)
    for at_s, frame in zip(CHECK_AT, frames_at(files.video, list(CHECK_AT)), strict=True):
        height, width = frame.shape[:2]
        assert (width, height) == (size[1] * 9 // 16 // 2 * 2, size[1])
        found = haar_face(frame, face_px, upscale=2 if face_px < 60 else 1)
        assert found is not None, f"no face in the output at {at_s} s"
        x, _, w, _ = found
        share = (x + w / 2) / width
        assert 1 / 3 < share < 2 / 3, f"face at {share:.2f} of the width at {at_s} s"
