"""Limits on what a request may send: body size and content type.

- **Size.** Bodies are capped at ``MAX_JSON_BODY_BYTES`` (1 MiB) by FastAPI's own body limit
  (``FastAPI(max_body_size=...)``): it counts bytes as they arrive, so a chunked body is cut off
  at the limit too, and answers 413 ``payload_too_large``. The upload form route raises its cap
  to ``MAX_UPLOAD_BODY_BYTES`` and enforces the per-kind limit itself while streaming
  (``api.multipart``).
- **Type.** ``require_json_content_type`` (an app-wide dependency) answers 415
  ``unsupported_media_type`` when an operation that takes a JSON body receives a non-empty body
  labelled anything but ``application/json`` (or ``application/*+json``). Form routes are left to
  their own parser; a body-less request is never refused for its headers.
"""

from __future__ import annotations

from fastapi import params
from starlette.requests import Request

from tilework.errors import UnsupportedMediaTypeError

MAX_JSON_BODY_BYTES = 1024 * 1024
# The HTTP cap of the upload form; each kind's own limit (TILEWORK_MAX_*_BYTES) is lower.
MAX_UPLOAD_BODY_BYTES = 1024**4


def require_json_content_type(request: Request) -> None:
    body_field = getattr(request.scope.get("route"), "body_field", None)
    if body_field is None or isinstance(body_field.field_info, params.Form):
        return
    if not _has_body(request):
        return
    raw = request.headers.get("content-type", "")
    media_type = raw.split(";", 1)[0].strip().lower()
    if media_type == "application/json" or (
        media_type.startswith("application/") and media_type.endswith("+json")
    ):
        return
    shown = f"got {media_type}" if media_type else "no Content-Type header"
    raise UnsupportedMediaTypeError(f"send the body as application/json ({shown})")


def _has_body(request: Request) -> bool:
    length = request.headers.get("content-length")
    if length is not None:
        return length.strip() not in ("", "0")
    return "transfer-encoding" in request.headers
