"""The credit ledger: append-only rows, the balance is their sum.

Every function here expects the caller to hold the organization's billing lock
(``accounts.lock_account``), so a balance read and the row written after it cannot interleave
with another writer. Each row carries a unique ``idempotency_key``; appending a key that exists
returns the existing row and writes nothing, which is what makes retries and resumes safe.

A task's credits move in two steps: ``reserve`` holds its price (a negative ``reservation``)
before it runs; ``charge`` settles that hold when the task succeeds (a ``release`` giving the
hold back and a ``charge`` taking the price, written together), ``release`` alone when it fails
or is cancelled. A task is charged at most once (``charge:<task id>``).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from tilework.db.tables import CreditLedgerEntry

GRANT, ALLOWANCE, TOPUP, REFUND = "grant", "allowance", "topup", "refund"
RESERVATION, RELEASE, CHARGE = "reservation", "release", "charge"
ADJUSTMENT = "adjustment"  # an operator's correction, either sign, with a note
KINDS = (GRANT, ALLOWANCE, TOPUP, REFUND, RESERVATION, RELEASE, CHARGE, ADJUSTMENT)


@dataclass(frozen=True)
class Appended:
    entry: CreditLedgerEntry
    created: bool  # False: the key existed, nothing was written


def append(
    session: Session,
    org_id: str,
    kind: str,
    amount: int,
    key: str,
    **fields: Any,
) -> Appended:
    existing = session.scalar(
        select(CreditLedgerEntry).where(CreditLedgerEntry.idempotency_key == key)
    )
    if existing is not None:
        return Appended(existing, created=False)
    entry = CreditLedgerEntry(
        organization_id=org_id, kind=kind, amount=amount, idempotency_key=key, **fields
    )
    session.add(entry)
    session.flush()
    return Appended(entry, created=True)


def balance(session: Session, org_id: str) -> int:
    """Credits available to spend: every movement summed (held credits are already out)."""
    total = session.scalar(
        select(func.coalesce(func.sum(CreditLedgerEntry.amount), 0)).where(
            CreditLedgerEntry.organization_id == org_id
        )
    )
    return int(total or 0)


def reserved(session: Session, org_id: str) -> int:
    """Credits currently held by running tasks."""
    total = session.scalar(
        select(func.coalesce(func.sum(CreditLedgerEntry.amount), 0)).where(
            CreditLedgerEntry.organization_id == org_id,
            CreditLedgerEntry.kind.in_((RESERVATION, RELEASE)),
        )
    )
    return -int(total or 0)


def open_reservation(session: Session, task_id: str) -> CreditLedgerEntry | None:
    """The task's reservation that no release has settled yet (at most one exists)."""
    settled = select(CreditLedgerEntry.reservation_id).where(
        CreditLedgerEntry.task_id == task_id, CreditLedgerEntry.kind == RELEASE
    )
    return session.scalar(
        select(CreditLedgerEntry)
        .where(
            CreditLedgerEntry.task_id == task_id,
            CreditLedgerEntry.kind == RESERVATION,
            CreditLedgerEntry.id.not_in(settled),
        )
        .order_by(CreditLedgerEntry.id)
        .limit(1)
    )


def reserve(
    session: Session,
    org_id: str,
    *,
    task_id: str,
    run_id: str,
    tile: str,
    cost: int,
    details: dict[str, Any] | None = None,
) -> CreditLedgerEntry:
    """Hold ``cost`` for the task; a task already holding credits (a job re-delivered after a
    crash) keeps its hold and nothing new is written. The caller checked the balance."""
    held = open_reservation(session, task_id)
    if held is not None:
        return held
    attempt = session.scalar(
        select(func.count())
        .select_from(CreditLedgerEntry)
        .where(CreditLedgerEntry.task_id == task_id, CreditLedgerEntry.kind == RESERVATION)
    )
    return append(
        session,
        org_id,
        RESERVATION,
        -cost,
        f"reservation:{task_id}:{attempt or 0}",
        task_id=task_id,
        run_id=run_id,
        tile=tile,
        details=details,
    ).entry


def release(session: Session, org_id: str, task_id: str) -> CreditLedgerEntry | None:
    """Give the task's hold back (failure, cancel); ``None`` when it holds nothing."""
    held = open_reservation(session, task_id)
    if held is None:
        return None
    return _release(session, org_id, held)


def charge(session: Session, org_id: str, task_id: str) -> CreditLedgerEntry | None:
    """Take the task's price (success). ``None`` when it was charged already or never held
    credits (it was not priced, e.g. it started before billing existed)."""
    key = f"charge:{task_id}"
    if session.scalar(select(CreditLedgerEntry.id).where(CreditLedgerEntry.idempotency_key == key)):
        return None
    held = open_reservation(session, task_id)
    if held is None:
        return None
    _release(session, org_id, held)
    return append(
        session,
        org_id,
        CHARGE,
        held.amount,
        key,
        task_id=task_id,
        run_id=held.run_id,
        reservation_id=held.id,
        tile=held.tile,
        details=held.details,
    ).entry


def _release(session: Session, org_id: str, held: CreditLedgerEntry) -> CreditLedgerEntry:
    return append(
        session,
        org_id,
        RELEASE,
        -held.amount,
        f"release:{held.id}",
        task_id=held.task_id,
        run_id=held.run_id,
        reservation_id=held.id,
        tile=held.tile,
    ).entry


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
