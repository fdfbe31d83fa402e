"""Schema migrations: Tilework's Alembic revisions and, on PostgreSQL, Procrastinate's schema.

``migrate`` is what ``tilework migrate`` and every server or worker start run. It is idempotent
and safe to run from several processes at once: on PostgreSQL the whole migration is one
transaction holding a transaction-level advisory lock (a second process waits, then finds
nothing to do); on SQLite the migration transaction starts with ``BEGIN IMMEDIATE``, which
serializes writers the same way.
"""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config
from sqlalchemy import Connection, Engine, text

MIGRATIONS = Path(__file__).parent / "migrations"
# pg_advisory_xact_lock key: any constant that other software on the database is unlikely to
# use; "tilework" in ASCII.
MIGRATION_LOCK = 0x74696C65776F726B
# Tables other software keeps in the same database (Procrastinate's, on PostgreSQL) are not ours
# to compare or drop.
FOREIGN_TABLE_PREFIXES = ("procrastinate_", "tilework_procrastinate_")


def include_name(name: str | None, type_: str, _parents: object) -> bool:
    """Alembic's filter: leave other software's tables alone."""
    return type_ != "table" or not (name or "").startswith(FOREIGN_TABLE_PREFIXES)


def alembic_config(engine: Engine) -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.set_main_option("sqlalchemy.url", engine.url.render_as_string(hide_password=False))
    return config


def upgrade(engine: Engine, revision: str = "head") -> None:
    """Bring Tilework's own tables to ``revision`` (idempotent)."""
    with engine.begin() as connection:
        _lock(connection)
        _alembic_upgrade(engine, connection, revision)


def migrate(engine: Engine) -> list[str]:
    """Everything the database needs, in one locked transaction; returns what was done."""
    done = []
    with engine.begin() as connection:
        _lock(connection)
        before = _alembic_revision(connection)
        _alembic_upgrade(engine, connection, "head")
        after = _alembic_revision(connection)
        done.append(
            f"Tilework schema at {after}"
            if before == after
            else f"Tilework schema {before or 'empty'} -> {after}"
        )
        if connection.dialect.name == "postgresql":
            from tilework.workers.postgres.schema import ensure_schema

            done.append(ensure_schema(connection))
    return done


def _lock(connection: Connection) -> None:
    if connection.dialect.name == "postgresql":
        connection.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": MIGRATION_LOCK})


def _alembic_upgrade(engine: Engine, connection: Connection, revision: str) -> None:
    config = alembic_config(engine)
    config.attributes["connection"] = connection
    command.upgrade(config, revision)


def _alembic_revision(connection: Connection) -> str | None:
    from alembic.migration import MigrationContext

    return MigrationContext.configure(connection).get_current_revision()
