"""The pieces a render compiles into: one ffmpeg filter graph, built by passes.

``compile.py`` lays out the skeleton (one input per cut, each fitted to the output frame, then
``concat``); effects that tiles recorded on the timeline add themselves as *passes*:

- a ``SegmentFitter`` replaces the default "scale to fit and pad" of one cut's picture (reframe's
  moving crop, blurred zoom-out padding);
- a ``VideoPass``/``AudioPass`` takes the label of the concatenated picture/sound and returns the
  label of its output (captions burned in, a logo overlaid, loudness normalised, music mixed).

A pass that has nothing to do returns the label it was given. Passes may add inputs (a logo, a
music file) and write side files next to the output (an ASS script), and may publish files with
the render (``extra_files``: output field name → path, e.g. ``captions_srt_url``).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import opentimelineio as otio

from tilework.media.timeline import Segment


@dataclass(frozen=True)
class Frame:
    """The output picture: even width/height and an exact ffmpeg frame rate like ``30000/1001``."""

    width: int
    height: int
    fps: str


@dataclass
class FilterGraph:
    inputs: list[str] = field(default_factory=list)  # ffmpeg input arguments, in order
    chains: list[str] = field(default_factory=list)  # filter chains, joined with ";"
    input_count: int = 0
    _labels: int = 0

    def add_input(self, args: list[str]) -> int:
        """Append input arguments ending with ``-i FILE``; returns the input's index."""
        self.inputs += args
        self.input_count += 1
        return self.input_count - 1

    def label(self, prefix: str) -> str:
        """A fresh pad label such as ``[cap3]``."""
        self._labels += 1
        return f"[{prefix}{self._labels}]"

    def add(self, chain: str) -> None:
        self.chains.append(chain)

    def script(self) -> str:
        return ";".join(self.chains)


def seconds_arg(value: float) -> str:
    """Seconds as ffmpeg reads them: microsecond precision, no trailing zeros."""
    return f"{value:.6f}".rstrip("0").rstrip(".") or "0"


def add_segment_input(graph: FilterGraph, segment: Segment) -> int | None:
    """Read one cut as a new input (accurate ``-ss``/``-t`` seek); ``None`` for a gap."""
    if segment.path is None:
        return None
    return graph.add_input(
        [
            *("-ss", seconds_arg(segment.start_s), "-t", seconds_arg(segment.duration_s)),
            *("-i", str(Path(segment.path).absolute())),
        ]
    )


@dataclass
class PassContext:
    timeline: otio.schema.Timeline
    segments: list[Segment]
    frame: Frame
    graph: FilterGraph
    folder: Path  # where the output goes; side files (ASS, SRT) are written here
    duration_s: float
    extra_files: dict[str, Path] = field(default_factory=dict)


# (segment, frame, "[3:v:0]") -> a chain from that label up to a picture of exactly the frame
# size with square pixels, or None when the fitter does not apply to this segment.
SegmentFitter = Callable[[Segment, Frame, str], str | None]
VideoPass = Callable[[PassContext, str], str]
AudioPass = Callable[[PassContext, str], str]
