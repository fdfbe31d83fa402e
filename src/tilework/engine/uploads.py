"""The engine's side of ``TileContext.resolve_upload``: tiles find their organization's uploads.

Tiles refer to uploaded logos, music and intro clips by id (``image_id``, ``audio_id``,
``video_ids``) but never see the database, so the engine hands each task a resolver bound to the
run's organization. An id that is unknown, belongs to another organization, is of another kind or
was never finalized is one and the same ``ValidationError`` (we do not tell a caller that someone
else's id exists), which fails the task with that message.
"""

from __future__ import annotations

from pathlib import Path

from sqlalchemy.orm import Session, sessionmaker

from tilework.db.session import unit_of_work
from tilework.db.tables import Upload
from tilework.errors import ValidationError
from tilework.media.probe import MediaInfo
from tilework.storage.base import BlobStore
from tilework.tiles.base import UploadKind, UploadResolver


def upload_resolver(
    sessions: sessionmaker[Session], blobs: BlobStore, org_id: str
) -> UploadResolver:
    """A resolver of ``org_id``'s finalized uploads: (kind, id) → (file path, probe)."""

    def resolve(kind: UploadKind, upload_id: str) -> tuple[Path, MediaInfo | None]:
        with unit_of_work(sessions) as session:
            upload = session.get(Upload, upload_id)
            if upload is None or upload.organization_id != org_id or upload.kind != kind:
                raise ValidationError(f"no {kind} upload {upload_id}")
            if upload.status != "ready" or upload.blob_key is None:
                raise ValidationError(
                    f"{kind} upload {upload_id} is not finalized: post the file, then call "
                    f"/uploads/{kind}/finalize_upload"
                )
            key, stored = upload.blob_key, upload.media_info
        info = MediaInfo.model_validate(stored) if stored is not None else None
        return blobs.path(key), info

    return resolve
