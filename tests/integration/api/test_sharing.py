"""``POST|GET|DELETE /agent/{agent_id}/share`` and the public page behind the link: shared and
revoked for good, duplicate leaves the original private, a run must be this agent's and finished,
and the page shows nothing else of the organization."""

from __future__ import annotations

from urllib.parse import urlsplit

import httpx
from sqlalchemy import select
from sqlalchemy.orm import Session

from tests.integration.api.conftest import Api
from tests.integration.api.test_agents import GRAPH, assert_error, create
from tilework.db.session import unit_of_work
from tilework.db.tables import Organization, Render, Run, RunNode, Task, utcnow


def add_run(api: Api, agent_id: str, status: str, with_output: bool = False) -> str:
    """A run row of organization A (the engine is not running in API tests)."""
    with unit_of_work(api.runtime.sessions) as session:
        org = session.scalars(select(Organization).where(Organization.name == "Org A")).one()
        run = Run(organization_id=org.id, agent_id=agent_id, status=status, finished_at=utcnow())
        session.add(run)
        session.flush()
        if with_output:
            add_output(session, org.id, run.id)
        return run.id


def add_output(session: Session, org_id: str, run_id: str) -> None:
    node = RunNode(run_id=run_id, node_type_id="render")
    session.add(node)
    session.flush()
    task = Task(run_id=run_id, run_node_id=node.id, item_key="0", input_timeline={})
    session.add(task)
    session.flush()
    render = Render(
        organization_id=org_id,
        run_id=run_id,
        task_id=task.id,
        media_info={},
        video_key="renders/x/out.mp4",
    )
    session.add(render)


def public(api: Api, link: str) -> httpx.Response:
    """GET a share link with no credentials (links carry the public base URL; the test server
    listens elsewhere, so only the path is used)."""
    return httpx.get(api.client.base_url.join(urlsplit(link).path))


def test_share_read_and_revoke(api: Api) -> None:
    agent = create(api, graph=GRAPH)["agent"]
    assert api.get(f"/agent/{agent['id']}/share").json() == {
        "agent_id": agent["id"],
        "name": "Cutter",
        "visibility": "private",
        "share_url": None,
        "run_id": None,
        "source_agent_id": None,
        "shared_at": None,
    }
    shared = api.post(f"/agent/{agent['id']}/share").json()
    assert shared["visibility"] == "public"
    link = shared["share_url"]
    assert link.startswith(api.runtime.settings.public_base_url + "/shared/")
    assert len(link.rsplit("/", 1)[1]) >= 32  # 192 random bits
    assert api.post(f"/agent/{agent['id']}/share").json()["share_url"] == link  # kept
    assert api.get(f"/agent/{agent['id']}/share").json()["share_url"] == link
    assert api.get(f"/agent/{agent['id']}").json()["agent"]["visibility"] == "public"

    page = public(api, link)
    assert page.status_code == 200 and "Cutter" in page.text
    assert "Org A" not in page.text and '<a href="/app' not in page.text
    assert page.headers["referrer-policy"] == "no-referrer"

    revoked = api.request("DELETE", f"/agent/{agent['id']}/share").json()
    assert (revoked["visibility"], revoked["share_url"]) == ("private", None)
    assert public(api, link).status_code == 404
    again = api.post(f"/agent/{agent['id']}/share").json()["share_url"]
    assert again != link and public(api, link).status_code == 404  # a revoked link stays dead


def test_share_a_finished_run_and_a_copy(api: Api) -> None:
    agent = create(api, graph=GRAPH)["agent"]
    run_id = add_run(api, agent["id"], "completed", with_output=True)
    body = {"run_id": run_id, "duplicate": True, "name": "Q3 recap (shared)"}
    shared = api.post(f"/agent/{agent['id']}/share", json=body).json()
    assert shared["agent_id"] != agent["id"]
    assert (shared["source_agent_id"], shared["run_id"]) == (agent["id"], run_id)
    assert shared["name"] == "Q3 recap (shared)"
    original = api.get(f"/agent/{agent['id']}/share").json()
    assert (original["visibility"], original["share_url"]) == ("private", None)
    page = public(api, shared["share_url"])
    assert "Q3 recap (shared)" in page.text
    assert "/files/renders/x/out.mp4?expires=" in page.text  # the output, signed
    assert run_id not in page.text and agent["id"] not in page.text


def test_share_refusals(api: Api) -> None:
    agent = create(api, graph=GRAPH)["agent"]
    other = create(api, graph=GRAPH)["agent"]
    running = add_run(api, agent["id"], "running")
    of_other = add_run(api, other["id"], "completed")
    url = f"/agent/{agent['id']}/share"
    assert_error(api.post(url, json={"run_id": running}), 409, "conflict")
    assert_error(api.post(url, json={"run_id": of_other}), 400, "validation_error")
    assert_error(api.post(url, json={"run_id": "nope"}), 404, "not_found")
    assert_error(api.post(url, json={"public": True}), 400, "validation_error")
    assert_error(api.post(url, key=api.other_key), 404, "not_found")
    assert_error(api.get(url, key=api.other_key), 404, "not_found")
    assert_error(api.request("DELETE", url, key=api.other_key), 404, "not_found")
    assert_error(api.post(url, key="mk_wrong"), 401, "invalid_api_key")
    assert public(api, "/shared/not-a-token").status_code == 404


def test_a_deleted_agent_is_no_longer_shared(api: Api) -> None:
    agent = create(api, graph=GRAPH)["agent"]
    link = api.post(f"/agent/{agent['id']}/share").json()["share_url"]
    api.post(f"/agent/{agent['id']}/delete")
    assert public(api, link).status_code == 404


def test_openapi_documents_the_share_endpoints(api: Api) -> None:
    spec = api.get("/openapi.json").json()
    operations = spec["paths"]["/agent/{agent_id}/share"]
    assert set(operations) == {"post", "get", "delete"}
    for operation in operations.values():
        schema = operation["responses"]["200"]["content"]["application/json"]["schema"]
        assert schema == {"$ref": "#/components/schemas/ShareState"}
    body = operations["post"]["requestBody"]["content"]["application/json"]["schema"]
    assert "ShareRequest" in str(body)
    assert not [path for path in spec["paths"] if path.startswith(("/app", "/shared"))]
    assert "/" not in spec["paths"]
