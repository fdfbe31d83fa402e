"""Status bookkeeping and the outbox: every state change writes its event in the same transaction.

``refresh_statuses`` recomputes node statuses from tasks (cheap: runs are small graphs) and
returns the nodes that changed; ``publish_progress`` turns those into one ``RUN_PROGRESS`` event;
``finish_if_done`` closes the run and writes ``RUN_FINISHED``. Sequence numbers come from the run
row, which the caller holds locked, so a run's events are totally ordered.
"""

from __future__ import annotations

from collections import defaultdict
from typing import Any, cast

from sqlalchemy import Table, func, insert, select
from sqlalchemy.orm import Session

from tilework.db.tables import (
    Render,
    Run,
    RunEdge,
    RunNode,
    Task,
    WebhookEvent,
    new_id,
    utcnow,
)
from tilework.engine import views
from tilework.engine.statuses import RUN_TERMINAL, node_note, node_status, run_status
from tilework.storage.base import BlobUrls
from tilework.webhooks.events import RunFinished, RunProgress, RunStarted
from tilework.webhooks.wakeup import notify_senders


def lock_run(session: Session, run_id: str) -> Run | None:
    """Load the run row for update: the per-run critical section of every state change."""
    return session.get(Run, run_id, with_for_update=True, populate_existing=True)


def refresh_statuses(session: Session, run: Run) -> list[RunNode]:
    session.flush()
    nodes = views.nodes_of(session, run.id)
    parents: dict[str, list[str]] = defaultdict(list)
    for edge in session.scalars(select(RunEdge).where(RunEdge.run_id == run.id)):
        parents[edge.target_node_id].append(edge.source_node_id)
    tasks: dict[str, list[str]] = defaultdict(list)
    notes: dict[str, list[str]] = defaultdict(list)
    for node_id, status, note in session.execute(
        select(Task.run_node_id, Task.status, Task.status_message)
        .where(Task.run_id == run.id)
        .order_by(Task.item_key)
    ):
        tasks[node_id].append(status)
        if note:
            notes[node_id].append(note)
    by_id = {node.id: node for node in nodes}
    changed = []
    for node in nodes:  # positions are topological: parents are settled first
        upstream = [by_id[p].status for p in parents[node.id]]
        status = node_status(tasks[node.id], upstream)
        message = _status_message(status, tasks[node.id]) or node_note(notes[node.id])
        if (status, message) != (node.status, node.status_message):
            node.status, node.status_message, node.updated_at = status, message, utcnow()
            changed.append(node)
    if changed:
        run.updated_at = utcnow()
    return changed


def _status_message(status: str, task_statuses: list[str]) -> str | None:
    if status == "partial_complete":
        failed = task_statuses.count("failed")
        return f"{failed} of {len(task_statuses)} items failed"
    if status == "blocked":
        return "Blocked: an upstream node failed"
    return None


def emit(session: Session, run: Run, payload: dict[str, Any]) -> None:
    run.event_seq += 1
    store_events(session, [outbox_row(run.id, run.event_seq, payload, run.callback_url)])


def outbox_row(
    run_id: str, seq: int, payload: dict[str, Any], callback_url: str | None
) -> dict[str, Any]:
    """One outbox row, due now; without a callback URL it is only streamed, never sent."""
    now = utcnow()
    return {
        "id": new_id(),
        "run_id": run_id,
        "seq": seq,
        "flag": payload["flag"],
        "payload": payload,
        "callback_url": callback_url,
        "delivery_status": "pending" if callback_url else "none",
        "next_attempt_at": now,
        "created_at": now,
    }


def store_events(session: Session, rows: list[dict[str, Any]]) -> None:
    """Add outbox rows to the session's transaction with one Core INSERT: the engine never reads
    an event back as an object, and ORM objects per event cost more than the insert (at a
    thousand events a second that is a third of the interpreter the webhook sender shares)."""
    session.flush()  # the runs the rows belong to exist first (foreign key)
    session.connection().execute(_STORE_EVENTS, rows)
    if any(row["delivery_status"] == "pending" for row in rows):
        notify_senders(session)  # on PostgreSQL, senders in other processes wake at commit


_STORE_EVENTS = insert(cast(Table, WebhookEvent.__table__))


def _common(session: Session, run: Run) -> dict[str, Any]:
    return {
        "agent_id": run.agent_id,
        "run_id": run.id,
        "status": run.status,
        "node_status_counts": views.status_counts(views.nodes_of(session, run.id)),
        "triggered_by": run.triggered_by,
    }


def publish_started(session: Session, run: Run, signer: BlobUrls) -> None:
    payload = RunStarted.model_validate(
        {
            "flag": "RUN_STARTED",
            **_common(session, run),
            "inputs": views.input_objects(session, run.id, signer),
        }
    )
    emit(session, run, payload.model_dump(mode="json"))


def publish_progress(session: Session, run: Run, changed: list[RunNode], signer: BlobUrls) -> None:
    if not changed:
        return
    errors = views.node_errors(session, run.id)
    updated = [
        {
            "original_node_id": node.original_node_id,
            "status": node.status,
            "status_message": node.status_message,
            "errors": errors.get(node.id, []),
            "outputs": views.node_outputs(session, node.id, signer),
        }
        for node in changed
        if node.status != "not_started"  # not a value RUN_PROGRESS carries
    ]
    if not updated:
        return
    payload = RunProgress.model_validate(
        {"flag": "RUN_PROGRESS", **_common(session, run), "updated_nodes": updated}
    )
    emit(session, run, payload.model_dump(mode="json"))


def publish_finished(session: Session, run: Run, signer: BlobUrls) -> None:
    nodes = views.nodes_of(session, run.id)
    payload = RunFinished.model_validate(
        {
            "flag": "RUN_FINISHED",
            **_common(session, run),
            "status_message": run.status_message,
            "needs_credits": run.needs_credits,
            "errors": views.grouped_errors(nodes, views.node_errors(session, run.id)),
            "inputs": views.input_objects(session, run.id, signer),
            "outputs": views.run_outputs(session, run.id, signer),
        }
    )
    emit(session, run, payload.model_dump(mode="json"))


def settle(session: Session, run: Run, signer: BlobUrls) -> None:
    """After any change to a running run's tasks: progress event, then finish if done."""
    changed = refresh_statuses(session, run)
    publish_progress(session, run, changed, signer)
    finish_if_done(session, run, signer)


def finish_if_done(session: Session, run: Run, signer: BlobUrls) -> bool:
    if run.status in RUN_TERMINAL:
        return False
    nodes = views.nodes_of(session, run.id)
    outputs = session.scalar(
        select(func.count())
        .select_from(Render)
        .where(Render.run_id == run.id, Render.is_output.is_(True))
    )
    final = run_status((n.status for n in nodes), outputs or 0)
    if final is None:
        return False
    run.status = final
    run.status_message = _run_message(final, nodes)
    run.finished_at = run.updated_at = utcnow()
    publish_finished(session, run, signer)
    return True


def _run_message(status: str, nodes: list[RunNode]) -> str | None:
    if status == "completed":
        return None
    failed = [n for n in nodes if n.status in ("failed", "partial_complete", "blocked")]
    return f"{len(failed)} of {len(nodes)} nodes did not complete"
