"""An agent's graph laid out for an SVG drawing: layers by longest path, order by barycentre.

Each node goes into the layer one past its deepest parent; within a layer, nodes are ordered by
the mean position of their parents (then children) over a few sweeps, which untangles the small
graphs agents are. ``layout(..., vertical=True)`` stacks the layers top to bottom for narrow
screens. Pure geometry: the template draws it.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass

BOX_W, BOX_H = 168, 52
GAP_LAYER, GAP_ROW = 56, 22
PAD = 12
LABEL_CHARS = 20  # what fits in a box at the drawing's font size
DETAIL_CHARS = 24  # the parameters line, in a smaller font


@dataclass(frozen=True)
class NodeIn:
    id: str
    label: str
    detail: str = ""


@dataclass(frozen=True)
class Box:
    id: str
    label: str
    detail: str
    x: int
    y: int
    w: int = BOX_W
    h: int = BOX_H

    @property
    def cx(self) -> int:
        return self.x + self.w // 2

    @property
    def cy(self) -> int:
        return self.y + self.h // 2


@dataclass(frozen=True)
class Drawing:
    width: int
    height: int
    boxes: list[Box]
    edges: list[str]  # SVG path data, one per connection

    @property
    def description(self) -> str:
        """The graph in words, for the drawing's accessible name."""
        names = {box.id: box.label for box in self.boxes}
        return ", ".join(names.values()) if self.boxes else "empty"


def layout(nodes: list[NodeIn], edges: list[tuple[str, str]], *, vertical: bool = False) -> Drawing:
    ids = [node.id for node in nodes]
    known = set(ids)
    edges = [(s, t) for s, t in edges if s in known and t in known]
    layers = _order(_layers(ids, edges), edges)
    place = _positions(layers, vertical)
    by_id = {node.id: node for node in nodes}
    boxes = [
        Box(
            node_id,
            _short(by_id[node_id].label, LABEL_CHARS),
            _short(by_id[node_id].detail, DETAIL_CHARS),
            *place[node_id],
        )
        for layer in layers
        for node_id in layer
    ]
    spans = [len(layer) for layer in layers] or [0]
    depth = len(layers)
    along = PAD * 2 + depth * BOX_W + max(depth - 1, 0) * GAP_LAYER
    across = PAD * 2 + max(spans) * BOX_H + max(max(spans) - 1, 0) * GAP_ROW
    if vertical:
        along = PAD * 2 + depth * BOX_H + max(depth - 1, 0) * GAP_LAYER
        across = PAD * 2 + max(spans) * BOX_W + max(max(spans) - 1, 0) * GAP_ROW
        width, height = across, along
    else:
        width, height = along, across
    boxes_by_id = {box.id: box for box in boxes}
    paths = [_edge(boxes_by_id[s], boxes_by_id[t], vertical) for s, t in edges]
    return Drawing(max(width, 1), max(height, 1), boxes, paths)


def _layers(ids: list[str], edges: list[tuple[str, str]]) -> list[list[str]]:
    parents: dict[str, list[str]] = defaultdict(list)
    for source, target in edges:
        parents[target].append(source)
    depth: dict[str, int] = {}

    def depth_of(node: str, seen: frozenset[str]) -> int:
        if node not in depth:
            # ``seen`` guards against a cycle (agents are acyclic; a drawing must never hang)
            ups = [depth_of(p, seen | {node}) for p in parents[node] if p not in seen]
            depth[node] = 1 + max(ups) if ups else 0
        return depth[node]

    layers: dict[int, list[str]] = defaultdict(list)
    for node in ids:
        layers[depth_of(node, frozenset())].append(node)
    return [layers[index] for index in sorted(layers)]


def _order(layers: list[list[str]], edges: list[tuple[str, str]]) -> list[list[str]]:
    parents: dict[str, list[str]] = defaultdict(list)
    children: dict[str, list[str]] = defaultdict(list)
    for source, target in edges:
        parents[target].append(source)
        children[source].append(target)
    for _ in range(2):
        for index in range(1, len(layers)):
            layers[index] = _by_barycentre(layers[index], layers[index - 1], parents)
        for index in range(len(layers) - 2, -1, -1):
            layers[index] = _by_barycentre(layers[index], layers[index + 1], children)
    return layers


def _by_barycentre(
    layer: list[str], neighbour_layer: list[str], links: dict[str, list[str]]
) -> list[str]:
    rank = {node: i for i, node in enumerate(neighbour_layer)}

    def key(item: tuple[int, str]) -> float:
        position, node = item
        linked = [rank[n] for n in links[node] if n in rank]
        return sum(linked) / len(linked) if linked else float(position)

    return [node for _, node in sorted(enumerate(layer), key=key)]


def _positions(layers: list[list[str]], vertical: bool) -> dict[str, tuple[int, int]]:
    widest = max((len(layer) for layer in layers), default=0)
    step_along = (BOX_H if vertical else BOX_W) + GAP_LAYER
    box_across = BOX_W if vertical else BOX_H
    step_across = box_across + GAP_ROW
    place: dict[str, tuple[int, int]] = {}
    for depth, layer in enumerate(layers):
        offset = (widest - len(layer)) * step_across // 2  # centre short layers
        for row, node in enumerate(layer):
            along = PAD + depth * step_along
            across = PAD + offset + row * step_across
            place[node] = (across, along) if vertical else (along, across)
    return place


def _edge(source: Box, target: Box, vertical: bool) -> str:
    if vertical:
        x1, y1, x2, y2 = source.cx, source.y + source.h, target.cx, target.y
        bend = max((y2 - y1) // 2, 12)
        return f"M{x1},{y1} C{x1},{y1 + bend} {x2},{y2 - bend} {x2},{y2 - 2}"
    x1, y1, x2, y2 = source.x + source.w, source.cy, target.x, target.cy
    bend = max((x2 - x1) // 2, 12)
    return f"M{x1},{y1} C{x1 + bend},{y1} {x2 - bend},{y2} {x2 - 2},{y2}"


def _short(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"
