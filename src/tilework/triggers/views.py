"""The JSON shapes of triggers and of their ledger entries."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from tilework.db.tables import Trigger, TriggerChannel, TriggerEvent
from tilework.triggers.filters import FilterOptions


def channels_of(session: Session, trigger_id: str) -> list[TriggerChannel]:
    return list(
        session.scalars(
            select(TriggerChannel)
            .where(TriggerChannel.trigger_id == trigger_id)
            .order_by(TriggerChannel.id)
        )
    )


def trigger_view(session: Session, trigger: Trigger) -> dict[str, Any]:
    """One entry of ``GET /agent/{agent_id}/triggers`` (Mosaic's fields, then ours)."""
    view: dict[str, Any] = {"id": trigger.id, "type": trigger.type, "agent_id": trigger.agent_id}
    if trigger.type == "youtube":
        channels = channels_of(session, trigger.id)
        view |= {
            "youtube_channels": [c.channel_id for c in channels],
            "youtube_channel_details": [_channel_view(c) for c in channels],
            "callback_url": trigger.callback_url,
            "filter_options": FilterOptions.of(trigger.filter_options).stored(),
        }
    else:
        view |= {
            "youtube_channels": [],
            "callback_url": trigger.callback_url,
            "filter_options": None,
            "cron": trigger.cron_expression,
            "timezone": trigger.timezone,
            "next_fire_at": _iso(trigger.next_fire_at),
            "inputs": trigger.run_request,
        }
    view |= {"created_at": _iso(trigger.created_at), "removed_at": _iso(trigger.removed_at)}
    return view


def _channel_view(channel: TriggerChannel) -> dict[str, Any]:
    return {
        "channel_id": channel.channel_id,
        "channel_name": channel.channel_name,
        "channel_handle": channel.handle,
        "thumbnail_url": None,  # the public feed carries neither of these two
        "subscriber_count": None,
        "primed_at": _iso(channel.primed_at),
        "last_polled_at": _iso(channel.last_polled_at),
        "last_error": channel.last_error,
    }


def event_view(event: TriggerEvent) -> dict[str, Any]:
    return {
        "id": event.id,
        "key": event.event_key,
        "status": event.status,
        "reason": event.reason,
        "run_id": event.run_id,
        "triggered_by": event.triggered_by,
        "created_at": _iso(event.created_at),
        "updated_at": _iso(event.updated_at),
    }


def _iso(moment: datetime | None) -> str | None:
    return None if moment is None else moment.isoformat()
