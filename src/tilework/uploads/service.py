"""The upload flow: reserve → the client posts the signed form → finalize (probe, mark ready).

An ``Upload`` row is ``pending`` until its bytes arrive (``uploaded``) and ``ready`` once probed.
A pending upload expires ``upload_url_ttl_seconds`` after it was reserved: after that its id
answers 404. Once the bytes are in, it no longer expires. The service runs its own short units of
work because receiving and probing can take minutes, and a transaction must not stay open (on
SQLite it would hold the write lock) for that long.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from contextlib import AbstractContextManager
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, BinaryIO, Literal

from sqlalchemy.orm import Session, sessionmaker

from tilework.config import Settings
from tilework.db.session import unit_of_work
from tilework.db.tables import Upload, new_id, utcnow
from tilework.errors import (
    ConflictError,
    ForbiddenError,
    MediaError,
    NotFoundError,
    PayloadTooLargeError,
    ValidationError,
)
from tilework.media.probe import probe, probe_url
from tilework.media.runner import FFmpegRunner
from tilework.storage.base import BlobStore
from tilework.storage.signing import UrlSigner

Kind = Literal["video", "audio", "image"]
FORM_PURPOSE = "upload"


@dataclass(frozen=True)
class UploadTicket:
    """What ``get_upload_url`` answers: where and how to post the file."""

    upload_id: str
    upload_url: str
    upload_fields: dict[str, str]
    max_file_size_bytes: int


@dataclass(frozen=True)
class FormTarget:
    """A pending upload ready to receive its bytes."""

    upload_id: str
    blob_key: str
    max_bytes: int


class UploadService:
    def __init__(
        self,
        settings: Settings,
        sessions: sessionmaker[Session],
        blobs: BlobStore,
        signer: UrlSigner,
        runner: FFmpegRunner,
    ) -> None:
        self.settings = settings
        self.sessions = sessions
        self.blobs = blobs
        self.signer = signer
        self.runner = runner

    def max_bytes(self, kind: str) -> int:
        limits = {
            "video": self.settings.max_video_bytes,
            "audio": self.settings.max_audio_bytes,
            "image": self.settings.max_image_bytes,
        }
        return limits[kind]

    # --- reserve ---------------------------------------------------------------------------

    def reserve(self, org_id: str, kind: Kind) -> UploadTicket:
        upload_id = new_id()
        key = f"uploads/{upload_id}/source"
        expires = self.signer.expiry(self.settings.upload_url_ttl_seconds)
        with unit_of_work(self.sessions) as session:
            session.add(
                Upload(
                    id=upload_id,
                    organization_id=org_id,
                    kind=kind,
                    blob_key=key,
                    expires_at=datetime.fromtimestamp(expires, UTC),
                )
            )
        direct = self.blobs.upload_form(
            key, max_bytes=self.max_bytes(kind), ttl_seconds=self.settings.upload_url_ttl_seconds
        )
        if direct is not None:  # an S3 presigned POST: the bytes never pass through us
            url, fields = direct
            return UploadTicket(upload_id, url, fields, self.max_bytes(kind))
        signature = self.signer.sign_fields(FORM_PURPOSE, _form_value(upload_id, key), expires)
        return UploadTicket(
            upload_id=upload_id,
            upload_url=f"{self.settings.public_base_url}/uploads/form/{upload_id}",
            upload_fields={"key": key, "expires": str(expires), "signature": signature},
            max_file_size_bytes=self.max_bytes(kind),
        )

    # --- receive ---------------------------------------------------------------------------

    def form_target(self, upload_id: str) -> FormTarget:
        """The upload a form post is for: 404 unknown or expired, 409 already finalized."""
        with unit_of_work(self.sessions) as session:
            upload = _live_upload(session, upload_id)
            if upload.status == "ready":
                raise ConflictError(f"upload {upload_id} is already finalized")
            assert upload.blob_key is not None
            return FormTarget(upload.id, upload.blob_key, self.max_bytes(upload.kind))

    def check_form_fields(self, target: FormTarget, fields: Mapping[str, str]) -> None:
        """403 unless the form carries this upload's signed fields, unexpired."""
        key = fields.get("key", "")
        if key != target.blob_key:
            raise ForbiddenError("the form's key does not belong to this upload")
        self.signer.verify_fields(
            FORM_PURPOSE,
            _form_value(target.upload_id, key),
            fields.get("expires", ""),
            fields.get("signature", ""),
        )

    def open_blob(self, target: FormTarget) -> AbstractContextManager[BinaryIO]:
        return self.blobs.open_write(target.blob_key)

    def mark_uploaded(self, upload_id: str, size: int, filename: str | None) -> None:
        with unit_of_work(self.sessions) as session:
            upload = _live_upload(session, upload_id)
            upload.status = "uploaded"
            upload.size_bytes = size
            upload.filename = filename
            upload.media_info = None

    # --- finalize --------------------------------------------------------------------------

    def finalize(self, org_id: str, kind: Kind, upload_id: str) -> dict[str, Any]:
        """Probe the uploaded file as ``kind`` and mark it ready; answers the media info."""
        with unit_of_work(self.sessions) as session:
            upload = _owned_upload(session, org_id, kind, upload_id, posted=self._posted)
            if upload.status == "ready" and upload.media_info is not None:
                return _finalized(kind, upload.id, upload.media_info)
            assert upload.blob_key is not None
            key = upload.blob_key
        size = self._check_size(kind, key)
        info = self._probe(kind, key, size)
        with unit_of_work(self.sessions) as session:
            upload = _owned_upload(session, org_id, kind, upload_id, posted=self._posted)
            upload.status = "ready"
            upload.media_info = info
            upload.size_bytes = upload.size_bytes or size
        return _finalized(kind, upload_id, info)

    def _posted(self, upload: Upload) -> bool:
        """A pending upload whose file was posted straight to the store (S3 presigned POST)."""
        return upload.blob_key is not None and self.blobs.exists(upload.blob_key)

    def _check_size(self, kind: Kind, key: str) -> int:
        size = self.blobs.size(key)
        if size == 0:
            raise MediaError("the uploaded file is empty")
        if size > self.max_bytes(kind):  # the store should have refused it already
            self.blobs.delete(key)
            raise PayloadTooLargeError(
                f"the uploaded file is {size} bytes; the limit is {self.max_bytes(kind)}"
            )
        return size

    def _probe(self, kind: Kind, key: str, size: int) -> dict[str, Any]:
        url = self.blobs.remote_url(key)
        if url is None:
            info = probe(self.runner, self.blobs.path(key), kind)
        else:  # read through range requests: the API never downloads the whole upload
            info = probe_url(self.runner, url, kind, size_bytes=size, name=key.rsplit("/", 1)[-1])
        return info.model_dump(mode="json")


def _form_value(upload_id: str, key: str) -> str:
    return f"{upload_id}:{key}"


def _finalized(kind: Kind, upload_id: str, info: Mapping[str, Any]) -> dict[str, Any]:
    return {**info, f"{kind}_id": upload_id, "status": "ready"}


def _live_upload(session: Session, upload_id: str) -> Upload:
    upload = session.get(Upload, upload_id)
    if upload is None or (upload.status == "pending" and upload.expires_at < utcnow()):
        raise NotFoundError(f"upload {upload_id} not found or expired")
    return upload


def _owned_upload(
    session: Session, org_id: str, kind: Kind, upload_id: str, *, posted: Callable[[Upload], bool]
) -> Upload:
    """The organization's upload of ``kind``: 404 otherwise, 400 if no bytes arrived yet."""
    upload = _live_upload(session, upload_id)
    if upload.organization_id != org_id or upload.kind != kind:
        raise NotFoundError(f"upload {upload_id} not found or expired")
    if upload.status == "pending" and not posted(upload):
        raise ValidationError(f"upload {upload_id} has no file yet: post the form first")
    return upload
