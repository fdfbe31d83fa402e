"""The OpenAPI document is exact and versioned: the served one equals docs/openapi.json, every
error status carries the error schema, and statuses are derived from how a route is built, so
a route added tomorrow is documented without anyone listing its errors."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from fastapi import APIRouter, Body, Depends, FastAPI
from scripts.openapi import DOCUMENT, render, served_document

from tilework.api.app import create_app
from tilework.api.deps import get_org
from tilework.api.openapi import errors
from tilework.config import Settings
from tilework.db.tables import Organization
from tilework.orgs.scopes import ALL_SCOPES

ERROR = {"$ref": "#/components/schemas/Error"}


def test_the_versioned_document_is_the_served_one() -> None:
    assert DOCUMENT.read_text(encoding="utf-8") == render(served_document()), (
        "docs/openapi.json is stale: run `make openapi`"
    )


def _operations(document: dict[str, Any]) -> list[tuple[str, str, dict[str, Any]]]:
    return [
        (method.upper(), path, operation)
        for path, item in document["paths"].items()
        for method, operation in item.items()
    ]


def test_every_error_status_has_the_error_schema() -> None:
    document = served_document()
    assert set(document["components"]["schemas"]["Error"]["properties"]) == {"detail", "error"}
    assert "HTTPValidationError" not in document["components"]["schemas"]
    for method, path, operation in _operations(document):
        responses = operation["responses"]
        assert "422" not in responses, (method, path)  # validation errors are 400 here
        assert "500" in responses, (method, path)
        for status, response in responses.items():
            if status[0] in "45":
                schema = response["content"]["application/json"]["schema"]
                assert schema == ERROR, (method, path, status)
        if operation.get("security"):
            assert {"401", "403", "429"} <= set(responses), (method, path)
            assert "x-required-scopes" in operation, (method, path)
            assert responses["429"]["headers"]["Retry-After"]


def test_statuses_are_derived_from_the_route(tmp_path: Path) -> None:
    app = create_app(Settings(data_dir=tmp_path))
    router = APIRouter()

    @router.post("/widget/{widget_id}/polish", responses=errors(409))
    def polish(
        widget_id: str, body: dict[str, int] = Body(), org: Organization = Depends(get_org)
    ) -> dict[str, str]:
        return {}

    @router.get("/public")
    def public() -> dict[str, str]:
        return {}

    app.include_router(router)
    document = app.openapi()
    polished = document["paths"]["/widget/{widget_id}/polish"]["post"]
    assert list(polished["responses"]) == [
        "200", "400", "401", "403", "404", "409", "413", "415", "429", "500"
    ]  # fmt: skip
    assert polished["x-required-scopes"] == list(ALL_SCOPES)
    assert "full-access" in polished["description"]  # unlisted in the scope table: fail closed
    assert list(document["paths"]["/public"]["get"]["responses"]) == ["200", "500"]


def test_routes_left_out_of_the_schema_stay_out(tmp_path: Path) -> None:
    app: FastAPI = create_app(Settings(data_dir=tmp_path))
    paths = app.openapi()["paths"]
    assert "/metrics" not in paths and not any(p.startswith("/checkout") for p in paths)
    assert "/docs" not in paths
