"""Where faces are looked for: tile layouts that leave no face of 40 px or more unseen."""

from __future__ import annotations

import itertools

import pytest

from tilework.analysis.face_tiles import (
    INPUT,
    INPUT_MIN_FACE,
    MIN_FACE_PX,
    Window,
    smallest_face,
    tile_layout,
)


@pytest.mark.parametrize(
    ("size", "tiles"),
    [
        ((320, 180), 0),  # the whole picture already shows a 40 px face at 24 px
        ((640, 360), 2),
        ((1280, 720), 8),
        ((1920, 1080), 18),
        ((1080, 1920), 18),
        ((3840, 2160), 18),  # above 1080p the smallest face grows with the picture
    ],
)
def test_tile_counts(size: tuple[int, int], tiles: int) -> None:
    assert len(tile_layout(*size).tiles) == tiles


def contains(window: Window, x: float, y: float, side: float) -> bool:
    return (
        window.x <= x
        and window.y <= y
        and x + side <= window.x + window.side
        and y + side <= window.y + window.side
    )


@pytest.mark.parametrize("size", [(640, 360), (1280, 720), (1920, 1080), (1080, 1920)])
def test_every_face_the_whole_picture_may_miss_lies_whole_in_a_tile_that_shows_it_big_enough(
    size: tuple[int, int],
) -> None:
    width, height = size
    layout = tile_layout(width, height)
    whole_finds = INPUT_MIN_FACE * max(width, height) / INPUT  # smallest face seen whole
    for face in (MIN_FACE_PX, (MIN_FACE_PX + whole_finds) / 2, whole_finds):
        for x, y in itertools.product(range(0, width, 7), range(0, height, 7)):
            x, y = min(x, width - face), min(y, height - face)
            holders = [t for t in layout.tiles if contains(t, x, y, face)]
            assert holders, f"a {face:.0f} px face at ({x}, {y}) is in no tile"
            assert face * INPUT / holders[0].side >= INPUT_MIN_FACE - 1e-6


@pytest.mark.parametrize("size", [(1280, 720), (1920, 1080)])
def test_tiles_stay_inside_the_picture_and_cover_it(size: tuple[int, int]) -> None:
    width, height = size
    layout = tile_layout(width, height)
    assert layout.whole == Window(0, 0, width)
    assert all(t.x >= 0 and t.y >= 0 for t in layout.tiles)
    assert all(t.x + t.side <= width and t.y + t.side <= height for t in layout.tiles)
    assert max(t.x + t.side for t in layout.tiles) == width
    assert max(t.y + t.side for t in layout.tiles) == height
    corner = layout.tiles[0]
    assert corner.interior_edges(width, height) == (False, False, True, True)


def test_the_window_around_a_face_is_a_fine_tile_kept_inside_the_picture() -> None:
    layout = tile_layout(1280, 720)
    assert layout.around(640, 360, 50) == Window(400, 120, 480)
    assert layout.around(10, 700, 50) == Window(0, 240, 480)  # clamped at the corner
    # a large face gets a larger window, past the bottom of the picture (black) if need be
    assert layout.around(1270, 10, 200) == Window(480, 0, 800)


def test_the_smallest_face_is_40_px_up_to_1080p_then_a_share_of_the_picture() -> None:
    assert smallest_face(1280, 720) == smallest_face(1920, 1080) == MIN_FACE_PX
    assert smallest_face(3840, 2160) == 2 * MIN_FACE_PX
