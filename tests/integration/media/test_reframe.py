"""Reframe real clips and render them: the face stays central, no face → centre, zoom out."""

from __future__ import annotations

import subprocess
from pathlib import Path

import cv2
import numpy as np
import opentimelineio as otio
import pytest

from tests.support.frames import frame_at, make_moving_face_clip
from tests.support.media import ffprobe, requires_ffmpeg, stream, tile_context
from tilework.analysis.faces import detect_faces
from tilework.config import Settings
from tilework.media.cuts import replace_video_items, split_clip
from tilework.media.probe import probe
from tilework.media.runner import FFmpegRunner
from tilework.media.samples import astronaut_png, make_talking_clip, place_astronaut
from tilework.media.timeline import (
    clip_segments,
    plain,
    render_hints,
    source_timeline,
    trim,
    video_track,
)
from tilework.tiles.reframe import ReframeTile
from tilework.tiles.render import RenderParams, render_timeline

pytestmark = requires_ffmpeg
FAST = RenderParams(preset="ultrafast", quality="low")


@pytest.fixture(scope="module")
def faces(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    folder = tmp_path_factory.mktemp("reframe")
    talking = make_talking_clip(
        "ffmpeg",
        folder / "talking.mp4",
        script=("Hello from the reframe test.",),
        tail_s=0.5,
        face=True,
        face_center_x=0.75,
    )
    return {
        "talking": talking.path,
        "moving": make_moving_face_clip(folder / "moving.mp4", seconds=3.0),
    }


def reframed(
    settings: Settings, runner: FFmpegRunner, path: Path, work: Path, **params: object
) -> tuple[otio.schema.Timeline, str | None]:
    tl = source_timeline(path, probe(runner, path), start_ms=None, end_ms=None, name="in")
    tile = ReframeTile()
    result = tile.run(tile_context(settings, work), tile.parse_params(params), tl)
    return result.timelines[0], result.status_message


def face_share_x(image: np.ndarray) -> float:
    found = detect_faces(image)
    assert found, "no face in the reframed frame"
    return found[0].center_x


@pytest.mark.parametrize("clip", ["talking", "moving"])
def test_the_face_stays_in_the_central_third_of_a_9_16_reframe(
    settings: Settings,
    runner: FFmpegRunner,
    faces: dict[str, Path],
    tmp_path: Path,
    clip: str,
) -> None:
    source = faces[clip]
    tl, message = reframed(settings, runner, source, tmp_path)
    assert message is not None and "9:16 (202x360)" in message
    assert render_hints(tl) == {"width": 202, "height": 360}
    (segment,) = clip_segments(tl)
    assert segment.reference_metadata["faces"]["detector"] == "blazeface"
    files = render_timeline(tile_context(settings, tmp_path), tl, FAST)
    video = stream(ffprobe(files.video), "video")
    assert video is not None and (video["width"], video["height"]) == (202, 360)
    for at_s in (0.5, 1.5, 2.5):
        share = face_share_x(frame_at(files.video, at_s))
        assert 1 / 3 < share < 2 / 3, f"face at {share:.2f} of the width at {at_s} s"
    if clip == "talking":  # the face is off-centre: a centre crop would have lost it
        assert face_share_x(frame_at(source, 1.0)) > 0.7


def make_late_face_clip(out: Path) -> Path:
    """12 s of 640x360 at 25 fps: an empty stage, then from 10 s a 60 px face at 80% across."""
    photo = astronaut_png()
    assert photo is not None
    place = place_astronaut(60, 0.8 * 640, 150)
    graph = (
        f"[1:v]scale={place.side}:{place.side}[f];[0:v][f]overlay=x={place.x}:y={place.y}"
        ":enable='gte(t,10)':shortest=1,format=yuv420p"
    )
    subprocess.run(
        [
            *("ffmpeg", "-v", "error", "-y", "-f", "lavfi"),
            *("-i", "color=c=0x203040:size=640x360:rate=25:duration=12"),
            *("-loop", "1", "-i", str(photo), "-filter_complex", graph),
            *("-c:v", "libx264", "-preset", "ultrafast", "-g", "25", str(out)),
        ],
        check=True,
        capture_output=True,
    )
    return out


def test_only_the_cuts_are_analysed_and_a_cut_without_a_face_is_reported(
    settings: Settings, runner: FFmpegRunner, tmp_path: Path
) -> None:
    source = make_late_face_clip(tmp_path / "late.mp4")
    tl = source_timeline(source, probe(runner, source), start_ms=None, end_ms=None, name="in")
    (whole,) = list(video_track(tl) or [])
    replace_video_items(tl, split_clip(whole, [(5, 45), (255, 295)]))  # 0.2-1.8 s, 10.2-11.8 s
    tile = ReframeTile()
    result = tile.run(tile_context(settings, tmp_path), tile.parse_params({}), tl)
    assert result.warning == (
        "no face found in 1 of 2 cut(s) (0.2-1.8 s of late.mp4): cropped in the centre"
    )
    assert result.note() is not None and result.note().startswith("warning: no face found")
    empty, framed = clip_segments(result.timelines[0])
    faces = empty.reference_metadata["faces"]
    assert faces["ranges"] == [[0.0, 5.0], [10.0, 15.0]]  # 5-10 s was never decoded
    assert {round(s[0]) for s in faces["samples"]} <= {*range(6), *range(10, 13)}
    centre_x = (640 - 202) / 2
    assert {x for _, x, _ in empty.clip_metadata["reframe"]["points"]} == {centre_x}
    followed = {x for _, x, _ in framed.clip_metadata["reframe"]["points"]}
    assert all(abs(x + 101 - 0.8 * 640) < 12 for x in followed)


def test_a_clip_without_a_face_gets_the_centre_crop(
    settings: Settings, runner: FFmpegRunner, clips: dict[str, Path], tmp_path: Path
) -> None:
    tl, message = reframed(settings, runner, clips["tone"], tmp_path)  # 320x180 testsrc2
    assert message is not None and "centre crop" in message
    data = plain(tl.tracks[0][0].metadata)["tilework"]["reframe"]
    assert (data["crop_width"], data["crop_height"]) == (100, 180)
    assert {(x, y) for _, x, y in data["points"]} == {(110.0, 0.0)}
    files = render_timeline(tile_context(settings, tmp_path), tl, FAST)
    out = frame_at(files.video, 1.0).astype(np.int16)
    source = frame_at(clips["tone"], 1.0).astype(np.int16)
    assert out.shape == (180, 100, 3)
    centre = np.abs(out - source[:, 110:210]).mean()
    left = np.abs(out - source[:, 0:100]).mean()
    assert centre < 8 < left


def laplacian_var(image: np.ndarray) -> float:
    return float(cv2.Laplacian(cv2.cvtColor(image, cv2.COLOR_BGR2GRAY), cv2.CV_64F).var())


@pytest.mark.parametrize("padding", ["blur", "black"])
def test_zoom_out_keeps_the_whole_picture_in_the_new_shape(
    settings: Settings,
    runner: FFmpegRunner,
    clips: dict[str, Path],
    tmp_path: Path,
    padding: str,
) -> None:
    tl, message = reframed(
        settings, runner, clips["tone"], tmp_path, zoom_out=True, padding=padding
    )
    assert message is not None and "zoomed out" in message
    assert "faces" not in clip_segments(tl)[0].reference_metadata  # no detection needed
    tl = trim(tl, 0.5, 1.5)  # the fit survives a cut too
    files = render_timeline(tile_context(settings, tmp_path), tl, FAST)
    video = stream(ffprobe(files.video), "video")
    assert video is not None and (video["width"], video["height"]) == (320, 568)
    out = frame_at(files.video, 0.5)
    source = frame_at(clips["tone"], 1.0)
    band = out[194:374].astype(np.int16)  # (568 - 180) / 2 = 194: the whole source, unscaled
    assert np.abs(band - source.astype(np.int16)).mean() < 8
    top = out[:180]
    if padding == "black":
        assert top.mean() < 20
    else:  # a blurred copy of the picture: colourful but without sharp detail
        assert top.mean() > 40
        assert laplacian_var(top) < laplacian_var(source) / 10


def test_a_source_already_in_shape_passes_through(
    settings: Settings, runner: FFmpegRunner, clips: dict[str, Path], tmp_path: Path
) -> None:
    tl, message = reframed(settings, runner, clips["tone"], tmp_path, shape="16:9")
    assert message == "the video is already 16:9: passed through unchanged"
    assert render_hints(tl) == {} and "reframe" not in clip_segments(tl)[0].clip_metadata
