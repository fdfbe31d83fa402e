"""Reframe: change the picture's shape (9:16 for Shorts/Reels/TikTok) by following the main face.

Per source, faces are found at 5 Hz over the stretches its cuts use, not the whole file
(``analysis/face_track.py``, cached by content hash in chunks), and the track is stored on the
media references (``"faces"``). Per clip, a smoothed crop path in source seconds and pixels
(``tiles/reframe_path.py``) goes into ``clip.metadata["tilework"]["reframe"]`` and the output
frame into ``timeline.metadata["tilework"]["render"]``. Nothing is encoded here: the render's
reframe fitter (``media/passes/reframe.py``) crops along the path. A cut in which no face was
found is cropped in the centre, and the result's ``warning`` says which.

With ``zoom_out`` the whole picture is kept, fitted into the new shape over a blurred copy of
itself (or black), and no face detection runs.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Literal

import opentimelineio as otio
from pydantic import Field

from tilework.analysis.face_track import analyze_faces
from tilework.analysis.faces import FaceTrack
from tilework.errors import ValidationError
from tilework.media.passes.reframe import REFRAME_KEY, ReframeData
from tilework.media.probe import MediaInfo
from tilework.media.timeline import NAMESPACE, media_info_of, plain, video_track
from tilework.tiles.base import Tile, TileContext, TileParams, TileResult
from tilework.tiles.reframe_path import (
    PathSettings,
    SpanPath,
    crop_size,
    cut_of,
    fit_size,
    parse_shape,
    same_shape,
    span_paths,
)
from tilework.tiles.sources import set_analysis, source_references

REFRAME_TYPE_ID = "e3a6d6d2-a1c7-4892-8f97-c04cfac5ad03"
FACES_KEY = "faces"
LISTED_CUTS = 3  # faceless cuts named in the warning; more are counted
Shape = Literal["9:16", "1:1", "16:9", "4:5"]


class ReframeParams(TileParams):
    shape: Shape = Field(default="9:16", description="Output aspect ratio, width:height")
    zoom_out: bool = Field(
        default=False,
        description="Keep the whole picture, fitted into the new shape with padding, "
        "instead of cropping to follow the face",
    )
    padding: Literal["blur", "black"] = Field(
        default="blur",
        description='With zoom_out: fill around the picture with a blurred copy ("blur") or '
        '"black"',
    )
    smoothing: float = Field(
        default=1.0,
        ge=0,
        le=10,
        description="Seconds the crop path is averaged over; larger is calmer, 0 follows the "
        "face as detected (still with a small dead zone)",
    )


def _compact_track(track: FaceTrack) -> dict[str, Any]:
    """The face track as stored on the timeline: main face per sample, ``[t]`` when none."""
    samples: list[list[float]] = []
    for sample in track.samples:
        face = sample.main
        if face is None:
            samples.append([sample.t])
        else:
            samples.append([sample.t, face.x, face.y, face.w, face.h, face.score])
    return {
        "detector": track.detector,
        "sample_hz": track.sample_hz,
        "width": track.width,
        "height": track.height,
        "ranges": [list(span) for span in track.ranges],  # analysed source seconds
        "samples": samples,  # [t, x, y, w, h, score], fractions of the frame; [t] = no face
    }


def _set_clip_reframe(clip: otio.schema.Clip, data: ReframeData) -> None:
    namespace = plain(clip.metadata).get(NAMESPACE, {})
    namespace[REFRAME_KEY] = data.model_dump(mode="json")
    clip.metadata[NAMESPACE] = namespace


def _clear_clip_reframe(clip: otio.schema.Clip) -> bool:
    namespace = plain(clip.metadata).get(NAMESPACE, {})
    if REFRAME_KEY not in namespace:
        return False
    del namespace[REFRAME_KEY]
    clip.metadata[NAMESPACE] = namespace
    return True


def _clip_range(clip: otio.schema.Clip) -> tuple[float, float]:
    span = clip.trimmed_range()
    start = float(span.start_time.to_seconds())
    return start, start + float(span.duration.to_seconds())


class _Plan:
    """What the tile decides per source: crop geometry and path, or zoom-out fit."""

    def __init__(self, params: ReframeParams) -> None:
        self.params = params
        self.aspect = parse_shape(params.shape)
        self.frame: tuple[int, int] | None = None  # the output frame, from the first clip
        self.reframed = 0
        self.unchanged = 0
        self.cleared = False  # an earlier reframe was removed from a clip already in shape
        self.face_hits = 0  # samples inside the cuts with a face
        self.face_samples = 0
        self.faceless: list[str] = []  # the cuts with no face at all: "12.0-42.0 s of talk.mp4"

    def output_size(self, info: MediaInfo) -> tuple[int, int]:
        if self.params.zoom_out:
            return fit_size(info.width, info.height, self.aspect)
        return crop_size(info.width, info.height, self.aspect)

    def data_for(
        self, info: MediaInfo, path_points: list[tuple[float, float, float]]
    ) -> ReframeData:
        if self.params.zoom_out:
            return ReframeData(
                mode="fit",
                shape=self.params.shape,
                source_width=info.width,
                source_height=info.height,
                padding=self.params.padding,
            )
        crop_w, crop_h = crop_size(info.width, info.height, self.aspect)
        return ReframeData(
            mode="crop",
            shape=self.params.shape,
            source_width=info.width,
            source_height=info.height,
            crop_width=crop_w,
            crop_height=crop_h,
            points=path_points,
        )


class ReframeTile(Tile):
    type_id = REFRAME_TYPE_ID
    name = "Reframe"
    slug = "reframe"
    params_model = ReframeParams
    docs_url = "https://tilework.dev/docs/tiles/reframe"
    params_docs_url = "https://tilework.dev/docs/tiles/reframe#api-info"

    def run(
        self, ctx: TileContext, params: TileParams, timeline: otio.schema.Timeline
    ) -> TileResult:
        assert isinstance(params, ReframeParams)
        edited = timeline.deepcopy()
        plan = _Plan(params)
        clips = [item for item in video_track(edited) or [] if isinstance(item, otio.schema.Clip)]
        faces = self._faces(ctx, plan, list(source_references(edited)), clips)
        for clip in clips:  # the picture's clips; A1 is sound only
            self._reframe_clip(plan, clip, faces)
        ctx.progress(1.0, 0.0)
        if plan.reframed == 0 and plan.unchanged == 0:
            raise ValidationError("reframe: the timeline has no video picture to reframe")
        if plan.frame is None:
            if plan.cleared:
                _set_render_frame(edited, None)  # the earlier reframe's frame goes with it
            return TileResult(timelines=[edited], status_message=self._unchanged_message(plan))
        _set_render_frame(edited, plan.frame)
        return TileResult(
            timelines=[edited], status_message=self._message(plan), warning=self._warning(plan)
        )

    def _faces(
        self,
        ctx: TileContext,
        plan: _Plan,
        sources: list[tuple[Path, MediaInfo, list[otio.schema.ExternalReference]]],
        clips: list[otio.schema.Clip],
    ) -> dict[str, _SourceFaces]:
        """The face track and crop paths of every source that needs cropping (by URL), over
        the source ranges of the clips that show it."""
        ranges = _ranges_by_url(clips)
        found: dict[str, _SourceFaces] = {}
        for index, (path, info, references) in enumerate(sources):
            url = references[0].target_url
            if info.width <= 0 or info.height <= 0 or url not in ranges:
                continue  # no picture to reframe, or no clip of the picture track shows it
            if plan.params.zoom_out or same_shape(info.width, info.height, plan.aspect):
                continue

            def progress(fraction: float, _eta: float | None, base: int = index) -> None:
                ctx.progress(min(0.99, (base + fraction) / len(sources)), None)

            track = analyze_faces(
                ctx.settings, path, ranges=ranges[url], job=ctx.job, on_progress=progress
            )
            for reference in references:
                set_analysis(reference, FACES_KEY, _compact_track(track))
            crop = crop_size(info.width, info.height, plan.aspect)
            settings = PathSettings(smoothing_s=plan.params.smoothing)
            spans = span_paths(track, info.width, info.height, crop, settings)
            found[url] = _SourceFaces(path.name, track, spans)
        return found

    @staticmethod
    def _reframe_clip(plan: _Plan, clip: otio.schema.Clip, faces: dict[str, _SourceFaces]) -> None:
        reference = clip.media_reference
        if not isinstance(reference, otio.schema.ExternalReference):
            return
        info = media_info_of(reference)
        if info.width <= 0 or info.height <= 0:
            return
        if same_shape(info.width, info.height, plan.aspect):
            plan.unchanged += 1
            plan.cleared |= _clear_clip_reframe(clip)  # an earlier reframe no longer applies
            return
        start, end = _clip_range(clip)
        source = faces.get(reference.target_url)
        points = cut_of(source.spans, start, end) if source is not None else []
        _set_clip_reframe(clip, plan.data_for(info, points))
        plan.reframed += 1
        if plan.frame is None:
            plan.frame = plan.output_size(info)
        if source is not None:
            source.count_cut(plan, start, end)

    @staticmethod
    def _message(plan: _Plan) -> str:
        assert plan.frame is not None
        width, height = plan.frame
        how = f"zoomed out ({plan.params.padding} padding)" if plan.params.zoom_out else "cropped"
        message = f"{how} {plan.reframed} clip(s) to {plan.params.shape} ({width}x{height})"
        if not plan.params.zoom_out:
            share = plan.face_hits / plan.face_samples if plan.face_samples else 0.0
            message += f"; a face in {share:.0%} of sampled frames"
            if plan.face_hits == 0:
                message += " (centre crop)"
        if plan.unchanged:
            message += f"; {plan.unchanged} clip(s) already {plan.params.shape}, left as they are"
        return message

    @staticmethod
    def _unchanged_message(plan: _Plan) -> str:
        return f"the video is already {plan.params.shape}: passed through unchanged"

    @staticmethod
    def _warning(plan: _Plan) -> str | None:
        if not plan.faceless:
            return None
        named = ", ".join(plan.faceless[:LISTED_CUTS])
        more = len(plan.faceless) - LISTED_CUTS
        named += f" and {more} more" if more > 0 else ""
        return f"no face found in {len(plan.faceless)} of {plan.reframed} cut(s) ({named}): " + (
            "cropped in the centre"
        )


class _SourceFaces:
    """One source's face track and crop paths, and the count of faces in each cut of it."""

    def __init__(self, name: str, track: FaceTrack, spans: list[SpanPath]) -> None:
        self.name = name
        self.track = track
        self.spans = spans

    def count_cut(self, plan: _Plan, start: float, end: float) -> None:
        inside = [sample for sample in self.track.samples if start <= sample.t <= end]
        hits = sum(1 for sample in inside if sample.faces)
        plan.face_hits += hits
        plan.face_samples += len(inside)
        if inside and hits == 0:
            plan.faceless.append(f"{start:.1f}-{end:.1f} s of {self.name}")


def _ranges_by_url(clips: list[otio.schema.Clip]) -> dict[str, list[tuple[float, float]]]:
    """The source ranges (seconds) each source's clips use."""
    ranges: dict[str, list[tuple[float, float]]] = {}
    for clip in clips:
        if isinstance(clip.media_reference, otio.schema.ExternalReference):
            ranges.setdefault(clip.media_reference.target_url, []).append(_clip_range(clip))
    return ranges


def _set_render_frame(tl: otio.schema.Timeline, frame: tuple[int, int] | None) -> None:
    """Record the new frame as the timeline's render hint (keeping an ``fps`` hint); ``None``
    removes the size so the render goes back to the source's."""
    namespace = plain(tl.metadata).get(NAMESPACE, {})
    render = namespace.get("render", {})
    render = dict(render) if isinstance(render, dict) else {}
    if frame is None:
        render.pop("width", None)
        render.pop("height", None)
    else:
        render["width"], render["height"] = frame
    namespace["render"] = render
    tl.metadata[NAMESPACE] = namespace
