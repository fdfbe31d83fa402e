"""``tilework credits``: an organization's credits through the API (``balance``, ``usage``,
``ledger``, ``auto-topup``: see ``credits_account.py``), and the operators' commands.

The operators' commands (``grant``, ``adjust``, ``show``) work on the database directly (like
``tilework init``), not through the API: the API only lets an organization spend and buy
credits, never give itself some. ORG is an organization id or slug. Safe while the server runs
(SQLite serializes the writers).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Annotated, Any, TypeVar

import typer

from tilework.cli import credits_account
from tilework.cli.common import CLIError, JsonOption, handle_errors, load_settings, out, print_json

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

    from tilework.runtime import Runtime

credits_app = typer.Typer(
    help="Credits: balance, usage, ledger, auto top-up; operators: grant, adjust, show."
)

T = TypeVar("T")
OrgArgument = Annotated[str, typer.Argument(help="Organization id or slug.")]


@credits_app.command()
def grant(
    org: OrgArgument,
    amount: Annotated[int, typer.Argument(help="Credits to add (1 to 1,000,000,000).")],
    note: Annotated[str, typer.Option(help="Why (kept on the ledger row).")] = "",
    as_json: JsonOption = False,
) -> None:
    """Add AMOUNT credits to ORG's balance (a ``grant`` row on its ledger)."""
    with handle_errors():
        org_id, balance = _in_transaction(
            lambda runtime, session, org_id: (
                org_id,
                runtime.billing.grant(session, org_id, amount, note),
            ),
            org,
        )
    if as_json:
        print_json({"organization_id": org_id, "granted": amount, "balance": balance})
        return
    out.print(f"Granted {amount} credits to {org_id}; balance is now [bold]{balance}[/]")


@credits_app.command(context_settings={"ignore_unknown_options": True})
def adjust(
    org: OrgArgument,
    amount: Annotated[
        int, typer.Argument(help="Credits to add, or to take back when negative (e.g. -50).")
    ],
    note: Annotated[str, typer.Option(help="Why (required; kept on the ledger row).")],
    allow_negative: Annotated[
        bool, typer.Option(help="Let a negative AMOUNT take the balance below zero.")
    ] = False,
    as_json: JsonOption = False,
) -> None:
    """Correct ORG's balance by AMOUNT (an ``adjustment`` row on its ledger)."""

    def work(runtime: Runtime, session: Session, org_id: str) -> tuple[str, int]:
        from tilework.errors import InsufficientCreditsError

        try:
            balance = runtime.billing.adjust(
                session, org_id, amount, note, allow_negative=allow_negative
            )
        except InsufficientCreditsError as exc:
            raise CLIError(f"{exc.detail}; pass --allow-negative to do it anyway") from None
        return org_id, balance

    with handle_errors():
        org_id, balance = _in_transaction(work, org)
    if as_json:
        print_json({"organization_id": org_id, "adjusted": amount, "balance": balance})
        return
    out.print(f"Adjusted {org_id} by {amount:+d} credits; balance is now [bold]{balance}[/]")


@credits_app.command()
def show(
    org: OrgArgument,
    entries: Annotated[int, typer.Option(help="Ledger rows to show (newest first).")] = 10,
    as_json: JsonOption = False,
) -> None:
    """ORG's plan, balance and most recent ledger rows."""
    with handle_errors():
        view = _in_transaction(
            lambda runtime, session, org_id: _view(runtime, session, org_id, entries), org
        )
    if as_json:
        print_json(view)
        return
    out.print(
        f"Organization {view['organization_id']}: plan [bold]{view['plan_id']}[/], balance "
        f"[bold]{view['balance']}[/] ({view['reserved']} held by running tasks)"
    )
    for row in view["entries"]:
        tile = f" {row['tile']}" if row["tile"] else ""
        out.print(f"  {row['created_at'][:19]}  {row['kind']:<11} {row['amount']:>+8}{tile}")


def _view(runtime: Runtime, session: Session, org_id: str, limit: int) -> dict[str, Any]:
    from tilework.billing import views

    if not 1 <= limit <= 100:
        raise CLIError("--entries must be between 1 and 100")
    credits = views.credits_view(runtime.billing, session, org_id)
    rows = views.ledger_view(runtime.billing, session, org_id, limit=limit, cursor=None)
    return {**credits, "entries": rows["entries"]}


def _in_transaction(work: Callable[[Runtime, Session, str], T], org: str) -> T:
    with _runtime() as runtime:
        from sqlalchemy import or_, select

        from tilework.db.session import unit_of_work
        from tilework.db.tables import Organization
        from tilework.errors import TileworkError

        try:
            with unit_of_work(runtime.sessions) as session:
                org_id = session.scalar(
                    select(Organization.id).where(
                        or_(Organization.id == org, Organization.slug == org)
                    )
                )
                if org_id is None:
                    raise CLIError(f"no organization {org!r} (give its id or slug)")
                return work(runtime, session, org_id)
        except TileworkError as exc:
            raise CLIError(exc.detail) from exc


@contextmanager
def _runtime() -> Iterator[Runtime]:
    try:
        from sqlalchemy.exc import SQLAlchemyError

        from tilework.runtime import build_runtime
    except ImportError as exc:
        raise CLIError(f"the server is not available in this install: {exc}") from exc
    settings = load_settings()
    try:
        runtime = build_runtime(settings, workers=False)
        runtime.start()  # migrates the schema; no workers
        try:
            yield runtime
        finally:
            runtime.stop()
    except SQLAlchemyError as exc:
        raise CLIError(f"database error: {str(exc).splitlines()[0]}") from exc


credits_app.command("balance")(credits_account.balance)
credits_app.command("usage")(credits_account.usage)
credits_app.command("ledger")(credits_account.ledger)
credits_app.command("auto-topup")(credits_account.auto_topup)
