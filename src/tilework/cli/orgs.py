"""``tilework init``: create the schema and an organization, and show its API key once."""

from __future__ import annotations

from typing import Annotated

import typer
from rich.markup import escape

from tilework.cli.common import (
    CLIError,
    JsonOption,
    err,
    handle_errors,
    load_settings,
    out,
    print_json,
)


def init(
    name: Annotated[str, typer.Option(help="Organization name.")] = "default",
    as_json: JsonOption = False,
) -> None:
    """Create the database schema (if needed) and an organization with a new API key."""
    with handle_errors():
        organization_id, api_key = _create(name)
    if as_json:
        print_json({"organization_id": organization_id, "api_key": api_key})
        return
    out.print(f"Created organization [bold]{escape(name)}[/] ({organization_id})")
    out.print(f"API key (full access): [bold green]{api_key}[/]")
    err.print("The key is shown only once. Use it with:")
    err.print(f"  export TILEWORK_API_KEY={api_key}")


def _create(name: str) -> tuple[str, str]:
    try:
        from sqlalchemy.exc import SQLAlchemyError

        from tilework.db.session import unit_of_work
        from tilework.orgs.service import create_organization
        from tilework.runtime import build_runtime
    except ImportError as exc:
        raise CLIError(f"the server is not available in this install: {exc}") from exc

    settings = load_settings()
    try:
        runtime = build_runtime(settings, workers=False)
        runtime.start()
        try:
            with unit_of_work(runtime.sessions) as session:
                organization, api_key = create_organization(session, name)
            return str(organization.id), api_key
        finally:
            runtime.stop()
    except SQLAlchemyError as exc:
        first_line = str(exc).splitlines()[0]
        raise CLIError(f"database error: {first_line}") from exc
