"""Scopes, generated from the route table: every authenticated route refuses a key without its
scope (403 ``insufficient_scope`` naming it) and lets a key with exactly that scope through.

A route that authenticates but is not listed in ``tilework.api.route_scopes`` fails here first.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator

import pytest

from tests.integration.api.conftest import Api, start_api
from tests.integration.api.routes import Operation, operations
from tests.integration.api.test_isolation import NOT_IDS
from tilework.api.route_scopes import FULL_ACCESS, ROUTE_SCOPES
from tilework.orgs.scopes import ALL_SCOPES


@pytest.fixture(scope="module")
def api(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Api]:
    with start_api(tmp_path_factory.mktemp("scopes"), rate_limit_per_minute=0) as started:
        yield started


def key_with(api: Api, scopes: list[str]) -> str:
    response = api.post("/api_keys", json={"name": "scoped", "scopes": scopes})
    assert response.status_code == 200, response.text
    secret: str = response.json()["api_key"]
    return secret


def _call(api: Api, op: Operation, key: str) -> tuple[int, dict[str, str]]:
    values = {name: NOT_IDS.get(name, str(uuid.uuid4())) for name in op.path_params}
    body = {} if op.spec.get("requestBody") else None
    response = api.request(op.method, op.url(values), key, json=body)
    return response.status_code, response.json() if response.content else {}


def test_every_authenticated_route_declares_its_scopes(api: Api) -> None:
    unlisted = [
        str(op)
        for op in operations(api.app)
        if op.authenticated and (op.method, op.path) not in ROUTE_SCOPES
    ]
    assert unlisted == [], "add these to tilework.api.route_scopes.ROUTE_SCOPES"


def test_each_route_refuses_a_key_without_its_scope(api: Api) -> None:
    checked = 0
    for op in operations(api.app):
        needed = ROUTE_SCOPES.get((op.method, op.path))
        if not op.authenticated or not needed:
            continue
        lacking = needed[0]
        key = key_with(api, [scope for scope in ALL_SCOPES if scope != lacking])
        status, body = _call(api, op, key)
        assert (status, body.get("error")) == (403, "insufficient_scope"), (op, body)
        assert lacking in body["detail"], (op, body)
        checked += 1
    assert checked >= 45


def test_each_route_accepts_a_key_with_exactly_its_scopes(api: Api) -> None:
    for op in operations(api.app):
        needed = ROUTE_SCOPES.get((op.method, op.path))
        if not op.authenticated or needed is None or needed == FULL_ACCESS:
            continue
        status, body = _call(api, op, key_with(api, list(needed)))
        assert body.get("error") != "insufficient_scope", (op, status, body)
        assert status != 401, op


def test_a_key_with_no_scopes_can_only_say_who_it_is(api: Api) -> None:
    key = key_with(api, [])
    whoami = api.get("/whoami", key)
    assert whoami.status_code == 200 and whoami.json()["scopes"] == []
    refused = api.get("/agents", key)
    assert refused.status_code == 403
    assert refused.json()["detail"] == "this API key lacks the scope agents:read"


def test_write_does_not_imply_read(api: Api) -> None:
    key = key_with(api, ["agents:write"])
    created = api.post("/agent/create", key, json={"name": "written blind"})
    assert created.status_code == 200
    assert api.get(f"/agent/{created.json()['agent']['id']}", key).status_code == 403


def test_managing_keys_needs_a_full_access_key(api: Api) -> None:
    almost = key_with(api, list(ALL_SCOPES[:-1]))
    refused = api.post("/api_keys", almost, json={"name": "escalate"})
    assert refused.status_code == 403
    assert "full-access" in refused.json()["detail"]
    explicit_all = key_with(api, list(ALL_SCOPES))  # every scope listed counts as full access
    assert api.get("/api_keys", explicit_all).status_code == 200


def test_openapi_names_each_operations_scopes(api: Api) -> None:
    paths = api.client.get("/openapi.json").json()["paths"]
    run = paths["/agent/{agent_id}/run"]["post"]
    assert run["x-required-scopes"] == ["agent_runs:write"]
    assert "`agent_runs:write`" in run["description"]
    assert paths["/agent_run/{run_id}/progress"]["get"]["x-required-scopes"] == ["agent_runs:read"]
