"""``tilework uploads``: upload local files (signed slot, the file with a progress bar,
finalize) and print their ids, usable as ``video_ids`` of a run."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

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
)
from tilework.cli.output import emit, table
from tilework.cli.progress import transfer_bar
from tilework.sdk.models import UploadedMedia, UploadKind

uploads_app = typer.Typer(help="Upload videos, audio and images; prints their ids.")


@uploads_app.command("add")
def add(
    ctx: typer.Context,
    files: Annotated[list[Path], typer.Argument(help="Files to upload.", show_default=False)],
    kind: Annotated[str, typer.Option(help="video, audio or image.")] = "video",
    server: ServerOption = DEFAULT_SERVER,
    api_key: ApiKeyOption = None,
    as_json: JsonOption = False,
) -> None:
    """Upload FILES (each is probed: a file that is not media of KIND is refused)."""
    with handle_errors(), make_client(ctx, server, api_key) as client:
        checked = _kind(kind)
        media: list[UploadedMedia] = []
        for file in files:
            with transfer_bar(f"Uploading {file.name}", err) as on_progress:
                media.append(client.uploads.upload(file, kind=checked, on_progress=on_progress))
            err.print(f"Uploaded {escape(file.name)}")
    rows = (
        (m.upload_id, m.kind, _size(m), f"{m.duration_s or 0:.2f} s", f"{m.width}x{m.height}")
        for m in media
    )
    emit(media, as_json, lambda: table("id", "kind", "size", "duration", "frame", rows=rows))


def _kind(kind: str) -> UploadKind:
    known: dict[str, UploadKind] = {"video": "video", "audio": "audio", "image": "image"}
    if kind not in known:
        raise CLIError("--kind must be video, audio or image")
    return known[kind]


def _size(media: UploadedMedia) -> str:
    size = media.size_bytes or 0
    return f"{size / 1_000_000:.1f} MB" if size >= 100_000 else f"{size} B"
