"""Limits on the HTTP surface: per-key rate limits (429 with Retry-After and X-RateLimit-*),
the 1 MiB body cap (413, also for chunked bodies), strict JSON content types (415)."""

from __future__ import annotations

from collections.abc import Callable, Iterator

from tests.integration.api.conftest import Api
from tests.integration.api.test_agents import assert_error

ONE_MIB = 1024 * 1024


def test_each_key_has_its_own_bucket(make_api: Callable[..., Api]) -> None:
    api = make_api(rate_limit_per_minute=3)
    answers = [api.get("/agents") for _ in range(4)]
    assert [r.status_code for r in answers] == [200, 200, 200, 429]
    assert [r.headers["X-RateLimit-Remaining"] for r in answers] == ["2", "1", "0", "0"]
    assert all(r.headers["X-RateLimit-Limit"] == "3" for r in answers)
    refused = answers[-1]
    assert_error(refused, 429, "rate_limit")
    assert int(refused.headers["Retry-After"]) >= 1  # a token every 20 s
    assert int(refused.headers["X-RateLimit-Reset"]) >= 20
    assert api.get("/agents", api.other_key).status_code == 200  # another key, another bucket
    assert api.client.get("/agents").status_code == 401  # no key: not counted, not limited


def test_run_starts_have_a_smaller_bucket(make_api: Callable[..., Api]) -> None:
    api = make_api(rate_limit_per_minute=100, rate_limit_runs_per_minute=1)
    first = api.post("/agent/missing/run", json={"video_urls": []})
    assert first.status_code != 429 and first.headers["X-RateLimit-Limit"] == "1"
    second = api.post("/agent/missing/run", json={"video_urls": []})
    assert_error(second, 429, "rate_limit")
    assert "run starts" in second.json()["detail"]
    assert api.get("/agents").headers["X-RateLimit-Limit"] == "100"


def test_a_limit_of_zero_is_off(make_api: Callable[..., Api]) -> None:
    api = make_api(rate_limit_per_minute=0)
    response = api.get("/agents")
    assert response.status_code == 200 and "X-RateLimit-Limit" not in response.headers


def test_json_bodies_over_one_mib_are_413(api: Api) -> None:
    big = b'{"name": "x", "description": "' + b"d" * ONE_MIB + b'"}'
    headers = {"Content-Type": "application/json"}
    assert_error(api.post("/agent/create", content=big, headers=headers), 413, "payload_too_large")

    def chunks() -> Iterator[bytes]:  # no Content-Length: counted as it arrives
        yield b'{"name": "x", "description": "'
        for _ in range(20):
            yield b"d" * 65536
        yield b'"}'

    chunked = api.post("/agent/create", content=chunks(), headers=headers)
    assert_error(chunked, 413, "payload_too_large")
    just_under = b'{"name": "x", "description": "' + b"d" * 4000 + b'"}'
    assert api.post("/agent/create", content=just_under, headers=headers).status_code == 200


def test_json_routes_refuse_other_content_types(api: Api) -> None:
    body = b'{"name": "x"}'
    for content_type in ("text/plain", "application/x-www-form-urlencoded", "multipart/form-data"):
        response = api.post("/agent/create", content=body, headers={"Content-Type": content_type})
        assert_error(response, 415, "unsupported_media_type")
        assert content_type in response.json()["detail"]
    assert_error(api.post("/agent/create", content=body), 415, "unsupported_media_type")
    for good in ("application/json", "application/json; charset=utf-8", "application/merge+json"):
        response = api.post("/agent/create", content=body, headers={"Content-Type": good})
        assert response.status_code == 200, (good, response.text)
    # An optional body may be left out whatever the headers say.
    agent_id = response.json()["agent"]["id"]
    empty = api.post(f"/agent/{agent_id}/duplicate", headers={"Content-Type": "text/plain"})
    assert empty.status_code == 200
