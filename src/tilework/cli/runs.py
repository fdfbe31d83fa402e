"""``tilework runs``: list, show, wait (live progress), events, cancel, resume, download."""

from __future__ import annotations

import re
from itertools import islice
from pathlib import Path
from typing import Annotated

import typer
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
    out,
    print_json,
)
from tilework.cli.output import emit, fields, styled, table, text, when
from tilework.cli.progress import transfer_bar
from tilework.cli.run import follow_to_end, report_finished, show_result
from tilework.sdk import Client, Output, Run
from tilework.sdk.models import NodeStatusCounts, RunNode, RunProgress

runs_app = typer.Typer(help="Runs: list, show, follow live, cancel, resume, download outputs.")
RunArgument = Annotated[str, typer.Argument(help="Run id.", show_default=False)]
_FILES = {
    "video_url": "video.mp4",
    "thumbnail_url": "thumbnail.jpg",
    "premiere_prproj_url": "premiere_timeline.zip",
    "captions_srt_url": "captions.srt",
    "captions_vtt_url": "captions.vtt",
}


@runs_app.command("list")
def list_runs(
    ctx: typer.Context,
    agent: Annotated[str | None, typer.Option(help="Only this agent's runs.")] = None,
    trigger: Annotated[str | None, typer.Option(help="Only this trigger's runs.")] = None,
    status: Annotated[
        str | None, typer.Option(help="Comma list: running, completed, failed …")
    ] = None,
    since: Annotated[
        str | None, typer.Option("--from", help="Created at or after (ISO 8601).")
    ] = None,
    until: Annotated[str | None, typer.Option("--to", help="Created at or before.")] = None,
    limit: LimitOption = 25,
    every: AllOption = False,
    server: ServerOption = DEFAULT_SERVER,
    api_key: ApiKeyOption = None,
    as_json: JsonOption = False,
) -> None:
    """Runs, newest first (all of the organization's, an agent's or a trigger's)."""
    with handle_errors(), make_client(ctx, server, api_key) as client:
        if agent and trigger:
            raise CLIError("give --agent or --trigger, not both")
        found = client.runs.iterate(
            agent_id=agent,
            trigger_id=trigger,
            status=status,
            from_=since,
            to=until,
            page_size=100 if every else min(limit, 100),
        )
        runs = list(found if every else islice(found, limit))
    rows = (
        (
            r.run_id,
            styled(r.status, r.status_message),
            f"{r.node_status_counts.completed}/{_total(r.node_status_counts)}",
            len(r.outputs),
            when(r.started_at),
        )
        for r in runs
    )
    emit(
        runs,
        as_json,
        lambda: table("run", "status", "nodes", "outputs", "started", rows=rows),
    )


def _total(counts: NodeStatusCounts) -> int:
    return counts.completed + counts.in_progress + counts.failed


@runs_app.command("show")
def show_run(
    ctx: typer.Context,
    run_id: RunArgument,
    server: ServerOption = DEFAULT_SERVER,
    api_key: ApiKeyOption = None,
    as_json: JsonOption = False,
) -> None:
    """A run: status, errors, outputs, and each node's status and progress."""
    with handle_errors(), make_client(ctx, server, api_key) as client:
        run = client.runs.get(run_id)
        nodes = client.runs.nodes(run_id)
        progress = client.runs.progress(run_id)
    if as_json:
        print_json({**run.model_dump(mode="json"), "nodes": nodes, "progress": progress})
        return
    fields(
        [
            ("agent", run.agent_id),
            ("started", when(run.started_at)),
            ("triggered by", text((run.triggered_by or {}).get("type"))),
        ]
    )
    _node_table(nodes, progress)
    show_result(run)


def _node_table(nodes: list[RunNode], progress: RunProgress) -> None:
    percent = {p.agent_node_id: p.percent for p in progress.nodes}
    rows = (
        (
            n.agent_node_id[:8],
            text(n.node_type.node_type_name),
            styled(n.status, n.status_message),
            f"{percent.get(n.agent_node_id, 0):.0f}%",
        )
        for n in nodes
    )
    table("node", "type", "status", "progress", rows=rows)


@runs_app.command("wait")
def wait_run(
    ctx: typer.Context,
    run_id: RunArgument,
    server: ServerOption = DEFAULT_SERVER,
    api_key: ApiKeyOption = None,
    as_json: JsonOption = False,
) -> None:
    """Follow a run live until it ends; exits non-zero unless it completed."""
    with handle_errors(), make_client(ctx, server, api_key) as client:
        final = follow_to_end(client, run_id, live=err.is_terminal or not as_json)
    report_finished(final, as_json)


@runs_app.command("events")
def run_events(
    ctx: typer.Context,
    run_id: RunArgument,
    server: ServerOption = DEFAULT_SERVER,
    api_key: ApiKeyOption = None,
    as_json: JsonOption = False,
) -> None:
    """Print the run's events (history, then live) until it finishes; --json: one per line."""
    with handle_errors(), make_client(ctx, server, api_key) as client:
        for event in client.runs.events(run_id):
            if as_json:
                print_json(event)
                continue
            status = getattr(event, "status", None)
            out.print(f"[bold]{escape(event.flag)}[/] {styled(status) if status else ''}")


@runs_app.command("cancel")
def cancel_run(
    ctx: typer.Context,
    run_id: RunArgument,
    server: ServerOption = DEFAULT_SERVER,
    api_key: ApiKeyOption = None,
    as_json: JsonOption = False,
) -> None:
    """Stop a running run (running work is killed; nothing further starts)."""
    with handle_errors(), make_client(ctx, server, api_key) as client:
        result = client.runs.cancel(run_id)
    message = f"Cancelled run {run_id} ({result.tasks_cancelled} tasks stopped)"
    emit(result, as_json, lambda: err.print(message))


@runs_app.command("resume")
def resume_run(
    ctx: typer.Context,
    run_id: RunArgument,
    wait: Annotated[bool, typer.Option("--wait", help="Then follow it to the end.")] = False,
    server: ServerOption = DEFAULT_SERVER,
    api_key: ApiKeyOption = None,
    as_json: JsonOption = False,
) -> None:
    """Re-queue the unfinished work of a failed or cancelled run."""
    with handle_errors(), make_client(ctx, server, api_key) as client:
        result = client.runs.resume(run_id)
        if wait:
            final = follow_to_end(client, run_id, live=err.is_terminal or not as_json)
            report_finished(final, as_json)
            return
    message = f"Resumed run {run_id}: {result.nodes_queued} of {result.nodes_considered} queued"
    emit(result, as_json, lambda: err.print(message))


@runs_app.command("download")
def download_outputs(
    ctx: typer.Context,
    run_id: RunArgument,
    output: Annotated[
        Path, typer.Option("-o", "--output", help="Folder to write output-N/ folders into.")
    ] = Path("."),
    server: ServerOption = DEFAULT_SERVER,
    api_key: ApiKeyOption = None,
    as_json: JsonOption = False,
) -> None:
    """Save every output of a run: video, thumbnail, Premiere zip, captions (SRT, VTT)."""
    with handle_errors(), make_client(ctx, server, api_key) as client:
        run = client.runs.get(run_id)
        if not run.outputs:
            raise CLIError(f"run {run_id} has no outputs (status {run.status})")
        saved = _download_all(client, run, output)

    def show() -> None:
        for path in saved:
            err.print(f"Saved {escape(path)}")

    emit(saved, as_json, show)


def _download_all(client: Client, run: Run, folder: Path) -> list[str]:
    saved: list[str] = []
    for number, item in enumerate(run.outputs, start=1):
        target = folder / f"output-{number}"
        target.mkdir(parents=True, exist_ok=True)
        for field, name in _FILES.items():
            url = _url(item, field)
            if not url:
                continue
            with transfer_bar(f"output {number}: {name}", err) as on_progress:
                path = client.files.download(url, target / name, on_progress=on_progress)
            saved.append(str(path))
    return saved


def _url(item: Output, field: str) -> str | None:
    value = getattr(item, field, None)
    return value if isinstance(value, str) and re.match(r"^https?://", value) else None
