"""Intro / Outro: put uploaded videos before and after the programme, as cuts on the timeline.

Each intro/outro becomes whole-file clips on ``V1``/``A1`` built the way a run's input is
(``media.timeline.source_timeline``), so the render joins them like any other cut (a different
size is scaled and padded into the frame, a different rate converted, a silent one gets silence)
and the Premiere export shows them as clips of their own files.

An intro of another size or frame rate must not change the output frame, which the renderer
otherwise takes from the first clip: the tile pins the programme's frame as the timeline's render
hint (``metadata["tilework"]["render"]``) unless a tile such as reframe set one already.
"""

from __future__ import annotations

from typing import Any

import opentimelineio as otio
from pydantic import Field, model_validator

from tilework.errors import ValidationError
from tilework.media.compile import source_frame
from tilework.media.probe import MediaInfo, probe
from tilework.media.runner import FFmpegRunner
from tilework.media.timeline import (
    NAMESPACE,
    clip_segments,
    duration_s,
    plain,
    render_hints,
    source_timeline,
)
from tilework.tiles.base import Tile, TileContext, TileParams, TileResult

INTRO_OUTRO_TYPE_ID = "51d1ee5d-0137-4871-8114-64a45f9f699a"
MAX_CLIPS = 10


class IntroOutroParams(TileParams):
    intro_video_ids: list[str] = Field(
        default_factory=list,
        max_length=MAX_CLIPS,
        description="Uploaded videos (POST /uploads/video/...) played before the video, in order",
    )
    outro_video_ids: list[str] = Field(
        default_factory=list,
        max_length=MAX_CLIPS,
        description="Uploaded videos played after the video, in order",
    )

    @model_validator(mode="after")
    def _something_to_add(self) -> IntroOutroParams:
        if not self.intro_video_ids and not self.outro_video_ids:
            raise ValueError("give intro_video_ids, outro_video_ids or both")
        return self


def _tracks(tl: otio.schema.Timeline) -> tuple[otio.schema.Track, otio.schema.Track]:
    kinds = {track.kind: track for track in tl.tracks if isinstance(track, otio.schema.Track)}
    video, audio = kinds.get(otio.schema.TrackKind.Video), kinds.get(otio.schema.TrackKind.Audio)
    if video is None or audio is None:
        raise ValidationError("intro/outro: the timeline needs a video and an audio track")
    return video, audio


def pin_frame(tl: otio.schema.Timeline) -> None:
    """Record the programme's frame size and rate as render hints, keeping any already set."""
    hints: dict[str, Any] = dict(render_hints(tl))
    if not (isinstance(hints.get("width"), int) and isinstance(hints.get("height"), int)):
        hints["width"], hints["height"] = source_frame(tl)
    if not isinstance(hints.get("fps"), int | float):
        rates = [s.media_info.fps for s in clip_segments(tl) if s.media_info and s.media_info.fps]
        if rates:
            hints["fps"] = rates[0]
    namespace: dict[str, Any] = plain(tl.metadata).get(NAMESPACE, {})
    namespace["render"] = hints
    tl.metadata[NAMESPACE] = namespace


class IntroOutroTile(Tile):
    type_id = INTRO_OUTRO_TYPE_ID
    name = "Intro / Outro"
    slug = "intro-outro"
    params_model = IntroOutroParams
    docs_url = "https://tilework.dev/docs/tiles/intro-outro"
    params_docs_url = "https://tilework.dev/docs/tiles/intro-outro#api-info"

    def run(
        self, ctx: TileContext, params: TileParams, timeline: otio.schema.Timeline
    ) -> TileResult:
        assert isinstance(params, IntroOutroParams)
        intros = [self._pieces(ctx, v, f"intro {n}") for n, v in _numbered(params.intro_video_ids)]
        outros = [self._pieces(ctx, v, f"outro {n}") for n, v in _numbered(params.outro_video_ids)]
        edited = timeline.deepcopy()
        main_s = duration_s(edited)
        pin_frame(edited)
        video, audio = _tracks(edited)
        for picture, sound in reversed(intros):
            video.insert(0, picture)
            audio.insert(0, sound)
        for picture, sound in outros:
            video.append(picture)
            audio.append(sound)
        added = duration_s(edited) - main_s
        message = f"added {len(intros)} intro and {len(outros)} outro clip(s), {added:.2f} s"
        return TileResult(timelines=[edited], status_message=message)

    def _pieces(
        self, ctx: TileContext, video_id: str, label: str
    ) -> tuple[otio.core.Item, otio.core.Item]:
        """The picture clip and its audio twin (a gap when silent) of one uploaded video."""
        path, info = ctx.resolve_upload("video", video_id)
        if not path.is_file():
            raise ValidationError(f"video {video_id}: its file is missing from storage")
        media: MediaInfo = info if info is not None else probe(FFmpegRunner(ctx.settings), path)
        if not media.has_video:
            raise ValidationError(f"{label}: video {video_id} has no picture")
        source = source_timeline(path, media, start_ms=None, end_ms=None, name=label)
        picture, sound = (track[0] for track in _tracks(source))
        for item in (picture, sound):
            item.parent().remove(item)  # an item can sit in one track only
            item.name = label
        return picture, sound


def _numbered(ids: list[str]) -> list[tuple[int, str]]:
    return list(enumerate(ids, start=1))
