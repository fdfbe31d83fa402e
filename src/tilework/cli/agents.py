"""``tilework agents``: list, show, import/export YAML, update, duplicate, delete, run, estimate."""

from __future__ import annotations

from itertools import islice
from pathlib import Path
from typing import Annotated, Any

import typer
import yaml
from pydantic import TypeAdapter, ValidationError
from rich.markup import escape

from tilework.cli.common import (
    DEFAULT_SERVER,
    AllOption,
    ApiKeyOption,
    CLIError,
    JsonOption,
    LimitOption,
    ServerOption,
    err,
    handle_errors,
    make_client,
    print_json,
)
from tilework.cli.output import emit, fields, table, text, when
from tilework.cli.run import estimate, run
from tilework.sdk.models import Agent, Operation, ShareState

agents_app = typer.Typer(help="Agents: list, show, import and export YAML, change, run.")
AgentArgument = Annotated[str, typer.Argument(help="Agent id.", show_default=False)]
NameOption = Annotated[str | None, typer.Option(help="New name.")]
_OPERATIONS: TypeAdapter[list[Operation]] = TypeAdapter(list[Operation])


@agents_app.command("list")
def list_agents(
    ctx: typer.Context,
    limit: LimitOption = 50,
    every: AllOption = False,
    server: ServerOption = DEFAULT_SERVER,
    api_key: ApiKeyOption = None,
    as_json: JsonOption = False,
) -> None:
    """The organization's agents, newest first."""
    with handle_errors(), make_client(ctx, server, api_key) as client:
        found = client.agents.iterate(page_size=100 if every else min(limit, 100))
        agents = list(found if every else islice(found, limit))
    rows = ((a.id, text(a.name), when(a.updated_at)) for a in agents)
    emit(agents, as_json, lambda: table("id", "name", "updated", rows=rows))


@agents_app.command("show")
def show_agent(
    ctx: typer.Context,
    agent_id: AgentArgument,
    server: ServerOption = DEFAULT_SERVER,
    api_key: ApiKeyOption = None,
    as_json: JsonOption = False,
) -> None:
    """An agent: its nodes (with their parameters) and connections."""
    with handle_errors(), make_client(ctx, server, api_key) as client:
        agent = client.agents.get(agent_id)
    emit(agent, as_json, lambda: _show(agent))


def _show(agent: Agent) -> None:
    meta = agent.agent
    fields(
        [
            ("id", meta.id),
            ("name", text(meta.name)),
            ("description", text(meta.description)),
            ("visibility", meta.visibility),
            ("updated", when(meta.updated_at)),
        ]
    )
    names = {n.agent_node_id: n.node_type.node_type_name for n in agent.agent_nodes}
    table(
        "node id",
        "type",
        "params",
        rows=(
            (n.agent_node_id, text(n.node_type.node_type_name), text(_flow(n.params_used)))
            for n in agent.agent_nodes
        ),
    )
    for edge in agent.connections:
        source, target = edge.source_agent_node_id, edge.target_agent_node_id
        typer.echo(
            f"  {names.get(source, source)} ({source[:8]}) -> "
            f"{names.get(target, target)} ({target[:8]})"
        )


def _flow(params: dict[str, Any]) -> str:
    return (
        yaml.safe_dump(params, default_flow_style=True, sort_keys=False).strip() if params else ""
    )


@agents_app.command("import")
def import_agent(
    ctx: typer.Context,
    file: Annotated[Path, typer.Argument(help="Agent YAML file.", show_default=False)],
    server: ServerOption = DEFAULT_SERVER,
    api_key: ApiKeyOption = None,
    as_json: JsonOption = False,
) -> None:
    """Create an agent from FILE; prints the new agent id."""
    with handle_errors():
        source = file.read_text(encoding="utf-8")
        with make_client(ctx, server, api_key) as client:
            created = client.agents.import_yaml(source)
    if as_json:
        print_json({"agent_id": created.id, **created.model_dump(mode="json")})
        return
    count = len(created.agent_nodes)
    err.print(f"Created agent [bold]{escape(created.agent.name)}[/] with {count} nodes")
    typer.echo(created.id)


@agents_app.command("export")
def export_agent(
    ctx: typer.Context,
    agent_id: AgentArgument,
    output: Annotated[
        Path | None, typer.Option("-o", "--output", help="Write to this file instead of stdout.")
    ] = None,
    server: ServerOption = DEFAULT_SERVER,
    api_key: ApiKeyOption = None,
    as_json: JsonOption = False,
) -> None:
    """Print an agent as YAML (the format `agents import` reads)."""
    with handle_errors():
        with make_client(ctx, server, api_key) as client:
            source = client.agents.export_yaml(agent_id)
        if output is not None:
            output.write_text(source, encoding="utf-8")
    if as_json:
        print_json({"agent_id": agent_id, "yaml": source, "path": output and str(output)})
    elif output is None:
        typer.echo(source, nl=False)
    else:
        err.print(f"Wrote {escape(str(output))}")


@agents_app.command("update")
def update_agent(
    ctx: typer.Context,
    agent_id: AgentArgument,
    name: NameOption = None,
    description: Annotated[str | None, typer.Option(help="New description.")] = None,
    visibility: Annotated[str | None, typer.Option(help="public or private.")] = None,
    operations: Annotated[
        Path | None,
        typer.Option(help="YAML/JSON file: a list of graph operations, applied atomically."),
    ] = None,
    server: ServerOption = DEFAULT_SERVER,
    api_key: ApiKeyOption = None,
    as_json: JsonOption = False,
) -> None:
    """Rename, describe, or edit the graph (create/update/delete nodes and connections)."""
    with handle_errors():
        ops = _read_operations(operations) if operations is not None else None
        if visibility not in (None, "public", "private"):
            raise CLIError("--visibility must be public or private")
        with make_client(ctx, server, api_key) as client:
            changed = client.agents.update(
                agent_id,
                name=name,
                description=description,
                visibility=visibility,  # type: ignore[arg-type]  # checked above
                operations=ops,
            )
    emit(changed, as_json, lambda: _show(changed))


def _read_operations(path: Path) -> list[Operation]:
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8"))
        return _OPERATIONS.validate_python(raw)
    except (yaml.YAMLError, ValidationError) as exc:
        first = str(exc).splitlines()[0:3]
        raise CLIError(f"invalid operations file {path}: {' '.join(first)}") from None


@agents_app.command("duplicate")
def duplicate_agent(
    ctx: typer.Context,
    agent_id: AgentArgument,
    name: Annotated[str | None, typer.Option(help="Name of the copy (default: Copy of …).")] = None,
    server: ServerOption = DEFAULT_SERVER,
    api_key: ApiKeyOption = None,
    as_json: JsonOption = False,
) -> None:
    """Copy an agent; prints the copy's id."""
    with handle_errors(), make_client(ctx, server, api_key) as client:
        copy = client.agents.duplicate(agent_id, name=name)
    emit(copy, as_json, lambda: typer.echo(copy.id))


@agents_app.command("delete")
def delete_agent(
    ctx: typer.Context,
    agent_id: AgentArgument,
    server: ServerOption = DEFAULT_SERVER,
    api_key: ApiKeyOption = None,
    as_json: JsonOption = False,
) -> None:
    """Delete an agent (its runs keep working and stay readable)."""
    with handle_errors(), make_client(ctx, server, api_key) as client:
        deleted = client.agents.delete(agent_id)
    emit(deleted, as_json, lambda: err.print(f"Deleted agent {agent_id}"))


@agents_app.command("node")
def show_node(
    ctx: typer.Context,
    agent_node_id: Annotated[str, typer.Argument(help="Agent node id.", show_default=False)],
    server: ServerOption = DEFAULT_SERVER,
    api_key: ApiKeyOption = None,
    as_json: JsonOption = False,
) -> None:
    """One node of an agent: its type and parameters."""
    with handle_errors(), make_client(ctx, server, api_key) as client:
        node = client.agents.node(agent_node_id)
    pairs = [
        ("node id", node.agent_node_id),
        ("type", text(node.node_type.node_type_name)),
        ("params", text(_flow(node.params_used))),
    ]
    emit(node, as_json, lambda: fields(pairs))


def _show_share(state: ShareState) -> None:
    pairs = [
        ("agent id", state.agent_id),
        ("name", text(state.name)),
        ("share url", state.share_url or "(not shared)"),
        ("run id", state.run_id or ""),
    ]
    fields(pairs)


@agents_app.command("share")
def share_agent(
    ctx: typer.Context,
    agent_id: AgentArgument,
    run_id: Annotated[
        str | None, typer.Option("--run", help="A finished run whose outputs the page shows.")
    ] = None,
    name: Annotated[str | None, typer.Option(help="Title of the shared page.")] = None,
    duplicate: Annotated[
        bool, typer.Option(help="Share a copy; the original stays private and editable.")
    ] = False,
    server: ServerOption = DEFAULT_SERVER,
    api_key: ApiKeyOption = None,
    as_json: JsonOption = False,
) -> None:
    """Publish a read-only page of the agent (and a run's outputs) behind a public link."""
    with handle_errors(), make_client(ctx, server, api_key) as client:
        state = client.agents.share(agent_id, run_id=run_id, name=name, duplicate=duplicate)
    emit(state, as_json, lambda: typer.echo(state.share_url))


@agents_app.command("share-status")
def share_status(
    ctx: typer.Context,
    agent_id: AgentArgument,
    server: ServerOption = DEFAULT_SERVER,
    api_key: ApiKeyOption = None,
    as_json: JsonOption = False,
) -> None:
    """Whether the agent is shared, and its public link."""
    with handle_errors(), make_client(ctx, server, api_key) as client:
        state = client.agents.share_state(agent_id)
    emit(state, as_json, lambda: _show_share(state))


@agents_app.command("unshare")
def unshare_agent(
    ctx: typer.Context,
    agent_id: AgentArgument,
    server: ServerOption = DEFAULT_SERVER,
    api_key: ApiKeyOption = None,
    as_json: JsonOption = False,
) -> None:
    """Revoke the agent's public link at once and for good."""
    with handle_errors(), make_client(ctx, server, api_key) as client:
        state = client.agents.unshare(agent_id)
    emit(state, as_json, lambda: err.print(f"Link of agent {agent_id} revoked"))


agents_app.command("run")(run)
agents_app.command("estimate")(estimate)
