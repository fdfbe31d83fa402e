"""Per-key rate limits on the HTTP surface: which buckets a request draws on, and the headers.

Every authenticated request takes a token from its key's ``requests`` bucket
(``TILEWORK_RATE_LIMIT_PER_MINUTE``); a request that starts a run also takes one from the smaller
``run_starts`` bucket (``TILEWORK_RATE_LIMIT_RUNS_PER_MINUTE``). An empty bucket is a 429
``rate_limit`` with ``Retry-After``. Every answer to an authenticated request carries
``X-RateLimit-Limit``, ``-Remaining`` and ``-Reset`` (seconds until the bucket is full) of the
bucket that is closest to empty; ``RateLimitHeaders`` adds them once the route has run.
"""

from __future__ import annotations

from starlette.datastructures import MutableHeaders
from starlette.requests import Request
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from tilework.api.route_scopes import RUN_STARTS
from tilework.config import Settings
from tilework.errors import RateLimitError
from tilework.orgs.rate_limit import Bucket, RateLimiter, Verdict

_STATE_KEY = "rate_limit"


def enforce(
    request: Request,
    route: tuple[str, str],
    api_key_id: str,
    *,
    settings: Settings,
    limiter: RateLimiter,
) -> None:
    """Take this request's tokens; raise ``RateLimitError`` (429) when a bucket is empty."""
    shown: Verdict | None = None
    for bucket in _buckets(route, settings):
        verdict = limiter.take(api_key_id, bucket)
        if shown is None or verdict.remaining < shown.remaining or not verdict.allowed:
            shown = verdict
        if not verdict.allowed:
            break
    if shown is None:
        return
    request.state.rate_limit = shown
    if not shown.allowed:
        raise RateLimitError(
            f"rate limit of {shown.limit} {_WHAT[shown.bucket]} per minute for this API key "
            f"reached: retry in {shown.retry_after_seconds} s",
            headers={"Retry-After": str(shown.retry_after_seconds)},
        )


def _buckets(route: tuple[str, str], settings: Settings) -> list[Bucket]:
    buckets = []
    if settings.rate_limit_per_minute > 0:
        buckets.append(Bucket("requests", settings.rate_limit_per_minute))
    if route in RUN_STARTS and settings.rate_limit_runs_per_minute > 0:
        buckets.append(Bucket("run_starts", settings.rate_limit_runs_per_minute))
    return buckets


_WHAT = {"requests": "requests", "run_starts": "run starts"}


class RateLimitHeaders:
    """Pure ASGI middleware: adds the ``X-RateLimit-*`` headers ``enforce`` left in the state."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                verdict = scope.get("state", {}).get(_STATE_KEY)
                if isinstance(verdict, Verdict):
                    headers = MutableHeaders(scope=message)
                    for name, value in verdict.headers().items():
                        if name not in headers:
                            headers[name] = value
            await send(message)

        await self.app(scope, receive, send_with_headers)
