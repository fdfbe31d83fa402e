"""The YouTube poller: read each watched channel's feed and queue one run per new video.

Each channel's feed is fetched once per poll (outside any transaction), however many triggers
watch it. Then, per watched (trigger, channel), one short transaction records the videos the
ledger does not know yet:

- the channel's **first** poll (``primed_at`` unset) records what is already there as ``seen``,
  except the ``backfill`` newest, which are queued — adding a channel never floods the agent;
- later polls queue every video not in the ledger, oldest first, unless the feed states a
  duration the filter rejects (``skipped``; otherwise the filter is applied to the probed
  download when the run starts).

Polling is safe to run in several processes at once and to interrupt at any point: see
``ledger.py`` for why no video ever gets two runs.
"""

from __future__ import annotations

import logging
import re
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from tilework.db.session import unit_of_work
from tilework.db.tables import Agent, Trigger, TriggerChannel, utcnow
from tilework.engine.context import EngineContext
from tilework.errors import ValidationError
from tilework.triggers import ledger
from tilework.triggers.feed import Feed, FeedVideo, fetch_feed
from tilework.triggers.filters import FilterOptions

logger = logging.getLogger(__name__)

_SAFE_VIDEO_ID = re.compile(r"^[A-Za-z0-9_-]{1,64}$")  # it is put into a URL template


@dataclass
class PollReport:
    channels: int = 0  # feeds read
    failed: int = 0  # feeds that could not be read
    queued: int = 0
    seen: int = 0  # recorded at a first poll without a run
    skipped: int = 0


class YoutubePoller:
    def __init__(self, ctx: EngineContext, clock: Callable[[], datetime] = utcnow) -> None:
        self.ctx, self.clock = ctx, clock

    def poll(self) -> PollReport:
        report = PollReport()
        for channel_id, rows in self._watched().items():
            try:
                feed = fetch_feed(self.ctx.settings, channel_id, self.ctx.resolver)
            except ValidationError as exc:
                report.failed += 1
                self._note_error(rows, exc.detail)
                logger.warning("youtube channel %s: %s", channel_id, exc.detail)
                continue
            report.channels += 1
            for row_id in rows:
                self._record(row_id, channel_id, feed, report)
        if report.queued:
            self.ctx.dispatcher.wake()
        return report

    def _watched(self) -> dict[str, list[int]]:
        """Channel id → its watching rows, for live YouTube triggers of live agents."""
        with self.ctx.sessions() as session:
            rows = session.execute(
                select(TriggerChannel.channel_id, TriggerChannel.id)
                .join(Trigger, Trigger.id == TriggerChannel.trigger_id)
                .join(Agent, Agent.id == Trigger.agent_id)
                .where(
                    Trigger.type == "youtube",
                    Trigger.removed_at.is_(None),
                    Agent.deleted_at.is_(None),
                )
                .order_by(TriggerChannel.id)
            ).all()
        watched: dict[str, list[int]] = defaultdict(list)
        for channel_id, row_id in rows:
            watched[channel_id].append(row_id)
        return watched

    def _note_error(self, rows: list[int], detail: str) -> None:
        """Shown in the trigger's ``youtube_channel_details``; the next poll tries again."""
        with unit_of_work(self.ctx.sessions) as session:
            session.execute(
                update(TriggerChannel)
                .where(TriggerChannel.id.in_(rows))
                .values(last_error=detail, last_polled_at=self.clock())
                .execution_options(synchronize_session=False)
            )

    def _record(self, row_id: int, channel_id: str, feed: Feed, report: PollReport) -> None:
        try:
            with unit_of_work(self.ctx.sessions) as session:
                row = session.get(TriggerChannel, row_id, with_for_update=True)
                trigger = None if row is None else session.get(Trigger, row.trigger_id)
                if row is None or trigger is None or trigger.removed_at is not None:
                    return  # removed since _watched()
                videos = [v for v in feed.videos if _belongs(v, channel_id)]
                known = ledger.known_keys(session, trigger.id, [v.video_id for v in videos])
                fresh = [v for v in videos if v.video_id not in known]  # newest first
                priming = row.primed_at is None
                to_run = {v.video_id for v in (fresh[: row.backfill] if priming else fresh)}
                now = self.clock()
                for video in reversed(fresh):  # oldest first: runs start in upload order
                    wanted = video.video_id in to_run
                    status = self._add(session, trigger, channel_id, video, wanted, now)
                    setattr(report, status, getattr(report, status) + 1)
                row.primed_at = row.primed_at or now
                row.last_polled_at, row.last_error = now, None
                row.channel_name = feed.channel_name or row.channel_name
        except IntegrityError:  # another poller recorded the same videos first
            logger.info("youtube channel %s: recorded concurrently by another poller", channel_id)

    def _add(
        self,
        session: Session,
        trigger: Trigger,
        channel_id: str,
        video: FeedVideo,
        run: bool,
        now: datetime,
    ) -> str:
        """Record one new video; returns its ledger status."""
        if not run:
            ledger.record(session, self.ctx, trigger, video.video_id, status="seen", now=now)
            return "seen"
        duration = FilterOptions.of(trigger.filter_options).duration
        reason = None if video.duration_s is None else duration.rejects(video.duration_s)
        video_url = self.ctx.settings.youtube_video_url.format(video_id=video.video_id)
        triggered_by = {
            "type": "youtube",
            "channel_id": channel_id,
            "video_id": video.video_id,
            "video_title": video.title,
            "video_url": video_url,
            "triggered_at": now.isoformat(),
            "trigger_id": trigger.id,
        }
        status = "skipped" if reason else "queued"
        ledger.record(
            session,
            self.ctx,
            trigger,
            video.video_id,
            status=status,
            now=now,
            triggered_by=triggered_by,
            duration_s=video.duration_s,
            reason=reason,
        )
        return status


def _belongs(video: FeedVideo, channel_id: str) -> bool:
    """A well-formed id of this channel's video (a feed naming another channel is ignored)."""
    same_channel = video.channel_id is None or video.channel_id == channel_id
    return same_channel and _SAFE_VIDEO_ID.match(video.video_id) is not None
