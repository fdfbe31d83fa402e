"""``tilework credits balance|usage|ledger|auto-topup``: the organization's own credits, through
the API with its key (the operators' commands are in ``credits.py``)."""

from __future__ import annotations

from typing import Annotated

import typer

from tilework.cli.common import (
    DEFAULT_SERVER,
    ApiKeyOption,
    JsonOption,
    ServerOption,
    handle_errors,
    make_client,
)
from tilework.cli.output import emit, fields, table, text, when
from tilework.sdk.models import Credits


def balance(
    ctx: typer.Context,
    server: ServerOption = DEFAULT_SERVER,
    api_key: ApiKeyOption = None,
    as_json: JsonOption = False,
) -> None:
    """The balance, credits held by running tasks, the plan and automatic top-ups."""
    with handle_errors(), make_client(ctx, server, api_key) as client:
        credits = client.credits.get()
    emit(credits, as_json, lambda: _show(credits))


def _show(credits: Credits) -> None:
    topup = credits.auto_topup
    fields(
        [
            ("balance", f"[bold]{credits.balance}[/]"),
            ("held by running tasks", credits.reserved),
            ("plan", text(credits.plan_id)),
            (
                "auto top-up",
                f"buy {topup.quantity} below {topup.threshold}" if topup.enabled else "off",
            ),
        ]
    )


def usage(
    ctx: typer.Context,
    start: Annotated[str | None, typer.Option(help="First day, YYYY-MM-DD.")] = None,
    end: Annotated[str | None, typer.Option(help="Last day (inclusive), YYYY-MM-DD.")] = None,
    server: ServerOption = DEFAULT_SERVER,
    api_key: ApiKeyOption = None,
    as_json: JsonOption = False,
) -> None:
    """Credits used, by tile and by day (default: the last 30 days)."""
    with handle_errors(), make_client(ctx, server, api_key) as client:
        used = client.credits.usage(start_date=start, end_date=end)

    def show() -> None:
        table(
            "tile", "credits", "tasks", rows=((u.tile, u.credits, u.events) for u in used.by_tile)
        )
        table("day", "credits", "tasks", rows=((u.date, u.credits, u.events) for u in used.by_date))
        fields([("total", f"{used.total_credits} credits, {used.total_events} tasks")])

    emit(used, as_json, show)


def ledger(
    ctx: typer.Context,
    limit: Annotated[int, typer.Option(min=1, max=100, help="Newest movements to show.")] = 25,
    server: ServerOption = DEFAULT_SERVER,
    api_key: ApiKeyOption = None,
    as_json: JsonOption = False,
) -> None:
    """Every credit movement, newest first (the balance is their sum)."""
    with handle_errors(), make_client(ctx, server, api_key) as client:
        page = client.credits.ledger(limit=limit)
    rows = (
        (when(e.created_at), e.kind, f"{e.amount:+d}", text(e.tile), text(_note(e.details)))
        for e in page.entries
    )
    emit(page, as_json, lambda: table("when", "kind", "amount", "tile", "note", rows=rows))


def _note(details: dict[str, object] | None) -> object:
    return (details or {}).get("note")


def auto_topup(
    ctx: typer.Context,
    enable: Annotated[
        bool, typer.Option("--enable/--disable", help="Turn automatic top-ups on or off.")
    ],
    threshold: Annotated[int, typer.Option(min=0, help="Top up below this balance.")] = 0,
    quantity: Annotated[int, typer.Option(min=0, help="Credits bought per top-up.")] = 0,
    server: ServerOption = DEFAULT_SERVER,
    api_key: ApiKeyOption = None,
    as_json: JsonOption = False,
) -> None:
    """Buy QUANTITY credits whenever the balance falls below THRESHOLD (paid plans only)."""
    with handle_errors(), make_client(ctx, server, api_key) as client:
        credits = client.credits.set_auto_topup(
            enabled=enable, threshold=threshold, quantity=quantity
        )
    emit(credits, as_json, lambda: _show(credits))
