"""The plan catalogue: Mosaic's plans and prices by default, overridable from config.

``TILEWORK_BILLING_PLANS`` is a JSON object of overrides by plan id, merged field by field over
the defaults (a new id adds a plan, ``null`` removes one), so an operator can change one number
without restating the catalogue.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field
from pydantic import ValidationError as PydanticValidationError

from tilework.config import Settings
from tilework.errors import ValidationError

# Families whose plans may turn on automatic top-ups (api.md: "creator/professional").
TOPUP_FAMILIES = frozenset({"creator", "professional"})
# Mosaic's ``/plan/upgrade`` also accepts ``pro``, a plan its list never shows.
ALIASES = {"pro": "professional"}


class Plan(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    id: str = Field(min_length=1, max_length=64)
    family: str = Field(min_length=1, max_length=64)
    billing: Literal["monthly", "annual"]
    price_usd: float = Field(ge=0)
    credits_per_month: int = Field(ge=0)
    top_up_rate_per_100_credits_usd: float | None = Field(default=None, gt=0)
    notes: str = ""

    @property
    def topup_eligible(self) -> bool:
        return self.family in TOPUP_FAMILIES and self.top_up_rate_per_100_credits_usd is not None

    @property
    def paid(self) -> bool:
        return self.price_usd > 0

    def listing(self) -> dict[str, Any]:
        """One entry of ``GET /plan/list``."""
        return {
            "id": self.id,
            "billing": self.billing,
            "price_usd": self.price_usd,
            "credits_per_month": self.credits_per_month,
            "top_up_rate_per_100_credits_usd": self.top_up_rate_per_100_credits_usd,
            "notes": self.notes,
        }


def _plan(**fields: Any) -> dict[str, Any]:
    return fields


# Mosaic's published catalogue (shared/research/mosaic-api.md §5); ``free`` is ours: Mosaic's free
# grant is not published, and 300 credits cover about two hours of trimming and rendering.
DEFAULT_PLANS: dict[str, dict[str, Any]] = {
    "free": _plan(
        family="free",
        billing="monthly",
        price_usd=0,
        credits_per_month=300,
        notes="Small monthly grant for trying Tilework; no top-ups.",
    ),
    "creator": _plan(
        family="creator",
        billing="monthly",
        price_usd=50,
        credits_per_month=2500,
        top_up_rate_per_100_credits_usd=2.0,
        notes="Billed monthly.",
    ),
    "creator_annual": _plan(
        family="creator",
        billing="annual",
        price_usd=480,
        credits_per_month=2500,
        top_up_rate_per_100_credits_usd=2.0,
        notes="Billed yearly; 2500 credits every month.",
    ),
    "professional": _plan(
        family="professional",
        billing="monthly",
        price_usd=150,
        credits_per_month=10000,
        top_up_rate_per_100_credits_usd=1.6,
        notes="Billed monthly.",
    ),
    "professional_annual": _plan(
        family="professional",
        billing="annual",
        price_usd=1500,
        credits_per_month=10000,
        top_up_rate_per_100_credits_usd=1.6,
        notes="Billed yearly; 10000 credits every month.",
    ),
}


class Catalogue:
    """Plans by id, in listing order, and the plan new organizations start on."""

    def __init__(self, plans: list[Plan], default_plan_id: str) -> None:
        self.plans = {plan.id: plan for plan in plans}
        if default_plan_id not in self.plans:
            raise ValueError(f"the default plan {default_plan_id!r} is not in the catalogue")
        self.default_plan_id = default_plan_id

    def get(self, plan_id: str) -> Plan:
        """The plan (aliases resolved), or a 400 naming the plans there are."""
        plan = self.plans.get(ALIASES.get(plan_id, plan_id))
        if plan is None:
            choices = ", ".join(self.plans)
            raise ValidationError(f"plan_id: unknown plan {plan_id!r}; choose one of {choices}")
        return plan

    def known(self, plan_id: str) -> Plan | None:
        """A stored plan id that an operator may since have removed from the catalogue."""
        return self.plans.get(plan_id)

    def listing(self) -> list[dict[str, Any]]:
        return [plan.listing() for plan in self.plans.values()]


def catalogue_from_settings(settings: Settings) -> Catalogue:
    """The default catalogue with ``TILEWORK_BILLING_PLANS`` merged over it (``ValueError`` with
    a readable message when an override does not make a valid plan)."""
    merged = {plan_id: dict(fields) for plan_id, fields in DEFAULT_PLANS.items()}
    for plan_id, override in settings.billing_plans.items():
        if override is None:
            merged.pop(plan_id, None)
        else:
            merged[plan_id] = {**merged.get(plan_id, {}), **override}
    plans = []
    for plan_id, fields in merged.items():
        try:
            plans.append(Plan.model_validate({**fields, "id": plan_id}))
        except PydanticValidationError as exc:
            raise ValueError(f"TILEWORK_BILLING_PLANS: plan {plan_id!r} is invalid: {exc}") from exc
    return Catalogue(plans, settings.billing_default_plan)
