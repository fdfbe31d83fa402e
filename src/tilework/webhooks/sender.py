"""The webhook sender (first version): delivers outbox rows to callback URLs from a thread.

Eligibility keeps each run's order: only the lowest-``seq`` *pending* event of a run may go, so a
later event waits while an earlier one is retried, and other runs never wait for it (due events of
different runs are sent in parallel). Any 2xx is delivered; anything else, including connection
errors and SSRF refusals, is retried with exponential back-off until ``webhook_max_attempts``,
then ``failed`` (which lets the run's next event go); ``410 Gone`` fails at once. Each state
change is its own short transaction and no transaction is open during an HTTP request.
"""

from __future__ import annotations

import json
import logging
import threading
from collections.abc import Callable, Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Protocol

import httpx
from sqlalchemy import Select, func, or_, select
from sqlalchemy.orm import Session, sessionmaker

from tilework import __version__
from tilework.config import Settings
from tilework.db.session import unit_of_work
from tilework.db.tables import Organization, Run, WebhookEvent, utcnow
from tilework.errors import TileworkError
from tilework.net.guard import Resolver, guarded_client

log = logging.getLogger(__name__)

MAX_BACKOFF_SECONDS = 3600.0
GONE = 410
_BATCH = 50  # events picked per pass (one per run)
_PARALLEL = 8  # deliveries in flight at once, each to a different run
_IDLE_WAIT = 5.0  # longest sleep between passes; wake() cuts it short


class WebhookTransport(Protocol):
    def post(self, url: str, body: bytes, headers: Mapping[str, str]) -> int:
        """POST ``body``; return the status code, raise on a connection-level failure."""
        ...


class HttpxWebhookTransport:
    """POSTs through the SSRF guard, pinned to the checked address, never following redirects."""

    def __init__(
        self, *, timeout: float, allow_private: bool, resolver: Resolver | None = None
    ) -> None:
        self._client = guarded_client(
            allow_private=allow_private, timeout=timeout, resolver=resolver
        )

    def post(self, url: str, body: bytes, headers: Mapping[str, str]) -> int:
        # The answer's body is never read: only its status matters, and it may be large.
        with self._client.stream("POST", url, content=body, headers=dict(headers)) as response:
            return response.status_code

    def close(self) -> None:
        self._client.close()


@dataclass(frozen=True)
class _Delivery:
    event_id: str
    seq: int
    url: str
    body: bytes
    secret: str | None


class WebhookSender:
    def __init__(
        self,
        sessions: sessionmaker[Session],
        settings: Settings,
        *,
        transport: WebhookTransport | None = None,
        clock: Callable[[], datetime] | None = None,
        resolver: Resolver | None = None,
    ) -> None:
        self._sessions = sessions
        self._settings = settings
        self._given_transport = transport
        self._own_transport: HttpxWebhookTransport | None = None
        self._clock = clock or utcnow
        self._resolver = resolver
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
        self._stopping.set()
        self._wake.set()
        if self._thread is not None:
            self._thread.join(timeout=self._settings.webhook_timeout_seconds + 5)
            self._thread = None
        with self._lock:
            if self._own_transport is not None:
                self._own_transport.close()
                self._own_transport = None

    def wake(self) -> None:
        """New events were committed: look now instead of at the next poll."""
        self._wake.set()

    def _run(self) -> None:
        while not self._stopping.is_set():
            try:
                if self.deliver_due_once():
                    continue
                wait = self._seconds_until_due()
            except Exception:  # the thread must outlive a database hiccup
                log.exception("webhook delivery pass failed")
                wait = _IDLE_WAIT
            self._wake.wait(wait)
            self._wake.clear()

    # --- one pass ---------------------------------------------------------------------------

    def deliver_due_once(self) -> int:
        """Attempt every due, eligible event once; return how many attempts were made."""
        batch = self._pick_due()
        if len(batch) == 1:
            self._deliver(batch[0])
        elif batch:
            workers = min(_PARALLEL, len(batch))
            with ThreadPoolExecutor(workers, thread_name_prefix="tilework-webhook") as pool:
                list(pool.map(self._deliver, batch))
        return len(batch)

    def _pick_due(self) -> list[_Delivery]:
        now = self._clock()
        due = or_(WebhookEvent.next_attempt_at.is_(None), WebhookEvent.next_attempt_at <= now)
        stmt = (
            _heads()
            .add_columns(Organization.webhook_secret)
            .join(Run, Run.id == WebhookEvent.run_id)
            .join(Organization, Organization.id == Run.organization_id)
            .where(due)
            .order_by(WebhookEvent.next_attempt_at, WebhookEvent.created_at)
            .limit(_BATCH)
        )
        # A lease: a second sender (another process) skips these while this one tries them; if
        # this process dies mid-attempt, the event is due again when the lease runs out.
        lease_until = now + timedelta(seconds=2 * self._settings.webhook_timeout_seconds + 10)
        picked = []
        with unit_of_work(self._sessions) as session:
            for event, org_secret in session.execute(stmt):
                if not event.callback_url:  # nowhere to send: stream-only from now on
                    event.delivery_status = "none"
                    continue
                event.next_attempt_at = lease_until
                picked.append(self._delivery(event, org_secret))
        return picked

    def _delivery(self, event: WebhookEvent, org_secret: str | None) -> _Delivery:
        default = self._settings.webhook_secret
        secret = org_secret or (default.get_secret_value() if default else None)
        body = json.dumps(event.payload, separators=(",", ":")).encode()
        assert event.callback_url is not None
        return _Delivery(event.id, event.seq, event.callback_url, body, secret or None)

    def _deliver(self, delivery: _Delivery) -> None:
        status, error = self._attempt(delivery)
        self._record(delivery, status, error)

    def _attempt(self, delivery: _Delivery) -> tuple[int | None, str | None]:
        try:
            status = self._transport().post(delivery.url, delivery.body, _headers(delivery))
        except (httpx.HTTPError, TileworkError, OSError) as exc:
            return None, f"{type(exc).__name__}: {exc}"
        except Exception as exc:  # a broken transport must not wedge the run's queue
            log.exception("webhook transport raised unexpectedly")
            return None, f"{type(exc).__name__}: {exc}"
        return status, None if 200 <= status < 300 else f"HTTP {status}"

    def _record(self, delivery: _Delivery, status: int | None, error: str | None) -> None:
        now = self._clock()
        with unit_of_work(self._sessions) as session:
            event = session.get(WebhookEvent, delivery.event_id)
            if event is None or event.delivery_status != "pending":
                return  # settled elsewhere meanwhile (e.g. re-sent or cancelled by hand)
            event.attempts += 1
            event.last_status_code, event.last_error = status, error
            if error is None:
                event.delivery_status, event.delivered_at, event.next_attempt_at = (
                    "delivered",
                    now,
                    None,
                )
            elif status == GONE or event.attempts >= self._settings.webhook_max_attempts:
                event.delivery_status, event.next_attempt_at = "failed", None
            else:
                event.next_attempt_at = now + timedelta(seconds=self._backoff(event.attempts))
        log.info("webhook %s seq %s: %s", delivery.event_id, delivery.seq, error or "delivered")

    def _backoff(self, attempts: int) -> float:
        delay: float = self._settings.webhook_retry_base_seconds * 2.0 ** (attempts - 1)
        return min(delay, MAX_BACKOFF_SECONDS)

    def _seconds_until_due(self) -> float:
        with unit_of_work(self._sessions) as session:
            heads = _heads().subquery()
            soonest: datetime | None = session.scalar(select(func.min(heads.c.next_attempt_at)))
        if soonest is None:
            return _IDLE_WAIT
        return max(0.0, min((soonest - self._clock()).total_seconds(), _IDLE_WAIT))

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


def _headers(delivery: _Delivery) -> dict[str, str]:
    headers = {
        "Content-Type": "application/json",
        "User-Agent": f"Tilework/{__version__}",
        "webhook-id": delivery.event_id,
        "X-Tilework-Sequence": str(delivery.seq),
    }
    if delivery.secret:
        headers["X-Mosaic-Signature"] = delivery.secret
    return headers
