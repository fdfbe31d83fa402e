"""Logo Overlay: what the tile records on the timeline and the filters the render compiles."""

from __future__ import annotations

from pathlib import Path

import opentimelineio as otio
import pydantic
import pytest

from tests.support.media import info, tile_context
from tilework.config import Settings
from tilework.errors import ValidationError
from tilework.media.compile import RenderSpec, compile_render
from tilework.media.passes.overlay import overlays_of
from tilework.media.probe import MediaInfo
from tilework.media.timeline import source_timeline
from tilework.tiles.base import UploadKind, UploadResolver
from tilework.tiles.overlay import OverlayTile

A = Path("/media/a.mp4")
OUT = Path("/renders/out.mp4")


def resolver(path: Path) -> UploadResolver:
    def resolve(kind: UploadKind, upload_id: str) -> tuple[Path, MediaInfo | None]:
        if kind != "image" or upload_id != "img":
            raise ValidationError(f"no {kind} upload {upload_id}")
        return path, None

    return resolve


def run_overlay(
    settings: Settings, tmp_path: Path, *params: dict[str, object]
) -> otio.schema.Timeline:
    logo = tmp_path / "logo.png"
    logo.write_bytes(b"png")
    ctx = tile_context(settings, tmp_path / "work")
    ctx.resolve_upload = resolver(logo)
    tl = source_timeline(A, info(4.0), start_ms=None, end_ms=None, name="x")
    tile = OverlayTile()
    for raw in params:
        tl = tile.run(ctx, tile.parse_params({"image_id": "img", **raw}), tl).timelines[0]
    return tl


def graph_of(args: list[str]) -> str:
    return args[args.index("-filter_complex") + 1]


def test_the_tile_records_each_logo_and_leaves_its_input_alone(
    settings: Settings, tmp_path: Path
) -> None:
    tl = run_overlay(settings, tmp_path, {"position": "bottom-left"}, {"opacity": 0.4})
    first, second = overlays_of(tl)
    assert first.path == str(tmp_path / "logo.png") and first.position == "bottom-left"
    assert (first.scale, first.margin, first.opacity) == (0.15, 0.03, 1.0)
    assert second.position == "top-right" and second.opacity == 0.4
    untouched = source_timeline(A, info(4.0), start_ms=None, end_ms=None, name="x")
    assert overlays_of(untouched) == []


def test_the_render_adds_the_image_scaled_placed_and_faded(
    settings: Settings, tmp_path: Path
) -> None:
    tl = run_overlay(settings, tmp_path, {"scale": 0.25, "margin": 0.05, "opacity": 0.5})
    args = compile_render(tl, RenderSpec(), OUT).args
    assert args[args.index(str(tmp_path / "logo.png")) - 1] == "-i"
    assert "-loop" not in args  # one frame, held by eof_action=repeat
    graph = graph_of(args)
    assert "[1:v:0]scale=80:-1,format=rgba,colorchannelmixer=aa=0.500[logo" in graph
    assert "overlay=x=W-w-16:y=16:eof_action=repeat[ovl" in graph
    assert args[args.index("-map") + 1].startswith("[ovl")


def test_two_logos_chain_and_centre_has_no_margin(settings: Settings, tmp_path: Path) -> None:
    tl = run_overlay(settings, tmp_path, {"position": "center"}, {"position": "bottom-right"})
    graph = graph_of(compile_render(tl, RenderSpec(width=640), OUT).args)
    assert "overlay=x=(W-w)/2:y=(H-h)/2" in graph and "overlay=x=W-w-19:y=H-h-19" in graph
    assert "scale=96:-1,format=rgba[" in graph  # opaque: no colorchannelmixer


def test_no_logo_no_filter() -> None:
    tl = source_timeline(A, info(4.0), start_ms=None, end_ms=None, name="x")
    assert "overlay" not in graph_of(compile_render(tl, RenderSpec(), OUT).args)


def test_an_unknown_image_or_no_engine_is_a_clear_error(settings: Settings, tmp_path: Path) -> None:
    tile = OverlayTile()
    tl = source_timeline(A, info(4.0), start_ms=None, end_ms=None, name="x")
    bare = tile_context(settings, tmp_path)
    with pytest.raises(ValidationError, match="only be used inside a run"):
        tile.run(bare, tile.parse_params({"image_id": "img"}), tl)
    bare.resolve_upload = resolver(tmp_path / "gone.png")
    with pytest.raises(ValidationError, match="no image upload other"):
        tile.run(bare, tile.parse_params({"image_id": "other"}), tl)
    with pytest.raises(ValidationError, match="missing from storage"):
        tile.run(bare, tile.parse_params({"image_id": "img"}), tl)
    for bad in ({"scale": 0}, {"opacity": 1.5}, {"position": "middle"}, {}):
        with pytest.raises(pydantic.ValidationError):
            tile.parse_params({"image_id": "img", **bad} if bad else {})
