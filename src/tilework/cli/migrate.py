"""``tilework migrate``: bring the database schema up to date (safe to run twice, or at once)."""

from __future__ import annotations

from tilework.cli.common import CLIError, JsonOption, handle_errors, load_settings, out, print_json
from tilework.cli.database import database_errors


def migrate(as_json: JsonOption = False) -> None:
    """Apply Tilework's migrations and, on PostgreSQL, Procrastinate's job schema."""
    with handle_errors():
        settings = load_settings()
        try:
            from tilework.db.migrate import migrate as run_migrations
            from tilework.db.session import make_engine
        except ImportError as exc:
            raise CLIError(f"the server is not available in this install: {exc}") from exc
        if settings.database_url.startswith("sqlite"):
            settings.data_dir.mkdir(parents=True, exist_ok=True)
        with database_errors(settings.database_url):
            engine = make_engine(settings.database_url)
            try:
                done = run_migrations(engine)
            finally:
                engine.dispose()
        if as_json:
            print_json({"applied": done})
            return
        for line in done:
            out.print(line)
