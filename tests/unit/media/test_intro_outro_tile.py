"""Intro / Outro: the clips it adds around the programme and the frame it pins."""

from __future__ import annotations

from pathlib import Path

import opentimelineio as otio
import pydantic
import pytest

from tests.support.media import info, tile_context
from tilework.config import Settings
from tilework.errors import ValidationError
from tilework.media.compile import RenderSpec, output_fps, output_size
from tilework.media.probe import MediaInfo
from tilework.media.timeline import clip_segments, duration_s, render_hints, source_timeline, trim
from tilework.tiles.base import UploadKind
from tilework.tiles.intro_outro import IntroOutroTile

MAIN = Path("/media/main.mp4")
INFOS = {
    "hello": info(1.5, width=1920, height=1080, fps=30),
    "silent": info(0.6, audio=False),
    "bye": info(2.0),
}


def run(
    settings: Settings, tmp_path: Path, tl: otio.schema.Timeline, **params: object
) -> otio.schema.Timeline:
    def resolve(kind: UploadKind, upload_id: str) -> tuple[Path, MediaInfo | None]:
        if kind != "video" or upload_id not in INFOS:
            raise ValidationError(f"no {kind} upload {upload_id}")
        return upload_path(tmp_path, upload_id), INFOS[upload_id]  # the stored probe is used

    ctx = tile_context(settings, tmp_path / "work")
    ctx.resolve_upload = resolve
    tile = IntroOutroTile()
    return tile.run(ctx, tile.parse_params(params), tl).timelines[0]


def upload_path(tmp_path: Path, upload_id: str) -> Path:
    """Where the blob lives; never decoded by these tests, but the tile checks it is there."""
    path = tmp_path / "uploads" / upload_id / "source"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.touch()
    return path


def main_edit() -> otio.schema.Timeline:
    return trim(source_timeline(MAIN, info(10.0), start_ms=None, end_ms=None, name="m"), 2, 6)


def test_intros_go_first_and_outros_last_on_both_tracks(settings: Settings, tmp_path: Path) -> None:
    tl = run(
        settings, tmp_path, main_edit(), intro_video_ids=["hello", "silent"],
        outro_video_ids=["bye"],
    )  # fmt: skip
    segments = clip_segments(tl)
    uploaded = [upload_path(tmp_path, name) for name in ("hello", "silent", "bye")]
    assert [s.path for s in segments] == [*uploaded[:2], MAIN, uploaded[2]]
    assert [round(s.duration_s, 3) for s in segments] == [1.5, 0.6, 4.0, 2.0]
    assert segments[2].start_s == pytest.approx(2.0)  # the programme's cut is untouched
    assert duration_s(tl) == pytest.approx(8.1)
    video, audio = tl.tracks
    assert [item.name for item in video] == ["intro 1", "intro 2", "main.mp4", "outro 1"]
    kinds = [type(item).__name__ for item in audio]
    assert kinds == ["Clip", "Gap", "Clip", "Clip"]  # the silent intro has a gap for sound
    assert [item.duration().to_seconds() for item in audio] == pytest.approx([1.5, 0.6, 4.0, 2.0])


def test_the_programme_frame_and_rate_stay_the_output_frame(
    settings: Settings, tmp_path: Path
) -> None:
    tl = run(settings, tmp_path, main_edit(), intro_video_ids=["hello"])
    assert render_hints(tl) == {"width": 320, "height": 180, "fps": 25.0}
    assert output_size(tl, RenderSpec()) == (320, 180)  # not the 1920x1080 intro's
    assert output_fps(tl, RenderSpec()) == "25/1"
    framed = main_edit()
    framed.metadata["tilework"]["render"] = {"width": 180, "height": 320}  # set by a reframe
    tl = run(settings, tmp_path, framed, outro_video_ids=["bye"])
    assert render_hints(tl) == {"width": 180, "height": 320, "fps": 25.0}


def test_bad_params_and_unknown_videos(settings: Settings, tmp_path: Path) -> None:
    with pytest.raises(pydantic.ValidationError, match="intro_video_ids, outro_video_ids"):
        IntroOutroTile().parse_params({})
    with pytest.raises(ValidationError, match="no video upload nope"):
        run(settings, tmp_path, main_edit(), outro_video_ids=["nope"])
