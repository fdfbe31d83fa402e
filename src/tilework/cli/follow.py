"""Follow a run live: SSE events (read on a helper thread) drive per-node progress bars, and
``/progress`` fills in measured percent and ETA. Without an events endpoint it falls back to
polling ``/agent_run/{id}`` and ``/nodes``.

Following ends when the event stream does (the server closes it after the run's newest
``RUN_FINISHED``: a resumed run replays an older one first), or, when polling, at a terminal
status.
"""

from __future__ import annotations

import queue
import threading
import time
from typing import Any

from rich.console import Console
from rich.markup import escape
from rich.progress import BarColumn, Progress, TaskID, TextColumn

from tilework.cli.board import RunBoard
from tilework.cli.output import styled
from tilework.sdk import Client, Run, TileworkAPIError

_UNSUPPORTED = frozenset({404, 405, 501})
_Message = tuple[str, Any]


def follow_run(client: Client, run_id: str, console: Console, *, poll_seconds: float = 0.5) -> Run:
    """Show the run until it reaches a terminal state; returns ``GET /agent_run/{id}``."""
    board = RunBoard()
    _refresh_nodes(client, run_id, board)
    messages: queue.Queue[_Message] = queue.Queue()
    threading.Thread(target=_pump, args=(client, run_id, messages), daemon=True).start()
    poller = _Poller(client, run_id)
    with Progress(*_columns(), console=console, transient=False) as progress:
        view = _View(progress)
        while not poller.finished(board):
            _drain(messages, board, poller, poll_seconds)
            poller.tick(board)
            view.show(board)
        _refresh_nodes(client, run_id, board)
        view.show(board)
    return client.runs.get(run_id)


def _pump(client: Client, run_id: str, messages: queue.Queue[_Message]) -> None:
    try:
        for event in client.runs.events(run_id):
            messages.put(("event", event.model_dump(mode="json")))
        messages.put(("end", None))
    except Exception as exc:  # handed to the main thread, which decides
        messages.put(("error", exc))


def _drain(messages: queue.Queue[_Message], board: RunBoard, poller: _Poller, wait: float) -> None:
    """Handle every waiting message (waiting up to ``wait`` for the first)."""
    try:
        message = messages.get(timeout=wait)
        while True:
            _handle(message, board, poller)
            message = messages.get_nowait()
    except queue.Empty:
        return


def _handle(message: _Message, board: RunBoard, poller: _Poller) -> None:
    kind, item = message
    if kind == "event":
        board.apply_event(item)
    elif kind == "end":
        poller.stream_ended = True
    elif isinstance(item, TileworkAPIError) and item.status in _UNSUPPORTED:
        poller.polling = True  # no events endpoint on this server: poll instead
    else:
        raise item


class _Poller:
    """``/progress`` every tick (until the server says it has none); full polling as fallback."""

    def __init__(self, client: Client, run_id: str) -> None:
        self.client, self.run_id = client, run_id
        self.polling = False
        self.stream_ended = False
        self.progress_supported = True
        self._last = 0.0

    def finished(self, board: RunBoard) -> bool:
        return self.stream_ended or (self.polling and board.done)

    def tick(self, board: RunBoard) -> None:
        now = time.monotonic()
        if now - self._last < 0.5:
            return
        self._last = now
        if self.progress_supported:
            try:
                board.apply_progress(self.client.runs.progress(self.run_id).model_dump(mode="json"))
            except TileworkAPIError as exc:
                if exc.status not in _UNSUPPORTED:
                    raise
                self.progress_supported = False
        if self.polling:
            run = self.client.runs.get(self.run_id).model_dump(mode="json")
            _refresh_nodes(self.client, self.run_id, board)
            board.apply_event({"flag": "POLL", **run})


def _refresh_nodes(client: Client, run_id: str, board: RunBoard) -> None:
    try:
        board.add_nodes([node.model_dump(mode="json") for node in client.runs.nodes(run_id)])
    except TileworkAPIError as exc:
        if exc.status not in _UNSUPPORTED:
            raise


def _columns() -> tuple[Any, ...]:
    return (
        TextColumn("{task.description}", table_column=None),
        BarColumn(bar_width=32),
        TextColumn("{task.fields[percent]:>4}"),
        TextColumn("{task.fields[status]}"),
        TextColumn("{task.fields[eta]}", style="dim"),
    )


class _View:
    """Keeps one rich task per node (plus one for the whole run) in step with the board."""

    def __init__(self, progress: Progress) -> None:
        self.progress = progress
        self.run_task = progress.add_task("[bold]run[/]", total=100, percent="", status="", eta="")
        self.tasks: dict[str, TaskID] = {}

    def show(self, board: RunBoard) -> None:
        overall = board.overall_percent()
        self.progress.update(
            self.run_task,
            completed=overall,
            percent=f"{overall:.0f}%",
            status=styled(board.status),
        )
        for key, row in board.rows.items():
            task = self.tasks.get(key)
            if task is None:
                task = self.progress.add_task(
                    f"  {escape(row.label)}", total=100, percent="", status="", eta=""
                )
                self.tasks[key] = task
            shown = row.shown_percent
            running = row.status == "running" and row.eta_seconds is not None
            eta = f"eta {row.eta_seconds:.0f}s" if running else ""
            self.progress.update(
                task,
                total=None if shown is None else 100,
                completed=shown or 0,
                percent="" if shown is None else f"{shown:.0f}%",
                status=styled(row.status, row.message),
                eta=eta,
            )
