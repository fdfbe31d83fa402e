"""Uploads: the signed slot, and the finalized file's media information.

The API names the id after the kind (``video_id``, ``audio_id``, ``image_id``); these models
also carry it as ``upload_id`` and ``kind`` so code can treat the three alike.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import Field, model_validator

from tilework.sdk.models._base import Answer, Request

UploadKind = Literal["video", "audio", "image"]
KINDS: tuple[UploadKind, ...] = ("video", "audio", "image")


def _with_upload_id(data: Any) -> Any:
    if not isinstance(data, dict) or "upload_id" in data:
        return data
    for kind in KINDS:
        if data.get(f"{kind}_id"):
            return {**data, "kind": kind, "upload_id": data[f"{kind}_id"]}
    return data


class UploadSlot(Answer):
    """``POST /uploads/{kind}/get_upload_url``: POST ``upload_fields`` then the file as
    ``file`` to ``upload_url`` (Tilework's form endpoint, or an S3 presigned POST)."""

    kind: UploadKind
    upload_id: str
    upload_url: str
    upload_fields: dict[str, str] = Field(default_factory=dict)
    max_file_size_bytes: int | None = None

    _ids = model_validator(mode="before")(_with_upload_id)


class UploadedMedia(Answer):
    """``POST /uploads/{kind}/finalize_upload``: the probed media of a ready upload."""

    kind: UploadKind
    upload_id: str
    status: str = "ready"
    duration_s: float | None = None
    width: int | None = None
    height: int | None = None
    fps: float | None = None
    has_video: bool | None = None
    has_audio: bool | None = None
    video_codec: str | None = None
    audio_codec: str | None = None
    size_bytes: int | None = None
    format_name: str | None = None

    _ids = model_validator(mode="before")(_with_upload_id)


class FinalizeUploadRequest(Request):
    """``POST /uploads/{kind}/finalize_upload``: the id named after the kind."""

    video_id: str | None = None
    audio_id: str | None = None
    image_id: str | None = None
