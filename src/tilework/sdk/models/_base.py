"""The two kinds of model: answers (lenient: fields a newer server adds are kept, never refused)
and requests (strict: a misspelt field is an error before anything is sent)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Protocol, TypeVar

from pydantic import BaseModel, ConfigDict

T_co = TypeVar("T_co", covariant=True)


class Answer(BaseModel):
    """A JSON answer of the API. Unknown fields stay readable (``model_extra``, attributes)."""

    model_config = ConfigDict(extra="allow")


class Request(BaseModel):
    """A JSON request body. ``body()`` sends only the fields that were given."""

    model_config = ConfigDict(extra="forbid")

    def body(self) -> dict[str, Any]:
        return self.model_dump(mode="json", exclude_none=True)


class Paged(Protocol[T_co]):
    """One page of a list: its items and the cursor of the next page (``None`` at the end)."""

    @property
    def items(self) -> Sequence[T_co]: ...  # pragma: no cover

    @property
    def next_cursor(self) -> str | None: ...  # pragma: no cover
