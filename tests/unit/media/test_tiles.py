"""Tile parameters, the registry and the tiles' pure behaviour."""

from __future__ import annotations

import uuid
from pathlib import Path

import pytest
from pydantic import ValidationError as PydanticError

from tests.support.media import info, tile_context
from tilework.config import Settings
from tilework.errors import NotFoundError, ValidationError
from tilework.media.timeline import clip_segments, duration_s, source_timeline
from tilework.tiles.registry import TileRegistry, default_registry
from tilework.tiles.render import RenderParams, render_spec
from tilework.tiles.trim import TRIM_TYPE_ID, TrimParams, TrimTile
from tilework.tiles.video_input import VIDEO_INPUT_TYPE_ID, VideoInputTile

A = Path("/media/a.mp4")


def test_registry_lists_the_shipped_tiles_in_a_stable_order() -> None:
    registry = default_registry()
    slugs = [tile.slug for tile in registry.all()]
    assert slugs[:2] == ["video-input", "trim"] and slugs[-1] == "render"
    assert len(slugs) == len(set(slugs))
    assert {"captions", "clips", "reframe", "silence-removal", "audio-enhance", "thumbnail"} <= set(
        slugs
    )
    assert slugs == [tile.slug for tile in default_registry().all()]
    assert VIDEO_INPUT_TYPE_ID == "9451e6ff-ac7f-4317-9055-a2f35f641b29"
    assert VIDEO_INPUT_TYPE_ID in registry and "nope" not in registry
    for tile in registry.all():
        assert uuid.UUID(tile.type_id).version == 4
        assert tile.docs_url and tile.params_docs_url
    with pytest.raises(NotFoundError, match="unknown node type nope"):
        registry.get("nope")
    with pytest.raises(ValueError, match="twice"):
        TileRegistry([TrimTile(), TrimTile()])
    assert [t.slug for t in registry.all() if t.renders] == ["render"]
    assert [t.slug for t in registry.all() if t.is_input] == ["video-input"]


def test_trim_params_validation() -> None:
    tile = TrimTile()
    assert tile.parse_params({}) == TrimParams(start_seconds=0, end_seconds=None)
    for bad in ({"start_seconds": -1}, {"start_seconds": 3, "end_seconds": 2}, {"x": 1}):
        with pytest.raises(PydanticError):
            tile.parse_params(bad)
    assert "end_seconds" in tile.params_schema()["properties"]


def test_render_params_validation() -> None:
    assert RenderParams().resolution == "source"
    assert RenderParams(resolution=" 720P ").resolution == "720p"
    assert RenderParams(resolution="1280x720").resolution == "1280x720"
    for bad in ("4k", "1x1", "99999x10", "720"):
        with pytest.raises(PydanticError):
            RenderParams(resolution=bad)
    with pytest.raises(PydanticError):
        RenderParams(quality="ultra")  # type: ignore[arg-type]


def test_render_spec_maps_quality_and_the_shorter_side() -> None:
    wide = source_timeline(A, info(2, width=1920, height=1080), start_ms=0, end_ms=None, name="w")
    tall = source_timeline(A, info(2, width=1080, height=1920), start_ms=0, end_ms=None, name="t")
    spec = render_spec(RenderParams(resolution="720p", quality="high"), wide)
    assert (spec.width, spec.height, spec.crf, spec.preset) == (None, 720, 18, "veryfast")
    assert render_spec(RenderParams(resolution="720p"), tall).width == 720
    assert render_spec(RenderParams(quality="low"), wide).crf == 28
    sized = render_spec(RenderParams(resolution="640x360", fps=30), wide)
    assert (sized.width, sized.height, sized.fps) == (640, 360, 30)


def test_trim_tile_clamps_and_says_so(tmp_path: Path) -> None:
    ctx = tile_context(Settings(data_dir=tmp_path), tmp_path / "work")
    tl = source_timeline(A, info(4.0), start_ms=None, end_ms=None, name="x")
    tile = TrimTile()
    result = tile.run(ctx, tile.parse_params({"start_seconds": 1, "end_seconds": 10}), tl)
    assert duration_s(result.timelines[0]) == 3.0
    assert result.status_message is not None and "past the end" in result.status_message
    result = tile.run(ctx, tile.parse_params({"start_seconds": 1, "end_seconds": 2}), tl)
    assert clip_segments(result.timelines[0])[0].start_s == 1.0
    assert "past the end" not in (result.status_message or "")
    with pytest.raises(ValidationError, match="nothing would be left"):
        tile.run(ctx, tile.parse_params({"start_seconds": 4}), tl)
    assert tile.type_id == TRIM_TYPE_ID


def test_video_input_passes_the_source_through(tmp_path: Path) -> None:
    ctx = tile_context(Settings(data_dir=tmp_path), tmp_path / "work")
    tl = source_timeline(A, info(4.0), start_ms=500, end_ms=None, name="x")
    tile = VideoInputTile()
    result = tile.run(ctx, tile.parse_params({}), tl)
    assert result.timelines == [tl]
    with pytest.raises(PydanticError):
        tile.parse_params({"anything": 1})
