"""The client over httpx.MockTransport: request shapes, uploads, errors, the event stream."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tilework.sdk import TileworkAPIError, TileworkClient, TileworkConnectionError


def frame(seq: int, flag: str) -> bytes:
    return f"id: {seq}\nevent: {flag}\ndata: {json.dumps({'flag': flag, 'seq': seq})}\n\n".encode()


class DroppingStream(httpx.SyncByteStream):
    """Sends some bytes, then fails the way a dropped connection does."""

    def __init__(self, chunks: list[bytes]) -> None:
        self.chunks = chunks

    def __iter__(self) -> Iterator[bytes]:
        yield from self.chunks
        raise httpx.ReadError("connection reset")


def client_for(handler: httpx.MockTransport) -> TileworkClient:
    return TileworkClient("http://tw.test/", "mk_k", transport=handler)


def test_run_agent_sends_only_given_fields_and_the_key() -> None:
    seen: list[httpx.Request] = []

    def handle(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(200, json={"run_id": "r1"})

    with client_for(httpx.MockTransport(handle)) as client:
        run_id = client.run_agent("a1", video_urls=("https://x/v.mp4",), ignore_nodes=["n2"])
    assert run_id == "r1"
    assert seen[0].url == "http://tw.test/agent/a1/run"
    assert seen[0].headers["authorization"] == "Bearer mk_k"
    assert json.loads(seen[0].content) == {
        "video_urls": ["https://x/v.mp4"],
        "ignore_nodes": ["n2"],
    }


def test_error_body_becomes_api_error() -> None:
    def handle(request: httpx.Request) -> httpx.Response:
        return httpx.Response(409, json={"detail": "run is still running", "error": "conflict"})

    with client_for(httpx.MockTransport(handle)) as client, pytest.raises(TileworkAPIError) as err:
        client.resume_run("r1")
    assert (err.value.status, err.value.code, err.value.detail) == (
        409,
        "conflict",
        "run is still running",
    )


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
            return httpx.Response(
                200,
                json={
                    "video_id": "v1",
                    "upload_url": "https://bucket.s3.test/",
                    "upload_fields": {"key": "uploads/v1", "policy": "p"},
                    "max_file_size_bytes": 100,
                },
            )
        return httpx.Response(204 if request.url.host == "bucket.s3.test" else 200, json={})

    with client_for(httpx.MockTransport(handle)) as client:
        assert client.upload_video(clip) == "v1"
    upload, finalize = seen[1], seen[2]
    body = upload.content
    assert body.index(b'name="key"') < body.index(b'name="policy"') < body.index(b'name="file"')
    assert b"\x00\x01video" in body and b"video/mp4" in body
    assert "authorization" not in upload.headers  # the API key never goes to another host
    assert json.loads(finalize.content) == {"video_id": "v1"}


def test_upload_refuses_a_file_over_the_limit_before_sending(tmp_path: Path) -> None:
    clip = tmp_path / "big.mp4"
    clip.write_bytes(b"x" * 10)

    def handle(request: httpx.Request) -> httpx.Response:
        assert request.url.path.endswith("get_upload_url")
        return httpx.Response(
            200,
            json={
                "video_id": "v",
                "upload_url": "/u",
                "upload_fields": {},
                "max_file_size_bytes": 5,
            },
        )

    with client_for(httpx.MockTransport(handle)) as client, pytest.raises(TileworkAPIError) as err:
        client.upload_video(clip)
    assert err.value.status == 413


def test_missing_file_fails_before_any_request(tmp_path: Path) -> None:
    def handle(request: httpx.Request) -> httpx.Response:
        raise AssertionError("no request expected")

    with client_for(httpx.MockTransport(handle)) as client, pytest.raises(FileNotFoundError):
        client.upload_video(tmp_path / "missing.mp4")


def test_stream_reconnects_with_last_event_id_and_stops_after_finish() -> None:
    last_ids: list[str | None] = []

    def handle(request: httpx.Request) -> httpx.Response:
        last_ids.append(request.headers.get("last-event-id"))
        if len(last_ids) == 1:
            stream = DroppingStream([b": hi\n\n", frame(1, "RUN_STARTED"), b"id: 2\ndata: {"])
            return httpx.Response(200, stream=stream)
        return httpx.Response(
            200,
            content=frame(2, "RUN_PROGRESS") + frame(3, "RUN_FINISHED") + frame(4, "NEVER_READ"),
        )

    with client_for(httpx.MockTransport(handle)) as client:
        events = list(client.stream_events("r1", reconnect_delay=0))
    assert [e["seq"] for e in events] == [1, 2, 3]
    assert last_ids == [None, "1"]


def test_stream_gives_up_after_repeated_drops() -> None:
    def handle(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, stream=DroppingStream([]))

    with client_for(httpx.MockTransport(handle)) as client, pytest.raises(TileworkConnectionError):
        list(client.stream_events("r1", max_reconnects=2, reconnect_delay=0))


def test_stream_error_status_is_raised_not_retried() -> None:
    calls = 0

    def handle(request: httpx.Request) -> httpx.Response:
        nonlocal calls
        calls += 1
        return httpx.Response(404, json={"detail": "run not found", "error": "not_found"})

    with client_for(httpx.MockTransport(handle)) as client, pytest.raises(TileworkAPIError):
        list(client.stream_events("r1", reconnect_delay=0))
    assert calls == 1


def test_event_name_fills_a_missing_flag() -> None:
    def handle(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, content=b'event: RUN_FINISHED\ndata: {"status": "failed"}\n\n')

    with client_for(httpx.MockTransport(handle)) as client:
        assert list(client.stream_events("r1")) == [{"status": "failed", "flag": "RUN_FINISHED"}]
