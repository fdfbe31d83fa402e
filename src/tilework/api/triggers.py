"""HTTP surface of triggers: YouTube channels, schedules [ext], manual firing, the ledger [ext].
HTTP only; logic lives in ``tilework.triggers``. (A trigger's runs: ``GET
/trigger/{trigger_id}/runs`` in ``runs.py``, with the other run lists.)"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Body, Depends, Query

from tilework.api.deps import SessionDep, get_org, get_runtime
from tilework.api.pagination import DEFAULT_LIMIT, paginate
from tilework.db.tables import Organization, TriggerEvent
from tilework.runtime import Runtime
from tilework.triggers.schemas import (
    AddSchedule,
    AddYoutubeChannels,
    FireTrigger,
    RemoveYoutubeChannels,
)
from tilework.triggers.views import event_view, trigger_view

router = APIRouter(tags=["triggers"])


@router.get("/agent/{agent_id}/triggers")
def list_agent_triggers(
    *,
    agent_id: str,
    org: Organization = Depends(get_org),
    session: SessionDep,
    runtime: Runtime = Depends(get_runtime),
) -> list[dict[str, Any]]:
    """The agent's live triggers: YouTube (one per distinct filter) and schedules."""
    return runtime.triggers.list_triggers(session, org.id, agent_id)


@router.post("/agent/{agent_id}/triggers/add_youtube_channels")
def add_youtube_channels(
    agent_id: str,
    body: AddYoutubeChannels,
    org: Organization = Depends(get_org),
    runtime: Runtime = Depends(get_runtime),
) -> dict[str, Any]:
    """Watch channels (ids, channel URLs or @handles); answers the trigger they are on."""
    return runtime.triggers.add_youtube_channels(org.id, agent_id, body)


@router.post("/agent/{agent_id}/triggers/remove_youtube_channels")
def remove_youtube_channels(
    agent_id: str,
    body: RemoveYoutubeChannels,
    org: Organization = Depends(get_org),
    runtime: Runtime = Depends(get_runtime),
) -> dict[str, Any]:
    return runtime.triggers.remove_youtube_channels(org.id, agent_id, body)


@router.post("/agent/{agent_id}/triggers/add_schedule")
def add_schedule(
    agent_id: str,
    body: AddSchedule,
    org: Organization = Depends(get_org),
    runtime: Runtime = Depends(get_runtime),
) -> dict[str, Any]:
    """[ext] Start a run with these inputs at every firing of a cron expression."""
    return runtime.triggers.add_schedule(org.id, agent_id, body)


@router.get("/trigger/{trigger_id}")
def get_trigger(
    *,
    trigger_id: str,
    org: Organization = Depends(get_org),
    session: SessionDep,
    runtime: Runtime = Depends(get_runtime),
) -> dict[str, Any]:
    """[ext] One trigger (also a removed one: its runs stay listed)."""
    trigger = runtime.triggers.owned_trigger(session, org.id, trigger_id, live=False)
    return trigger_view(session, trigger)


@router.post("/trigger/{trigger_id}/delete")
@router.delete("/trigger/{trigger_id}/delete")
def delete_trigger(
    trigger_id: str,
    org: Organization = Depends(get_org),
    runtime: Runtime = Depends(get_runtime),
) -> dict[str, Any]:
    """[ext] Stop a trigger; its runs and ledger stay readable."""
    return runtime.triggers.remove_trigger(org.id, trigger_id)


@router.post("/trigger/{trigger_id}/fire")
def fire_trigger(
    trigger_id: str,
    body: FireTrigger | None = Body(default=None),
    org: Organization = Depends(get_org),
    runtime: Runtime = Depends(get_runtime),
) -> dict[str, Any]:
    """Start a ``manual`` run of the trigger now (inputs in the body replace stored ones)."""
    return runtime.triggers.fire(org.id, trigger_id, body)


@router.get("/trigger/{trigger_id}/events")
def list_trigger_events(
    *,
    trigger_id: str,
    limit: int = Query(default=DEFAULT_LIMIT, description="1 to 100"),
    cursor: str | None = Query(default=None, description="`next_cursor` of the previous page"),
    org: Organization = Depends(get_org),
    session: SessionDep,
    runtime: Runtime = Depends(get_runtime),
) -> dict[str, Any]:
    """[ext] The ledger, newest first: each video or firing seen, and what became of it."""
    runtime.triggers.owned_trigger(session, org.id, trigger_id, live=False)
    events, next_cursor = paginate(
        session,
        runtime.triggers.events_query(trigger_id),
        TriggerEvent,
        limit=limit,
        cursor=cursor,
    )
    return {"events": [event_view(event) for event in events], "next_cursor": next_cursor}
