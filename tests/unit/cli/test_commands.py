"""The client commands against an in-process fake API (no sockets)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml
from typer.testing import CliRunner

from tests.unit.cli.fake_api import FakeApi
from tilework.cli.main import app

ROOT = Path(__file__).resolve().parents[3]
EXAMPLE = ROOT / "examples" / "agents" / "trim-and-render.yaml"
KEY = ["--api-key", "mk_test", "--server", "http://tilework.test"]

runner = CliRunner()


def test_agents_import_sends_the_graph() -> None:
    api = FakeApi()
    result = runner.invoke(
        app, ["agents", "import", str(EXAMPLE), "--json", *KEY], obj=api.transport
    )
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["agent_id"] == "agent-1"
    assert api.created is not None
    graph = api.created["graph"]
    assert [n["node_type_id"][:8] for n in graph["nodes"]] == ["9451e6ff", "00000000", "00000000"]
    assert graph["nodes"][1]["params_used"] == {"start_seconds": 1, "end_seconds": 4}
    assert len(graph["connections"]) == 2


def test_wrong_key_is_reported_in_one_line() -> None:
    api = FakeApi()
    args = ["agents", "import", str(EXAMPLE), "--api-key", "mk_bad", "--server", "http://t"]
    result = runner.invoke(app, args, obj=api.transport)
    assert result.exit_code == 1
    assert "invalid API key (401 invalid_api_key)" in result.output


def test_run_uploads_paths_and_passes_urls(tmp_path: Path) -> None:
    clip = tmp_path / "clip.mp4"
    clip.write_bytes(b"not really a video")
    api = FakeApi()
    args = ["run", "agent-1", "--video", str(clip), "--video", "https://example.com/a.mp4"]
    result = runner.invoke(app, [*args, "--no-follow", "--json", *KEY], obj=api.transport)
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout) == {"run_id": "run-1"}
    assert api.run_body == {"video_ids": ["vid-1"], "video_urls": ["https://example.com/a.mp4"]}
    assert b'name="key"' in api.uploaded and b"not really a video" in api.uploaded


@pytest.mark.parametrize(("status", "exit_code"), [("completed", 0), ("failed", 1)])
def test_run_follow_prints_outputs_and_exit_code(status: str, exit_code: int) -> None:
    api = FakeApi(final_status=status)
    args = ["run", "agent-1", "--video", "https://example.com/a.mp4", "--follow", *KEY]
    result = runner.invoke(app, args, obj=api.transport)
    assert result.exit_code == exit_code, result.output
    assert status in result.stdout
    if status == "completed":
        assert "http://files/video.mp4" in result.stdout
        assert "http://files/timeline.zip" in result.stdout
    else:
        assert "boom" in result.stdout


def test_agents_export_round_trips(tmp_path: Path) -> None:
    api = FakeApi()
    runner.invoke(app, ["agents", "import", str(EXAMPLE), *KEY], obj=api.transport)
    out = tmp_path / "agent.yaml"
    args = ["agents", "export", "agent-1", "-o", str(out), *KEY]
    result = runner.invoke(app, args, obj=api.transport)
    assert result.exit_code == 0, result.output
    exported = yaml.safe_load(out.read_text())
    original = yaml.safe_load(EXAMPLE.read_text())
    assert [n["type"] for n in exported["nodes"]] == ["video-input", "trim", "render"]
    assert [n["params"] for n in exported["nodes"]] == [
        n.get("params", {}) for n in original["nodes"]
    ]
    assert exported["edges"] == [["video-input", "trim"], ["trim", "render"]]


def test_unknown_agent_is_one_line() -> None:
    result = runner.invoke(app, ["agents", "export", "agent-1", *KEY], obj=FakeApi().transport)
    assert result.exit_code == 1
    assert "agent not found (404 not_found)" in result.output
