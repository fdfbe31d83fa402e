"""WAL checkpoints from the checkpointer's thread move committed pages into the database file."""

from __future__ import annotations

import sqlite3
import time

from sqlalchemy import Engine

from tilework.db.checkpoint import WalCheckpointer
from tilework.db.session import make_session_factory, unit_of_work
from tilework.db.tables import Organization


def rows_in_the_database_file(engine: Engine) -> int:
    """Organizations in the main file alone: ``immutable=1`` reads it without the WAL."""
    path = engine.url.database
    with sqlite3.connect(f"file:{path}?immutable=1", uri=True) as probe:
        return int(probe.execute("SELECT count(*) FROM organizations").fetchone()[0])


def test_committed_rows_reach_the_database_file_only_with_a_checkpoint(db_engine: Engine) -> None:
    checkpointer = WalCheckpointer(db_engine)
    checkpointer.checkpoint()  # the schema itself, so the probe can read the table
    sessions = make_session_factory(db_engine)
    with unit_of_work(sessions) as session:
        session.add_all(Organization(name=f"o{n}", slug=f"o{n}") for n in range(20))
    assert rows_in_the_database_file(db_engine) == 0  # still only in the WAL
    checkpointer.checkpoint()
    assert rows_in_the_database_file(db_engine) == 20


def test_the_thread_checkpoints_on_its_own_and_stops(db_engine: Engine) -> None:
    checkpointer = WalCheckpointer(db_engine, interval=0.05)
    checkpointer.checkpoint()
    checkpointer.start()
    try:
        sessions = make_session_factory(db_engine)
        with unit_of_work(sessions) as session:
            session.add(Organization(name="t", slug="t"))
        for _ in range(100):
            if rows_in_the_database_file(db_engine) == 1:
                break
            time.sleep(0.05)
        assert rows_in_the_database_file(db_engine) == 1
    finally:
        checkpointer.stop()
