"""The sender's database side: lease due outbox rows, and record finished attempts.

Both run inside the sender's one transaction per cycle (group commit) as a handful of set-based
Core statements, built once at import, whatever the number of deliveries. At a thousand
deliveries a second on SQLite, the database lock and the interpreter are what delivery spends;
ORM objects per row (and statements rebuilt per call) cost more than the HTTP requests did.

Eligibility keeps each run's order: only each run's lowest-``seq`` *pending* event (its "head")
may go, and only when due; a leased head is not due until its lease runs out, so a second
sender (another process) skips it and a crashed one's events come back on their own. On
PostgreSQL the heads are read ``FOR UPDATE SKIP LOCKED``: two senders leasing at the same
moment never take the same head.
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, cast

from sqlalchemy import (
    BindParameter,
    Connection,
    Select,
    Table,
    Text,
    bindparam,
    func,
    insert,
    or_,
    select,
    update,
)
from sqlalchemy.orm import Session

from tilework.db.tables import Organization, Run, WebhookAttempt, WebhookEvent
from tilework.webhooks.delivery import Delivery, Finished, InFlight, Outcome, host_of
from tilework.webhooks.retries import next_delay
from tilework.webhooks.secrets import SecretColumns

GONE = 410
SCAN = 500  # due heads looked at per lease (those of busy runs or saturated hosts are skipped)

# (the secrets that sign now, the plaintext header's value) from an organization's columns
SecretsOf = Callable[[SecretColumns], tuple[tuple[str, ...], str | None]]

_events = cast(Table, WebhookEvent.__table__)
_attempts = cast(Table, WebhookAttempt.__table__)
_E, _A, _R, _O = _events.c, _attempts.c, Run.__table__.c, Organization.__table__.c
_IDS: BindParameter[Any] = bindparam("ids", expanding=True)


def _lowest_pending() -> Any:
    """Each run's lowest pending seq (straight from the ``ix_webhook_events_heads`` index)."""
    return (
        select(_E.run_id, func.min(_E.seq).label("seq"))
        .where(_E.delivery_status == "pending")
        .group_by(_E.run_id)
        .subquery()
    )


def _heads() -> Select[Any]:
    """Each run's head: its lowest-seq pending event, the only one of the run allowed to go."""
    lowest = _lowest_pending()
    return select(_events).join(lowest, (_E.run_id == lowest.c.run_id) & (_E.seq == lowest.c.seq))


_DUE_HEADS = (
    _heads()
    .with_only_columns(
        _E.id,
        _E.run_id,
        _E.seq,
        _E.callback_url,
        # The stored text is the body (compact JSON, ``db.session.compact_json``): never decoded,
        # so rows skipped for a busy host cost nothing and the body is byte for byte the commit.
        # A SQL CAST, so drivers that decode JSON columns themselves (psycopg) hand back text.
        _E.payload.cast(Text).label("body"),
        _E.created_at,
        _R.organization_id,
        _O.webhook_secret,
        _O.webhook_previous_secret,
        _O.webhook_previous_secret_until,
        _O.webhook_plaintext_header,
    )
    .join(Run.__table__, _R.id == _E.run_id)
    .join(Organization.__table__, _O.id == _R.organization_id)
    .where(or_(_E.next_attempt_at.is_(None), _E.next_attempt_at <= bindparam("now")))
    .order_by(_E.next_attempt_at, _E.created_at)
    .limit(SCAN)
    # PostgreSQL: senders in several processes lease at once; a head another sender is leasing
    # right now is skipped, not waited for (and not sent twice). SQLite renders no FOR UPDATE:
    # its writers are serialized by BEGIN IMMEDIATE.
    .with_for_update(of=_events, skip_locked=True)
)
_SOONEST_DUE = select(func.min(_heads().subquery().c.next_attempt_at))
_LEASE = update(_events).where(_E.id.in_(_IDS)).values(next_attempt_at=bindparam("until"))
_STREAM_ONLY = update(_events).where(_E.id.in_(_IDS)).values(delivery_status="none")
# Each event's state and the number of its last logged attempt, in one round trip.
_CURRENT = select(
    _E.id,
    _E.delivery_status,
    _E.attempts,
    select(func.max(_A.attempt)).where(_A.event_id == _E.id).scalar_subquery().label("numbered"),
).where(_E.id.in_(_IDS))
_LOG_ATTEMPT = insert(_attempts)
_SETTLE = (
    update(_events)
    .where(_E.id == bindparam("b_id"))
    .values(  # b_: a bound name may not be a column's (SQLAlchemy reserves those for SET)
        attempts=bindparam("b_attempts"),
        last_status_code=bindparam("b_status_code"),
        last_error=bindparam("b_error"),
        delivery_status=bindparam("b_status"),
        next_attempt_at=bindparam("b_next_attempt_at"),
        # kept as it was unless delivered now
        delivered_at=func.coalesce(
            bindparam("b_delivered_at", type_=_E.delivered_at.type), _E.delivered_at
        ),
    )
)
_REQUEUE = (
    update(_events)
    .where(_E.id.in_(_IDS), _E.delivery_status == "pending")
    .values(next_attempt_at=bindparam("now"))
)


@dataclass(frozen=True)
class Leased:
    deliveries: list[Delivery]
    held_back: bool  # some due head waits for a free slot: look again when one frees
    full: bool  # the scan came back full: more may be due right now


def lease_due(
    session: Session,
    now: datetime,
    in_flight: InFlight,
    *,
    lease_for: timedelta,
    secrets_of: SecretsOf,
) -> Leased:
    """Take a slot for each due head that can have one, and lease it for ``lease_for``."""
    if in_flight.free() == 0:
        return Leased([], held_back=True, full=False)
    db = session.connection()
    rows = db.execute(_DUE_HEADS, {"now": now}).all()
    expires = time.monotonic() + lease_for.total_seconds()
    signing: dict[str, tuple[tuple[str, ...], str | None]] = {}
    picked: list[Delivery] = []
    stream_only: list[str] = []
    held_back = False
    try:
        for row in rows:
            if not row.callback_url:  # nowhere to send: stream-only from now on
                stream_only.append(row.id)
                continue
            host = host_of(row.callback_url)
            if not in_flight.take(row.run_id, host):
                held_back = True
                if in_flight.free() == 0:
                    break  # there may be more: looked at once a slot frees
                continue
            if row.organization_id not in signing:
                signing[row.organization_id] = secrets_of(row)
            secrets, plaintext = signing[row.organization_id]
            picked.append(
                Delivery(
                    row.id,
                    row.seq,
                    row.callback_url,
                    row.body.encode(),
                    signing_secrets=secrets,
                    plaintext_secret=plaintext,
                    created_at=row.created_at,
                    run_id=row.run_id,
                    host=host,
                    lease_expires=expires,
                )
            )
        _execute_for(db, _STREAM_ONLY, stream_only)
        _execute_for(db, _LEASE, [d.event_id for d in picked], until=now + lease_for)
    except BaseException:
        for delivery in picked:
            in_flight.release(delivery.run_id, delivery.host)
        raise
    return Leased(picked, held_back=held_back, full=len(rows) == SCAN)


def record(
    session: Session,
    batch: Sequence[Finished],
    now: datetime,
    *,
    schedule: Sequence[float],
    rng: random.Random,
) -> list[str | None]:
    """Log each attempt and settle its event; each item's metric label (``None``: not sent)."""
    if not batch:
        return []
    db = session.connection()
    ids = [item.delivery.event_id for item in batch]
    found = db.execute(_CURRENT, {"ids": ids}).all()
    current = {row.id: (row.delivery_status, row.attempts) for row in found}
    numbered: dict[str, int] = {row.id: row.numbered or 0 for row in found}
    logged: list[dict[str, Any]] = []
    settled: list[dict[str, Any]] = []
    unsent: list[str] = []
    labels: list[str | None] = []
    for item in batch:
        event_id, outcome = item.delivery.event_id, item.outcome
        if outcome is None:  # given back unsent: due again now, no attempt to log
            unsent.append(event_id)
            labels.append(None)
            continue
        if event_id not in current:
            labels.append("dropped")
            continue
        # Numbered after the event's earlier attempts, redeliveries included.
        numbered[event_id] = numbered.get(event_id, 0) + 1
        logged.append(_attempt_row(item, outcome, numbered[event_id]))
        status, attempts = current[event_id]
        if status != "pending":
            labels.append("dropped")  # settled elsewhere meanwhile: the attempt is still logged
            continue
        change, label = _settle(outcome, attempts + 1, now, schedule, rng)
        settled.append({"b_id": event_id, "b_attempts": attempts + 1, **change})
        labels.append(label)
    if logged:
        db.execute(_LOG_ATTEMPT, logged)
    if settled:
        db.execute(_SETTLE, settled)
    _execute_for(db, _REQUEUE, unsent, now=now)
    return labels


def soonest_due(session: Session) -> datetime | None:
    """When the earliest head is due (``None``: nothing pending)."""
    soonest: datetime | None = session.connection().scalar(_SOONEST_DUE)
    return soonest


def _settle(
    outcome: Outcome,
    attempts: int,
    now: datetime,
    schedule: Sequence[float],
    rng: random.Random,
) -> tuple[dict[str, Any], str]:
    """The event's new columns after its ``attempts``-th attempt, and the metric label."""
    change: dict[str, Any] = {
        "b_status_code": outcome.status_code,
        "b_error": outcome.error,
        "b_status": "pending",
        "b_next_attempt_at": None,
        "b_delivered_at": None,
    }
    if outcome.error is None:
        return {**change, "b_status": "delivered", "b_delivered_at": now}, "delivered"
    delay = None
    if outcome.status_code != GONE:
        delay = next_delay(schedule, attempts, retry_after=outcome.retry_after, rng=rng)
    if delay is None:  # 410, or the schedule is spent
        label = "gone" if outcome.status_code == GONE else "failed"
        return {**change, "b_status": "failed"}, label
    return {**change, "b_next_attempt_at": now + timedelta(seconds=delay)}, "retrying"


def _attempt_row(item: Finished, outcome: Outcome, number: int) -> dict[str, Any]:
    return {
        "event_id": item.delivery.event_id,
        "attempt": number,
        "started_at": item.started_at,
        "url": item.delivery.url,
        "status_code": outcome.status_code,
        "latency_ms": round(item.latency_s * 1000),
        "error": outcome.error,
        "response_excerpt": outcome.excerpt,
    }


def _execute_for(db: Connection, statement: Any, event_ids: list[str], **params: Any) -> None:
    if event_ids:
        db.execute(statement, {"ids": event_ids, **params})
