"""The webhook sender: delivers outbox rows to callback URLs from one asyncio event loop.

A thread runs the loop. Each *cycle* records the attempts that finished since the last one and
leases the next due events, in ONE database transaction (group commit: the database lock, not
the network, is the scarce resource on SQLite), on a database thread of its own so the loop keeps
talking to receivers meanwhile; each leased event becomes a task posting it. Order per run: only
a run's head (lowest pending ``seq``) may go and at most one event of a run is in flight, so a
later event waits while an earlier one is retried; other runs never wait for it. At most
``webhook_max_per_host`` requests to one receiver host (host and port) are open, and four times
that many of its events leased, so one slow receiver cannot take every slot. Any 2xx is
delivered; anything else (a timeout, a connection error, an SSRF refusal, a 3xx — never
followed —, a 4xx or 5xx) is retried on ``webhook_retry_schedule``
(``tilework.webhooks.retries``) and then ``failed``, which lets the run's next event go;
``410 Gone`` fails at once. An event's outcome is committed before the run's next event is sent,
so a crash can repeat an event (same ``webhook-id``) but never reorder.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import random
import threading
import time
import uuid
from collections.abc import Callable, Coroutine
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timedelta
from typing import Any, TypeVar

from sqlalchemy.orm import Session, sessionmaker

from tilework.config import Settings
from tilework.db.session import unit_of_work
from tilework.db.tables import Organization, utcnow
from tilework.errors import TileworkError
from tilework.net.guard import Resolver
from tilework.webhooks import outbox, secrets
from tilework.webhooks.delivery import (
    Delivery,
    Finished,
    HostQueues,
    InFlight,
    Outcome,
    delivery_headers,
)
from tilework.webhooks.metrics import DeliveryMetrics
from tilework.webhooks.secrets import SecretColumns
from tilework.webhooks.transport import (
    AiohttpWebhookTransport,
    DeliveryError,
    TransportResult,
    WebhookTransport,
)

__all__ = ["TransportResult", "WebhookSender", "WebhookTransport"]

log = logging.getLogger(__name__)

_PARALLEL = 256  # deliveries leased at once (each of a different run)
# Leased per host, as a multiple of the requests it may have open: the next ones are ready to go
# the moment a request ends, without waiting for a database cycle.
_HOST_BACKLOG = 4
_IDLE_WAIT = 5.0  # longest sleep between cycles: events committed by other processes
_T = TypeVar("_T")


def run_loop(main: Coroutine[Any, Any, _T]) -> _T:
    """Run ``main`` on a new event loop: uvloop's when installed (uvicorn[standard] brings it on
    Linux and macOS; its loop and sockets cost less per delivery), asyncio's otherwise."""
    try:
        import uvloop
    except ImportError:
        return asyncio.run(main)
    with asyncio.Runner(loop_factory=uvloop.new_event_loop) as runner:
        return runner.run(main)


class WebhookSender:
    def __init__(
        self,
        sessions: sessionmaker[Session],
        settings: Settings,
        *,
        clock: Callable[[], datetime] | None = None,
        resolver: Resolver | None = None,
        metrics: DeliveryMetrics | None = None,
    ) -> None:
        self._sessions = sessions
        self._settings = settings
        self._clock = clock or utcnow
        self._resolver = resolver
        self._metrics = metrics
        self._rng = random.Random()
        per_host = settings.webhook_max_per_host
        self._in_flight = InFlight(per_host=per_host * _HOST_BACKLOG, total=_PARALLEL)
        self._hosts = HostQueues(per_host, self._start)
        self._transport: WebhookTransport | None = None  # the running loop's
        self._thread: threading.Thread | None = None
        # Set while the loop thread runs; wake() and stop() reach the loop through it.
        self._loop: asyncio.AbstractEventLoop | None = None
        self._loop_ready = threading.Event()
        self._wake: asyncio.Event | None = None
        self._stopping = False
        self._db: ThreadPoolExecutor | None = None  # only while started: cycles off the loop
        self._finished: list[Finished] = []  # touched on the loop only
        self._tasks: set[asyncio.Task[None]] = set()

    # --- life cycle -------------------------------------------------------------------------

    def start(self) -> None:
        if self._thread is not None and self._thread.is_alive():
            return
        self._stopping = False
        self._loop_ready.clear()
        self._db = ThreadPoolExecutor(1, thread_name_prefix="tilework-webhooks-db")
        self._thread = threading.Thread(
            target=lambda: run_loop(self._serve()), name="tilework-webhooks", daemon=True
        )
        self._thread.start()
        self._loop_ready.wait(10)

    def stop(self) -> None:
        """Stop leasing events; let the attempts under way finish and record their outcome."""
        thread, loop = self._thread, self._loop
        if thread is None:
            return
        if loop is not None:
            loop.call_soon_threadsafe(self._request_stop)
        thread.join(timeout=self._settings.webhook_timeout_seconds + 10)
        self._thread = None
        if self._db is not None:
            self._db.shutdown(wait=True)
            self._db = None

    def wake(self) -> None:
        """New events were committed (or redelivery asked for): look now, not at the next poll."""
        loop, event = self._loop, self._wake
        if loop is None or event is None:
            return
        # RuntimeError: the loop closed meanwhile (stopping), so there is nothing to wake.
        with contextlib.suppress(RuntimeError):
            loop.call_soon_threadsafe(event.set)

    def _request_stop(self) -> None:
        self._stopping = True
        if self._wake is not None:
            self._wake.set()

    async def _serve(self) -> None:
        self._loop = asyncio.get_running_loop()
        wake = self._wake = asyncio.Event()
        transport = self._transport = self._new_transport()
        self._loop_ready.set()
        try:
            while not self._stopping:
                wake.clear()
                leased = await self._cycle_logged()
                if leased.full or wake.is_set():
                    continue  # more due, or deliveries finished / events committed meanwhile
                # Held back (host or run busy): a finished delivery wakes the loop.
                wait_s = _IDLE_WAIT if leased.held_back else await self._seconds_until_due()
                if not wake.is_set():
                    with contextlib.suppress(TimeoutError):
                        await asyncio.wait_for(wake.wait(), wait_s)
        finally:
            # Let the attempts under way finish, then record them.
            await self._drain()
            try:
                await self._cycle(pick=False)
            finally:
                await transport.aclose()
                self._loop, self._wake, self._transport = None, None, None

    async def _cycle_logged(self) -> outbox.Leased:
        try:
            return await self._cycle(pick=True)
        except Exception:  # the loop must outlive a database hiccup
            log.exception("webhook delivery cycle failed")
            return outbox.Leased([], held_back=True, full=False)

    async def _seconds_until_due(self) -> float:
        try:
            soonest = await self._on_db(self._soonest_due)
        except Exception:
            log.exception("webhook: looking for the next due event failed")
            return _IDLE_WAIT
        if soonest is None:
            return _IDLE_WAIT
        return max(0.0, min((soonest - self._clock()).total_seconds(), _IDLE_WAIT))

    def _soonest_due(self) -> datetime | None:
        with unit_of_work(self._sessions) as session:
            return outbox.soonest_due(session)

    # --- one cycle --------------------------------------------------------------------------

    def deliver_due_once(self) -> int:
        """Attempt every due, eligible event once and wait; return how many attempts were made.

        For tests and one-shot tools: runs its own event loop, so only while not ``start``-ed.
        """
        if self._thread is not None:
            raise RuntimeError("deliver_due_once() is for a sender that is not started")
        return run_loop(self._deliver_due_once())

    async def _deliver_due_once(self) -> int:
        self._wake = asyncio.Event()
        transport = self._transport = self._new_transport()
        try:
            leased = await self._cycle(pick=True)
            await self._drain()
            await self._cycle(pick=False)
            return len(leased.deliveries)
        finally:
            await transport.aclose()
            self._wake, self._transport = None, None

    async def _cycle(self, *, pick: bool) -> outbox.Leased:
        """Record finished attempts and lease the next due events in ONE transaction, then
        start a task posting each leased event."""
        batch, self._finished = self._finished, []
        labels, leased = await self._on_db(self._record_and_lease, batch, pick)
        self._observe(batch, labels)
        for delivery in leased.deliveries:
            self._hosts.add(delivery)  # starts now, or when the host has a free slot
        return leased

    async def _drain(self) -> None:
        """Wait for every delivery under way, and those queued behind them for their host."""
        while self._tasks:
            await asyncio.gather(*self._tasks, return_exceptions=True)

    def _start(self, delivery: Delivery) -> None:
        assert self._transport is not None
        task = asyncio.create_task(self._deliver(self._transport, delivery))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    def _record_and_lease(
        self, batch: list[Finished], pick: bool
    ) -> tuple[list[str | None], outbox.Leased]:
        nothing = outbox.Leased([], held_back=False, full=False)
        leased = nothing
        released = False
        try:
            with unit_of_work(self._sessions) as session:
                now = self._clock()
                labels = outbox.record(
                    session,
                    batch,
                    now,
                    schedule=self._settings.webhook_retry_schedule,
                    rng=self._rng,
                )
                # The outcomes are in this transaction: each run's next event may go now.
                self._release(batch)
                released = True
                if pick:
                    leased = outbox.lease_due(
                        session,
                        now,
                        self._in_flight,
                        lease_for=self._lease_length(),
                        secrets_of=lambda org: self._secrets(org, now),
                    )
        except Exception:  # the events keep their lease and are tried again when it runs out
            log.exception("webhook: recording %d attempts failed", len(batch))
            if not released:
                self._release(batch)
            for delivery in leased.deliveries:
                self._in_flight.release(delivery.run_id, delivery.host)
            return [], outbox.Leased([], held_back=True, full=False)
        return labels, leased

    def _lease_length(self) -> timedelta:
        # A second sender (another process) skips leased events while this one tries them; if
        # this process dies mid-attempt, the event is due again when the lease runs out.
        return timedelta(seconds=2 * self._settings.webhook_timeout_seconds + 10)

    def _release(self, batch: list[Finished]) -> None:
        for item in batch:
            self._in_flight.release(item.delivery.run_id, item.delivery.host)

    async def _on_db(self, function: Callable[..., _T], *args: Any) -> _T:
        """Database work: on the database thread while started, inline in a one-shot loop."""
        if self._db is None:
            return function(*args)
        return await asyncio.get_running_loop().run_in_executor(self._db, function, *args)

    # --- one delivery -----------------------------------------------------------------------

    async def _deliver(self, transport: WebhookTransport, delivery: Delivery) -> None:
        """One attempt; the outcome is recorded by the next cycle's group commit."""
        outcome: Outcome | None = None
        started_at, started = self._clock(), time.monotonic()
        try:
            # Queued behind its host's other deliveries for so long that the attempt could
            # outlast the lease (another sender may take the event then): give it back unsent.
            if started + self._settings.webhook_timeout_seconds + 5 < delivery.lease_expires:
                outcome = await self._attempt(transport, delivery, started_at)
        finally:
            self._hosts.done(delivery.host)
        self._finished.append(Finished(delivery, started_at, time.monotonic() - started, outcome))
        if self._wake is not None:
            self._wake.set()

    async def _attempt(
        self, transport: WebhookTransport, delivery: Delivery, at: datetime
    ) -> Outcome:
        try:
            headers = delivery_headers(delivery, int(at.timestamp()))
            result = await transport.post(delivery.url, delivery.body, headers)
        except DeliveryError as exc:
            return Outcome(None, str(exc))
        except (TileworkError, OSError) as exc:
            return Outcome(None, f"{type(exc).__name__}: {exc}")
        except Exception as exc:  # a broken transport must not wedge the run's queue
            log.exception("webhook transport raised unexpectedly")
            return Outcome(None, f"{type(exc).__name__}: {exc}")
        status = result.status_code
        error = None if 200 <= status < 300 else f"HTTP {status}"
        return Outcome(status, error, result.excerpt, result.retry_after)

    def _observe(self, batch: list[Finished], labels: list[str | None]) -> None:
        if self._metrics is None:
            return
        now = self._clock()
        for item, label in zip(batch, labels, strict=True):
            if label is None:  # given back unsent
                continue
            self._metrics.attempt(label, item.latency_s)
            if label == "delivered":
                self._metrics.delivered((now - item.delivery.created_at).total_seconds())

    def _secrets(self, org: SecretColumns, now: datetime) -> tuple[tuple[str, ...], str | None]:
        """(the secrets that sign now, the plaintext header's value) for ``org``."""
        configured = self._settings.webhook_secret
        default = configured.get_secret_value() if configured else None
        signing = tuple(secrets.signing_secrets(org, now, default))
        return signing, secrets.plaintext_secret(org, default)

    def _new_transport(self) -> WebhookTransport:
        """A transport for the running loop (aiohttp sessions belong to the loop they run on)."""
        return AiohttpWebhookTransport(
            timeout=self._settings.webhook_timeout_seconds,
            allow_private=self._settings.allow_private_urls,
            max_per_host=self._settings.webhook_max_per_host,
            resolver=self._resolver,
        )

    # --- the test event ---------------------------------------------------------------------

    def send_test(self, org: Organization, url: str) -> dict[str, Any]:
        """``POST /webhooks/test``: one signed ``TEST`` event to ``url`` now, not stored.

        Called from a request thread: it runs on a loop of its own, with its own connection.
        """
        return run_loop(self._send_test(org, url))

    async def _send_test(self, org: Organization, url: str) -> dict[str, Any]:
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
        transport = self._new_transport()
        started = time.monotonic()
        try:
            outcome = await self._attempt(transport, delivery, now)
        finally:
            await transport.aclose()
        return {
            "success": outcome.error is None,
            "webhook_id": event_id,
            "url": url,
            "status_code": outcome.status_code,
            "latency_ms": round((time.monotonic() - started) * 1000),
            "error": outcome.error,
            "response_excerpt": outcome.excerpt,
        }
