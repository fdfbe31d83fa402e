"""Uploads from a local path: reserve a signed slot, send the file (with progress), finalize."""

from __future__ import annotations

from pathlib import Path

from tilework.sdk._async import AsyncCore
from tilework.sdk._call import Call, model, path
from tilework.sdk._http import Progress
from tilework.sdk._sync import SyncCore
from tilework.sdk.errors import PayloadTooLargeError
from tilework.sdk.models.uploads import (
    FinalizeUploadRequest,
    UploadedMedia,
    UploadKind,
    UploadSlot,
)

# --- operations ------------------------------------------------------------------------------


def get_upload_url(kind: UploadKind) -> Call[UploadSlot]:
    return Call("POST", path("/uploads/{}/get_upload_url", kind), model(UploadSlot))


def finalize_upload(kind: UploadKind, upload_id: str) -> Call[UploadedMedia]:
    body = FinalizeUploadRequest.model_validate({f"{kind}_id": upload_id})
    return Call("POST", path("/uploads/{}/finalize_upload", kind), model(UploadedMedia), body=body)


def _checked(file: str | Path) -> tuple[Path, int]:
    """The file and its size; ``FileNotFoundError`` before anything is reserved."""
    file = Path(file)
    return file, file.stat().st_size


def _check_size(file: Path, size: int, slot: UploadSlot) -> None:
    limit = slot.max_file_size_bytes
    if limit is not None and size > limit:
        raise PayloadTooLargeError(
            413, "payload_too_large", f"{file.name} is {size} bytes; the limit is {limit}"
        )


# --- synchronous -----------------------------------------------------------------------------


class Uploads:
    def __init__(self, core: SyncCore) -> None:
        self._core = core

    def upload(
        self, file: str | Path, *, kind: UploadKind = "video", on_progress: Progress | None = None
    ) -> UploadedMedia:
        """Upload a local file; ``on_progress(sent_bytes, total_bytes)`` as it goes. The
        answer's ``upload_id`` is the ``video_id`` (``audio_id``, ``image_id``) to run on."""
        file, size = _checked(file)
        slot = self.get_upload_url(kind)
        _check_size(file, size, slot)
        self.send(slot, file, on_progress=on_progress)
        return self.finalize(slot.upload_id, kind=kind)

    def get_upload_url(self, kind: UploadKind = "video") -> UploadSlot:
        return self._core.call(get_upload_url(kind))

    def send(
        self, slot: UploadSlot, file: str | Path, *, on_progress: Progress | None = None
    ) -> None:
        """POST the slot's fields, then the file, to its ``upload_url``."""
        self._core.post_file(slot.upload_url, slot.upload_fields, Path(file), on_progress)

    def finalize(self, upload_id: str, *, kind: UploadKind = "video") -> UploadedMedia:
        """Probe the uploaded file (400 with the reason if it is not media of that kind)."""
        return self._core.call(finalize_upload(kind, upload_id))


# --- asynchronous ----------------------------------------------------------------------------


class AsyncUploads:
    def __init__(self, core: AsyncCore) -> None:
        self._core = core

    async def upload(
        self, file: str | Path, *, kind: UploadKind = "video", on_progress: Progress | None = None
    ) -> UploadedMedia:
        file, size = _checked(file)
        slot = await self.get_upload_url(kind)
        _check_size(file, size, slot)
        await self.send(slot, file, on_progress=on_progress)
        return await self.finalize(slot.upload_id, kind=kind)

    async def get_upload_url(self, kind: UploadKind = "video") -> UploadSlot:
        return await self._core.call(get_upload_url(kind))

    async def send(
        self, slot: UploadSlot, file: str | Path, *, on_progress: Progress | None = None
    ) -> None:
        await self._core.post_file(slot.upload_url, slot.upload_fields, Path(file), on_progress)

    async def finalize(self, upload_id: str, *, kind: UploadKind = "video") -> UploadedMedia:
        return await self._core.call(finalize_upload(kind, upload_id))
