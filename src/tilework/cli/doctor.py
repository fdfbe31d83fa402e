"""``tilework doctor``: is this install ready to run agents? One line per part, and its state.

Checks ffmpeg and ffprobe (their versions), the models (each file's sha256 too), the database
(reachable, schema current) and storage (the blob directory writable, free space). Reads
settings like ``tilework serve`` does and changes nothing: a database that does not exist yet
is reported, not created. Exits 1 when something a run needs is broken; a missing optional
model (faces, semantic) is only reported, since Tilework has a fallback for each.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Literal

import typer
from rich.markup import escape

from tilework import __version__
from tilework.analysis import models
from tilework.cli.common import JsonOption, handle_errors, load_settings, out, print_json

if TYPE_CHECKING:
    from sqlalchemy import Connection

    from tilework.config import Settings

Level = Literal["ok", "warn", "fail"]
STYLE: dict[Level, str] = {"ok": "green", "warn": "yellow", "fail": "red"}
GB = 1024**3


@dataclass(frozen=True)
class Check:
    name: str
    level: Level
    detail: str


def doctor(json_output: JsonOption = False) -> None:
    """Check ffmpeg/ffprobe, the models, the database and storage; exit 1 if one is broken."""
    with handle_errors():
        settings = load_settings()
        checks = [
            *(_tool(name, path) for name, path in _tools(settings)),
            *(_model(state) for state in models.states(verify=True)),
            _prompt_ranking(settings),
            _database(settings.database_url),
            _storage(settings.blob_dir),
        ]
        if json_output:
            print_json({"version": __version__, "checks": [asdict(c) for c in checks]})
        else:
            out.print(
                f"Tilework {__version__} on Python {sys.version.split()[0]} ({sys.executable})"
            )
            for check in checks:
                style = STYLE[check.level]
                label = f"{check.name:<15}"
                out.print(f"[{style}]{label}{check.level:<6}[/]{escape(check.detail)}")
        if any(check.level == "fail" for check in checks):
            raise typer.Exit(1)


def _tools(settings: Settings) -> list[tuple[str, str]]:
    return [("ffmpeg", settings.ffmpeg_path), ("ffprobe", settings.ffprobe_path)]


def _tool(name: str, configured: str) -> Check:
    path = shutil.which(configured)
    if path is None:
        return Check(name, "fail", f"{configured!r} not found: install ffmpeg (make system-deps)")
    try:
        done = subprocess.run(
            [path, "-version"], capture_output=True, text=True, timeout=20, check=False
        )
    except (OSError, subprocess.TimeoutExpired) as exc:
        return Check(name, "fail", f"{path} does not run: {exc}")
    first = done.stdout.splitlines()[0] if done.stdout else ""
    if done.returncode != 0 or not first:
        return Check(name, "fail", f"{path} -version failed (exit {done.returncode})")
    return Check(name, "ok", f"{first.split(' Copyright')[0]} ({path})")


def _model(state: models.ModelState) -> Check:
    model = state.model
    what = f"{model.title}, {model.distribution} {model.version}, for {model.used_by}"
    if state.ready:
        return Check(f"model {model.key}", "ok", f"{what}; sha256 checked ({state.path})")
    level: Level = "fail" if model.required or state.state == "corrupt" else "warn"
    detail = f"{state.state}: {what}. Without it: {model.without}. {state.detail}"
    return Check(f"model {model.key}", level, detail)


def _prompt_ranking(settings: Settings) -> Check:
    from tilework.tiles.prompt_ranking import ranking_description

    description = ranking_description(settings)
    level: Level = "fail" if description.startswith("unavailable") else "ok"
    return Check("clips ranking", level, description)


def _database(url: str) -> Check:
    from sqlalchemy import create_engine
    from sqlalchemy.engine import make_url
    from sqlalchemy.exc import SQLAlchemyError

    shown = make_url(url).render_as_string(hide_password=True)
    database = make_url(url).database
    if url.startswith("sqlite") and database and not Path(database).exists():
        return Check("database", "ok", f"{shown}: not created yet (tilework serve creates it)")
    try:
        engine = create_engine(url)
    except (SQLAlchemyError, ImportError) as exc:  # an unknown dialect, a driver not installed
        return Check("database", "fail", f"{shown}: cannot use it: {_first_line(exc)}")
    try:
        with engine.connect() as connection:
            current, head = _revisions(connection)
    except SQLAlchemyError as exc:
        cause = getattr(exc, "orig", None) or exc  # the driver's own message when there is one
        return Check("database", "fail", f"{shown}: cannot connect: {_first_line(cause)}")
    finally:
        engine.dispose()
    if current == head:
        return Check("database", "ok", f"{shown}: schema up to date ({head})")
    state = "empty" if current is None else f"at {current}"
    return Check("database", "warn", f"{shown}: schema {state}, head {head} (serve migrates)")


def _first_line(exc: BaseException) -> str:
    return (str(exc).strip().splitlines() or [type(exc).__name__])[0]


def _revisions(connection: Connection) -> tuple[str | None, str | None]:
    from alembic.runtime.migration import MigrationContext
    from alembic.script import ScriptDirectory

    from tilework.db.migrate import MIGRATIONS

    current = MigrationContext.configure(connection).get_current_revision()
    head = ScriptDirectory(str(MIGRATIONS)).get_current_head()
    return current, head


def _storage(blob_dir: Path) -> Check:
    existing = blob_dir
    while not existing.exists() and existing != existing.parent:
        existing = existing.parent
    free = shutil.disk_usage(existing).free / GB
    if not os.access(existing, os.W_OK):
        return Check("storage", "fail", f"{blob_dir}: {existing} is not writable")
    made = "" if blob_dir.exists() else " (created on first upload)"
    level: Level = "warn" if free < 1 else "ok"
    return Check("storage", level, f"{blob_dir}{made}: writable, {free:.1f} GB free")
