from __future__ import annotations

from collections.abc import Callable

from tests.integration.api.conftest import Api
from tests.integration.api.test_agents import GRAPH, TRIM, VIDEO_INPUT, assert_error
from tests.support.semantic import require_semantic


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


CLIPS = "bcc5cb04-76b7-48e9-a344-0e8a29c19be0"


def test_the_catalogue_says_which_prompt_ranking_clips_uses(make_api: Callable[..., Api]) -> None:
    require_semantic()  # make venv installs the extra: auto means semantic
    listed = {t["node_type_id"]: t for t in make_api().get("/node_types").json()["node_types"]}
    ranking = listed[CLIPS]["features"]["prompt_ranking"]
    assert ranking.startswith("semantic (sentence embeddings, all-MiniLM-L6-v2")
    assert listed[TRIM]["features"] == {}
    forced = make_api(prompt_ranking="bm25").get(f"/node_type/{CLIPS}").json()["node_type"]
    assert forced["features"]["prompt_ranking"].startswith("bm25 (keywords; TILEWORK_PROMPT")
    assert "params_schema" in forced
