"""Task bookkeeping: creating and re-queueing tasks, fanning out items.

A task is one node applied to one item. Items are keyed by path: input ``n`` is item ``"n"``;
a node that returns several timelines (fan-out) turns item ``k`` into ``k.0``, ``k.1`` … and
everything downstream runs once per item.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, cast

from sqlalchemy import Table, bindparam, select
from sqlalchemy.orm import Session

from tilework.db.tables import RunInput, Task, new_id
from tilework.engine.context import EngineContext
from tilework.engine.events import run_graph

EXECUTE_TASK = "engine.execute_task"


def queue_task(
    ctx: EngineContext,
    session: Session,
    *,
    run_id: str,
    run_node_id: str,
    item_key: str,
    timeline: dict[str, Any],
) -> Task:
    """A new task for one item; its job commits with the caller's transaction.

    The task's id is made here, so its job is deferred first and the task inserted once with
    its job id (at the session's next flush), not inserted and then updated."""
    task = Task(
        id=new_id(),
        run_id=run_id,
        run_node_id=run_node_id,
        item_key=item_key,
        input_timeline=timeline,
    )
    _defer(ctx, session, task)
    session.add(task)
    return task


def requeue_task(ctx: EngineContext, session: Session, task: Task) -> None:
    """Run a failed or cancelled task again (resume), with a fresh job."""
    task.status, task.error, task.progress, task.eta_seconds = "queued", None, None, None
    task.status_message, task.needs_credits = None, False
    task.started_at = task.finished_at = None
    _defer(ctx, session, task)


def queue_input_task(ctx: EngineContext, session: Session, run_input: RunInput) -> Task:
    """The task that fetches one input and runs its Video Input node (item = its position).

    Its input timeline is empty: the worker builds it once the input is fetched."""
    return queue_task(
        ctx,
        session,
        run_id=run_input.run_id,
        run_node_id=run_input.run_node_id,
        item_key=str(run_input.position),
        timeline={},
    )


def _defer(ctx: EngineContext, session: Session, task: Task) -> None:
    task.job_id = ctx.dispatcher.defer(
        session, EXECUTE_TASK, {"task_id": task.id}, queueing_lock=f"task:{task.id}"
    )


def fan_out(ctx: EngineContext, session: Session, task: Task, outputs: list[dict[str, Any]]) -> int:
    """Create the downstream tasks of a completed task; returns how many were created."""
    children = run_graph(session, task.run_id).children.get(task.run_node_id, [])
    created = 0
    session.flush()  # tasks added before in this transaction are seen by the reads below
    connection = session.connection()
    for index, timeline in enumerate(outputs):
        key = task.item_key if len(outputs) == 1 else f"{task.item_key}.{index}"
        for child in children:
            exists = connection.execute(_TASK_EXISTS, {"node": child, "key": key}).first()
            if exists is None:
                queue_task(
                    ctx,
                    session,
                    run_id=task.run_id,
                    run_node_id=child,
                    item_key=key,
                    timeline=timeline,
                )
                created += 1
    return created


_TASKS = cast(Table, Task.__table__)
_TASK_EXISTS = select(_TASKS.c.id).where(
    _TASKS.c.run_node_id == bindparam("node"), _TASKS.c.item_key == bindparam("key")
)


class InlineJob:
    """Work run inline (previews): nothing aborts, no heartbeat."""

    job_id = 0

    def should_abort(self) -> bool:
        return False

    def heartbeat(self) -> None:
        return None

    def on_abort(self, callback: Callable[[], None]) -> None:
        return None
