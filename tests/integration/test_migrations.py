"""Migrating an empty database to head gives exactly the schema the models describe, on SQLite
and on PostgreSQL; ``migrate`` is idempotent and safe to run from several processes at once."""

from __future__ import annotations

import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import Engine, create_engine, inspect, text

from tilework.config import Settings
from tilework.db.migrate import include_name, migrate, upgrade
from tilework.db.tables import Base
from tilework.workers.postgres.schema import VERSION_TABLE, installed_version, pending_migrations


def _schema_diff(engine: Engine) -> list[object]:
    with engine.connect() as connection:
        context = MigrationContext.configure(
            connection, opts={"include_name": include_name, "compare_type": True}
        )
        return list(compare_metadata(context, Base.metadata))


def test_upgrade_from_empty_matches_models_on_sqlite(settings: Settings) -> None:
    settings.data_dir.mkdir(parents=True)
    engine = create_engine(settings.database_url)
    upgrade(engine)
    upgrade(engine)  # idempotent: a second start-up changes nothing
    assert _schema_diff(engine) == []
    assert set(inspect(engine).get_table_names()) >= set(Base.metadata.tables)
    engine.dispose()


def test_migrate_from_empty_matches_models_on_postgresql(pg_url: str) -> None:
    engine = create_engine(pg_url)
    done = migrate(engine)
    assert done[0].startswith("Tilework schema empty ->")
    assert done[1].startswith("applied Procrastinate schema")
    again = migrate(engine)
    assert again[1].endswith("is current")
    assert _schema_diff(engine) == []
    tables = set(inspect(engine).get_table_names())
    assert tables >= set(Base.metadata.tables) | {"procrastinate_jobs", VERSION_TABLE}
    engine.dispose()


def test_concurrent_migrations_apply_everything_once(pg_url: str, tmp_path: Path) -> None:
    """Four `tilework migrate` processes at once: all succeed, the schema is applied once."""
    env = {"TILEWORK_DATABASE_URL": pg_url, "TILEWORK_DATA_DIR": str(tmp_path)}
    command = [sys.executable, "-m", "tilework.cli.main", "migrate"]

    def run(_: int) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            command, env={**_base_env(), **env}, capture_output=True, text=True, timeout=120
        )

    with ThreadPoolExecutor(4) as pool:
        results = list(pool.map(run, range(4)))
    assert [r.returncode for r in results] == [0, 0, 0, 0], [r.stderr for r in results]
    applied = [r for r in results if "applied Procrastinate schema" in r.stdout]
    assert len(applied) == 1
    engine = create_engine(pg_url)
    with engine.connect() as connection:
        assert connection.scalar(text(f"SELECT count(*) FROM {VERSION_TABLE}")) == 1
    assert _schema_diff(engine) == []
    engine.dispose()


def test_an_older_procrastinate_schema_gets_the_migrations_after_it() -> None:
    current = installed_version()
    assert pending_migrations(current, current) == []
    names = [path.name for path in pending_migrations((3, 2, 0), current)]
    assert names and all(name >= "03.02.01" for name in names)
    assert names == sorted(names)


def _base_env() -> dict[str, str]:
    import os

    return {key: value for key, value in os.environ.items() if not key.startswith("TILEWORK_")}
