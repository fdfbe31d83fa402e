"""The asynchronous core: ``SyncCore``'s twin over ``httpx.AsyncClient`` (same calls, same
bookkeeping from ``_http``; only the waiting differs)."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncGenerator, AsyncIterator, Callable
from pathlib import Path
from typing import TypeVar

import httpx

from tilework.sdk import _http
from tilework.sdk._call import Call
from tilework.sdk.errors import TileworkConnectionError
from tilework.sdk.models._base import Paged
from tilework.sdk.models.events import RunEvent

T = TypeVar("T")


class AsyncCore:
    def __init__(
        self,
        base_url: str,
        api_key: str | None,
        *,
        timeout: float,
        transport: httpx.AsyncBaseTransport | None,
        headers: dict[str, str] | None,
    ) -> None:
        self.base_url = base_url
        self.api_key = api_key
        self.timeout = timeout
        self.http = httpx.AsyncClient(
            base_url=base_url, timeout=timeout, transport=transport, headers=headers
        )

    async def close(self) -> None:
        await self.http.aclose()

    async def _send(self, request: httpx.Request, *, stream: bool = False) -> httpx.Response:
        try:
            response = await self.http.send(request, stream=stream)
        except httpx.TransportError as exc:
            raise _http.connection_error(exc, request.url) from exc
        if not response.is_success and stream:
            await response.aread()
            await response.aclose()
        return _http.check(response)

    async def call(self, call: Call[T]) -> T:
        request = self.http.build_request(
            call.method,
            call.path,
            params=call.params,
            json=call.json(),
            headers=_http.auth_headers(self.api_key),
        )
        return _http.read_answer(call, await self._send(request))

    async def paginate(self, page: Callable[[str | None], Call[Paged[T]]]) -> AsyncIterator[T]:
        cursor: str | None = None
        while True:
            answer = await self.call(page(cursor))
            for item in answer.items:
                yield item
            if not answer.next_cursor:
                return
            cursor = answer.next_cursor

    async def events(
        self, path: str, *, max_reconnects: int = 5, reconnect_delay: float = 1.0
    ) -> AsyncGenerator[RunEvent, None]:
        """As ``SyncCore.events``; bound the wait with ``asyncio.timeout`` around it."""
        follow = _http.EventFollow(max_reconnects)
        while True:
            try:
                async for event in self._read_events(path, follow):
                    yield event
                if follow.complete:
                    return
                problem = "the server closed the event stream early"
            except httpx.ReadTimeout:
                continue
            except TileworkConnectionError as exc:
                problem = str(exc)
            except _http.DROPPED as exc:
                problem = f"event stream dropped: {_http.reason(exc)}"
            follow.dropped(problem)
            await asyncio.sleep(reconnect_delay)

    async def _read_events(self, path: str, follow: _http.EventFollow) -> AsyncIterator[RunEvent]:
        request = self.http.build_request("GET", path, headers=follow.headers(self.api_key))
        response = await self._send(request, stream=True)
        try:
            async for line in response.aiter_lines():
                event = follow.feed(line)
                if event is not None:
                    yield event
        finally:
            await response.aclose()

    async def post_file(
        self,
        url: str,
        fields: dict[str, str],
        path: Path,
        on_progress: _http.Progress | None,
    ) -> None:
        with path.open("rb") as handle:
            reader = _http.ProgressFile(handle, path.stat().st_size, on_progress)
            await self._send(_http.file_request(self.http, self.api_key, url, fields, path, reader))

    async def download(self, url: str, dest: Path, on_progress: _http.Progress | None) -> Path:
        request = _http.download_request(self.http, self.api_key, url)
        response = await self._send(request, stream=True)
        try:
            with _http.receiving(dest, response, on_progress) as received:
                async for chunk in response.aiter_bytes():
                    received.write(chunk)
        finally:
            await response.aclose()
        return dest
