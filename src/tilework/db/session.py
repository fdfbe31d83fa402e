"""Engine and session factory, and the unit-of-work helper every writer goes through.

SQLite runs in WAL mode with ``BEGIN IMMEDIATE`` transactions: writers queue on the database lock
up front (with a generous busy timeout) instead of failing when a read transaction tries to
upgrade. Only ``unit_of_work`` commits; services flush.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.orm import Session, sessionmaker


def compact_json(value: Any) -> str:
    """JSON columns are stored compact: an outbox payload's text is then the very body a webhook
    delivery sends, with no decode and re-encode per attempt."""
    return json.dumps(value, separators=(",", ":"))


def make_engine(database_url: str) -> Engine:
    if database_url.startswith("sqlite"):
        engine = create_engine(
            database_url,
            connect_args={"check_same_thread": False, "timeout": _BUSY_TIMEOUT_S},
            pool_size=20,
            max_overflow=20,
            json_serializer=compact_json,
        )
        _configure_sqlite(engine)
        return engine
    return create_engine(
        database_url,
        pool_pre_ping=True,
        pool_size=10,
        max_overflow=20,
        json_serializer=compact_json,
    )


def _configure_sqlite(engine: Engine) -> None:
    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        # Let SQLAlchemy, not the driver, decide when transactions begin.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute(f"PRAGMA busy_timeout={int(_BUSY_TIMEOUT_S * 1000)}")
        # Checkpoints run in db.checkpoint's thread; SQLite's own (in whichever commit crosses
        # the threshold) is only a safety net, so its threshold is ten times the default.
        cursor.execute("PRAGMA wal_autocheckpoint=10000")
        cursor.close()

    # This process's writers queue on a Python lock before SQLite's: SQLite makes a writer that
    # finds the database locked sleep and poll (1, 2, 5, 10 … ms: tens of ms of tail latency per
    # collision), while a lock hands over the moment the holder commits. Other processes still
    # meet SQLite's own lock and its busy timeout.
    writer = threading.Lock()

    @event.listens_for(engine, "begin")
    def _on_begin(conn: Any) -> None:
        # Writers take the lock up front; read-only sessions (see below) don't take it at all.
        mode = conn.get_execution_options().get(_BEGIN, "IMMEDIATE")
        if mode == "IMMEDIATE":
            if not writer.acquire(timeout=_BUSY_TIMEOUT_S):
                raise TimeoutError(
                    f"database is locked: another writer held it for {_BUSY_TIMEOUT_S:g} s"
                )
            conn.info[_HOLDS_WRITER] = True
        try:
            conn.exec_driver_sql(f"BEGIN {mode}")
        except BaseException:
            _release(conn.info)
            raise

    def _release(info: dict[str, Any]) -> None:
        if info.pop(_HOLDS_WRITER, False):
            writer.release()

    # The transaction ends: committed, rolled back, or its connection returned to the pool or
    # dropped without either (the pool rolls back on its own, without the engine's events).
    event.listen(engine, "commit", lambda conn: _release(conn.info))
    event.listen(engine, "rollback", lambda conn: _release(conn.info))
    event.listen(engine.pool, "checkin", lambda _dbapi, record: _release(record.info))
    event.listen(engine.pool, "invalidate", lambda _dbapi, record, _exc: _release(record.info))


_BUSY_TIMEOUT_S = 60.0
_BEGIN = "tilework_sqlite_begin"
_HOLDS_WRITER = "tilework_holds_writer_lock"


def make_session_factory(engine: Engine) -> sessionmaker[Session]:
    return sessionmaker(engine, expire_on_commit=False)


def make_read_session_factory(engine: Engine) -> sessionmaker[Session]:
    """Sessions for pollers that only read (event streams): on SQLite they never take the write
    lock, so a dashboard watching many runs does not queue behind the workers."""
    return sessionmaker(engine.execution_options(**{_BEGIN: "DEFERRED"}), expire_on_commit=False)


@contextmanager
def unit_of_work(factory: sessionmaker[Session]) -> Iterator[Session]:
    """One transaction: commit on success, roll back on any exception."""
    session = factory()
    try:
        yield session
        session.commit()
    except BaseException:
        session.rollback()
        raise
    finally:
        session.close()
