"""Tiles find uploads through the engine's resolver (``TileContext.resolve_upload``).

An image uploaded over the real API becomes, in a real run on the real engine, a logo in the
rendered output; nobody else's, unknown, unfinished or wrong-kind uploads are clear errors.
"""

from __future__ import annotations

import itertools
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import httpx
import pytest
from pydantic import SecretStr

from tests.integration.api.conftest import Api
from tests.integration.api.server import LiveServer
from tests.integration.api.test_uploads import finalize, post_form, reserve
from tests.support.decode import frame_rgb, solid_png
from tilework.api.app import create_app
from tilework.config import Settings
from tilework.db.session import unit_of_work
from tilework.engine.uploads import upload_resolver
from tilework.errors import ValidationError
from tilework.orgs.service import create_organization
from tilework.runtime import Runtime
from tilework.tiles.base import UploadKind
from tilework.tiles.intro_outro import INTRO_OUTRO_TYPE_ID
from tilework.tiles.overlay import OVERLAY_TYPE_ID
from tilework.tiles.video_input import VIDEO_INPUT_TYPE_ID


def upload(api: Api, kind: str, content: bytes, key: str | None = None) -> str:
    response = api.post(f"/uploads/{kind}/get_upload_url", key=key)
    ticket = response.json()
    assert post_form(api, ticket, content).status_code == 204
    assert finalize(api, kind, ticket[f"{kind}_id"], key=key).status_code == 200
    return str(ticket[f"{kind}_id"])


def org_id(api: Api) -> str:
    return str(api.get("/whoami").json()["organization_id"])


def test_own_finalized_uploads_resolve_and_others_are_clear_errors(
    api: Api, sample_mp4: Path, tmp_path: Path
) -> None:
    runtime = api.runtime
    resolve = upload_resolver(runtime.sessions, runtime.blobs, org_id(api))
    image_id = upload(api, "image", solid_png(tmp_path / "logo.png", "red", 32, 32).read_bytes())
    path, info = resolve("image", image_id)
    assert path == runtime.blobs.path(f"uploads/{image_id}/source") and path.is_file()
    assert info is not None and (info.width, info.height) == (32, 32)

    theirs = upload(api, "image", solid_png(tmp_path / "l.png", "blue").read_bytes(), api.other_key)
    video_id = upload(api, "video", sample_mp4.read_bytes())
    pending = reserve(api, "audio")["audio_id"]
    cases: list[tuple[UploadKind, str, str]] = [
        ("image", theirs, f"no image upload {theirs}"),
        ("image", "00000000-0000-4000-8000-000000000000", "no image upload"),
        ("image", video_id, f"no image upload {video_id}"),
        ("audio", pending, "is not finalized"),
    ]
    for kind, upload_id, message in cases:
        with pytest.raises(ValidationError, match=message):
            resolve(kind, upload_id)
    assert resolve("video", video_id)[1] is not None  # the video itself resolves


@pytest.fixture
def working_api(tmp_path: Path) -> Iterator[Api]:
    """The real app with its workers running (runs execute), one organization."""
    settings = Settings(
        data_dir=tmp_path / "data", signing_key=SecretStr("test-signing-key"), workers=1
    )
    app = create_app(settings)
    server = LiveServer(app)
    server.start()
    client = httpx.Client(base_url=server.url, timeout=30)
    runtime: Runtime = app.state.runtime
    with unit_of_work(runtime.sessions) as session:
        _, key = create_organization(session, "Org A")
        _, other_key = create_organization(session, "Org B")
    try:
        yield Api(client, app, key, other_key)
    finally:
        client.close()
        server.stop()


def run_agent(api: Api, nodes: list[dict[str, Any]], video_id: str) -> dict[str, Any]:
    """Video Input → each node in turn; runs it on ``video_id`` and waits for the end."""
    refs = ["in", *(f"n{i}" for i in range(len(nodes)))]
    graph = {
        "nodes": [{"temp_ref_id": "in", "node_type_id": VIDEO_INPUT_TYPE_ID, "params_used": {}}]
        + [{"temp_ref_id": ref, **node} for ref, node in zip(refs[1:], nodes, strict=True)],
        "connections": [
            {"source_temp_ref_id": a, "target_temp_ref_id": b} for a, b in itertools.pairwise(refs)
        ],
    }
    agent = api.post("/agent/create", json={"name": "uploads", "graph": graph})
    assert agent.status_code == 200, agent.text
    started = api.post(f"/agent/{agent.json()['agent']['id']}/run", json={"video_ids": [video_id]})
    assert started.status_code == 200, started.text
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        run: dict[str, Any] = api.get(f"/agent_run/{started.json()['run_id']}").json()
        if run["status"] != "running":
            return run
        time.sleep(0.2)
    pytest.fail("the run did not finish in 60 s")


def test_a_run_overlays_an_uploaded_logo_and_fails_clearly_on_a_foreign_one(
    working_api: Api, sample_mp4: Path, tmp_path: Path
) -> None:
    api = working_api
    video_id = upload(api, "video", sample_mp4.read_bytes())
    logo = solid_png(tmp_path / "logo.png", "red", 32, 32).read_bytes()
    image_id = upload(api, "image", logo)
    overlay = {"node_type_id": OVERLAY_TYPE_ID, "params_used": {"image_id": image_id,
               "position": "bottom-right", "scale": 0.25, "margin": 0}}  # fmt: skip
    run = run_agent(api, [overlay], video_id)
    assert run["status"] == "completed", run
    (output,) = run["outputs"]
    url = urlsplit(output["video_url"])
    rendered = tmp_path / "out.mp4"
    rendered.write_bytes(api.client.get(f"{url.path}?{url.query}").content)
    corner = frame_rgb(rendered, 0.5)[80:88, 150:158].reshape(-1, 3).mean(axis=0)
    assert corner[0] > 180 and corner[1] < 80 and corner[2] < 80, corner

    theirs = upload(api, "video", sample_mp4.read_bytes(), key=api.other_key)
    intro = {"node_type_id": INTRO_OUTRO_TYPE_ID, "params_used": {"intro_video_ids": [theirs]}}
    failed = run_agent(api, [intro], video_id)
    assert failed["status"] == "failed"
    messages = [m for error in failed["errors"] for m in error["messages"]]
    assert any(f"no video upload {theirs}" in m for m in messages), failed
