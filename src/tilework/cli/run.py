"""``tilework run`` (also ``agents run``) and ``agents estimate``: upload local videos, start a
run (or price it), and optionally follow it live to the end."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer
import yaml
from rich.markup import escape

from tilework.cli.common import (
    DEFAULT_SERVER,
    ApiKeyOption,
    CLIError,
    JsonOption,
    ServerOption,
    err,
    handle_errors,
    make_client,
    out,
    print_json,
)
from tilework.cli.output import emit, fields, styled, table
from tilework.cli.progress import transfer_bar
from tilework.sdk import Client, Run
from tilework.sdk.models import UploadKind

_URL_SCHEMES = ("http://", "https://")

VideoOption = Annotated[
    list[str] | None,
    typer.Option("--video", help="Local file (uploaded first) or http(s) URL; repeatable."),
]
RenderOption = Annotated[
    list[str] | None,
    typer.Option("--render-id", help="Output id of an earlier run to use as input; repeatable."),
]
ParamOption = Annotated[
    list[str] | None,
    typer.Option(
        "--param", help="Per-run parameter NODE_ID.NAME=VALUE (VALUE read as YAML); repeatable."
    ),
]
IgnoreOption = Annotated[
    list[str] | None, typer.Option("--ignore-node", help="Node id to bypass in this run.")
]


def run(
    ctx: typer.Context,
    agent_id: Annotated[str, typer.Argument(help="Agent id.", show_default=False)],
    video: VideoOption = None,
    render_id: RenderOption = None,
    param: ParamOption = None,
    ignore_node: IgnoreOption = None,
    callback_url: Annotated[
        str | None, typer.Option("--callback-url", help="Webhook target for this run.")
    ] = None,
    follow: Annotated[
        bool, typer.Option("--follow/--no-follow", help="Show live progress until it ends.")
    ] = True,
    server: ServerOption = DEFAULT_SERVER,
    api_key: ApiKeyOption = None,
    as_json: JsonOption = False,
) -> None:
    """Run AGENT_ID on videos. With --follow, exits non-zero unless the run completes."""
    with handle_errors(), make_client(ctx, server, api_key) as client:
        inputs = run_inputs(client, video, render_id, param, ignore_node)
        if callback_url is not None:
            inputs["callback_url"] = callback_url
        run_id = client.runs.start(agent_id, **inputs).run_id
        if not follow:
            emit({"run_id": run_id}, as_json, lambda: typer.echo(run_id))
            return
        final = follow_to_end(client, run_id, live=err.is_terminal or not as_json)
    report_finished(final, as_json)


def estimate(
    ctx: typer.Context,
    agent_id: Annotated[str, typer.Argument(help="Agent id.", show_default=False)],
    video: VideoOption = None,
    render_id: RenderOption = None,
    param: ParamOption = None,
    ignore_node: IgnoreOption = None,
    server: ServerOption = DEFAULT_SERVER,
    api_key: ApiKeyOption = None,
    as_json: JsonOption = False,
) -> None:
    """The credits a run of AGENT_ID on these videos would take (nothing is run)."""
    with handle_errors(), make_client(ctx, server, api_key) as client:
        answer = client.runs.estimate(
            agent_id, **run_inputs(client, video, render_id, param, ignore_node)
        )
    rows = ((n.tile, n.credits_per_minute, n.credits) for n in answer.nodes)

    def show() -> None:
        table("tile", "credits/min", "credits", rows=rows)
        fields(
            [
                ("estimated", answer.estimated_credits),
                ("balance", answer.balance),
                ("can start", "yes" if answer.can_start else "[red]no[/]"),
                ("enough for all", "yes" if answer.sufficient else "[red]no[/]"),
            ]
        )

    emit(answer, as_json, show)


def run_inputs(
    client: Client,
    videos: list[str] | None,
    render_ids: list[str] | None,
    params: list[str] | None,
    ignore: list[str] | None,
) -> dict[str, Any]:
    """The run request's fields from the command's options; local files are uploaded first."""
    paths, urls = split_videos(videos or [])
    inputs: dict[str, Any] = {}
    overrides = parse_params(params or [])
    if not (paths or urls or render_ids):
        raise CLIError("give at least one --video (file or URL) or --render-id")
    video_ids = [upload(client, path) for path in paths]
    for name, value in (
        ("video_ids", video_ids),
        ("video_urls", urls),
        ("node_render_ids", render_ids),
        ("update_params", overrides),
        ("ignore_nodes", ignore),
    ):
        if value:
            inputs[name] = value
    return inputs


def split_videos(videos: list[str]) -> tuple[list[Path], list[str]]:
    """Separate URLs from local paths; every path must be an existing file."""
    paths: list[Path] = []
    urls: list[str] = []
    for value in videos:
        if value.lower().startswith(_URL_SCHEMES):
            urls.append(value)
            continue
        path = Path(value).expanduser()
        if not path.is_file():
            raise CLIError(f"no such file: {value}")
        paths.append(path)
    return paths, urls


def parse_params(items: list[str]) -> dict[str, dict[str, Any]]:
    """``NODE_ID.NAME=VALUE`` options as ``update_params``."""
    params: dict[str, dict[str, Any]] = {}
    for item in items:
        target, sep, raw = item.partition("=")
        node_id, dot, name = target.rpartition(".")
        if not (sep and dot and node_id and name):
            raise CLIError(f"--param {item!r}: expected NODE_ID.NAME=VALUE")
        try:
            value = yaml.safe_load(raw) if raw else ""
        except yaml.YAMLError:
            value = raw
        params.setdefault(node_id, {})[name] = value
    return params


def upload(client: Client, path: Path, kind: UploadKind = "video") -> str:
    with transfer_bar(f"Uploading {path.name}", err) as on_progress:
        media = client.uploads.upload(path, kind=kind, on_progress=on_progress)
    err.print(f"Uploaded {escape(path.name)} as {media.kind} {media.upload_id}")
    return media.upload_id


def follow_to_end(client: Client, run_id: str, *, live: bool = True) -> Run:
    """Follow the run until it ends, with live per-node progress on stderr unless ``live`` is
    false (--json off a terminal: a script). Ctrl-C stops following, not the run."""
    from tilework.cli.follow import follow_run

    try:
        if not live:
            return client.runs.wait(run_id)
        err.print(f"Run [bold]{run_id}[/] started")
        return follow_run(client, run_id, err)
    except KeyboardInterrupt:
        err.print(f"Stopped following; the run continues on the server: {run_id}")
        raise typer.Exit(130) from None


def report_finished(final: Run, as_json: bool) -> None:
    """Print a finished run; exit 1 unless it completed."""
    if as_json:
        print_json(final)
    else:
        show_result(final)
    if final.status != "completed":
        raise typer.Exit(1)


def show_result(final: Run) -> None:
    message = f" - {escape(final.status_message)}" if final.status_message else ""
    out.print(f"Run {final.run_id} {styled(final.status)}{message}")
    for error in final.errors:
        for line in error.messages:
            out.print(f"  [red]error[/] ({error.original_node_id}): {escape(line)}")
    for index, output in enumerate(final.outputs, start=1):
        out.print(f"Output {index}:")
        out.print(f"  video_url            {output.video_url}")
        out.print(f"  thumbnail_url        {output.thumbnail_url}")
        out.print(f"  premiere_prproj_url  {output.premiere_prproj_url}")
    if final.needs_credits:
        out.print("The run needs credits: top up, then `tilework runs resume`.")
