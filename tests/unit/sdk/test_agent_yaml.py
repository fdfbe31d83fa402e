from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from tilework.sdk import AgentYamlError, agent_to_yaml, build_create_request, parse_agent_yaml

ROOT = Path(__file__).resolve().parents[3]
VIDEO_INPUT = "9451e6ff-ac7f-4317-9055-a2f35f641b29"
NODE_TYPES = [
    {"node_type_id": VIDEO_INPUT, "node_type_name": "Video Input"},
    {"node_type_id": "t-trim", "node_type_name": "Trim", "slug": "trim"},
    {"node_type_id": "t-render", "node_type_name": "Render Video", "slug": "render"},
]


def test_example_file_becomes_the_create_body() -> None:
    text = (ROOT / "examples" / "agents" / "trim-and-render.yaml").read_text()
    body = build_create_request(parse_agent_yaml(text), NODE_TYPES)
    assert body["name"] == "Trim and render"
    assert body["graph"]["nodes"] == [
        {"temp_ref_id": "input", "node_type_id": VIDEO_INPUT, "params_used": {}},
        {
            "temp_ref_id": "cut",
            "node_type_id": "t-trim",
            "params_used": {"start_seconds": 1, "end_seconds": 4},
        },
        {
            "temp_ref_id": "render",
            "node_type_id": "t-render",
            "params_used": {"resolution": "480p", "quality": "medium"},
        },
    ]
    assert body["graph"]["connections"] == [
        {"source_temp_ref_id": "input", "target_temp_ref_id": "cut"},
        {"source_temp_ref_id": "cut", "target_temp_ref_id": "render"},
    ]
    assert "visibility" not in body


@pytest.mark.parametrize("type_ref", ["video-input", "Video Input", VIDEO_INPUT, "VIDEO-INPUT"])
def test_node_type_by_slug_name_or_id(type_ref: str) -> None:
    spec = parse_agent_yaml(f"name: a\nnodes: [{{id: i, type: {type_ref}}}]")
    body = build_create_request(spec, NODE_TYPES)
    assert body["graph"]["nodes"][0]["node_type_id"] == VIDEO_INPUT


def test_unlisted_uuid_is_passed_through() -> None:
    other = "bcc5cb04-76b7-48e9-a344-0e8a29c19be0"
    spec = parse_agent_yaml(f"name: a\nnodes: [{{id: c, type: {other}}}]")
    assert build_create_request(spec, NODE_TYPES)["graph"]["nodes"][0]["node_type_id"] == other


def test_unknown_slug_names_the_known_ones() -> None:
    spec = parse_agent_yaml("name: a\nnodes: [{id: c, type: captions}]")
    with pytest.raises(AgentYamlError, match=r"unknown node type 'captions' \(known: .*trim"):
        build_create_request(spec, NODE_TYPES)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("- just a list", "must be a mapping"),
        ("nodes: [{id: a, type: trim}]", "'name' is required"),
        ("name: a\nnodes: []", "non-empty list"),
        ("name: a\nnode: []", "unknown key"),
        ("name: a\nnodes: [{id: a}]", "needs a 'type'"),
        ("name: a\nnodes: [{type: trim}]", "needs an 'id'"),
        ("name: a\nnodes: [{id: a, type: trim, parms: {}}]", r"unknown key\(s\) in nodes\[0\]"),
        ("name: a\nnodes: [{id: a, type: trim}, {id: a, type: trim}]", "used twice"),
        ("name: a\nnodes: [{id: a, type: trim}]\nedges: [[a, b]]", "unknown node id 'b'"),
        ("name: a\nnodes: [{id: a, type: trim}]\nedges: [[a]]", "pair"),
        ("name: a\nnodes: [{id: a, type: trim}]\nedges: [[a, a]]", "itself"),
        ("name: [unclosed", "not valid YAML"),
    ],
)
def test_invalid_files_say_what_is_wrong(text: str, message: str) -> None:
    with pytest.raises(AgentYamlError, match=message):
        parse_agent_yaml(text)


def test_numeric_ids_are_references_too() -> None:
    spec = parse_agent_yaml(
        "name: a\nnodes: [{id: 1, type: trim}, {id: 2, type: render}]\nedges: [[1, 2]]"
    )
    assert spec.edges == [("1", "2")]


def test_export_uses_slugs_and_unique_references() -> None:
    agent = {
        "agent": {"id": "a1", "name": "Two trims", "description": "", "visibility": "private"},
        "agent_nodes": [
            {
                "agent_node_id": "n1",
                "node_type": {"node_type_id": VIDEO_INPUT, "node_type_name": "Video Input"},
            },
            {
                "agent_node_id": "n2",
                "node_type": {"node_type_id": "t-trim"},
                "params_used": {"start_seconds": 1},
            },
            {
                "agent_node_id": "n3",
                "node_type": {"node_type_id": "t-trim"},
                "params_used": {"start_seconds": 2},
            },
        ],
        "connections": [
            {"source_agent_node_id": "n1", "target_agent_node_id": "n2"},
            {"source_agent_node_id": "n2", "target_agent_node_id": "n3"},
        ],
    }
    doc = yaml.safe_load(agent_to_yaml(agent, NODE_TYPES))
    assert [n["id"] for n in doc["nodes"]] == ["video-input", "trim", "trim-2"]
    assert [n["type"] for n in doc["nodes"]] == ["video-input", "trim", "trim"]
    assert doc["edges"] == [["video-input", "trim"], ["trim", "trim-2"]]
    assert doc["visibility"] == "private"
    again = build_create_request(parse_agent_yaml(agent_to_yaml(agent, NODE_TYPES)), NODE_TYPES)
    assert [n["node_type_id"] for n in again["graph"]["nodes"]] == [VIDEO_INPUT, "t-trim", "t-trim"]
