"""Schedule triggers: every tick, fire each trigger whose ``next_fire_at`` has come.

The tick moves ``next_fire_at`` past *now* and records the firing in the ledger (key: the
scheduled time) in one transaction, so a firing is recorded once however many ticks or processes
see it. Missed firings (the server was down) collapse into one run for the most recent of them,
fired by the first tick after start-up (see ``cron.due_firing``). The clock is injected so tests
can walk through time.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from tilework.db.session import unit_of_work
from tilework.db.tables import Agent, Trigger, utcnow
from tilework.engine.context import EngineContext
from tilework.triggers import ledger
from tilework.triggers.cron import due_firing

logger = logging.getLogger(__name__)


class ScheduleTicker:
    def __init__(self, ctx: EngineContext, clock: Callable[[], datetime] = utcnow) -> None:
        self.ctx, self.clock = ctx, clock

    def tick(self) -> int:
        """Record every due firing (one per trigger at most); returns how many were queued."""
        now = self.clock()
        with self.ctx.sessions() as session:
            due = session.scalars(
                select(Trigger.id)
                .join(Agent, Agent.id == Trigger.agent_id)
                .where(
                    Trigger.type == "schedule",
                    Trigger.removed_at.is_(None),
                    Agent.deleted_at.is_(None),
                    Trigger.next_fire_at <= now,
                )
                .order_by(Trigger.next_fire_at)
            ).all()
        fired = sum(self._fire(trigger_id, now) for trigger_id in due)
        if fired:
            self.ctx.dispatcher.wake()
        return fired

    def _fire(self, trigger_id: str, now: datetime) -> bool:
        try:
            with unit_of_work(self.ctx.sessions) as session:
                trigger = session.get(
                    Trigger, trigger_id, with_for_update=True, populate_existing=True
                )
                if trigger is None or trigger.removed_at is not None:
                    return False
                if trigger.next_fire_at is None or trigger.cron_expression is None:
                    return False
                firing = due_firing(
                    trigger.cron_expression, trigger.timezone or "UTC", trigger.next_fire_at, now
                )
                if firing is None:  # another tick moved it on already
                    return False
                trigger.next_fire_at = firing.next_fire_at
                triggered_by = {
                    "type": "schedule",
                    "trigger_id": trigger.id,
                    "triggered_at": now.isoformat(),
                    "scheduled_at": firing.scheduled_at.isoformat(),
                    "cron_expression": trigger.cron_expression,
                }
                event = ledger.record(
                    session,
                    self.ctx,
                    trigger,
                    firing.scheduled_at.isoformat(),
                    status="queued",
                    now=now,
                    triggered_by=triggered_by,
                )
                return event is not None
        except IntegrityError:
            logger.info("schedule trigger %s: firing recorded by another process", trigger_id)
            return False
