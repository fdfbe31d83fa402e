"""Agents over HTTP: create (with a graph), read, list with cursors, update operations, duplicate,
delete, and every refusal answering 400/404 with ``{detail, error}``."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from tests.integration.api.conftest import Api

VIDEO_INPUT = "9451e6ff-ac7f-4317-9055-a2f35f641b29"
TRIM = "5b0f3c1e-8d2a-4c6b-9f47-2e8a61d0c3b5"

GRAPH = {
    "nodes": [
        {"temp_ref_id": "in", "node_type_id": VIDEO_INPUT},
        {"temp_ref_id": "cut", "node_type_id": TRIM, "params_used": {"start_seconds": 1}},
    ],
    "connections": [{"source_temp_ref_id": "in", "target_temp_ref_id": "cut"}],
}


def create(api: Api, **body: Any) -> dict[str, Any]:
    response = api.post("/agent/create", json={"name": "Cutter", **body})
    assert response.status_code == 200, response.text
    result: dict[str, Any] = response.json()
    return result


def update(api: Api, agent_id: str, *operations: dict[str, Any], **fields: Any) -> httpx.Response:
    return api.post(f"/agent/{agent_id}/update", json={"operations": list(operations), **fields})


def assert_error(response: Any, status: int, code: str) -> None:
    assert response.status_code == status, response.text
    body = response.json()
    assert set(body) == {"detail", "error"}
    assert body["error"] == code
    assert isinstance(body["detail"], str) and body["detail"]


# --- create and read -------------------------------------------------------------------------


def test_create_with_a_graph_then_get(api: Api) -> None:
    created = create(api, description="trims", visibility="public", graph=GRAPH)
    refs = created["created_nodes"]
    assert set(refs) == {"in", "cut"}
    got = api.get(f"/agent/{created['agent']['id']}").json()
    assert got["agent"]["name"] == "Cutter"
    assert got["agent"]["visibility"] == "public"
    assert set(got["agent"]) == {
        "id",
        "name",
        "description",
        "visibility",
        "created_at",
        "updated_at",
    }
    nodes = {n["agent_node_id"]: n for n in got["agent_nodes"]}
    assert nodes[refs["cut"]]["params_used"] == {"start_seconds": 1}
    node_type = nodes[refs["in"]]["node_type"]
    assert node_type["node_type_id"] == VIDEO_INPUT
    assert {"node_type_id", "node_type_name", "docs_url", "params_docs_url"} <= set(node_type)
    assert got["connections"] == [
        {"source_agent_node_id": refs["in"], "target_agent_node_id": refs["cut"]}
    ]


def test_create_accepts_slugs_and_defaults(api: Api) -> None:
    graph = {"nodes": [{"temp_ref_id": "t", "node_type_id": "trim"}], "connections": []}
    created = api.post("/agent/create", json={"graph": graph}).json()
    assert created["agent"]["name"] == "Untitled agent"
    assert created["agent"]["visibility"] == "private"
    assert created["agent_nodes"][0]["node_type"]["node_type_id"] == TRIM


def test_list_pages_with_a_cursor(api: Api) -> None:
    ids = [create(api, description=str(i))["agent"]["id"] for i in range(5)]
    create_other = api.post("/agent/create", key=api.other_key, json={"name": "theirs"})
    assert create_other.status_code == 200
    seen: list[str] = []
    cursor = None
    for _ in range(3):
        params: dict[str, Any] = {"limit": 2} | ({"cursor": cursor} if cursor else {})
        page = api.get("/agents", params=params).json()
        assert set(page["agents"][0]) == {"id", "name", "description", "created_at", "updated_at"}
        seen += [a["id"] for a in page["agents"]]
        cursor = page["next_cursor"]
    assert cursor is None
    assert seen == list(reversed(ids))  # newest first, nothing twice, nothing foreign
    assert len(api.get("/agents").json()["agents"]) == 5


@pytest.mark.parametrize("params", [{"limit": 0}, {"limit": 101}, {"limit": "x"}, {"cursor": "!!"}])
def test_list_refuses_bad_paging(api: Api, params: dict[str, Any]) -> None:
    assert_error(api.get("/agents", params=params), 400, "validation_error")


# --- update operations -----------------------------------------------------------------------


def test_update_applies_each_operation_in_order(api: Api) -> None:
    created = create(api, graph=GRAPH)
    agent_id, refs = created["agent"]["id"], created["created_nodes"]
    response = update(
        api,
        agent_id,
        {"op": "create_node", "node_type_id": TRIM, "temp_ref_id": "second"},
        {
            "op": "create_connection",
            "source_agent_node_id": refs["cut"],
            "target_temp_ref_id": "second",
        },
        {"op": "update_node", "agent_node_id": refs["cut"], "params_used": {"end_seconds": 3}},
        {
            "op": "delete_connection",
            "source_agent_node_id": refs["in"],
            "target_agent_node_id": refs["cut"],
        },
        name="Renamed",
    )
    assert response.status_code == 200, response.text
    body = response.json()
    second = body["created_nodes"]["second"]
    assert body["agent"]["name"] == "Renamed"
    params = {n["agent_node_id"]: n["params_used"] for n in body["agent_nodes"]}
    assert params[refs["cut"]] == {"start_seconds": 1, "end_seconds": 3}  # merged
    assert body["connections"] == [
        {"source_agent_node_id": refs["cut"], "target_agent_node_id": second}
    ]
    assert api.get(f"/agent/{agent_id}").json()["connections"] == body["connections"]


def test_delete_node_drops_its_edges(api: Api) -> None:
    created = create(api, graph=GRAPH)
    agent_id, refs = created["agent"]["id"], created["created_nodes"]
    response = update(api, agent_id, {"op": "delete_node", "agent_node_id": refs["cut"]})
    assert response.status_code == 200, response.text
    body = api.get(f"/agent/{agent_id}").json()
    assert [n["agent_node_id"] for n in body["agent_nodes"]] == [refs["in"]]
    assert body["connections"] == []


def test_patch_updates_metadata(api: Api) -> None:
    agent_id = create(api)["agent"]["id"]
    response = api.request("PATCH", f"/agent/{agent_id}/update", json={"description": "new"})
    assert response.status_code == 200
    assert response.json()["agent"]["description"] == "new"
    assert response.json()["created_nodes"] == {}


def test_a_failing_operation_changes_nothing(api: Api) -> None:
    created = create(api, graph=GRAPH)
    agent_id, refs = created["agent"]["id"], created["created_nodes"]
    before = api.get(f"/agent/{agent_id}").json()
    response = update(
        api,
        agent_id,
        {"op": "delete_connection", "source_temp_ref_id": "x", "target_agent_node_id": refs["in"]},
    )
    assert_error(response, 400, "validation_error")
    response = update(
        api,
        agent_id,
        {"op": "update_node", "agent_node_id": refs["cut"], "params_used": {"end_seconds": 9}},
        {"op": "delete_node", "agent_node_id": refs["in"]},
        {"op": "create_node", "node_type_id": TRIM, "temp_ref_id": "n"},
        {"op": "create_connection", "source_temp_ref_id": "n", "target_agent_node_id": refs["cut"]},
        {"op": "create_connection", "source_agent_node_id": refs["cut"], "target_temp_ref_id": "n"},
        name="Never",
    )
    assert_error(response, 400, "validation_error")
    assert "cycle" in response.json()["detail"]
    assert api.get(f"/agent/{agent_id}").json() == before


BAD_OPERATIONS: dict[str, dict[str, Any]] = {
    "unknown node type": {"op": "create_node", "node_type_id": "nope"},
    "unknown param": {"op": "create_node", "node_type_id": TRIM, "params_used": {"speed": 2}},
    "wrong param type": {
        "op": "create_node",
        "node_type_id": TRIM,
        "params_used": {"start_seconds": "soon"},
    },
    "missing node": {"op": "delete_node", "agent_node_id": "00000000-0000-4000-8000-000000000000"},
    "connection to a missing node": {
        "op": "create_connection",
        "source_temp_ref_id": "in",
        "target_agent_node_id": "00000000-0000-4000-8000-000000000000",
    },
    "both ends given twice": {
        "op": "create_connection",
        "source_temp_ref_id": "a",
        "source_agent_node_id": "b",
        "target_temp_ref_id": "c",
    },
    "unknown op": {"op": "explode"},
    "self loop": {
        "op": "create_connection",
        "source_temp_ref_id": "in",
        "target_temp_ref_id": "in",
    },
}


@pytest.mark.parametrize("name", list(BAD_OPERATIONS))
def test_bad_operations_are_400_and_change_nothing(api: Api, name: str) -> None:
    created = create(api, graph=GRAPH)
    agent_id = created["agent"]["id"]
    before = api.get(f"/agent/{agent_id}").json()
    first = {"op": "create_node", "node_type_id": VIDEO_INPUT, "temp_ref_id": "in"}
    assert_error(update(api, agent_id, first, BAD_OPERATIONS[name]), 400, "validation_error")
    assert api.get(f"/agent/{agent_id}").json() == before


def test_duplicate_temp_ref_id_is_400(api: Api) -> None:
    agent_id = create(api)["agent"]["id"]
    op = {"op": "create_node", "node_type_id": TRIM, "temp_ref_id": "a"}
    assert_error(update(api, agent_id, op, op), 400, "validation_error")
    node = {"temp_ref_id": "a", "node_type_id": TRIM}
    graph = {"nodes": [node, node], "connections": []}
    assert_error(
        api.post("/agent/create", json={"name": "x", "graph": graph}), 400, "validation_error"
    )


def test_update_with_nothing_to_do_is_400(api: Api) -> None:
    agent_id = create(api)["agent"]["id"]
    assert_error(api.post(f"/agent/{agent_id}/update", json={}), 400, "validation_error")


# --- create refusals -------------------------------------------------------------------------


@pytest.mark.parametrize(
    "body",
    [
        {"name": ""},
        {"name": "x" * 121},
        {"name": "ok", "description": "d" * 5001},
        {"name": "ok", "visibility": "secret"},
        {"name": "ok", "graph": {"nodes": [{"temp_ref_id": "a", "node_type_id": "nope"}]}},
        {
            "name": "ok",
            "graph": {
                "nodes": [],
                "connections": [{"source_temp_ref_id": "a", "target_temp_ref_id": "b"}],
            },
        },
        {
            "name": "ok",
            "graph": {
                "nodes": [
                    {"temp_ref_id": "a", "node_type_id": TRIM},
                    {"temp_ref_id": "b", "node_type_id": TRIM},
                ],
                "connections": [
                    {"source_temp_ref_id": "a", "target_temp_ref_id": "b"},
                    {"source_temp_ref_id": "b", "target_temp_ref_id": "a"},
                ],
            },
        },
        {
            "name": "ok",
            "graph": {
                "nodes": [
                    {
                        "temp_ref_id": "a",
                        "node_type_id": TRIM,
                        "params_used": {"start_seconds": 5, "end_seconds": 1},
                    }
                ]
            },
        },
    ],
)
def test_create_refusals_are_400_and_create_nothing(api: Api, body: dict[str, Any]) -> None:
    response = api.post("/agent/create", json=body)
    assert_error(response, 400, "validation_error")
    assert "pydantic" not in response.json()["detail"]
    assert api.get("/agents").json()["agents"] == []


def test_malformed_json_is_400(api: Api) -> None:
    response = api.post(
        "/agent/create", content=b'{"name": ', headers={"Content-Type": "application/json"}
    )
    assert_error(response, 400, "validation_error")
    assert "JSON" in response.json()["detail"]


def test_validation_detail_names_the_field(api: Api) -> None:
    response = api.post("/agent/create", json={"name": "x" * 121})
    assert response.json()["detail"].startswith("name: ")


# --- duplicate and delete --------------------------------------------------------------------


def test_duplicate_copies_nodes_and_edges_under_new_ids(api: Api) -> None:
    source = create(api, graph=GRAPH, description="orig")
    response = api.post(f"/agent/{source['agent']['id']}/duplicate")
    assert response.status_code == 200, response.text
    copy = response.json()
    assert copy["agent"]["name"] == "Copy of Cutter"
    assert copy["agent"]["description"] == "orig"
    assert copy["agent"]["id"] != source["agent"]["id"]
    old_ids = {n["agent_node_id"] for n in source["agent_nodes"]}
    new_ids = [n["agent_node_id"] for n in copy["agent_nodes"]]
    assert len(new_ids) == 2 and not old_ids & set(new_ids)
    assert copy["connections"] == [
        {"source_agent_node_id": new_ids[0], "target_agent_node_id": new_ids[1]}
    ]
    named = api.post(f"/agent/{source['agent']['id']}/duplicate", json={"name": "Mine"}).json()
    assert named["agent"]["name"] == "Mine"


@pytest.mark.parametrize("method", ["POST", "DELETE"])
def test_delete_is_soft_and_hides_the_agent(api: Api, method: str) -> None:
    agent_id = create(api, graph=GRAPH)["agent"]["id"]
    response = api.request(method, f"/agent/{agent_id}/delete")
    assert response.status_code == 200
    assert response.json() == {
        "success": True,
        "agent_id": agent_id,
        "message": "Agent deleted successfully",
    }
    assert_error(api.get(f"/agent/{agent_id}"), 404, "not_found")
    assert api.get("/agents").json()["agents"] == []
    assert_error(api.request(method, f"/agent/{agent_id}/delete"), 404, "not_found")


# --- tenancy ---------------------------------------------------------------------------------


def test_another_organizations_agent_is_404_everywhere(api: Api) -> None:
    created = create(api, graph=GRAPH)
    agent_id, node_id = created["agent"]["id"], created["created_nodes"]["in"]
    other = api.other_key
    assert_error(api.get(f"/agent/{agent_id}", key=other), 404, "not_found")
    renamed = api.post(f"/agent/{agent_id}/update", key=other, json={"name": "x"})
    assert_error(renamed, 404, "not_found")
    assert_error(api.post(f"/agent/{agent_id}/duplicate", key=other), 404, "not_found")
    assert_error(api.post(f"/agent/{agent_id}/delete", key=other), 404, "not_found")
    assert_error(api.get(f"/agent_nodes/{node_id}", key=other), 404, "not_found")
    missing = api.get("/agent/00000000-0000-4000-8000-000000000000", key=other).json()
    foreign = api.get(f"/agent/{agent_id}", key=other).json()
    assert missing["error"] == foreign["error"]
    assert api.get(f"/agent/{agent_id}").status_code == 200  # untouched for its owner
