from __future__ import annotations

from tilework.sdk import SSEDecoder, SSEEvent, parse_sse


def test_frames_with_id_event_and_json_data() -> None:
    text = (
        'id: 1\nevent: RUN_STARTED\ndata: {"flag": "RUN_STARTED"}\n\nid: 2\nevent: X\ndata: 2\n\n'
    )
    assert list(parse_sse(text.splitlines())) == [
        SSEEvent(event="RUN_STARTED", data='{"flag": "RUN_STARTED"}', id="1"),
        SSEEvent(event="X", data="2", id="2"),
    ]


def test_multi_line_data_is_joined_with_newlines() -> None:
    (event,) = parse_sse(["data: a", "data: b", ""])
    assert event.data == "a\nb"
    assert event.event == "message"


def test_comments_and_keep_alives_are_ignored() -> None:
    assert list(parse_sse([": ping", "", ":", ""])) == []


def test_crlf_lines_and_missing_space_after_colon() -> None:
    (event,) = parse_sse(["event:RUN_PROGRESS\r\n", "data:{}\r\n", "\r\n"])
    assert (event.event, event.data) == ("RUN_PROGRESS", "{}")


def test_retry_field_is_read() -> None:
    (event,) = parse_sse(["retry: 2500", "data: x", ""])
    assert event.retry_ms == 2500


def test_unfinished_frame_is_not_dispatched() -> None:
    assert list(parse_sse(["id: 9", "data: half"])) == []


def test_last_event_id_persists_and_ignores_nul() -> None:
    decoder = SSEDecoder()
    for line in ["id: 7", "data: a", ""]:
        decoder.feed(line)
    decoder.feed("id: bad\0id")
    second = [decoder.feed(line) for line in ["data: b", ""]][-1]
    assert decoder.last_event_id == "7"
    assert second is not None and second.id == "7"


def test_event_name_resets_between_frames() -> None:
    first, second = parse_sse(["event: A", "data: 1", "", "data: 2", ""])
    assert (first.event, second.event) == ("A", "message")


def test_id_of_an_unfinished_frame_is_not_the_last_event_id() -> None:
    decoder = SSEDecoder()
    for line in ["id: 1", "data: a", "", "id: 2", "data: {"]:
        decoder.feed(line)
    assert decoder.last_event_id == "1"
    decoder.discard_partial()
    event = [decoder.feed(line) for line in ["data: b", ""]][-1]
    assert event == SSEEvent(event="message", data="b", id="1")
