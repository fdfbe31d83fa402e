"""The agent graph's layout: layers by longest path, nothing overlapping, both orientations."""

from __future__ import annotations

from itertools import combinations

from tilework.web.graph import Box, NodeIn, layout

NODES = [NodeIn(name, name.title()) for name in ("input", "clips", "captions", "thumb", "render")]
EDGES = [("input", "clips"), ("clips", "captions"), ("clips", "thumb"), ("captions", "render")]


def overlap(a: Box, b: Box) -> bool:
    return a.x < b.x + b.w and b.x < a.x + a.w and a.y < b.y + b.h and b.y < a.y + a.h


def test_layers_follow_the_longest_path_left_to_right() -> None:
    drawing = layout(NODES, EDGES)
    x = {box.id: box.x for box in drawing.boxes}
    assert x["input"] < x["clips"] < x["captions"] < x["render"]
    assert x["thumb"] == x["captions"]  # both one step after clips
    assert len(drawing.edges) == len(EDGES)
    assert not any(overlap(a, b) for a, b in combinations(drawing.boxes, 2))
    assert all(b.x + b.w <= drawing.width and b.y + b.h <= drawing.height for b in drawing.boxes)
    assert drawing.description == "Input, Clips, Captions, Thumb, Render"


def test_vertical_layout_stacks_layers_top_to_bottom() -> None:
    drawing = layout(NODES, EDGES, vertical=True)
    y = {box.id: box.y for box in drawing.boxes}
    assert y["input"] < y["clips"] < y["captions"] < y["render"]
    assert drawing.height > drawing.width


def test_odd_input_never_hangs_or_breaks() -> None:
    cyclic = layout([NodeIn("a", "A"), NodeIn("b", "B")], [("a", "b"), ("b", "a"), ("a", "x")])
    assert {box.id for box in cyclic.boxes} == {"a", "b"}
    assert layout([], []).boxes == []
    long_name = layout([NodeIn("n", "A very long tile name indeed")], [])
    assert long_name.boxes[0].label.endswith("…") and len(long_name.boxes[0].label) == 20
