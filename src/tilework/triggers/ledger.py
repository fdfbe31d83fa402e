"""The trigger ledger: record a firing once, then start its run once.

Two steps, each atomic:

1. ``record`` inserts the ``trigger_events`` row for (trigger, key) — the key is the video id or
   the scheduled time — and, for a firing that should run, defers the launch job *in the same
   transaction*. The unique (trigger_id, event_key) constraint means a second poller, or the
   same poller after a restart, finds the key taken and does nothing.
2. ``Launcher.launch`` (the job) starts the run through ``RunService.start_run``. The run's own
   transaction first moves the row ``queued`` → ``started``; if another launch got there first
   the move matches no row and the whole run rolls back. A crash anywhere leaves either the job
   to be re-run (row still ``queued``) or a started run (row ``started``): never two runs.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from tilework.db.session import unit_of_work
from tilework.db.tables import Trigger, TriggerEvent, utcnow
from tilework.engine.context import EngineContext
from tilework.engine.ingest import InputSource
from tilework.engine.schemas import RunRequest
from tilework.engine.service import RunService
from tilework.errors import TileworkError
from tilework.triggers.filters import DurationFilter, FilterOptions
from tilework.workers.port import JobContext

logger = logging.getLogger(__name__)

LAUNCH_TRIGGERED_RUN = "triggers.launch_run"


def record(
    session: Session,
    ctx: EngineContext,
    trigger: Trigger,
    key: str,
    *,
    status: str,
    now: datetime,
    triggered_by: dict[str, Any] | None = None,
    duration_s: float | None = None,
    reason: str | None = None,
) -> TriggerEvent | None:
    """Add the ledger row for ``key`` (deferring its launch if ``queued``); None if it exists.

    The caller holds the write lock (SQLite ``BEGIN IMMEDIATE``), so the check is race-free
    there; elsewhere the unique constraint fails the caller's transaction instead.
    """
    taken = session.scalar(
        select(TriggerEvent.id).where(
            TriggerEvent.trigger_id == trigger.id, TriggerEvent.event_key == key
        )
    )
    if taken is not None:
        return None
    event = TriggerEvent(
        trigger_id=trigger.id,
        event_key=key,
        status=status,
        triggered_by=triggered_by,
        duration_s=duration_s,
        reason=reason,
        created_at=now,
        updated_at=now,
    )
    session.add(event)
    session.flush()
    if status == "queued":
        ctx.dispatcher.defer(
            session,
            LAUNCH_TRIGGERED_RUN,
            {"event_id": event.id},
            queueing_lock=f"trigger-event:{event.id}",
        )
    return event


def known_keys(session: Session, trigger_id: str, keys: list[str]) -> set[str]:
    if not keys:
        return set()
    return set(
        session.scalars(
            select(TriggerEvent.event_key).where(
                TriggerEvent.trigger_id == trigger_id, TriggerEvent.event_key.in_(keys)
            )
        )
    )


class EventTaken(Exception):
    """Another launch already started this event's run."""


class VideoFiltered(Exception):
    """The probed input is outside the trigger's duration filter."""


@dataclass
class _LaunchHooks:
    """``StartHooks`` for one ledger row: filter by probed duration, claim the row, note the run."""

    event_id: str
    duration: DurationFilter | None
    discard_blob: Callable[[str], None]
    clock: Callable[[], datetime]
    sources: list[InputSource] = field(default_factory=list)

    def accept_sources(self, sources: list[InputSource]) -> None:
        self.sources = sources
        if self.duration is None:
            return
        for source in sources:
            seconds = (source.media_info or {}).get("duration_s")
            reason = None if seconds is None else self.duration.rejects(float(seconds))
            if reason is not None:
                self.discard()
                raise VideoFiltered(reason)

    def on_write(self, session: Session) -> None:
        claimed = session.execute(
            update(TriggerEvent)
            .where(TriggerEvent.id == self.event_id, TriggerEvent.status == "queued")
            .values(status="started", updated_at=self.clock())
            .returning(TriggerEvent.id)
            .execution_options(synchronize_session=False)
        ).first()
        if claimed is None:
            raise EventTaken(self.event_id)

    def written(self, session: Session, run_id: str) -> None:
        session.execute(
            update(TriggerEvent)
            .where(TriggerEvent.id == self.event_id)
            .values(run_id=run_id)
            .execution_options(synchronize_session=False)
        )

    def discard(self) -> None:
        """Drop what was downloaded for a run that will not be written."""
        for source in self.sources:
            if source.kind == "url":  # never an upload or a render: those belong to others
                for key in (source.blob_key, source.thumbnail_key):
                    if key:
                        self.discard_blob(key)


@dataclass(frozen=True)
class _Launch:
    org_id: str
    agent_id: str
    request: RunRequest
    triggered_by: dict[str, Any]
    duration: DurationFilter | None


class Launcher:
    """The job that turns a ``queued`` ledger row into a run."""

    def __init__(
        self, ctx: EngineContext, runs: RunService, clock: Callable[[], datetime] = utcnow
    ) -> None:
        self.ctx, self.runs, self.clock = ctx, runs, clock

    def job(self, _job: JobContext, args: dict[str, Any]) -> None:
        self.launch(str(args["event_id"]))

    def launch(self, event_id: str) -> str | None:
        """Start the run of a queued row; returns its id, or None when there is nothing to run."""
        launch = self._prepare(event_id)
        if launch is None:
            return None
        hooks = _LaunchHooks(event_id, launch.duration, self.ctx.blobs.delete, self.clock)
        try:
            return self.runs.start_run(
                launch.org_id,
                launch.agent_id,
                launch.request,
                triggered_by=launch.triggered_by,
                hooks=hooks,
                prefetch=True,  # the duration filter needs the probed video
            )
        except EventTaken:
            hooks.discard()
            logger.info("trigger event %s was started by another worker", event_id)
        except VideoFiltered as exc:
            self._settle(event_id, "skipped", str(exc))
        except TileworkError as exc:
            hooks.discard()
            self._settle(event_id, "failed", exc.detail)
        except Exception as exc:
            hooks.discard()
            self._settle(event_id, "failed", f"internal error ({type(exc).__name__})")
            raise
        return None

    def _prepare(self, event_id: str) -> _Launch | None:
        with unit_of_work(self.ctx.sessions) as session:
            event = session.get(TriggerEvent, event_id)
            if event is None or event.status != "queued":
                return None
            trigger = session.get(Trigger, event.trigger_id)
            if trigger is None or trigger.removed_at is not None:
                event.status, event.reason = "failed", "the trigger was removed"
                event.updated_at = self.clock()
                return None
            triggered_by = dict(event.triggered_by or {})
            if trigger.type == "youtube":
                request = RunRequest(video_urls=[str(triggered_by["video_url"])])
                duration: DurationFilter | None = FilterOptions.of(trigger.filter_options).duration
            else:
                request = RunRequest.model_validate(trigger.run_request or {})
                duration = None
            request.callback_url = trigger.callback_url or request.callback_url
            org_id, agent_id = trigger.organization_id, trigger.agent_id
            return _Launch(org_id, agent_id, request, triggered_by, duration)

    def _settle(self, event_id: str, status: str, reason: str) -> None:
        with unit_of_work(self.ctx.sessions) as session:
            session.execute(
                update(TriggerEvent)
                .where(TriggerEvent.id == event_id, TriggerEvent.status == "queued")
                .values(status=status, reason=reason, updated_at=self.clock())
                .execution_options(synchronize_session=False)
            )
        logger.info("trigger event %s %s: %s", event_id, status, reason)
