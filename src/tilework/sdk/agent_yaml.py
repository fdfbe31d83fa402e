"""Agents as YAML files, converted to and from the HTTP API's shapes without touching the network.

The file format::

    name: Trim and render
    description: optional text
    nodes:
      - {id: input, type: video-input}
      - {id: cut, type: trim, params: {start_seconds: 1, end_seconds: 4}}
    edges:
      - [input, cut]

``id`` is a local reference (it becomes the graph's ``temp_ref_id``); ``type`` is a node type id
or a slug, resolved against ``GET /node_types`` (its ``slug`` field when present, else the
slugified ``node_type_name``).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

import yaml

_TOP_KEYS = {"name", "description", "visibility", "nodes", "edges"}
_NODE_KEYS = {"id", "type", "params"}
_UUID = re.compile(r"^[0-9a-fA-F]{8}-([0-9a-fA-F]{4}-){3}[0-9a-fA-F]{12}$")


class AgentYamlError(ValueError):
    """The YAML does not describe a valid agent (message says where)."""


@dataclass(frozen=True)
class NodeSpec:
    ref: str
    type: str
    params: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class AgentSpec:
    name: str
    nodes: list[NodeSpec]
    edges: list[tuple[str, str]]
    description: str = ""
    visibility: str | None = None


def slugify(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")


def parse_agent_yaml(text: str) -> AgentSpec:
    try:
        doc = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise AgentYamlError(f"not valid YAML: {exc}") from exc
    if not isinstance(doc, dict):
        raise AgentYamlError("the file must be a mapping with name, nodes and edges")
    _reject_unknown(doc, _TOP_KEYS, "the agent")
    name = doc.get("name")
    if not isinstance(name, str) or not name.strip():
        raise AgentYamlError("'name' is required and must be text")
    nodes = _parse_nodes(doc.get("nodes"))
    edges = _parse_edges(doc.get("edges") or [], {node.ref for node in nodes})
    visibility = doc.get("visibility")
    return AgentSpec(
        name=name,
        nodes=nodes,
        edges=edges,
        description=str(doc.get("description") or ""),
        visibility=None if visibility is None else str(visibility),
    )


def _reject_unknown(mapping: Mapping[Any, Any], allowed: set[str], where: str) -> None:
    unknown = sorted(str(key) for key in mapping if key not in allowed)
    if unknown:
        raise AgentYamlError(f"unknown key(s) in {where}: {', '.join(unknown)}")


def _parse_nodes(raw: Any) -> list[NodeSpec]:
    if not isinstance(raw, list) or not raw:
        raise AgentYamlError("'nodes' must be a non-empty list")
    nodes: list[NodeSpec] = []
    for index, item in enumerate(raw):
        where = f"nodes[{index}]"
        if not isinstance(item, dict):
            raise AgentYamlError(f"{where} must be a mapping with id, type and params")
        _reject_unknown(item, _NODE_KEYS, where)
        ref, type_ref, params = item.get("id"), item.get("type"), item.get("params") or {}
        if ref is None or isinstance(ref, (dict, list)) or not str(ref).strip():
            raise AgentYamlError(f"{where} needs an 'id'")
        if not isinstance(type_ref, str) or not type_ref.strip():
            raise AgentYamlError(f"{where} needs a 'type'")
        if not isinstance(params, dict):
            raise AgentYamlError(f"{where}.params must be a mapping")
        nodes.append(NodeSpec(ref=str(ref), type=type_ref.strip(), params=params))
    seen: set[str] = set()
    for node in nodes:
        if node.ref in seen:
            raise AgentYamlError(f"node id '{node.ref}' is used twice")
        seen.add(node.ref)
    return nodes


def _parse_edges(raw: Any, refs: set[str]) -> list[tuple[str, str]]:
    if not isinstance(raw, list):
        raise AgentYamlError("'edges' must be a list of [from, to] pairs")
    edges: list[tuple[str, str]] = []
    for index, item in enumerate(raw):
        if not isinstance(item, list) or len(item) != 2:
            raise AgentYamlError(f"edges[{index}] must be a [from, to] pair")
        source, target = str(item[0]), str(item[1])
        for ref in (source, target):
            if ref not in refs:
                raise AgentYamlError(f"edges[{index}] refers to unknown node id '{ref}'")
        if source == target:
            raise AgentYamlError(f"edges[{index}] connects '{source}' to itself")
        edges.append((source, target))
    return edges


def resolve_node_type(type_ref: str, node_types: Iterable[Mapping[str, Any]]) -> str:
    """The ``node_type_id`` that ``type_ref`` (an id, slug or name) names."""
    wanted = type_ref.strip().lower()
    known: list[str] = []
    for node_type in node_types:
        type_id = str(node_type["node_type_id"])
        keys = {type_id.lower(), *_aliases(node_type)}
        if wanted in keys or slugify(type_ref) in keys:
            return type_id
        known.append(node_type_label(node_type))
    if _UUID.match(type_ref):
        return type_ref  # not listed here; the server has the last word
    hint = f" (known: {', '.join(sorted(known))})" if known else ""
    raise AgentYamlError(f"unknown node type '{type_ref}'{hint}")


def _aliases(node_type: Mapping[str, Any]) -> set[str]:
    aliases = set()
    if node_type.get("slug"):
        aliases.add(str(node_type["slug"]).lower())
    if node_type.get("node_type_name"):
        aliases.add(slugify(str(node_type["node_type_name"])))
        aliases.add(str(node_type["node_type_name"]).lower())
    return aliases


def node_type_label(node_type: Mapping[str, Any]) -> str:
    """The short name a YAML file uses for a node type: its slug, else its slugified name."""
    if node_type.get("slug"):
        return str(node_type["slug"])
    if node_type.get("node_type_name"):
        return slugify(str(node_type["node_type_name"]))
    return str(node_type["node_type_id"])


def build_create_request(
    spec: AgentSpec, node_types: Iterable[Mapping[str, Any]]
) -> dict[str, Any]:
    """The body of ``POST /agent/create`` (with the [ext] ``graph``) for ``spec``."""
    catalogue = list(node_types)
    graph = {
        "nodes": [
            {
                "temp_ref_id": node.ref,
                "node_type_id": resolve_node_type(node.type, catalogue),
                "params_used": node.params,
            }
            for node in spec.nodes
        ],
        "connections": [
            {"source_temp_ref_id": source, "target_temp_ref_id": target}
            for source, target in spec.edges
        ],
    }
    body: dict[str, Any] = {"name": spec.name, "description": spec.description, "graph": graph}
    if spec.visibility is not None:
        body["visibility"] = spec.visibility
    return body


def agent_to_yaml(agent: Mapping[str, Any], node_types: Iterable[Mapping[str, Any]] = ()) -> str:
    """YAML for a ``GET /agent/{id}`` answer; node ids become readable local references."""
    by_id = {str(node_type["node_type_id"]): node_type for node_type in node_types}
    refs: dict[str, str] = {}
    nodes: list[dict[str, Any]] = []
    for node in agent.get("agent_nodes", []):
        node_type = node.get("node_type") or {}
        type_id = str(node_type.get("node_type_id", ""))
        label = node_type_label(by_id.get(type_id) or node_type)
        ref = _unique(label, set(refs.values()))
        refs[str(node["agent_node_id"])] = ref
        nodes.append({"id": ref, "type": label, "params": dict(node.get("params_used") or {})})
    edges = [
        [refs[str(edge["source_agent_node_id"])], refs[str(edge["target_agent_node_id"])]]
        for edge in agent.get("connections", [])
    ]
    meta = agent.get("agent") or {}
    doc: dict[str, Any] = {
        "name": meta.get("name", ""),
        "description": meta.get("description") or "",
    }
    if meta.get("visibility"):
        doc["visibility"] = meta["visibility"]
    doc.update(nodes=nodes, edges=edges)
    return yaml.safe_dump(doc, sort_keys=False, allow_unicode=True, default_flow_style=None)


def _unique(base: str, taken: set[str]) -> str:
    candidate, counter = base, 2
    while candidate in taken:
        candidate, counter = f"{base}-{counter}", counter + 1
    return candidate
