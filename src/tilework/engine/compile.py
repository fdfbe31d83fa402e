"""Compile an agent template into a run graph: per-run params, ignored nodes, validation.

Pure functions over a snapshot of the template, so a run keeps working whatever happens to the
agent afterwards (edits, soft delete).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from tilework.agents.graph import find_cycle, topological_order
from tilework.errors import ValidationError
from tilework.tiles.registry import TileRegistry


@dataclass(frozen=True)
class TemplateNode:
    id: str
    node_type_id: str
    params: dict[str, Any]


@dataclass(frozen=True)
class RunPlanNode:
    original_node_id: str
    node_type_id: str
    params: dict[str, Any]
    is_input: bool


@dataclass
class RunPlan:
    nodes: list[RunPlanNode]  # topological order
    edges: list[tuple[str, str]]  # (source original id, target original id)
    input_node_ids: list[str] = field(default_factory=list)


def compile_plan(
    nodes: list[TemplateNode],
    edges: list[tuple[str, str]],
    *,
    tiles: TileRegistry,
    update_params: dict[str, dict[str, Any]],
    ignore_nodes: list[str],
) -> RunPlan:
    by_id = {node.id: node for node in nodes}
    _refuse_unknown_ids(by_id, update_params.keys(), "update_params")
    _refuse_unknown_ids(by_id, ignore_nodes, "ignore_nodes")
    ignored = set(ignore_nodes)
    for node_id in ignored:
        if tiles.get(by_id[node_id].node_type_id).is_input:
            raise ValidationError(
                f"ignore_nodes: {node_id} is a Video Input node and cannot be ignored"
            )
    kept = [node.id for node in nodes if node.id not in ignored]
    run_edges = _rewire(edges, ignored)
    cycle = find_cycle(kept, run_edges)
    if cycle:
        raise ValidationError(f"the agent's graph has a cycle: {' -> '.join(cycle)}")
    plan_nodes = [
        _plan_node(by_id[node_id], update_params.get(node_id, {}), tiles)
        for node_id in topological_order(kept, run_edges)
    ]
    return RunPlan(
        nodes=plan_nodes,
        edges=run_edges,
        input_node_ids=[n.original_node_id for n in plan_nodes if n.is_input],
    )


def _refuse_unknown_ids(by_id: dict[str, TemplateNode], ids: Any, field_name: str) -> None:
    unknown = [node_id for node_id in ids if node_id not in by_id]
    if unknown:
        raise ValidationError(f"{field_name}: unknown agent_node_id {', '.join(unknown)}")


def _rewire(edges: list[tuple[str, str]], ignored: set[str]) -> list[tuple[str, str]]:
    """Drop ignored nodes, connecting each of their parents to each of their children."""
    current = list(dict.fromkeys(edges))
    for node_id in ignored:
        parents = [s for s, t in current if t == node_id]
        children = [t for s, t in current if s == node_id]
        current = [(s, t) for s, t in current if node_id not in (s, t)]
        current += [(p, c) for p in parents for c in children if (p, c) not in current]
    return current


def _plan_node(node: TemplateNode, overrides: dict[str, Any], tiles: TileRegistry) -> RunPlanNode:
    tile = tiles.get(node.node_type_id)
    merged = {**node.params, **overrides}
    try:
        tile.parse_params(merged)
    except Exception as exc:  # pydantic's error text names the bad parameter
        raise ValidationError(f"update_params for node {node.id}: {_short(exc)}") from exc
    return RunPlanNode(
        original_node_id=node.id,
        node_type_id=node.node_type_id,
        params=merged,
        is_input=tile.is_input,
    )


def _short(exc: Exception) -> str:
    from pydantic import ValidationError as PydanticError

    if isinstance(exc, PydanticError):
        return "; ".join(
            f"{'.'.join(str(p) for p in err['loc']) or 'params'}: {err['msg']}"
            for err in exc.errors()
        )
    return str(exc)
