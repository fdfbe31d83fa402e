"""The delivery log and redelivery: services over outbox rows and their attempts (no HTTP).

Every HTTP attempt at an event is a ``WebhookAttempt`` row (written by the sender with the
outcome). ``redeliver`` queues an event again with the same id — hence the same ``webhook-id``
header — and a fresh retry schedule; it keeps the run's order: like any pending event it goes
once the run's pending events of lower ``seq`` are settled, and before those of higher ``seq``.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime

from pydantic import BaseModel
from sqlalchemy import select
from sqlalchemy.orm import Session

from tilework.db.tables import Run, WebhookAttempt, WebhookEvent
from tilework.errors import ConflictError, NotFoundError
from tilework.webhooks.wakeup import notify_senders


class AttemptView(BaseModel):
    attempt: int
    started_at: datetime
    url: str
    status_code: int | None
    latency_ms: int
    error: str | None
    response_excerpt: str | None


class EventDeliveries(BaseModel):
    id: str
    seq: int
    flag: str
    created_at: datetime
    callback_url: str | None
    delivery_status: str  # pending | delivered | failed | none
    attempts: list[AttemptView]
    next_attempt_at: datetime | None
    delivered_at: datetime | None


class RunDeliveries(BaseModel):
    run_id: str
    events: list[EventDeliveries]


class Redelivery(BaseModel):
    success: bool
    event_id: str
    delivery_status: str


def run_deliveries(session: Session, organization_id: str, run_id: str) -> RunDeliveries:
    """The run's events in order, each with its attempts; ``NotFoundError`` for a foreign run."""
    run = session.get(Run, run_id)
    if run is None or run.organization_id != organization_id:
        raise NotFoundError(f"run {run_id} not found")
    events = session.scalars(
        select(WebhookEvent).where(WebhookEvent.run_id == run_id).order_by(WebhookEvent.seq)
    )
    attempts = _attempts_by_event(session, run_id)
    return RunDeliveries(
        run_id=run_id, events=[_event_view(event, attempts[event.id]) for event in events]
    )


def redeliver(session: Session, organization_id: str, event_id: str, now: datetime) -> Redelivery:
    """Queue the event again, due ``now``; ``ConflictError`` when it has no callback URL."""
    event = session.scalar(
        select(WebhookEvent)
        .join(Run, Run.id == WebhookEvent.run_id)
        .where(WebhookEvent.id == event_id, Run.organization_id == organization_id)
    )
    if event is None:
        raise NotFoundError(f"webhook event {event_id} not found")
    if not event.callback_url:
        raise ConflictError(f"webhook event {event_id} has no callback URL to deliver to")
    event.delivery_status, event.next_attempt_at = "pending", now
    event.attempts = 0  # a fresh retry schedule; the log keeps numbering attempts
    session.flush()
    notify_senders(session)
    return Redelivery(success=True, event_id=event.id, delivery_status=event.delivery_status)


def _attempts_by_event(session: Session, run_id: str) -> dict[str, list[AttemptView]]:
    rows = session.scalars(
        select(WebhookAttempt)
        .join(WebhookEvent, WebhookEvent.id == WebhookAttempt.event_id)
        .where(WebhookEvent.run_id == run_id)
        .order_by(WebhookAttempt.event_id, WebhookAttempt.attempt)
    )
    grouped: dict[str, list[AttemptView]] = defaultdict(list)
    for row in rows:
        grouped[row.event_id].append(AttemptView.model_validate(row, from_attributes=True))
    return grouped


def _event_view(event: WebhookEvent, attempts: list[AttemptView]) -> EventDeliveries:
    return EventDeliveries(
        id=event.id,
        seq=event.seq,
        flag=event.flag,
        created_at=event.created_at,
        callback_url=event.callback_url,
        delivery_status=event.delivery_status,
        attempts=attempts,
        next_attempt_at=event.next_attempt_at,
        delivered_at=event.delivered_at,
    )
