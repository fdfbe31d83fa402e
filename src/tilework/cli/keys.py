"""``tilework keys``: an organization's API keys — create, list, revoke, rotate (over the API).

These call ``/api_keys`` with the key in ``--api-key``/``TILEWORK_API_KEY``, which must be a
full-access key (``tilework init`` prints one). A new or rotated secret is printed once, on
stdout alone (so ``export TILEWORK_API_KEY=$(tilework keys create ci --scope ...)`` works); the
explanation goes to stderr.
"""

from __future__ import annotations

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

keys_app = typer.Typer(help="Manage the organization's API keys and their scopes.")

KeyIdArgument = Annotated[str, typer.Argument(help="API key id (see `tilework keys list`).")]


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
    server: ServerOption = "http://127.0.0.1:8000",
    api_key: ApiKeyOption = None,
    as_json: JsonOption = False,
) -> None:
    """Create a key; its secret is printed this once."""
    scopes = [] if no_scopes else (scope or None)
    with handle_errors(), make_client(ctx, server, api_key) as client:
        created = client.request("POST", "/api_keys", json={"name": name, "scopes": scopes})
    _show_secret(created, "Created", as_json)


@keys_app.command("list")
def list_keys(
    ctx: typer.Context,
    server: ServerOption = "http://127.0.0.1:8000",
    api_key: ApiKeyOption = None,
    as_json: JsonOption = False,
) -> None:
    """The organization's keys, newest first (never their secrets)."""
    with handle_errors(), make_client(ctx, server, api_key) as client:
        keys = client.request("GET", "/api_keys", params={"limit": 100}).get("api_keys", [])
    if as_json:
        print_json(keys)
        return
    table = Table("id", "name", "prefix", "scopes", "last used", "revoked")
    for key in keys:
        table.add_row(
            key["id"],
            escape(key["name"]),
            key["prefix"],
            _scopes(key["scopes"]),
            key.get("last_used_at") or "never",
            key.get("revoked_at") or "",
        )
    out.print(table)


@keys_app.command()
def revoke(
    ctx: typer.Context,
    key_id: KeyIdArgument,
    server: ServerOption = "http://127.0.0.1:8000",
    api_key: ApiKeyOption = None,
    as_json: JsonOption = False,
) -> None:
    """Revoke a key now (the organization's last full-access key cannot be revoked)."""
    with handle_errors(), make_client(ctx, server, api_key) as client:
        revoked = client.request("POST", f"/api_keys/{key_id}/revoke")
    if as_json:
        print_json(revoked)
        return
    out.print(f"Revoked {escape(revoked['name'])} ({revoked['id']})")


@keys_app.command()
def rotate(
    ctx: typer.Context,
    key_id: KeyIdArgument,
    server: ServerOption = "http://127.0.0.1:8000",
    api_key: ApiKeyOption = None,
    as_json: JsonOption = False,
) -> None:
    """Give a key a new secret (same id, name, scopes); the old secret stops working now."""
    with handle_errors(), make_client(ctx, server, api_key) as client:
        rotated = client.request("POST", f"/api_keys/{key_id}/rotate")
    _show_secret(rotated, "Rotated", as_json)


def _show_secret(key: dict[str, Any], verb: str, as_json: bool) -> None:
    if as_json:
        print_json(key)
        return
    err.print(
        f"{verb} key [bold]{escape(key['name'])}[/] ({key['id']}), scopes: "
        f"{_scopes(key['scopes'])}. The secret is shown only once:"
    )
    typer.echo(key["api_key"])


def _scopes(scopes: list[str] | None) -> str:
    if scopes is None:
        return "full access"
    return ", ".join(scopes) or "none"
