"""The sender's HTTP seam: POST one delivery, answer with a small ``TransportResult``.

``HttpxWebhookTransport`` goes through the SSRF guard (pinned to the checked address), never
follows a redirect, connects within 5 s, waits at most ``timeout`` for the receiver, and reads
at most 64 KB of the answer — keeping the first 1 KB for the delivery log. Connection-level
failures (refused, timed out, refused by the guard) are raised, not returned.
"""

from __future__ import annotations

import time
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Protocol

import httpx

from tilework.db.tables import utcnow
from tilework.net.guard import Resolver, guarded_client
from tilework.webhooks.retries import RETRY_AFTER_STATUSES, parse_retry_after

CONNECT_TIMEOUT_SECONDS = 5.0
MAX_RESPONSE_BYTES = 64 * 1024
EXCERPT_BYTES = 1024


@dataclass(frozen=True)
class TransportResult:
    status_code: int
    excerpt: str | None = None  # the answer's first 1 KB, as text; None when it had no body
    retry_after: float | None = None  # seconds, from a 429/503 answer's Retry-After


class WebhookTransport(Protocol):
    def post(self, url: str, body: bytes, headers: Mapping[str, str]) -> TransportResult:
        """POST ``body``; return the answer, raise on a connection-level failure."""
        ...


class HttpxWebhookTransport:
    """POSTs through the SSRF guard with keep-alive connections, never following redirects."""

    def __init__(
        self, *, timeout: float, allow_private: bool, resolver: Resolver | None = None
    ) -> None:
        self._total = timeout
        self._timeout = httpx.Timeout(timeout, connect=min(CONNECT_TIMEOUT_SECONDS, timeout))
        self._client = guarded_client(
            allow_private=allow_private, timeout=timeout, resolver=resolver
        )

    def post(self, url: str, body: bytes, headers: Mapping[str, str]) -> TransportResult:
        deadline = time.monotonic() + self._total
        # identity: the read cap counts the bytes on the wire, and the excerpt stays readable.
        sent = {"Accept-Encoding": "identity", **headers}
        with self._client.stream(
            "POST", url, content=body, headers=sent, timeout=self._timeout
        ) as response:
            head = _read_head(response, deadline)
            retry_after = None
            if response.status_code in RETRY_AFTER_STATUSES:
                retry_after = parse_retry_after(response.headers.get("Retry-After"), utcnow())
            return TransportResult(response.status_code, _excerpt(head), retry_after)

    def close(self) -> None:
        self._client.close()


def _read_head(response: httpx.Response, deadline: float) -> bytes:
    """The first ``EXCERPT_BYTES`` of the body, reading no more than ``MAX_RESPONSE_BYTES`` and
    not past ``deadline``: the status is already in, so a slow or huge body is simply cut."""
    kept = bytearray()
    read = 0
    try:
        for chunk in response.iter_raw():
            read += len(chunk)
            kept += chunk[: max(0, EXCERPT_BYTES - len(kept))]
            if read >= MAX_RESPONSE_BYTES or time.monotonic() >= deadline:
                break
    except httpx.TransportError:  # cut short (timed out, closed): keep what arrived
        pass
    return bytes(kept)


def _excerpt(head: bytes) -> str | None:
    if not head:
        return None
    # NUL cannot be stored in a PostgreSQL text column.
    return head.decode("utf-8", errors="replace").replace("\x00", "\ufffd")
