"""The webhook sender: delivers outbox rows to callback URLs from a pool of threads.

Eligibility keeps each run's order: only the lowest-``seq`` *pending* event of a run may go, and
at most one event of a run is in flight, so a later event waits while an earlier one is retried;
other runs never wait for it. A dispatcher thread hands due events to a pool without waiting for
them, holding at most ``webhook_max_per_host`` deliveries per receiver host (host and port) in
flight, so one slow receiver cannot take every slot. Any 2xx is delivered; anything else (a
timeout, a connection error, an SSRF refusal, a 3xx — never followed —, a 4xx or 5xx) is retried
on ``webhook_retry_schedule`` (see ``tilework.webhooks.retries``) and then ``failed``, which lets
the run's next event go; ``410 Gone`` fails at once. Every attempt is a ``WebhookAttempt`` row
written in the same short transaction as its outcome; no transaction is open during a request.
"""

from __future__ import annotations

import json
import logging
import queue
import random
import threading
import time
import uuid
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor, wait
from datetime import datetime, timedelta
from typing import Any

import httpx
from sqlalchemy import Select, func, or_, select
from sqlalchemy.orm import Session, sessionmaker

from tilework.config import Settings
from tilework.db.session import unit_of_work
from tilework.db.tables import Organization, Run, WebhookAttempt, WebhookEvent, utcnow
from tilework.errors import TileworkError
from tilework.net.guard import Resolver
from tilework.webhooks import secrets
from tilework.webhooks.delivery import (
    Delivery,
    Finished,
    InFlight,
    Outcome,
    delivery_headers,
    host_of,
)
from tilework.webhooks.metrics import DeliveryMetrics
from tilework.webhooks.retries import next_delay
from tilework.webhooks.transport import HttpxWebhookTransport, TransportResult, WebhookTransport

__all__ = ["HttpxWebhookTransport", "TransportResult", "WebhookSender", "WebhookTransport"]

log = logging.getLogger(__name__)

GONE = 410
_PARALLEL = 64  # deliveries in flight at once (each to a different run); > the per-host cap
_SCAN = 500  # due candidates looked at per pass (those of saturated hosts are skipped)
_IDLE_WAIT = 5.0  # longest sleep between passes; wake() and finished deliveries cut it short


class WebhookSender:
    def __init__(
        self,
        sessions: sessionmaker[Session],
        settings: Settings,
        *,
        transport: WebhookTransport | None = None,
        clock: Callable[[], datetime] | None = None,
        resolver: Resolver | None = None,
        metrics: DeliveryMetrics | None = None,
    ) -> None:
        self._sessions = sessions
        self._metrics = metrics
        self._settings = settings
        self._given_transport = transport
        self._own_transport: HttpxWebhookTransport | None = None
        self._clock = clock or utcnow
        self._resolver = resolver
        self._rng = random.Random()
        self._in_flight = InFlight(per_host=settings.webhook_max_per_host, total=_PARALLEL)
        self._pool: ThreadPoolExecutor | None = None
        self._finished: queue.SimpleQueue[Finished] = queue.SimpleQueue()
        self._wake = threading.Event()
        self._stopping = threading.Event()
        self._thread: threading.Thread | None = None
        self._lock = threading.Lock()

    # --- life cycle -------------------------------------------------------------------------

    def start(self) -> None:
        if self._thread is not None and self._thread.is_alive():
            return
        self._stopping.clear()
        self._thread = threading.Thread(target=self._run, name="tilework-webhooks", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        """Stop picking events; let the attempts under way finish and record their outcome."""
        self._stopping.set()
        self._wake.set()
        if self._thread is not None:
            self._thread.join(timeout=self._settings.webhook_timeout_seconds + 5)
            self._thread = None
        with self._lock:
            pool, self._pool = self._pool, None
        if pool is not None:
            pool.shutdown(wait=True)
        self._cycle(pick=False)
        with self._lock:
            if self._own_transport is not None:
                self._own_transport.close()
                self._own_transport = None

    def wake(self) -> None:
        """New events were committed (or redelivery asked for): look now, not at the next poll."""
        self._wake.set()

    def _run(self) -> None:
        while not self._stopping.is_set():
            self._wake.clear()
            try:
                started, held_back = self._cycle(pick=True)
                if started:
                    continue
                # Held back (host or run busy): a finished delivery wakes the loop.
                wait_s = _IDLE_WAIT if held_back else self._seconds_until_due()
            except Exception:  # the thread must outlive a database hiccup
                log.exception("webhook delivery pass failed")
                wait_s = _IDLE_WAIT
            self._wake.wait(wait_s)

    # --- one pass ---------------------------------------------------------------------------

    def deliver_due_once(self) -> int:
        """Attempt every due, eligible event once and wait; return how many attempts were made.

        Eligible means: the head of its run, and its host below ``webhook_max_per_host``.
        """
        self._cycle(pick=False)
        futures = self._submit(self._pick_and_lease(pick=True)[1][0])
        wait(futures)
        self._cycle(pick=False)
        return len(futures)

    def _cycle(self, *, pick: bool) -> tuple[int, bool]:
        """Record finished attempts and lease the next due events in ONE transaction, then hand
        those to the pool; (how many started, whether some due ones were held back).

        One write transaction per cycle, whatever the number of attempts (group commit), is what
        keeps delivery fast on SQLite, where the database lock is the scarce resource.
        """
        (batch, results), (picked, held_back) = self._pick_and_lease(pick=pick)
        self._observe(batch, results)
        return len(self._submit(picked)), held_back

    def _pick_and_lease(
        self, *, pick: bool
    ) -> tuple[tuple[list[Finished], list[str]], tuple[list[Delivery], bool]]:
        batch: list[Finished] = []
        while not self._finished.empty():
            batch.append(self._finished.get_nowait())
        picked: tuple[list[Delivery], bool] = ([], False)
        released = False
        try:
            with unit_of_work(self._sessions) as session:
                now = self._clock()
                results = [self._record(session, item, now) for item in batch]
                session.flush()
                # The outcomes are in this transaction: each run's next event may go now.
                self._release(batch)
                released = True
                if pick:
                    picked = self._pick_due(session, now)
        except Exception:  # the events keep their lease and are tried again when it runs out
            log.exception("webhook: recording %d attempts failed", len(batch))
            if not released:
                self._release(batch)
            for delivery in picked[0]:
                self._in_flight.release(delivery.run_id, delivery.host)
            return ([], []), ([], True)
        return (batch, results), picked

    def _release(self, batch: list[Finished]) -> None:
        for item in batch:
            self._in_flight.release(item.delivery.run_id, item.delivery.host)

    def _submit(self, picked: list[Delivery]) -> list[Future[None]]:
        if not picked:
            return []
        pool = self._executor()
        return [pool.submit(self._deliver, delivery) for delivery in picked]

    def _pick_due(self, session: Session, now: datetime) -> tuple[list[Delivery], bool]:
        """Lease due heads that have a free slot; (them, whether any due one was held back)."""
        if self._in_flight.free() == 0:
            return [], True  # every slot busy: a finished delivery wakes the loop
        due = or_(WebhookEvent.next_attempt_at.is_(None), WebhookEvent.next_attempt_at <= now)
        stmt = (
            _heads()
            .add_columns(Organization)
            .join(Run, Run.id == WebhookEvent.run_id)
            .join(Organization, Organization.id == Run.organization_id)
            .where(due)
            .order_by(WebhookEvent.next_attempt_at, WebhookEvent.created_at)
            .limit(_SCAN)
        )
        # A lease: a second sender (another process) skips these while this one tries them; if
        # this process dies mid-attempt, the event is due again when the lease runs out.
        lease_until = now + timedelta(seconds=2 * self._settings.webhook_timeout_seconds + 10)
        picked: list[Delivery] = []
        held_back = False
        try:
            for event, org in session.execute(stmt):
                if not event.callback_url:  # nowhere to send: stream-only from now on
                    event.delivery_status = "none"
                    continue
                delivery = self._delivery(event, org, now)
                if not self._in_flight.take(delivery.run_id, delivery.host):
                    held_back = True
                    continue
                picked.append(delivery)
                event.next_attempt_at = lease_until
                if self._in_flight.free() == 0:
                    held_back = True  # there may be more: looked at once a slot frees
                    break
        except BaseException:
            for delivery in picked:
                self._in_flight.release(delivery.run_id, delivery.host)
            raise
        return picked, held_back

    def _delivery(self, event: WebhookEvent, org: Organization, now: datetime) -> Delivery:
        assert event.callback_url is not None
        signing, plaintext = self._secrets(org, now)
        return Delivery(
            event.id,
            event.seq,
            event.callback_url,
            json.dumps(event.payload, separators=(",", ":")).encode(),
            signing_secrets=signing,
            plaintext_secret=plaintext,
            created_at=event.created_at,
            run_id=event.run_id,
            host=host_of(event.callback_url),
        )

    def _secrets(self, org: Organization, now: datetime) -> tuple[tuple[str, ...], str | None]:
        """(the secrets that sign now, the plaintext header's value) for ``org``."""
        configured = self._settings.webhook_secret
        default = configured.get_secret_value() if configured else None
        signing = tuple(secrets.signing_secrets(org, now, default))
        return signing, secrets.plaintext_secret(org, default)

    def send_test(self, org: Organization, url: str) -> dict[str, Any]:
        """``POST /webhooks/test``: one signed ``TEST`` event to ``url`` now, not stored."""
        now = self._clock()
        event_id = str(uuid.uuid4())
        payload = {
            "flag": "TEST",
            "run_id": "test",
            "timestamp": now.isoformat(),
            "message": "This is a test webhook from Tilework.",
            "organization_id": org.id,
            "test_data": {"status": "test", "description": "Sent by POST /webhooks/test"},
        }
        signing, plaintext = self._secrets(org, now)
        delivery = Delivery(
            event_id,
            0,
            url,
            json.dumps(payload, separators=(",", ":")).encode(),
            signing_secrets=signing,
            plaintext_secret=plaintext,
            created_at=now,
        )
        started = time.monotonic()
        outcome = self._attempt(delivery)
        return {
            "success": outcome.error is None,
            "webhook_id": event_id,
            "url": url,
            "status_code": outcome.status_code,
            "latency_ms": round((time.monotonic() - started) * 1000),
            "error": outcome.error,
            "response_excerpt": outcome.excerpt,
        }

    def _deliver(self, delivery: Delivery) -> None:
        """One attempt, on a pool thread; the outcome is recorded by the loop's group commit."""
        started_at, started = self._clock(), time.monotonic()
        outcome = self._attempt(delivery)
        self._finished.put(Finished(delivery, started_at, time.monotonic() - started, outcome))
        self._wake.set()

    def _observe(self, batch: list[Finished], results: list[str]) -> None:
        if self._metrics is None:
            return
        now = self._clock()
        for item, result in zip(batch, results, strict=True):
            self._metrics.attempt(result, item.latency_s)
            if result == "delivered":
                self._metrics.delivered((now - item.delivery.created_at).total_seconds())

    def _attempt(self, delivery: Delivery) -> Outcome:
        try:
            headers = delivery_headers(delivery, int(self._clock().timestamp()))
            result = self._transport().post(delivery.url, delivery.body, headers)
        except (httpx.HTTPError, TileworkError, OSError) as exc:
            return Outcome(None, f"{type(exc).__name__}: {exc}")
        except Exception as exc:  # a broken transport must not wedge the run's queue
            log.exception("webhook transport raised unexpectedly")
            return Outcome(None, f"{type(exc).__name__}: {exc}")
        status = result.status_code
        error = None if 200 <= status < 300 else f"HTTP {status}"
        return Outcome(status, error, result.excerpt, result.retry_after)

    def _record(self, session: Session, item: Finished, now: datetime) -> str:
        """Log the attempt and settle the event; returns the outcome's metric label."""
        delivery, outcome = item.delivery, item.outcome
        event = session.get(WebhookEvent, delivery.event_id)
        if event is None:
            return "dropped"
        latency_ms = round(item.latency_s * 1000)
        session.add(_attempt_row(session, delivery, item.started_at, latency_ms, outcome))
        if event.delivery_status != "pending":
            return "dropped"  # settled elsewhere meanwhile: the attempt is still logged
        event.attempts += 1
        event.last_status_code, event.last_error = outcome.status_code, outcome.error
        log.debug(
            "webhook %s seq %s: %s", delivery.event_id, delivery.seq, outcome.error or "delivered"
        )
        return self._settle(event, outcome, now)

    def _settle(self, event: WebhookEvent, outcome: Outcome, now: datetime) -> str:
        if outcome.error is None:
            event.delivery_status, event.delivered_at = "delivered", now
            event.next_attempt_at = None
            return "delivered"
        delay = None
        if outcome.status_code != GONE:
            delay = next_delay(
                self._settings.webhook_retry_schedule,
                event.attempts,
                retry_after=outcome.retry_after,
                rng=self._rng,
            )
        if delay is None:  # 410, or the schedule is spent
            event.delivery_status, event.next_attempt_at = "failed", None
            return "gone" if outcome.status_code == GONE else "failed"
        event.next_attempt_at = now + timedelta(seconds=delay)
        return "retrying"

    def _seconds_until_due(self) -> float:
        with unit_of_work(self._sessions) as session:
            heads = _heads().subquery()
            soonest: datetime | None = session.scalar(select(func.min(heads.c.next_attempt_at)))
        if soonest is None:
            return _IDLE_WAIT
        return max(0.0, min((soonest - self._clock()).total_seconds(), _IDLE_WAIT))

    def _executor(self) -> ThreadPoolExecutor:
        with self._lock:
            if self._pool is None:
                self._pool = ThreadPoolExecutor(_PARALLEL, thread_name_prefix="tilework-webhook")
            return self._pool

    def _transport(self) -> WebhookTransport:
        if self._given_transport is not None:
            return self._given_transport
        with self._lock:  # built on first use: one-shot CLI runtimes never open a client
            if self._own_transport is None:
                self._own_transport = HttpxWebhookTransport(
                    timeout=self._settings.webhook_timeout_seconds,
                    allow_private=self._settings.allow_private_urls,
                    resolver=self._resolver,
                )
            return self._own_transport


def _attempt_row(
    session: Session,
    delivery: Delivery,
    started_at: datetime,
    latency_ms: int,
    outcome: Outcome,
) -> WebhookAttempt:
    """The log row of this attempt, numbered after the event's earlier ones (redeliveries too)."""
    earlier = select(func.max(WebhookAttempt.attempt)).where(
        WebhookAttempt.event_id == delivery.event_id
    )
    return WebhookAttempt(
        event_id=delivery.event_id,
        attempt=(session.scalar(earlier) or 0) + 1,
        started_at=started_at,
        url=delivery.url,
        status_code=outcome.status_code,
        latency_ms=latency_ms,
        error=outcome.error,
        response_excerpt=outcome.excerpt,
    )


def _heads() -> Select[WebhookEvent]:
    """Each run's lowest-seq pending event: the only one of the run allowed to be sent."""
    lowest = (
        select(WebhookEvent.run_id, func.min(WebhookEvent.seq).label("seq"))
        .where(WebhookEvent.delivery_status == "pending")
        .group_by(WebhookEvent.run_id)
        .subquery()
    )
    return select(WebhookEvent).join(
        lowest, (WebhookEvent.run_id == lowest.c.run_id) & (WebhookEvent.seq == lowest.c.seq)
    )
