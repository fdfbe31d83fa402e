"""Logo Overlay: put an uploaded image (a logo, a watermark) over the whole output.

The tile only records the logo on the timeline (``timeline.metadata["tilework"]["overlays"]``,
with the image's absolute path); the render burns it in (``media/passes/overlay.py``). Several
Logo Overlay tiles in a chain stack their logos. The logo covers the whole programme, intro and
outro included, because it is applied after the cuts are joined.
"""

from __future__ import annotations

import opentimelineio as otio
from pydantic import Field

from tilework.errors import ValidationError
from tilework.media.passes.overlay import LogoOverlay, Position, add_overlay
from tilework.tiles.base import Tile, TileContext, TileParams, TileResult

OVERLAY_TYPE_ID = "6e552e3a-fba8-4a55-807f-192ef119450b"


class OverlayParams(TileParams):
    image_id: str = Field(
        min_length=1,
        description="An image uploaded with POST /uploads/image/get_upload_url and finalized "
        "(PNG with transparency works best)",
    )
    position: Position = Field(default="top-right", description="Where the logo sits")
    margin: float = Field(
        default=0.03,
        ge=0,
        le=0.5,
        description="Gap between the logo and the frame's edges, as a fraction of the frame width",
    )
    scale: float = Field(
        default=0.15, gt=0, le=1, description="Logo width as a fraction of the frame width"
    )
    opacity: float = Field(default=1.0, gt=0, le=1, description="1 is opaque")


class OverlayTile(Tile):
    type_id = OVERLAY_TYPE_ID
    name = "Logo Overlay"
    slug = "overlay"
    params_model = OverlayParams
    docs_url = "https://tilework.dev/docs/tiles/overlay"
    params_docs_url = "https://tilework.dev/docs/tiles/overlay#api-info"

    def run(
        self, ctx: TileContext, params: TileParams, timeline: otio.schema.Timeline
    ) -> TileResult:
        assert isinstance(params, OverlayParams)
        path, _info = ctx.resolve_upload("image", params.image_id)
        if not path.is_file():
            raise ValidationError(f"image {params.image_id}: its file is missing from storage")
        edited = timeline.deepcopy()
        overlay = LogoOverlay(
            path=str(path.absolute()),
            position=params.position,
            margin=params.margin,
            scale=params.scale,
            opacity=params.opacity,
        )
        add_overlay(edited, overlay)
        message = f"logo {params.position}, {params.scale:.0%} of the width"
        return TileResult(timelines=[edited], status_message=message)
