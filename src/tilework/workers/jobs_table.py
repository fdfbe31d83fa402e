"""The statements the embedded dispatcher runs on the SQLite ``jobs`` table, built once.

Core on the table, not the ORM: a job costs a handful of these per task, and building a
statement or loading an ORM object costs more than SQLite's work for it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any, cast

from sqlalchemy import Connection, Table, bindparam, insert, or_, select, update

from tilework.db.tables import Job

JOBS = cast(Table, Job.__table__)
_c = JOBS.c

_INSERT = insert(JOBS).returning(_c.id)
_WAITING_WITH_LOCK = select(_c.id).where(_c.queueing_lock == bindparam("lock"), _c.status == "todo")
_DUE = or_(_c.scheduled_at.is_(None), _c.scheduled_at <= bindparam("now"))
_NEXT_DUE = select(_c.id).where(_c.status == "todo", _DUE).order_by(_c.priority.desc(), _c.id)
_CLAIM = (
    update(JOBS)
    .where(_c.id == _NEXT_DUE.limit(1).scalar_subquery(), _c.status == "todo")
    .values(
        status="doing",
        worker_id=bindparam("worker"),
        attempts=_c.attempts + 1,
        heartbeat_at=bindparam("now"),
    )
    .returning(_c.id, _c.task_name, _c.args)
)
_ANY_DUE = _NEXT_DUE.limit(1)
_STATE = select(_c.status, _c.worker_id, _c.abort_requested).where(_c.id == bindparam("job"))
_FINISH = (
    update(JOBS)
    .where(_c.id == bindparam("job"))
    .values(status=bindparam("outcome"), finished_at=bindparam("now"))
)


@dataclass(frozen=True)
class Claimed:
    job_id: int
    task_name: str
    args: dict[str, Any]


def insert_job(connection: Connection, row: dict[str, Any]) -> int:
    """A new ``todo`` job (column values by name; the model's defaults fill the rest)."""
    return int(connection.execute(_INSERT, row).scalar_one())


def waiting_with_lock(connection: Connection, queueing_lock: str | None) -> int | None:
    """The ``todo`` job holding ``queueing_lock``, if any."""
    if queueing_lock is None:
        return None
    found = connection.execute(_WAITING_WITH_LOCK, {"lock": queueing_lock}).first()
    return None if found is None else int(found.id)


def claim_next(connection: Connection, worker_id: str, now: datetime) -> Claimed | None:
    """The due job of highest priority (then oldest), now ``doing`` for ``worker_id``."""
    row = connection.execute(_CLAIM, {"worker": worker_id, "now": now}).first()
    return None if row is None else Claimed(row.id, row.task_name, dict(row.args or {}))


def any_due(connection: Connection, now: datetime) -> bool:
    return connection.execute(_ANY_DUE, {"now": now}).first() is not None


@dataclass(frozen=True)
class JobState:
    status: str
    worker_id: str | None
    abort_requested: bool


def state_of(connection: Connection, job_id: int) -> JobState | None:
    row = connection.execute(_STATE, {"job": job_id}).first()
    return None if row is None else JobState(row.status, row.worker_id, bool(row.abort_requested))


def finish(connection: Connection, job_id: int, outcome: str, now: datetime) -> None:
    connection.execute(_FINISH, {"job": job_id, "outcome": outcome, "now": now})
