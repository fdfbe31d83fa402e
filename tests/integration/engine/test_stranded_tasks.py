"""A task the engine itself crashes around (claiming it, recording it) fails its run instead of
leaving it running for good: the node is failed with the internal error, the run finishes."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import select, update

from tests.integration.billing.test_concurrency import setup_org, wait_for_runs
from tilework.config import Settings
from tilework.db.migrate import migrate
from tilework.db.session import unit_of_work
from tilework.db.tables import RunNode, Task
from tilework.engine.schemas import RunRequest
from tilework.media.samples import make_sample_clip
from tilework.runtime import Runtime, build_runtime
from tilework.tiles.trim import TRIM_TYPE_ID

NO_SUCH_TILE = "00000000-0000-4000-8000-00000000dead"


@pytest.fixture
def runtime(tmp_path: Path) -> Iterator[Runtime]:
    settings = Settings(data_dir=tmp_path / "data", workers=2, allow_private_urls=True)
    runtime = build_runtime(settings)
    migrate(runtime.db)  # the schema now, the workers later (runtime.start in the test)
    yield runtime
    runtime.stop()


def test_a_task_whose_claim_crashes_fails_and_the_run_finishes(
    runtime: Runtime, tmp_path: Path
) -> None:
    clip = make_sample_clip("ffmpeg", tmp_path / "clip.mp4", seconds=1, width=160, height=90)
    org_id, agent_id, upload_id = setup_org(runtime, clip)
    run_id = runtime.runs.start_run(org_id, agent_id, RunRequest(video_ids=[upload_id]))
    with unit_of_work(runtime.sessions) as session:  # the Trim's tile is gone (an old agent)
        session.execute(
            update(RunNode)
            .where(RunNode.run_id == run_id, RunNode.node_type_id == TRIM_TYPE_ID)
            .values(node_type_id=NO_SUCH_TILE)
        )
    runtime.start()  # only now do workers pick the run's jobs up

    [run] = wait_for_runs(runtime, [run_id], timeout=60)
    assert run.status == "failed"
    with unit_of_work(runtime.sessions) as session:
        tasks = list(session.scalars(select(Task).where(Task.run_id == run_id)))
        nodes = {node.id: node.status for node in session.scalars(select(RunNode))}
    assert tasks and all(t.status in ("completed", "failed") for t in tasks), tasks
    crashed = [t for t in tasks if t.status == "failed"]
    assert crashed and all(
        t.error and t.error.startswith("internal error:") and NO_SUCH_TILE in t.error
        for t in crashed
    ), [t.error for t in crashed]
    assert all(nodes[t.run_node_id] == "failed" for t in crashed)
