"""A node's status message from its items' notes, as the engine stores it (SQLite rows)."""

from __future__ import annotations

from sqlalchemy.orm import Session, sessionmaker

from tests.integration.webhooks.rows import make_run
from tilework.db.session import unit_of_work
from tilework.db.tables import Run, RunNode, Task
from tilework.engine.events import refresh_statuses
from tilework.tiles.base import TileResult


def node_message(sessions: sessionmaker[Session], notes: list[str | None]) -> str | None:
    run_id = make_run(sessions)
    with unit_of_work(sessions) as session:
        node = RunNode(run_id=run_id, node_type_id="reframe", status="running")
        session.add(node)
        session.flush()
        for index, note in enumerate(notes):
            session.add(
                Task(
                    run_id=run_id,
                    run_node_id=node.id,
                    item_key=f"0.{index}",
                    status="completed",
                    input_timeline={},
                    status_message=note,
                )
            )
        refresh_statuses(session, session.get_one(Run, run_id))
        return node.status_message


def test_a_warning_of_a_later_item_is_the_node_s_message(sessions: sessionmaker[Session]) -> None:
    fine = TileResult([], status_message="cropped 1 clip(s) to 9:16 (404x720)").note()
    faceless = TileResult(
        [], status_message="cropped 1 clip(s) to 9:16 (404x720)", warning="no face found"
    ).note()
    assert node_message(sessions, [fine, None, fine]) == fine
    assert node_message(sessions, [fine, faceless, fine]) == faceless
    assert node_message(sessions, [faceless, fine, faceless]) == (
        f"{faceless} (and 1 more item(s) with a warning)"
    )
