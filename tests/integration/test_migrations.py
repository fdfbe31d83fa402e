"""Migrating an empty database to head gives exactly the schema the models describe."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import create_engine, inspect

from tilework.config import Settings
from tilework.db.migrate import upgrade
from tilework.db.tables import Base


def test_upgrade_from_empty_matches_models(settings: Settings) -> None:
    settings.data_dir.mkdir(parents=True)
    engine = create_engine(settings.database_url)
    upgrade(engine)
    upgrade(engine)  # idempotent: a second start-up changes nothing
    with engine.connect() as connection:
        diff = compare_metadata(MigrationContext.configure(connection), Base.metadata)
    assert diff == []
    assert set(inspect(engine).get_table_names()) >= set(Base.metadata.tables)
    engine.dispose()
