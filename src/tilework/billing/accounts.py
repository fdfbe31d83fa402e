"""An organization's billing account: the lock every credit movement takes, the plan it is on,
and the monthly allowance written lazily on first use in each period.

``lock_account`` locks the *organization* row (``SELECT … FOR UPDATE`` on PostgreSQL; on SQLite
every writer already holds the database lock from ``BEGIN IMMEDIATE``). The organization row
always exists, so two first uses cannot both create the account, and every balance check and the
ledger row written after it are serialized per organization. ``lock_organization`` takes the
same lock alone, for movements that read no balance (settling a task's hold): one statement, no
allowance check. Callers that also lock a run lock the run first (the engine's order), never the
other way round; the organization row is locked before the account row the ledger updates.
"""

from __future__ import annotations

from datetime import datetime
from typing import cast

from sqlalchemy import Table, bindparam, select
from sqlalchemy.orm import Session

from tilework.billing import ledger
from tilework.billing.catalogue import Catalogue, Plan
from tilework.billing.periods import allowance_period
from tilework.db.tables import BillingAccount, Organization, utcnow
from tilework.errors import NotFoundError


def lock_account(
    session: Session, catalogue: Catalogue, org_id: str, now: datetime | None = None
) -> BillingAccount:
    """The organization's account, locked for this transaction, its allowance up to date."""
    now = now or utcnow()
    lock_organization(session, org_id)
    account = session.get(BillingAccount, org_id, populate_existing=True)
    if account is None:
        organization = session.get(Organization, org_id)
        if organization is None:
            raise NotFoundError(f"organization {org_id} not found")
        balance, reserved = ledger.totals(session, org_id)  # rows written before accounts
        account = BillingAccount(
            organization_id=org_id,
            plan_id=catalogue.default_plan_id,
            plan_started_at=organization.created_at,
            updated_at=now,
            balance=balance,
            reserved=reserved,
        )
        session.add(account)
        session.flush()
    ensure_allowance(session, catalogue, account, now)
    return account


def lock_organization(session: Session, org_id: str) -> None:
    """The organization's billing lock alone (see the module docstring). On SQLite the
    transaction already holds the database's write lock (``BEGIN IMMEDIATE``): no statement."""
    if session.get_bind().dialect.name == "sqlite":
        return
    found = session.connection().execute(_LOCK_ORGANIZATION, {"org": org_id}).first()
    if found is None:
        raise NotFoundError(f"organization {org_id} not found")


_ORGANIZATIONS = cast(Table, Organization.__table__)
_LOCK_ORGANIZATION = (
    select(_ORGANIZATIONS.c.id).where(_ORGANIZATIONS.c.id == bindparam("org")).with_for_update()
)


def plan_of(catalogue: Catalogue, account: BillingAccount) -> Plan:
    """The account's plan; one an operator removed from the catalogue reads as the default."""
    return catalogue.known(account.plan_id) or catalogue.get(catalogue.default_plan_id)


def ensure_allowance(
    session: Session, catalogue: Catalogue, account: BillingAccount, now: datetime
) -> None:
    """Grant this month's allowance once (its key names the plan and the period). Unused credits
    roll over; a month nobody used Tilework in is not granted retroactively."""
    plan = plan_of(catalogue, account)
    if plan.credits_per_month <= 0:
        return
    period = allowance_period(account.plan_started_at, now)
    ledger.append(
        session,
        account.organization_id,
        ledger.ALLOWANCE,
        plan.credits_per_month,
        f"allowance:{account.organization_id}:{plan.id}:{period.start.isoformat()}",
        details={"plan_id": plan.id, "period_start": period.start.isoformat()},
    )


def change_plan(
    session: Session, catalogue: Catalogue, account: BillingAccount, plan: Plan, now: datetime
) -> None:
    """Move to ``plan`` now: a new period starts and its first allowance is granted at once."""
    account.plan_id = plan.id
    account.plan_started_at = now
    account.canceled_at = None
    account.updated_at = now
    session.flush()
    ensure_allowance(session, catalogue, account, now)
