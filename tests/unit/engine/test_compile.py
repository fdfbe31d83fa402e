"""Compiling an agent template into a run graph: overrides, ignored nodes, validation."""

from __future__ import annotations

import pytest

from tilework.engine.compile import TemplateNode, compile_plan
from tilework.errors import ValidationError
from tilework.tiles.registry import default_registry
from tilework.tiles.render import RENDER_TYPE_ID
from tilework.tiles.trim import TRIM_TYPE_ID
from tilework.tiles.video_input import VIDEO_INPUT_TYPE_ID

TILES = default_registry()
NODES = [
    TemplateNode("in", VIDEO_INPUT_TYPE_ID, {}),
    TemplateNode("t1", TRIM_TYPE_ID, {"start_seconds": 1}),
    TemplateNode("t2", TRIM_TYPE_ID, {}),
    TemplateNode("out", RENDER_TYPE_ID, {"resolution": "480p"}),
]
EDGES = [("in", "t1"), ("t1", "t2"), ("t2", "out")]


def test_plain_plan_is_topological_and_marks_inputs() -> None:
    result = compile_plan(NODES, EDGES, tiles=TILES, update_params={}, ignore_nodes=[])
    assert [n.original_node_id for n in result.nodes] == ["in", "t1", "t2", "out"]
    assert result.input_node_ids == ["in"]
    assert result.edges == EDGES


def test_update_params_merge_over_the_template() -> None:
    result = compile_plan(
        NODES, EDGES, tiles=TILES, update_params={"t1": {"end_seconds": 3}}, ignore_nodes=[]
    )
    assert result.nodes[1].params == {"start_seconds": 1, "end_seconds": 3}


def test_ignored_nodes_are_bypassed_even_in_a_chain() -> None:
    result = compile_plan(NODES, EDGES, tiles=TILES, update_params={}, ignore_nodes=["t1", "t2"])
    assert [n.original_node_id for n in result.nodes] == ["in", "out"]
    assert result.edges == [("in", "out")]


def test_ignoring_fans_parents_out_to_every_child() -> None:
    nodes = [*NODES, TemplateNode("out2", RENDER_TYPE_ID, {})]
    edges = [*EDGES, ("t2", "out2")]
    result = compile_plan(nodes, edges, tiles=TILES, update_params={}, ignore_nodes=["t2"])
    assert sorted(result.edges) == [("in", "t1"), ("t1", "out"), ("t1", "out2")]


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"update_params": {"nope": {}}}, "unknown agent_node_id nope"),
        ({"ignore_nodes": ["nope"]}, "unknown agent_node_id nope"),
        ({"ignore_nodes": ["in"]}, "Video Input node"),
        ({"update_params": {"t1": {"bogus": 1}}}, "bogus"),
        ({"update_params": {"t1": {"start_seconds": -1}}}, "start_seconds"),
    ],
)
def test_bad_overrides_are_refused(kwargs: dict[str, object], message: str) -> None:
    options: dict[str, object] = {"update_params": {}, "ignore_nodes": []} | kwargs
    with pytest.raises(ValidationError, match=message):
        compile_plan(NODES, EDGES, tiles=TILES, **options)  # type: ignore[arg-type]


def test_a_cycle_is_refused() -> None:
    with pytest.raises(ValidationError, match="cycle"):
        compile_plan(NODES, [*EDGES, ("out", "t1")], tiles=TILES, update_params={}, ignore_nodes=[])
