"""A progress bar for uploads and downloads, fed by the SDK's ``on_progress(done, total)``."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager

from rich.console import Console
from rich.markup import escape
from rich.progress import (
    BarColumn,
    DownloadColumn,
    Progress,
    TextColumn,
    TimeRemainingColumn,
    TransferSpeedColumn,
)


@contextmanager
def transfer_bar(description: str, console: Console) -> Iterator[Callable[[int, int], None]]:
    """A transient bar on ``console`` (stderr); yields the callback that moves it. Off a
    terminal (pipes, CI logs) nothing is drawn."""
    if not console.is_terminal:
        yield lambda done, total: None
        return
    columns = (
        TextColumn("{task.description}"),
        BarColumn(bar_width=32),
        DownloadColumn(),
        TransferSpeedColumn(),
        TimeRemainingColumn(),
    )
    with Progress(*columns, console=console, transient=True) as progress:
        task = progress.add_task(escape(description), total=None)

        def moved(done: int, total: int) -> None:
            progress.update(task, completed=done, total=total or None)

        yield moved
