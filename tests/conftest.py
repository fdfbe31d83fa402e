"""Fixtures shared by every test layer: settings in a temp data dir and a migrated database."""

from __future__ import annotations

import signal
from collections.abc import Iterator
from pathlib import Path
from types import FrameType

import pytest
from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from tests.support.postgres import fresh_database
from tests.support.s3 import s3_bucket, s3_server  # noqa: F401  (fixtures for every layer)
from tilework.config import Settings
from tilework.db.session import make_engine, make_session_factory
from tilework.db.tables import Base


def pytest_configure(config: pytest.Config) -> None:
    """End the session on SIGTERM as on Ctrl-C, so fixture teardowns stop what they started.

    Without it a ``kill`` of pytest (a CI timeout, a laptop's process manager) ends the process
    at once and the servers and workers that e2e fixtures started keep running for good.
    """

    def interrupt(signum: int, frame: FrameType | None) -> None:
        raise KeyboardInterrupt(f"signal {signum}")

    signal.signal(signal.SIGTERM, interrupt)


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return Settings(data_dir=tmp_path / "data", allow_private_urls=True, workers=2)


@pytest.fixture
def db_engine(settings: Settings) -> Iterator[Engine]:
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    engine = make_engine(settings.database_url)
    Base.metadata.create_all(engine)
    yield engine
    engine.dispose()


@pytest.fixture
def sessions(db_engine: Engine) -> sessionmaker[Session]:
    return make_session_factory(db_engine)


@pytest.fixture
def pg_url() -> Iterator[str]:
    """An empty PostgreSQL database of its own (``postgresql+psycopg://…``), dropped after."""
    with fresh_database() as url:
        yield url
