from __future__ import annotations

from datetime import UTC, datetime

import pytest

from tilework.api.pagination import check_limit, decode_cursor, encode_cursor
from tilework.errors import ValidationError


def test_cursor_round_trips_and_is_url_safe() -> None:
    when = datetime(2025, 5, 6, 7, 8, 9, 123456, tzinfo=UTC)
    cursor = encode_cursor(when, "id-1")
    assert cursor.replace("-", "").replace("_", "").isalnum()
    assert decode_cursor(cursor) == (when, "id-1")


@pytest.mark.parametrize(
    "cursor", ["", "!!", "bm90IGpzb24", "WzEsMl0", "WyIyMDI1LTAxLTAxIiwgImEiXQ"]
)
def test_foreign_cursors_are_refused(cursor: str) -> None:
    with pytest.raises(ValidationError):
        decode_cursor(cursor)


def test_limit_bounds() -> None:
    assert check_limit(1) == 1 and check_limit(100) == 100
    for bad in (0, 101, -5):
        with pytest.raises(ValidationError):
            check_limit(bad)
