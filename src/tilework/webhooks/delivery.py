"""What one webhook delivery is, and the in-memory bookkeeping of deliveries under way.

Pure data and rules, no database: the sender (``tilework.webhooks.sender``) builds a ``Delivery``
from an outbox row, posts it with ``delivery_headers``, keeps ``InFlight`` slots (one per run,
a cap per receiver host) and records each ``Finished`` attempt with the next group commit.
"""

from __future__ import annotations

import functools
import math
import threading
from collections import Counter, deque
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

import httpx

from tilework import __version__
from tilework.webhooks.verify import signature_header


@dataclass(frozen=True)
class Delivery:
    event_id: str
    seq: int
    url: str
    body: bytes
    signing_secrets: tuple[str, ...]  # Standard Webhooks: one v1 signature per active secret
    plaintext_secret: str | None  # Mosaic's X-Mosaic-Signature, unless turned off
    created_at: datetime
    run_id: str = ""
    host: str = ""  # the per-host cap's key: "host:port"
    lease_expires: float = math.inf  # time.monotonic() when another sender may take the event


@dataclass(frozen=True)
class Outcome:
    status_code: int | None  # None: no answer (connection error, timeout, refused URL)
    error: str | None  # None: delivered
    excerpt: str | None = None
    retry_after: float | None = None


@dataclass(frozen=True)
class Finished:
    """An attempt that got its answer and waits to be recorded with the next group commit."""

    delivery: Delivery
    started_at: datetime
    latency_s: float
    outcome: Outcome | None  # None: never sent (its lease ran short while it queued): requeue


class InFlight:
    """Leased deliveries here, for the caps: one per run, ``per_host`` per host, ``total`` in all.

    A run's slot is held from its lease until its outcome is recorded (its next event may not go
    before). The per-host figure bounds a host's backlog — leased and waiting for, or holding,
    one of its ``HostQueues`` slots — so a slow host cannot hold every run slot.
    """

    def __init__(self, *, per_host: int, total: int) -> None:
        self._per_host, self._total = per_host, total
        self._hosts: Counter[str] = Counter()
        self._runs: set[str] = set()
        self._lock = threading.Lock()

    def free(self) -> int:
        with self._lock:
            return self._total - len(self._runs)

    def take(self, run_id: str, host: str) -> bool:
        with self._lock:
            if run_id in self._runs or len(self._runs) >= self._total:
                return False
            if self._hosts[host] >= self._per_host:
                return False
            self._runs.add(run_id)
            self._hosts[host] += 1
            return True

    def release(self, run_id: str, host: str) -> None:
        with self._lock:
            self._runs.discard(run_id)
            self._hosts[host] -= 1
            if self._hosts[host] <= 0:
                del self._hosts[host]


class HostQueues:
    """At most ``per_host`` requests open to one host; a host's other leased deliveries queue
    here, in lease order, and ``start`` is called for each when its turn comes.

    Lives on the sender's event loop. Plain counters and deques, not a semaphore per host: a
    semaphore's waiters are tasks, and each acquire scans them all.
    """

    def __init__(self, per_host: int, start: Callable[[Delivery], None]) -> None:
        self._per_host = per_host
        self._start = start
        self._open: Counter[str] = Counter()
        self._waiting: dict[str, deque[Delivery]] = {}

    def add(self, delivery: Delivery) -> None:
        host = delivery.host
        if self._open[host] < self._per_host:
            self._open[host] += 1
            self._start(delivery)
        else:
            self._waiting.setdefault(host, deque()).append(delivery)

    def done(self, host: str) -> None:
        """A request to ``host`` is over: its next delivery goes, or the slot frees."""
        waiting = self._waiting.get(host)
        if waiting:
            self._start(waiting.popleft())
            if not waiting:
                del self._waiting[host]
            return
        self._open[host] -= 1
        if self._open[host] <= 0:
            del self._open[host]


@functools.lru_cache(maxsize=4096)
def host_of(url: str) -> str:
    """``host:port`` of ``url``: one receiver for the per-host cap (the URL if unparsable)."""
    try:
        parsed = httpx.URL(url)
    except (httpx.InvalidURL, TypeError):
        return url
    port = parsed.port or {"http": 80, "https": 443}.get(parsed.scheme, 0)
    return f"{parsed.host}:{port}"


def delivery_headers(delivery: Delivery, timestamp: int) -> dict[str, str]:
    """The headers of one attempt at ``timestamp`` (unix seconds); signed when a secret is set."""
    headers = {
        "Content-Type": "application/json",
        "User-Agent": f"Tilework/{__version__}",
        "webhook-id": delivery.event_id,
        "X-Tilework-Sequence": str(delivery.seq),
    }
    if delivery.plaintext_secret:
        headers["X-Mosaic-Signature"] = delivery.plaintext_secret
    if delivery.signing_secrets:
        headers["webhook-timestamp"] = str(timestamp)
        headers["webhook-signature"] = signature_header(
            list(delivery.signing_secrets), delivery.event_id, timestamp, delivery.body
        )
    return headers
