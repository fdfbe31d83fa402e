"""The YouTube trigger's ``filter_options``: which videos start a run.

Only ``duration`` exists (as in Mosaic): ``min_seconds`` and ``max_seconds``, both inclusive,
either may be left out. A video whose duration is unknown when it is checked is let through to
the download, whose probe gives the duration; the filter is applied again there.
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field, model_validator


class DurationFilter(BaseModel):
    model_config = ConfigDict(extra="forbid")

    min_seconds: int | None = Field(default=None, ge=0, description="shortest accepted, inclusive")
    max_seconds: int | None = Field(default=None, gt=0, description="longest accepted, inclusive")

    @model_validator(mode="after")
    def _ordered(self) -> DurationFilter:
        low, high = self.min_seconds, self.max_seconds
        if low is not None and high is not None and high < low:
            raise ValueError("duration.max_seconds must be >= duration.min_seconds")
        return self

    def rejects(self, seconds: float) -> str | None:
        """Why a video of ``seconds`` is filtered out, or ``None`` when it passes."""
        if self.min_seconds is not None and seconds < self.min_seconds:
            return f"duration {seconds:g} s is below the minimum of {self.min_seconds} s"
        if self.max_seconds is not None and seconds > self.max_seconds:
            return f"duration {seconds:g} s is above the maximum of {self.max_seconds} s"
        return None


class FilterOptions(BaseModel):
    model_config = ConfigDict(extra="forbid")

    duration: DurationFilter = Field(default_factory=DurationFilter)

    def stored(self) -> dict[str, Any]:
        """The canonical form kept on the trigger (and compared to match triggers)."""
        return self.model_dump(mode="json")

    @classmethod
    def of(cls, stored: dict[str, Any] | None) -> FilterOptions:
        return cls.model_validate(stored or {})
