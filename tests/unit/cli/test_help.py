from __future__ import annotations

import subprocess
import sys

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
