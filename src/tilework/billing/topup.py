"""Automatic top-ups: when a reservation would take the balance below the threshold, buy
``quantity`` credits (several times if one purchase does not cover the task) and carry on."""

from __future__ import annotations

import math
import uuid

from sqlalchemy.orm import Session

from tilework.billing import ledger
from tilework.billing.catalogue import Plan
from tilework.db.tables import BillingAccount


def purchases_needed(balance: int, cost: int, threshold: int, quantity: int) -> int:
    """How many top-ups of ``quantity`` to buy before taking ``cost`` from ``balance``."""
    if quantity <= 0:
        return 0
    after = balance - cost
    if after >= threshold:
        return 0
    return max(1, math.ceil(-after / quantity))


def active(account: BillingAccount, plan: Plan) -> bool:
    return plan.topup_eligible and account.auto_topup_enabled and account.auto_topup_quantity > 0


def top_up_for(
    session: Session, account: BillingAccount, plan: Plan, balance: int, cost: int
) -> int:
    """Write the top-up ``cost`` calls for (one row, however many purchases); the credits added."""
    if not active(account, plan):
        return 0
    quantity = account.auto_topup_quantity
    purchases = purchases_needed(balance, cost, account.auto_topup_threshold, quantity)
    if purchases == 0:
        return 0
    credits = purchases * quantity
    rate = plan.top_up_rate_per_100_credits_usd or 0.0
    ledger.append(
        session,
        account.organization_id,
        ledger.TOPUP,
        credits,
        f"topup:{uuid.uuid4()}",
        details={
            "plan_id": plan.id,
            "purchases": purchases,
            "quantity": quantity,
            "threshold": account.auto_topup_threshold,
            "price_usd": round(credits * rate / 100, 2),
            "automatic": True,
        },
    )
    return credits
