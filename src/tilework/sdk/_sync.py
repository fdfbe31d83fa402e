"""The synchronous core: sends ``Call``s over one ``httpx.Client`` and does the streaming work
(server-sent events, file uploads and downloads)."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TypeVar

import httpx

from tilework.sdk import _http
from tilework.sdk._call import Call
from tilework.sdk.errors import TileworkConnectionError, TileworkTimeoutError
from tilework.sdk.models._base import Paged
from tilework.sdk.models.events import RunEvent

T = TypeVar("T")


class SyncCore:
    def __init__(
        self,
        base_url: str,
        api_key: str | None,
        *,
        timeout: float,
        transport: httpx.BaseTransport | None,
        headers: dict[str, str] | None,
    ) -> None:
        self.base_url = base_url
        self.api_key = api_key
        self.timeout = timeout
        self.http = httpx.Client(
            base_url=base_url, timeout=timeout, transport=transport, headers=headers
        )

    def close(self) -> None:
        self.http.close()

    def _send(self, request: httpx.Request, *, stream: bool = False) -> httpx.Response:
        try:
            response = self.http.send(request, stream=stream)
        except httpx.TransportError as exc:
            raise _http.connection_error(exc, request.url) from exc
        if not response.is_success and stream:
            response.read()
            response.close()
        return _http.check(response)

    def call(self, call: Call[T]) -> T:
        request = self.http.build_request(
            call.method,
            call.path,
            params=call.params,
            json=call.json(),
            headers=_http.auth_headers(self.api_key),
        )
        return _http.read_answer(call, self._send(request))

    def paginate(self, page: Callable[[str | None], Call[Paged[T]]]) -> Iterator[T]:
        """Every item of a list, following ``next_cursor`` page after page."""
        cursor: str | None = None
        while True:
            answer = self.call(page(cursor))
            yield from answer.items
            if not answer.next_cursor:
                return
            cursor = answer.next_cursor

    def events(
        self,
        path: str,
        *,
        max_reconnects: int = 5,
        reconnect_delay: float = 1.0,
        deadline: float | None = None,
    ) -> Iterator[RunEvent]:
        """The stream's events until the server ends it after the newest ``RUN_FINISHED``.

        A dropped connection is reopened with ``Last-Event-ID`` (nothing lost or repeated); a
        quiet one (read timeout) too, without counting as a failure.
        """
        follow = _http.EventFollow(max_reconnects)
        while True:
            try:
                yield from self._read_events(path, follow, deadline)
                if follow.complete:
                    return
                problem = "the server closed the event stream early"
            except httpx.ReadTimeout:
                _check_deadline(deadline)
                continue
            except TileworkConnectionError as exc:
                problem = str(exc)
            except _http.DROPPED as exc:
                problem = f"event stream dropped: {_http.reason(exc)}"
            follow.dropped(problem)
            _check_deadline(deadline)
            time.sleep(reconnect_delay)

    def _read_events(
        self, path: str, follow: _http.EventFollow, deadline: float | None
    ) -> Iterator[RunEvent]:
        timeout = httpx.Timeout(self.timeout, read=_read_timeout(self.timeout, deadline))
        request = self.http.build_request(
            "GET", path, headers=follow.headers(self.api_key), timeout=timeout
        )
        response = self._send(request, stream=True)
        try:
            for line in response.iter_lines():
                event = follow.feed(line)
                if event is not None:
                    yield event
        finally:
            response.close()

    def post_file(
        self,
        url: str,
        fields: dict[str, str],
        path: Path,
        on_progress: _http.Progress | None,
    ) -> None:
        """POST a multipart form: ``fields`` first, then the file as ``file``."""
        with path.open("rb") as handle:
            reader = _http.ProgressFile(handle, path.stat().st_size, on_progress)
            self._send(_http.file_request(self.http, self.api_key, url, fields, path, reader))

    def download(self, url: str, dest: Path, on_progress: _http.Progress | None) -> Path:
        """Stream ``url`` (a signed file URL) into ``dest``; returns ``dest``."""
        request = _http.download_request(self.http, self.api_key, url)
        response = self._send(request, stream=True)
        try:
            with _http.receiving(dest, response, on_progress) as received:
                for chunk in response.iter_bytes():
                    received.write(chunk)
        finally:
            response.close()
        return dest


def _read_timeout(default: float, deadline: float | None) -> float:
    if deadline is None:
        return default
    return max(0.05, min(default, deadline - time.monotonic()))


def _check_deadline(deadline: float | None) -> None:
    if deadline is not None and time.monotonic() >= deadline:
        raise TileworkTimeoutError("gave up waiting: the timeout ran out (the run goes on)")
