"""Triggers: configure them (YouTube channels, schedules), fire them by hand, run their loops.

YouTube triggers follow Mosaic's node semantics: an agent may have several YouTube triggers,
one per distinct ``filter_options``. Adding channels puts them on the trigger whose filter equals
the request's (creating it if none does), *moves* a channel that another YouTube trigger of the
agent watched, and removes triggers left without channels. Removing channels takes them off
every YouTube trigger of the agent, again removing emptied triggers.

Every write validates the whole request first (channel references, handle look-ups, cron, time
zone, the agent and its inputs), so a 400 changes nothing.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

from sqlalchemy import Select, select
from sqlalchemy.orm import Session

from tilework.agents.service import owned_agent
from tilework.db.session import unit_of_work
from tilework.db.tables import Trigger, TriggerChannel, TriggerEvent, utcnow
from tilework.engine.context import EngineContext
from tilework.engine.schemas import RunRequest
from tilework.engine.service import RunService
from tilework.errors import NotFoundError, ValidationError
from tilework.triggers import cron
from tilework.triggers.channels import ChannelRef, parse_channel_ref, resolve_handle
from tilework.triggers.ledger import LAUNCH_TRIGGERED_RUN, Launcher
from tilework.triggers.poller import PollReport, YoutubePoller
from tilework.triggers.scheduler import ScheduleTicker
from tilework.triggers.schemas import (
    AddSchedule,
    AddYoutubeChannels,
    FireTrigger,
    RemoveYoutubeChannels,
)
from tilework.triggers.views import channels_of, trigger_view
from tilework.workers.port import PeriodicJob


class TriggerService:
    def __init__(
        self, ctx: EngineContext, runs: RunService, clock: Callable[[], datetime] = utcnow
    ) -> None:
        self.ctx, self.runs = ctx, runs
        self.clock = clock

    # -- the loops (registered with the dispatcher by the composition root) ---------------

    def register(self) -> None:
        """Register the launch job and, unless turned off (0 s), the poll and tick loops."""
        dispatcher, settings = self.ctx.dispatcher, self.ctx.settings
        dispatcher.register(LAUNCH_TRIGGERED_RUN, lambda job, args: self.launcher().job(job, args))
        if settings.youtube_poll_seconds > 0:
            dispatcher.periodic(
                PeriodicJob("triggers.poll_youtube", settings.youtube_poll_seconds, self.poll)
            )
        if settings.schedule_tick_seconds > 0:
            dispatcher.periodic(
                PeriodicJob("triggers.tick_schedules", settings.schedule_tick_seconds, self.tick)
            )

    def poll(self) -> None:
        self.poll_youtube()

    def poll_youtube(self) -> PollReport:
        return YoutubePoller(self.ctx, self._now).poll()

    def tick(self) -> None:
        self.tick_schedules()

    def tick_schedules(self) -> int:
        return ScheduleTicker(self.ctx, self._now).tick()

    def launcher(self) -> Launcher:
        return Launcher(self.ctx, self.runs, self._now)

    def _now(self) -> datetime:
        return self.clock()  # looked up on each call: tests swap the clock on a live service

    # -- reads ----------------------------------------------------------------------------

    def list_triggers(self, session: Session, org_id: str, agent_id: str) -> list[dict[str, Any]]:
        owned_agent(session, org_id, agent_id)
        triggers = session.scalars(_live(agent_id).order_by(Trigger.created_at, Trigger.id))
        return [trigger_view(session, trigger) for trigger in triggers]

    def owned_trigger(
        self, session: Session, org_id: str, trigger_id: str, *, live: bool = True
    ) -> Trigger:
        trigger = session.get(Trigger, trigger_id)
        if trigger is None or trigger.organization_id != org_id:
            raise NotFoundError(f"trigger {trigger_id} not found")
        if live and trigger.removed_at is not None:
            raise NotFoundError(f"trigger {trigger_id} not found (it was removed)")
        return trigger

    def events_query(self, trigger_id: str) -> Select[TriggerEvent]:
        return select(TriggerEvent).where(TriggerEvent.trigger_id == trigger_id)

    # -- YouTube channels -----------------------------------------------------------------

    def add_youtube_channels(
        self, org_id: str, agent_id: str, body: AddYoutubeChannels
    ) -> dict[str, Any]:
        sets_callback = "trigger_callback_url" in body.model_fields_set
        self._check_youtube_agent(org_id, agent_id, body.trigger_callback_url)
        channels = self._resolve(body.youtube_channels)  # network for handles: before writing
        wanted = body.filter_options.stored()
        now = self.clock()
        with unit_of_work(self.ctx.sessions) as session:
            owned_agent(session, org_id, agent_id)
            youtube = list(session.scalars(_live(agent_id, "youtube").order_by(Trigger.created_at)))
            target = next((t for t in youtube if t.filter_options == wanted), None)
            if target is None:
                target = Trigger(
                    organization_id=org_id,
                    agent_id=agent_id,
                    type="youtube",
                    filter_options=wanted,
                    created_at=now,
                    updated_at=now,
                )
                session.add(target)
                session.flush()
            if sets_callback:
                target.callback_url = body.trigger_callback_url
            target.updated_at = now
            rows = {row.channel_id: row for t in youtube for row in channels_of(session, t.id)}
            for channel_id, ref in channels.items():
                row = rows.get(channel_id)
                if row is not None and row.trigger_id == target.id:
                    row.handle = ref.handle or row.handle
                    continue
                if row is not None:  # watched by another of the agent's triggers: move it
                    session.delete(row)
                    session.flush()
                session.add(
                    TriggerChannel(
                        trigger_id=target.id,
                        channel_id=channel_id,
                        handle=ref.handle,
                        backfill=body.backfill,
                        created_at=now,
                    )
                )
            session.flush()
            self._remove_emptied(session, [t for t in youtube if t.id != target.id], now)
            return trigger_view(session, target)

    def remove_youtube_channels(
        self, org_id: str, agent_id: str, body: RemoveYoutubeChannels
    ) -> dict[str, Any]:
        refs = [parse_channel_ref(text) for text in body.youtube_channels]
        now = self.clock()
        with unit_of_work(self.ctx.sessions) as session:
            owned_agent(session, org_id, agent_id)
            youtube = list(session.scalars(_live(agent_id, "youtube").order_by(Trigger.created_at)))
            removed: list[str] = []
            for trigger in youtube:
                for row in channels_of(session, trigger.id):
                    if any(_names(ref, row) for ref in refs):
                        removed.append(row.channel_id)
                        session.delete(row)
            session.flush()
            self._remove_emptied(session, youtube, now)
            remaining = [trigger_view(session, t) for t in youtube if t.removed_at is None]
        return {"success": True, "removed_channels": sorted(set(removed)), "triggers": remaining}

    def _check_youtube_agent(self, org_id: str, agent_id: str, callback_url: str | None) -> None:
        """The agent must exist and take exactly one video input: the new video."""
        probe = self.ctx.settings.youtube_video_url.format(video_id="00000000000")
        try:
            self.runs.check_request(
                org_id, agent_id, RunRequest(video_urls=[probe], callback_url=callback_url)
            )
        except ValidationError as exc:
            if "Video Input" in exc.detail:
                raise ValidationError(
                    f"a YouTube trigger needs an agent with exactly one Video Input node: "
                    f"{exc.detail}"
                ) from None
            raise

    def _resolve(self, texts: list[str]) -> dict[str, ChannelRef]:
        """Channel id → reference, in request order; every entry parsed before any look-up."""
        refs = [parse_channel_ref(text) for text in texts]
        resolved: dict[str, ChannelRef] = {}
        for ref in refs:
            channel_id = ref.channel_id or resolve_handle(
                str(ref.handle), self.ctx.settings, self.ctx.resolver
            )
            resolved.setdefault(channel_id, ref)
        return resolved

    def _remove_emptied(self, session: Session, triggers: list[Trigger], now: datetime) -> None:
        for trigger in triggers:
            if not channels_of(session, trigger.id):
                trigger.removed_at = trigger.updated_at = now

    # -- schedules ------------------------------------------------------------------------

    def add_schedule(self, org_id: str, agent_id: str, body: AddSchedule) -> dict[str, Any]:
        expression = cron.check_cron(body.cron)
        cron.zone(body.timezone)
        request = body.run_request()
        self.runs.check_request(org_id, agent_id, request)
        now = self.clock()
        with unit_of_work(self.ctx.sessions) as session:
            owned_agent(session, org_id, agent_id)
            trigger = Trigger(
                organization_id=org_id,
                agent_id=agent_id,
                type="schedule",
                callback_url=body.trigger_callback_url,
                cron_expression=expression,
                timezone=body.timezone,
                run_request=request.model_dump(mode="json", exclude={"callback_url"}),
                next_fire_at=cron.next_fire_after(expression, body.timezone, now),
                created_at=now,
                updated_at=now,
            )
            session.add(trigger)
            session.flush()
            return trigger_view(session, trigger)

    # -- any trigger ----------------------------------------------------------------------

    def remove_trigger(self, org_id: str, trigger_id: str) -> dict[str, Any]:
        now = self.clock()
        with unit_of_work(self.ctx.sessions) as session:
            trigger = self.owned_trigger(session, org_id, trigger_id)
            for row in channels_of(session, trigger.id):
                session.delete(row)
            trigger.removed_at = trigger.updated_at = now
        return {"success": True, "trigger_id": trigger_id}

    def fire(self, org_id: str, trigger_id: str, body: FireTrigger | None) -> dict[str, Any]:
        """Start a ``manual`` run now: the body's inputs, else the trigger's stored ones."""
        with unit_of_work(self.ctx.sessions) as session:
            trigger = self.owned_trigger(session, org_id, trigger_id)
            agent_id, callback, stored = trigger.agent_id, trigger.callback_url, trigger.run_request
        request = _fire_request(body, stored)
        request.callback_url = callback or request.callback_url
        triggered_by = {
            "type": "manual",
            "trigger_id": trigger_id,
            "triggered_at": self.clock().isoformat(),
            "source": "api",
        }
        run_id = self.runs.start_run(org_id, agent_id, request, triggered_by=triggered_by)
        return {"run_id": run_id, "trigger_id": trigger_id, "triggered_by": triggered_by}


def _fire_request(body: FireTrigger | None, stored: dict[str, Any] | None) -> RunRequest:
    if body is not None and (body.has_sources() or body.video_inputs is not None):
        return RunRequest.model_validate(body.model_dump())
    if stored is None:
        raise ValidationError(
            "this trigger has no stored inputs (a YouTube trigger runs on new videos): send "
            "video_urls, video_ids, node_render_ids or video_inputs to fire it"
        )
    overrides = {} if body is None else body.model_dump(include=body.model_fields_set)
    return RunRequest.model_validate({**stored, **overrides})


def _live(agent_id: str, kind: str | None = None) -> Select[Trigger]:
    query = select(Trigger).where(Trigger.agent_id == agent_id, Trigger.removed_at.is_(None))
    return query if kind is None else query.where(Trigger.type == kind)


def _names(ref: ChannelRef, row: TriggerChannel) -> bool:
    if ref.channel_id is not None:
        return ref.channel_id == row.channel_id
    return row.handle is not None and row.handle.lower() == str(ref.handle).lower()
