"""What the server-side commands share about the database: readable connection errors."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING

from tilework.cli.common import CLIError

if TYPE_CHECKING:
    from tilework.config import Settings


def shown_url(database_url: str) -> str:
    """The database URL without its password, for messages."""
    from sqlalchemy.engine import make_url

    try:
        return make_url(database_url).render_as_string(hide_password=True)
    except Exception:
        return "(unparsable TILEWORK_DATABASE_URL)"


@contextmanager
def database_errors(database_url: str) -> Iterator[None]:
    """Turn "cannot connect" and other database errors into one line (no traceback)."""
    from sqlalchemy.exc import ArgumentError, NoSuchModuleError, SQLAlchemyError

    try:
        yield
    except (ArgumentError, NoSuchModuleError) as exc:
        raise CLIError(f"invalid TILEWORK_DATABASE_URL {shown_url(database_url)}: {exc}") from exc
    except SQLAlchemyError as exc:
        reason = str(getattr(exc, "orig", None) or exc).strip().splitlines()
        first = reason[0] if reason else type(exc).__name__
        raise CLIError(f"database {shown_url(database_url)}: {first}") from exc


def preflight(settings: Settings) -> None:
    """Before a server or worker starts: the database answers and its schema is current, and
    the blob store (S3 bucket) is there.

    Done ahead of uvicorn and the workers so that a wrong URL, a server that is down or a
    missing bucket is one line and a non-zero exit, not a traceback from a lifespan or thread.
    """
    from tilework.db.migrate import migrate
    from tilework.db.session import make_engine
    from tilework.storage.base import StorageUnavailable

    if settings.storage_url:
        from tilework.storage.s3 import S3BlobStore

        try:
            S3BlobStore(settings.storage_url, settings.data_dir / "cache" / "blobs").check()
        except StorageUnavailable as exc:
            raise CLIError(f"storage {settings.storage_url}: {exc}") from exc

    if not settings.uses_postgres:
        settings.data_dir.mkdir(parents=True, exist_ok=True)
    with database_errors(settings.database_url):
        engine = make_engine(settings.database_url)
        try:
            migrate(engine)
        finally:
            engine.dispose()
