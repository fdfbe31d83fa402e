"""Intro / Outro rendered for real: durations add up, the intro plays first, the frame is kept."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from tests.support.decode import all_frames_rgb, solid_clip
from tests.support.media import ffprobe, requires_ffmpeg, stream, tile_context
from tilework.config import Settings
from tilework.media.export import read_timeline_zip
from tilework.media.probe import MediaInfo, probe
from tilework.media.runner import FFmpegRunner
from tilework.media.timeline import source_timeline
from tilework.tiles.base import UploadKind
from tilework.tiles.intro_outro import IntroOutroTile
from tilework.tiles.render import RenderParams, render_timeline

pytestmark = requires_ffmpeg


@pytest.fixture(scope="module")
def media(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    folder = tmp_path_factory.mktemp("intro")
    return {
        # Another size and rate than the programme: fitted into the programme's frame.
        "intro": solid_clip(folder / "intro.mp4", "red", 1.0, 160, 120, 30),
        "main": solid_clip(folder / "main.mp4", "0x00ff00", 2.0, 320, 180, 25),
        "outro": solid_clip(folder / "outro.mp4", "blue", 1.0, 320, 180, 25),
    }


def test_intro_main_outro_render_in_order_at_the_programme_frame(
    settings: Settings, runner: FFmpegRunner, media: dict[str, Path], tmp_path: Path
) -> None:
    def resolve(kind: UploadKind, upload_id: str) -> tuple[Path, MediaInfo | None]:
        assert kind == "video"
        return media[upload_id], None  # no stored probe: the tile probes the file

    ctx = tile_context(settings, tmp_path)
    ctx.resolve_upload = resolve
    main = source_timeline(media["main"], probe(runner, media["main"]), start_ms=None,
                           end_ms=None, name="main")  # fmt: skip
    tile = IntroOutroTile()
    params = tile.parse_params({"intro_video_ids": ["intro"], "outro_video_ids": ["outro"]})
    edited = tile.run(ctx, params, main).timelines[0]
    files = render_timeline(ctx, edited, RenderParams(preset="ultrafast"))

    data = ffprobe(files.video)
    intro_s, main_s, outro_s = (float(ffprobe(media[k])["format"]["duration"]) for k in media)
    assert float(data["format"]["duration"]) == pytest.approx(intro_s + main_s + outro_s, abs=0.1)
    video = stream(data, "video")
    assert video is not None and (video["width"], video["height"]) == (320, 180)
    assert video["r_frame_rate"] == "25/1"

    frames = all_frames_rgb(files.video)  # 25 fps

    def colour(at_s: float) -> np.ndarray:
        return np.asarray(frames[round(at_s * 25), 90, 160], dtype=int)

    expected = [(0.1, (255, 0, 0)), (0.9, (255, 0, 0)), (1.1, (0, 255, 0)), (2.9, (0, 255, 0)),
                (3.1, (0, 0, 255)), (3.9, (0, 0, 255))]  # fmt: skip
    for at_s, rgb in expected:
        assert np.abs(colour(at_s) - np.array(rgb)).max() < 40, (at_s, colour(at_s))
    # 160x120 is 4:3: scaled to 240x180 and padded with black at the sides.
    assert frames[12, 90, 20].max() < 30 and len(frames) == 100

    # The Premiere timeline shows the three files as three cuts.
    assert files.timeline_zip is not None
    back = read_timeline_zip(files.timeline_zip)
    urls = [clip.media_reference.target_url for clip in back.video_tracks()[0].find_clips()]
    assert urls == [media[k].absolute().as_uri() for k in ("intro", "main", "outro")]
