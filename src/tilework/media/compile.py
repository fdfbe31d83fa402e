"""Compile a whole timeline into ONE ffmpeg command.

Tiles only edit timelines; the render is where files are made, in a single decode → filter →
encode pass so quality is lost once and the command can be shown to users as the render plan.
Each segment is read with accurate input seeking (``-ss``/``-t`` before ``-i``), fitted into the
output frame (by a fitter such as reframe's crop, else aspect kept and padded, ``setsar=1``),
brought to one frame rate and ``yuv420p``, given exactly its duration (video padded by cloning
the last frame, audio by silence, silence where the source has none) and joined with ``concat``.
Then the video and audio passes apply the timeline's effects in order (``media/graph.py``).
Output: H.264 (or H.265 tagged ``hvc1``, or VP9) + AAC 48 kHz stereo in MP4 with ``+faststart``.

ffmpeg 5.1's command line runs every filter graph in one thread, so in that one command the
sound's filters (loudnorm works at 192 kHz) wait on the picture's and the other way round. The
render therefore runs the same graph as two commands side by side, the picture alone
(``part="picture"``) and the sound alone (``part="sound"``), each with the inputs it needs, and
puts the two streams in one file by stream copy (``mux_args``): the streams are the very packets
the one command writes. The one command (``part="whole"``) stays the plan shown to users.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path
from typing import Literal

import opentimelineio as otio
from pydantic import BaseModel, ConfigDict, Field, model_validator

from tilework.errors import ValidationError
from tilework.media.graph import (
    AudioPass,
    FilterGraph,
    Frame,
    PassContext,
    SegmentFitter,
    VideoPass,
    add_segment_input,
    seconds_arg,
)
from tilework.media.passes.audio import enhance_audio
from tilework.media.passes.captions import captions_pass
from tilework.media.passes.music import music_pass
from tilework.media.passes.overlay import overlay_pass
from tilework.media.passes.reframe import reframe_fitter
from tilework.media.timeline import Segment, clip_segments, render_hints

Preset = Literal[
    "ultrafast", "superfast", "veryfast", "faster", "fast", "medium", "slow", "slower", "veryslow"
]
Codec = Literal["h264", "h265", "vp9"]
Part = Literal["whole", "picture", "sound"]  # what one command renders (see the docstring)
SCRIPT_THRESHOLD = 4000  # longer graphs go to a file (argv limits, readable commands)
DEFAULT_FPS = 25.0
SAMPLE_RATE = 48000

# Effects, in the order they apply (see media/graph.py). Tiles record effects on the timeline;
# each pass reads its own part of the timeline's metadata and adds filters when it is present.
SEGMENT_FITTERS: list[SegmentFitter] = [reframe_fitter]
VIDEO_PASSES: list[VideoPass] = [captions_pass, overlay_pass]
AUDIO_PASSES: list[AudioPass] = [enhance_audio, music_pass]


class RenderSpec(BaseModel):
    """How to encode. ``None`` sizes/fps mean "as the source" (one given: keep the aspect)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    width: int | None = Field(default=None, ge=16, le=7680)
    height: int | None = Field(default=None, ge=16, le=4320)
    fps: float | None = Field(default=None, gt=0, le=120)
    codec: Codec = "h264"
    crf: int = Field(default=23, ge=0, le=63)  # x264/x265 stop at 51, VP9 at 63
    bitrate: str | None = Field(default=None, pattern=r"^\d+(\.\d+)?[kM]$")  # replaces crf
    preset: Preset = "veryfast"
    audio_bitrate: str = Field(default="128k", pattern=r"^\d{2,3}k$")

    @model_validator(mode="after")
    def _crf_in_codec_range(self) -> RenderSpec:
        if self.codec != "vp9" and self.crf > 51:
            raise ValueError(f"crf for {self.codec} must be between 0 and 51")
        return self


def _even(value: float) -> int:
    return max(2, math.floor(value / 2 + 0.5) * 2)


def source_frame(tl: otio.schema.Timeline) -> tuple[int, int]:
    """The frame the timeline is cut for: its render hint, else its first clip's display size."""
    hints = render_hints(tl)
    if isinstance(hints.get("width"), int) and isinstance(hints.get("height"), int):
        return hints["width"], hints["height"]
    for segment in clip_segments(tl):
        info = segment.media_info
        if info is not None and info.width > 0 and info.height > 0:
            return info.width, info.height
    raise ValidationError("the timeline has no video clip to take a frame size from")


def output_size(tl: otio.schema.Timeline, spec: RenderSpec) -> tuple[int, int]:
    """Even output dimensions; a single given side keeps the source aspect."""
    base_w, base_h = source_frame(tl)
    if spec.width is not None and spec.height is not None:
        return _even(spec.width), _even(spec.height)
    if spec.height is not None:
        return _even(base_w * spec.height / base_h), _even(spec.height)
    if spec.width is not None:
        return _even(spec.width), _even(base_h * spec.width / base_w)
    return _even(base_w), _even(base_h)


def output_fps(tl: otio.schema.Timeline, spec: RenderSpec) -> str:
    """The output frame rate as an exact ffmpeg rational (29.97 → 30000/1001)."""
    rate = spec.fps or _hinted_fps(tl) or _first_clip_fps(tl) or DEFAULT_FPS
    fraction = Fraction(rate).limit_denominator(1001)
    return f"{fraction.numerator}/{fraction.denominator}"


def _hinted_fps(tl: otio.schema.Timeline) -> float | None:
    value = render_hints(tl).get("fps")
    return float(value) if isinstance(value, int | float) and 0 < value <= 120 else None


def _first_clip_fps(tl: otio.schema.Timeline) -> float | None:
    for segment in clip_segments(tl):
        if segment.media_info is not None and 0 < segment.media_info.fps <= 120:
            return segment.media_info.fps
    return None


def _fit_chain(source: str, frame: Frame) -> str:
    """The default fit: scale inside the frame keeping the aspect, pad with black."""
    return (
        f"{source}scale={frame.width}:{frame.height}:force_original_aspect_ratio=decrease,"
        f"pad={frame.width}:{frame.height}:(ow-iw)/2:(oh-ih)/2:color=black,setsar=1"
    )


def _video_chain(segment: Segment, source: str, frame: Frame, duration: str) -> str:
    fitted = next(
        (chain for fit in SEGMENT_FITTERS if (chain := fit(segment, frame, source)) is not None),
        _fit_chain(source, frame),
    )
    return (
        f"{fitted},fps={frame.fps},format=yuv420p,tpad=stop=-1:stop_mode=clone,"
        f"trim=duration={duration},setpts=PTS-STARTPTS"
    )


def audio_chain(source: str | None, duration: str) -> str:
    """One cut's sound as the render lays it out (silence for ``None``); loudness reuses it."""
    fmt = f"aformat=sample_fmts=fltp:sample_rates={SAMPLE_RATE}:channel_layouts=stereo"
    if source is None:
        return f"anullsrc=r={SAMPLE_RATE}:cl=stereo,{fmt},atrim=duration={duration}"
    return (
        f"{source}aresample={SAMPLE_RATE},{fmt},apad,atrim=duration={duration},asetpts=PTS-STARTPTS"
    )


def _gap_chain(frame: Frame, duration: str) -> str:
    return (
        f"color=c=black:s={frame.width}x{frame.height}:r={frame.fps}:d={duration},"
        "format=yuv420p,setsar=1"
    )


def _add_segment(graph: FilterGraph, segment: Segment, frame: Frame) -> tuple[str, str]:
    """Read one cut as a new input; returns the chains for its picture and its sound."""
    duration = seconds_arg(segment.duration_s)
    number = add_segment_input(graph, segment)
    if number is None:
        return _gap_chain(frame, duration), audio_chain(None, duration)
    has_audio = segment.media_info is not None and segment.media_info.has_audio
    video = _video_chain(segment, f"[{number}:v:0]", frame, duration)
    return video, audio_chain(f"[{number}:a:0]" if has_audio else None, duration)


def _concat_segments(
    graph: FilterGraph, segments: list[Segment], frame: Frame, part: Part = "whole"
) -> None:
    """Every cut, fitted to the frame, joined into ``[vcat]`` and ``[acat]`` (only the one of
    them ``part`` renders)."""
    picture, sound = part != "sound", part != "picture"
    pads = ""
    for index, segment in enumerate(segments):
        video, audio = _add_segment(graph, segment, frame)
        suffix = "" if len(segments) == 1 else str(index)
        if picture:
            graph.add(f"{video}[v{suffix or 'cat'}]")
            pads += f"[v{suffix}]"
        if sound:
            graph.add(f"{audio}[a{suffix or 'cat'}]")
            pads += f"[a{suffix}]"
    if len(segments) > 1:
        outputs = "[vcat]" * picture + "[acat]" * sound
        graph.add(f"{pads}concat=n={len(segments)}:v={int(picture)}:a={int(sound)}{outputs}")


def _apply_passes(ctx: PassContext, part: Part = "whole") -> tuple[str, str]:
    video, audio = "[vcat]", "[acat]"
    for video_pass in VIDEO_PASSES if part != "sound" else []:
        video = video_pass(ctx, video)
    for audio_pass in AUDIO_PASSES if part != "picture" else []:
        audio = audio_pass(ctx, audio)
    return video, audio


def _graph_args(graph: str, output: Path, ffmpeg_major: int) -> list[str]:
    if len(graph) <= SCRIPT_THRESHOLD:
        return ["-filter_complex", graph]
    script = output.parent / f"{output.stem}.filtergraph.txt"
    script.write_text(graph, encoding="utf-8")
    option = "-/filter_complex" if ffmpeg_major >= 7 else "-filter_complex_script"
    return [option, str(script.absolute())]


@dataclass(frozen=True)
class CompiledRender:
    args: list[str]  # ffmpeg arguments after the binary and the runner's global flags
    extra_files: dict[str, Path]  # files published with the render, by output field name


def compile_render(
    tl: otio.schema.Timeline,
    spec: RenderSpec,
    output: Path,
    *,
    ffmpeg_major: int = 5,
    part: Part = "whole",
) -> CompiledRender:
    """The ffmpeg command rendering ``tl`` to ``output`` (side files go next to it): the whole
    of it, or only its picture (an MP4 without sound) or only its sound (an M4A)."""
    segments = clip_segments(tl)
    if not any(segment.path is not None for segment in segments):
        raise ValidationError("the timeline has no clips to render")
    width, height = output_size(tl, spec)
    frame = Frame(width, height, output_fps(tl, spec))
    graph = FilterGraph()
    _concat_segments(graph, segments, frame, part)
    ctx = PassContext(
        timeline=tl,
        segments=segments,
        frame=frame,
        graph=graph,
        folder=output.parent,
        duration_s=sum(segment.duration_s for segment in segments),
    )
    video, audio = _apply_passes(ctx, part)  # the labels of the finished picture and sound
    picture = ["-map", video, *video_codec_args(spec)]
    sound = ["-map", audio, *audio_codec_args(spec)]
    if part == "picture":
        encode = [*picture, "-an"]
    elif part == "sound":
        encode = [*sound, "-vn"]
    else:
        encode = [*picture, *sound, "-movflags", "+faststart"]
    args = [
        *graph.inputs,
        *_graph_args(graph.script(), output, ffmpeg_major),
        *encode,
        str(output.absolute()),
    ]
    return CompiledRender(args, ctx.extra_files)


def audio_codec_args(spec: RenderSpec) -> list[str]:
    return ["-c:a", "aac", "-b:a", spec.audio_bitrate, "-ar", str(SAMPLE_RATE), "-ac", "2"]


def mux_args(picture: Path, sound: Path, output: Path, spec: RenderSpec) -> list[str]:
    """The picture-only and sound-only renders in one MP4, by stream copy (nothing re-encoded)."""
    tag = ["-tag:v", "hvc1"] if spec.codec == "h265" else []  # Apple players need hvc1
    return [
        *("-i", str(picture.absolute()), "-i", str(sound.absolute())),
        *("-map", "0:v:0", "-map", "1:a:0", "-c", "copy", *tag),
        *("-movflags", "+faststart", str(output.absolute())),
    ]


# libvpx-vp9 has no x264-style presets: map each to a deadline and a cpu-used speed (higher is
# faster). "realtime" with cpu-used 8 is what makes VP9 usable for tests and quick previews.
_VP9_SPEED: dict[str, tuple[str, int]] = {
    "ultrafast": ("realtime", 8),
    "superfast": ("realtime", 7),
    "veryfast": ("good", 5),
    "faster": ("good", 4),
    "fast": ("good", 3),
    "medium": ("good", 2),
    "slow": ("good", 1),
    "slower": ("good", 0),
    "veryslow": ("best", 0),
}


def video_codec_args(spec: RenderSpec) -> list[str]:
    """Encoder options for ``spec.codec``: quality by CRF, or an average bitrate when given."""
    if spec.codec == "vp9":
        deadline, cpu_used = _VP9_SPEED[spec.preset]
        # -b:v 0 with -crf is libvpx's constant-quality mode; a bitrate instead means ABR.
        rate = ["-b:v", spec.bitrate] if spec.bitrate else ["-b:v", "0", "-crf", str(spec.crf)]
        speed = ["-deadline", deadline, "-cpu-used", str(cpu_used), "-row-mt", "1"]
        return ["-c:v", "libvpx-vp9", *rate, *speed, "-pix_fmt", "yuv420p"]
    rate = ["-b:v", spec.bitrate] if spec.bitrate else ["-crf", str(spec.crf)]
    if spec.codec == "h265":
        # hvc1 is the sample entry Apple players (QuickTime, Safari, iOS) require for HEVC in MP4.
        extra = ["-tag:v", "hvc1", "-x265-params", "log-level=error"]
        return ["-c:v", "libx265", "-preset", spec.preset, *rate, *extra, "-pix_fmt", "yuv420p"]
    return ["-c:v", "libx264", "-preset", spec.preset, *rate, "-pix_fmt", "yuv420p"]
