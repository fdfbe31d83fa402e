"""The sender's HTTP seam: POST one delivery, answer with a small ``TransportResult``.

``AiohttpWebhookTransport`` keeps connections alive per receiver, goes through the SSRF guard
(every connection to an address the guard checked, see ``tilework.net.guarded_resolver``),
never follows a redirect, connects within 5 s, waits at most ``timeout`` for the whole exchange,
and reads at most 64 KB of the answer — keeping the first 1 KB for the delivery log.
Connection-level failures (refused, timed out, refused by the guard) are raised as
``DeliveryError`` with a stable name (``ConnectError``, ``ConnectTimeout``, ``ReadTimeout``,
``ReadError``), not returned.

Why aiohttp and not httpx, which the rest of Tilework uses: measured on 2 cores, httpx's async
client spends ~1.4 ms of CPU per request on loopback (and ~3.6 ms with 64 connections, its pool
scans every connection per request), aiohttp ~0.25 ms with its C parser. The sender shares one
interpreter with the engine, so that CPU is the delivery rate's ceiling (bench/README.md).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Protocol

import aiohttp

from tilework.db.tables import utcnow
from tilework.net.guard import Resolver, check_url_shape
from tilework.net.guarded_resolver import GuardedResolver
from tilework.webhooks.retries import RETRY_AFTER_STATUSES, parse_retry_after

CONNECT_TIMEOUT_SECONDS = 5.0
MAX_RESPONSE_BYTES = 64 * 1024
EXCERPT_BYTES = 1024
_DNS_CACHE_SECONDS = 10  # checked answers only: the resolver refuses before anything is cached


@dataclass(frozen=True)
class TransportResult:
    status_code: int
    excerpt: str | None = None  # the answer's first 1 KB, as text; None when it had no body
    retry_after: float | None = None  # seconds, from a 429/503 answer's Retry-After


class DeliveryError(Exception):
    """No answer: ``kind`` names the failure the way the delivery log shows it."""

    def __init__(self, kind: str, detail: str) -> None:
        super().__init__(f"{kind}: {detail}")
        self.kind = kind


class WebhookTransport(Protocol):
    async def post(self, url: str, body: bytes, headers: Mapping[str, str]) -> TransportResult:
        """POST ``body``; return the answer, raise on a connection-level failure."""
        ...

    async def aclose(self) -> None: ...


class AiohttpWebhookTransport:
    """Made and used inside one running event loop (aiohttp sessions belong to their loop)."""

    def __init__(
        self,
        *,
        timeout: float,
        allow_private: bool,
        max_per_host: int,
        resolver: Resolver | None = None,
    ) -> None:
        self._allow_private = allow_private
        self._timeout = timeout
        connector = aiohttp.TCPConnector(
            limit=0,  # the sender caps deliveries in flight itself
            limit_per_host=max_per_host,
            resolver=GuardedResolver(allow_private=allow_private, resolver=resolver),
            ttl_dns_cache=_DNS_CACHE_SECONDS,
        )
        self._session = aiohttp.ClientSession(
            connector=connector,
            timeout=aiohttp.ClientTimeout(
                total=timeout, sock_connect=min(CONNECT_TIMEOUT_SECONDS, timeout)
            ),
            trust_env=False,  # no proxy from the environment: the guard must see the receiver
            cookie_jar=aiohttp.DummyCookieJar(),  # receivers' cookies are never sent back
            auto_decompress=False,
        )

    async def post(self, url: str, body: bytes, headers: Mapping[str, str]) -> TransportResult:
        check_url_shape(url, allow_private=self._allow_private)
        # identity: the read cap counts the bytes on the wire, and the excerpt stays readable.
        sent = {"Accept-Encoding": "identity", **headers}
        try:
            async with self._session.post(
                url, data=body, headers=sent, allow_redirects=False
            ) as response:
                head = await _read_head(response)
                retry_after = None
                if response.status in RETRY_AFTER_STATUSES:
                    retry_after = parse_retry_after(response.headers.get("Retry-After"), utcnow())
                return TransportResult(response.status, _excerpt(head), retry_after)
        except aiohttp.ConnectionTimeoutError as exc:
            raise DeliveryError("ConnectTimeout", str(exc) or "no connection in time") from None
        except (TimeoutError, aiohttp.ServerTimeoutError):
            raise DeliveryError("ReadTimeout", f"no answer within {self._timeout:g} s") from None
        except aiohttp.ClientConnectorError as exc:
            raise DeliveryError("ConnectError", str(exc)) from None
        except aiohttp.ClientError as exc:
            raise DeliveryError("ReadError", f"{type(exc).__name__}: {exc}") from None

    async def aclose(self) -> None:
        await self._session.close()


async def _read_head(response: aiohttp.ClientResponse) -> bytes:
    """The first ``EXCERPT_BYTES`` of the body, reading no more than ``MAX_RESPONSE_BYTES``: the
    status is already in, so a huge, slow or broken body is simply cut."""
    kept = bytearray()
    read = 0
    try:
        while read < MAX_RESPONSE_BYTES:
            chunk = await response.content.read(MAX_RESPONSE_BYTES - read)
            if not chunk:
                break
            read += len(chunk)
            kept += chunk[: max(0, EXCERPT_BYTES - len(kept))]
    except (TimeoutError, aiohttp.ClientError):  # cut short (timed out, closed): keep what came
        pass
    if read >= MAX_RESPONSE_BYTES:
        response.close()  # the rest is not wanted: drop the connection rather than drain it
    return bytes(kept)


def _excerpt(head: bytes) -> str | None:
    if not head:
        return None
    # NUL cannot be stored in a PostgreSQL text column.
    return head.decode("utf-8", errors="replace").replace("\x00", "\ufffd")
