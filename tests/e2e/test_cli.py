"""Every ``tilework`` command against a running ``tilework serve``, each with ``--json`` (the
output must parse), and the one-line errors people see.

Commands run in this process through Typer's runner (fast) with the server's environment
(``TILEWORK_SERVER``, ``TILEWORK_API_KEY``, ``TILEWORK_DATA_DIR`` for the operators' commands).
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner, Result

from tests.e2e.conftest import Server
from tests.support.receiver import Receiver
from tilework.cli.main import app
from tilework.media.samples import make_sample_clip

pytestmark = pytest.mark.e2e

AGENT_YAML = """\
name: CLI agent
nodes:
  - {id: input, type: video-input}
  - {id: render, type: render, params: {resolution: source, quality: low}}
edges:
  - [input, render]
"""
CHANNEL = "UCaaaaaaaaaaaaaaaaaaaaaa"


@dataclass
class Cli:
    server: Server
    folder: Path
    runner: CliRunner

    def invoke(self, *args: str) -> Result:
        env = {
            "TILEWORK_SERVER": self.server.url,
            "TILEWORK_API_KEY": self.server.api_key,
            "TILEWORK_DATA_DIR": str(self.server.data_dir),
            "NO_COLOR": "1",
        }
        return self.runner.invoke(app, list(args), env=env)

    def json(self, *args: str) -> Any:
        """Run a command with --json; it must succeed and print one JSON document."""
        result = self.invoke(*args, "--json")
        assert result.exit_code == 0, f"{args}: {result.output}"
        return json.loads(result.stdout)

    def fails(self, *args: str) -> str:
        """Run a command that must fail with one clear line on stderr (no traceback)."""
        result = self.invoke(*args)
        assert result.exit_code == 1, result.output
        lines = result.stderr.strip().splitlines()
        assert len(lines) == 1 and lines[0].startswith("error: "), result.stderr
        assert "Traceback" not in result.output
        return lines[0]


@pytest.fixture(scope="module")
def cli(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Cli]:
    folder = tmp_path_factory.mktemp("cli")
    server = Server(
        data_dir=folder / "data",
        extra_env={
            "TILEWORK_YOUTUBE_POLL_SECONDS": "0",
            "TILEWORK_SCHEDULE_TICK_SECONDS": "0",
            "TILEWORK_YOUTUBE_VIDEO_URL": "http://127.0.0.1:9/watch?v={video_id}",
        },
    )
    server.data_dir.mkdir()
    server.start()
    (folder / "agent.yaml").write_text(AGENT_YAML)
    make_sample_clip("ffmpeg", folder / "clip.mp4", seconds=1, width=160, height=90)
    make_sample_clip("ffmpeg", folder / "long.mp4", seconds=10, width=320, height=180)
    cli = Cli(server, folder, CliRunner())
    server.api_key = cli.json("init", "--name", "CLI tests")["api_key"]  # in process: no re-import
    yield cli
    server.stop()


@pytest.fixture(scope="module")
def agent_id(cli: Cli) -> str:
    return str(cli.json("agents", "import", str(cli.folder / "agent.yaml"))["agent_id"])


def test_agents_and_node_types(cli: Cli, agent_id: str) -> None:
    assert cli.json("whoami")["organization_name"] == "CLI tests"
    types = {t["slug"]: t["node_type_id"] for t in cli.json("node-types", "list")}
    shown = cli.json("node-types", "show", types["render"])
    assert "resolution" in shown["params_schema"]["properties"]

    agent = cli.json("agents", "show", agent_id)
    render = next(n for n in agent["agent_nodes"] if n["node_type"]["slug"] == "render")
    ops = cli.folder / "ops.yaml"
    ops.write_text(
        f"- {{op: update_node, agent_node_id: {render['agent_node_id']}, params_used: {{fps: 10}}}}"
    )
    updated = cli.json("agents", "update", agent_id, "--name", "Renamed", "--operations", str(ops))
    assert updated["agent"]["name"] == "Renamed"
    assert cli.json("agents", "node", render["agent_node_id"])["params_used"]["fps"] == 10
    exported = cli.json("agents", "export", agent_id, "-o", str(cli.folder / "out.yaml"))
    assert "fps: 10" in exported["yaml"] and (cli.folder / "out.yaml").exists()

    copy = cli.json("agents", "duplicate", agent_id, "--name", "Copy")
    assert {a["id"] for a in cli.json("agents", "list", "--all")} >= {agent_id, copy["agent"]["id"]}
    assert len(cli.json("agents", "list", "--limit", "1")) == 1
    assert cli.json("agents", "delete", copy["agent"]["id"])["success"]
    assert "not found (404 not_found)" in cli.fails("agents", "show", copy["agent"]["id"])


def test_upload_run_and_read_it_back(cli: Cli, agent_id: str, receiver: Receiver) -> None:
    clip = str(cli.folder / "clip.mp4")
    uploaded = cli.json("uploads", "add", clip)
    assert uploaded[0]["kind"] == "video" and uploaded[0]["status"] == "ready"
    assert cli.json("agents", "estimate", agent_id, "--video", clip)["can_start"]

    run = cli.json("run", agent_id, "--video", clip, "--callback-url", receiver.url)
    run_id = run["run_id"]
    assert run["status"] == "completed" and len(run["outputs"]) == 1
    assert cli.json("runs", "wait", run_id)["status"] == "completed"
    shown = cli.json("runs", "show", run_id)
    assert [n["status"] for n in shown["nodes"]] == ["completed", "completed"]
    assert shown["progress"]["completed_node_percent"] == 100.0
    listed = cli.json("runs", "list", "--agent", agent_id, "--status", "completed")
    assert run_id in [r["run_id"] for r in listed]

    events = cli.invoke("runs", "events", run_id, "--json")
    flags = [json.loads(line)["flag"] for line in events.stdout.splitlines()]
    assert flags[0] == "RUN_STARTED" and flags[-1] == "RUN_FINISHED"
    saved = cli.json("runs", "download", run_id, "-o", str(cli.folder / "outputs"))
    assert any(path.endswith("output-1/video.mp4") for path in saved)
    assert all(Path(path).stat().st_size > 0 for path in saved)

    assert "conflict" in cli.fails("runs", "cancel", run_id)
    assert "conflict" in cli.fails("runs", "resume", run_id)

    shared = cli.json("agents", "share", agent_id, "--run", run_id, "--name", "Demo")
    assert shared["run_id"] == run_id and shared["share_url"].startswith(cli.server.url)
    assert cli.json("agents", "share-status", agent_id)["share_url"] == shared["share_url"]
    assert cli.json("agents", "unshare", agent_id)["share_url"] is None

    receiver.wait_for(3)
    log = cli.json("webhooks", "log", run_id)
    assert log["events"][-1]["flag"] == "RUN_FINISHED"
    again = cli.json("webhooks", "redeliver", log["events"][-1]["id"])
    assert again["delivery_status"] == "pending"


def test_cancel_then_resume_and_wait(cli: Cli, agent_id: str) -> None:
    long = str(cli.folder / "long.mp4")
    run_id = cli.json("agents", "run", agent_id, "--video", long, "--no-follow")["run_id"]
    assert cli.json("runs", "cancel", run_id)["success"]
    assert cli.invoke("runs", "wait", run_id, "--json").exit_code == 1  # cancelled: not completed
    resumed = cli.json("runs", "resume", run_id, "--wait")
    assert resumed["status"] == "completed"  # followed past the older RUN_FINISHED


def test_webhook_settings(cli: Cli, receiver: Receiver) -> None:
    generated = cli.json("webhooks", "settings", "--generate-secret", "--no-plaintext-header")
    assert generated["secret"].startswith("whsec_") and not generated["send_plaintext_header"]
    rotated = cli.json("webhooks", "rotate")
    assert rotated["active_secrets"] == 2
    assert cli.json("webhooks", "settings")["secret"] == rotated["secret"]
    sent = cli.json("webhooks", "test", receiver.url)
    assert sent["success"] and receiver.wait_for(1)[0].body["flag"] == "TEST"


def test_api_keys(cli: Cli) -> None:
    created = cli.json("keys", "create", "reader", "--scope", "agents:read")
    assert created["scopes"] == ["agents:read"] and created["api_key"].startswith("mk_")
    listed = {k["id"]: k for k in cli.json("keys", "list", "--all")}
    assert "api_key" not in listed[created["id"]] and listed[created["id"]]["name"] == "reader"
    rotated = cli.json("keys", "rotate", created["id"])
    assert rotated["id"] == created["id"] and rotated["api_key"] != created["api_key"]
    assert cli.json("keys", "revoke", created["id"])["revoked_at"] is not None


def test_triggers(cli: Cli, agent_id: str) -> None:
    clip = str(cli.folder / "clip.mp4")
    schedule = cli.json(
        "triggers", "add-schedule", agent_id, "--cron", "0 9 * * *", "--video", clip
    )
    youtube = cli.json("triggers", "add-channels", agent_id, CHANNEL, "--max-seconds", "600")
    assert youtube["youtube_channels"] == [CHANNEL]
    listed = {t["id"] for t in cli.json("triggers", "list", agent_id)}
    assert listed == {schedule["id"], youtube["id"]}
    assert cli.json("triggers", "show", schedule["id"])["cron"] == "0 9 * * *"

    fired = cli.json("triggers", "fire", schedule["id"])
    assert cli.json("runs", "wait", fired["run_id"])["status"] == "completed"
    runs = cli.json("runs", "list", "--trigger", schedule["id"])
    assert [r["run_id"] for r in runs] == [fired["run_id"]]
    assert cli.json("triggers", "events", schedule["id"]) == []  # manual firings: no dedupe

    assert cli.json("triggers", "remove-channels", agent_id, CHANNEL)["removed_channels"]
    assert cli.json("triggers", "remove", schedule["id"])["success"]
    assert cli.json("triggers", "list", agent_id) == []


def test_plan_and_credits(cli: Cli) -> None:
    org = cli.json("whoami")["organization_id"]
    assert cli.json("plan", "show")["plan"]["id"] == "free"
    assert "creator" in {p["id"] for p in cli.json("plan", "list")}
    assert not cli.json("plan", "upgrade", "creator")["requires_checkout"]
    topup = cli.json("credits", "auto-topup", "--enable", "--threshold", "10", "--quantity", "50")
    assert topup["auto_topup"]["enabled"]

    start = cli.json("credits", "balance")["balance"]
    assert cli.json("credits", "grant", org, "10", "--note", "pilot")["balance"] == start + 10
    taken = cli.json("credits", "adjust", org, "-4", "--note", "double grant")
    assert taken == {"organization_id": org, "adjusted": -4, "balance": start + 6}
    too_much = cli.fails("credits", "adjust", org, str(-(start + 7)), "--note", "x")
    assert "would leave -1" in too_much and "--allow-negative" in too_much
    below = cli.json(
        "credits", "adjust", org, str(-(start + 7)), "--note", "chargeback", "--allow-negative"
    )
    assert below["balance"] == -1

    ledger = cli.json("credits", "ledger", "--limit", "3")
    assert [(e["kind"], e["amount"]) for e in ledger["entries"][:2]] == [
        ("adjustment", -(start + 7)),
        ("adjustment", -4),
    ]
    assert ledger["entries"][0]["details"] == {"note": "chargeback"}
    assert (
        cli.json("credits", "show", org)["balance"]
        == -1
        == cli.json("credits", "balance")["balance"]
    )
    assert cli.json("credits", "usage")["total_credits"] >= 0


def test_errors_are_one_line(cli: Cli) -> None:
    assert "not found (404 not_found)" in cli.fails("runs", "show", "no-such-run")
    assert "unknown value bogus (400 validation_error)" in cli.fails(
        "runs", "list", "--status", "bogus"
    )
    assert "no such file" in cli.fails("uploads", "add", str(cli.folder / "missing.mp4"))
    wrong_key = cli.runner.invoke(
        app, ["whoami", "--api-key", "mk_nope"], env={"TILEWORK_SERVER": cli.server.url}
    )
    assert wrong_key.exit_code == 1 and "TILEWORK_API_KEY" in wrong_key.stderr
    down = cli.runner.invoke(
        app, ["whoami", "--server", "http://127.0.0.1:9"], env={"TILEWORK_API_KEY": "mk_x"}
    )
    assert down.exit_code == 1 and "connection refused" in down.stderr
