"""Status bookkeeping and the outbox: every state change writes its event in the same transaction.

``refresh_statuses`` recomputes node statuses from tasks (cheap: runs are small graphs) and
returns the nodes that changed; ``publish_progress`` turns those into one ``RUN_PROGRESS`` event;
``finish_if_done`` closes the run and writes ``RUN_FINISHED``. Sequence numbers come from the run
row, which the caller holds locked, so a run's events are totally ordered.

A settle runs twice per task (claim and result), so its reads are kept few: the run's graph
(nodes and edges, ``run_graph``) is read once per transaction, and its tasks once per
``refresh_statuses`` (the events built after it reuse those rows for the nodes' errors).
"""

from __future__ import annotations

import threading
from collections import OrderedDict, defaultdict
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, cast

from sqlalchemy import Table, bindparam, func, insert, select, update
from sqlalchemy.orm import Session
from sqlalchemy.orm.attributes import set_committed_value
from sqlalchemy.orm.util import identity_key

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
from tilework.engine.statuses import (
    NODE_TERMINAL,
    RUN_TERMINAL,
    node_note,
    node_status,
    run_status,
)
from tilework.storage.base import BlobUrls
from tilework.webhooks.events import RunFinished, RunProgress, RunStarted
from tilework.webhooks.wakeup import notify_senders


def lock_run(session: Session, run_id: str) -> Run | None:
    """Load the run row for update: the per-run critical section of every state change."""
    return session.get(Run, run_id, with_for_update=True, populate_existing=True)


@dataclass
class NodeState:
    """What the status rules and the events read of a run node: a plain row, not an ORM object
    (a run of 50 nodes is settled twice per task; loading and flushing ORM rows for it cost
    more than the rest of the settle)."""

    id: str
    original_node_id: str | None
    status: str
    status_message: str | None
    node_type_id: str


@dataclass
class RunGraph:
    """A run's nodes (in topological order) and edges, as one transaction sees them: nodes and
    edges are written with the run and never change; ``refresh_statuses`` keeps the states it
    writes up to date here."""

    nodes: list[NodeState]
    parents: dict[str, list[str]]
    children: dict[str, list[str]]


@dataclass
class _TaskRow:
    node_id: str
    status: str
    note: str | None
    error: str | None
    finished_at: datetime | None


@dataclass
class _Snapshot:
    """The run's tasks as the last ``refresh_statuses`` of this transaction read them."""

    tasks: list[_TaskRow] = field(default_factory=list)


_GRAPH = "tilework.run_graph"
_SNAPSHOT = "tilework.task_snapshot"


def run_graph(session: Session, run_id: str) -> RunGraph:
    """The run's graph, read once per transaction (the cache dies with the transaction)."""
    transaction = session.get_transaction()
    cached = session.info.get(_GRAPH)
    if cached is not None and cached[0] is transaction and run_id in cached[1]:
        graph: RunGraph = cached[1][run_id]
        return graph
    parents, children = _edges(session, run_id)
    session.flush()  # node states this session changed through the ORM are read back
    nodes = [NodeState(*row) for row in session.connection().execute(_NODE_STATES, {"run": run_id})]
    graph = RunGraph(nodes, parents, children)
    if cached is None or cached[0] is not transaction:
        graphs: dict[str, RunGraph] = {}
        session.info[_GRAPH] = (transaction, graphs)
    else:
        graphs = cached[1]
    graphs[run_id] = graph
    return graph


_RUN_EDGES = cast(Table, RunEdge.__table__)
_RUN_NODES = cast(Table, RunNode.__table__)
_TASKS = cast(Table, Task.__table__)
_RENDERS = cast(Table, Render.__table__)
# Built once (Core, run on the session's connection): building and ORM-executing a select
# cost more than SQLite's work for these small reads, and they run several times per task.
_EDGES = (
    select(_RUN_EDGES.c.source_node_id, _RUN_EDGES.c.target_node_id)
    .where(_RUN_EDGES.c.run_id == bindparam("run"))
    .order_by(_RUN_EDGES.c.id)
)
_NODE_STATES = (
    select(_RUN_NODES.c.id, _RUN_NODES.c.original_node_id, _RUN_NODES.c.status)
    .add_columns(_RUN_NODES.c.status_message, _RUN_NODES.c.node_type_id)
    .where(_RUN_NODES.c.run_id == bindparam("run"))
    .order_by(_RUN_NODES.c.position)
)
_RUN_TASKS = (
    select(
        _TASKS.c.run_node_id,
        _TASKS.c.status,
        _TASKS.c.status_message,
        _TASKS.c.error,
        _TASKS.c.finished_at,
    )
    .where(_TASKS.c.run_id == bindparam("run"))
    .order_by(_TASKS.c.item_key)
)
_RENDERED_NODES = (
    select(_TASKS.c.run_node_id)
    .distinct()
    .join(_RENDERS, _RENDERS.c.task_id == _TASKS.c.id)
    .where(_RENDERS.c.run_id == bindparam("run"))
)
_OUTPUT_COUNT = (
    select(func.count())
    .select_from(_RENDERS)
    .where(_RENDERS.c.run_id == bindparam("run"), _RENDERS.c.is_output.is_(True))
)

Edges = tuple[dict[str, list[str]], dict[str, list[str]]]
_EDGE_CACHE: OrderedDict[str, Edges] = OrderedDict()
_EDGE_CACHE_SIZE = 256
_edge_cache_lock = threading.Lock()


def _edges(session: Session, run_id: str) -> Edges:
    """(parents, children) of a run's nodes. A run's edges are written with the run and never
    change, so they are kept for the last runs this process settled (not re-read per
    transaction). Callers must not mutate them."""
    with _edge_cache_lock:
        cached = _EDGE_CACHE.get(run_id)
        if cached is not None:
            _EDGE_CACHE.move_to_end(run_id)
            return cached
    parents: dict[str, list[str]] = defaultdict(list)
    children: dict[str, list[str]] = defaultdict(list)
    for source, target in session.connection().execute(_EDGES, {"run": run_id}):
        parents[target].append(source)
        children[source].append(target)
    if not parents:
        return parents, children  # not committed yet, or no edges: nothing worth keeping
    edges = (dict(parents), dict(children))
    with _edge_cache_lock:
        _EDGE_CACHE[run_id] = edges
        while len(_EDGE_CACHE) > _EDGE_CACHE_SIZE:
            _EDGE_CACHE.popitem(last=False)
    return edges


def run_nodes(session: Session, run_id: str) -> list[NodeState]:
    return run_graph(session, run_id).nodes


def refresh_statuses(session: Session, run: Run) -> list[NodeState]:
    session.flush()
    graph = run_graph(session, run.id)
    rows = [_TaskRow(*row) for row in session.connection().execute(_RUN_TASKS, {"run": run.id})]
    _remember(session, run.id, _Snapshot(rows))
    tasks: dict[str, list[str]] = defaultdict(list)
    notes: dict[str, list[str]] = defaultdict(list)
    for row in rows:
        tasks[row.node_id].append(row.status)
        if row.note:
            notes[row.node_id].append(row.note)
    by_id = {node.id: node for node in graph.nodes}
    changed = []
    for node in graph.nodes:  # positions are topological: parents are settled first
        upstream = [by_id[p].status for p in graph.parents.get(node.id, [])]
        waiting = node.id not in tasks and (node.status, node.status_message) == _NOT_STARTED
        if waiting and not all(status in NODE_TERMINAL for status in upstream):
            continue  # still waiting for its upstream: stays not_started, no message
        status = node_status(tasks[node.id], upstream)
        message = _status_message(status, tasks[node.id]) or node_note(notes[node.id])
        if (status, message) != (node.status, node.status_message):
            node.status, node.status_message = status, message
            changed.append(node)
    if changed:
        _write_states(session, changed)
        run.updated_at = utcnow()
    return changed


_NOT_STARTED = ("not_started", None)


def _write_states(session: Session, changed: list[NodeState]) -> None:
    """One executemany UPDATE; run-node ORM objects this session holds get the new values too
    (as committed values: nothing for the ORM to flush again)."""
    now = utcnow()
    session.connection().execute(
        _UPDATE_STATE,
        [
            {"node": n.id, "new_status": n.status, "new_message": n.status_message, "now": now}
            for n in changed
        ],
    )
    for node in changed:
        loaded = session.identity_map.get(identity_key(RunNode, node.id))
        if isinstance(loaded, RunNode):
            set_committed_value(loaded, "status", node.status)
            set_committed_value(loaded, "status_message", node.status_message)
            set_committed_value(loaded, "updated_at", now)


_UPDATE_STATE = (
    update(_RUN_NODES)
    .where(_RUN_NODES.c.id == bindparam("node"))
    .values(
        status=bindparam("new_status"),
        status_message=bindparam("new_message"),
        updated_at=bindparam("now"),
    )
)


def _remember(session: Session, run_id: str, snapshot: _Snapshot) -> None:
    session.info[_SNAPSHOT] = (session.get_transaction(), run_id, snapshot)


def _node_errors(session: Session, run_id: str) -> dict[str, list[str]]:
    """``views.node_errors`` from the rows the settle already read, when it read them in this
    transaction (no task changes between a refresh and the events built from it)."""
    cached = session.info.get(_SNAPSHOT)
    if cached is None or cached[0] is not session.get_transaction() or cached[1] != run_id:
        return views.node_errors(session, run_id)
    failed = [row for row in cached[2].tasks if row.status == "failed" and row.error]
    # Rows come ordered by item key; a stable sort by finish time gives the view's order.
    failed.sort(key=lambda row: (row.finished_at is None, row.finished_at or _EPOCH))
    errors: dict[str, list[str]] = defaultdict(list)
    for row in failed:
        if row.error and row.error not in errors[row.node_id]:
            errors[row.node_id].append(row.error)
    return errors


_EPOCH = datetime.min


def _may_have_outputs(session: Session, run_id: str, node_ids: list[str]) -> list[str]:
    """The nodes among ``node_ids`` that have a completed task (only those have renders), by
    the rows the settle read; all of them when it read none in this transaction."""
    cached = session.info.get(_SNAPSHOT)
    if cached is None or cached[0] is not session.get_transaction() or cached[1] != run_id:
        return node_ids
    completed = {row.node_id for row in cached[2].tasks if row.status == "completed"}
    candidates = [node_id for node_id in node_ids if node_id in completed]
    if not candidates:
        return []
    # Most completed nodes are timeline edits that render nothing: one cheap Core read of the
    # nodes that have renders spares the view's ORM query for them.
    # The snapshot's refresh flushed first: renders this transaction added are seen.
    rendered = {row[0] for row in session.connection().execute(_RENDERED_NODES, {"run": run_id})}
    return [node_id for node_id in candidates if node_id in rendered]


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
    if any(isinstance(pending, Run) for pending in session.new):
        session.flush()  # the runs the rows belong to exist first (foreign key)
    # A run that exists is not flushed for its event: its new ``event_seq`` and ``updated_at``
    # go in the one UPDATE of the run row at the next flush, not one UPDATE per event.
    session.connection().execute(_STORE_EVENTS, rows)
    if any(row["delivery_status"] == "pending" for row in rows):
        notify_senders(session)  # on PostgreSQL, senders in other processes wake at commit


_STORE_EVENTS = insert(cast(Table, WebhookEvent.__table__))


def _common(session: Session, run: Run) -> dict[str, Any]:
    return {
        "agent_id": run.agent_id,
        "run_id": run.id,
        "status": run.status,
        "node_status_counts": views.status_counts(run_nodes(session, run.id)),
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


def publish_progress(
    session: Session, run: Run, changed: list[NodeState], signer: BlobUrls
) -> None:
    if not changed:
        return
    reported = [node for node in changed if node.status != "not_started"]  # not in RUN_PROGRESS
    if not reported:
        return
    errors = _node_errors(session, run.id)
    rendered = _may_have_outputs(session, run.id, [node.id for node in reported])
    outputs = views.nodes_outputs(session, run.id, rendered, signer) if rendered else {}
    updated = [
        {
            "original_node_id": node.original_node_id,
            "status": node.status,
            "status_message": node.status_message,
            "errors": errors.get(node.id, []),
            "outputs": outputs.get(node.id, []),
        }
        for node in reported
    ]
    payload = RunProgress.model_validate(
        {"flag": "RUN_PROGRESS", **_common(session, run), "updated_nodes": updated}
    )
    emit(session, run, payload.model_dump(mode="json"))


def publish_finished(session: Session, run: Run, signer: BlobUrls) -> None:
    nodes = run_nodes(session, run.id)
    payload = RunFinished.model_validate(
        {
            "flag": "RUN_FINISHED",
            **_common(session, run),
            "status_message": run.status_message,
            "needs_credits": run.needs_credits,
            "errors": views.grouped_errors(nodes, _node_errors(session, run.id)),
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
    nodes = run_nodes(session, run.id)
    if not all(n.status in NODE_TERMINAL for n in nodes):
        return False  # still running: no need to count its outputs
    session.flush()  # renders this transaction added
    outputs = session.connection().execute(_OUTPUT_COUNT, {"run": run.id}).scalar()
    final = run_status((n.status for n in nodes), outputs or 0)
    if final is None:
        return False
    run.status = final
    run.status_message = _run_message(final, nodes)
    run.finished_at = run.updated_at = utcnow()
    publish_finished(session, run, signer)
    return True


def _run_message(status: str, nodes: list[NodeState]) -> str | None:
    if status == "completed":
        return None
    failed = [n for n in nodes if n.status in ("failed", "partial_complete", "blocked")]
    return f"{len(failed)} of {len(nodes)} nodes did not complete"
