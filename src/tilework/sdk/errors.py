"""What the SDK raises: one tree, rooted at ``TileworkClientError``.

::

    TileworkClientError                  anything the SDK raises
    ├── TileworkConnectionError          the server could not be reached (refused, DNS, dropped)
    ├── TileworkTimeoutError             ``runs.wait`` ran out of time (the run goes on)
    ├── TileworkResponseError            a 2xx answer that is not the documented shape
    └── TileworkAPIError                 a non-2xx answer: ``status``, ``error``, ``detail``
        ├── BadRequestError              400 validation_error
        ├── AuthenticationError          401 invalid_api_key
        ├── InsufficientCreditsError     402 insufficient_credits
        ├── PermissionDeniedError        403 forbidden
        ├── NotFoundError                404 not_found (also: another organization's id)
        ├── ConflictError                409 conflict
        ├── PayloadTooLargeError         413 payload_too_large
        ├── UnprocessableError           422 parameter_out_of_range
        ├── RateLimitError               429 rate_limit
        └── ServerError                  5xx
"""

from __future__ import annotations

import contextlib
from typing import Any, ClassVar

import httpx


class TileworkClientError(Exception):
    """Base of every error the SDK raises."""


class TileworkConnectionError(TileworkClientError):
    """The server could not be reached (refused, DNS, timeout, dropped for good)."""


class TileworkTimeoutError(TileworkClientError):
    """A wait ran past its ``timeout``; the work on the server is not affected."""


class TileworkResponseError(TileworkClientError):
    """The server answered 2xx with a body that is not the documented shape."""


class TileworkAPIError(TileworkClientError):
    """The server answered with a non-2xx status and (usually) a ``{detail, error}`` body.

    ``error`` is the API's stable machine code (``not_found``, ``conflict`` …), ``detail`` the
    human text. The subclass follows the status, so ``except NotFoundError`` works.
    """

    status_code: ClassVar[int | None] = None

    def __init__(self, status: int, error: str, detail: str) -> None:
        super().__init__(f"{status} {error}: {detail}")
        self.status = status
        self.error = error
        self.detail = detail

    @classmethod
    def from_response(cls, response: httpx.Response) -> TileworkAPIError:
        """The error for any answer: Tilework JSON, FastAPI's list detail, or plain text."""
        body: Any = None
        with contextlib.suppress(ValueError):
            body = response.json()
        status = response.status_code
        if isinstance(body, dict):
            error = str(body.get("error") or _default_code(status))
            detail = _detail_text(body.get("detail"))
        else:
            error = _default_code(status)
            detail = response.text.strip()[:300] or response.reason_phrase
        return error_class(status, error)(status, error, detail)


class BadRequestError(TileworkAPIError):
    status_code = 400


class AuthenticationError(TileworkAPIError):
    status_code = 401


class InsufficientCreditsError(TileworkAPIError):
    status_code = 402


class PermissionDeniedError(TileworkAPIError):
    status_code = 403


class NotFoundError(TileworkAPIError):
    status_code = 404


class ConflictError(TileworkAPIError):
    status_code = 409


class PayloadTooLargeError(TileworkAPIError):
    status_code = 413


class UnprocessableError(TileworkAPIError):
    status_code = 422


class RateLimitError(TileworkAPIError):
    status_code = 429


class ServerError(TileworkAPIError):
    """Any 5xx answer."""


_BY_STATUS: dict[int, type[TileworkAPIError]] = {
    cls.status_code: cls
    for cls in (
        BadRequestError,
        AuthenticationError,
        InsufficientCreditsError,
        PermissionDeniedError,
        NotFoundError,
        ConflictError,
        PayloadTooLargeError,
        UnprocessableError,
        RateLimitError,
    )
    if cls.status_code is not None
}


def error_class(status: int, error: str) -> type[TileworkAPIError]:
    """The exception type for an answer's status and machine code."""
    if error == "insufficient_credits":  # Mosaic may send it as a 403
        return InsufficientCreditsError
    if status >= 500:
        return ServerError
    return _BY_STATUS.get(status, TileworkAPIError)


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
