"""The credit ledger: append-only rows, the balance is their sum.

Every row is written by ``append`` (or its ``_insert``), which also moves the organization's
running totals (``billing_accounts.balance`` and ``reserved``) by the row's amount in the same
transaction, with one atomic ``UPDATE``: reading the balance is one column, not a sum over a
ledger that grows with history. An account created after rows exist starts from their sums
(``totals``).

A movement that depends on the balance (a reservation, an operator's correction) is written
under the organization's billing lock (``accounts.lock_account``), so the balance read and the
row written after it cannot interleave with another writer; settling a hold (release, charge)
does not read the balance and takes only ``accounts.lock_organization``. Each row carries a
unique ``idempotency_key``; appending a key that exists returns the existing row and writes
nothing, which is what makes retries and resumes safe.

A task's credits move in two steps: ``reserve`` holds its price (a negative ``reservation``)
before it runs; ``charge`` settles that hold when the task succeeds (a ``release`` giving the
hold back and a ``charge`` taking the price, written together), ``release`` alone when it fails
or is cancelled. A task is charged at most once (``charge:<task id>``). The task's rows are
read once per step (``task_entries``, by the indexed ``task_id``) and the step decides from them.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, cast

from sqlalchemy import Table, bindparam, func, insert, select, update
from sqlalchemy.orm import Session
from sqlalchemy.orm.attributes import set_committed_value
from sqlalchemy.orm.util import identity_key

from tilework.db.tables import BillingAccount, CreditLedgerEntry, utcnow

GRANT, ALLOWANCE, TOPUP, REFUND = "grant", "allowance", "topup", "refund"
RESERVATION, RELEASE, CHARGE = "reservation", "release", "charge"
ADJUSTMENT = "adjustment"  # an operator's correction, either sign, with a note
KINDS = (GRANT, ALLOWANCE, TOPUP, REFUND, RESERVATION, RELEASE, CHARGE, ADJUSTMENT)
HOLDS = (RESERVATION, RELEASE)  # the kinds that move ``reserved``

_LEDGER = cast(Table, CreditLedgerEntry.__table__)
_ACCOUNTS = cast(Table, BillingAccount.__table__)


@dataclass(frozen=True)
class Appended:
    id: int
    created: bool  # False: the key existed, nothing was written


def append(
    session: Session,
    org_id: str,
    kind: str,
    amount: int,
    key: str,
    **fields: Any,
) -> Appended:
    existing = session.scalar(select(_LEDGER.c.id).where(_LEDGER.c.idempotency_key == key))
    if existing is not None:
        return Appended(existing, created=False)
    return Appended(_insert(session, org_id, kind, amount, key, **fields), created=True)


def _insert(
    session: Session,
    org_id: str,
    kind: str,
    amount: int,
    key: str,
    *,
    move: bool = True,
    **fields: Any,
) -> int:
    """Write a row whose key the caller knows is new, and move the running totals with it
    (``move=False``: the caller moves them itself, for several rows at once)."""
    session.flush()  # ORM changes first (the account a first use created)
    connection = session.connection()
    entry_id = connection.execute(
        _INSERT,
        {
            "organization_id": org_id,
            "kind": kind,
            "amount": amount,
            "idempotency_key": key,
            "run_id": fields.get("run_id"),
            "task_id": fields.get("task_id"),
            "reservation_id": fields.get("reservation_id"),
            "tile": fields.get("tile"),
            "details": fields.get("details"),
            "created_at": utcnow(),
        },
    ).scalar_one()
    if move:
        _move(session, org_id, amount, -amount if kind in HOLDS else 0)
    return int(entry_id)


def _move(session: Session, org_id: str, amount: int, held: int) -> None:
    """Add ``amount`` to the running balance and ``held`` to the credits reserved."""
    moved = (
        session.connection().execute(_MOVE, {"org": org_id, "amount": amount, "held": held}).first()
    )
    loaded = session.identity_map.get(identity_key(BillingAccount, org_id))
    if moved is not None and isinstance(loaded, BillingAccount):
        # Committed values: the ORM has nothing to flush back over the UPDATE.
        set_committed_value(loaded, "balance", moved.balance)
        set_committed_value(loaded, "reserved", moved.reserved)


# Built once: statements in the hot path cost more to build than to run on SQLite.
_MOVE = (
    update(_ACCOUNTS)
    .where(_ACCOUNTS.c.organization_id == bindparam("org"))
    .values(
        balance=_ACCOUNTS.c.balance + bindparam("amount"),
        reserved=_ACCOUNTS.c.reserved + bindparam("held"),
    )
    .returning(_ACCOUNTS.c.balance, _ACCOUNTS.c.reserved)
)
_INSERT = insert(_LEDGER).returning(_LEDGER.c.id)
_TASK_ENTRIES = (
    select(
        _LEDGER.c.id,
        _LEDGER.c.kind,
        _LEDGER.c.amount,
        _LEDGER.c.run_id,
        _LEDGER.c.tile,
        _LEDGER.c.details,
        _LEDGER.c.reservation_id,
    )
    .where(_LEDGER.c.task_id == bindparam("task"))
    .order_by(_LEDGER.c.id)
)


def totals(session: Session, org_id: str) -> tuple[int, int]:
    """(balance, reserved) summed over the ledger: what the running totals always equal."""
    row = session.execute(
        select(
            func.coalesce(func.sum(_LEDGER.c.amount), 0),
            func.coalesce(
                func.sum(_LEDGER.c.amount).filter(_LEDGER.c.kind.in_(HOLDS)),
                0,
            ),
        ).where(_LEDGER.c.organization_id == org_id)
    ).one()
    return int(row[0] or 0), -int(row[1] or 0)


def balance(session: Session, org_id: str) -> int:
    """Credits available to spend (held credits are already out): the running total."""
    value = session.scalar(select(_ACCOUNTS.c.balance).where(_ACCOUNTS.c.organization_id == org_id))
    return totals(session, org_id)[0] if value is None else int(value)


def reserved(session: Session, org_id: str) -> int:
    """Credits currently held by running tasks."""
    value = session.scalar(
        select(_ACCOUNTS.c.reserved).where(_ACCOUNTS.c.organization_id == org_id)
    )
    return totals(session, org_id)[1] if value is None else int(value)


@dataclass(frozen=True)
class _Hold:
    id: int
    amount: int
    run_id: str | None
    tile: str | None
    details: dict[str, Any] | None


@dataclass
class TaskEntries:
    """What the ledger holds for one task, read in one query."""

    reservations: list[_Hold] = field(default_factory=list)  # oldest first
    released: set[int] = field(default_factory=set)  # reservation ids a release settled
    charged: bool = False

    @property
    def open(self) -> _Hold | None:
        """The reservation no release has settled yet (at most one exists)."""
        return next((r for r in self.reservations if r.id not in self.released), None)


def task_entries(session: Session, task_id: str) -> TaskEntries:
    found = TaskEntries()
    # No autoflush needed: a task's rows are only written through this module.
    for row in session.connection().execute(_TASK_ENTRIES, {"task": task_id}):
        if row.kind == RESERVATION:
            found.reservations.append(_Hold(row.id, row.amount, row.run_id, row.tile, row.details))
        elif row.kind == RELEASE and row.reservation_id is not None:
            found.released.add(row.reservation_id)
        elif row.kind == CHARGE:
            found.charged = True
    return found


def open_reservation(session: Session, task_id: str) -> _Hold | None:
    """The task's reservation that no release has settled yet (at most one exists)."""
    return task_entries(session, task_id).open


def reserve(
    session: Session,
    org_id: str,
    *,
    task_id: str,
    run_id: str,
    tile: str,
    cost: int,
    details: dict[str, Any] | None = None,
    entries: TaskEntries | None = None,
) -> int:
    """Hold ``cost`` for the task; a task already holding credits (a job re-delivered after a
    crash) keeps its hold and nothing new is written. The caller checked the balance; it may
    pass the task's ``entries`` it read in this transaction. Returns the hold's row id."""
    entries = entries or task_entries(session, task_id)
    held = entries.open
    if held is not None:
        return held.id
    attempt = len(entries.reservations)
    return _insert(
        session,
        org_id,
        RESERVATION,
        -cost,
        f"reservation:{task_id}:{attempt}",
        task_id=task_id,
        run_id=run_id,
        tile=tile,
        details=details,
    )


def release(
    session: Session, org_id: str, task_id: str, entries: TaskEntries | None = None
) -> int | None:
    """Give the task's hold back (failure, cancel); ``None`` when it holds nothing."""
    held = (entries or task_entries(session, task_id)).open
    if held is None:
        return None
    return _release(session, org_id, task_id, held)


def charge(
    session: Session, org_id: str, task_id: str, entries: TaskEntries | None = None
) -> int | None:
    """Take the task's price (success). ``None`` when it was charged already or never held
    credits (it was not priced, e.g. it started before billing existed)."""
    entries = entries or task_entries(session, task_id)
    held = entries.open
    if entries.charged or held is None:
        return None
    _release(session, org_id, task_id, held, move=False)
    charged = _insert(
        session,
        org_id,
        CHARGE,
        held.amount,
        f"charge:{task_id}",
        move=False,
        task_id=task_id,
        run_id=held.run_id,
        reservation_id=held.id,
        tile=held.tile,
        details=held.details,
    )
    # The release gives the hold back and the charge takes the same amount: the balance stays,
    # the credits held drop by the hold. One UPDATE for both rows.
    _move(session, org_id, 0, held.amount)
    return charged


def _release(session: Session, org_id: str, task_id: str, held: _Hold, *, move: bool = True) -> int:
    # New: an open hold has no release (``release:<id>`` is written only with one).
    return _insert(
        session,
        org_id,
        RELEASE,
        -held.amount,
        f"release:{held.id}",
        move=move,
        task_id=task_id,
        run_id=held.run_id,
        reservation_id=held.id,
        tile=held.tile,
    )


def entries(
    session: Session, org_id: str, *, limit: int, before_id: int | None = None
) -> list[CreditLedgerEntry]:
    """Newest first; ``before_id`` pages on."""
    query = select(CreditLedgerEntry).where(CreditLedgerEntry.organization_id == org_id)
    if before_id is not None:
        query = query.where(CreditLedgerEntry.id < before_id)
    return list(session.scalars(query.order_by(CreditLedgerEntry.id.desc()).limit(limit)))


def entry_view(entry: CreditLedgerEntry) -> dict[str, Any]:
    return {
        "id": entry.id,
        "kind": entry.kind,
        "amount": entry.amount,
        "created_at": entry.created_at.isoformat(),
        "run_id": entry.run_id,
        "task_id": entry.task_id,
        "reservation_id": entry.reservation_id,
        "tile": entry.tile,
        "details": entry.details,
    }
