"""Signed file URLs over real HTTP: Range, HEAD, and every way a signature can be refused."""

from __future__ import annotations

import http.client
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit

import httpx
import pytest

from tests.integration.api.conftest import Api
from tests.integration.api.test_agents import assert_error

CONTENT = bytes(range(256)) * 40  # 10 240 bytes


def stored(api: Api, key: str = "renders/r1/video.mp4") -> str:
    with api.runtime.blobs.open_write(key) as out:
        out.write(CONTENT)
    return key


def fetch(api: Api, url: str, method: str = "GET", **kw: Any) -> httpx.Response:
    parts = urlsplit(url)
    return api.client.request(method, f"{parts.path}?{parts.query}", **kw)


def test_serves_the_blob_with_its_type(api: Api) -> None:
    response = fetch(api, api.runtime.signer.sign(stored(api)))
    assert response.status_code == 200
    assert response.content == CONTENT
    assert response.headers["content-type"] == "video/mp4"
    assert response.headers["accept-ranges"] == "bytes"


def test_range_requests_answer_206_with_the_right_bytes(api: Api) -> None:
    url = api.runtime.signer.sign(stored(api))
    response = fetch(api, url, headers={"Range": "bytes=100-199"})
    assert response.status_code == 206
    assert response.content == CONTENT[100:200]
    assert response.headers["content-range"] == f"bytes 100-199/{len(CONTENT)}"
    tail = fetch(api, url, headers={"Range": "bytes=-10"})
    assert (tail.status_code, tail.content) == (206, CONTENT[-10:])
    outside = fetch(api, url, headers={"Range": f"bytes={len(CONTENT) + 5}-"})
    assert_error(outside, 416, "range_not_satisfiable")  # JSON, as the OpenAPI says
    assert outside.headers["content-range"] == f"bytes */{len(CONTENT)}"
    malformed = fetch(api, url, headers={"Range": "items=0-1"})
    assert_error(malformed, 400, "validation_error")


def test_head_and_download_name(api: Api) -> None:
    url = api.runtime.signer.sign(stored(api, "uploads/u1/source"), filename="clip.mp4")
    head = fetch(api, url, method="HEAD")
    assert head.status_code == 200
    assert head.headers["content-length"] == str(len(CONTENT))
    assert head.content == b""
    assert head.headers["content-type"] == "video/mp4"
    assert "clip.mp4" in head.headers["content-disposition"]


def test_tampered_and_expired_signatures_are_403(api: Api) -> None:
    key = stored(api)
    signer = api.runtime.signer
    url = signer.sign(key)
    query = {k: v[0] for k, v in parse_qs(urlsplit(url).query).items()}
    path = urlsplit(url).path
    tampered = [
        {**query, "signature": "f" * 64},
        {**query, "expires": str(int(query["expires"]) + 1)},
        {"expires": query["expires"]},
        {},
    ]
    for params in tampered:
        assert_error(api.client.get(f"{path}?{urlencode(params)}"), 403, "forbidden")
    other_path = path.replace("video.mp4", "other.mp4")
    assert_error(api.client.get(f"{other_path}?{urlencode(query)}"), 403, "forbidden")
    assert_error(fetch(api, signer.sign(key, ttl_seconds=-5)), 403, "forbidden")
    assert_error(fetch(api, signer.sign(key, method="PUT")), 403, "forbidden")  # another method


def test_a_missing_blob_is_404(api: Api) -> None:
    assert_error(fetch(api, api.runtime.signer.sign("renders/none.mp4")), 404, "not_found")


@pytest.mark.parametrize(
    "key", ["../signing.key", "uploads/../../signing.key", "/etc/passwd", "a//b", "%2e%2e/x"]
)
def test_even_a_signed_key_cannot_leave_the_store(api: Api, key: str) -> None:
    """Sent as is (no client-side path normalisation), with a genuine signature for the key."""
    signed = urlsplit(api.runtime.signer.sign(key))
    url = urlsplit(str(api.client.base_url))
    connection = http.client.HTTPConnection(url.hostname or "", url.port, timeout=10)
    try:
        connection.request("GET", f"{signed.path}?{signed.query}")
        response = connection.getresponse()
        body = response.read()
    finally:
        connection.close()
    assert response.status in (400, 403, 404), (key, response.status)
    assert api.runtime.settings.resolved_signing_key() not in body
    assert b"root:" not in body
