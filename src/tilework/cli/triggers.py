"""``tilework triggers``: YouTube channels and cron schedules that start runs, firing now, and
each trigger's ledger. (A trigger's runs: ``tilework runs list --trigger ID``.)"""

from __future__ import annotations

from typing import Annotated, Any

import typer

from tilework.cli.common import (
    DEFAULT_SERVER,
    ApiKeyOption,
    CLIError,
    JsonOption,
    ServerOption,
    err,
    handle_errors,
    make_client,
)
from tilework.cli.output import emit, fields, styled, table, text, when
from tilework.cli.run import IgnoreOption, ParamOption, RenderOption, VideoOption, run_inputs
from tilework.sdk.models import Trigger

triggers_app = typer.Typer(help="Triggers: YouTube channels and schedules that start runs.")
AgentArgument = Annotated[str, typer.Argument(help="Agent id.", show_default=False)]
TriggerArgument = Annotated[str, typer.Argument(help="Trigger id.", show_default=False)]
ChannelsArgument = Annotated[
    list[str], typer.Argument(help="Channel ids (UC…), channel URLs or @handles.")
]
CallbackOption = Annotated[
    str | None, typer.Option("--callback-url", help="Webhook target of the runs it starts.")
]


@triggers_app.command("list")
def list_triggers(
    ctx: typer.Context,
    agent_id: AgentArgument,
    server: ServerOption = DEFAULT_SERVER,
    api_key: ApiKeyOption = None,
    as_json: JsonOption = False,
) -> None:
    """The agent's live triggers."""
    with handle_errors(), make_client(ctx, server, api_key) as client:
        found = client.triggers.list(agent_id)
    rows = ((t.id, t.type, text(_what(t)), text(t.callback_url)) for t in found)
    emit(found, as_json, lambda: table("id", "type", "watches", "callback", rows=rows))


def _what(trigger: Trigger) -> str:
    if trigger.type == "youtube":
        return ", ".join(trigger.youtube_channels)
    return f"{trigger.cron} ({trigger.timezone}), next {when(trigger.next_fire_at)}"


@triggers_app.command("show")
def show_trigger(
    ctx: typer.Context,
    trigger_id: TriggerArgument,
    server: ServerOption = DEFAULT_SERVER,
    api_key: ApiKeyOption = None,
    as_json: JsonOption = False,
) -> None:
    """One trigger (removed ones too: their runs stay listed)."""
    with handle_errors(), make_client(ctx, server, api_key) as client:
        found = client.triggers.get(trigger_id)
    pairs = [
        ("id", found.id),
        ("type", found.type),
        ("agent", text(found.agent_id)),
        ("watches", text(_what(found))),
        ("callback", text(found.callback_url)),
        ("removed", when(found.removed_at)),
    ]
    emit(found, as_json, lambda: fields(pairs))


@triggers_app.command("add-channels")
def add_channels(
    ctx: typer.Context,
    agent_id: AgentArgument,
    channels: ChannelsArgument,
    callback_url: CallbackOption = None,
    clear_callback: Annotated[
        bool, typer.Option("--clear-callback", help="Remove the trigger's callback URL.")
    ] = False,
    min_seconds: Annotated[int | None, typer.Option(help="Skip shorter videos.")] = None,
    max_seconds: Annotated[int | None, typer.Option(help="Skip longer videos.")] = None,
    backfill: Annotated[
        int | None, typer.Option(help="Also run each new channel's N newest videos (0-15).")
    ] = None,
    server: ServerOption = DEFAULT_SERVER,
    api_key: ApiKeyOption = None,
    as_json: JsonOption = False,
) -> None:
    """Watch YouTube channels: each new upload starts one run of the agent."""
    with handle_errors(), make_client(ctx, server, api_key) as client:
        if clear_callback and callback_url:
            raise CLIError("give --callback-url or --clear-callback, not both")
        options: dict[str, Any] = {"min_seconds": min_seconds, "max_seconds": max_seconds}
        if clear_callback or callback_url:
            options["callback_url"] = callback_url
        found = client.triggers.add_youtube_channels(
            agent_id, channels, backfill=backfill, **options
        )
    emit(found, as_json, lambda: typer.echo(found.id))


@triggers_app.command("remove-channels")
def remove_channels(
    ctx: typer.Context,
    agent_id: AgentArgument,
    channels: ChannelsArgument,
    server: ServerOption = DEFAULT_SERVER,
    api_key: ApiKeyOption = None,
    as_json: JsonOption = False,
) -> None:
    """Stop watching channels (a trigger left with none is removed)."""
    with handle_errors(), make_client(ctx, server, api_key) as client:
        result = client.triggers.remove_youtube_channels(agent_id, channels)
    removed = ", ".join(result.removed_channels) or "nothing"
    emit(result, as_json, lambda: err.print(f"Removed {removed}"))


@triggers_app.command("add-schedule")
def add_schedule(
    ctx: typer.Context,
    agent_id: AgentArgument,
    cron: Annotated[str, typer.Option(help="Five-field cron, e.g. '0 9 * * 1-5'.")],
    timezone: Annotated[str, typer.Option(help="IANA time zone the cron is read in.")] = "UTC",
    video: VideoOption = None,
    render_id: RenderOption = None,
    param: ParamOption = None,
    ignore_node: IgnoreOption = None,
    callback_url: CallbackOption = None,
    server: ServerOption = DEFAULT_SERVER,
    api_key: ApiKeyOption = None,
    as_json: JsonOption = False,
) -> None:
    """Run the agent on these inputs at every firing of CRON (local files are uploaded once)."""
    with handle_errors(), make_client(ctx, server, api_key) as client:
        inputs = run_inputs(client, video, render_id, param, ignore_node)
        found = client.triggers.add_schedule(
            agent_id, cron, timezone=timezone, callback_url=callback_url, **inputs
        )
    emit(found, as_json, lambda: typer.echo(found.id))


@triggers_app.command("remove")
def remove_trigger(
    ctx: typer.Context,
    trigger_id: TriggerArgument,
    server: ServerOption = DEFAULT_SERVER,
    api_key: ApiKeyOption = None,
    as_json: JsonOption = False,
) -> None:
    """Stop a trigger; its runs and ledger stay readable."""
    with handle_errors(), make_client(ctx, server, api_key) as client:
        result = client.triggers.delete(trigger_id)
    emit(result, as_json, lambda: err.print(f"Removed trigger {trigger_id}"))


@triggers_app.command("fire")
def fire_trigger(
    ctx: typer.Context,
    trigger_id: TriggerArgument,
    video: VideoOption = None,
    render_id: RenderOption = None,
    server: ServerOption = DEFAULT_SERVER,
    api_key: ApiKeyOption = None,
    as_json: JsonOption = False,
) -> None:
    """Start a manual run now (with --video: these inputs instead of the stored ones)."""
    with handle_errors(), make_client(ctx, server, api_key) as client:
        inputs = run_inputs(client, video, render_id, None, None) if video or render_id else {}
        fired = client.triggers.fire(trigger_id, **inputs)
    emit(fired, as_json, lambda: typer.echo(fired.run_id))


@triggers_app.command("events")
def trigger_events(
    ctx: typer.Context,
    trigger_id: TriggerArgument,
    limit: Annotated[int, typer.Option(min=1, max=100, help="Newest entries to show.")] = 25,
    server: ServerOption = DEFAULT_SERVER,
    api_key: ApiKeyOption = None,
    as_json: JsonOption = False,
) -> None:
    """The trigger's ledger: each video or firing seen, and what became of it."""
    with handle_errors(), make_client(ctx, server, api_key) as client:
        page = client.triggers.events(trigger_id, limit=limit)
    rows = (
        (e.key, styled(e.status, e.reason), text(e.run_id), when(e.created_at)) for e in page.events
    )
    emit(page.events, as_json, lambda: table("key", "status", "run", "seen", rows=rows))
