from __future__ import annotations

from pathlib import Path

import httpx
import pytest
from typer.testing import CliRunner

from tilework.cli.common import CLIError, render_error
from tilework.cli.main import app
from tilework.sdk import AgentYamlError, TileworkAPIError, TileworkConnectionError

runner = CliRunner()


@pytest.mark.parametrize(
    ("exc", "expected"),
    [
        (
            TileworkAPIError(404, "not_found", "agent x not found"),
            "agent x not found (404 not_found)",
        ),
        (CLIError("no API key"), "no API key"),
        (AgentYamlError("'name' is required"), "invalid agent file: 'name' is required"),
        (FileNotFoundError(2, "No such file or directory", "clip.mp4"), "no such file: clip.mp4"),
    ],
)
def test_render_error_is_one_line(exc: Exception, expected: str) -> None:
    assert render_error(exc) == expected


def test_connection_error_hints_at_the_server() -> None:
    line = render_error(TileworkConnectionError("cannot reach http://x/whoami: connection refused"))
    assert line is not None and "connection refused" in line and "tilework serve" in line


def test_unauthorized_hints_at_the_key() -> None:
    line = render_error(TileworkAPIError(401, "invalid_api_key", "bad key"))
    assert line is not None and "TILEWORK_API_KEY" in line


def test_programming_errors_are_not_swallowed() -> None:
    assert render_error(KeyError("x")) is None


def test_api_error_from_tilework_body() -> None:
    response = httpx.Response(409, json={"detail": "run is running", "error": "conflict"})
    exc = TileworkAPIError.from_response(response)
    assert (exc.status, exc.error, exc.detail) == (409, "conflict", "run is running")


def test_api_error_from_fastapi_validation_list() -> None:
    body = {"detail": [{"loc": ["body", "name"], "msg": "Field required", "type": "missing"}]}
    exc = TileworkAPIError.from_response(httpx.Response(422, json=body))
    assert exc.error == "http_422"
    assert exc.detail == "name: Field required"


def test_api_error_from_plain_text() -> None:
    exc = TileworkAPIError.from_response(httpx.Response(502, text="Bad Gateway"))
    assert (exc.status, exc.error, exc.detail) == (502, "http_502", "Bad Gateway")


def test_missing_api_key_is_one_line(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.delenv("TILEWORK_API_KEY", raising=False)
    result = runner.invoke(app, ["agents", "export", "a1"])
    assert result.exit_code == 1
    assert "no API key" in result.output
    assert "Traceback" not in result.output


def test_missing_video_file_is_one_line(tmp_path: Path) -> None:
    missing = tmp_path / "nope.mp4"
    result = runner.invoke(app, ["run", "a1", "--video", str(missing), "--api-key", "mk_x"])
    assert result.exit_code == 1
    assert f"no such file: {missing}" in result.output


def test_missing_agent_file_is_one_line(tmp_path: Path) -> None:
    result = runner.invoke(
        app, ["agents", "import", str(tmp_path / "none.yaml"), "--api-key", "mk_x"]
    )
    assert result.exit_code == 1
    assert "no such file" in result.output
    assert "Traceback" not in result.output
