"""``tilework whoami``: the organization behind the API key (a quick check of a key)."""

from __future__ import annotations

import typer

from tilework.cli.common import (
    DEFAULT_SERVER,
    ApiKeyOption,
    JsonOption,
    ServerOption,
    handle_errors,
    make_client,
)
from tilework.cli.output import emit, fields, text, when


def whoami(
    ctx: typer.Context,
    server: ServerOption = DEFAULT_SERVER,
    api_key: ApiKeyOption = None,
    as_json: JsonOption = False,
) -> None:
    """The organization the API key belongs to."""
    with handle_errors(), make_client(ctx, server, api_key) as client:
        me = client.whoami()
    pairs = [
        ("organization", f"{text(me.organization_name)} ({me.organization_slug})"),
        ("id", me.organization_id),
        ("key last used", when(me.last_used_at)),
    ]
    emit(me, as_json, lambda: fields(pairs))
