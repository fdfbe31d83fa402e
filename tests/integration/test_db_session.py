"""SQLite transactions: writers lock up front, read-only sessions never block them."""

from __future__ import annotations

import threading

from sqlalchemy import Engine, select
from sqlalchemy.orm import Session, sessionmaker

from tilework.db.session import make_read_session_factory, unit_of_work
from tilework.db.tables import Organization


def _write(sessions: sessionmaker[Session], done: threading.Event) -> None:
    with unit_of_work(sessions) as session:
        session.add(Organization(name="w", slug="w"))
    done.set()


def test_a_reader_mid_transaction_does_not_block_a_writer(
    db_engine: Engine, sessions: sessionmaker[Session]
) -> None:
    reads = make_read_session_factory(db_engine)
    with reads() as reader:
        reader.execute(select(Organization)).all()  # transaction open, snapshot taken
        done = threading.Event()
        writer = threading.Thread(target=_write, args=(sessions, done))
        writer.start()
        assert done.wait(5), "the writer waited on a read-only session"
        writer.join()


def test_two_writers_serialise_instead_of_failing(sessions: sessionmaker[Session]) -> None:
    with unit_of_work(sessions) as first:
        first.add(Organization(name="a", slug="a"))
        first.flush()
        done = threading.Event()
        writer = threading.Thread(target=_write, args=(sessions, done))
        writer.start()
        assert not done.wait(0.3), "a second writer got in while the first held the lock"
    assert done.wait(10)
    writer.join()
    with sessions() as session:
        assert {o.slug for o in session.scalars(select(Organization))} == {"a", "w"}


def test_a_writer_abandoned_without_commit_or_rollback_lets_the_next_one_in(
    sessions: sessionmaker[Session],
) -> None:
    abandoned = sessions()
    abandoned.add(Organization(name="x", slug="x"))
    abandoned.flush()  # BEGIN IMMEDIATE: this process's writer lock is held
    abandoned.close()  # neither committed nor rolled back by the caller
    done = threading.Event()
    writer = threading.Thread(target=_write, args=(sessions, done))
    writer.start()
    assert done.wait(10), "the writer lock stayed with an abandoned session"
    writer.join()


def test_a_failed_statement_rolls_back_and_releases_the_lock(
    sessions: sessionmaker[Session],
) -> None:
    try:
        with unit_of_work(sessions) as session:
            session.add(Organization(name="dup", slug="dup"))
            session.flush()
            session.add(Organization(name="dup", slug="dup"))  # unique slug: the flush fails
            session.flush()
    except Exception:
        pass
    done = threading.Event()
    _write(sessions, done)
    assert done.is_set()
