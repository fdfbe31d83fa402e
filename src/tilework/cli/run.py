"""``tilework run``: upload local videos, start a run, and optionally follow it to the end."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer
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
from tilework.sdk import TileworkClient

_URL_SCHEMES = ("http://", "https://")


def run(
    ctx: typer.Context,
    agent_id: Annotated[str, typer.Argument(help="Agent id.", show_default=False)],
    video: Annotated[
        list[str],
        typer.Option("--video", help="Local file (uploaded first) or http(s) URL; repeatable."),
    ],
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
    """Run AGENT_ID on one or more videos. With --follow, exits non-zero unless it completes."""
    with handle_errors(), make_client(ctx, server, api_key) as client:
        paths, urls = split_videos(video)
        video_ids = [_upload(client, path) for path in paths]
        run_id = client.run_agent(
            agent_id,
            video_ids=video_ids or None,
            video_urls=urls or None,
            callback_url=callback_url,
        )
        if not follow:
            _report_started(run_id, as_json)
            return
        final = _follow(client, run_id)
    _report_finished(run_id, final, as_json)
    if final.get("status") != "completed":
        raise typer.Exit(1)


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


def _upload(client: TileworkClient, path: Path) -> str:
    with err.status(f"Uploading {escape(path.name)}..."):
        video_id = client.upload_video(path)
    err.print(f"Uploaded {escape(path.name)} as video {video_id}")
    return video_id


def _follow(client: TileworkClient, run_id: str) -> dict[str, Any]:
    from tilework.cli.follow import follow_run

    err.print(f"Run [bold]{run_id}[/] started")
    try:
        return follow_run(client, run_id, err)
    except KeyboardInterrupt:
        err.print(f"Stopped following; the run continues on the server: {run_id}")
        raise typer.Exit(130) from None


def _report_started(run_id: str, as_json: bool) -> None:
    if as_json:
        print_json({"run_id": run_id})
    else:
        typer.echo(run_id)


def _report_finished(run_id: str, final: dict[str, Any], as_json: bool) -> None:
    if as_json:
        print_json({"run_id": run_id, **final})
        return
    status = str(final.get("status"))
    colour = "green" if status == "completed" else "red"
    message = f" - {final['status_message']}" if final.get("status_message") else ""
    out.print(f"Run {run_id} [bold {colour}]{escape(status)}[/]{escape(message)}")
    for error in final.get("errors") or []:
        for line in error.get("messages") or []:
            out.print(f"  [red]error[/] ({error.get('original_node_id')}): {escape(str(line))}")
    for index, output in enumerate(final.get("outputs") or [], start=1):
        out.print(f"Output {index}:")
        out.print(f"  video_url            {output.get('video_url')}")
        out.print(f"  thumbnail_url        {output.get('thumbnail_url')}")
        out.print(f"  premiere_prproj_url  {output.get('premiere_prproj_url')}")
    if final.get("needs_credits"):
        out.print("The run needs credits: top up, then `POST /agent_run/{id}/resume`.")
