from __future__ import annotations

from collections.abc import Callable

from tests.integration.api.conftest import Api
from tests.integration.api.test_agents import assert_error


def test_unknown_path_and_wrong_method(api: Api) -> None:
    assert_error(api.get("/nowhere"), 404, "not_found")
    assert_error(api.request("PUT", "/agent/create"), 405, "method_not_allowed")


def test_unexpected_errors_are_500_without_a_trace(make_api: Callable[..., Api]) -> None:
    api = make_api()

    def boom() -> None:
        raise RuntimeError("secret internals")

    api.app.add_api_route("/boom", boom)
    response = api.get("/boom")
    assert_error(response, 500, "internal_server_error")
    assert "secret" not in response.text and "Traceback" not in response.text


def test_openapi_and_docs_are_served(api: Api) -> None:
    spec = api.client.get("/openapi.json")
    assert spec.status_code == 200
    assert spec.json()["info"]["title"] == "Tilework"
    assert "/agent/{agent_id}/update" in spec.json()["paths"]
    assert api.client.get("/docs").status_code == 200
