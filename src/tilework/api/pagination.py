"""Keyset pagination for every list: newest first, ordered by ``(created_at desc, id desc)``.

A cursor is opaque to clients: urlsafe base64 of the JSON ``[created_at ISO, id]`` of the last row
of the previous page. Keyset (not offset) paging stays correct while rows are being added.
"""

from __future__ import annotations

import base64
import binascii
import json
from datetime import datetime
from typing import Protocol, TypeVar

from sqlalchemy import Select, and_, inspect, or_
from sqlalchemy.orm import Session

from tilework.errors import ValidationError

DEFAULT_LIMIT = 25
MAX_LIMIT = 100


class Keyed(Protocol):
    created_at: datetime
    id: str


T = TypeVar("T", bound=Keyed)


def check_limit(limit: int) -> int:
    if not 1 <= limit <= MAX_LIMIT:
        raise ValidationError(f"limit: must be between 1 and {MAX_LIMIT}")
    return limit


def encode_cursor(created_at: datetime, row_id: str) -> str:
    raw = json.dumps([created_at.isoformat(), row_id]).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_cursor(cursor: str) -> tuple[datetime, str]:
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        created_at, row_id = json.loads(base64.urlsafe_b64decode(padded))
        when = datetime.fromisoformat(created_at)
    except (ValueError, TypeError, binascii.Error):
        raise ValidationError("cursor: not a cursor this API issued") from None
    if when.tzinfo is None or not isinstance(row_id, str):
        raise ValidationError("cursor: not a cursor this API issued")
    return when, row_id


def paginate(
    session: Session,
    query: Select[T],
    model: type[T],
    *,
    limit: int = DEFAULT_LIMIT,
    cursor: str | None = None,
) -> tuple[list[T], str | None]:
    """One page of ``query`` (rows of ``model``) and the cursor of the next page, if any."""
    check_limit(limit)
    columns = inspect(model).columns
    created_at, row_id = columns["created_at"], columns["id"]
    if cursor:
        after_time, after_id = decode_cursor(cursor)
        query = query.where(
            or_(created_at < after_time, and_(created_at == after_time, row_id < after_id))
        )
    query = query.order_by(created_at.desc(), row_id.desc()).limit(limit + 1)
    rows = list(session.scalars(query))
    if len(rows) <= limit:
        return rows, None
    last = rows[limit - 1]
    return rows[:limit], encode_cursor(last.created_at, last.id)
