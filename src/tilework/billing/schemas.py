"""Request bodies of the plans and credits API, with the limits api.md gives."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field, model_validator

MAX_TOPUP_VALUE = 1_000_000  # Mosaic's bound for threshold and quantity
MAX_GRANT = 1_000_000_000


class UpgradeRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    plan_id: str = Field(min_length=1, max_length=64, description="A plan id of GET /plan/list")
    success_url: str | None = Field(
        default=None, max_length=2000, description="Where checkout sends the browser when paid"
    )
    cancel_url: str | None = Field(
        default=None, max_length=2000, description="Where checkout sends the browser if declined"
    )


class AutoTopupSettings(BaseModel):
    model_config = ConfigDict(extra="forbid")

    enabled: bool = Field(strict=True)
    threshold: int = Field(
        strict=True, ge=0, le=MAX_TOPUP_VALUE, description="Top up when the balance falls below"
    )
    quantity: int = Field(
        strict=True, ge=0, le=MAX_TOPUP_VALUE, description="Credits bought per top-up"
    )

    @model_validator(mode="after")
    def _buys_something(self) -> AutoTopupSettings:
        if self.enabled and self.quantity < 1:
            raise ValueError("auto_topup.quantity must be at least 1 to enable automatic top-ups")
        return self


class CreditSettingsRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    auto_topup: AutoTopupSettings
