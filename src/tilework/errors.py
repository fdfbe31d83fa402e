"""One error tree for the whole service.

    TileworkError (status, code)                 rendered as {"detail": ..., "error": code}
    ├── ValidationError          400 validation_error
    │   └── MediaError           400 validation_error   (input is not decodable media)
    ├── AuthError                401 invalid_api_key
    ├── ForbiddenError           403 forbidden
    │   └── InsufficientScopeError 403 insufficient_scope  (the key lacks the route's scope)
    ├── NotFoundError            404 not_found
    ├── ConflictError            409 conflict
    ├── PayloadTooLargeError     413 payload_too_large
    ├── UnsupportedMediaTypeError 415 unsupported_media_type
    ├── RangeNotSatisfiableError 416 range_not_satisfiable
    ├── OutOfRangeError          422 parameter_out_of_range
    ├── RateLimitError           429 rate_limit
    ├── InsufficientCreditsError 402 insufficient_credits
    └── InternalError            500 internal_server_error

Services and tiles raise these; one exception handler in ``tilework.api`` renders them, so no
router builds an error response by hand. ``TaskAborted`` and ``RetryLater`` are control flow,
not HTTP errors: the first tells a worker that the job it runs was cancelled, the second that
the job could not finish for a reason outside the task (the database went away) and should run
again after ``delay_seconds``.
"""

from __future__ import annotations

from collections.abc import Mapping


class TileworkError(Exception):
    status_code = 500
    code = "internal_server_error"

    def __init__(self, detail: str, *, headers: Mapping[str, str] | None = None) -> None:
        super().__init__(detail)
        self.detail = detail
        self.headers: Mapping[str, str] = headers or {}  # sent with the error (Retry-After)


class ValidationError(TileworkError):
    status_code = 400
    code = "validation_error"


class MediaError(ValidationError):
    """The file is not decodable media of the expected kind (or ffmpeg failed on it)."""


class AuthError(TileworkError):
    status_code = 401
    code = "invalid_api_key"


class ForbiddenError(TileworkError):
    status_code = 403
    code = "forbidden"


class InsufficientScopeError(ForbiddenError):
    code = "insufficient_scope"


class NotFoundError(TileworkError):
    status_code = 404
    code = "not_found"


class ConflictError(TileworkError):
    status_code = 409
    code = "conflict"


class PayloadTooLargeError(TileworkError):
    status_code = 413
    code = "payload_too_large"


class UnsupportedMediaTypeError(TileworkError):
    status_code = 415
    code = "unsupported_media_type"


class RangeNotSatisfiableError(TileworkError):
    status_code = 416
    code = "range_not_satisfiable"


class OutOfRangeError(TileworkError):
    status_code = 422
    code = "parameter_out_of_range"


class RateLimitError(TileworkError):
    status_code = 429
    code = "rate_limit"


class InsufficientCreditsError(TileworkError):
    status_code = 402
    code = "insufficient_credits"


class InternalError(TileworkError):
    status_code = 500
    code = "internal_server_error"


class TaskAborted(Exception):
    """The job running this code was aborted (run cancelled); stop and clean up."""


class RetryLater(Exception):
    """Run this job again later: something outside the task failed (a lost database)."""

    def __init__(self, reason: str, delay_seconds: float = 2.0) -> None:
        super().__init__(reason)
        self.delay_seconds = delay_seconds
