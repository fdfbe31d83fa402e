"""What the client raises: one base, one type per way a call can fail."""

from __future__ import annotations

import contextlib
from typing import Any

import httpx


class TileworkClientError(Exception):
    """Base of every error the SDK raises."""


class TileworkConnectionError(TileworkClientError):
    """The server could not be reached (refused, DNS, timeout, dropped for good)."""


class TileworkAPIError(TileworkClientError):
    """The server answered with a non-2xx status and (usually) a ``{detail, error}`` body."""

    def __init__(self, status: int, code: str, detail: str) -> None:
        super().__init__(f"{status} {code}: {detail}")
        self.status = status
        self.code = code
        self.detail = detail

    @classmethod
    def from_response(cls, response: httpx.Response) -> TileworkAPIError:
        """Build the error from any answer: Tilework JSON, FastAPI's list detail, or plain text."""
        body: Any = None
        with contextlib.suppress(ValueError):
            body = response.json()
        if isinstance(body, dict):
            code = str(body.get("error") or _default_code(response.status_code))
            return cls(response.status_code, code, _detail_text(body.get("detail")))
        text = response.text.strip()[:300] or response.reason_phrase
        return cls(response.status_code, _default_code(response.status_code), text)


def _default_code(status: int) -> str:
    return f"http_{status}"


def _detail_text(detail: Any) -> str:
    if isinstance(detail, str):
        return detail
    if isinstance(detail, list):  # FastAPI's validation shape: [{loc, msg, ...}]
        parts = [_validation_item(item) for item in detail]
        return "; ".join(part for part in parts if part)
    return "" if detail is None else str(detail)


def _validation_item(item: Any) -> str:
    if not isinstance(item, dict):
        return str(item)
    location = ".".join(str(part) for part in item.get("loc", ()) if part != "body")
    message = str(item.get("msg", ""))
    return f"{location}: {message}" if location else message
