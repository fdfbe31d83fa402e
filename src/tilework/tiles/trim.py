"""Trim: keep one range of the incoming timeline (timeline seconds, not source seconds).

A range reaching past the end is clamped and the status message says so; a range that leaves
nothing is a validation error, since an empty video cannot flow downstream.
"""

from __future__ import annotations

import opentimelineio as otio
from pydantic import Field, model_validator

from tilework.errors import ValidationError
from tilework.media.timeline import duration_s, trim
from tilework.tiles.base import Tile, TileContext, TileParams, TileResult

TRIM_TYPE_ID = "5b0f3c1e-8d2a-4c6b-9f47-2e8a61d0c3b5"


class TrimParams(TileParams):
    start_seconds: float = Field(default=0.0, ge=0, description="Start of the kept range, seconds")
    end_seconds: float | None = Field(
        default=None, description="End of the kept range, seconds (default: the end)"
    )

    @model_validator(mode="after")
    def _end_after_start(self) -> TrimParams:
        if self.end_seconds is not None and self.end_seconds <= self.start_seconds:
            raise ValueError("end_seconds must be greater than start_seconds")
        return self


class TrimTile(Tile):
    type_id = TRIM_TYPE_ID
    name = "Trim"
    slug = "trim"
    params_model = TrimParams
    docs_url = "https://tilework.dev/docs/tiles/trim"
    params_docs_url = "https://tilework.dev/docs/tiles/trim#api-info"

    def run(
        self, ctx: TileContext, params: TileParams, timeline: otio.schema.Timeline
    ) -> TileResult:
        assert isinstance(params, TrimParams)
        total = duration_s(timeline)
        if params.start_seconds >= total:
            raise ValidationError(
                f"trim: start_seconds ({params.start_seconds:g} s) is at or past the end of "
                f"the video ({total:.2f} s); nothing would be left"
            )
        end = params.end_seconds
        clamped = end is not None and end > total
        trimmed = trim(timeline, params.start_seconds, None if clamped else end)
        kept = duration_s(trimmed)
        start = params.start_seconds
        message = f"kept {start:g} to {start + kept:.2f} s ({kept:.2f} s)"
        if clamped:
            message += f"; end_seconds {end:g} s is past the end ({total:.2f} s), kept to the end"
        return TileResult(timelines=[trimmed], status_message=message)
