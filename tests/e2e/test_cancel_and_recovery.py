"""Cancel kills ffmpeg promptly, resume finishes only what was not done, and a server killed with
SIGKILL mid-run finishes the run after a restart with every webhook delivered."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from pathlib import Path

import httpx
import pytest

from tests.e2e.conftest import Server, create_agent, upload_video, wait_for_run
from tests.e2e.helpers import check_event_shapes, node_type_ids, render_running, run_events
from tests.support.receiver import Receiver

pytestmark = pytest.mark.e2e


def ffmpeg_pids(data_dir: Path) -> list[int]:
    """ffmpeg processes working inside this server's data dir."""
    pids = []
    for proc in Path("/proc").iterdir():
        if not proc.name.isdigit():
            continue
        try:
            argv = (proc / "cmdline").read_bytes().split(b"\0")
        except OSError:
            continue
        if argv and argv[0].endswith(b"ffmpeg") and str(data_dir).encode() in b" ".join(argv):
            pids.append(int(proc.name))
    return pids


def wait_until(condition: Callable[[], bool], timeout: float, what: str) -> float:
    started = time.monotonic()
    while time.monotonic() - started < timeout:
        if condition():
            return time.monotonic() - started
        time.sleep(0.05)
    pytest.fail(f"timed out after {timeout}s waiting for {what}")


def slow_agent(api: httpx.Client) -> dict[str, object]:
    ids = node_type_ids(api)
    return create_agent(
        api,
        [
            {"ref": "in", "type": ids["video input"]},
            {"ref": "trim", "type": ids["trim"], "params": {"start_seconds": 0}},
            {
                "ref": "out",
                "type": ids["render"],
                "params": {"resolution": "720p", "quality": "high"},
            },
        ],
        [["in", "trim"], ["trim", "out"]],
    )


def test_cancel_kills_ffmpeg_and_resume_finishes(
    api: httpx.Client, server: Server, receiver: Receiver, clips: Callable[..., Path]
) -> None:
    agent = slow_agent(api)
    video_id = upload_video(api, clips(seconds=20, width=640))
    run_id = api.post(
        f"/agent/{agent['agent']['id']}/run",  # type: ignore[index]
        json={"video_ids": [video_id], "callback_url": receiver.url},
    ).json()["run_id"]
    wait_until(
        lambda: render_running(api, run_id) and bool(ffmpeg_pids(server.data_dir)),
        60,
        "the render's ffmpeg",
    )

    cancelled = api.post(f"/agent_run/{run_id}/cancel").json()
    assert cancelled["success"] is True and cancelled["tasks_cancelled"] == 1
    gone_after = wait_until(lambda: not ffmpeg_pids(server.data_dir), 10, "ffmpeg to be killed")
    assert gone_after < 10
    assert api.get(f"/agent_run/{run_id}").json()["status"] == "cancelled"
    assert api.post(f"/agent_run/{run_id}/cancel").status_code == 409
    events = run_events(receiver, run_id)
    assert events[-1]["status"] == "cancelled"
    before_resume = len(receiver.requests)  # in order per run: all earlier events are in

    resumed = api.post(f"/agent_run/{run_id}/resume").json()
    assert resumed["nodes_queued"] == 1
    run = wait_for_run(api, run_id, timeout=120)
    assert run["status"] == "completed" and len(run["outputs"]) == 1
    after = [r.body for r in receiver.requests[before_resume:] if r.body["run_id"] == run_id]
    deadline = time.monotonic() + 30
    while not any(e["flag"] == "RUN_FINISHED" for e in after) and time.monotonic() < deadline:
        time.sleep(0.1)
        after = [r.body for r in receiver.requests[before_resume:] if r.body["run_id"] == run_id]
    touched = {n["original_node_id"] for e in after for n in e.get("updated_nodes", [])}
    trim_id = next(
        n["agent_node_id"]
        for n in agent["agent_nodes"]  # type: ignore[index]
        if n["node_type"]["node_type_name"].lower() == "trim"
    )
    assert trim_id not in touched  # completed work was not redone
    assert api.post(f"/agent_run/{run_id}/resume").status_code == 409


@pytest.fixture
def crash_server(tmp_path: Path) -> Iterator[Server]:
    srv = Server(data_dir=tmp_path / "crash")
    srv.data_dir.mkdir()
    srv.start()
    srv.api_key = srv.init_org()
    yield srv
    srv.stop()


@pytest.mark.parametrize("how", ["SIGKILL", "SIGTERM"])
def test_server_stopped_mid_run_then_restarted_completes_the_run(
    how: str, crash_server: Server, receiver: Receiver, clips: Callable[..., Path]
) -> None:
    with crash_server.client() as api:
        agent = slow_agent(api)
        video_id = upload_video(api, clips(seconds=20, width=640))
        run_id = api.post(
            f"/agent/{agent['agent']['id']}/run",  # type: ignore[index]
            json={"video_ids": [video_id], "callback_url": receiver.url},
        ).json()["run_id"]
        wait_until(
            lambda: render_running(api, run_id) and bool(ffmpeg_pids(crash_server.data_dir)),
            60,
            "the render's ffmpeg",
        )

    if how == "SIGKILL":
        crash_server.kill9()
    else:
        crash_server.stop()  # graceful: running work is handed back, not cancelled
    # ffmpeg dies with its parent (parent-death signal): no orphan keeps rendering.
    wait_until(lambda: not ffmpeg_pids(crash_server.data_dir), 10, "the orphaned ffmpeg to die")
    crash_server.start()

    events = run_events(receiver, run_id, timeout=120)
    check_event_shapes(events)
    assert events[-1]["status"] == "completed"
    seqs = [
        int(r.headers["x-tilework-sequence"])
        for r in receiver.requests
        if r.body["run_id"] == run_id
    ]
    assert sorted(set(seqs)) == list(range(1, max(seqs) + 1))  # none lost
    ids_by_seq: dict[int, set[str]] = {}
    for r in receiver.requests:
        if r.body["run_id"] == run_id:
            ids_by_seq.setdefault(int(r.headers["x-tilework-sequence"]), set()).add(
                r.headers["webhook-id"]
            )
    assert all(len(ids) == 1 for ids in ids_by_seq.values())  # a re-delivery keeps its id
    with crash_server.client() as api:
        run = api.get(f"/agent_run/{run_id}").json()
        assert run["status"] == "completed" and len(run["outputs"]) == 1


def test_events_committed_before_a_kill9_are_delivered_after_the_restart(
    crash_server: Server, clips: Callable[..., Path]
) -> None:
    """The receiver is down while the run happens, so every event is still in the outbox when
    the server is killed; after the restart each arrives once the receiver is up, in order."""
    down = Receiver(listening=False)
    # Retry every second for a while: no event may run out of attempts while the receiver is down.
    crash_server.extra_env["TILEWORK_WEBHOOK_RETRY_SCHEDULE"] = ",".join(["1"] * 30)
    crash_server.stop()
    crash_server.start()
    try:
        with crash_server.client() as api:
            ids = node_type_ids(api)
            agent = create_agent(
                api,
                [{"ref": "in", "type": ids["video input"]},
                 {"ref": "out", "type": ids["render"], "params": {"resolution": "426x240"}}],
                [["in", "out"]],
            )  # fmt: skip
            video_id = upload_video(api, clips(seconds=2))
            run_id = api.post(
                f"/agent/{agent['agent']['id']}/run",
                json={"video_ids": [video_id], "callback_url": down.url},
            ).json()["run_id"]
            finished = wait_for_run(api, run_id)
            assert finished["status"] == "completed"
            log = api.get(f"/agent_run/{run_id}/webhooks").json()["events"]
        assert log and all(e["delivery_status"] == "pending" for e in log)
        crash_server.kill9()
        down.listen()
        crash_server.start()
        events = run_events(down, run_id, timeout=60)
        check_event_shapes(events)
        by_seq = {int(r.headers["x-tilework-sequence"]): r.headers["webhook-id"]
                  for r in down.requests}  # fmt: skip
        assert by_seq == {e["seq"]: e["id"] for e in log}  # same ids as committed before the kill
        assert [int(r.headers["x-tilework-sequence"]) for r in down.requests] == sorted(by_seq)
    finally:
        down.close()
