"""Triggers: YouTube channels, [ext] schedules, firing, and the trigger ledger."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import Field

from tilework.sdk.models._base import Answer, Request
from tilework.sdk.models.runs import RunRequest, RunSources, VideoInput

# --- shared ----------------------------------------------------------------------------------


class DurationFilter(Request):
    min_seconds: int | None = None
    max_seconds: int | None = None


class FilterOptions(Request):
    duration: DurationFilter = Field(default_factory=DurationFilter)


# --- requests ------------------------------------------------------------------------------


class AddYoutubeChannelsRequest(Request):
    """``trigger_callback_url`` left out keeps the trigger's callback; ``None`` clears it."""

    youtube_channels: list[str]
    trigger_callback_url: str | None = None
    filter_options: FilterOptions | None = None
    backfill: int | None = None  # [ext] on a new channel's first poll, run its N newest videos

    def body(self) -> dict[str, Any]:
        return self.model_dump(mode="json", exclude_unset=True)


class RemoveYoutubeChannelsRequest(Request):
    youtube_channels: list[str]


class AddScheduleRequest(RunSources):
    """[ext] A five-field cron expression read in an IANA time zone, and the run inputs."""

    cron: str
    timezone: str | None = None
    video_inputs: list[VideoInput] | None = None
    update_params: dict[str, dict[str, Any]] | None = None
    ignore_nodes: list[str] | None = None
    trigger_callback_url: str | None = None


class FireTriggerRequest(RunRequest):
    """Inputs here replace the trigger's stored ones (a YouTube trigger needs them)."""


# --- answers -------------------------------------------------------------------------------


class ChannelDetail(Answer):
    channel_id: str
    channel_name: str | None = None
    channel_handle: str | None = None
    primed_at: datetime | None = None
    last_polled_at: datetime | None = None
    last_error: str | None = None


class Trigger(Answer):
    """One trigger; YouTube fields for ``type == "youtube"``, schedule fields otherwise."""

    id: str
    type: str
    agent_id: str | None = None
    youtube_channels: list[str] = Field(default_factory=list)
    youtube_channel_details: list[ChannelDetail] = Field(default_factory=list)
    callback_url: str | None = None
    filter_options: dict[str, Any] | None = None
    cron: str | None = None
    timezone: str | None = None
    next_fire_at: datetime | None = None
    inputs: dict[str, Any] | None = None
    created_at: datetime | None = None
    removed_at: datetime | None = None


class ChannelsRemoved(Answer):
    success: bool
    removed_channels: list[str] = Field(default_factory=list)
    triggers: list[Trigger] = Field(default_factory=list)


class TriggerDeleted(Answer):
    success: bool
    trigger_id: str


class TriggerFired(Answer):
    run_id: str
    trigger_id: str
    triggered_by: dict[str, Any] | None = None


class TriggerEvent(Answer):
    """One entry of the trigger's ledger: a video or firing seen, and what became of it."""

    id: str
    key: str
    status: str
    reason: str | None = None
    run_id: str | None = None
    triggered_by: dict[str, Any] | None = None
    created_at: datetime | None = None
    updated_at: datetime | None = None


class TriggerEventPage(Answer):
    events: list[TriggerEvent]
    next_cursor: str | None = None

    @property
    def items(self) -> list[TriggerEvent]:
        return self.events
