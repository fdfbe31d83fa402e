"""An API operation described as data: method, path, query, body and how to read the answer.

Each operation is written once (in ``resources/``) as a function returning a ``Call``; the
synchronous and the asynchronous client only differ in how they send it.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Generic, TypeVar
from urllib.parse import quote

from pydantic import BaseModel, TypeAdapter

from tilework.sdk.models._base import Request

T_co = TypeVar("T_co", covariant=True)
M = TypeVar("M", bound=BaseModel)


@dataclass(frozen=True)
class Call(Generic[T_co]):
    method: str
    path: str
    parse: Callable[[Any], T_co]
    params: Mapping[str, Any] | None = None
    body: Request | None = None

    def json(self) -> dict[str, Any] | None:
        return None if self.body is None else self.body.body()


def path(template: str, *ids: str) -> str:
    """``template`` with each ``{}`` replaced by an id, escaped so an id cannot change the path."""
    return template.format(*(quote(str(value), safe="") for value in ids))


def query(**values: Any) -> dict[str, Any]:
    """Query parameters without the ``None`` ones; lists become comma lists, times ISO 8601."""
    params: dict[str, Any] = {}
    for name, value in values.items():
        if value is None:
            continue
        if isinstance(value, datetime):
            value = value.isoformat()
        elif isinstance(value, Sequence) and not isinstance(value, str):
            value = ",".join(str(item) for item in value)
        params[name.rstrip("_")] = value  # from_ → from
    return params


def model(cls: type[M]) -> Callable[[Any], M]:
    return cls.model_validate


def list_of(cls: type[M]) -> Callable[[Any], list[M]]:
    return TypeAdapter(list[cls]).validate_python  # type: ignore[valid-type]


def nothing(_: Any) -> None:
    return None
