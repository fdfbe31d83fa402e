from __future__ import annotations

from datetime import UTC, datetime

import pytest

from tilework.agents.schemas import (
    AgentMeta,
    AgentNodeView,
    AgentView,
    ConnectionView,
    NodeTypeRef,
)
from tilework.agents.yaml_io import agent_from_yaml, agent_to_yaml
from tilework.errors import ValidationError
from tilework.tiles.registry import default_registry

VIDEO_INPUT = "9451e6ff-ac7f-4317-9055-a2f35f641b29"

TEXT = f"""
name: Trim it
description: keeps two seconds
nodes:
  - {{id: input, type: {VIDEO_INPUT}}}
  - {{id: cut, type: trim, params: {{start_seconds: 1, end_seconds: 3}}}}
edges:
  - [input, cut]
"""


def test_reads_the_yaml_format() -> None:
    request = agent_from_yaml(TEXT)
    assert (request.name, request.description, request.visibility) == (
        "Trim it",
        "keeps two seconds",
        "private",
    )
    assert request.graph is not None
    assert [(n.temp_ref_id, n.node_type_id) for n in request.graph.nodes] == [
        ("input", VIDEO_INPUT),
        ("cut", "trim"),
    ]
    edge = request.graph.connections[0]
    assert (edge.source_temp_ref_id, edge.target_temp_ref_id) == ("input", "cut")


def test_resolves_slugs_with_a_registry() -> None:
    tiles = default_registry()
    request = agent_from_yaml(TEXT, tiles)
    assert request.graph is not None
    assert (
        request.graph.nodes[1].node_type_id
        == next(t for t in tiles.all() if t.slug == "trim").type_id
    )


@pytest.mark.parametrize(
    "text",
    [
        "name: [unclosed",
        "nodes: []",
        "name: x\nnodes: [{id: a}]",
        "name: x\nsurprise: 1",
        "name: x\nedges: [[a, b, c]]",
    ],
)
def test_refuses_bad_files_with_a_reason(text: str) -> None:
    with pytest.raises(ValidationError):
        agent_from_yaml(text)


def test_round_trips_an_agent_view() -> None:
    when = datetime(2025, 1, 1, tzinfo=UTC)
    trim = NodeTypeRef(
        node_type_id="t-id", node_type_name="Trim", docs_url=None, params_docs_url=None, slug="trim"
    )
    view = AgentView(
        agent=AgentMeta(
            id="a",
            name="Two trims",
            description="",
            visibility="private",
            created_at=when,
            updated_at=when,
        ),
        agent_nodes=[
            AgentNodeView(agent_node_id="n1", node_type=trim, params_used={"start_seconds": 1}),
            AgentNodeView(agent_node_id="n2", node_type=trim, params_used={}),
        ],
        connections=[ConnectionView(source_agent_node_id="n1", target_agent_node_id="n2")],
    )
    text = agent_to_yaml(view)
    request = agent_from_yaml(text)
    assert request.name == "Two trims"
    assert request.graph is not None
    assert [(n.temp_ref_id, n.node_type_id, n.params_used) for n in request.graph.nodes] == [
        ("trim", "t-id", {"start_seconds": 1}),
        ("trim-2", "t-id", {}),
    ]
    assert [(c.source_temp_ref_id, c.target_temp_ref_id) for c in request.graph.connections] == [
        ("trim", "trim-2")
    ]
