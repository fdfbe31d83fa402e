"""How commands show answers: ``--json`` prints the API's JSON, people get rich tables.

Status words are the API's own (``running``, ``completed`` …), coloured the same everywhere.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import datetime
from typing import Any

from rich.markup import escape
from rich.table import Column, Table

from tilework.cli.common import out, print_json

STATUS_STYLES = {
    "completed": "green",
    "partial_complete": "yellow",
    "failed": "red",
    "blocked": "magenta",
    "cancelled": "red",
    "running": "cyan",
    "queued": "cyan",
    "delivered": "green",
    "pending": "cyan",
    "ready": "green",
}


_ID_COLUMNS = frozenset({"id", "run", "event", "node id"})


def emit(value: Any, as_json: bool, show: Callable[[], None]) -> None:
    """``value`` as JSON, or ``show()`` for people."""
    if as_json:
        print_json(value)
    else:
        show()


def styled(status: str | None, message: str | None = None) -> str:
    """A status in its colour, with a short dimmed message when it explains something."""
    text = f"[{STATUS_STYLES.get(str(status), 'dim')}]{escape(str(status))}[/]"
    if message and status not in ("completed", "running"):
        text += f" [dim]{escape(message[:80])}[/]"
    return text


def when(moment: datetime | None) -> str:
    return moment.strftime("%Y-%m-%d %H:%M:%S") if moment is not None else "-"


def text(value: Any) -> str:
    """Any value as escaped table text (``-`` for nothing)."""
    return "-" if value is None or value == "" else escape(str(value))


def table(*columns: str, rows: Iterable[Iterable[Any]], title: str | None = None) -> None:
    """Print a table; cells are markup (escape user text with ``text``)."""
    # Ids stay whole on one line (to be copied); other cells fold, never cut with an ellipsis.
    grid = Table(
        *(Column(name, overflow="fold", no_wrap=name in _ID_COLUMNS) for name in columns),
        title=title,
        title_justify="left",
    )
    for row in rows:
        grid.add_row(*(cell if isinstance(cell, str) else text(cell) for cell in row))
    out.print(grid)


def fields(pairs: Iterable[tuple[str, Any]], title: str | None = None) -> None:
    """Print ``name  value`` lines (values are markup)."""
    grid = Table.grid(padding=(0, 2))
    grid.add_column(style="bold")
    grid.add_column()
    for name, value in pairs:
        grid.add_row(name, value if isinstance(value, str) else text(value))
    if title:
        out.print(f"[bold]{escape(title)}[/]")
    out.print(grid)
