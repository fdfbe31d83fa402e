"""Server-Sent Events parsing (the WHATWG ``text/event-stream`` rules), kept free of I/O.

``SSEDecoder`` is fed one line at a time (without its line ending) and returns an event each time
a blank line completes one. ``parse_sse`` does the same over any iterable of lines.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass


@dataclass(frozen=True)
class SSEEvent:
    event: str
    data: str
    id: str | None = None
    retry_ms: int | None = None


class SSEDecoder:
    def __init__(self) -> None:
        self.last_event_id: str | None = None  # of the last *complete* event
        self._id: str | None = None
        self._event = ""
        self._data: list[str] = []
        self._retry_ms: int | None = None

    def discard_partial(self) -> None:
        """Forget a half-received frame (call when a new connection starts)."""
        self._id = self.last_event_id
        self._event, self._data, self._retry_ms = "", [], None

    def feed(self, line: str) -> SSEEvent | None:
        """Take one line; return the event a blank line dispatches, else ``None``."""
        if not line:
            return self._dispatch()
        if line.startswith(":"):  # comment / keep-alive
            return None
        name, _, value = line.partition(":")
        value = value.removeprefix(" ")
        if name == "event":
            self._event = value
        elif name == "data":
            self._data.append(value)
        elif name == "id" and "\0" not in value:
            self._id = value or None
        elif name == "retry" and value.isdigit():
            self._retry_ms = int(value)
        return None

    def _dispatch(self) -> SSEEvent | None:
        self.last_event_id = self._id
        event = None
        if self._data:
            event = SSEEvent(
                event=self._event or "message",
                data="\n".join(self._data),
                id=self.last_event_id,
                retry_ms=self._retry_ms,
            )
        self._event, self._data, self._retry_ms = "", [], None
        return event


def parse_sse(lines: Iterable[str]) -> Iterator[SSEEvent]:
    """Every complete event in ``lines``; a trailing event without its blank line is dropped."""
    decoder = SSEDecoder()
    for line in lines:
        event = decoder.feed(line.rstrip("\r\n"))
        if event is not None:
            yield event
