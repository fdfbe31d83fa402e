"""Throw-away PostgreSQL databases for tests: one uniquely named database per use, dropped after.

Tests share the machine's PostgreSQL with other test runs (and other people's), so nothing is
ever created under a fixed name. ``TILEWORK_TEST_POSTGRES_URL`` names the server (a database
URL of any database there, used to create and drop ours). When the server cannot be reached the
test is skipped, except under ``CI=true`` where it fails: a green CI run means the PostgreSQL
half really ran.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from contextlib import contextmanager

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

DEFAULT_ADMIN_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"


def admin_url() -> str:
    return os.environ.get("TILEWORK_TEST_POSTGRES_URL", DEFAULT_ADMIN_URL)


def missing_service(what: str) -> None:
    """Skip, or fail under CI, for a service the test needs."""
    if os.environ.get("CI", "").lower() in ("1", "true", "yes"):
        pytest.fail(f"{what} (CI=true: the PostgreSQL and S3 halves must run)")
    pytest.skip(what)


@contextmanager
def fresh_database(prefix: str = "tw_test") -> Iterator[str]:
    """Create an empty database with a unique name; yields its SQLAlchemy URL; drops it after."""
    engine = create_engine(admin_url(), isolation_level="AUTOCOMMIT")
    name = f"{prefix}_{uuid.uuid4().hex[:12]}"
    try:
        with engine.connect() as connection:
            connection.execute(text(f'CREATE DATABASE "{name}"'))
    except Exception as exc:
        engine.dispose()
        missing_service(f"PostgreSQL not reachable at {admin_url()}: {type(exc).__name__}")
    try:
        yield make_url(admin_url()).set(database=name).render_as_string(hide_password=False)
    finally:
        with engine.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        engine.dispose()
