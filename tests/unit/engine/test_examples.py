"""Every example agent in ``examples/agents`` is valid against the tiles Tilework ships."""

from __future__ import annotations

from pathlib import Path

import pytest

from tilework.engine.preview import plan_from_spec
from tilework.sdk.agent_yaml import parse_agent_yaml
from tilework.tiles.registry import default_registry

EXAMPLES = sorted((Path(__file__).resolve().parents[3] / "examples" / "agents").glob("*.yaml"))


def test_the_issue_s_examples_are_there() -> None:
    names = {path.name for path in EXAMPLES}
    assert {"shorts.yaml", "podcast-cleanup.yaml", "captions-only.yaml"} <= names


@pytest.mark.parametrize("path", EXAMPLES, ids=lambda path: path.stem)
def test_example_agent_compiles_with_its_params(path: Path) -> None:
    spec = parse_agent_yaml(path.read_text(encoding="utf-8"))
    nodes, edges = plan_from_spec(spec, default_registry())  # unknown type or param raises
    assert len(nodes) == len(spec.nodes) and len(edges) == len(spec.edges)
    assert nodes[0].is_input
