"""Where in a picture to look for faces: the whole of it, then overlapping tiles at a finer scale.

BlazeFace sees a ``INPUT`` x ``INPUT`` square and finds faces from about ``INPUT_MIN_FACE`` px of
that square up (the astronaut photo measured here: found from 11 px, scores above 0.7 from 13
px). Seen whole, a 1280x720 frame is shrunk 6.7 times, so only faces of about 107 px or more
are found; a 1920x1080 frame, faces of 160 px or more. To find every face of ``MIN_FACE_PX``
or more, the picture is also cut into squares of ``INPUT / fine_scale`` source pixels (480 px
for a 40 px face), each shrunk to the detector's input, where such a face is 16 px.

Neighbouring tiles overlap by the largest face the next coarser pass may miss, so every face too
small for it lies whole inside at least one tile. A larger face may be cut by a tile's edge, but
the coarser pass finds it. When that overlap would pass half a tile (frames over about 2.5K),
a tile pass at twice the coarse scale is put in between.

Tile counts from this layout: 320x180: none; 640x360: 2; 1280x720: 8; 1920x1080 and larger
(where the smallest face grows with the picture, ``smallest_face``): 18.
Everything here is pure geometry in source pixels.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

INPUT = 192  # BlazeFace full range's input side
INPUT_MIN_FACE = 16  # px of the input: the smallest face we count on finding
MIN_FACE_PX = 40  # source px: the smallest face Reframe promises to find, up to 1080p
MIN_FACE_SHARE = 40 / 1920  # above 1080p: a face of this share of the long side, as at 1080p
MAX_LEVEL_RATIO = 5  # above this scale ratio between passes, a pass goes in between


@dataclass(frozen=True)
class Window:
    """A square of the picture in source pixels; the part past the picture is black."""

    x: int
    y: int
    side: int

    def interior_edges(self, width: int, height: int) -> tuple[bool, bool, bool, bool]:
        """Which of the left, top, right and bottom edges cut through the picture."""
        return (
            self.x > 0,
            self.y > 0,
            self.x + self.side < width,
            self.y + self.side < height,
        )


@dataclass(frozen=True)
class Layout:
    """The windows to look at in a ``width`` x ``height`` picture."""

    width: int
    height: int
    whole: Window
    tiles: tuple[Window, ...]  # finest pass first
    fine_side: int  # side of the finest tiles, source px (0 without tiles)

    def around(self, center_x: float, center_y: float, face_px: float) -> Window:
        """One window of the finest pass centred on a face (larger for a large face), kept
        inside the picture: where to look for that face again a moment later."""
        side = min(max(self.fine_side, round(4 * face_px)), max(self.width, self.height))
        x = _clamp(round(center_x - side / 2), 0, max(0, self.width - side))
        y = _clamp(round(center_y - side / 2), 0, max(0, self.height - side))
        return Window(x, y, side)


def smallest_face(width: int, height: int) -> float:
    """The smallest face looked for: ``MIN_FACE_PX``, or the same share of the picture as at
    1080p for larger pictures (so a 4K frame costs what a 1080p frame does)."""
    return max(MIN_FACE_PX, MIN_FACE_SHARE * max(width, height))


def tile_layout(width: int, height: int, min_face_px: float | None = None) -> Layout:
    """The whole picture, and the tiles that bring faces of ``min_face_px`` (by default
    ``smallest_face``) to a size the detector finds."""
    whole_side = max(width, height)
    min_face_px = min_face_px or smallest_face(width, height)
    coarse = INPUT / whole_side
    tiles: list[Window] = []
    fine_side = 0
    for scale, coarser in _passes(INPUT_MIN_FACE / min_face_px, coarse):
        side = math.ceil(INPUT / scale)
        overlap = math.ceil(INPUT_MIN_FACE / coarser)  # largest face the coarser pass may miss
        fine_side = fine_side or side
        tiles += [
            Window(x, y, side)
            for y in _starts(height, side, overlap)
            for x in _starts(width, side, overlap)
        ]
    return Layout(width, height, Window(0, 0, whole_side), tuple(tiles), fine_side)


def _passes(fine: float, coarse: float) -> list[tuple[float, float]]:
    """(scale, next coarser scale) of each tile pass, finest first."""
    passes: list[tuple[float, float]] = []
    scale = fine
    while scale > coarse * 1.0001:
        coarser = coarse if scale / coarse <= MAX_LEVEL_RATIO else scale / 2
        passes.append((scale, coarser))
        scale = coarser
    return passes


def _starts(length: int, side: int, overlap: int) -> list[int]:
    """Evenly spread tile starts covering ``length`` with at least ``overlap`` between tiles."""
    if length <= side:
        return [0]
    count = math.ceil((length - side) / max(1, side - overlap)) + 1
    return [round(index * (length - side) / (count - 1)) for index in range(count)]


def _clamp(value: int, low: int, high: int) -> int:
    return max(low, min(high, value))
