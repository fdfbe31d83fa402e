"""The reframe fitter: a cut's picture cropped along its face path, or fitted over a blurred fill.

The Reframe tile stores per clip, under ``clip.metadata["tilework"]["reframe"]`` (``ReframeData``):

- ``mode="crop"``: a crop of ``crop_width`` x ``crop_height`` source pixels whose top-left corner
  moves along ``points`` (``[source seconds, x, y]``, linear in between). Each cut is read with
  ``-ss`` before ``-i``, so its frames start at ``t=0`` at the cut's ``start_s``: the points are
  shifted into that segment-local time and turned into one piecewise-linear ``x``/``y`` expression
  for ``crop`` (a balanced tree of ``if(lt(t,..))``, so a frame costs log2(points) comparisons).
  The crop is then scaled into the frame.
- ``mode="fit"`` (zoom out): the whole picture, scaled to fit the frame, over a blurred copy of
  itself scaled to fill it (``padding="blur"``), or over black (``padding="black"``).

Segments without reframe data are left to the next fitter (``None``).
"""

from __future__ import annotations

import re
from typing import Literal

from pydantic import BaseModel, Field
from pydantic import ValidationError as PydanticError

from tilework.errors import ValidationError
from tilework.media.graph import Frame
from tilework.media.timeline import Segment

REFRAME_KEY = "reframe"
BLUR_DOWNSCALE = 4  # the blurred fill is blurred at a quarter of the frame size (cheap)


class ReframeData(BaseModel):
    """What the Reframe tile stores on a clip (source seconds and source pixels)."""

    mode: Literal["crop", "fit"]
    shape: str  # "9:16", for people reading the timeline
    source_width: int = Field(gt=0)
    source_height: int = Field(gt=0)
    crop_width: int = 0
    crop_height: int = 0
    points: list[tuple[float, float, float]] = Field(default_factory=list)
    padding: Literal["blur", "black"] = "blur"


def _num(value: float) -> str:
    text = f"{value:.3f}".rstrip("0").rstrip(".")
    text = "0" if text in ("", "-0") else text
    return f"({text})" if text.startswith("-") else text


def local_points(
    points: list[tuple[float, float, float]], start_s: float, duration_s: float
) -> list[tuple[float, float, float]]:
    """The points that matter to a cut, in cut-local seconds (``t=0`` at ``start_s``).

    Points before the cut are dropped except the last one (it sets where the cut starts), and
    likewise after the end; the expression interpolates between whatever remains.
    """
    ordered = sorted(points)
    end_s = start_s + duration_s
    before = [p for p in ordered if p[0] <= start_s][-1:]
    after = [p for p in ordered if p[0] >= end_s][:1]
    inside = [p for p in ordered if start_s < p[0] < end_s]
    kept = before + inside + [p for p in after if p not in before]
    return [(round(t - start_s, 3), x, y) for t, x, y in kept]


def piecewise_expression(knots: list[tuple[float, float]]) -> str:
    """An ffmpeg expression in ``t`` through ``(time, value)`` knots, held beyond the ends."""
    if not knots:
        raise ValueError("a piecewise expression needs at least one knot")
    values = {value for _, value in knots}
    if len(knots) == 1 or len(values) == 1:
        return _num(knots[0][1])
    return _tree(knots)


def _tree(knots: list[tuple[float, float]]) -> str:
    if len(knots) == 2:
        (t0, v0), (t1, v1) = knots
        if t1 <= t0 or v0 == v1:
            return _num(v0)
        slope = (v1 - v0) / (t1 - t0)
        return f"{_num(v0)}+{slope:.6f}*(clip(t,{_num(t0)},{_num(t1)})-{_num(t0)})"
    middle = len(knots) // 2
    split = _num(knots[middle][0])
    return f"if(lt(t,{split}),{_tree(knots[: middle + 1])},{_tree(knots[middle:])})"


def _label_suffix(source: str) -> str:
    """A label-safe id from the input label (``[3:v:0]`` → ``3``), unique per segment."""
    return "_".join(re.findall(r"\d+", source)) or "x"


def _fit_into_frame(frame: Frame) -> str:
    return (
        f"scale={frame.width}:{frame.height}:force_original_aspect_ratio=decrease,"
        f"pad={frame.width}:{frame.height}:(ow-iw)/2:(oh-ih)/2:color=black,setsar=1"
    )


def _crop_chain(data: ReframeData, segment: Segment, frame: Frame, source: str) -> str:
    if not data.points or data.crop_width <= 0 or data.crop_height <= 0:
        raise ValidationError("reframe: a crop without a path or a size on the timeline")
    points = local_points(data.points, segment.start_s, segment.duration_s)
    x = piecewise_expression([(t, px) for t, px, _ in points])
    y = piecewise_expression([(t, py) for t, _, py in points])
    return (
        f"{source}crop=w={data.crop_width}:h={data.crop_height}:x='{x}':y='{y}':exact=1,"
        f"{_fit_into_frame(frame)}"
    )


def _even(value: float) -> int:
    return max(2, round(value / 2) * 2)


def _zoom_out_chain(data: ReframeData, frame: Frame, source: str) -> str:
    if data.padding == "black":
        return f"{source}{_fit_into_frame(frame)}"
    n = _label_suffix(source)
    small_w, small_h = _even(frame.width / BLUR_DOWNSCALE), _even(frame.height / BLUR_DOWNSCALE)
    radius = max(2, min(small_w, small_h) // 12)
    fill = (
        f"[rfa{n}]scale={small_w}:{small_h}:force_original_aspect_ratio=increase,"
        f"crop={small_w}:{small_h},boxblur={radius}:2,"
        f"scale={frame.width}:{frame.height},setsar=1[rfbg{n}]"
    )
    picture = (
        f"[rfb{n}]scale={frame.width}:{frame.height}:force_original_aspect_ratio=decrease,"
        f"setsar=1[rffg{n}]"
    )
    return (
        f"{source}split=2[rfa{n}][rfb{n}];{fill};{picture};"
        f"[rfbg{n}][rffg{n}]overlay=(W-w)/2:(H-h)/2,setsar=1"
    )


def reframe_fitter(segment: Segment, frame: Frame, source: str) -> str | None:
    """The ``SegmentFitter`` for reframed clips (``None`` for clips the tile did not touch)."""
    raw = segment.clip_metadata.get(REFRAME_KEY)
    if not isinstance(raw, dict):
        return None
    try:
        data = ReframeData.model_validate(raw)
    except PydanticError as exc:
        raise ValidationError(f"reframe: the clip's reframe data is not valid: {exc}") from exc
    if data.mode == "fit":
        return _zoom_out_chain(data, frame, source)
    return _crop_chain(data, segment, frame, source)
