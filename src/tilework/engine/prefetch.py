"""Start the analyses later nodes will read while an earlier node works on the same sources.

A run's chain runs one node after another, but an analysis only needs the source file: the
transcript Captions reads does not depend on the crop Reframe computes before it. So when a task
starts, every tile further down its branch that ``prefetches`` (``Tile.prefetch``) is asked,
in a background thread, to fill the analysis caches for the task's sources. The tile itself then
finds its answer cached, or waits for the computation under way in this process instead of
starting another (``analysis/cache.py``); its results are the same as without the prefetch.

On two cores this puts the transcription (2 threads) beside the face analysis (OpenCV's
decoder and network threads), which each leave part of the machine idle.

The walk down the branch stops at a tile that renders: what follows it reads the rendered file,
not these sources. Each tile type is prefetched once per task, and a prefetch that fails is
only logged: the tile computes (and reports) for itself when it runs.
"""

from __future__ import annotations

import logging
import threading

import opentimelineio as otio

from tilework.config import Settings
from tilework.engine.events import RunGraph
from tilework.tiles.base import Tile
from tilework.tiles.registry import TileRegistry

log = logging.getLogger(__name__)


def downstream_prefetches(tiles: TileRegistry, graph: RunGraph, node_id: str) -> tuple[str, ...]:
    """The node types below ``node_id`` (before any render) whose tiles prefetch, in order."""
    types = {node.id: node.node_type_id for node in graph.nodes}
    if not graph.children.get(node_id) or not any(
        tiles.get(type_id).prefetches for type_id in set(types.values())
    ):
        return ()  # a leaf, or a run whose tiles prefetch nothing (a chain of trims)
    found: list[str] = []
    todo, seen = list(graph.children.get(node_id, [])), {node_id}
    while todo:
        child = todo.pop(0)
        if child in seen or child not in types:
            continue
        seen.add(child)
        tile = tiles.get(types[child])
        if tile.prefetches and types[child] not in found:
            found.append(types[child])
        if not tile.renders:
            todo.extend(graph.children.get(child, []))
    return tuple(found)


def start(
    settings: Settings, tiles: TileRegistry, type_ids: tuple[str, ...], tl: otio.schema.Timeline
) -> list[threading.Thread]:
    """One daemon thread per tile type, filling its caches for ``tl``'s sources (each thread
    reads its own copy of ``tl``: the task edits the one it was given)."""
    threads = []
    for type_id in type_ids:
        tile = tiles.get(type_id)
        thread = threading.Thread(
            target=_prefetch,
            args=(tile, settings, tl.deepcopy()),
            name=f"prefetch-{tile.slug}",
            daemon=True,
        )
        thread.start()
        threads.append(thread)
    return threads


def _prefetch(tile: Tile, settings: Settings, tl: otio.schema.Timeline) -> None:
    try:
        tile.prefetch(settings, tl)
    except Exception:  # the tile computes (and reports) for itself when it runs
        log.warning("prefetch for %s failed", tile.slug, exc_info=True)
