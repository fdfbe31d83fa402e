"""Turn a run request's inputs into stored, probed media before the run is accepted.

Inputs are fetched and probed *before* the run exists, so a URL that is not media, a truncated
file or a foreign id is a 400 from ``POST /agent/{id}/run``, never a run that fails later. URL
downloads happen outside any database transaction.
"""

from __future__ import annotations

import tempfile
import uuid
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from sqlalchemy.orm import Session

from tilework.db.tables import Render, Upload
from tilework.engine.context import EngineContext
from tilework.engine.schemas import RunRequest, Sources
from tilework.errors import NotFoundError, ValidationError
from tilework.media.probe import probe
from tilework.media.thumbnail import extract_thumbnail
from tilework.net import youtube
from tilework.net.download import download
from tilework.net.guard import check_url


@dataclass(frozen=True)
class InputSource:
    node_id: str  # template id of the Video Input node it feeds
    kind: str  # upload | render | url
    ref: str
    start_ms: int | None
    end_ms: int | None
    blob_key: str = ""
    media_info: dict[str, Any] | None = None
    thumbnail_key: str | None = None


def sources_from_request(request: RunRequest, input_node_ids: list[str]) -> list[InputSource]:
    if request.video_inputs is not None:
        if request.has_sources():
            raise ValidationError(
                "send either video_inputs or the top-level video_ids/node_render_ids/video_urls"
            )
        return _from_video_inputs(request, input_node_ids)
    if not request.has_sources():
        if input_node_ids:
            raise ValidationError("no inputs: give video_ids, node_render_ids or video_urls")
        return []
    if len(input_node_ids) != 1:
        raise ValidationError(
            f"this agent has {len(input_node_ids)} Video Input nodes: use video_inputs "
            "with one entry per node"
        )
    return _expand(input_node_ids[0], request)


def _from_video_inputs(request: RunRequest, input_node_ids: list[str]) -> list[InputSource]:
    sources: list[InputSource] = []
    for entry in request.video_inputs or []:
        if entry.agent_node_id not in input_node_ids:
            raise ValidationError(
                f"video_inputs: {entry.agent_node_id} is not a Video Input node of this agent"
            )
        if not entry.has_sources():
            raise ValidationError(f"video_inputs: no source given for {entry.agent_node_id}")
        sources += _expand(entry.agent_node_id, entry)
    if not sources and input_node_ids:
        raise ValidationError("video_inputs is empty")
    return sources


def _expand(node_id: str, group: Sources) -> list[InputSource]:
    def make(kind: str, ref: str) -> InputSource:
        return InputSource(node_id, kind, ref, group.input_clip_start_ms, group.input_clip_end_ms)

    return (
        [make("upload", ref) for ref in group.video_ids]
        + [make("render", ref) for ref in group.node_render_ids]
        + [make("url", ref) for ref in group.video_urls]
    )


def resolve_stored(session: Session, org_id: str, sources: list[InputSource]) -> list[InputSource]:
    """Look up uploads and earlier renders (org-scoped); URLs pass through for ``fetch``."""
    return [_resolve_one(session, org_id, source) for source in sources]


def _resolve_one(session: Session, org_id: str, source: InputSource) -> InputSource:
    if source.kind == "upload":
        upload = session.get(Upload, source.ref)
        if upload is None or upload.organization_id != org_id or upload.kind != "video":
            raise NotFoundError(f"video_ids: no video {source.ref}")
        if upload.status != "ready" or upload.blob_key is None or upload.media_info is None:
            raise ValidationError(f"video_ids: video {source.ref} is not finalized yet")
        return replace(source, blob_key=upload.blob_key, media_info=upload.media_info)
    if source.kind == "render":
        render = session.get(Render, source.ref)
        if render is None or render.organization_id != org_id:
            raise NotFoundError(f"node_render_ids: no render {source.ref}")
        return replace(source, blob_key=render.video_key, media_info=render.media_info)
    return source


def check_callback(ctx: EngineContext, url: str | None) -> None:
    if url is not None:
        check_url(url, allow_private=ctx.settings.allow_private_urls, resolver=ctx.resolver)


def fetch(ctx: EngineContext, sources: list[InputSource]) -> list[InputSource]:
    """Download URL inputs, probe everything, and make one thumbnail per input (cached)."""
    return [_with_thumbnail(ctx, _fetch_one(ctx, source)) for source in sources]


def _fetch_one(ctx: EngineContext, source: InputSource) -> InputSource:
    if source.kind != "url":
        return source
    check_url(source.ref, allow_private=ctx.settings.allow_private_urls, resolver=ctx.resolver)
    ctx.settings.work_dir.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=ctx.settings.work_dir) as tmp:
        if youtube.is_video_page(source.ref):  # a page, not a file: needs yt-dlp
            result = youtube.download_video(source.ref, Path(tmp), settings=ctx.settings)
        else:
            result = download(
                source.ref, Path(tmp) / "download", settings=ctx.settings, resolver=ctx.resolver
            )
        info = probe(ctx.runner, result.path, "video")
        key = f"inputs/{uuid.uuid4()}/{_safe_name(result.filename)}"
        ctx.blobs.put_file(key, result.path, move=True)
    return replace(source, blob_key=key, media_info=info.model_dump(mode="json"))


def _safe_name(filename: str | None) -> str:
    name = Path(filename or "input.mp4").name
    cleaned = "".join(ch if ch.isalnum() or ch in "._-" else "_" for ch in name).strip("._")
    return cleaned[:100] or "input.mp4"


def _with_thumbnail(ctx: EngineContext, source: InputSource) -> InputSource:
    key = f"{source.blob_key}.thumb.jpg"
    if not ctx.blobs.exists(key):
        info = source.media_info or {}
        at = min(1.0, float(info.get("duration_s") or 0) / 2)
        with tempfile.TemporaryDirectory(dir=ctx.settings.work_dir) as tmp:
            out = Path(tmp) / "thumb.jpg"
            extract_thumbnail(ctx.runner, ctx.blobs.path(source.blob_key), out, at_s=at)
            ctx.blobs.put_file(key, out, move=True)
    return replace(source, thumbnail_key=key)
