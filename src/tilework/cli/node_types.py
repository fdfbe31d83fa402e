"""``tilework node-types``: the tiles this server offers and their parameters."""

from __future__ import annotations

from typing import Annotated, Any

import typer

from tilework.cli.common import (
    DEFAULT_SERVER,
    ApiKeyOption,
    JsonOption,
    ServerOption,
    handle_errors,
    make_client,
)
from tilework.cli.output import emit, fields, table, text

node_types_app = typer.Typer(help="The tiles agents are made of, and their parameters.")


@node_types_app.command("list")
def list_node_types(
    ctx: typer.Context,
    server: ServerOption = DEFAULT_SERVER,
    api_key: ApiKeyOption = None,
    as_json: JsonOption = False,
) -> None:
    """Every node type: id, name and the short name agent YAML files use."""
    with handle_errors(), make_client(ctx, server, api_key) as client:
        types = client.node_types.list()
    rows = ((t.node_type_id, text(t.node_type_name), text(t.slug)) for t in types)
    emit(types, as_json, lambda: table("id", "name", "yaml type", rows=rows))


@node_types_app.command("show")
def show_node_type(
    ctx: typer.Context,
    node_type: Annotated[str, typer.Argument(help="Node type id.", show_default=False)],
    server: ServerOption = DEFAULT_SERVER,
    api_key: ApiKeyOption = None,
    as_json: JsonOption = False,
) -> None:
    """One node type and its parameters (from its JSON Schema)."""
    with handle_errors(), make_client(ctx, server, api_key) as client:
        detail = client.node_types.get(node_type)
    properties: dict[str, Any] = detail.params_schema.get("properties", {})

    def show() -> None:
        fields([("id", detail.node_type_id), ("name", text(detail.node_type_name))])
        table(
            "parameter",
            "type",
            "default",
            "description",
            rows=(
                (name, text(_type(p)), text(p.get("default")), text(p.get("description")))
                for name, p in properties.items()
            ),
        )

    emit(detail, as_json, show)


def _type(prop: dict[str, Any]) -> str:
    if "enum" in prop:
        return " | ".join(str(v) for v in prop["enum"])
    if "anyOf" in prop:
        return " | ".join(str(p.get("type", p.get("const", "?"))) for p in prop["anyOf"])
    return str(prop.get("type", ""))
