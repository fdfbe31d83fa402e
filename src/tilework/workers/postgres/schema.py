"""Procrastinate's SQL schema, applied and upgraded by ``tilework migrate``.

Procrastinate ships its schema as one SQL file plus numbered migration files, and leaves keeping
track of what was applied to its users. We record the version of the schema we applied in a
one-row table, ``tilework_procrastinate_schema``: an empty database gets ``schema.sql`` whole; a
database at an older version gets the migration files named for the versions after it, in order.
The caller runs this inside its migration transaction, holding the migration lock.
"""

from __future__ import annotations

import logging
import re
from importlib.metadata import version
from pathlib import Path

from procrastinate.schema import SchemaManager
from sqlalchemy import Connection, text

log = logging.getLogger(__name__)

VERSION_TABLE = "tilework_procrastinate_schema"
_MIGRATION_NAME = re.compile(r"^(\d+)\.(\d+)\.(\d+)_(\d+)_")


def installed_version() -> tuple[int, ...]:
    return _parse(version("procrastinate"))


def ensure_schema(connection: Connection) -> str:
    """Bring Procrastinate's schema to the installed version; returns what was done."""
    connection.execute(text(f"CREATE TABLE IF NOT EXISTS {VERSION_TABLE} (version TEXT NOT NULL)"))
    recorded = connection.scalar(text(f"SELECT version FROM {VERSION_TABLE}"))
    target = installed_version()
    if recorded is None:
        if _has_jobs_table(connection):
            raise RuntimeError(
                "procrastinate_jobs exists but its schema version is unknown: apply "
                "Procrastinate's migrations by hand, then insert the version into "
                f"{VERSION_TABLE}"
            )
        _run_script(connection, SchemaManager.get_schema())
        _record(connection, target, first=True)
        return f"applied Procrastinate schema {_show(target)}"
    current = _parse(str(recorded))
    pending = pending_migrations(current, target)
    for path in pending:
        _run_script(connection, path.read_text(encoding="utf-8"))
    if current != target:
        _record(connection, target, first=False)
    if not pending and current == target:
        return f"Procrastinate schema {_show(target)} is current"
    return f"upgraded Procrastinate schema {_show(current)} -> {_show(target)}"


def pending_migrations(current: tuple[int, ...], target: tuple[int, ...]) -> list[Path]:
    """Migration files for versions after ``current`` up to ``target``, in order."""
    folder = Path(SchemaManager.get_migrations_path())
    chosen: list[tuple[tuple[int, ...], Path]] = []
    for path in folder.glob("*.sql"):
        match = _MIGRATION_NAME.match(path.name)
        if match is None:
            continue
        numbers = tuple(int(part) for part in match.groups())
        if current < numbers[:3] <= target:
            chosen.append((numbers, path))
    return [path for _numbers, path in sorted(chosen)]


def _run_script(connection: Connection, script: str) -> None:
    # Several statements at once: psycopg runs a query without parameters as a simple query,
    # and does not read "%" as a placeholder there.
    driver = connection.connection.driver_connection
    assert driver is not None
    driver.execute(script)


def _has_jobs_table(connection: Connection) -> bool:
    return bool(connection.scalar(text("SELECT to_regclass('procrastinate_jobs') IS NOT NULL")))


def _record(connection: Connection, target: tuple[int, ...], *, first: bool) -> None:
    statement = f"INSERT INTO {VERSION_TABLE} (version) VALUES (:v)"
    if not first:
        statement = f"UPDATE {VERSION_TABLE} SET version = :v"
    connection.execute(text(statement), {"v": _show(target)})


def _parse(value: str) -> tuple[int, ...]:
    parts = re.findall(r"\d+", value)[:3]
    return tuple(int(part) for part in parts + ["0"] * (3 - len(parts)))


def _show(numbers: tuple[int, ...]) -> str:
    return ".".join(str(n) for n in numbers)
