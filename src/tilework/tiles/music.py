"""Music Bed: mix an uploaded music track under the whole output, ducked under speech.

The tile records the bed on the timeline (``timeline.metadata["tilework"]["music"]``, with the
audio file's absolute path); the render mixes it (``media/passes/music.py``). A timeline has one
music bed: a second Music Bed tile replaces the first.
"""

from __future__ import annotations

import opentimelineio as otio
from pydantic import Field

from tilework.errors import ValidationError
from tilework.media.passes.music import Ducking, MusicBed, music_of, set_music
from tilework.tiles.base import Tile, TileContext, TileParams, TileResult

MUSIC_TYPE_ID = "dc3f457e-efb3-4572-b8aa-85b92f0f1ac8"


class MusicParams(TileParams):
    audio_id: str = Field(
        min_length=1,
        description="An audio file uploaded with POST /uploads/audio/get_upload_url and finalized",
    )
    volume_db: float = Field(
        default=-12.0,
        ge=-60,
        le=12,
        description="Gain applied to the music file where nobody speaks, in dB (0 = as uploaded)",
    )
    ducking: Ducking = Field(
        default="medium",
        description='How far the music drops under speech: "off", "light", "medium", "strong"',
    )
    fade_in_s: float = Field(default=1.0, ge=0, le=30, description="Fade-in at the start, s")
    fade_out_s: float = Field(default=2.0, ge=0, le=30, description="Fade-out at the end, s")
    loop: bool = Field(
        default=True, description="Repeat the music when it is shorter than the video"
    )


class MusicTile(Tile):
    type_id = MUSIC_TYPE_ID
    name = "Music Bed"
    slug = "music"
    params_model = MusicParams
    docs_url = "https://tilework.dev/docs/tiles/music"
    params_docs_url = "https://tilework.dev/docs/tiles/music#api-info"

    def run(
        self, ctx: TileContext, params: TileParams, timeline: otio.schema.Timeline
    ) -> TileResult:
        assert isinstance(params, MusicParams)
        path, info = ctx.resolve_upload("audio", params.audio_id)
        if not path.is_file():
            raise ValidationError(f"audio {params.audio_id}: its file is missing from storage")
        if info is not None and not info.has_audio:
            raise ValidationError(f"audio {params.audio_id} has no audio stream")
        edited = timeline.deepcopy()
        replaced = music_of(edited) is not None
        bed = MusicBed(
            path=str(path.absolute()),
            volume_db=params.volume_db,
            ducking=params.ducking,
            fade_in_s=params.fade_in_s,
            fade_out_s=params.fade_out_s,
            loop=params.loop,
        )
        set_music(edited, bed)
        message = f"music at {params.volume_db:g} dB, ducking {params.ducking}"
        if replaced:
            message += " (replaces the earlier music bed)"
        return TileResult(timelines=[edited], status_message=message)
