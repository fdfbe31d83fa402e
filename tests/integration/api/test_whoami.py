from __future__ import annotations

from datetime import UTC

from tests.integration.api.conftest import Api
from tilework.db.session import unit_of_work
from tilework.db.tables import ApiKey, utcnow


def test_whoami_names_the_keys_organization(api: Api) -> None:
    first = api.get("/whoami")
    assert first.status_code == 200
    body = first.json()
    assert set(body) == {
        "organization_id",
        "organization_name",
        "organization_slug",
        "created_at",
        "last_used_at",
        "scopes",
    }
    assert body["scopes"] is None  # `tilework init` and test organizations: full access
    assert (body["organization_name"], body["organization_slug"]) == ("Org A", "org-a")
    assert body["last_used_at"] is None  # the key's previous use: none before this request
    second = api.get("/whoami").json()
    assert second["last_used_at"] is not None
    assert second["organization_id"] == body["organization_id"]
    assert api.get("/whoami", key=api.other_key).json()["organization_name"] == "Org B"


def test_missing_or_wrong_key_is_401(api: Api) -> None:
    for headers in ({}, {"Authorization": "Bearer mk_nope"}, {"Authorization": "Basic abc"}):
        response = api.client.get("/whoami", headers=headers)
        assert response.status_code == 401
        assert response.json()["error"] == "invalid_api_key"
        assert isinstance(response.json()["detail"], str)


def test_revoked_key_is_401(api: Api) -> None:
    with unit_of_work(api.runtime.sessions) as session:
        for key in session.query(ApiKey):
            key.revoked_at = utcnow().astimezone(UTC)
    assert api.get("/whoami").status_code == 401
