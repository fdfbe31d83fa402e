"""``tilework plan``: the organization's plan, the catalogue, and upgrades."""

from __future__ import annotations

from typing import Annotated

import typer
from rich.markup import escape

from tilework.cli.common import (
    DEFAULT_SERVER,
    ApiKeyOption,
    JsonOption,
    ServerOption,
    handle_errors,
    make_client,
    out,
)
from tilework.cli.output import emit, fields, table, text, when

plan_app = typer.Typer(help="The organization's plan: show it, list plans, upgrade.")


@plan_app.command("show")
def show_plan(
    ctx: typer.Context,
    server: ServerOption = DEFAULT_SERVER,
    api_key: ApiKeyOption = None,
    as_json: JsonOption = False,
) -> None:
    """The current plan, its period and this month's credits."""
    with handle_errors(), make_client(ctx, server, api_key) as client:
        view = client.plans.get()
    plan, credits = view.plan, view.credits
    pairs = [
        ("plan", f"[bold]{escape(plan.id)}[/] ({text(plan.status)})"),
        ("period", f"{when(plan.current_period_start)} → {when(plan.current_period_end)}"),
        ("balance", credits.balance),
        ("used this month", f"{credits.usage} of {credits.included_usage} included"),
    ]
    emit(view, as_json, lambda: fields(pairs))


@plan_app.command("list")
def list_plans(
    ctx: typer.Context,
    server: ServerOption = DEFAULT_SERVER,
    api_key: ApiKeyOption = None,
    as_json: JsonOption = False,
) -> None:
    """The plans this server offers."""
    with handle_errors(), make_client(ctx, server, api_key) as client:
        offers = client.plans.list()
    rows = (
        (
            p.id,
            p.billing,
            f"{p.price_usd:g} USD",
            p.credits_per_month,
            "-"
            if p.top_up_rate_per_100_credits_usd is None
            else f"{p.top_up_rate_per_100_credits_usd:g} USD",
        )
        for p in offers
    )
    emit(
        offers,
        as_json,
        lambda: table("plan", "billing", "price", "credits/month", "top-up per 100", rows=rows),
    )


@plan_app.command("upgrade")
def upgrade(
    ctx: typer.Context,
    plan_id: Annotated[str, typer.Argument(help="A plan id of `tilework plan list`.")],
    success_url: Annotated[str | None, typer.Option(help="Checkout's return page.")] = None,
    cancel_url: Annotated[str | None, typer.Option(help="Checkout's page if declined.")] = None,
    server: ServerOption = DEFAULT_SERVER,
    api_key: ApiKeyOption = None,
    as_json: JsonOption = False,
) -> None:
    """Change plan: at once, or after paying at the printed checkout URL."""
    with handle_errors(), make_client(ctx, server, api_key) as client:
        result = client.plans.upgrade(plan_id, success_url=success_url, cancel_url=cancel_url)

    def show() -> None:
        if result.requires_checkout:
            out.print(f"Complete the checkout to change to {escape(plan_id)}:")
            typer.echo(result.checkout_url)
        else:
            out.print(f"Plan changed to [bold]{escape(result.plan_id)}[/]")

    emit(result, as_json, show)
