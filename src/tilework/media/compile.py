"""Compile a whole timeline into ONE ffmpeg command.

Tiles only edit timelines; the render is where files are made, in a single decode → filter →
encode pass so quality is lost once and the command can be shown to users as the render plan.
Each segment is read with accurate input seeking (``-ss``/``-t`` before ``-i``), fitted into the
output frame (aspect kept, padded, ``setsar=1``), brought to one frame rate and ``yuv420p``,
given exactly its duration (video padded by cloning the last frame, audio by silence, silence
where the source has none) and joined with the ``concat`` filter. Output: H.264 + AAC 48 kHz
stereo with ``+faststart``.
"""

from __future__ import annotations

import math
from fractions import Fraction
from pathlib import Path
from typing import Literal

import opentimelineio as otio
from pydantic import BaseModel, ConfigDict, Field

from tilework.errors import ValidationError
from tilework.media.timeline import Segment, clip_segments, render_hints

Preset = Literal[
    "ultrafast", "superfast", "veryfast", "faster", "fast", "medium", "slow", "slower", "veryslow"
]
SCRIPT_THRESHOLD = 4000  # longer graphs go to a file (argv limits, readable commands)
DEFAULT_FPS = 25.0
SAMPLE_RATE = 48000


class RenderSpec(BaseModel):
    """How to encode. ``None`` sizes/fps mean "as the source" (one given: keep the aspect)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    width: int | None = Field(default=None, ge=16, le=7680)
    height: int | None = Field(default=None, ge=16, le=4320)
    fps: float | None = Field(default=None, gt=0, le=120)
    crf: int = Field(default=23, ge=0, le=51)
    preset: Preset = "veryfast"
    audio_bitrate: str = Field(default="128k", pattern=r"^\d{2,3}k$")


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


def _seconds(value: float) -> str:
    return f"{value:.6f}".rstrip("0").rstrip(".") or "0"


def _video_chain(source: str, width: int, height: int, fps: str, duration: str) -> str:
    return (
        f"{source}scale={width}:{height}:force_original_aspect_ratio=decrease,"
        f"pad={width}:{height}:(ow-iw)/2:(oh-ih)/2:color=black,setsar=1,fps={fps},"
        f"format=yuv420p,tpad=stop=-1:stop_mode=clone,trim=duration={duration},"
        "setpts=PTS-STARTPTS"
    )


def _audio_chain(source: str | None, duration: str) -> str:
    fmt = f"aformat=sample_fmts=fltp:sample_rates={SAMPLE_RATE}:channel_layouts=stereo"
    if source is None:
        return f"anullsrc=r={SAMPLE_RATE}:cl=stereo,{fmt},atrim=duration={duration}"
    return (
        f"{source}aresample={SAMPLE_RATE},{fmt},apad,atrim=duration={duration},asetpts=PTS-STARTPTS"
    )


def _gap_chain(width: int, height: int, fps: str, duration: str) -> str:
    return f"color=c=black:s={width}x{height}:r={fps}:d={duration},format=yuv420p,setsar=1"


def _segment_chains(
    segment: Segment, number: int, width: int, height: int, fps: str
) -> tuple[list[str], str, str]:
    """(input args, video chain, audio chain) of one segment read as input ``number``."""
    duration = _seconds(segment.duration_s)
    if segment.path is None:
        return [], _gap_chain(width, height, fps, duration), _audio_chain(None, duration)
    args = ["-ss", _seconds(segment.start_s), "-t", duration, "-i", str(segment.path.absolute())]
    has_audio = segment.media_info is not None and segment.media_info.has_audio
    video = _video_chain(f"[{number}:v:0]", width, height, fps, duration)
    return args, video, _audio_chain(f"[{number}:a:0]" if has_audio else None, duration)


def _inputs_and_graph(
    segments: list[Segment], width: int, height: int, fps: str
) -> tuple[list[str], str]:
    inputs: list[str] = []
    chains: list[str] = []
    pads = ""
    number = 0
    for index, segment in enumerate(segments):
        args, video, audio = _segment_chains(segment, number, width, height, fps)
        number += 1 if args else 0
        inputs += args
        if len(segments) == 1:
            chains += [f"{video}[vout]", f"{audio}[aout]"]
        else:
            chains += [f"{video}[v{index}]", f"{audio}[a{index}]"]
            pads += f"[v{index}][a{index}]"
    if len(segments) > 1:
        chains.append(f"{pads}concat=n={len(segments)}:v=1:a=1[vout][aout]")
    return inputs, ";".join(chains)


def _graph_args(graph: str, output: Path, ffmpeg_major: int) -> list[str]:
    if len(graph) <= SCRIPT_THRESHOLD:
        return ["-filter_complex", graph]
    script = output.parent / f"{output.stem}.filtergraph.txt"
    script.write_text(graph, encoding="utf-8")
    option = "-/filter_complex" if ffmpeg_major >= 7 else "-filter_complex_script"
    return [option, str(script.absolute())]


def compile_render(
    tl: otio.schema.Timeline, spec: RenderSpec, output: Path, *, ffmpeg_major: int = 5
) -> list[str]:
    """ffmpeg arguments (after the binary and the runner's global flags) rendering ``tl``."""
    segments = clip_segments(tl)
    if not any(segment.path is not None for segment in segments):
        raise ValidationError("the timeline has no clips to render")
    width, height = output_size(tl, spec)
    fps = output_fps(tl, spec)
    inputs, graph = _inputs_and_graph(segments, width, height, fps)
    return [
        *inputs,
        *_graph_args(graph, output, ffmpeg_major),
        *("-map", "[vout]", "-map", "[aout]"),
        *("-c:v", "libx264", "-preset", spec.preset, "-crf", str(spec.crf), "-pix_fmt", "yuv420p"),
        *("-c:a", "aac", "-b:a", spec.audio_bitrate, "-ar", str(SAMPLE_RATE), "-ac", "2"),
        *("-movflags", "+faststart", str(output.absolute())),
    ]
