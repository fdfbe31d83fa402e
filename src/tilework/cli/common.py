"""What every command shares: connection options, the client factory, output and error rendering.

Errors a user can cause (server down, a 4xx answer, a missing file, a bad YAML file) become one
red line on stderr and exit code 1, never a traceback.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Annotated, Any

import httpx
import typer
from pydantic import BaseModel
from rich.console import Console
from rich.markup import escape

from tilework.sdk import (
    AgentYamlError,
    Client,
    TileworkAPIError,
    TileworkClientError,
    TileworkConnectionError,
)

if TYPE_CHECKING:
    from tilework.config import Settings

DEFAULT_SERVER = "http://127.0.0.1:8000"

out = Console(highlight=False, soft_wrap=True)
err = Console(stderr=True, highlight=False, soft_wrap=True)

ServerOption = Annotated[
    str,
    typer.Option(
        "--server", envvar="TILEWORK_SERVER", help="Tilework server URL.", show_envvar=True
    ),
]
ApiKeyOption = Annotated[
    str | None,
    typer.Option(
        "--api-key",
        envvar="TILEWORK_API_KEY",
        help="API key (mk_...); create one with `tilework init`.",
        show_envvar=True,
        show_default=False,
    ),
]
JsonOption = Annotated[bool, typer.Option("--json", help="Print machine-readable JSON.")]
LimitOption = Annotated[int, typer.Option("--limit", min=1, help="Show at most this many.")]
AllOption = Annotated[bool, typer.Option("--all", help="Fetch every page (ignores --limit).")]


class CLIError(Exception):
    """A problem the user can fix; the message is shown as is."""


def make_client(ctx: typer.Context, server: str, api_key: str | None) -> Client:
    """A client for ``server``; tests hand in an ``httpx`` transport as the context object."""
    if not api_key:
        raise CLIError(
            "no API key: pass --api-key or set TILEWORK_API_KEY (`tilework init` creates one)"
        )
    transport = ctx.obj if isinstance(ctx.obj, httpx.BaseTransport) else None
    return Client(server, api_key, transport=transport)


def load_settings(**overrides: Any) -> Settings:
    """``Settings`` from the environment, with a readable error for a bad TILEWORK_* value."""
    from pydantic import ValidationError

    from tilework.config import Settings

    try:
        return Settings(**overrides)
    except ValidationError as exc:
        problems = "; ".join(
            f"TILEWORK_{'_'.join(str(p) for p in e['loc']).upper()}: {e['msg']}"
            for e in exc.errors()
        )
        raise CLIError(f"invalid setting: {problems}") from exc


def print_json(value: Any) -> None:
    """One JSON document on stdout; models as their wire JSON."""
    typer.echo(json.dumps(jsonable(value), default=str))


def jsonable(value: Any) -> Any:
    if isinstance(value, BaseModel):
        return value.model_dump(mode="json")
    if isinstance(value, (list, tuple)):
        return [jsonable(item) for item in value]
    if isinstance(value, dict):
        return {key: jsonable(item) for key, item in value.items()}
    return value


def render_error(exc: BaseException) -> str | None:
    """The one line shown for ``exc``, or ``None`` when it is not a user-facing error."""
    if isinstance(exc, CLIError):
        return str(exc)
    if isinstance(exc, TileworkConnectionError):
        return f"{exc} (is `tilework serve` running? set --server or TILEWORK_SERVER)"
    if isinstance(exc, TileworkAPIError):
        return _render_api_error(exc)
    if isinstance(exc, TileworkClientError):  # timeout, unexpected answer
        return str(exc)
    if isinstance(exc, AgentYamlError):
        return f"invalid agent file: {exc}"
    if isinstance(exc, FileNotFoundError):
        return f"no such file: {exc.filename}"
    if isinstance(exc, OSError) and exc.filename:
        return f"cannot read {exc.filename}: {exc.strerror}"
    return None


def _render_api_error(exc: TileworkAPIError) -> str:
    line = f"{exc.detail or 'request failed'} ({exc.status} {exc.error})"
    if exc.status == 401:
        line += " - check --api-key / TILEWORK_API_KEY"
    return line


@contextmanager
def handle_errors() -> Iterator[None]:
    """Turn user-facing errors into one line on stderr and exit code 1."""
    try:
        yield
    except Exception as exc:
        message = render_error(exc)
        if message is None:
            raise
        err.print(f"[bold red]error:[/] {escape(message)}")
        raise typer.Exit(1) from None
