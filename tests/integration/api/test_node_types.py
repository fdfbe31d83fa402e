from __future__ import annotations

from tests.integration.api.conftest import Api
from tests.integration.api.test_agents import GRAPH, TRIM, VIDEO_INPUT, assert_error


def test_lists_node_types_with_mosaic_ids(api: Api) -> None:
    response = api.get("/node_types")
    assert response.status_code == 200
    types = {t["node_type_id"]: t for t in response.json()["node_types"]}
    assert VIDEO_INPUT in types
    assert {"node_type_id", "node_type_name", "docs_url", "params_docs_url"} <= set(types[TRIM])


def test_one_node_type_publishes_its_params_schema(api: Api) -> None:
    body = api.get(f"/node_type/{TRIM}").json()
    node_type = body["node_type"]
    assert node_type["node_type_id"] == TRIM
    assert "start_seconds" in node_type["params_schema"]["properties"]
    assert_error(api.get("/node_type/nope"), 404, "not_found")


def test_agent_node_is_read_by_its_owner_only(api: Api) -> None:
    created = api.post("/agent/create", json={"name": "a", "graph": GRAPH}).json()
    node_id = created["created_nodes"]["cut"]
    body = api.get(f"/agent_nodes/{node_id}").json()
    assert body == {
        "agent_node": {
            "agent_node_id": node_id,
            "node_type": body["agent_node"]["node_type"],
            "params_used": {"start_seconds": 1},
        }
    }
    assert body["agent_node"]["node_type"]["node_type_id"] == TRIM
    assert_error(api.get(f"/agent_nodes/{node_id}", key=api.other_key), 404, "not_found")
    assert_error(api.get("/agent_nodes/missing"), 404, "not_found")


def test_node_types_need_a_key(api: Api) -> None:
    assert_error(api.client.get("/node_types"), 401, "invalid_api_key")
