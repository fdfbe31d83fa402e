"""The ``tilework`` Typer app: wires the command modules together (each imports its heavy
dependencies lazily, so ``tilework --help`` stays fast)."""

from __future__ import annotations

import typer

from tilework.cli.agents import agents_app
from tilework.cli.credits import credits_app
from tilework.cli.doctor import doctor
from tilework.cli.explain import explain
from tilework.cli.keys import keys_app
from tilework.cli.migrate import migrate
from tilework.cli.models import models_app
from tilework.cli.node_types import node_types_app
from tilework.cli.orgs import init
from tilework.cli.plan import plan_app
from tilework.cli.run import run
from tilework.cli.runs import runs_app
from tilework.cli.serve import serve
from tilework.cli.triggers import triggers_app
from tilework.cli.uploads import uploads_app
from tilework.cli.webhooks import webhooks_app
from tilework.cli.whoami import whoami
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
app.add_typer(runs_app, name="runs")
app.add_typer(uploads_app, name="uploads")
app.add_typer(triggers_app, name="triggers")
app.add_typer(plan_app, name="plan")
app.add_typer(node_types_app, name="node-types")
app.command()(whoami)
app.add_typer(models_app, name="models")
app.command()(doctor)
app.add_typer(keys_app, name="keys")
app.command()(migrate)
app.command()(worker)


if __name__ == "__main__":  # pragma: no cover
    app()
