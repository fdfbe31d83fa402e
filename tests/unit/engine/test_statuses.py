"""The pure rules that turn task statuses into node and run statuses."""

from __future__ import annotations

import pytest

from tilework.engine.statuses import count_nodes, node_note, node_status, run_status
from tilework.tiles.base import TileResult


@pytest.mark.parametrize(
    ("tasks", "upstream", "expected"),
    [
        ([], ["running"], "not_started"),
        ([], [], "blocked"),  # a root with no items at all cannot run
        (["queued"], ["completed"], "queued"),
        (["queued", "running"], ["completed"], "running"),
        (["completed"], ["running"], "running"),  # more items may still arrive
        (["completed", "completed"], ["completed"], "completed"),
        (["completed", "failed"], ["completed"], "partial_complete"),
        (["failed", "failed"], ["completed"], "failed"),
        ([], ["failed"], "blocked"),
        ([], ["blocked"], "blocked"),
        ([], ["cancelled"], "cancelled"),
        ([], ["completed"], "completed"),  # upstream passed nothing on (Clips found nothing)
        ([], ["completed", "failed"], "blocked"),
        (["completed", "cancelled"], ["completed"], "cancelled"),
        (["completed"], ["partial_complete"], "completed"),  # failed items never arrived
    ],
)
def test_node_status(tasks: list[str], upstream: list[str], expected: str) -> None:
    assert node_status(tasks, upstream) == expected


def test_counts_cover_every_node() -> None:
    statuses = [
        "completed", "partial_complete", "failed", "blocked", "cancelled", "queued", "running",
        "not_started",
    ]  # fmt: skip
    counts = count_nodes(statuses)
    assert counts.as_dict() == {"completed": 2, "in_progress": 5, "failed": 1}
    assert sum(counts.as_dict().values()) == len(statuses)


@pytest.mark.parametrize(
    ("nodes", "outputs", "expected"),
    [
        (["completed", "running"], 0, None),
        (["completed", "completed"], 1, "completed"),
        (["completed", "partial_complete"], 1, "partial_complete"),
        (["completed", "failed", "blocked"], 0, "failed"),
        (["completed", "failed", "completed"], 2, "partial_complete"),
    ],
)
def test_run_status(nodes: list[str], outputs: int, expected: str | None) -> None:
    assert run_status(nodes, outputs) == expected


def test_a_tile_warning_leads_the_item_note() -> None:
    assert TileResult([], status_message="cropped").note() == "cropped"
    warned = TileResult([], status_message="cropped", warning="no face found")
    assert warned.note() == "warning: no face found; cropped"
    assert TileResult([], warning="no face found").note() == "warning: no face found"
    assert TileResult([]).note() is None


def test_the_node_note_is_the_first_item_s_unless_an_item_warns() -> None:
    assert node_note([]) is None
    assert node_note(["cropped 1", "cropped 2"]) == "cropped 1"
    assert node_note(["cropped 1", "warning: no face; cropped 2"]) == "warning: no face; cropped 2"
    assert (
        node_note(["warning: a", "fine", "warning: b", "warning: c"])
        == "warning: a (and 2 more item(s) with a warning)"
    )
