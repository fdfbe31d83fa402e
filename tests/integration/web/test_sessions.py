"""Dashboard sign-in over real HTTP: the cookie holds a session (never the key), every change
needs the CSRF token, a revoked key or "Sign out" ends the session, and redirects stay local."""

from __future__ import annotations

import re

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
