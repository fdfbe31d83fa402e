"""Runs: start, estimate, read, list, cancel, resume, follow the events, wait for the end."""

from __future__ import annotations

import asyncio
import builtins
import inspect
import time
from collections.abc import AsyncIterator, Callable, Iterator, Sequence
from contextlib import aclosing
from datetime import datetime
from typing import Any, TypedDict, Unpack

from tilework.sdk._async import AsyncCore
from tilework.sdk._call import Call, model, path, query
from tilework.sdk._sync import SyncCore
from tilework.sdk.errors import TileworkTimeoutError
from tilework.sdk.models.events import RunEvent
from tilework.sdk.models.runs import (
    CancelResult,
    Estimate,
    ResumeResult,
    Run,
    RunCreated,
    RunFields,
    RunNode,
    RunNodes,
    RunPage,
    RunProgress,
    RunRequest,
    RunSummary,
    run_request,
)

OnEvent = Callable[[RunEvent], Any]
"""``on_progress(event)``: called with each event (an async client also awaits what it returns)."""


class RunFilters(TypedDict, total=False):
    """Which runs a list holds: an agent's or a trigger's (else all), by status and time
    (``None`` is the same as leaving a filter out)."""

    agent_id: str | None
    trigger_id: str | None
    status: str | Sequence[str] | None  # one status, a comma list, or a list
    from_: datetime | str | None  # created at or after (ISO 8601 text or a datetime)
    to: datetime | str | None


# --- operations ------------------------------------------------------------------------------


def start_run(agent_id: str, body: RunRequest) -> Call[RunCreated]:
    return Call("POST", path("/agent/{}/run", agent_id), model(RunCreated), body=body)


def estimate_run(agent_id: str, body: RunRequest) -> Call[Estimate]:
    return Call("POST", path("/agent/{}/estimate", agent_id), model(Estimate), body=body)


def get_run(run_id: str) -> Call[Run]:
    def parse(data: Any) -> Run:
        return Run.model_validate({"run_id": run_id, **data} if isinstance(data, dict) else data)

    return Call("GET", path("/agent_run/{}", run_id), parse)


def run_nodes(run_id: str) -> Call[RunNodes]:
    return Call("GET", path("/agent_run/{}/nodes", run_id), model(RunNodes))


def run_progress(run_id: str) -> Call[RunProgress]:
    return Call("GET", path("/agent_run/{}/progress", run_id), model(RunProgress))


def cancel_run(run_id: str) -> Call[CancelResult]:
    return Call("POST", path("/agent_run/{}/cancel", run_id), model(CancelResult))


def resume_run(run_id: str) -> Call[ResumeResult]:
    return Call("POST", path("/agent_run/{}/resume", run_id), model(ResumeResult))


def events_path(run_id: str) -> str:
    return path("/agent_run/{}/events", run_id)


def list_runs(filters: RunFilters, limit: int, cursor: str | None) -> Call[RunPage]:
    """``/agent/{id}/runs`` for an agent, ``/trigger/{id}/runs`` for a trigger, else
    ``/agent_runs``; newest first."""
    agent_id, trigger_id = filters.get("agent_id"), filters.get("trigger_id")
    params = query(
        status=filters.get("status"),
        from_=filters.get("from_"),
        to=filters.get("to"),
        limit=limit,
        cursor=cursor,
    )
    if agent_id is not None and trigger_id is not None:
        raise ValueError("give agent_id or trigger_id, not both")
    if agent_id is not None:
        return Call("GET", path("/agent/{}/runs", agent_id), model(RunPage), params)
    if trigger_id is not None:
        return Call("GET", path("/trigger/{}/runs", trigger_id), model(RunPage), params)
    return Call("GET", "/agent_runs", model(RunPage), params)


def _deadline(timeout: float | None) -> float | None:
    return None if timeout is None else time.monotonic() + timeout


# --- synchronous -----------------------------------------------------------------------------


class Runs:
    def __init__(self, core: SyncCore) -> None:
        self._core = core

    def start(
        self, agent_id: str, request: RunRequest | None = None, **fields: Unpack[RunFields]
    ) -> RunCreated:
        """Start a run of ``agent_id``: pass a ``RunRequest`` or its fields as keywords
        (``video_ids``, ``video_urls``, ``callback_url`` …); only what is given is sent."""
        return self._core.call(start_run(agent_id, run_request(request, fields)))

    def estimate(
        self, agent_id: str, request: RunRequest | None = None, **fields: Unpack[RunFields]
    ) -> Estimate:
        """[ext] The credits the same ``start`` would take (inputs are fetched and probed)."""
        return self._core.call(estimate_run(agent_id, run_request(request, fields)))

    def get(self, run_id: str) -> Run:
        return self._core.call(get_run(run_id))

    def nodes(self, run_id: str) -> builtins.list[RunNode]:
        return self._core.call(run_nodes(run_id)).nodes

    def progress(self, run_id: str) -> RunProgress:
        return self._core.call(run_progress(run_id))

    def cancel(self, run_id: str) -> CancelResult:
        return self._core.call(cancel_run(run_id))

    def resume(self, run_id: str) -> ResumeResult:
        """Re-queue the unfinished work of a ``failed`` or ``cancelled`` run (else 409)."""
        return self._core.call(resume_run(run_id))

    def list(
        self, *, limit: int = 25, cursor: str | None = None, **filters: Unpack[RunFilters]
    ) -> RunPage:
        """One page of runs (all, an agent's or a trigger's), newest first; filters
        ``status``, ``from_``, ``to``."""
        return self._core.call(list_runs(filters, limit, cursor))

    def iterate(
        self, *, page_size: int = 100, **filters: Unpack[RunFilters]
    ) -> Iterator[RunSummary]:
        """Every matching run, fetching pages as needed."""
        return self._core.paginate(lambda cursor: list_runs(filters, page_size, cursor))

    def events(self, run_id: str, *, max_reconnects: int = 5) -> Iterator[RunEvent]:
        """The run's events from the first, live, until its newest ``RUN_FINISHED``."""
        return self._core.events(events_path(run_id), max_reconnects=max_reconnects)

    def wait(
        self, run_id: str, *, on_progress: OnEvent | None = None, timeout: float | None = None
    ) -> Run:
        """Follow the run's events until it finishes; returns the finished run.

        ``on_progress`` sees every event (history first). ``TileworkTimeoutError`` after
        ``timeout`` seconds; the run itself goes on.
        """
        deadline = _deadline(timeout)
        for event in self._core.events(events_path(run_id), deadline=deadline):
            if on_progress is not None:
                on_progress(event)
            if deadline is not None and time.monotonic() >= deadline:
                raise TileworkTimeoutError(f"run {run_id} did not finish within {timeout} s")
        return self.get(run_id)


# --- asynchronous ----------------------------------------------------------------------------


class AsyncRuns:
    def __init__(self, core: AsyncCore) -> None:
        self._core = core

    async def start(
        self, agent_id: str, request: RunRequest | None = None, **fields: Unpack[RunFields]
    ) -> RunCreated:
        return await self._core.call(start_run(agent_id, run_request(request, fields)))

    async def estimate(
        self, agent_id: str, request: RunRequest | None = None, **fields: Unpack[RunFields]
    ) -> Estimate:
        return await self._core.call(estimate_run(agent_id, run_request(request, fields)))

    async def get(self, run_id: str) -> Run:
        return await self._core.call(get_run(run_id))

    async def nodes(self, run_id: str) -> builtins.list[RunNode]:
        return (await self._core.call(run_nodes(run_id))).nodes

    async def progress(self, run_id: str) -> RunProgress:
        return await self._core.call(run_progress(run_id))

    async def cancel(self, run_id: str) -> CancelResult:
        return await self._core.call(cancel_run(run_id))

    async def resume(self, run_id: str) -> ResumeResult:
        return await self._core.call(resume_run(run_id))

    async def list(
        self, *, limit: int = 25, cursor: str | None = None, **filters: Unpack[RunFilters]
    ) -> RunPage:
        return await self._core.call(list_runs(filters, limit, cursor))

    def iterate(
        self, *, page_size: int = 100, **filters: Unpack[RunFilters]
    ) -> AsyncIterator[RunSummary]:
        return self._core.paginate(lambda cursor: list_runs(filters, page_size, cursor))

    def events(self, run_id: str, *, max_reconnects: int = 5) -> AsyncIterator[RunEvent]:
        return self._core.events(events_path(run_id), max_reconnects=max_reconnects)

    async def wait(
        self, run_id: str, *, on_progress: OnEvent | None = None, timeout: float | None = None
    ) -> Run:
        """As ``Runs.wait``; ``on_progress`` may be a coroutine function."""
        try:
            async with (
                asyncio.timeout(timeout),
                aclosing(self._core.events(events_path(run_id))) as events,
            ):
                async for event in events:
                    if on_progress is not None:
                        result = on_progress(event)
                        if inspect.isawaitable(result):
                            await result
        except TimeoutError:
            raise TileworkTimeoutError(f"run {run_id} did not finish within {timeout} s") from None
        return await self.get(run_id)
