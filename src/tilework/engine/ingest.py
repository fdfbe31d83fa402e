"""A run request's inputs: resolved when the run is asked for, fetched by a worker.

``POST /agent/{id}/run`` answers at once on every deployment: it resolves uploads and earlier
renders (database look-ups; a foreign or unfinished id is a 404/400) and refuses malformed or
SSRF-blocked URLs (400), but never downloads. Each input becomes a task of its Video Input node;
the worker that runs it (``materialize``) downloads a URL, probes it, stores it and makes its
thumbnail. A URL that fails (unreachable, not a video, truncated) fails that item with the
reason; the rest of the run goes on. Trigger launches, already on a worker, may fetch before
writing the run (``fetch``) because their duration filter needs the probed input.
"""

from __future__ import annotations

import tempfile
import uuid
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import opentimelineio as otio
from sqlalchemy.orm import Session

from tilework.db.tables import Render, Upload
from tilework.engine.context import EngineContext
from tilework.engine.schemas import RunRequest, Sources
from tilework.errors import MediaError, NotFoundError, ValidationError
from tilework.media.probe import MediaInfo, check_decodes, probe
from tilework.media.thumbnail import extract_thumbnail
from tilework.media.timeline import source_timeline
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
    position: int = 0  # the run's input number (its item key), once written


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


def check_urls(ctx: EngineContext, sources: list[InputSource]) -> None:
    """400 for a malformed URL or one the SSRF guard refuses; nothing is downloaded."""
    for source in sources:
        if source.kind == "url":
            check_url(
                source.ref, allow_private=ctx.settings.allow_private_urls, resolver=ctx.resolver
            )


def fetch(ctx: EngineContext, sources: list[InputSource]) -> list[InputSource]:
    """Download and probe the URL inputs not fetched yet (on a worker, never in a request)."""
    return [_fetch_one(ctx, source) for source in sources]


def materialize(ctx: EngineContext, source: InputSource) -> InputSource:
    """A Video Input task's work: the input stored, probed and with its thumbnail."""
    return _with_thumbnail(ctx, _fetch_one(ctx, source, with_thumbnail=True))


def _fetch_one(
    ctx: EngineContext, source: InputSource, *, with_thumbnail: bool = False
) -> InputSource:
    if source.kind != "url" or source.blob_key:
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
        thumbnail = Path(tmp) / "thumb.jpg" if with_thumbnail else None
        try:
            info = _probe_download(ctx, result.path, thumbnail)
        except MediaError as exc:  # name the URL, not the temp file
            detail = exc.detail.removeprefix(f"{result.path.name}: ")
            raise MediaError(f"{source.ref}: {detail}") from None
        key = f"inputs/{uuid.uuid4()}/{_safe_name(result.filename)}"
        ctx.blobs.put_file(key, result.path, move=True)
        thumbnail_key = None
        if thumbnail is not None:
            thumbnail_key = f"{key}.thumb.jpg"
            ctx.blobs.put_file(thumbnail_key, thumbnail, move=True)
    return replace(
        source, blob_key=key, media_info=info.model_dump(mode="json"), thumbnail_key=thumbnail_key
    )


def _probe_download(ctx: EngineContext, path: Path, thumbnail: Path | None) -> MediaInfo:
    """``probe`` of a download; with ``thumbnail``, its decode check (the last half second) and
    the thumbnail (the first second) run side by side, both reading the file where it lies."""
    info = probe(ctx.runner, path, "video", decode_check=False)
    if thumbnail is None:
        check_decodes(ctx.runner, path, info, "video")
        return info
    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="input-check") as side:
        checked = side.submit(check_decodes, ctx.runner, path, info, "video")
        try:
            extract_thumbnail(ctx.runner, path, thumbnail, at_s=min(1.0, info.duration_s / 2))
        except MediaError:
            checked.result()  # a truncated file says so rather than "no frame"
            raise
        checked.result()
    return info


def _safe_name(filename: str | None) -> str:
    name = Path(filename or "input.mp4").name
    cleaned = "".join(ch if ch.isalnum() or ch in "._-" else "_" for ch in name).strip("._")
    return cleaned[:100] or "input.mp4"


def _with_thumbnail(ctx: EngineContext, source: InputSource) -> InputSource:
    key = source.thumbnail_key or f"{source.blob_key}.thumb.jpg"
    if source.thumbnail_key is None and not ctx.blobs.exists(key):
        at = min(1.0, float((source.media_info or {}).get("duration_s") or 0) / 2)
        with tempfile.TemporaryDirectory(dir=ctx.settings.work_dir) as tmp:
            out = Path(tmp) / "thumb.jpg"
            extract_thumbnail(ctx.runner, ctx.blobs.path(source.blob_key), out, at_s=at)
            ctx.blobs.put_file(key, out, move=True)
    return replace(source, thumbnail_key=key)


def source_timeline_of(ctx: EngineContext, source: InputSource) -> otio.schema.Timeline:
    """The edit an input feeds its Video Input node: the stored file, clipped as asked."""
    return source_timeline(
        ctx.blobs.path(source.blob_key),
        MediaInfo.model_validate(source.media_info),
        start_ms=source.start_ms,
        end_ms=source.end_ms,
        name=f"input {source.position}",
    )
