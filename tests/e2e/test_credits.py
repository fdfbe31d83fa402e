"""The whole credit flow against a running ``tilework serve``: an organization with one credit
runs Video Input → Trim → Render; the render lacks credits and RUN_FINISHED says
``needs_credits: true``; the client reads its plan, lists plans, upgrades through the approval
checkout (the test approves on the page, as the operator would), turns on automatic top-ups and
resumes; the run completes and the ledger shows each node charged exactly once."""

from __future__ import annotations

import json
import re
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import httpx
import pytest

from tests.e2e.conftest import Server, create_agent, upload_video
from tests.e2e.helpers import check_event_shapes, node_type_ids
from tests.support.receiver import Receiver

pytestmark = pytest.mark.e2e


@pytest.fixture(scope="module")
def billing_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    srv = Server(
        data_dir=tmp_path_factory.mktemp("billing"),
        extra_env={
            "TILEWORK_CHECKOUT_PROVIDER": "approval",
            "TILEWORK_BILLING_PLANS": json.dumps({"free": {"credits_per_month": 0}}),
        },
    )
    srv.start()
    yield srv
    srv.stop()


def cli(server: Server, *args: str) -> dict[str, Any]:
    done = subprocess.run(
        [sys.executable, "-m", "tilework.cli.main", *args, "--json"],
        env=server.env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 0, done.stderr
    result: dict[str, Any] = json.loads(done.stdout)
    return result


def finished_events(receiver: Receiver, run_id: str, count: int) -> list[dict[str, Any]]:
    """The run's events once ``count`` RUN_FINISHED have arrived."""
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        events = [r.body for r in receiver.requests if r.body and r.body.get("run_id") == run_id]
        if sum(e["flag"] == "RUN_FINISHED" for e in events) >= count:
            return events
        time.sleep(0.1)
    pytest.fail(f"fewer than {count} RUN_FINISHED for {run_id}")


def ok(response: httpx.Response) -> dict[str, Any]:
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


def test_out_of_credits_upgrade_and_resume(
    billing_server: Server, receiver: Receiver, clips: Callable[..., Path]
) -> None:
    org = cli(billing_server, "init", "--name", "thrifty")
    assert cli(billing_server, "credits", "grant", org["organization_id"], "1")["balance"] == 1
    with billing_server.client(org["api_key"]) as api:
        recover(api, receiver, clips)


def recover(api: httpx.Client, receiver: Receiver, clips: Callable[..., Path]) -> None:
    ids = node_type_ids(api)
    agent = create_agent(
        api,
        [
            {"ref": "in", "type": ids["video input"]},
            {"ref": "trim", "type": ids["trim"], "params": {"start_seconds": 0.5}},
            {"ref": "out", "type": ids["render"]},
        ],
        [["in", "trim"], ["trim", "out"]],
    )
    trim_id, render_id = (n["agent_node_id"] for n in agent["agent_nodes"][1:])
    video_id = upload_video(api, clips(seconds=2, width=320))
    run_id = ok(
        api.post(
            f"/agent/{agent['agent']['id']}/run",
            json={"video_ids": [video_id], "callback_url": receiver.url},
        )
    )["run_id"]

    # 1. The trim is paid with the one credit; the render is not run.
    events = finished_events(receiver, run_id, 1)
    check_event_shapes(events)
    finished = events[-1]
    assert (finished["status"], finished["needs_credits"]) == ("failed", True)
    assert finished["errors"] == [
        {"original_node_id": render_id, "messages": ["Insufficient credits"]}
    ]
    run = ok(api.get(f"/agent_run/{run_id}"))
    assert run["needs_credits"] is True and run["outputs"] == []
    nodes = {n["original_node_id"]: n for n in ok(api.get(f"/agent_run/{run_id}/nodes"))["nodes"]}
    assert (nodes[trim_id]["status"], nodes[trim_id]["needs_credits"]) == ("completed", False)
    assert nodes[render_id]["status"] == "failed"
    assert nodes[render_id]["status_message"] == "Insufficient credits"
    assert nodes[render_id]["needs_credits"] is True

    # 2. The documented recovery: plan, plans, upgrade through checkout, top-ups, resume.
    plan = ok(api.get("/plan"))
    assert plan["plan"]["id"] == "free" and plan["credits"]["balance"] == 0
    assert "creator" in [p["id"] for p in ok(api.get("/plan/list"))["plans"]]
    upgrade = ok(api.post("/plan/upgrade", json={"plan_id": "creator"}))
    assert upgrade["requires_checkout"] is True
    assert ok(api.get("/plan"))["plan"]["id"] == "free"  # not before the payment is approved
    page = httpx.get(upgrade["checkout_url"], timeout=30)
    assert page.status_code == 200 and "Approve payment" in page.text
    action = re.search(r'action="([^"]+/approve)"', page.text)
    fields = dict(re.findall(r'name="(expires|signature)" value="([^"]+)"', page.text))
    assert action is not None
    url = urlsplit(upgrade["checkout_url"])
    approved = httpx.post(f"{url.scheme}://{url.netloc}{action.group(1)}", data=fields, timeout=30)
    assert approved.status_code == 200 and "approved" in approved.text
    plan = ok(api.get("/plan"))
    assert plan["plan"]["id"] == "creator" and plan["credits"]["balance"] == 2500
    settings = {"auto_topup": {"enabled": True, "threshold": 100, "quantity": 500}}
    assert ok(api.post("/credits/settings", json=settings))["auto_topup"]["enabled"] is True
    resumed = ok(api.post(f"/agent_run/{run_id}/resume"))
    assert resumed["requeued_nodes"] == [nodes[render_id]["agent_node_id"]]

    # 3. The run completes; the trim was not run again; each node was charged once.
    finished = finished_events(receiver, run_id, 2)[-1]
    assert (finished["status"], finished["needs_credits"]) == ("completed", False)
    assert len(finished["outputs"]) == 1
    ledger = ok(api.get("/credits/ledger", params={"limit": 100}))
    charges = [e for e in ledger["entries"] if e["kind"] == "charge"]
    assert sorted((e["tile"], e["amount"]) for e in charges) == [("Render", -1), ("Trim", -1)]
    assert {e["run_id"] for e in charges} == {run_id}
    assert len({e["task_id"] for e in charges}) == 2
    assert ledger["balance"] == 1 + 2500 - 2
    usage = ok(api.get("/credits/usage"))
    assert {t["tile"]: t["credits"] for t in usage["by_tile"]} == {"Render": 1, "Trim": 1}
    assert usage["total_credits"] == 2
    credits = ok(api.get("/credits"))
    assert (credits["plan_id"], credits["balance"], credits["reserved"]) == ("creator", 2499, 0)
