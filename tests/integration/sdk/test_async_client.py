"""``tilework.sdk.AsyncClient`` against the same live server: the asynchronous twin answers
alike (one test walks the main path; the shared call descriptions are covered by the sync one)."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from tests.integration.sdk.conftest import AGENT_YAML, Live
from tilework.sdk import (
    AsyncClient,
    NotFoundError,
    RunEvent,
    TileworkConnectionError,
    TileworkTimeoutError,
)


def test_async_client_main_path(live: Live, tmp_path: Path) -> None:
    asyncio.run(_main_path(live, tmp_path))


async def _main_path(live: Live, tmp_path: Path) -> None:
    async with AsyncClient(live.url, live.key) as client:
        assert (await client.whoami()).organization_name == "SDK tests"
        agent = await client.agents.import_yaml(AGENT_YAML)
        assert "render" in await client.agents.export_yaml(agent.id)
        sent: list[int] = []
        video = await client.uploads.upload(live.clip, on_progress=lambda d, t: sent.append(d))
        assert sent[-1] == live.clip.stat().st_size

        first = await client.runs.start(agent.id, video_ids=[video.upload_id])
        flags: list[str] = []

        async def on_progress(event: RunEvent) -> None:
            await asyncio.sleep(0)
            flags.append(event.flag)

        run = await client.runs.wait(first.run_id, on_progress=on_progress, timeout=120)
        assert run.status == "completed" and flags[0] == "RUN_STARTED"
        assert flags[-1] == "RUN_FINISHED"
        replay = [event.flag async for event in client.runs.events(first.run_id)]
        assert replay == flags

        second = await client.runs.start(agent.id, video_ids=[video.upload_id])
        with pytest.raises(TileworkTimeoutError):
            await client.runs.wait(second.run_id, timeout=0.001)
        await client.runs.wait(second.run_id, timeout=120)
        listed = [r.run_id async for r in client.runs.iterate(agent_id=agent.id, page_size=1)]
        assert listed == [second.run_id, first.run_id]  # newest first, across pages

        saved = await client.files.download(run.outputs[0].video_url, tmp_path / "out.mp4")
        assert saved.stat().st_size > 1000
        with pytest.raises(NotFoundError):
            await client.runs.get("00000000-0000-4000-8000-000000000000")
    async with AsyncClient("http://127.0.0.1:9", live.key) as nowhere:
        with pytest.raises(TileworkConnectionError):
            await nowhere.plans.get()
