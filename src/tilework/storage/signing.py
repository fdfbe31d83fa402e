"""Signed URLs for blobs, and signed form fields (the upload form), both HMAC-SHA256.

A file URL is ``{base}/files/{key}?expires=<unix>&signature=<hex>`` where the signature covers
``"{METHOD} {path}\\n{expires}"`` (``path`` being ``/files/{url-quoted key}``): one object, one
method (``GET``, which ``HEAD`` shares since it is a ``GET`` without the body), so a download
URL can never stand in for another object or an upload. An optional ``filename`` query
parameter only names the download; it is not signed, since changing it changes nothing but the
name the holder of a valid URL saves the file under.

Form fields are signed over ``"{purpose}\\n{value}\\n{expires}"``: three lines where a file URL
signs two, and a purpose is one word with no space, so a signature made for one use can never
pass for the other. Comparisons are constant-time.
"""

from __future__ import annotations

import hashlib
import hmac
import time
from collections.abc import Callable
from urllib.parse import quote, urlencode

from tilework.errors import ForbiddenError

Clock = Callable[[], float]


class UrlSigner:
    def __init__(
        self, key: bytes, base_url: str, ttl_seconds: int, clock: Clock | None = None
    ) -> None:
        if not key:
            raise ValueError("the signing key must not be empty")
        self._key = key
        self.base_url = base_url.rstrip("/")
        self.ttl_seconds = ttl_seconds
        self._clock = clock or time.time

    # --- file URLs -------------------------------------------------------------------------

    def sign(
        self,
        blob_key: str,
        *,
        ttl_seconds: int | None = None,
        filename: str | None = None,
        method: str = "GET",
    ) -> str:
        expires = self.expiry(self.ttl_seconds if ttl_seconds is None else ttl_seconds)
        path = file_path(blob_key)
        query = {"expires": str(expires), "signature": self._mac(_request(method, path, expires))}
        if filename:
            query["filename"] = filename
        return f"{self.base_url}{path}?{urlencode(query)}"

    def verify(
        self, blob_key: str, expires: int | str, signature: str, *, method: str = "GET"
    ) -> None:
        """Raise ``ForbiddenError`` unless ``signature`` is ours for this key and method, and
        unexpired."""
        when = _parse_expires(expires)
        path = file_path(blob_key)
        if not self._matches(_request(method, path, when), signature):
            # URLs signed before signatures named the method (``{path}\n{expires}``) were for
            # downloads only: they keep working for GET/HEAD until they expire (7 days at most).
            legacy = method.upper() in ("GET", "HEAD")
            if not (legacy and self._matches(f"{path}\n{when}", signature)):
                raise ForbiddenError("invalid signature")
        self._check_not_expired(when, "signed URL")

    # --- form fields -----------------------------------------------------------------------

    def sign_fields(self, purpose: str, value: str, expires: int) -> str:
        """The signature (hex) binding ``value`` to ``purpose`` until ``expires`` (unix time)."""
        return self._mac(f"{purpose}\n{value}\n{expires}")

    def verify_fields(self, purpose: str, value: str, expires: int | str, signature: str) -> None:
        when = _parse_expires(expires)
        self._check(f"{purpose}\n{value}\n{when}", signature)
        self._check_not_expired(when, "signed form")

    def expiry(self, ttl_seconds: int) -> int:
        """The unix time ``ttl_seconds`` from now."""
        return int(self._clock()) + ttl_seconds

    # --- internals -------------------------------------------------------------------------

    def _mac(self, message: str) -> str:
        return hmac.new(self._key, message.encode(), hashlib.sha256).hexdigest()

    def _check(self, message: str, signature: str) -> None:
        if not self._matches(message, signature):
            raise ForbiddenError("invalid signature")

    def _matches(self, message: str, signature: str) -> bool:
        # Bytes, not str: compare_digest refuses non-ASCII strings with a TypeError.
        expected = self._mac(message).encode()
        return hmac.compare_digest(expected, signature.lower().encode())

    def _check_not_expired(self, expires: int, what: str) -> None:
        if self._clock() > expires:
            raise ForbiddenError(f"{what} has expired")


def _request(method: str, path: str, expires: int) -> str:
    method = method.upper()
    return f"{'GET' if method == 'HEAD' else method} {path}\n{expires}"


def file_path(blob_key: str) -> str:
    """The URL path a blob is served under (what the signature covers)."""
    return f"/files/{quote(blob_key, safe='/')}"


def _parse_expires(expires: int | str) -> int:
    try:
        return int(expires)
    except (TypeError, ValueError):
        raise ForbiddenError("invalid expiry") from None
