"""Streaming ``multipart/form-data`` reader for uploads: fields first, then one file.

Starlette's ``request.form()`` spools a whole file to a temporary file before the handler sees
it, so a size limit would only be checked after gigabytes were written. Here each chunk of the
file goes straight to its destination as it arrives, the limit is enforced chunk by chunk, and the
fields (which authorize the upload) are checked before the first file byte is accepted.
"""

from __future__ import annotations

from collections.abc import Callable
from contextlib import AbstractContextManager, ExitStack
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, BinaryIO

from python_multipart.exceptions import FormParserError
from python_multipart.multipart import MultipartParser, parse_options_header
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request

from tilework.errors import PayloadTooLargeError, UnsupportedMediaTypeError, ValidationError

if TYPE_CHECKING:  # the TypedDict exists for type checkers only
    from python_multipart.multipart import MultipartCallbacks

MAX_FIELD_BYTES = 64 * 1024
FORM_OVERHEAD_BYTES = 64 * 1024  # boundaries, part headers and fields around the file


@dataclass(frozen=True)
class ReceivedFile:
    size: int
    filename: str | None


@dataclass
class _Field:
    name: str
    value: str


@dataclass
class _FileStart:
    filename: str


@dataclass
class _FileChunk:
    data: bytes


@dataclass
class _FileEnd:
    pass


_Event = _Field | _FileStart | _FileChunk | _FileEnd


@dataclass
class _Collector:
    """python-multipart callbacks turned into a list of events, drained after each chunk."""

    events: list[_Event] = field(default_factory=list)
    _header_name: bytes = b""
    _header_value: bytes = b""
    _disposition: bytes = b""
    _name: str = ""
    _is_file: bool = False
    _data: bytearray = field(default_factory=bytearray)

    def callbacks(self) -> MultipartCallbacks:
        return {
            "on_part_begin": self._part_begin,
            "on_header_field": self._header_field,
            "on_header_value": self._header_value_part,
            "on_header_end": self._header_end,
            "on_headers_finished": self._headers_finished,
            "on_part_data": self._part_data,
            "on_part_end": self._part_end,
        }

    def drain(self) -> list[_Event]:
        events, self.events = self.events, []
        return events

    def _part_begin(self) -> None:
        self._disposition, self._data = b"", bytearray()

    def _header_field(self, data: bytes, start: int, end: int) -> None:
        self._header_name += data[start:end]

    def _header_value_part(self, data: bytes, start: int, end: int) -> None:
        self._header_value += data[start:end]

    def _header_end(self) -> None:
        if self._header_name.lower() == b"content-disposition":
            self._disposition = self._header_value
        self._header_name, self._header_value = b"", b""

    def _headers_finished(self) -> None:
        _, options = parse_options_header(self._disposition)
        if b"name" not in options:
            raise ValidationError("a form part has no name")
        self._name = options[b"name"].decode("utf-8", "replace")
        self._is_file = b"filename" in options
        if self._is_file:
            self.events.append(_FileStart(options[b"filename"].decode("utf-8", "replace")))

    def _part_data(self, data: bytes, start: int, end: int) -> None:
        if self._is_file:
            self.events.append(_FileChunk(bytes(data[start:end])))
            return
        self._data += data[start:end]
        if len(self._data) > MAX_FIELD_BYTES:
            raise ValidationError(f"form field {self._name!r} is too large")

    def _part_end(self) -> None:
        if self._is_file:
            self.events.append(_FileEnd())
        else:
            self.events.append(_Field(self._name, self._data.decode("utf-8", "replace")))


async def receive_file(
    request: Request,
    *,
    max_bytes: int,
    check_fields: Callable[[dict[str, str]], None],
    open_sink: Callable[[], AbstractContextManager[BinaryIO]],
) -> ReceivedFile:
    """Stream the form's one file into ``open_sink()`` once ``check_fields`` accepted the fields.

    The sink is committed only if the whole body parsed and the file fit in ``max_bytes``.
    """
    _refuse_declared_oversize(request, max_bytes)
    collector = _Collector()
    parser = MultipartParser(_boundary(request), collector.callbacks())
    state = _FormState(max_bytes, check_fields, open_sink)
    with ExitStack() as stack:
        state.stack = stack
        try:
            async for chunk in request.stream():
                parser.write(chunk)
                for event in collector.drain():
                    await state.handle(event)
            parser.finalize()
        except FormParserError as exc:
            raise ValidationError(f"malformed multipart body: {exc}") from None
        return state.result()


@dataclass
class _FormState:
    max_bytes: int
    check_fields: Callable[[dict[str, str]], None]
    open_sink: Callable[[], AbstractContextManager[BinaryIO]]
    stack: ExitStack | None = None
    fields: dict[str, str] = field(default_factory=dict)
    sink: BinaryIO | None = None
    filename: str | None = None
    size: int = 0
    done: bool = False

    async def handle(self, event: _Event) -> None:
        match event:
            case _Field(name, value):
                if self.sink is not None:
                    raise ValidationError("form fields must come before the file")
                self.fields[name] = value
            case _FileStart(filename):
                if self.sink is not None:
                    raise ValidationError("send exactly one file per upload")
                self.check_fields(self.fields)
                assert self.stack is not None
                self.sink = self.stack.enter_context(self.open_sink())
                self.filename = filename or None
            case _FileChunk(data):
                self.size += len(data)
                if self.size > self.max_bytes:
                    raise PayloadTooLargeError(f"the file is larger than {self.max_bytes} bytes")
                assert self.sink is not None
                await run_in_threadpool(self.sink.write, data)
            case _FileEnd():
                self.done = True

    def result(self) -> ReceivedFile:
        if not self.done:
            raise ValidationError("the form has no file: send the fields, then the file")
        return ReceivedFile(self.size, self.filename)


def _boundary(request: Request) -> bytes:
    content_type, options = parse_options_header(request.headers.get("content-type", ""))
    if content_type != b"multipart/form-data":
        raise UnsupportedMediaTypeError("send the upload as multipart/form-data")
    if not options.get(b"boundary"):
        raise ValidationError("the multipart/form-data Content-Type has no boundary")
    return options[b"boundary"]


def _refuse_declared_oversize(request: Request, max_bytes: int) -> None:
    """Answer 413 before reading anything when Content-Length already says it is too big."""
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > max_bytes + FORM_OVERHEAD_BYTES:
        raise PayloadTooLargeError(f"the file is larger than {max_bytes} bytes")
