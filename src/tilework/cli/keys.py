"""``tilework keys``: an organization's API keys — create, list, revoke, rotate (over the API).

These call ``/api_keys`` with the key in ``--api-key``/``TILEWORK_API_KEY``, which must be a
full-access key (``tilework init`` prints one). A new or rotated secret is printed once, on
stdout alone (so ``export TILEWORK_API_KEY=$(tilework keys create ci --scope ...)`` works); the
explanation goes to stderr.
"""

from __future__ import annotations

from typing import Annotated

import typer
from rich.markup import escape

from tilework.cli.common import (
    DEFAULT_SERVER,
    AllOption,
    ApiKeyOption,
    JsonOption,
    LimitOption,
    ServerOption,
    err,
    handle_errors,
    make_client,
)
from tilework.cli.output import emit, table, text, when
from tilework.sdk.models import ApiKeyCreated

keys_app = typer.Typer(help="Manage the organization's API keys and their scopes.")

KeyIdArgument = Annotated[
    str, typer.Argument(help="API key id (see `tilework keys list`).", show_default=False)
]


@keys_app.command()
def create(
    ctx: typer.Context,
    name: Annotated[str, typer.Argument(help="What the key is for.", show_default=False)],
    scope: Annotated[
        list[str] | None,
        typer.Option(
            "--scope",
            help="A scope the key holds (repeat it); none given: full access. "
            "E.g. agents:read, agent_runs:write.",
            show_default=False,
        ),
    ] = None,
    no_scopes: Annotated[
        bool, typer.Option("--no-scopes", help="A key that can only call /whoami.")
    ] = False,
    server: ServerOption = DEFAULT_SERVER,
    api_key: ApiKeyOption = None,
    as_json: JsonOption = False,
) -> None:
    """Create a key; its secret is printed this once."""
    scopes = [] if no_scopes else (scope or None)
    with handle_errors(), make_client(ctx, server, api_key) as client:
        created = client.keys.create(name, scopes=scopes)
    emit(created, as_json, lambda: _show_secret(created, "Created"))


@keys_app.command("list")
def list_keys(
    ctx: typer.Context,
    limit: LimitOption = 25,
    all_pages: AllOption = False,
    server: ServerOption = DEFAULT_SERVER,
    api_key: ApiKeyOption = None,
    as_json: JsonOption = False,
) -> None:
    """The organization's keys, newest first (never their secrets)."""
    with handle_errors(), make_client(ctx, server, api_key) as client:
        keys = list(client.keys.iterate()) if all_pages else client.keys.list(limit=limit).api_keys
    rows = [
        (
            key.id,
            text(key.name),
            key.prefix,
            _scopes(key.scopes),
            when(key.last_used_at),
            when(key.revoked_at),
        )
        for key in keys
    ]
    emit(
        keys,
        as_json,
        lambda: table("id", "name", "prefix", "scopes", "last used", "revoked", rows=rows),
    )


@keys_app.command()
def revoke(
    ctx: typer.Context,
    key_id: KeyIdArgument,
    server: ServerOption = DEFAULT_SERVER,
    api_key: ApiKeyOption = None,
    as_json: JsonOption = False,
) -> None:
    """Revoke a key now (the organization's last full-access key cannot be revoked)."""
    with handle_errors(), make_client(ctx, server, api_key) as client:
        revoked = client.keys.revoke(key_id)
    emit(revoked, as_json, lambda: err.print(f"Revoked {escape(revoked.name)} ({revoked.id})"))


@keys_app.command()
def rotate(
    ctx: typer.Context,
    key_id: KeyIdArgument,
    server: ServerOption = DEFAULT_SERVER,
    api_key: ApiKeyOption = None,
    as_json: JsonOption = False,
) -> None:
    """Give a key a new secret (same id, name, scopes); the old secret stops working now."""
    with handle_errors(), make_client(ctx, server, api_key) as client:
        rotated = client.keys.rotate(key_id)
    emit(rotated, as_json, lambda: _show_secret(rotated, "Rotated"))


def _show_secret(key: ApiKeyCreated, verb: str) -> None:
    err.print(
        f"{verb} key [bold]{escape(key.name)}[/] ({key.id}), scopes: "
        f"{_scopes(key.scopes)}. The secret is shown only once:"
    )
    typer.echo(key.api_key)


def _scopes(scopes: list[str] | None) -> str:
    if scopes is None:
        return "full access"
    return ", ".join(scopes) or "none"
