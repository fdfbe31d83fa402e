"""The job that runs one task: claim it, run its tile outside any transaction, record the result.

Three short transactions per task: claim (queued → running), optional progress writes, and the
result (completed with renders and downstream tasks, or failed, or cancelled) together with its
events. A Video Input task first fetches its input (``ingest.materialize``) and records it on
the run's input row with its result. Timelines are stored portable (``blobrefs``): the task may
run on any worker. A task that is already terminal when its job starts (a re-delivered job
after a crash) is skipped, so nothing runs twice to completion; a result that arrives after the
run was cancelled is dropped.
"""

from __future__ import annotations

import logging
import shutil
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.exc import InterfaceError, OperationalError, SQLAlchemyError
from sqlalchemy.orm import Session

from tilework.db.session import unit_of_work
from tilework.db.tables import Render, RunInput, RunNode, Task, utcnow
from tilework.engine import blobrefs, credits, events, ingest, prefetch, reuse
from tilework.engine.context import EngineContext
from tilework.engine.ingest import InputSource
from tilework.engine.tasks import fan_out
from tilework.engine.uploads import upload_resolver
from tilework.errors import RetryLater, TaskAborted, TileworkError
from tilework.media.timeline import relink, timeline_from_json, timeline_to_json
from tilework.tiles.base import RenderedFiles, TileContext, TileResult
from tilework.tiles.render import RenderParams, render_timeline
from tilework.workers.port import JobContext

log = logging.getLogger(__name__)

PROGRESS_WRITE_SECONDS = 1.0


@dataclass(frozen=True)
class TaskWork:
    task_id: str
    run_id: str
    org_id: str
    node_id: str
    original_node_id: str | None
    node_type_id: str
    params: dict[str, Any]
    timeline: dict[str, Any]
    is_leaf: bool
    source: InputSource | None = None  # a Video Input task's input, as stored so far
    prefetches: tuple[str, ...] = ()  # tile types further down whose analyses start now
    # Scratch space of this execution alone: after a worker lost the database, the task may
    # run twice at once (its job retried elsewhere), on a shared data dir too.
    attempt_id: str = field(default_factory=lambda: uuid.uuid4().hex[:12])

    def work_dir(self, ctx: EngineContext) -> Path:
        return ctx.settings.work_dir / f"{self.task_id}-{self.attempt_id}"


@dataclass
class StoredRender:
    id: str
    files: RenderedFiles
    video_key: str
    thumbnail_key: str | None
    timeline_key: str | None
    extra_keys: dict[str, str] = field(default_factory=dict)


@dataclass
class Outcome:
    timelines: list[dict[str, Any]]
    status_message: str | None
    renders: list[StoredRender] = field(default_factory=list)
    source: InputSource | None = None  # the fetched input of a Video Input task
    input_timeline: dict[str, Any] | None = None
    reuse_key: str | None = None  # engine/reuse.py
    reused_from: str | None = None  # the task whose result this one took (its tile did not run)


def execute_task(ctx: EngineContext, job: JobContext, args: dict[str, Any]) -> None:
    task_id = str(args["task_id"])
    try:
        _execute(ctx, job, task_id)
    except (OperationalError, InterfaceError) as exc:
        # The database went away (a restart, a network cut): not the task's fault. The task stays
        # running and the job runs again once the database answers (a finished task is skipped).
        raise RetryLater(f"database unavailable: {type(exc.orig).__name__}") from exc
    except TaskAborted:
        raise
    except Exception as exc:
        # A bug in the engine's own steps (claiming the task, recording its result): a job that
        # only failed would leave the task queued or running, and its run running, for good.
        log.exception("task %s: the engine failed around it", task_id)
        _fail_stranded(ctx, task_id, f"internal error: {type(exc).__name__}: {exc}")


def _execute(ctx: EngineContext, job: JobContext, task_id: str) -> None:
    work = _claim(ctx, task_id)
    if work is None:
        ctx.events_committed()  # the claim may have settled the run (a task lacking credits)
        return
    try:
        outcome = _run(ctx, job, work)
    except (TaskAborted, OperationalError, InterfaceError):
        # Nothing to record: a cancel already marked the task cancelled, and a shutdown (or a
        # lost database) leaves it running so the re-queued job picks it up again.
        raise
    except TileworkError as exc:
        _record(ctx, work, "failed", error=exc.detail)
        return
    except Exception as exc:
        log.exception("task %s (%s) crashed", work.task_id, work.node_type_id)
        _record(ctx, work, "failed", error=f"internal error: {type(exc).__name__}: {exc}")
        return
    finally:
        _remove_work_dir(work.work_dir(ctx))
    _record(ctx, work, "completed", outcome=outcome)


def _remove_work_dir(path: Path) -> None:
    """Most tiles leave their scratch directory empty (a timeline edit writes nothing): one
    ``rmdir``, not ``rmtree``'s walk (a few percent of a timeline edit's cost)."""
    try:
        path.rmdir()
    except OSError:
        shutil.rmtree(path, ignore_errors=True)


def _claim(ctx: EngineContext, task_id: str) -> TaskWork | None:
    with unit_of_work(ctx.sessions) as session:
        task = session.get(Task, task_id)
        if task is None:
            return None
        run = events.lock_run(session, task.run_id)
        if run is None or task.status not in ("queued", "running") or run.status != "running":
            return None
        node = session.get_one(RunNode, task.run_node_id)
        if not credits.reserve_or_mark(ctx, session, run, node, task):
            events.settle(session, run, ctx.signer)  # marked needs_credits: it does not run
            return None
        task.status, task.started_at, task.attempts = "running", utcnow(), task.attempts + 1
        events.settle(session, run, ctx.signer)
        graph = events.run_graph(session, run.id)
        return TaskWork(
            task_id=task.id,
            run_id=run.id,
            org_id=run.organization_id,
            node_id=node.id,
            original_node_id=node.original_node_id,
            node_type_id=node.node_type_id,
            params=dict(node.params),
            timeline=dict(task.input_timeline),
            is_leaf=not graph.children.get(node.id),
            source=_input_source(session, node, task) if _is_input(ctx, node) else None,
            prefetches=prefetch.downstream_prefetches(ctx.tiles, graph, node.id),
        )


def _is_input(ctx: EngineContext, node: RunNode) -> bool:
    return ctx.tiles.get(node.node_type_id).is_input


def _input_source(session: Session, node: RunNode, task: Task) -> InputSource:
    row = session.scalars(
        select(RunInput).where(
            RunInput.run_node_id == node.id, RunInput.position == int(task.item_key)
        )
    ).one()
    return InputSource(
        node_id=node.original_node_id or "",
        kind=row.source_kind,
        ref=row.source_ref,
        start_ms=row.clip_start_ms,
        end_ms=row.clip_end_ms,
        blob_key=row.blob_key,
        media_info=row.media_info or None,
        thumbnail_key=row.thumbnail_key,
        position=row.position,
    )


def _run(ctx: EngineContext, job: JobContext, work: TaskWork) -> Outcome:
    key = reuse.key_of(
        ctx.settings,
        ctx.tiles,
        org_id=work.org_id,
        node_type_id=work.node_type_id,
        params=work.params,
        input_timeline=work.timeline,
        is_leaf=work.is_leaf,
        is_input=work.source is not None,
    )
    reused = reuse.find(ctx, work.org_id, key) if key is not None else None
    if reused is not None:  # an earlier task computed this: its result, nothing runs
        return Outcome(
            reused.timelines, reused.status_message, reuse_key=key, reused_from=reused.task_id
        )
    tile = ctx.tiles.get(work.node_type_id)
    work_dir = work.work_dir(ctx)
    work_dir.mkdir(parents=True)
    source = None
    if work.source is not None:  # a Video Input task: fetch, probe, thumbnail, then its tile
        source = ingest.materialize(ctx, work.source)
        timeline = timeline_to_json(ingest.source_timeline_of(ctx, source))
    else:
        timeline = blobrefs.localized(work.timeline, ctx.blobs)  # fetches what it names
    if work.prefetches:
        prefetch.start(ctx.settings, ctx.tiles, work.prefetches, timeline_from_json(timeline))
    tile_ctx = TileContext(
        settings=ctx.settings,
        work_dir=work_dir,
        job=job,
        progress=_progress_writer(ctx, job, work.task_id),
        resolve_upload=upload_resolver(ctx.sessions, ctx.blobs, work.org_id),
    )
    result = tile.run(tile_ctx, tile.parse_params(work.params), timeline_from_json(timeline))
    if job.should_abort():
        raise TaskAborted()
    stored = [
        _store(ctx, files) for files in _renders_of(tile.renders, work.is_leaf, tile_ctx, result)
    ]
    # A render tile's output timeline points at its file, which now lives in the blob store.
    moved = {s.files.video: ctx.blobs.path(s.video_key) for s in stored}
    root = ctx.blobs.root
    return Outcome(
        timelines=[
            blobrefs.portable(timeline_to_json(relink(t, moved)), root) for t in result.timelines
        ],
        status_message=result.note(),
        renders=stored,
        source=source,
        input_timeline=None if source is None else blobrefs.portable(timeline, root),
        reuse_key=key,
    )


def _renders_of(
    tile_renders: bool, is_leaf: bool, tile_ctx: TileContext, result: TileResult
) -> list[RenderedFiles]:
    if tile_renders:
        return [result.rendered] if result.rendered else []
    if not is_leaf:
        return []
    # A leaf that is not a render tile still produces the run's outputs: render with defaults.
    return [render_timeline(tile_ctx, timeline, RenderParams()) for timeline in result.timelines]


def _store(ctx: EngineContext, files: RenderedFiles) -> StoredRender:
    render_id = str(uuid.uuid4())
    prefix = f"renders/{render_id}"
    video_key = f"{prefix}/video.mp4"
    ctx.blobs.put_file(video_key, files.video, move=True)
    thumb_key = timeline_key = None
    if files.thumbnail is not None:
        thumb_key = f"{prefix}/thumbnail.jpg"
        ctx.blobs.put_file(thumb_key, files.thumbnail, move=True)
    if files.timeline_zip is not None:
        timeline_key = f"{prefix}/premiere_timeline.zip"
        ctx.blobs.put_file(timeline_key, files.timeline_zip, move=True)
    extra_keys = {}
    for field_name, path in files.extra_files.items():
        extra_keys[field_name] = f"{prefix}/{path.name}"
        ctx.blobs.put_file(extra_keys[field_name], path, move=False)
    return StoredRender(render_id, files, video_key, thumb_key, timeline_key, extra_keys)


def _progress_writer(ctx: EngineContext, job: JobContext, task_id: str) -> Any:
    last = 0.0

    def report(fraction: float, eta: float | None) -> None:
        nonlocal last
        now = time.monotonic()
        if now - last < PROGRESS_WRITE_SECONDS and fraction < 1.0:
            return
        last = now
        job.heartbeat()
        try:
            with unit_of_work(ctx.sessions) as session:
                task = session.get(Task, task_id)
                if task is not None and task.status == "running":
                    task.progress = max(0.0, min(1.0, fraction))
                    task.eta_seconds = eta
        except SQLAlchemyError:  # progress is best effort: a database hiccup must not fail work
            log.warning("progress of task %s not recorded", task_id, exc_info=True)

    return report


def _record(
    ctx: EngineContext,
    work: TaskWork,
    status: str,
    *,
    error: str | None = None,
    outcome: Outcome | None = None,
) -> None:
    with unit_of_work(ctx.sessions) as session:
        run = events.lock_run(session, work.run_id)
        task = session.get(Task, work.task_id)
        if run is None or task is None or task.status != "running" or run.status != "running":
            return  # cancelled meanwhile: the cancel already recorded the task
        task.status, task.error, task.finished_at = status, error, utcnow()
        if outcome is not None and outcome.reused_from is not None:
            credits.release(ctx, session, run, [task.id])  # reused: no work, nothing charged
        else:
            credits.settle(ctx, session, run, task)  # charged on success, released otherwise
        if outcome is not None:
            _record_outcome(ctx, session, work, task, outcome)
        events.settle(session, run, ctx.signer)
    ctx.dispatcher.wake()
    ctx.events_committed()


def _fail_stranded(ctx: EngineContext, task_id: str, error: str) -> None:
    """Record as failed a task the engine crashed around (its claim's or its record's
    transaction rolled back), so its node fails, what depends on it is blocked and the run
    finishes. Charged nothing: a hold the claim kept is released."""
    with unit_of_work(ctx.sessions) as session:
        task = session.get(Task, task_id)
        if task is None:
            return
        run = events.lock_run(session, task.run_id)
        if run is None or task.status not in ("queued", "running") or run.status != "running":
            return
        task.status, task.error, task.finished_at = "failed", error, utcnow()
        credits.settle(ctx, session, run, task)  # releases a hold an earlier attempt kept
        events.settle(session, run, ctx.signer)
    ctx.dispatcher.wake()
    ctx.events_committed()


def _record_outcome(
    ctx: EngineContext, session: Session, work: TaskWork, task: Task, outcome: Outcome
) -> None:
    task.output_timelines, task.progress, task.eta_seconds = outcome.timelines, 1.0, None
    task.reuse_key, task.reused_from = outcome.reuse_key, outcome.reused_from
    if outcome.source is not None:
        _record_input(session, work, outcome.source)
        task.input_timeline = outcome.input_timeline or {}
    for stored in outcome.renders:
        session.add(
            Render(
                id=stored.id,
                organization_id=work.org_id,
                run_id=work.run_id,
                task_id=task.id,
                original_node_id=work.original_node_id,
                video_key=stored.video_key,
                thumbnail_key=stored.thumbnail_key,
                timeline_key=stored.timeline_key,
                extra_keys=stored.extra_keys or None,
                media_info=stored.files.media_info,
                ffmpeg_command=stored.files.ffmpeg_command,
                is_output=work.is_leaf,
            )
        )
    task.status_message = outcome.status_message
    fan_out(ctx, session, task, outcome.timelines)


def _record_input(session: Session, work: TaskWork, source: InputSource) -> None:
    """The fetched input, on the run's input row: RUN_FINISHED and the run's view show it."""
    row = session.scalars(
        select(RunInput).where(RunInput.run_id == work.run_id, RunInput.position == source.position)
    ).one()
    row.blob_key, row.thumbnail_key = source.blob_key, source.thumbnail_key
    row.media_info = dict(source.media_info or {})
