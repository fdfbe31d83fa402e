"""Status vocabulary and the pure rules that aggregate task → node → run statuses.

Node status from its tasks and its upstream nodes:
- ``running`` while any task runs, or some items are done and more may still arrive;
- ``queued`` while tasks wait and none runs; ``not_started`` before any item arrived;
- once every upstream node is terminal and every task is terminal: ``completed`` (no task
  failed), ``failed`` (no task completed), ``partial_complete`` (some of each), ``cancelled``
  (a task was cancelled); with no task at all, ``completed`` when every upstream node completed
  and passed nothing on (a Clips prompt that matched nothing), else ``blocked`` (an upstream
  node failed) or ``cancelled`` (an upstream node was cancelled).

``node_status_counts`` buckets (documented in docs/api.md): ``completed`` = completed +
partial_complete; ``failed`` = failed; ``in_progress`` = every other node (not_started, queued,
running, blocked, cancelled), so the three always add up to the number of nodes.

A node's status message, when no status rule sets one, is its items' notes (``node_note``): the
first item's, unless an item warns (``TileResult.warning``), then the first warning.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from tilework.tiles.base import WARNING_PREFIX

RUN_RUNNING = "running"
RUN_TERMINAL = frozenset({"completed", "partial_complete", "failed", "cancelled"})

TASK_ACTIVE = frozenset({"queued", "running"})
TASK_TERMINAL = frozenset({"completed", "failed", "cancelled"})

NODE_TERMINAL = frozenset({"completed", "partial_complete", "failed", "blocked", "cancelled"})
NODE_RESUMABLE = frozenset({"not_started", "blocked", "cancelled", "failed"})


@dataclass(frozen=True)
class StatusCounts:
    completed: int
    in_progress: int
    failed: int

    def as_dict(self) -> dict[str, int]:
        return {"completed": self.completed, "in_progress": self.in_progress, "failed": self.failed}


def node_status(task_statuses: Iterable[str], upstream_statuses: Iterable[str]) -> str:
    tasks = list(task_statuses)
    upstream = list(upstream_statuses)
    upstream_done = all(s in NODE_TERMINAL for s in upstream)
    if "running" in tasks:
        return "running"
    if "queued" in tasks:
        return "queued"
    if not upstream_done:
        return "running" if tasks else "not_started"
    if not tasks:
        if upstream and all(s == "completed" for s in upstream):
            return "completed"  # nothing came: upstream finished and had no item to pass on
        return "cancelled" if "cancelled" in upstream else "blocked"
    if "cancelled" in tasks:
        return "cancelled"
    completed = tasks.count("completed")
    if completed == len(tasks):
        return "completed"
    return "failed" if completed == 0 else "partial_complete"


def count_nodes(statuses: Iterable[str]) -> StatusCounts:
    completed = failed = other = 0
    for status in statuses:
        if status in ("completed", "partial_complete"):
            completed += 1
        elif status == "failed":
            failed += 1
        else:
            other += 1
    return StatusCounts(completed=completed, in_progress=other, failed=failed)


def run_status(node_statuses: Iterable[str], outputs_produced: int) -> str | None:
    """The run's final status once every node is terminal, else ``None`` (still running)."""
    statuses = list(node_statuses)
    if not all(s in NODE_TERMINAL for s in statuses):
        return None
    if all(s == "completed" for s in statuses):
        return "completed"
    return "partial_complete" if outputs_produced else "failed"


def node_note(notes: Iterable[str]) -> str | None:
    """A node's status message from its items' notes, in item order: the first warning (with
    how many more items warn), else the first note."""
    ordered = [note for note in notes if note]
    warnings = [note for note in ordered if note.startswith(WARNING_PREFIX)]
    if not warnings:
        return ordered[0] if ordered else None
    more = len(warnings) - 1
    return warnings[0] + (f" (and {more} more item(s) with a warning)" if more else "")
