"""The ``tilework`` Typer app: wires the command modules together (each imports its heavy
dependencies lazily, so ``tilework --help`` stays fast)."""

from __future__ import annotations

import typer

from tilework.cli.agents import agents_app
from tilework.cli.credits import credits_app
from tilework.cli.explain import explain
from tilework.cli.migrate import migrate
from tilework.cli.orgs import init
from tilework.cli.run import run
from tilework.cli.serve import serve
from tilework.cli.webhooks import webhooks_app
from tilework.cli.worker import worker

app = typer.Typer(
    name="tilework",
    help="Tilework: self-hosted, Mosaic-compatible video-editing agents.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
app.command()(serve)
app.command()(init)
app.add_typer(agents_app, name="agents")
app.command()(run)
app.command()(explain)
app.add_typer(webhooks_app, name="webhooks")
app.add_typer(credits_app, name="credits")
app.command()(migrate)
app.command()(worker)


if __name__ == "__main__":  # pragma: no cover
    app()
