"""API keys over HTTP and through ``tilework keys``: several per organization, the secret shown
once and stored hashed, revoke and rotate taking effect on the next request, last use recorded
at most once a minute, and no key ever written to a log line."""

from __future__ import annotations

import json
import logging
from datetime import timedelta

import pytest
from sqlalchemy import select, update
from typer.testing import CliRunner

from tests.integration.api.conftest import Api
from tests.integration.api.test_agents import assert_error
from tilework.cli.main import app as cli
from tilework.db.session import unit_of_work
from tilework.db.tables import ApiKey, utcnow
from tilework.orgs.service import LAST_USED_RESOLUTION, hash_key


def create_key(api: Api, name: str = "ci", scopes: list[str] | None = None) -> dict[str, str]:
    response = api.post("/api_keys", json={"name": name, "scopes": scopes})
    assert response.status_code == 200, response.text
    body: dict[str, str] = response.json()
    return body


def test_create_list_and_use_a_key(api: Api) -> None:
    created = create_key(api, "reader", ["agents:read", "agents:read", "agent_runs:read"])
    assert created["scopes"] == ["agents:read", "agent_runs:read"]  # distinct, catalogue order
    assert created["api_key"].startswith("mk_") and created["prefix"] == created["api_key"][:10]
    assert api.get("/whoami", created["api_key"]).json()["scopes"] == created["scopes"]
    listed = api.get("/api_keys").json()
    assert [key["name"] for key in listed["api_keys"]] == ["reader", "default"]
    assert "api_key" not in listed["api_keys"][0]  # the secret was shown once, at creation
    assert listed["next_cursor"] is None
    other_org = api.get("/api_keys", api.other_key).json()["api_keys"]
    assert [key["id"] for key in other_org if key["id"] == created["id"]] == []


def test_keys_are_stored_hashed(api: Api) -> None:
    created = create_key(api)
    with unit_of_work(api.runtime.sessions) as session:
        stored = session.get_one(ApiKey, created["id"])
        assert stored.key_hash == hash_key(created["api_key"])
        everything = " ".join(str(value) for value in vars(stored).values())
    assert created["api_key"] not in everything


def test_bad_requests_are_400(api: Api) -> None:
    for body in (
        {"name": ""},
        {"name": "   "},
        {"name": "x" * 101},
        {"name": "x", "scopes": ["agents:admin"]},
        {"name": "x", "extra": 1},
        {"scopes": []},
    ):
        assert_error(api.post("/api_keys", json=body), 400, "validation_error")


def test_revoke_takes_effect_at_once_and_spares_the_last_full_key(api: Api) -> None:
    created = create_key(api)
    assert api.get("/whoami", created["api_key"]).status_code == 200
    revoked = api.post(f"/api_keys/{created['id']}/revoke")
    assert revoked.status_code == 200 and revoked.json()["revoked_at"] is not None
    assert_error(api.get("/whoami", created["api_key"]), 401, "invalid_api_key")
    assert api.post(f"/api_keys/{created['id']}/revoke").status_code == 200  # idempotent
    default = next(k for k in api.get("/api_keys").json()["api_keys"] if k["name"] == "default")
    assert_error(api.post(f"/api_keys/{default['id']}/revoke"), 409, "conflict")
    assert_error(api.post(f"/api_keys/{created['id']}/rotate"), 409, "conflict")


def test_a_full_key_can_revoke_itself_once_another_exists(api: Api) -> None:
    spare = create_key(api, "spare")
    default = next(k for k in api.get("/api_keys").json()["api_keys"] if k["name"] == "default")
    assert api.post(f"/api_keys/{default['id']}/revoke").status_code == 200
    assert_error(api.get("/whoami"), 401, "invalid_api_key")
    assert api.get("/whoami", spare["api_key"]).status_code == 200


def test_rotate_keeps_the_key_and_replaces_the_secret(api: Api) -> None:
    created = create_key(api, "rotating", ["agents:read"])
    rotated = api.post(f"/api_keys/{created['id']}/rotate").json()
    assert (rotated["id"], rotated["name"], rotated["scopes"]) == (
        created["id"],
        "rotating",
        ["agents:read"],
    )
    assert rotated["api_key"] != created["api_key"]
    assert_error(api.get("/whoami", created["api_key"]), 401, "invalid_api_key")
    assert api.get("/agents", rotated["api_key"]).status_code == 200


def test_last_use_is_written_at_most_once_a_minute(api: Api) -> None:
    created = create_key(api)
    assert api.get("/whoami", created["api_key"]).json()["last_used_at"] is None

    def stored() -> object:
        with unit_of_work(api.runtime.sessions) as session:
            return session.scalar(select(ApiKey.last_used_at).where(ApiKey.id == created["id"]))

    first = stored()
    assert first is not None
    for _ in range(5):
        api.get("/whoami", created["api_key"])
    assert stored() == first  # five more requests, no write
    with unit_of_work(api.runtime.sessions) as session:  # as if the last write were stale
        older = utcnow() - LAST_USED_RESOLUTION - timedelta(seconds=1)
        session.execute(update(ApiKey).where(ApiKey.id == created["id"]).values(last_used_at=older))
    api.get("/whoami", created["api_key"])
    assert stored() != older


def test_no_key_is_ever_written_to_a_log_line(api: Api, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    created = create_key(api)
    api.get("/whoami", created["api_key"])
    api.get("/whoami", "mk_" + "x" * 43)  # an unknown key is not logged either
    api.post("/api_keys", created["api_key"], json={"name": "again"})
    api.post(f"/api_keys/{created['id']}/rotate")

    def boom() -> None:
        raise RuntimeError("an unexpected failure, logged with its traceback")

    api.app.add_api_route("/boom", boom)
    api.get("/boom", created["api_key"])
    assert caplog.records, "nothing was logged: the check below would prove nothing"
    for secret in (api.key, created["api_key"], "mk_" + "x" * 43):
        assert secret not in caplog.text


def test_the_keys_command(api: Api) -> None:
    runner = CliRunner()
    env = {"TILEWORK_SERVER": str(api.client.base_url), "TILEWORK_API_KEY": api.key}
    made = runner.invoke(cli, ["keys", "create", "ci", "--scope", "agents:read"], env=env)
    assert made.exit_code == 0, made.output
    secret = made.stdout.strip()
    assert secret.startswith("mk_") and "\n" not in secret
    assert api.get("/whoami", secret).json()["scopes"] == ["agents:read"]
    listed = runner.invoke(cli, ["keys", "list", "--json"], env=env)
    key_id = next(k["id"] for k in json.loads(listed.stdout) if k["name"] == "ci")
    rotated = runner.invoke(cli, ["keys", "rotate", key_id], env=env)
    assert rotated.exit_code == 0 and rotated.stdout.strip() != secret
    assert runner.invoke(cli, ["keys", "revoke", key_id], env=env).exit_code == 0
    assert api.get("/whoami", rotated.stdout.strip()).status_code == 401
    refused = runner.invoke(cli, ["keys", "list"], env={**env, "TILEWORK_API_KEY": secret})
    assert refused.exit_code == 1 and "invalid API key" in refused.output
    scoped = runner.invoke(cli, ["keys", "create", "x", "--scope", "bogus"], env=env)
    assert scoped.exit_code == 1 and "scopes[0]: Input should be" in scoped.output
