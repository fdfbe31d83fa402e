"""The duration filter: inclusive bounds, either optional."""

from __future__ import annotations

import pydantic
import pytest

from tilework.triggers.filters import DurationFilter, FilterOptions


def test_bounds_are_inclusive() -> None:
    f = DurationFilter(min_seconds=120, max_seconds=2700)
    assert f.rejects(120) is None
    assert f.rejects(2700) is None
    assert f.rejects(119.9) == "duration 119.9 s is below the minimum of 120 s"
    assert f.rejects(2700.5) == "duration 2700.5 s is above the maximum of 2700 s"


def test_either_bound_may_be_left_out() -> None:
    assert DurationFilter(max_seconds=60).rejects(0.5) is None
    assert DurationFilter(min_seconds=60).rejects(10**6) is None
    assert DurationFilter().rejects(3) is None


def test_reversed_bounds_are_refused() -> None:
    with pytest.raises(pydantic.ValidationError, match="max_seconds must be >= "):
        DurationFilter(min_seconds=10, max_seconds=5)


def test_stored_form_is_canonical() -> None:
    assert FilterOptions.of(None).stored() == {
        "duration": {"min_seconds": None, "max_seconds": None}
    }
    assert FilterOptions.model_validate({"duration": {"max_seconds": 5}}).stored() == {
        "duration": {"min_seconds": None, "max_seconds": 5}
    }
