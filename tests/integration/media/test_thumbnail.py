"""The Thumbnail tile on real clips: a face over blank and blurred frames, and a drawn title."""

from __future__ import annotations

import subprocess
from pathlib import Path

import cv2
import numpy as np
import opentimelineio as otio
import pytest

from tests.support.frames import frame_at
from tests.support.media import requires_ffmpeg, tile_context, timeline_of
from tilework.analysis.faces import detect_faces
from tilework.config import Settings
from tilework.media.probe import probe
from tilework.media.runner import FFmpegRunner
from tilework.media.samples import make_talking_clip
from tilework.media.thumbnail import planned_thumbnail
from tilework.media.timeline import path_to_url, plain
from tilework.tiles.render import RenderParams, render_timeline
from tilework.tiles.thumbnail import ThumbnailTile

pytestmark = requires_ffmpeg
PICTURES = {
    "blank": "color=c=0x404040:size=640x360:rate=25:duration=2",
    "blurred": "testsrc2=size=640x360:rate=25:duration=2,gblur=sigma=12",
    "sharp": "testsrc2=size=640x360:rate=25:duration=2,noise=alls=25:allf=t",
}


@pytest.fixture(scope="module")
def edit_clips(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    folder = tmp_path_factory.mktemp("thumbnail")
    made = {}
    for name, source in PICTURES.items():
        out = folder / f"{name}.mp4"
        subprocess.run(
            [
                *("ffmpeg", "-v", "error", "-y", "-f", "lavfi", "-i", source),
                *("-c:v", "libx264", "-preset", "ultrafast", "-g", "25", str(out)),
            ],
            check=True,
            capture_output=True,
        )
        made[name] = out
    talking = make_talking_clip(
        "ffmpeg", folder / "talking.mp4", script=("A face for the cover.",), face_center_x=0.75
    )
    made["talking"] = talking.path
    return made


def edit(runner: FFmpegRunner, clips: dict[str, Path], *names: str) -> otio.schema.Timeline:
    return timeline_of(*((clips[name], probe(runner, clips[name])) for name in names))


def chosen(tl: otio.schema.Timeline) -> dict[str, object]:
    value = plain(tl.metadata)["tilework"]["thumbnail"]
    assert isinstance(value, dict)
    return value


def test_the_face_frame_wins_over_blank_blurred_and_faceless_ones(
    settings: Settings, runner: FFmpegRunner, edit_clips: dict[str, Path], tmp_path: Path
) -> None:
    tl = edit(runner, edit_clips, "blank", "blurred", "sharp", "talking")
    tile = ThumbnailTile()
    ctx = tile_context(settings, tmp_path)
    with_face = tile.run(ctx, tile.parse_params({"title": "Faces: it's 100%"}), tl)
    choice = chosen(with_face.timelines[0])
    assert choice["source_url"] == path_to_url(edit_clips["talking"])
    assert choice["face"] is True and choice["title"] == "Faces: it's 100%"
    assert isinstance(choice["source_time_s"], float) and choice["source_time_s"] >= 0.5
    assert with_face.status_message is not None and "a face" in with_face.status_message
    # Without the face preference the sharpest frame wins, never the blank or blurred ones.
    sharpest = tile.run(ctx, tile.parse_params({"prefer_faces": False}), tl)
    assert chosen(sharpest.timelines[0])["source_url"] == path_to_url(edit_clips["sharp"])


def test_the_render_takes_the_chosen_frame_and_draws_the_title(
    settings: Settings, runner: FFmpegRunner, edit_clips: dict[str, Path], tmp_path: Path
) -> None:
    tl = edit(runner, edit_clips, "blank", "talking")
    tile = ThumbnailTile()
    ctx = tile_context(settings, tmp_path)
    picked = tile.run(ctx, tile.parse_params({"title": "Tilework: faces, [titles]"}), tl)
    chosen_tl = picked.timelines[0]
    plan = planned_thumbnail(chosen_tl)
    assert plan.at_s is not None and plan.at_s > 2.0  # inside the talking clip
    files = render_timeline(ctx, chosen_tl, RenderParams(preset="ultrafast", quality="low"))
    assert files.thumbnail is not None
    thumbnail = cv2.imread(str(files.thumbnail))
    assert thumbnail is not None and thumbnail.shape == (360, 640, 3)
    assert detect_faces(thumbnail), "the thumbnail is not the face frame"
    plain_frame = frame_at(files.video, plan.at_s).astype(np.int16)
    difference = np.abs(thumbnail.astype(np.int16) - plain_frame).mean(axis=(1, 2))
    assert difference[:200].mean() < 6  # the same frame above the title
    assert difference[270:340].max() > 25  # white outlined letters in the lower third
