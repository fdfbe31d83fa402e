"""Uploads: reserve a signed form, receive the file, finalize. HTTP only.

The form endpoint takes no bearer key: the signed fields handed out by ``get_upload_url`` are its
authorization (as with an S3 presigned POST), so plain HTML forms and ``curl -F`` work.
"""

from __future__ import annotations

from typing import Any, Literal

from fastapi import APIRouter, Depends, Request, Response
from pydantic import BaseModel
from starlette.concurrency import run_in_threadpool

from tilework.api.deps import get_org, get_runtime
from tilework.api.multipart import receive_file
from tilework.api.openapi import errors
from tilework.api.request_limits import MAX_UPLOAD_BODY_BYTES
from tilework.db.tables import Organization
from tilework.errors import ValidationError
from tilework.runtime import Runtime
from tilework.uploads.service import UploadService

router = APIRouter(tags=["uploads"])

Kind = Literal["video", "audio", "image"]


class FinalizeRequest(BaseModel):
    video_id: str | None = None
    audio_id: str | None = None
    image_id: str | None = None


def get_uploads(runtime: Runtime = Depends(get_runtime)) -> UploadService:
    return UploadService(
        runtime.settings, runtime.sessions, runtime.blobs, runtime.signer, runtime.runner
    )


@router.post("/uploads/{kind}/get_upload_url")
def get_upload_url(
    kind: Kind,
    org: Organization = Depends(get_org),
    uploads: UploadService = Depends(get_uploads),
) -> dict[str, Any]:
    ticket = uploads.reserve(org.id, kind)
    return {
        f"{kind}_id": ticket.upload_id,
        "upload_url": ticket.upload_url,
        "upload_fields": ticket.upload_fields,
        "max_file_size_bytes": ticket.max_file_size_bytes,
    }


_FORM_BODY = {
    "required": True,
    "content": {
        "multipart/form-data": {
            "schema": {
                "type": "object",
                "required": ["key", "expires", "signature", "file"],
                "properties": {
                    "key": {"type": "string"},
                    "expires": {"type": "string"},
                    "signature": {"type": "string"},
                    "file": {"type": "string", "format": "binary"},
                },
            },
            "encoding": {"file": {"contentType": "application/octet-stream"}},
        }
    },
}


@router.post(
    "/uploads/form/{upload_id}",
    status_code=204,
    response_class=Response,
    max_body_size=MAX_UPLOAD_BODY_BYTES,  # each kind's own limit is enforced while streaming
    openapi_extra={"requestBody": _FORM_BODY},
    responses=errors(403, 409),
)
async def receive_upload_form(
    upload_id: str, request: Request, uploads: UploadService = Depends(get_uploads)
) -> Response:
    """Multipart form: the ``upload_fields`` first, then the file. Answers 204."""
    target = await run_in_threadpool(uploads.form_target, upload_id)
    received = await receive_file(
        request,
        max_bytes=target.max_bytes,
        check_fields=lambda fields: uploads.check_form_fields(target, fields),
        open_sink=lambda: uploads.open_blob(target),
    )
    await run_in_threadpool(uploads.mark_uploaded, upload_id, received.size, received.filename)
    return Response(status_code=204)


@router.post("/uploads/{kind}/finalize_upload")
def finalize_upload(
    kind: Kind,
    body: FinalizeRequest,
    org: Organization = Depends(get_org),
    uploads: UploadService = Depends(get_uploads),
) -> dict[str, Any]:
    upload_id = getattr(body, f"{kind}_id")
    if not upload_id:
        raise ValidationError(f"{kind}_id: field required")
    return uploads.finalize(org.id, kind, upload_id)
