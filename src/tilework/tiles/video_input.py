"""Mosaic's Video Input tile: the entry point a run's inputs feed.

The engine builds the input's source timeline itself (``media.timeline.source_timeline``, with
the run's ``input_clip_start_ms``/``input_clip_end_ms``); this tile only checks that what it got
is a playable edit and passes it on, so Mosaic agents keep their familiar first node.
"""

from __future__ import annotations

import opentimelineio as otio

from tilework.errors import ValidationError
from tilework.media.timeline import clip_segments, duration_s
from tilework.tiles.base import Tile, TileContext, TileParams, TileResult

VIDEO_INPUT_TYPE_ID = "9451e6ff-ac7f-4317-9055-a2f35f641b29"


class VideoInputTile(Tile):
    type_id = VIDEO_INPUT_TYPE_ID
    name = "Video Input"
    slug = "video-input"
    is_input = True
    docs_url = "https://tilework.dev/docs/tiles/video-input"
    params_docs_url = "https://tilework.dev/docs/tiles/video-input#api-info"

    def run(
        self, ctx: TileContext, params: TileParams, timeline: otio.schema.Timeline
    ) -> TileResult:
        segments = clip_segments(timeline)
        if not any(segment.path is not None for segment in segments):
            raise ValidationError("the video input has no clip")
        seconds = duration_s(timeline)
        if seconds <= 0:
            raise ValidationError("the video input is empty")
        return TileResult(timelines=[timeline], status_message=f"input: {seconds:.2f} s")
