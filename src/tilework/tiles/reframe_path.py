"""The geometry of a reframe: crop sizes and a smooth crop path that follows the main face.

Pure functions over a ``FaceTrack`` so they can be tested without media. Everything is in source
seconds and source pixels (the picture as displayed), which is what the reframe fitter reads.

How the path is made, per source:

1. **Main face** per sample: the largest face, with a bonus for staying near the face picked at
   the previous sample, so two people in shot do not make the crop flip between them.
2. **Gaps** of up to ``MAX_GAP_S`` without a face are bridged (interpolated, or held at the ends);
   longer stretches drift to the centre of the picture (no face → centre crop).
3. A **median** over ``MEDIAN_SAMPLES`` drops single false detections.
4. A **dead zone** of ``DEAD_ZONE`` of the crop size: the camera holds still while the face moves
   a little (talking heads sway), and follows only what leaves the zone.
5. A centred **moving average** over ``smoothing`` seconds, applied twice (a triangular kernel):
   zero-phase, so the crop does not lag behind a walking subject, and eases in and out.
6. Clamped to the picture, then **simplified** to the fewest points that stay within
   ``TOLERANCE_PX`` of the smooth path (a still face gives two points).

A track analysed over several stretches of the source (Reframe analyses only its cuts) gets one
path per stretch (``span_paths``), and each cut is cut from the path of its stretch
(``cut_of``), so the filters never average across time that was not looked at.
"""

from __future__ import annotations

import itertools
import math
from dataclasses import dataclass
from fractions import Fraction

import numpy as np

from tilework.analysis.faces import FaceBox, FaceSample, FaceTrack

MAX_GAP_S = 1.5
MEDIAN_SAMPLES = 5
DEAD_ZONE = 0.05  # fraction of the crop's free side
TOLERANCE_PX = 1.0
CONTINUITY_BONUS = 2.0  # a face near the last pick counts as this many times larger
SHAPE_TOLERANCE = 0.01  # sources within 1% of the target aspect are left alone
SPAN_GAP_S = 1.0  # samples further apart than this belong to different analysed stretches

Point = tuple[float, float, float]  # (source seconds, crop x, crop y): top-left, source pixels


def parse_shape(shape: str) -> Fraction:
    """``"9:16"`` → Fraction(9, 16) (width over height)."""
    width, _, height = shape.partition(":")
    return Fraction(int(width), int(height))


def _floor_even(value: float | Fraction) -> int:
    return max(2, math.floor(value + 1e-6) // 2 * 2)


def same_shape(width: int, height: int, aspect: Fraction) -> bool:
    return abs(width / height - float(aspect)) <= SHAPE_TOLERANCE * float(aspect)


def crop_size(width: int, height: int, aspect: Fraction) -> tuple[int, int]:
    """The largest even ``aspect`` rectangle inside a ``width`` x ``height`` picture."""
    if width / height > aspect:
        return min(_floor_even(height * aspect), width), _floor_even(height)
    return _floor_even(width), min(_floor_even(width / aspect), height)


def fit_size(width: int, height: int, aspect: Fraction) -> tuple[int, int]:
    """The smallest even ``aspect`` frame holding the whole picture unscaled (zoom out)."""
    if width / height > aspect:
        return _floor_even(width), _floor_even(width / aspect + 1)
    return _floor_even(height * aspect + 1), _floor_even(height)


@dataclass(frozen=True)
class PathSettings:
    smoothing_s: float = 1.0
    dead_zone: float = DEAD_ZONE


def _pick_faces(track: FaceTrack) -> list[FaceBox | None]:
    """The main face of every sample: largest, preferring the one near the previous pick."""
    picked: list[FaceBox | None] = []
    last: FaceBox | None = None
    for sample in track.samples:
        if not sample.faces:
            picked.append(None)
            continue

        def weight(box: FaceBox, previous: FaceBox | None = last) -> float:
            near = previous is not None and (
                abs(box.center_x - previous.center_x) < max(box.w, previous.w)
                and abs(box.center_y - previous.center_y) < max(box.h, previous.h)
            )
            return box.area * (CONTINUITY_BONUS if near else 1.0)

        last = max(sample.faces, key=weight)
        picked.append(last)
    return picked


def _fill_gaps(times: np.ndarray, values: np.ndarray, centre: float) -> np.ndarray:
    """NaNs bridged over short gaps (interpolated or held), set to ``centre`` over long ones."""
    known = ~np.isnan(values)
    if not known.any():
        return np.full_like(values, centre)
    filled = np.asarray(np.interp(times, times[known], values[known]))  # holds the ends
    index = 0
    while index < len(values):
        if known[index]:
            index += 1
            continue
        end = index
        while end < len(values) and not known[end]:
            end += 1
        start_t = times[index - 1] if index > 0 else times[0]
        end_t = times[end] if end < len(values) else times[-1]
        if end_t - start_t > MAX_GAP_S:
            filled[index:end] = centre
        index = end
    return filled


def _extend(values: np.ndarray, count: int) -> np.ndarray:
    """``values`` with ``count`` samples added at each end, continuing the trend there (an odd
    reflection), so filters do not pull a moving subject's path back at the ends."""
    if len(values) < 2:
        return np.pad(values, count, mode="edge")
    return np.pad(values, count, mode="reflect", reflect_type="odd")


def _median(values: np.ndarray, window: int) -> np.ndarray:
    if len(values) < 3 or window < 3:
        return values
    half = window // 2
    padded = _extend(values, half)
    windows = np.lib.stride_tricks.sliding_window_view(padded, window)
    return np.asarray(np.median(windows, axis=1))


def _dead_zone(values: np.ndarray, zone: float) -> np.ndarray:
    """Hold still while the target stays within ``zone`` of the camera; else follow its edge."""
    if len(values) == 0:
        return values
    held = np.empty_like(values)
    camera = float(values[0])
    for index, target in enumerate(values):
        if target > camera + zone:
            camera = float(target) - zone
        elif target < camera - zone:
            camera = float(target) + zone
        held[index] = camera
    return held


def _moving_average(values: np.ndarray, window: int) -> np.ndarray:
    if window < 2 or len(values) < 2:
        return values
    half = window // 2
    kernel = np.ones(2 * half + 1) / (2 * half + 1)
    padded = _extend(values, half)
    return np.convolve(padded, kernel, mode="valid")


def _smooth_axis(
    times: np.ndarray, targets: np.ndarray, centre: float, zone: float, window: int
) -> np.ndarray:
    values = _fill_gaps(times, targets, centre)
    values = _median(values, MEDIAN_SAMPLES)
    values = _dead_zone(values, zone)
    return _moving_average(_moving_average(values, window), window)


def crop_path(
    track: FaceTrack, width: int, height: int, crop: tuple[int, int], settings: PathSettings
) -> list[Point]:
    """The crop's top-left corner over the whole source, simplified (see the module doc)."""
    crop_w, crop_h = crop
    if not track.samples:
        return [(0.0, (width - crop_w) / 2, (height - crop_h) / 2)]
    times = np.array([sample.t for sample in track.samples], dtype=np.float64)
    faces = _pick_faces(track)
    nan = float("nan")
    cx = np.array([f.center_x * width if f else nan for f in faces], dtype=np.float64)
    cy = np.array([f.center_y * height if f else nan for f in faces], dtype=np.float64)
    window = max(1, round(settings.smoothing_s * track.sample_hz))
    x = _smooth_axis(times, cx, width / 2, settings.dead_zone * crop_w, window) - crop_w / 2
    y = _smooth_axis(times, cy, height / 2, settings.dead_zone * crop_h, window) - crop_h / 2
    x = np.clip(x, 0, width - crop_w)
    y = np.clip(y, 0, height - crop_h)
    points = [(float(t), float(a), float(b)) for t, a, b in zip(times, x, y, strict=True)]
    return [(round(t, 3), round(a, 1), round(b, 1)) for t, a, b in simplify(points)]


def simplify(points: list[Point], tolerance: float = TOLERANCE_PX) -> list[Point]:
    """Ramer-Douglas-Peucker over time: drop points a straight line passes within tolerance."""
    if len(points) <= 2:
        return list(points)
    keep = [False] * len(points)
    keep[0] = keep[-1] = True
    stack = [(0, len(points) - 1)]
    while stack:
        first, last = stack.pop()
        worst, worst_error = -1, tolerance
        for index in range(first + 1, last):
            error = _deviation(points[first], points[last], points[index])
            if error > worst_error:
                worst, worst_error = index, error
        if worst >= 0:
            keep[worst] = True
            stack += [(first, worst), (worst, last)]
    return [point for point, flag in zip(points, keep, strict=True) if flag]


def _deviation(a: Point, b: Point, p: Point) -> float:
    """How far ``p`` is from the line a→b at p's time, in pixels."""
    span = b[0] - a[0]
    share = 0.0 if span <= 0 else (p[0] - a[0]) / span
    return max(abs(a[1] + (b[1] - a[1]) * share - p[1]), abs(a[2] + (b[2] - a[2]) * share - p[2]))


def value_at(points: list[Point], t: float) -> tuple[float, float]:
    """The crop corner at source time ``t`` (held before the first and after the last point)."""
    if t <= points[0][0]:
        return points[0][1], points[0][2]
    for before, after in itertools.pairwise(points):
        if t <= after[0]:
            span = after[0] - before[0]
            share = 0.0 if span <= 0 else (t - before[0]) / span
            return (
                before[1] + (after[1] - before[1]) * share,
                before[2] + (after[2] - before[2]) * share,
            )
    return points[-1][1], points[-1][2]


def cut_path(points: list[Point], start_s: float, end_s: float) -> list[Point]:
    """The part of ``points`` between two source times, with exact points at both ends."""
    inside = [p for p in points if start_s < p[0] < end_s]
    (x0, y0), (x1, y1) = value_at(points, start_s), value_at(points, end_s)
    first = (round(start_s, 3), round(x0, 1), round(y0, 1))
    last = (round(end_s, 3), round(x1, 1), round(y1, 1))
    return [first, *inside, last]


@dataclass(frozen=True)
class SpanPath:
    """The crop path over one analysed stretch of the source."""

    start: float
    end: float
    points: list[Point]


def span_paths(
    track: FaceTrack, width: int, height: int, crop: tuple[int, int], settings: PathSettings
) -> list[SpanPath]:
    """One crop path per run of samples without a gap longer than ``SPAN_GAP_S``."""
    runs: list[list[FaceSample]] = []
    for sample in track.samples:
        if runs and sample.t - runs[-1][-1].t <= SPAN_GAP_S:
            runs[-1].append(sample)
        else:
            runs.append([sample])
    return [
        SpanPath(
            run[0].t,
            run[-1].t,
            crop_path(track.model_copy(update={"samples": run}), width, height, crop, settings),
        )
        for run in runs
    ]


def cut_of(spans: list[SpanPath], start_s: float, end_s: float) -> list[Point]:
    """The path of a cut: from the stretch that overlaps it most (``[]`` with no stretch)."""
    if not spans:
        return []
    best = max(spans, key=lambda span: min(span.end, end_s) - max(span.start, start_s))
    return cut_path(best.points, start_s, end_s)
