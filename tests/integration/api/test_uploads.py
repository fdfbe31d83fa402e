"""The upload flow over real HTTP with a real MP4 and real ffprobe."""

from __future__ import annotations

import contextlib
import socket
import time
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import httpx
import pytest

from tests.integration.api.conftest import Api
from tests.integration.api.test_agents import assert_error
from tilework.db.session import unit_of_work
from tilework.db.tables import Upload, utcnow


def reserve(api: Api, kind: str = "video") -> dict[str, Any]:
    response = api.post(f"/uploads/{kind}/get_upload_url")
    assert response.status_code == 200, response.text
    ticket: dict[str, Any] = response.json()
    return ticket


def post_form(api: Api, ticket: dict[str, Any], content: bytes, **fields: str) -> httpx.Response:
    """Post the form the way a browser does: no bearer key, the signed fields, then the file."""
    data = {**ticket["upload_fields"], **fields}
    path = urlsplit(ticket["upload_url"]).path
    return api.client.post(path, data=data, files={"file": ("clip.mp4", content, "video/mp4")})


def finalize(api: Api, kind: str, upload_id: str, key: str | None = None) -> httpx.Response:
    return api.post(f"/uploads/{kind}/finalize_upload", key=key, json={f"{kind}_id": upload_id})


def test_upload_flow_end_to_end(api: Api, sample_mp4: Path) -> None:
    ticket = reserve(api)
    assert set(ticket) == {"video_id", "upload_url", "upload_fields", "max_file_size_bytes"}
    assert ticket["upload_url"].endswith(f"/uploads/form/{ticket['video_id']}")
    assert set(ticket["upload_fields"]) == {"key", "expires", "signature"}
    assert ticket["max_file_size_bytes"] == 5 * 1024**3
    assert post_form(api, ticket, sample_mp4.read_bytes()).status_code == 204
    response = finalize(api, "video", ticket["video_id"])
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["video_id"] == ticket["video_id"] and body["status"] == "ready"
    assert (body["width"], body["height"]) == (160, 90)
    assert body["duration_s"] == pytest.approx(1.0, abs=0.1)
    assert finalize(api, "video", ticket["video_id"]).json() == body  # idempotent
    assert_error(post_form(api, ticket, b"again"), 409, "conflict")


def test_limits_per_kind(api: Api) -> None:
    assert reserve(api, "audio")["max_file_size_bytes"] == 500 * 1024**2
    assert set(reserve(api, "image")) >= {"image_id"}
    assert_error(api.post("/uploads/pdf/get_upload_url"), 400, "validation_error")


def test_empty_file_is_refused_at_finalize(api: Api) -> None:
    ticket = reserve(api)
    assert post_form(api, ticket, b"").status_code == 204
    response = finalize(api, "video", ticket["video_id"])
    assert_error(response, 400, "validation_error")
    assert "empty" in response.json()["detail"]


def test_html_is_refused_at_finalize_with_the_reason(api: Api) -> None:
    ticket = reserve(api)
    page = b"<!doctype html><html><body>" + b"<p>not a video</p>" * 200 + b"</body></html>"
    assert post_form(api, ticket, page).status_code == 204
    response = finalize(api, "video", ticket["video_id"])
    assert_error(response, 400, "validation_error")
    assert "video" in response.json()["detail"]


def test_an_mp4_is_not_an_image(api: Api, sample_mp4: Path) -> None:
    ticket = reserve(api, "image")
    assert post_form(api, ticket, sample_mp4.read_bytes()).status_code == 204
    assert_error(finalize(api, "image", ticket["image_id"]), 400, "validation_error")


def test_over_the_size_limit_is_413(make_api: Callable[..., Api]) -> None:
    api = make_api(max_video_bytes=1000)
    ticket = reserve(api)
    assert ticket["max_file_size_bytes"] == 1000
    assert_error(post_form(api, ticket, b"x" * 5000), 413, "payload_too_large")
    key = ticket["upload_fields"]["key"]
    assert not api.runtime.blobs.exists(key)
    assert list(api.runtime.blobs.path(key).parent.glob("*")) == []  # no temp file left
    assert_error(finalize(api, "video", ticket["video_id"]), 400, "validation_error")


def test_over_the_limit_without_content_length_is_413(make_api: Callable[..., Api]) -> None:
    api = make_api(max_video_bytes=1000)
    ticket = reserve(api)
    fields = ticket["upload_fields"]
    boundary = "b0undary"
    head = "".join(
        f'--{boundary}\r\nContent-Disposition: form-data; name="{k}"\r\n\r\n{v}\r\n'
        for k, v in fields.items()
    )
    head += f'--{boundary}\r\nContent-Disposition: form-data; name="file"; filename="a"\r\n\r\n'

    def chunks() -> Any:  # a generator body: sent chunked, no Content-Length
        yield head.encode()
        for _ in range(10):
            yield b"y" * 1000
        yield f"\r\n--{boundary}--\r\n".encode()

    response = api.client.post(
        urlsplit(ticket["upload_url"]).path,
        content=chunks(),
        headers={"Content-Type": f"multipart/form-data; boundary={boundary}"},
    )
    assert_error(response, 413, "payload_too_large")


def test_finalize_before_upload_is_400(api: Api) -> None:
    ticket = reserve(api)
    assert_error(finalize(api, "video", ticket["video_id"]), 400, "validation_error")
    assert_error(api.post("/uploads/video/finalize_upload", json={}), 400, "validation_error")


def test_unknown_foreign_wrong_kind_or_expired_ids_are_404(api: Api, sample_mp4: Path) -> None:
    ticket = reserve(api)
    upload_id = ticket["video_id"]
    assert_error(finalize(api, "video", "00000000-0000-4000-8000-000000000000"), 404, "not_found")
    assert post_form(api, ticket, sample_mp4.read_bytes()).status_code == 204
    assert_error(finalize(api, "video", upload_id, key=api.other_key), 404, "not_found")
    assert_error(finalize(api, "audio", upload_id), 404, "not_found")
    expired = reserve(api)
    with unit_of_work(api.runtime.sessions) as session:
        row = session.get(Upload, expired["video_id"])
        assert row is not None
        row.expires_at = utcnow() - timedelta(seconds=1)
    assert_error(finalize(api, "video", expired["video_id"]), 404, "not_found")
    assert_error(post_form(api, expired, b"late"), 404, "not_found")


def test_tampered_form_fields_are_403(api: Api) -> None:
    ticket = reserve(api)
    other = reserve(api)
    assert_error(post_form(api, ticket, b"x", signature="0" * 64), 403, "forbidden")
    assert_error(post_form(api, ticket, b"x", expires="9999999999"), 403, "forbidden")
    assert_error(post_form(api, ticket, b"x", key=other["upload_fields"]["key"]), 403, "forbidden")
    stolen = {**other, "upload_url": ticket["upload_url"]}  # someone else's fields, this URL
    assert_error(post_form(api, stolen, b"x"), 403, "forbidden")
    assert not api.runtime.blobs.exists(ticket["upload_fields"]["key"])


def test_a_form_without_a_file_is_400(api: Api) -> None:
    ticket = reserve(api)
    path = urlsplit(ticket["upload_url"]).path
    boundary = "b0undary"
    fields = "".join(
        f'--{boundary}\r\nContent-Disposition: form-data; name="{k}"\r\n\r\n{v}\r\n'
        for k, v in ticket["upload_fields"].items()
    )
    response = api.client.post(
        path,
        content=f"{fields}--{boundary}--\r\n".encode(),
        headers={"Content-Type": f"multipart/form-data; boundary={boundary}"},
    )
    assert_error(response, 400, "validation_error")


def test_a_form_that_is_not_multipart_is_415(api: Api) -> None:
    path = urlsplit(reserve(api)["upload_url"]).path
    assert_error(api.client.post(path, data={"a": "1"}), 415, "unsupported_media_type")
    assert_error(api.client.post(path, json={"a": 1}), 415, "unsupported_media_type")


def test_an_oversized_upload_is_cut_off_and_leaves_nothing(make_api: Callable[..., Api]) -> None:
    """The server answers 413 once the limit is crossed, while the client is still sending, and
    neither the blob nor a temporary file stays behind."""
    api = make_api(max_video_bytes=200_000)
    ticket = reserve(api)
    boundary = "cutoff"
    head = "".join(
        f'--{boundary}\r\nContent-Disposition: form-data; name="{k}"\r\n\r\n{v}\r\n'
        for k, v in ticket["upload_fields"].items()
    )
    head += f'--{boundary}\r\nContent-Disposition: form-data; name="file"; filename="a"\r\n\r\n'
    url = urlsplit(str(api.client.base_url))
    request = (
        f"POST {urlsplit(ticket['upload_url']).path} HTTP/1.1\r\nHost: {url.netloc}\r\n"
        f"Content-Type: multipart/form-data; boundary={boundary}\r\n"
        "Transfer-Encoding: chunked\r\n\r\n"
    ).encode() + _chunk(head.encode())
    intended, sent = 50 * 1024 * 1024, 0
    with socket.create_connection((url.hostname, url.port), timeout=10) as conn:
        conn.sendall(request)
        conn.setblocking(False)
        answer = b""
        while sent < intended and not answer:
            try:
                conn.send(_chunk(b"z" * 16384))
                sent += 16384
            except (BlockingIOError, BrokenPipeError, ConnectionResetError):
                time.sleep(0.01)
            with contextlib.suppress(BlockingIOError):
                answer = conn.recv(65536)
    assert answer.startswith(b"HTTP/1.1 413"), answer[:200]
    assert b'"error":"payload_too_large"' in answer
    assert sent < intended / 4, f"the client could send {sent} bytes before the answer"
    blobs = api.runtime.settings.blob_dir
    assert not api.runtime.blobs.exists(ticket["upload_fields"]["key"])
    assert [p for p in blobs.rglob("*") if p.is_file()] == []


def _chunk(data: bytes) -> bytes:
    return f"{len(data):x}\r\n".encode() + data + b"\r\n"
