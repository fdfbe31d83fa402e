"""``tilework agents``: import an agent from YAML, export one to YAML, list them."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer
from rich.markup import escape
from rich.table import Table

from tilework.cli.common import (
    ApiKeyOption,
    JsonOption,
    ServerOption,
    err,
    handle_errors,
    make_client,
    out,
    print_json,
)

agents_app = typer.Typer(help="Create agents from YAML files and export them back.")


@agents_app.command("import")
def import_agent(
    ctx: typer.Context,
    file: Annotated[Path, typer.Argument(help="Agent YAML file.", show_default=False)],
    server: ServerOption = "http://127.0.0.1:8000",
    api_key: ApiKeyOption = None,
    as_json: JsonOption = False,
) -> None:
    """Create an agent from FILE; prints the new agent id."""
    with handle_errors():
        text = file.read_text(encoding="utf-8")
        with make_client(ctx, server, api_key) as client:
            created = client.create_agent_from_yaml(text)
    agent_id = agent_id_of(created)
    if as_json:
        print_json({"agent_id": agent_id})
        return
    name = (created.get("agent") or {}).get("name", "")
    count = len(created.get("agent_nodes") or [])
    err.print(f"Created agent [bold]{escape(str(name))}[/] with {count} nodes")
    typer.echo(agent_id)


@agents_app.command("export")
def export_agent(
    ctx: typer.Context,
    agent_id: Annotated[str, typer.Argument(help="Agent id.", show_default=False)],
    output: Annotated[
        Path | None, typer.Option("-o", "--output", help="Write to this file instead of stdout.")
    ] = None,
    server: ServerOption = "http://127.0.0.1:8000",
    api_key: ApiKeyOption = None,
) -> None:
    """Print an agent as YAML (the format `agents import` reads)."""
    with handle_errors():
        with make_client(ctx, server, api_key) as client:
            text = client.export_agent_yaml(agent_id)
        if output is None:
            typer.echo(text, nl=False)
            return
        output.write_text(text, encoding="utf-8")
    err.print(f"Wrote {escape(str(output))}")


@agents_app.command("list")
def list_agents(
    ctx: typer.Context,
    server: ServerOption = "http://127.0.0.1:8000",
    api_key: ApiKeyOption = None,
    as_json: JsonOption = False,
) -> None:
    """List the organization's agents (first 100)."""
    with handle_errors(), make_client(ctx, server, api_key) as client:
        agents = client.list_agents(limit=100).get("agents", [])
    if as_json:
        print_json(agents)
        return
    table = Table("id", "name", "updated")
    for agent in agents:
        table.add_row(agent["id"], escape(str(agent.get("name", ""))), agent.get("updated_at"))
    out.print(table)


def agent_id_of(created: dict[str, Any]) -> str:
    """The id in a create answer: ``{agent: {id}}`` (GET shape) or a flat ``id``/``agent_id``."""
    agent = created.get("agent")
    if isinstance(agent, dict) and agent.get("id"):
        return str(agent["id"])
    return str(created.get("agent_id") or created["id"])
