"""Dashboard sign-in over real HTTP: the cookie holds a session (never the key), every change
needs the CSRF token, a revoked key or "Sign out" ends the session, and redirects stay local."""

from __future__ import annotations

import re
from collections.abc import Callable

import httpx
from sqlalchemy import select, update

from tests.integration.api.conftest import Api
from tilework.db.session import unit_of_work
from tilework.db.tables import ApiKey, WebSession, utcnow
from tilework.orgs.service import hash_key


def browser(api: Api) -> httpx.Client:
    """A client that keeps cookies and does not follow redirects, like a careful browser test."""
    return httpx.Client(base_url=api.client.base_url, timeout=30)


def form_token(page: httpx.Response) -> str:
    match = re.search(r'name="csrf_token" value="([0-9a-f]+)"', page.text)
    assert match, page.text
    return match.group(1)


def sign_in(client: httpx.Client, key: str, next_path: str = "") -> httpx.Response:
    page = client.get("/app/sign-in")
    data = {"api_key": key, "csrf_token": form_token(page), "next": next_path}
    return client.post("/app/sign-in", data=data)


def test_sign_in_sets_a_session_cookie_not_the_key(api: Api) -> None:
    with browser(api) as client:
        assert client.get("/").headers["location"] == "/app/sign-in"
        answer = sign_in(client, api.key, "/app/agents")
        assert (answer.status_code, answer.headers["location"]) == (303, "/app/agents")
        cookie = next(c for c in answer.headers.get_list("set-cookie") if "tilework_session" in c)
        assert "HttpOnly" in cookie and "SameSite=lax" in cookie and "Path=/" in cookie
        token = client.cookies["tilework_session"]
        assert api.key not in cookie and token not in api.key
        assert client.get("/app/agents").status_code == 200
        assert client.get("/").headers["location"] == "/app/runs"
    with unit_of_work(api.runtime.sessions) as session:
        stored = session.scalars(select(WebSession.id)).all()
    assert token not in stored and len(stored) == 1  # only the token's digest is kept


def test_a_wrong_key_and_a_missing_token_are_refused(api: Api) -> None:
    with browser(api) as client:
        wrong = sign_in(client, "mk_wrong")
        assert wrong.status_code == 401 and "not valid" in wrong.text
        assert "mk_wrong" not in wrong.text  # the key is not echoed back
        forged = client.post("/app/sign-in", data={"api_key": api.key, "csrf_token": "0" * 64})
        assert forged.status_code == 403
        assert "tilework_session" not in client.cookies


def test_every_change_needs_the_csrf_token(api: Api) -> None:
    with browser(api) as client:
        sign_in(client, api.key)
        token = form_token(client.get("/app/agents"))
        yaml = "name: From the form\nnodes: [{id: input, type: video-input}]\n"
        assert client.post("/app/agents/import", data={"yaml_text": yaml}).status_code == 403
        bad = {"yaml_text": yaml, "csrf_token": "f" * 64}
        assert client.post("/app/agents/import", data=bad).status_code == 403
        good = client.post("/app/agents/import", data={"yaml_text": yaml, "csrf_token": token})
        assert good.status_code == 303 and good.headers["location"].startswith("/app/agents/")
        header = client.post("/app/uploads/video", headers={"X-CSRF-Token": token})
        assert header.status_code == 200 and header.json()["video_id"]
        assert client.post("/app/uploads/video").status_code == 403


def test_sign_out_and_key_revocation_end_the_session(api: Api) -> None:
    with browser(api) as client, browser(api) as other:
        sign_in(client, api.key)
        sign_in(other, api.key)
        token = form_token(client.get("/app/runs"))
        out = client.post("/app/sign-out", data={"csrf_token": token})
        assert out.headers["location"] == "/app/sign-in?signed_out=1"
        assert client.get("/app/runs").headers["location"].startswith("/app/sign-in")
        assert other.get("/app/runs").status_code == 200
        with unit_of_work(api.runtime.sessions) as session:
            session.execute(
                update(ApiKey)
                .where(ApiKey.key_hash == hash_key(api.key))
                .values(revoked_at=utcnow())
            )
        assert other.get("/app/runs").headers["location"] == "/app/sign-in?next=%2Fapp%2Fruns"


def test_after_sign_in_only_local_paths_are_followed(api: Api) -> None:
    for target in ("https://evil.example/", "//evil.example/x", "/\\evil.example"):
        with browser(api) as client:
            assert sign_in(client, api.key, target).headers["location"] == "/app/runs"


def test_another_organizations_pages_answer_not_found(api: Api) -> None:
    agent = api.post("/agent/create", json={"name": "Private"}).json()["agent"]["id"]
    with browser(api) as client:
        sign_in(client, api.other_key)
        page = client.get(f"/app/agents/{agent}")
        assert page.status_code == 404 and "Private" not in page.text
        assert client.get("/app/runs/does-not-exist").status_code == 404


def test_sign_in_says_only_invalid_key_whatever_the_reason(api: Api) -> None:
    created = api.post("/api_keys", json={"name": "gone", "scopes": ["agent_runs:read"]}).json()
    assert api.post(f"/api_keys/{created['id']}/revoke").status_code == 200
    unknown = "mk_" + "A" * 43
    answers = []
    for key in (unknown, created["api_key"], "not-a-key", ""):
        with browser(api) as client:
            answer = sign_in(client, key)
            assert answer.status_code == 401 and "tilework_session" not in client.cookies
            answers.append(re.sub(r'value="[0-9a-f]{64}"', "", answer.text))
    assert "That API key is not valid (or was revoked)." in answers[0]
    assert all(text == answers[0] for text in answers)  # revoked, unknown, malformed: alike


def test_a_session_draws_on_its_keys_rate_limit(make_api: Callable[..., Api]) -> None:
    api = make_api(rate_limit_per_minute=4)
    with browser(api) as client:
        sign_in(client, api.key)  # signing in is a use of the key: one token
        page = client.get("/app/runs")
        assert page.status_code == 200 and page.headers["X-RateLimit-Limit"] == "4"
        left = int(page.headers["X-RateLimit-Remaining"])
        through_api = api.get("/agents")  # the API and the dashboard share the key's bucket
        assert int(through_api.headers["X-RateLimit-Remaining"]) < left
        answers = [client.get("/app/runs") for _ in range(3)]
        refused = answers[-1]
        assert refused.status_code == 429 and int(refused.headers["Retry-After"]) >= 1
        assert "rate limit of 4 requests per minute" in refused.text
        assert refused.headers["content-type"].startswith("text/html")
        assert api.get("/agents").status_code == 429
        with browser(api) as again:  # nor does a new session start a fresh allowance
            assert sign_in(again, api.key).status_code == 429
    with browser(api) as other:  # another organization's key has a bucket of its own
        sign_in(other, api.other_key)
        assert other.get("/app/runs").status_code == 200


def test_starting_runs_from_the_dashboard_draws_on_the_run_start_limit(
    make_api: Callable[..., Api],
) -> None:
    api = make_api(rate_limit_runs_per_minute=1)
    with browser(api) as client:
        sign_in(client, api.key)
        token = form_token(client.get("/app/agents"))
        first = client.post("/app/agents/not-an-agent/run", data={"csrf_token": token})
        assert first.status_code == 404 and first.headers["X-RateLimit-Limit"] == "1"
        second = client.post("/app/agents/not-an-agent/run", data={"csrf_token": token})
        assert second.status_code == 429 and "run starts" in second.text
        assert client.get("/app/agents").status_code == 200  # other pages go on
