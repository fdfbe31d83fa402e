"""Dashboard sessions do what their API key may do, no more: generated from the route table.

Every dashboard route that needs a session is listed in ``tilework.web.route_scopes`` (this file
fails first when one is not), refuses a session whose key lacks its scope with the HTML error
page (403, naming the scope) and lets a key with exactly its scopes through. Then a person with a
read-only key (``agent_runs:read``): the run page offers no action, and forged actions are refused.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
import pytest
from fastapi import FastAPI
from fastapi.routing import APIRoute, iter_route_contexts

from tests.integration.api.conftest import Api, start_api
from tests.integration.api.seed import Seeded, seed
from tests.integration.web.test_sessions import browser, sign_in
from tilework.api.openapi import depends_on
from tilework.api.route_scopes import ROUTE_SCOPES
from tilework.orgs.scopes import ALL_SCOPES
from tilework.web.auth import require_user
from tilework.web.route_scopes import WEB_ROUTES, required_scopes

HOOK = "http://127.0.0.1:9/hook"  # nothing listens: the API-only runtime sends nothing anyway


@pytest.fixture(scope="module")
def seeded(
    tmp_path_factory: pytest.TempPathFactory, sample_mp4: Path
) -> Iterator[tuple[Api, Seeded]]:
    tmp = tmp_path_factory.mktemp("web-scopes")
    with start_api(tmp, allow_private_urls=True, rate_limit_per_minute=0) as api:
        yield api, seed(api, api.key, sample_mp4, callback_url=HOOK)


def session_routes(app: FastAPI) -> list[tuple[str, str]]:
    """Every (method, path template) of the app that needs a dashboard session."""
    found = []
    for route in iter_route_contexts(app.routes):
        if not isinstance(route.original_route, APIRoute) or route.path_format is None:
            continue
        if depends_on(route.dependant, require_user):
            found += [(method, route.path_format) for method in sorted(route.methods or ())]
    return found


def key_with(api: Api, scopes: list[str]) -> str:
    response = api.post("/api_keys", json={"name": "dashboard", "scopes": scopes})
    assert response.status_code == 200, response.text
    secret: str = response.json()["api_key"]
    return secret


@contextmanager
def signed_in(api: Api, scopes: list[str] | None) -> Iterator[tuple[httpx.Client, str]]:
    """A browser signed in with a new key holding ``scopes`` (None: the full-access key), and
    its session's CSRF token (every page of a session carries it, the error page too)."""
    with browser(api) as client:
        key = api.key if scopes is None else key_with(api, scopes)
        assert sign_in(client, key).status_code == 303
        page = client.get("/app", follow_redirects=True)
        match = re.search(r'name="csrf-token" content="([0-9a-f]+)"', page.text)
        assert match, page.text
        yield client, match.group(1)


def call(client: httpx.Client, route: tuple[str, str], token: str) -> httpx.Response:
    method, path = route
    url = re.sub(r"{\w+}", lambda _: str(uuid.uuid4()), path)
    if method == "GET":
        return client.get(url)
    return client.request(method, url, data={"csrf_token": token})


def test_every_session_route_is_in_the_table(seeded: tuple[Api, Seeded]) -> None:
    api, _ = seeded
    routes = session_routes(api.app)
    assert len(routes) >= 25
    assert [route for route in routes if route not in WEB_ROUTES] == [], (
        "add these to tilework.web.route_scopes.WEB_ROUTES"
    )
    assert [route for route in WEB_ROUTES if route not in routes] == []  # no stale entries
    mirrored = {operation for operations in WEB_ROUTES.values() for operation in operations}
    assert mirrored - set(ROUTE_SCOPES) == set()  # each names a real API operation


def test_each_route_refuses_a_session_without_its_scope(seeded: tuple[Api, Seeded]) -> None:
    api, _ = seeded
    checked = 0
    for route, lacking in sorted({r: required_scopes(*r)[:1] for r in WEB_ROUTES}.items()):
        if not lacking:
            continue
        with signed_in(api, [s for s in ALL_SCOPES if s != lacking[0]]) as (client, token):
            answer = call(client, route, token)
        assert answer.status_code == 403, (route, answer.status_code)
        assert answer.headers["content-type"].startswith("text/html")
        assert f"lacks the scope {lacking[0]}" in answer.text, route
        assert "Sign out" in answer.text  # the error page keeps the session's menu
        checked += 1
    assert checked >= 25


def test_each_route_lets_a_session_with_exactly_its_scopes_through(
    seeded: tuple[Api, Seeded],
) -> None:
    api, _ = seeded
    for route in sorted(WEB_ROUTES):
        with signed_in(api, list(required_scopes(*route))) as (client, token):
            answer = call(client, route, token)
        assert "lacks the scope" not in answer.text, route  # (a plan may still say no: 403)
        assert "/app/sign-in?next=" not in answer.headers.get("location", ""), route


def test_a_read_only_key_sees_runs_and_is_offered_no_action(seeded: tuple[Api, Seeded]) -> None:
    api, ids = seeded
    run_id, event_id = ids.ids["run_id"], ids.ids["event_id"]
    with signed_in(api, None) as (full, _), signed_in(api, ["agent_runs:read"]) as (reader, token):
        # The full-access session is offered every action on the running run ...
        page = full.get(f"/app/runs/{run_id}")
        assert f'action="/app/runs/{run_id}/cancel"' in page.text
        assert f'action="/app/webhook-events/{event_id}/redeliver' in page.text

        # ... the read-only one sees the run and none of them.
        assert reader.get("/app").headers["location"] == "/app/runs"
        runs = reader.get("/app/runs")
        assert runs.status_code == 200 and f"/app/runs/{run_id}" in runs.text
        assert "Seeded" not in runs.text  # agent names are agents:read
        nav = re.search(r'<nav aria-label="Main">.*?</nav>', runs.text, re.S)
        assert nav and re.findall(r'href="(/app/\w+)"', nav.group(0)) == ["/app/runs"]
        page = reader.get(f"/app/runs/{run_id}")
        assert page.status_code == 200 and 'id="run-status">running<' in page.text
        for action in ("/cancel", "/resume", "/redeliver", "Cancel run", "Redeliver"):
            assert action not in page.text, action
        assert "lacks <code>agent_runs:write</code>" in page.text
        assert "lacks <code>webhooks:read</code>" in page.text
        assert reader.get(f"/app/runs/{run_id}/state").status_code == 200

        # A forged form, with the session's own CSRF token, is refused and changes nothing.
        forged = reader.post(f"/app/runs/{run_id}/cancel", data={"csrf_token": token})
        assert forged.status_code == 403 and "agent_runs:write" in forged.text
        redeliver = reader.post(
            f"/app/webhook-events/{event_id}/redeliver", data={"csrf_token": token}
        )
        assert redeliver.status_code == 403 and "webhooks:write" in redeliver.text
        for path, scope in [
            (f"/app/agents/{ids.ids['agent_id']}/nodes/{ids.ids['agent_node_id']}", "agents:write"),
            ("/app/plan", "billing:write"),
            (f"/app/triggers/{ids.ids['trigger_id']}/fire", "triggers:write"),
            (f"/app/triggers/{ids.ids['trigger_id']}/remove", "triggers:write"),
        ]:
            refused = reader.post(path, data={"csrf_token": token, "plan_id": "creator"})
            assert refused.status_code == 403 and scope in refused.text, path
        agents = reader.get("/app/agents")
        assert agents.status_code == 403 and "agents:read" in agents.text
    assert api.get(f"/agent_run/{run_id}").json()["status"] == "running"
    assert api.get(f"/trigger/{ids.ids['trigger_id']}").status_code == 200


def test_pages_offer_only_what_the_key_may_do(seeded: tuple[Api, Seeded]) -> None:
    api, ids = seeded
    agent_id = ids.ids["agent_id"]
    with signed_in(api, ["agents:read", "billing:read", "triggers:read"]) as (reader, _):
        agent = reader.get(f"/app/agents/{agent_id}")
        assert agent.status_code == 200 and "Seeded" in agent.text
        assert "<fieldset" in agent.text and 'class="node-fields" disabled' in agent.text
        for absent in ("/run", "/share", "/unshare", "Save Render", "All runs of this agent"):
            assert absent not in agent.text.replace(f"/app/runs?agent_id={agent_id}", ""), absent
        assert "lacks <code>agent_runs:write</code>, so it cannot run agents" in agent.text
        agents = reader.get("/app/agents")
        assert 'action="/app/agents/import"' not in agents.text
        credits = reader.get("/app/credits")
        assert credits.status_code == 200 and 'action="/app/plan"' not in credits.text
        assert "Save top-up settings" not in credits.text
        triggers = reader.get("/app/triggers")
        assert triggers.status_code == 200 and ids.ids["trigger_id"] in triggers.text
        for absent in ("/fire", "/remove", "/app/triggers/schedule", "/app/triggers/youtube"):
            assert absent not in triggers.text, absent
        assert "Its runs" not in triggers.text


def test_a_key_that_reads_nothing_gets_a_page_that_says_so(seeded: tuple[Api, Seeded]) -> None:
    api, _ = seeded
    client = browser(api)
    with client:
        assert sign_in(client, key_with(api, ["agents:write"])).headers["location"] == "/app"
        page = client.get("/app")
        assert page.status_code == 403 and "no page to show" in page.text
        assert "with a key limited to agents:write" in page.text
