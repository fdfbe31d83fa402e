"""Triggers: YouTube channels, [ext] cron schedules, firing now, and each trigger's ledger.
(A trigger's runs: ``runs.list(trigger_id=...)``.)"""

from __future__ import annotations

import builtins
from collections.abc import AsyncIterator, Iterator, Sequence
from typing import Any, Unpack

from tilework.sdk._async import AsyncCore
from tilework.sdk._call import Call, list_of, model, path, query
from tilework.sdk._sync import SyncCore
from tilework.sdk.models.runs import InputFields, RunFields
from tilework.sdk.models.triggers import (
    AddScheduleRequest,
    AddYoutubeChannelsRequest,
    ChannelsRemoved,
    DurationFilter,
    FilterOptions,
    FireTriggerRequest,
    RemoveYoutubeChannelsRequest,
    Trigger,
    TriggerDeleted,
    TriggerEvent,
    TriggerEventPage,
    TriggerFired,
)


class Unset:
    """The default of an argument whose ``None`` means something (e.g. "clear the callback")."""

    def __repr__(self) -> str:
        return "UNSET"


UNSET = Unset()

# --- operations ------------------------------------------------------------------------------


def list_triggers(agent_id: str) -> Call[list[Trigger]]:
    return Call("GET", path("/agent/{}/triggers", agent_id), list_of(Trigger))


def get_trigger(trigger_id: str) -> Call[Trigger]:
    return Call("GET", path("/trigger/{}", trigger_id), model(Trigger))


def add_channels(agent_id: str, body: AddYoutubeChannelsRequest) -> Call[Trigger]:
    url = path("/agent/{}/triggers/add_youtube_channels", agent_id)
    return Call("POST", url, model(Trigger), body=body)


def remove_channels(agent_id: str, body: RemoveYoutubeChannelsRequest) -> Call[ChannelsRemoved]:
    url = path("/agent/{}/triggers/remove_youtube_channels", agent_id)
    return Call("POST", url, model(ChannelsRemoved), body=body)


def add_schedule(agent_id: str, body: AddScheduleRequest) -> Call[Trigger]:
    url = path("/agent/{}/triggers/add_schedule", agent_id)
    return Call("POST", url, model(Trigger), body=body)


def delete_trigger(trigger_id: str) -> Call[TriggerDeleted]:
    return Call("POST", path("/trigger/{}/delete", trigger_id), model(TriggerDeleted))


def fire_trigger(trigger_id: str, body: FireTriggerRequest | None) -> Call[TriggerFired]:
    return Call("POST", path("/trigger/{}/fire", trigger_id), model(TriggerFired), body=body)


def trigger_events(trigger_id: str, limit: int, cursor: str | None) -> Call[TriggerEventPage]:
    params = query(limit=limit, cursor=cursor)
    return Call("GET", path("/trigger/{}/events", trigger_id), model(TriggerEventPage), params)


def channels_request(
    channels: Sequence[str],
    callback_url: str | Unset | None,
    min_seconds: int | None,
    max_seconds: int | None,
    backfill: int | None,
) -> AddYoutubeChannelsRequest:
    fields: dict[str, Any] = {"youtube_channels": list(channels)}
    if not isinstance(callback_url, Unset):
        fields["trigger_callback_url"] = callback_url
    if min_seconds is not None or max_seconds is not None:
        duration = DurationFilter(min_seconds=min_seconds, max_seconds=max_seconds)
        fields["filter_options"] = FilterOptions(duration=duration)
    if backfill is not None:
        fields["backfill"] = backfill
    return AddYoutubeChannelsRequest(**fields)


def schedule_request(
    cron: str, timezone: str | None, callback_url: str | None, inputs: InputFields
) -> AddScheduleRequest:
    return AddScheduleRequest.model_validate(
        {**inputs, "cron": cron, "timezone": timezone, "trigger_callback_url": callback_url}
    )


def fire_request(fields: RunFields) -> FireTriggerRequest | None:
    return FireTriggerRequest.model_validate(fields) if fields else None


# --- synchronous -----------------------------------------------------------------------------


class Triggers:
    def __init__(self, core: SyncCore) -> None:
        self._core = core

    def list(self, agent_id: str) -> builtins.list[Trigger]:
        """The agent's live triggers (YouTube ones, one per distinct filter, and schedules)."""
        return self._core.call(list_triggers(agent_id))

    def get(self, trigger_id: str) -> Trigger:
        return self._core.call(get_trigger(trigger_id))

    def add_youtube_channels(
        self,
        agent_id: str,
        channels: Sequence[str],
        *,
        callback_url: str | Unset | None = UNSET,
        min_seconds: int | None = None,
        max_seconds: int | None = None,
        backfill: int | None = None,
    ) -> Trigger:
        """Watch channels (ids, channel URLs or @handles): each new upload starts one run.
        ``callback_url=None`` clears the trigger's callback; left out, it stays."""
        body = channels_request(channels, callback_url, min_seconds, max_seconds, backfill)
        return self._core.call(add_channels(agent_id, body))

    def remove_youtube_channels(self, agent_id: str, channels: Sequence[str]) -> ChannelsRemoved:
        body = RemoveYoutubeChannelsRequest(youtube_channels=builtins.list(channels))
        return self._core.call(remove_channels(agent_id, body))

    def add_schedule(
        self,
        agent_id: str,
        cron: str,
        *,
        timezone: str | None = None,
        callback_url: str | None = None,
        **inputs: Unpack[InputFields],
    ) -> Trigger:
        """[ext] Start a run with ``inputs`` at every firing of a five-field ``cron``."""
        body = schedule_request(cron, timezone, callback_url, inputs)
        return self._core.call(add_schedule(agent_id, body))

    def delete(self, trigger_id: str) -> TriggerDeleted:
        return self._core.call(delete_trigger(trigger_id))

    def fire(self, trigger_id: str, **fields: Unpack[RunFields]) -> TriggerFired:
        """Start a ``manual`` run now; inputs given here replace the trigger's stored ones."""
        return self._core.call(fire_trigger(trigger_id, fire_request(fields)))

    def events(
        self, trigger_id: str, *, limit: int = 25, cursor: str | None = None
    ) -> TriggerEventPage:
        """[ext] One page of the trigger's ledger, newest first."""
        return self._core.call(trigger_events(trigger_id, limit, cursor))

    def iterate_events(self, trigger_id: str, *, page_size: int = 100) -> Iterator[TriggerEvent]:
        return self._core.paginate(lambda cursor: trigger_events(trigger_id, page_size, cursor))


# --- asynchronous ----------------------------------------------------------------------------


class AsyncTriggers:
    def __init__(self, core: AsyncCore) -> None:
        self._core = core

    async def list(self, agent_id: str) -> builtins.list[Trigger]:
        return await self._core.call(list_triggers(agent_id))

    async def get(self, trigger_id: str) -> Trigger:
        return await self._core.call(get_trigger(trigger_id))

    async def add_youtube_channels(
        self,
        agent_id: str,
        channels: Sequence[str],
        *,
        callback_url: str | Unset | None = UNSET,
        min_seconds: int | None = None,
        max_seconds: int | None = None,
        backfill: int | None = None,
    ) -> Trigger:
        body = channels_request(channels, callback_url, min_seconds, max_seconds, backfill)
        return await self._core.call(add_channels(agent_id, body))

    async def remove_youtube_channels(
        self, agent_id: str, channels: Sequence[str]
    ) -> ChannelsRemoved:
        body = RemoveYoutubeChannelsRequest(youtube_channels=builtins.list(channels))
        return await self._core.call(remove_channels(agent_id, body))

    async def add_schedule(
        self,
        agent_id: str,
        cron: str,
        *,
        timezone: str | None = None,
        callback_url: str | None = None,
        **inputs: Unpack[InputFields],
    ) -> Trigger:
        body = schedule_request(cron, timezone, callback_url, inputs)
        return await self._core.call(add_schedule(agent_id, body))

    async def delete(self, trigger_id: str) -> TriggerDeleted:
        return await self._core.call(delete_trigger(trigger_id))

    async def fire(self, trigger_id: str, **fields: Unpack[RunFields]) -> TriggerFired:
        return await self._core.call(fire_trigger(trigger_id, fire_request(fields)))

    async def events(
        self, trigger_id: str, *, limit: int = 25, cursor: str | None = None
    ) -> TriggerEventPage:
        return await self._core.call(trigger_events(trigger_id, limit, cursor))

    def iterate_events(
        self, trigger_id: str, *, page_size: int = 100
    ) -> AsyncIterator[TriggerEvent]:
        return self._core.paginate(lambda cursor: trigger_events(trigger_id, page_size, cursor))
