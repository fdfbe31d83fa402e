from __future__ import annotations

import subprocess
import sys
from typing import Any

from typer.testing import CliRunner

from tilework.cli.main import app

runner = CliRunner()


def test_help_lists_every_command() -> None:
    result = runner.invoke(app, ["--help"])
    assert result.exit_code == 0
    for command in ("serve", "init", "agents", "run"):
        assert command in result.output


def test_subcommand_help() -> None:
    for args in (["agents", "--help"], ["run", "--help"], ["serve", "--help"], ["init", "--help"]):
        result = runner.invoke(app, args)
        assert result.exit_code == 0, result.output


def test_help_does_not_import_the_server() -> None:
    code = (
        "import sys; from tilework.cli.main import app; "
        "heavy = ('tilework.api', 'tilework.engine', 'uvicorn', 'sqlalchemy', 'fastapi'); "
        "print(','.join(m for m in heavy if m in sys.modules))"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stdout.strip() == ""


def test_every_command_but_serve_has_json() -> None:
    import typer

    def leaves(command: Any, path: str) -> list[tuple[str, Any]]:
        children = getattr(command, "commands", None)  # a group (typer vendors its own click)
        if children is not None:
            return [
                leaf
                for name, child in children.items()
                for leaf in leaves(child, f"{path} {name}".strip())
            ]
        return [(path, command)]

    commands = leaves(typer.main.get_command(app), "")
    assert len(commands) > 40
    missing = [
        path
        for path, command in commands
        if path not in ("serve", "worker") and not any("--json" in p.opts for p in command.params)
    ]
    assert not missing, missing
