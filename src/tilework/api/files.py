"""``GET``/``HEAD /files/{key}``: a blob behind a signed URL, with HTTP Range support.

Starlette's ``FileResponse`` already answers ``Range`` requests (206, multipart byte ranges,
``If-Range``), so this endpoint checks the signature, picks the content type, and checks the
``Range`` header first with Starlette's own parser: a bad or unsatisfiable range is then our
JSON 400/416 rather than the plain-text answer ``FileResponse`` would give.
"""

from __future__ import annotations

import mimetypes

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import FileResponse
from starlette.responses import MalformedRangeHeader, RangeNotSatisfiable

from tilework.api.deps import get_runtime
from tilework.api.openapi import errors
from tilework.errors import NotFoundError, RangeNotSatisfiableError, ValidationError
from tilework.runtime import Runtime

router = APIRouter(tags=["files"])


_FILE = {"*/*": {"schema": {"type": "string", "format": "binary"}}}


@router.get(
    "/files/{key:path}",
    response_class=FileResponse,
    responses={
        200: {"description": "The file", "content": _FILE},
        206: {"description": "The requested byte range(s) of the file", "content": _FILE},
        **errors(403, 416),
    },
)
@router.head("/files/{key:path}", response_class=FileResponse, include_in_schema=False)
def get_file(
    request: Request,
    key: str,
    expires: str = Query(default="", description="Unix time the URL stops working"),
    signature: str = Query(default=""),
    filename: str | None = Query(default=None, description="Name to save the download under"),
    runtime: Runtime = Depends(get_runtime),
) -> FileResponse:
    # A missing signature is a 403 too; the signature is bound to this key and to GET (or HEAD).
    runtime.signer.verify(key, expires, signature, method=request.method)
    if not runtime.blobs.exists(key):
        raise NotFoundError("file not found")
    _check_range(request.headers.get("range"), runtime.blobs.size(key))
    return FileResponse(
        runtime.blobs.path(key),
        media_type=_media_type(filename or key),
        filename=filename,
        content_disposition_type="inline",
    )


def _check_range(header: str | None, size: int) -> None:
    if header is None:
        return
    try:
        FileResponse._parse_range_header(header, size)
    except MalformedRangeHeader as exc:
        raise ValidationError(f"Range: {exc.content}") from None
    except RangeNotSatisfiable:
        raise RangeNotSatisfiableError(
            f"Range: the file has {size} bytes", headers={"Content-Range": f"bytes */{size}"}
        ) from None


def _media_type(name: str) -> str:
    # Stored blobs often have no extension ("uploads/<id>/source"): never guess text/plain.
    return mimetypes.guess_type(name)[0] or "application/octet-stream"
