"""Render: turn a timeline into a file, the only place a video is encoded.

``render_timeline`` is shared by the Render tile and by the engine's implicit render of leaf
nodes: compile the whole timeline into one ffmpeg command (the plan shown to users), run it
with progress and abort, as its picture and its sound side by side (``media/compile.py``),
probe what came out, take a thumbnail, and zip the *edit* (cuts into the source media, not the
render) as FCP7 XML for Premiere. The tile then hands downstream nodes a fresh source timeline
over the rendered file, so they continue from the rendered media.
"""

from __future__ import annotations

import re
import uuid
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Literal

import opentimelineio as otio
from pydantic import Field, field_validator, model_validator

from tilework.analysis.cache import AnalysisCache
from tilework.media.compile import (
    RenderSpec,
    compile_render,
    mux_args,
    output_fps,
    output_size,
    source_frame,
)
from tilework.media.export import export_timeline_zip
from tilework.media.loudness import with_measured_loudness
from tilework.media.probe import MediaInfo, planned_fps, probe
from tilework.media.runner import FFmpegRunner
from tilework.media.thumbnail import extract_thumbnail, planned_thumbnail
from tilework.media.timeline import duration_s, source_timeline
from tilework.tiles.base import RenderedFiles, Tile, TileContext, TileParams, TileResult

RENDER_TYPE_ID = "c7a3e5d2-41f8-4b9e-a6d0-3f2b8e9c1a74"
# CRF per codec for each quality level: x265 and VP9 reach the same look at higher numbers.
QUALITY_CRF = {
    "h264": {"low": 28, "medium": 23, "high": 18},
    "h265": {"low": 32, "medium": 28, "high": 23},
    "vp9": {"low": 40, "medium": 33, "high": 27},
}
NAMED_RESOLUTIONS = {"480p": 480, "720p": 720, "1080p": 1080}  # the frame's shorter side
_SIZE = re.compile(r"^(\d{2,4})x(\d{2,4})$")
_BITRATE = re.compile(r"^(\d+(?:\.\d+)?)\s*([kKmM])$")
Preset = Literal[
    "ultrafast", "superfast", "veryfast", "faster", "fast", "medium", "slow", "slower", "veryslow"
]


class RenderParams(TileParams):
    resolution: str = Field(
        default="source", description='"source", "480p", "720p", "1080p" or "WIDTHxHEIGHT"'
    )
    fps: float | None = Field(default=None, gt=0, le=120, description="Output frame rate")
    quality: Literal["low", "medium", "high"] = "medium"
    preset: Preset = Field(
        default="veryfast",
        description="Speed/size trade-off (x264/x265 presets; mapped to libvpx speeds for vp9)",
    )
    codec: Literal["h264", "h265", "vp9"] = Field(
        default="h264", description="Video codec; the file is an MP4 (AAC audio) in every case"
    )
    crf: int | None = Field(
        default=None,
        ge=0,
        le=63,
        description="Constant quality, overriding quality (0-51 for h264/h265, 0-63 for vp9)",
    )
    bitrate: str | None = Field(
        default=None,
        description='Average video bitrate such as "4M" or "2500k" instead of constant quality',
    )

    @field_validator("bitrate")
    @classmethod
    def _bitrate_with_unit(cls, value: str | None) -> str | None:
        if value is None:
            return None
        match = _BITRATE.match(value.strip())
        if match is None or float(match.group(1)) <= 0:
            raise ValueError('bitrate must be a number with k or M, such as "4M" or "2500k"')
        # ffmpeg reads a lowercase m as "milli": normalise the unit.
        return match.group(1) + ("k" if match.group(2) in "kK" else "M")

    @model_validator(mode="after")
    def _one_rate_control(self) -> RenderParams:
        if self.crf is not None and self.bitrate is not None:
            raise ValueError("give either crf or bitrate, not both")
        if self.crf is not None and self.codec != "vp9" and self.crf > 51:
            raise ValueError(f"crf for {self.codec} must be between 0 and 51")
        return self

    @field_validator("resolution")
    @classmethod
    def _known_resolution(cls, value: str) -> str:
        value = value.strip().lower()
        if value == "source" or value in NAMED_RESOLUTIONS:
            return value
        match = _SIZE.match(value)
        if match is None:
            raise ValueError('resolution must be "source", "480p", "720p", "1080p" or WIDTHxHEIGHT')
        width, height = int(match.group(1)), int(match.group(2))
        if not (16 <= width <= 7680 and 16 <= height <= 4320):
            raise ValueError("resolution must be between 16x16 and 7680x4320")
        return value


def render_spec(params: RenderParams, timeline: otio.schema.Timeline) -> RenderSpec:
    """Params → encoder settings; "720p" sets the shorter side of the timeline's frame."""
    width: int | None = None
    height: int | None = None
    if params.resolution in NAMED_RESOLUTIONS:
        side = NAMED_RESOLUTIONS[params.resolution]
        frame_w, frame_h = source_frame(timeline)
        width, height = (None, side) if frame_w >= frame_h else (side, None)
    elif params.resolution != "source":
        width, height = (int(v) for v in params.resolution.split("x"))
    return RenderSpec(
        width=width,
        height=height,
        fps=params.fps,
        codec=params.codec,
        crf=params.crf if params.crf is not None else QUALITY_CRF[params.codec][params.quality],
        bitrate=params.bitrate,
        preset=params.preset,
    )


def render_timeline(
    ctx: TileContext, timeline: otio.schema.Timeline, params: RenderParams
) -> RenderedFiles:
    """Render ``timeline`` into a fresh folder of the task's work dir.

    The picture is encoded from the start; beside it, in a thread, the sound is measured
    (loudnorm pass 1, which only the sound needs) and rendered, and the Premiere zip (it needs
    nothing but the plan) is written. Then the two streams are put in one file by stream copy,
    and the output's probe and its thumbnail run side by side."""
    runner = FFmpegRunner(ctx.settings)
    folder = ctx.work_dir / f"render-{uuid.uuid4().hex[:8]}"
    folder.mkdir(parents=True)
    video = folder / "video.mp4"
    spec = render_spec(params, timeline)
    major = runner.ffmpeg_major()
    picture = compile_render(
        timeline, spec, folder / "picture.mp4", ffmpeg_major=major, part="picture"
    )
    width, height = output_size(timeline, spec)
    fps = planned_fps(output_fps(timeline, spec))
    edited_s = duration_s(timeline)
    with ThreadPoolExecutor(max_workers=2, thread_name_prefix="render-side") as side:
        timeline_zip = side.submit(
            export_timeline_zip,
            timeline,
            folder / "premiere_timeline.zip",
            width=width,
            height=height,
            fps=fps,
            captions_srt=picture.extra_files.get("captions_srt_url"),
        )
        sound = side.submit(_render_sound, ctx, runner, timeline, spec, folder / "sound.m4a")
        runner.run(picture.args, job=ctx.job, duration_s=edited_s, on_progress=ctx.progress)
        measured = sound.result()
        runner.run(mux_args(folder / "picture.mp4", folder / "sound.m4a", video, spec))
        for part in ("picture.mp4", "sound.m4a"):
            (folder / part).unlink()
        info = side.submit(probe, runner, video, "video", decode_check=False)  # ffmpeg wrote it
        # The plan shown to users: the one command that renders the same file. Compiling it
        # writes the captions' files again (the same bytes): not while the zip reads them.
        zipped = timeline_zip.result()
        whole = compile_render(measured, spec, video, ffmpeg_major=major)
        planned = planned_thumbnail(timeline)  # the Thumbnail tile's moment and title, if any
        thumbnail = extract_thumbnail(
            runner,
            video,
            folder / "thumbnail.jpg",
            at_s=min(1.0, edited_s / 2) if planned.at_s is None else planned.at_s,
            title=planned.title,
            title_place=planned.title_place,
            size=(width, height),
        )
        return RenderedFiles(
            video=video,
            thumbnail=thumbnail,
            timeline_zip=zipped,
            media_info=info.result().model_dump(mode="json"),
            ffmpeg_command=runner.command(whole.args),
            extra_files=whole.extra_files,
        )


def _render_sound(
    ctx: TileContext,
    runner: FFmpegRunner,
    timeline: otio.schema.Timeline,
    spec: RenderSpec,
    sound: Path,
) -> otio.schema.Timeline:
    """The edit's sound alone into ``sound`` (after loudnorm's pass 1 when audio enhance asks
    for it); returns the timeline carrying that measurement."""
    cache = AnalysisCache(ctx.settings.analysis_cache_dir)  # a re-run measures no sound again
    measured = with_measured_loudness(runner, timeline, job=ctx.job, cache=cache)  # pass 1
    compiled = compile_render(
        measured, spec, sound, ffmpeg_major=runner.ffmpeg_major(), part="sound"
    )
    runner.run(compiled.args, job=ctx.job)
    return measured


class RenderTile(Tile):
    type_id = RENDER_TYPE_ID
    name = "Render"
    slug = "render"
    params_model = RenderParams
    renders = True
    docs_url = "https://tilework.dev/docs/tiles/render"
    params_docs_url = "https://tilework.dev/docs/tiles/render#api-info"

    def run(
        self, ctx: TileContext, params: TileParams, timeline: otio.schema.Timeline
    ) -> TileResult:
        assert isinstance(params, RenderParams)
        files = render_timeline(ctx, timeline, params)
        info = MediaInfo.model_validate(files.media_info)
        rendered = source_timeline(
            files.video, info, start_ms=None, end_ms=None, name=timeline.name or "render"
        )
        return TileResult(
            timelines=[rendered],
            status_message=f"rendered {info.width}x{info.height}, {info.duration_s:.2f} s",
            rendered=files,
        )
