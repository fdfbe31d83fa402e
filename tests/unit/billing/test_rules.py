"""The pure billing rules: task prices, the plan catalogue and its overrides, periods, top-ups."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from tilework.billing.catalogue import catalogue_from_settings
from tilework.billing.periods import add_months, allowance_period, billing_period
from tilework.billing.pricing import PriceTable, price_table_from_settings
from tilework.billing.topup import purchases_needed
from tilework.config import Settings
from tilework.errors import ValidationError


def when(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)


# -- pricing ------------------------------------------------------------------------------


def test_price_is_per_started_minute_with_a_minimum_of_one() -> None:
    prices = PriceTable({"render": 2, "trim": 1, "free-tile": 0}, default_per_minute=3)
    assert prices.task_cost("render", 4.0) == 1  # 2 credits/min for 4 s = 0.13: at least 1
    assert prices.task_cost("render", 30.0) == 1
    assert prices.task_cost("render", 31.0) == 2  # 1.03 → rounded up
    assert prices.task_cost("render", 60.0) == 2
    assert prices.task_cost("trim", 60.0000001) == 1  # float noise does not round up
    assert prices.task_cost("render", 150.0) == 5
    assert prices.task_cost("trim", 0.0) == 1


def test_inputs_zero_prices_and_unlisted_tiles() -> None:
    prices = PriceTable({"render": 2, "free-tile": 0}, default_per_minute=3)
    assert prices.task_cost("video-input", 600.0, is_input=True) == 0
    assert prices.task_cost("free-tile", 600.0) == 0
    assert prices.task_cost("unknown", 60.0) == 3
    assert prices.task_cost("unknown", 60.0, type_id="render") == 2  # keyed by node type id too
    assert PriceTable({}, default_per_minute=0).task_cost("x", 60.0) == 0


def test_price_overrides_merge_over_the_defaults() -> None:
    settings = Settings(credit_prices={"render": 7, "my-tile": 4}, credit_default_price=1.5)
    prices = price_table_from_settings(settings)
    assert prices.rate("render") == 7
    assert prices.rate("my-tile") == 4
    assert prices.rate("trim") == 1  # a default kept
    assert prices.rate("nothing") == 1.5
    with pytest.raises(ValueError, match="negative"):
        price_table_from_settings(Settings(credit_prices={"render": -1}))


# -- catalogue ----------------------------------------------------------------------------


def test_default_catalogue_has_mosaics_plans() -> None:
    catalogue = catalogue_from_settings(Settings())
    listed = {plan["id"]: plan for plan in catalogue.listing()}
    assert list(listed) == [
        "free",
        "creator",
        "creator_annual",
        "professional",
        "professional_annual",
    ]
    assert listed["creator"] == {
        "id": "creator",
        "billing": "monthly",
        "price_usd": 50,
        "credits_per_month": 2500,
        "top_up_rate_per_100_credits_usd": 2.0,
        "notes": "Billed monthly.",
    }
    assert listed["professional_annual"]["price_usd"] == 1500
    assert listed["professional"]["top_up_rate_per_100_credits_usd"] == 1.6
    assert catalogue.get("pro").id == "professional"  # Mosaic's alias
    assert not catalogue.get("free").topup_eligible
    assert catalogue.get("creator_annual").topup_eligible


def test_catalogue_overrides_merge_add_and_remove() -> None:
    settings = Settings(
        billing_plans={
            "free": {"credits_per_month": 5},
            "creator_annual": None,
            "studio": {
                "family": "professional",
                "billing": "monthly",
                "price_usd": 900,
                "credits_per_month": 100000,
                "top_up_rate_per_100_credits_usd": 1.0,
            },
        }
    )
    catalogue = catalogue_from_settings(settings)
    assert catalogue.get("free").credits_per_month == 5
    assert catalogue.get("free").price_usd == 0  # untouched fields kept
    assert "creator_annual" not in catalogue.plans
    assert catalogue.get("studio").topup_eligible
    with pytest.raises(ValidationError, match="unknown plan 'creator_annual'"):
        catalogue.get("creator_annual")


def test_bad_catalogue_overrides_are_refused_at_start() -> None:
    with pytest.raises(ValueError, match="plan 'free' is invalid"):
        catalogue_from_settings(Settings(billing_plans={"free": {"credits_per_month": -1}}))
    with pytest.raises(ValueError, match="plan 'x' is invalid"):
        catalogue_from_settings(Settings(billing_plans={"x": {"family": "x"}}))
    with pytest.raises(ValueError, match="default plan"):
        catalogue_from_settings(Settings(billing_default_plan="gold"))


# -- periods ------------------------------------------------------------------------------


def test_months_clamp_to_the_end_of_short_months() -> None:
    anchor = when(2025, 1, 31, 10)
    assert add_months(anchor, 1) == when(2025, 2, 28, 10)
    assert add_months(anchor, 2) == when(2025, 3, 31, 10)
    assert add_months(anchor, 13) == when(2026, 2, 28, 10)
    assert add_months(when(2024, 1, 31), 1) == when(2024, 2, 29)


def test_the_period_containing_now() -> None:
    anchor = when(2025, 1, 15, 12)
    period = allowance_period(anchor, when(2025, 3, 20))
    assert (period.start, period.end) == (when(2025, 3, 15, 12), when(2025, 4, 15, 12))
    period = allowance_period(anchor, when(2025, 3, 15, 12))  # the boundary opens a period
    assert period.start == when(2025, 3, 15, 12)
    period = allowance_period(anchor, when(2025, 3, 15, 11))
    assert period.start == when(2025, 2, 15, 12)
    yearly = billing_period(anchor, when(2026, 6, 1), "annual")
    assert (yearly.start, yearly.end) == (when(2026, 1, 15, 12), when(2027, 1, 15, 12))


# -- top-ups ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("balance", "cost", "threshold", "quantity", "purchases"),
    [
        (100, 10, 50, 500, 0),  # stays above the threshold
        (55, 10, 50, 500, 1),  # falls below it: one purchase
        (3, 10, 0, 500, 1),  # cannot pay: one purchase covers it
        (0, 1200, 0, 500, 3),  # several purchases to cover one expensive task
        (0, 10, 50, 0, 0),  # nothing to buy
    ],
)
def test_top_up_purchases(
    balance: int, cost: int, threshold: int, quantity: int, purchases: int
) -> None:
    assert purchases_needed(balance, cost, threshold, quantity) == purchases
