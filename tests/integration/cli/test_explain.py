"""``tilework explain``: the agent's tiles run in-process and the compiled command is printed."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from tilework.cli.main import app
from tilework.media.samples import make_sample_clip

ROOT = Path(__file__).resolve().parents[3]
TRIM_AND_RENDER = ROOT / "examples" / "agents" / "trim-and-render.yaml"


@pytest.fixture
def data_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("TILEWORK_DATA_DIR", str(tmp_path / "data"))
    return tmp_path


def test_explain_prints_the_one_command_of_each_output(data_dir: Path) -> None:
    clip = make_sample_clip("ffmpeg", data_dir / "in.mp4", seconds=5, width=160, height=90)
    result = CliRunner().invoke(app, ["explain", str(TRIM_AND_RENDER), "--input", str(clip)])
    assert result.exit_code == 0, result.output
    assert "output of render (item 1)" in result.stdout
    assert f"ffmpeg -ss 1 -t 3 -i {clip}" in result.stdout  # the trim became an input seek
    assert "scale=854:480" in result.stdout  # the Render node's 480p
    assert result.stdout.count(" -i ") == 1  # one decode, one encode
    assert "cut → 1 item(s): kept 1 to 4.00 s" in result.stderr

    as_json = CliRunner().invoke(
        app, ["explain", str(TRIM_AND_RENDER), "--input", str(clip), "--json"]
    )
    (output,) = json.loads(as_json.stdout)
    assert (output["node"], output["item"]) == ("render", 0)
    assert output["command"][:7] == ["ffmpeg", "-ss", "1", "-t", "3", "-i", str(clip)]
    assert "scale=854:480" in output["filter_graph"]


def test_explain_refuses_a_broken_agent_in_one_line(data_dir: Path) -> None:
    bad = data_dir / "bad.yaml"
    bad.write_text("name: x\nnodes:\n  - {id: a, type: no-such-tile}\n")
    result = CliRunner().invoke(app, ["explain", str(bad), "--input", str(bad)])
    assert result.exit_code == 1
    assert "unknown node type 'no-such-tile'" in result.stderr
