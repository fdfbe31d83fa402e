"""``tilework.sdk.Client`` against a live server: every group of the API, typed answers,
pagination, errors as exceptions, uploads and downloads with progress, ``runs.wait`` over SSE."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.integration.sdk.conftest import AGENT_YAML, Live
from tests.support.receiver import Receiver
from tilework.sdk import (
    AuthenticationError,
    BadRequestError,
    Client,
    ConflictError,
    NotFoundError,
    RunFinishedEvent,
    RunStartedEvent,
    TileworkAPIError,
    TileworkConnectionError,
    TileworkTimeoutError,
)
from tilework.sdk.models import UpdateNode


@pytest.fixture
def client(live: Live) -> Client:
    with Client(live.url, live.key) as client:
        yield client  # type: ignore[misc]


def test_agents_round_trip_and_pages(client: Client) -> None:
    assert client.whoami().organization_name == "SDK tests"
    types = client.node_types.list()
    render = next(t for t in types if t.slug == "render")
    assert "resolution" in client.node_types.get(render.node_type_id).params_schema["properties"]

    agent = client.agents.import_yaml(AGENT_YAML)
    assert agent.agent.name == "SDK test agent" and len(agent.agent_nodes) == 2
    node = next(n for n in agent.agent_nodes if n.node_type.slug == "render")
    changed = client.agents.update(
        agent.id,
        name="Renamed",
        operations=[UpdateNode(agent_node_id=node.agent_node_id, params_used={"fps": 12})],
    )
    assert changed.agent.name == "Renamed"
    assert client.agents.node(node.agent_node_id).params_used["fps"] == 12
    assert "fps: 12" in client.agents.export_yaml(agent.id)

    copies = [client.agents.duplicate(agent.id, name=f"copy {i}") for i in range(3)]
    first = client.agents.list(limit=2)
    assert len(first.agents) == 2 and first.next_cursor
    every = [a.id for a in client.agents.iterate(page_size=2)]
    assert {agent.id, *(c.id for c in copies)} <= set(every)
    assert len(every) == len(set(every))  # no page repeats a row

    assert client.agents.delete(copies[0].id).success
    with pytest.raises(NotFoundError) as missing:
        client.agents.get(copies[0].id)
    assert missing.value.status == 404 and missing.value.error == "not_found"
    assert copies[0].id in missing.value.detail


def test_upload_run_wait_and_download(
    client: Client, live: Live, receiver: Receiver, tmp_path: Path
) -> None:
    seen: list[tuple[int, int]] = []
    video = client.uploads.upload(live.clip, on_progress=lambda d, t: seen.append((d, t)))
    size = live.clip.stat().st_size
    assert video.kind == "video" and video.status == "ready" and video.duration_s
    assert seen[-1] == (size, size)

    agent = client.agents.import_yaml(AGENT_YAML)
    estimate = client.runs.estimate(agent.id, video_ids=[video.upload_id])
    assert estimate.can_start and estimate.estimated_credits >= 1
    started = client.runs.start(agent.id, video_ids=[video.upload_id], callback_url=receiver.url)
    events: list[str] = []
    run = client.runs.wait(started.run_id, on_progress=lambda e: events.append(e.flag), timeout=120)
    assert run.status == "completed" and run.run_id == started.run_id
    assert events[0] == "RUN_STARTED" and events[-1] == "RUN_FINISHED"

    replay = list(client.runs.events(started.run_id))  # a finished run replays its history
    assert isinstance(replay[0], RunStartedEvent) and isinstance(replay[-1], RunFinishedEvent)
    assert replay[-1].outputs[0].id == run.outputs[0].id

    got: list[int] = []
    path = client.files.download(
        run.outputs[0].video_url, tmp_path / "out.mp4", on_progress=lambda d, t: got.append(d)
    )
    assert path.stat().st_size == got[-1] > 1000
    assert not (tmp_path / "out.mp4.part").exists()

    assert [n.status for n in client.runs.nodes(started.run_id)] == ["completed", "completed"]
    assert client.runs.progress(started.run_id).completed_node_percent == 100.0
    page = client.runs.list(agent_id=agent.id, status=["completed"])
    assert [r.run_id for r in page.runs] == [started.run_id]
    assert started.run_id in {r.run_id for r in client.runs.iterate(status="completed")}
    with pytest.raises(ConflictError):
        client.runs.cancel(started.run_id)
    with pytest.raises(ConflictError):
        client.runs.resume(started.run_id)

    receiver.wait_for(3)
    log = client.webhooks.deliveries(started.run_id)
    assert log.events[0].flag == "RUN_STARTED"
    assert log.events[-1].delivery_status == "delivered" and log.events[-1].attempts
    again = client.webhooks.redeliver(log.events[-1].id)
    assert again.delivery_status == "pending"
    receiver.wait_for(4)


def test_webhook_settings_and_test_delivery(client: Client, receiver: Receiver) -> None:
    generated = client.webhooks.update_settings(generate_secret=True, send_plaintext_header=False)
    assert generated.secret and generated.secret.startswith("whsec_")
    assert not generated.send_plaintext_header
    rotated = client.webhooks.rotate_secret()
    assert rotated.secret != generated.secret and rotated.active_secrets == 2
    assert client.webhooks.settings().secret == rotated.secret
    sent = client.webhooks.test(receiver.url)
    assert sent.success and sent.status_code == 200
    assert receiver.wait_for(1)[0].body["flag"] == "TEST"


def test_triggers(client: Client, live: Live) -> None:
    agent = client.agents.import_yaml(AGENT_YAML)
    video = client.uploads.upload(live.clip)
    schedule = client.triggers.add_schedule(
        agent.id, "0 9 * * 1-5", timezone="Europe/Paris", video_ids=[video.upload_id]
    )
    assert schedule.type == "schedule" and schedule.cron == "0 9 * * 1-5"
    youtube = client.triggers.add_youtube_channels(
        agent.id, ["UCaaaaaaaaaaaaaaaaaaaaaa"], callback_url=None, max_seconds=600
    )
    assert youtube.youtube_channels == ["UCaaaaaaaaaaaaaaaaaaaaaa"]
    assert {t.id for t in client.triggers.list(agent.id)} == {schedule.id, youtube.id}

    fired = client.triggers.fire(schedule.id)
    assert fired.triggered_by and fired.triggered_by["type"] == "manual"
    assert client.runs.wait(fired.run_id, timeout=120).status == "completed"
    assert [r.run_id for r in client.runs.list(trigger_id=schedule.id).runs] == [fired.run_id]
    assert list(client.triggers.iterate_events(schedule.id)) == []  # manual: not deduplicated

    removed = client.triggers.remove_youtube_channels(agent.id, ["UCaaaaaaaaaaaaaaaaaaaaaa"])
    assert removed.removed_channels == ["UCaaaaaaaaaaaaaaaaaaaaaa"]
    assert client.triggers.delete(schedule.id).success
    assert client.triggers.get(schedule.id).removed_at is not None
    assert client.triggers.list(agent.id) == []


def test_plans_and_credits(client: Client) -> None:
    assert client.plans.get().plan.id == "free"
    offers = {offer.id for offer in client.plans.list()}
    assert {"free", "creator", "professional"} <= offers
    upgraded = client.plans.upgrade("creator")
    assert upgraded.success and not upgraded.requires_checkout
    credits = client.credits.set_auto_topup(enabled=True, threshold=10, quantity=100)
    assert credits.auto_topup.enabled and credits.plan_id == "creator"
    assert client.credits.get().balance == client.plans.get().credits.balance
    assert client.credits.usage().total_credits >= 0
    page = client.credits.ledger(limit=1)
    assert len(page.entries) == 1 and page.next_cursor
    kinds = [entry.kind for entry in client.credits.iterate_ledger(page_size=1)]
    assert "allowance" in kinds


def test_errors_are_typed(live: Live, tmp_path: Path) -> None:
    with Client(live.url, "mk_wrong") as stranger, pytest.raises(AuthenticationError) as denied:
        stranger.whoami()
    assert denied.value.error == "invalid_api_key"
    with Client(live.url, live.key) as client:
        not_video = tmp_path / "notes.mp4"
        not_video.write_text("this is text, not a video")
        with pytest.raises(BadRequestError) as bad:
            client.uploads.upload(not_video)
        assert bad.value.error == "validation_error" and "video" in bad.value.detail
        with pytest.raises(TileworkAPIError) as unknown:
            client.runs.start("00000000-0000-4000-8000-000000000000", video_urls=["http://x/"])
        assert unknown.value.status == 404
        with pytest.raises(TileworkTimeoutError):
            client.runs.wait(_any_run(client, live), timeout=0.001)
    with (
        Client("http://127.0.0.1:9", live.key) as nowhere,
        pytest.raises(TileworkConnectionError, match="connection refused"),
    ):
        nowhere.whoami()


def _any_run(client: Client, live: Live) -> str:
    agent = client.agents.import_yaml(AGENT_YAML)
    video = client.uploads.upload(live.clip)
    return client.runs.start(agent.id, video_ids=[video.upload_id]).run_id
