"""What the synchronous and asynchronous cores share: headers, answers, errors, SSE bookkeeping,
and a file wrapper that reports upload progress. No I/O of its own."""

from __future__ import annotations

import io
import json
import mimetypes
import os
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import IO, Any, BinaryIO, TypeVar, cast
from urllib.parse import urljoin, urlsplit

import httpx
import pydantic

from tilework.sdk._call import Call
from tilework.sdk.errors import (
    TileworkAPIError,
    TileworkConnectionError,
    TileworkResponseError,
)
from tilework.sdk.models.events import RunEvent, parse_event
from tilework.sdk.sse import SSEDecoder

T = TypeVar("T")
DEFAULT_SERVER = "http://127.0.0.1:8000"
DEFAULT_TIMEOUT = 30.0
FINISHED = "RUN_FINISHED"
# A dropped connection mid-stream: reconnect with Last-Event-ID.
DROPPED = (httpx.RemoteProtocolError, httpx.ReadError, httpx.ConnectError, httpx.WriteError)

Progress = Callable[[int, int], Any]
"""``on_progress(done_bytes, total_bytes)`` for uploads and downloads (total 0: unknown)."""


def server_url(base_url: str | None) -> str:
    return (base_url or os.environ.get("TILEWORK_SERVER") or DEFAULT_SERVER).rstrip("/")


def api_key_from(api_key: str | None) -> str | None:
    return api_key if api_key is not None else os.environ.get("TILEWORK_API_KEY") or None


def auth_headers(api_key: str | None) -> dict[str, str]:
    return {"Authorization": f"Bearer {api_key}"} if api_key else {}


def absolute(base_url: str, url: str) -> str:
    return urljoin(base_url + "/", url)


def same_origin(url: str, base_url: str) -> bool:
    """Whether ``url`` is on the API server (so the API key may go with it; never to S3)."""
    return urlsplit(url)[:2] == urlsplit(base_url)[:2]


def connection_error(exc: httpx.TransportError, url: object) -> TileworkConnectionError:
    if isinstance(exc, httpx.TimeoutException):
        return TileworkConnectionError(f"{url} did not answer in time")
    return TileworkConnectionError(f"cannot reach {url}: {reason(exc)}")


def reason(exc: Exception) -> str:
    text = str(exc)
    if "refused" in text.lower() or "Errno 111" in text:
        return "connection refused"
    return text or type(exc).__name__


def check(response: httpx.Response) -> httpx.Response:
    """``response`` if it is a success, else the ``TileworkAPIError`` it stands for (its body
    must have been read)."""
    if response.is_success:
        return response
    raise TileworkAPIError.from_response(response)


def read_answer(call: Call[T], response: httpx.Response) -> T:
    """The call's model of a successful answer."""
    data: Any = None
    if response.content:
        try:
            data = response.json()
        except ValueError as exc:
            raise TileworkResponseError(f"{call.path} did not answer JSON") from exc
    try:
        return call.parse(data)
    except pydantic.ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(part) for part in first["loc"])
        raise TileworkResponseError(
            f"unexpected answer from {call.method} {call.path}: {where}: {first['msg']}"
        ) from exc


def file_request(
    http: httpx.Client | httpx.AsyncClient,
    api_key: str | None,
    url: str,
    fields: dict[str, str],
    path: Path,
    reader: ProgressFile,
) -> httpx.Request:
    """The multipart POST of an upload slot: ``fields`` first, then the file as ``file``. The
    API key goes only to the API's own origin (never to an S3 presigned URL)."""
    base_url = str(http.base_url).rstrip("/")
    url = absolute(base_url, url)
    content_type = mimetypes.guess_type(path.name)[0] or "application/octet-stream"
    return http.build_request(
        "POST",
        url,
        data=fields,
        files={"file": (path.name, cast(BinaryIO, reader), content_type)},
        headers=auth_headers(api_key) if same_origin(url, base_url) else {},
        timeout=httpx.Timeout(http.timeout.connect, read=None, write=None),
    )


def download_request(
    http: httpx.Client | httpx.AsyncClient, api_key: str | None, url: str
) -> httpx.Request:
    """A GET of a signed file URL (relative ones are on the API server), read without timeout."""
    base_url = str(http.base_url).rstrip("/")
    url = absolute(base_url, url)
    headers = auth_headers(api_key) if same_origin(url, base_url) else {}
    return http.build_request(
        "GET", url, headers=headers, timeout=httpx.Timeout(http.timeout.connect, read=None)
    )


class Received:
    """Bytes of a download written to ``dest.part``, renamed to ``dest`` once whole."""

    def __init__(self, handle: IO[bytes], total: int, on_progress: Progress | None) -> None:
        self._handle, self._total, self._on_progress = handle, total, on_progress
        self._done = 0

    def write(self, chunk: bytes) -> None:
        self._handle.write(chunk)
        self._done += len(chunk)
        if self._on_progress is not None:
            self._on_progress(self._done, self._total)


@contextmanager
def receiving(
    dest: Path, response: httpx.Response, on_progress: Progress | None
) -> Iterator[Received]:
    """Write to ``dest.part``; rename it to ``dest`` on success, delete it on any failure."""
    partial = dest.with_name(dest.name + ".part")
    total = int(response.headers.get("content-length") or 0)
    try:
        with partial.open("wb") as handle:
            yield Received(handle, total, on_progress)
    except httpx.TransportError as exc:
        partial.unlink(missing_ok=True)
        raise connection_error(exc, response.url) from exc
    except BaseException:
        partial.unlink(missing_ok=True)
        raise
    partial.replace(dest)


class EventFollow:
    """The client side of one run's event stream across reconnects: the ``Last-Event-ID`` to
    resume after, failures in a row, and whether the stream ended where it should.

    The server ends the stream after the run's newest ``RUN_FINISHED`` (a resumed run carries on
    past an older one), so a stream that closes after a ``RUN_FINISHED`` is complete and one that
    closes after anything else was cut short.
    """

    def __init__(self, max_reconnects: int) -> None:
        self.max_reconnects = max_reconnects
        self.decoder = SSEDecoder()
        self.failures = 0
        self.last_flag: str | None = None

    def headers(self, api_key: str | None) -> dict[str, str]:
        self.decoder.discard_partial()
        headers = {"Accept": "text/event-stream", **auth_headers(api_key)}
        if self.decoder.last_event_id:
            headers["Last-Event-ID"] = self.decoder.last_event_id
        return headers

    def feed(self, line: str) -> RunEvent | None:
        frame = self.decoder.feed(line)
        if frame is None:
            return None
        self.failures = 0
        payload = _payload(frame.event, frame.data)
        self.last_flag = str(payload.get("flag"))
        try:
            return parse_event(payload)
        except pydantic.ValidationError as exc:
            raise TileworkResponseError(f"malformed {self.last_flag} event: {exc}") from exc

    @property
    def complete(self) -> bool:
        return self.last_flag == FINISHED

    def dropped(self, problem: str) -> None:
        """Count one failed connection; give up after ``max_reconnects`` in a row."""
        self.failures += 1
        if self.failures > self.max_reconnects:
            raise TileworkConnectionError(
                f"{problem} (gave up after {self.max_reconnects} retries)"
            )


def _payload(event_name: str, data: str) -> dict[str, Any]:
    try:
        payload = json.loads(data)
    except ValueError:
        payload = {"data": data}
    if not isinstance(payload, dict):
        payload = {"data": payload}
    if event_name != "message":
        payload.setdefault("flag", event_name)
    return payload


class ProgressFile(io.RawIOBase):
    """A read-only view of an open file that reports how much of it has been read (httpx reads
    an upload's file as it sends it, 64 KB at a time)."""

    def __init__(self, handle: io.BufferedReader, total: int, on_progress: Progress | None) -> None:
        super().__init__()
        self._handle = handle
        self._total = total
        self._on_progress = on_progress
        self._done = 0

    def readable(self) -> bool:
        return True

    def seekable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        count = self._handle.readinto(buffer)
        if count:
            self._done += count
            if self._on_progress is not None:
                self._on_progress(self._done, self._total)
        return count

    def seek(self, offset: int, whence: int = io.SEEK_SET) -> int:
        position = self._handle.seek(offset, whence)
        self._done = position
        return position

    def tell(self) -> int:
        return self._handle.tell()

    def fileno(self) -> int:
        return self._handle.fileno()
