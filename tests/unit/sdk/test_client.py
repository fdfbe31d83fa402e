"""The client over httpx.MockTransport: request shapes, uploads, errors, the event stream."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tilework.sdk import (
    Client,
    ConflictError,
    InsufficientCreditsError,
    NotFoundError,
    PayloadTooLargeError,
    ServerError,
    TileworkAPIError,
    TileworkConnectionError,
    TileworkResponseError,
    VideoInput,
)


def frame(seq: int, flag: str) -> bytes:
    body = {"flag": flag, "seq": seq, "agent_id": "a", "run_id": "r1", "status": "running"}
    return f"id: {seq}\nevent: {flag}\ndata: {json.dumps(body)}\n\n".encode()


class DroppingStream(httpx.SyncByteStream):
    """Sends some bytes, then fails the way a dropped connection does."""

    def __init__(self, chunks: list[bytes]) -> None:
        self.chunks = chunks

    def __iter__(self) -> Iterator[bytes]:
        yield from self.chunks
        raise httpx.ReadError("connection reset")


def client_for(handler: httpx.MockTransport) -> Client:
    return Client("http://tw.test/", "mk_k", transport=handler)


def test_start_sends_only_given_fields_and_the_key() -> None:
    seen: list[httpx.Request] = []

    def handle(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(200, json={"run_id": "r1"})

    with client_for(httpx.MockTransport(handle)) as client:
        created = client.runs.start(
            "a1",
            video_urls=("https://x/v.mp4",),
            ignore_nodes=["n2"],
            video_inputs=[VideoInput(agent_node_id="n1", video_ids=["v"])],
        )
    assert created.run_id == "r1"
    assert seen[0].url == "http://tw.test/agent/a1/run"
    assert seen[0].headers["authorization"] == "Bearer mk_k"
    assert json.loads(seen[0].content) == {
        "video_urls": ["https://x/v.mp4"],
        "ignore_nodes": ["n2"],
        "video_inputs": [{"agent_node_id": "n1", "video_ids": ["v"]}],
    }


def test_ids_cannot_change_the_path() -> None:
    seen: list[str] = []

    def handle(request: httpx.Request) -> httpx.Response:
        seen.append(request.url.raw_path.decode())
        return httpx.Response(404, json={"detail": "no", "error": "not_found"})

    with client_for(httpx.MockTransport(handle)) as client, pytest.raises(NotFoundError):
        client.runs.get("../agents?x=1")
    assert seen == ["/agent_run/..%2Fagents%3Fx%3D1"]


def test_list_query_drops_unset_filters_and_joins_statuses() -> None:
    seen: list[httpx.URL] = []

    def handle(request: httpx.Request) -> httpx.Response:
        seen.append(request.url)
        return httpx.Response(200, json={"runs": [], "next_cursor": None})

    with client_for(httpx.MockTransport(handle)) as client:
        client.runs.list(status=["failed", "cancelled"], from_="2025-01-01T00:00:00Z")
        client.runs.list(trigger_id="t1", limit=5)
    assert seen[0].path == "/agent_runs"
    assert dict(seen[0].params) == {
        "status": "failed,cancelled",
        "from": "2025-01-01T00:00:00Z",
        "limit": "25",
    }
    assert (seen[1].path, dict(seen[1].params)) == ("/trigger/t1/runs", {"limit": "5"})


def test_iterate_follows_cursors_to_the_end() -> None:
    pages = {
        None: {"agents": [_agent("a"), _agent("b")], "next_cursor": "c1"},
        "c1": {"agents": [_agent("c")], "next_cursor": None},
    }

    def handle(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, json=pages[request.url.params.get("cursor")])

    with client_for(httpx.MockTransport(handle)) as client:
        assert [a.id for a in client.agents.iterate(page_size=2)] == ["a", "b", "c"]


@pytest.mark.parametrize(
    ("status", "body", "kind"),
    [
        (404, {"detail": "run x not found", "error": "not_found"}, NotFoundError),
        (409, {"detail": "run is still running", "error": "conflict"}, ConflictError),
        (402, {"detail": "top up", "error": "insufficient_credits"}, InsufficientCreditsError),
        (403, {"detail": "top up", "error": "insufficient_credits"}, InsufficientCreditsError),
        (503, {"detail": "busy", "error": "unavailable"}, ServerError),
        (418, {"detail": "teapot", "error": "teapot"}, TileworkAPIError),
    ],
)
def test_error_answers_become_typed_exceptions(
    status: int, body: dict[str, str], kind: type[TileworkAPIError]
) -> None:
    def handle(request: httpx.Request) -> httpx.Response:
        return httpx.Response(status, json=body)

    with client_for(httpx.MockTransport(handle)) as client, pytest.raises(kind) as err:
        client.runs.resume("r1")
    assert (err.value.status, err.value.error, err.value.detail) == (
        status,
        body["error"],
        body["detail"],
    )


def test_an_answer_of_the_wrong_shape_is_a_response_error() -> None:
    def handle(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, json={"unexpected": True})

    with (
        client_for(httpx.MockTransport(handle)) as client,
        pytest.raises(TileworkResponseError, match="organization_id"),
    ):
        client.whoami()


def test_refused_connection_becomes_connection_error() -> None:
    def handle(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError("[Errno 111] Connection refused")

    with (
        client_for(httpx.MockTransport(handle)) as client,
        pytest.raises(TileworkConnectionError) as err,
    ):
        client.whoami()
    assert "connection refused" in str(err.value)


def test_upload_posts_fields_then_file_and_finalizes(tmp_path: Path) -> None:
    clip = tmp_path / "clip.mp4"
    clip.write_bytes(b"\x00\x01video")
    seen: list[httpx.Request] = []

    def handle(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        request.read()
        if request.url.path.endswith("get_upload_url"):
            return httpx.Response(200, json=_slot("https://bucket.s3.test/", limit=100))
        if request.url.host == "bucket.s3.test":
            return httpx.Response(204)
        return httpx.Response(200, json={"video_id": "v1", "status": "ready", "duration_s": 1})

    progress: list[tuple[int, int]] = []
    with client_for(httpx.MockTransport(handle)) as client:
        media = client.uploads.upload(clip, on_progress=lambda d, t: progress.append((d, t)))
    assert (media.upload_id, media.kind, media.duration_s) == ("v1", "video", 1)
    upload, finalize = seen[1], seen[2]
    body = upload.content
    assert body.index(b'name="key"') < body.index(b'name="policy"') < body.index(b'name="file"')
    assert b"\x00\x01video" in body and b"video/mp4" in body
    assert "authorization" not in upload.headers  # the API key never goes to another host
    assert json.loads(finalize.content) == {"video_id": "v1"}
    assert progress[-1] == (7, 7)


def test_upload_refuses_a_file_over_the_limit_before_sending(tmp_path: Path) -> None:
    clip = tmp_path / "big.mp4"
    clip.write_bytes(b"x" * 10)

    def handle(request: httpx.Request) -> httpx.Response:
        assert request.url.path.endswith("get_upload_url")
        return httpx.Response(200, json=_slot("/u", limit=5))

    with client_for(httpx.MockTransport(handle)) as client, pytest.raises(PayloadTooLargeError):
        client.uploads.upload(clip)


def test_missing_file_fails_before_any_request(tmp_path: Path) -> None:
    def handle(request: httpx.Request) -> httpx.Response:
        raise AssertionError("no request expected")

    with client_for(httpx.MockTransport(handle)) as client, pytest.raises(FileNotFoundError):
        client.uploads.upload(tmp_path / "missing.mp4")


def test_events_reconnect_with_last_event_id() -> None:
    last_ids: list[str | None] = []

    def handle(request: httpx.Request) -> httpx.Response:
        last_ids.append(request.headers.get("last-event-id"))
        if len(last_ids) == 1:
            stream = DroppingStream([b": hi\n\n", frame(1, "RUN_STARTED"), b"id: 2\ndata: {"])
            return httpx.Response(200, stream=stream)
        return httpx.Response(200, content=frame(2, "RUN_PROGRESS") + frame(3, "RUN_FINISHED"))

    with client_for(httpx.MockTransport(handle)) as client:
        events = list(client.runs.events("r1"))
    assert [e.seq for e in events] == [1, 2, 3]  # type: ignore[attr-defined]
    assert last_ids == [None, "1"]


def test_a_resumed_run_streams_past_its_first_finish() -> None:
    frames = [frame(1, "RUN_STARTED"), frame(2, "RUN_FINISHED"), frame(3, "RUN_PROGRESS")]

    def handle(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, content=b"".join([*frames, frame(4, "RUN_FINISHED")]))

    with client_for(httpx.MockTransport(handle)) as client:
        flags = [e.flag for e in client.runs.events("r1")]
    assert flags == ["RUN_STARTED", "RUN_FINISHED", "RUN_PROGRESS", "RUN_FINISHED"]


def test_a_stream_closed_before_the_finish_is_reopened_then_given_up() -> None:
    calls = 0

    def handle(request: httpx.Request) -> httpx.Response:
        nonlocal calls
        calls += 1
        return httpx.Response(200, content=frame(1, "RUN_STARTED") if calls == 1 else b"")

    with client_for(httpx.MockTransport(handle)) as client, pytest.raises(TileworkConnectionError):
        list(client._core.events("/agent_run/r1/events", max_reconnects=2, reconnect_delay=0))
    assert calls == 3


def test_stream_error_status_is_raised_not_retried() -> None:
    calls = 0

    def handle(request: httpx.Request) -> httpx.Response:
        nonlocal calls
        calls += 1
        return httpx.Response(404, json={"detail": "run not found", "error": "not_found"})

    with client_for(httpx.MockTransport(handle)) as client, pytest.raises(NotFoundError):
        list(client.runs.events("r1"))
    assert calls == 1


def test_unknown_event_flags_are_kept_not_refused() -> None:
    def handle(request: httpx.Request) -> httpx.Response:
        content = b'event: SOMETHING_NEW\ndata: {"x": 1}\n\n' + frame(2, "RUN_FINISHED")
        return httpx.Response(200, content=content)

    with client_for(httpx.MockTransport(handle)) as client:
        first, last = list(client.runs.events("r1"))
    assert (first.flag, first.model_extra) == ("SOMETHING_NEW", {"x": 1})
    assert last.flag == "RUN_FINISHED"


def _slot(url: str, *, limit: int) -> dict[str, object]:
    return {
        "video_id": "v1",
        "upload_url": url,
        "upload_fields": {"key": "uploads/v1", "policy": "p"},
        "max_file_size_bytes": limit,
    }


def _agent(agent_id: str) -> dict[str, str]:
    at = "2025-01-01T00:00:00Z"
    return {"id": agent_id, "name": agent_id, "created_at": at, "updated_at": at}
