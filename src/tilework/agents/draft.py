"""An agent's graph as an in-memory draft that operations edit; nothing touches the database.

The service loads a draft, applies every operation here (each one validated as it goes), checks
the result is acyclic, and only then writes the difference. So a bad operation anywhere in the
list changes nothing.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from pydantic import ValidationError as PydanticValidationError

from tilework.agents.graph import find_cycle
from tilework.agents.schemas import (
    CreateConnectionOp,
    CreateNodeOp,
    DeleteConnectionOp,
    DeleteNodeOp,
    GraphIn,
    Operation,
    UpdateNodeOp,
)
from tilework.db.tables import new_id
from tilework.errors import NotFoundError, ValidationError
from tilework.tiles.base import Tile
from tilework.tiles.registry import TileRegistry

Edge = tuple[str, str]


@dataclass
class DraftNode:
    id: str
    node_type_id: str
    params: dict[str, Any]
    position: int


@dataclass
class Draft:
    nodes: dict[str, DraftNode] = field(default_factory=dict)  # in position order
    edges: list[Edge] = field(default_factory=list)
    created: dict[str, str] = field(default_factory=dict)  # temp_ref_id -> agent_node_id


class DraftEditor:
    """Applies operations to a draft, validating node types, params and references."""

    def __init__(self, tiles: TileRegistry, draft: Draft) -> None:
        self.tiles = tiles
        self.draft = draft

    def apply_all(self, operations: Sequence[Operation]) -> None:
        for index, operation in enumerate(operations):
            with _located(f"operations[{index}]"):
                self.apply(operation)
        self.check_acyclic()

    def apply_graph(self, graph: GraphIn) -> None:
        for index, node in enumerate(graph.nodes):
            with _located(f"graph.nodes[{index}]"):
                self.create_node(node.node_type_id, node.temp_ref_id, node.params_used)
        for index, edge in enumerate(graph.connections):
            with _located(f"graph.connections[{index}]"):
                self.connect(
                    self.ref(temp_ref_id=edge.source_temp_ref_id),
                    self.ref(temp_ref_id=edge.target_temp_ref_id),
                )
        self.check_acyclic()

    def apply(self, operation: Operation) -> None:
        match operation:
            case CreateNodeOp():
                self.create_node(
                    operation.node_type_id, operation.temp_ref_id, operation.params_used
                )
            case UpdateNodeOp():
                self.update_node(operation.agent_node_id, operation.params_used)
            case DeleteNodeOp():
                self.delete_node(operation.agent_node_id)
            case CreateConnectionOp():
                self.connect(*self.ends(operation))
            case DeleteConnectionOp():
                self.disconnect(*self.ends(operation))

    # --- nodes -----------------------------------------------------------------------------

    def create_node(self, type_ref: str, temp_ref_id: str | None, params: dict[str, Any]) -> str:
        if temp_ref_id is not None and temp_ref_id in self.draft.created:
            raise ValidationError(f"temp_ref_id {temp_ref_id!r} is used twice")
        tile = resolve_tile(self.tiles, type_ref)
        check_params(tile, params)
        position = max((node.position for node in self.draft.nodes.values()), default=-1) + 1
        node = DraftNode(new_id(), tile.type_id, dict(params), position)
        self.draft.nodes[node.id] = node
        if temp_ref_id is not None:
            self.draft.created[temp_ref_id] = node.id
        return node.id

    def update_node(self, node_id: str, params: dict[str, Any]) -> None:
        node = self.node(node_id)
        merged = {**node.params, **params}
        check_params(resolve_tile(self.tiles, node.node_type_id), merged)
        node.params = merged

    def delete_node(self, node_id: str) -> None:
        self.node(node_id)
        del self.draft.nodes[node_id]
        self.draft.edges = [edge for edge in self.draft.edges if node_id not in edge]

    # --- connections -----------------------------------------------------------------------

    def connect(self, source: str, target: str) -> None:
        if (source, target) in self.draft.edges:
            raise ValidationError(f"node {source} is already connected to {target}")
        self.draft.edges.append((source, target))

    def disconnect(self, source: str, target: str) -> None:
        if (source, target) not in self.draft.edges:
            raise ValidationError(f"there is no connection from {source} to {target}")
        self.draft.edges.remove((source, target))

    def ends(self, op: CreateConnectionOp | DeleteConnectionOp) -> Edge:
        with _located("source"):
            source = self.ref(op.source_agent_node_id, op.source_temp_ref_id)
        with _located("target"):
            target = self.ref(op.target_agent_node_id, op.target_temp_ref_id)
        return source, target

    def ref(self, agent_node_id: str | None = None, temp_ref_id: str | None = None) -> str:
        """The node id an end refers to; it must exist in the draft now."""
        if temp_ref_id is not None:
            if temp_ref_id not in self.draft.created:
                raise ValidationError(f"unknown temp_ref_id {temp_ref_id!r}")
            agent_node_id = self.draft.created[temp_ref_id]
        assert agent_node_id is not None  # the request model guarantees one of the two
        return self.node(agent_node_id).id

    def node(self, node_id: str) -> DraftNode:
        if node_id not in self.draft.nodes:
            raise ValidationError(f"node {node_id} is not in this agent")
        return self.draft.nodes[node_id]

    def check_acyclic(self) -> None:
        cycle = find_cycle(list(self.draft.nodes), self.draft.edges)
        if cycle:
            raise ValidationError(f"connections would form a cycle: {' -> '.join(cycle)}")


def resolve_tile(tiles: TileRegistry, type_ref: str) -> Tile:
    """The tile with id ``type_ref``, or [ext] with that slug."""
    try:
        return tiles.get(type_ref)
    except NotFoundError:
        for tile in tiles.all():
            if tile.slug == type_ref:
                return tile
    raise ValidationError(f"unknown node type {type_ref!r}")


def check_params(tile: Tile, params: dict[str, Any]) -> None:
    try:
        tile.parse_params(params)
    except PydanticValidationError as exc:
        raise ValidationError(
            f"params_used for {tile.name}: {describe_errors(exc.errors())}"
        ) from None


def describe_errors(errors: Iterable[Mapping[str, Any]]) -> str:
    """Readable one-liner from pydantic errors (no internals): ``"fps: unknown parameter"``."""
    parts = []
    for error in errors:
        where = ".".join(str(part) for part in error.get("loc", ()))
        message = str(error["msg"]).removeprefix("Value error, ")
        if error.get("type") == "extra_forbidden":
            message = "unknown parameter"
        parts.append(f"{where}: {message}" if where else str(message))
    return "; ".join(parts)


class _Located(ValidationError):
    """A ValidationError whose detail already starts with its location."""


@contextmanager
def _located(where: str) -> Iterator[None]:
    """Prefix a ValidationError raised inside the block with where it happened."""
    try:
        yield
    except _Located as exc:
        raise _Located(f"{where}.{exc.detail}") from None
    except ValidationError as exc:
        raise _Located(f"{where}: {exc.detail}") from None
