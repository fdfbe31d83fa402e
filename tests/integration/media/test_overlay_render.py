"""The Logo Overlay tile rendered for real: the logo's pixels land in the chosen corner."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from tests.support.decode import frame_rgb, solid_clip, solid_png
from tests.support.media import ffprobe, requires_ffmpeg, tile_context
from tilework.config import Settings
from tilework.media.probe import MediaInfo, probe
from tilework.media.runner import FFmpegRunner
from tilework.media.timeline import source_timeline
from tilework.tiles.base import UploadKind
from tilework.tiles.overlay import OverlayTile
from tilework.tiles.render import RenderParams, render_timeline

pytestmark = requires_ffmpeg

BACKGROUND = np.array([0x20, 0x40, 0x80])  # the clip's solid colour, 0x204080


@pytest.fixture(scope="module")
def media(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    folder = tmp_path_factory.mktemp("overlay")
    return {
        "clip": solid_clip(folder / "clip.mp4", "0x204080", 1.0, 320, 180, 25),
        "logo": solid_png(folder / "logo.png", "red", 40, 40),
    }


def render_with_logo(
    settings: Settings, runner: FFmpegRunner, media: dict[str, Path], work: Path, **params: object
) -> Path:
    def resolve(kind: UploadKind, upload_id: str) -> tuple[Path, MediaInfo | None]:
        assert (kind, upload_id) == ("image", "logo-1")
        return media["logo"], None

    ctx = tile_context(settings, work)
    ctx.resolve_upload = resolve
    tl = source_timeline(media["clip"], probe(runner, media["clip"]), start_ms=None, end_ms=None,
                         name="in")  # fmt: skip
    tile = OverlayTile()
    edited = tile.run(ctx, tile.parse_params({"image_id": "logo-1", **params}), tl).timelines[0]
    return render_timeline(ctx, edited, RenderParams(preset="ultrafast", quality="high")).video


def mean_rgb(frame: np.ndarray, x: int, y: int, size: int = 6) -> np.ndarray:
    """The mean colour of a small square centred on (x, y), to be robust to chroma subsampling."""
    half = size // 2
    return np.asarray(frame[y - half : y + half, x - half : x + half].reshape(-1, 3).mean(axis=0))


def test_the_logo_appears_in_the_top_right_corner_at_its_scale(
    settings: Settings, runner: FFmpegRunner, media: dict[str, Path], tmp_path: Path
) -> None:
    # 25% of 320 px → an 80 px logo; margin 5% of 320 → 16 px from the top and right edges.
    video = render_with_logo(
        settings, runner, media, tmp_path, position="top-right", scale=0.25, margin=0.05
    )
    data = ffprobe(video)
    assert float(data["format"]["duration"]) == pytest.approx(1.0, abs=0.1)  # not extended
    for at_s in (0.1, 0.9):  # the one-frame image is held for the whole programme
        frame = frame_rgb(video, at_s)
        inside = mean_rgb(frame, 320 - 16 - 40, 16 + 40)
        assert inside[0] > 200 and inside[1] < 60 and inside[2] < 60, inside  # red
        for x, y in ((320 - 16 - 80 - 8, 56), (320 - 56, 16 + 80 + 8), (40, 40), (40, 140)):
            outside = mean_rgb(frame, x, y)
            assert np.abs(outside - BACKGROUND).max() < 20, (x, y, outside)


def test_opacity_blends_the_logo_with_the_picture(
    settings: Settings, runner: FFmpegRunner, media: dict[str, Path], tmp_path: Path
) -> None:
    video = render_with_logo(
        settings, runner, media, tmp_path, position="bottom-left", scale=0.25, margin=0.0,
        opacity=0.5,
    )  # fmt: skip
    frame = frame_rgb(video, 0.5)
    blended = mean_rgb(frame, 40, 180 - 40)
    expected = (np.array([255, 0, 0]) + BACKGROUND) / 2
    assert np.abs(blended - expected).max() < 25, blended
    assert np.abs(mean_rgb(frame, 320 - 40, 40) - BACKGROUND).max() < 20  # top-right untouched
