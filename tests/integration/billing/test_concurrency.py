"""Twenty runs started at once against a balance that pays for ten, on the real engine (SQLite,
eight worker threads, real ffmpeg): the balance never goes negative, exactly the balance is
spent, each paid task is charged once, and every unpaid run finishes with ``needs_credits``."""

from __future__ import annotations

import threading
import time
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import select

from tilework.config import Settings
from tilework.db.session import unit_of_work
from tilework.db.tables import (
    Agent,
    AgentConnection,
    AgentNode,
    CreditLedgerEntry,
    Run,
    RunNode,
    Task,
    Upload,
    utcnow,
)
from tilework.engine.schemas import RunRequest
from tilework.errors import InsufficientCreditsError
from tilework.media.probe import probe
from tilework.media.samples import make_sample_clip
from tilework.orgs.service import create_organization
from tilework.runtime import Runtime, build_runtime
from tilework.tiles.trim import TRIM_TYPE_ID
from tilework.tiles.video_input import VIDEO_INPUT_TYPE_ID

RUNS, AFFORDABLE = 20, 10


@pytest.fixture
def runtime(tmp_path: Path) -> Iterator[Runtime]:
    settings = Settings(
        data_dir=tmp_path / "data",
        workers=8,
        allow_private_urls=True,
        billing_plans={"free": {"credits_per_month": 0}},
    )
    runtime = build_runtime(settings)
    runtime.start()
    yield runtime
    runtime.stop()


def setup_org(runtime: Runtime, clip: Path) -> tuple[str, str, str]:
    """An organization with AFFORDABLE credits, an agent Video Input → Trim, one upload."""
    info = probe(runtime.runner, clip, "video")
    runtime.blobs.put_file("uploads/clip/source", clip, move=False)
    with unit_of_work(runtime.sessions) as session:
        org, _ = create_organization(session, "Busy")
        agent = Agent(organization_id=org.id, name="trim")
        session.add(agent)
        session.flush()
        source = AgentNode(agent_id=agent.id, node_type_id=VIDEO_INPUT_TYPE_ID, position=0)
        trim = AgentNode(agent_id=agent.id, node_type_id=TRIM_TYPE_ID, position=1)
        session.add_all([source, trim])
        session.flush()
        session.add(
            AgentConnection(agent_id=agent.id, source_node_id=source.id, target_node_id=trim.id)
        )
        upload = Upload(
            organization_id=org.id,
            kind="video",
            status="ready",
            blob_key="uploads/clip/source",
            media_info=info.model_dump(mode="json"),
            expires_at=utcnow(),
        )
        session.add(upload)
        session.flush()
        runtime.billing.grant(session, org.id, AFFORDABLE)
        return org.id, agent.id, upload.id


def wait_for_runs(runtime: Runtime, run_ids: list[str], timeout: float = 60) -> list[Run]:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with unit_of_work(runtime.sessions) as session:
            runs = list(session.scalars(select(Run).where(Run.id.in_(run_ids))))
        if all(run.status != "running" for run in runs):
            return runs
        time.sleep(0.2)
    pytest.fail("runs still running")


def test_twenty_runs_against_credits_for_ten(runtime: Runtime, tmp_path: Path) -> None:
    clip = make_sample_clip("ffmpeg", tmp_path / "clip.mp4", seconds=1, width=160, height=90)
    org_id, agent_id, upload_id = setup_org(runtime, clip)
    request = RunRequest(video_ids=[upload_id])
    estimate = runtime.runs.estimate(org_id, agent_id, request)  # also makes the thumbnail
    assert (estimate["estimated_credits"], estimate["balance"]) == (1, AFFORDABLE)

    run_ids: list[str] = []
    refused: list[str] = []
    barrier = threading.Barrier(RUNS)

    def start() -> None:
        barrier.wait()
        try:
            run_ids.append(runtime.runs.start_run(org_id, agent_id, request))
        except InsufficientCreditsError as exc:  # the balance ran out before this one began
            refused.append(exc.detail)

    threads = [threading.Thread(target=start) for _ in range(RUNS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert len(run_ids) + len(refused) == RUNS
    runs = wait_for_runs(runtime, run_ids)

    with unit_of_work(runtime.sessions) as session:
        ledger = list(
            session.scalars(
                select(CreditLedgerEntry)
                .where(CreditLedgerEntry.organization_id == org_id)
                .order_by(CreditLedgerEntry.id)
            )
        )
        tasks = list(  # the priced ones (Video Input tasks are free)
            session.scalars(
                select(Task)
                .join(RunNode, RunNode.id == Task.run_node_id)
                .where(Task.run_id.in_(run_ids), RunNode.node_type_id == TRIM_TYPE_ID)
            )
        )
    running_total = 0
    for entry in ledger:  # the balance after every committed movement, in commit order
        running_total += entry.amount
        assert running_total >= 0, f"negative balance after ledger row {entry.id}"
    charges = [e for e in ledger if e.kind == "charge"]
    assert -sum(e.amount for e in charges) == AFFORDABLE  # never more than the balance
    assert running_total == 0
    per_task = Counter(e.task_id for e in charges)
    assert set(per_task.values()) == {1}  # nobody charged twice
    completed = {t.id for t in tasks if t.status == "completed"}
    assert completed == set(per_task)
    unpaid = [t for t in tasks if t.needs_credits]
    assert len(completed) + len(unpaid) == len(tasks) == len(run_ids)
    statuses = Counter((run.status, run.needs_credits) for run in runs)
    assert statuses == {
        ("completed", False): AFFORDABLE,
        ("failed", True): len(run_ids) - AFFORDABLE,
    }
