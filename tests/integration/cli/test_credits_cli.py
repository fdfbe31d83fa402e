"""``tilework credits grant`` and ``show`` on a real database (in process, through Typer)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from tilework.cli.main import app

runner = CliRunner()


def invoke(*args: str) -> tuple[int, str]:
    result = runner.invoke(app, list(args))
    return result.exit_code, result.output


def test_grant_and_show(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TILEWORK_DATA_DIR", str(tmp_path / "data"))
    code, output = invoke("init", "--name", "Acme Films", "--json")
    assert code == 0, output
    org_id = json.loads(output)["organization_id"]

    code, output = invoke("credits", "grant", "acme-films", "25", "--note", "pilot", "--json")
    assert code == 0, output
    assert json.loads(output) == {"organization_id": org_id, "granted": 25, "balance": 325}

    code, output = invoke("credits", "show", org_id, "--json")
    shown = json.loads(output)
    assert (shown["plan_id"], shown["balance"], shown["reserved"]) == ("free", 325, 0)
    assert [(e["kind"], e["amount"]) for e in shown["entries"]] == [
        ("grant", 25),
        ("allowance", 300),
    ]
    assert shown["entries"][0]["details"] == {"note": "pilot"}

    for args, message in (
        (("credits", "grant", "nobody", "5"), "no organization 'nobody'"),
        (("credits", "grant", org_id, "0"), "amount: must be between 1 and"),
        (("credits", "grant", org_id, "5000000000"), "amount: must be between 1 and"),
        (("credits", "show", org_id, "--entries", "0"), "--entries must be between 1 and 100"),
    ):
        code, output = invoke(*args)
        assert code == 1 and message in output, output
    code, output = invoke("credits", "show", org_id, "--json")
    assert json.loads(output)["balance"] == 325  # the refused grants changed nothing
