"""``pip install .`` in a fresh venv gives a server whose Captions, Clips and Reframe work.

A venv is made from nothing, this checkout is installed into it with plain pip (from the
package registries, through pip's cache: nothing else is downloaded), then the venv's own
``tilework models install``, ``tilework doctor`` and ``tilework serve`` run, and the venv's CLI
runs ``examples/agents/shorts.yaml`` on a talking clip with a face. Nothing of the test's own
venv is used but the generated clip. It costs a minute or two, most of it pip resolving and
unpacking ~800 MB of wheels (``--no-compile`` spares the bytecode step).
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.e2e.conftest import free_port
from tests.e2e.helpers import probe_size
from tests.support.media import requires_ffmpeg
from tilework.media.samples import DEFAULT_SCRIPT, make_talking_clip

pytestmark = [pytest.mark.e2e, requires_ffmpeg]

ROOT = Path(__file__).resolve().parents[2]
SHORTS = ROOT / "examples" / "agents" / "shorts.yaml"
PIP_TIMEOUT_S = 900


def clean_env(**extra: str) -> dict[str, str]:
    """The environment without this test run's venv or import paths."""
    env = {k: v for k, v in os.environ.items() if k not in ("VIRTUAL_ENV", "PYTHONPATH")}
    return {**env, **extra}


def run(command: list[str], *, timeout: float, **extra: str) -> subprocess.CompletedProcess[str]:
    done = subprocess.run(
        command, capture_output=True, text=True, timeout=timeout, env=clean_env(**extra)
    )
    assert done.returncode == 0, f"{command}: {done.stdout[-3000:]}\n{done.stderr[-3000:]}"
    return done


@pytest.fixture(scope="module")
def fresh_venv(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A new venv with this checkout installed by ``pip install .`` and the model wheels."""
    root = tmp_path_factory.mktemp("fresh")
    project = root / "project"  # a copy, so the build leaves nothing in the checkout
    project.mkdir()
    for name in ("pyproject.toml", "README.md"):
        shutil.copy2(ROOT / name, project / name)
    ignore = shutil.ignore_patterns("__pycache__", "*.egg-info")
    shutil.copytree(ROOT / "src", project / "src", ignore=ignore)
    venv = root / "venv"
    run([sys.executable, "-m", "venv", str(venv)], timeout=120)
    pip = [str(venv / "bin" / "python"), "-m", "pip", "install", "--no-compile"]
    run([*pip, "--disable-pip-version-check", str(project)], timeout=PIP_TIMEOUT_S)
    run([str(venv / "bin" / "tilework"), "models", "install"], timeout=PIP_TIMEOUT_S)
    return venv


def test_the_fresh_install_has_its_models_and_says_so(fresh_venv: Path, tmp_path: Path) -> None:
    tilework = str(fresh_venv / "bin" / "tilework")
    listed = run([tilework, "models", "list", "--json", "--verify"], timeout=60)
    states = {entry["model"]: entry["state"] for entry in json.loads(listed.stdout)}
    assert states == {"speech": "ready", "faces": "ready", "semantic": "missing"}
    doctor = run([tilework, "doctor", "--json"], timeout=60, TILEWORK_DATA_DIR=str(tmp_path))
    checks = {c["name"]: c for c in json.loads(doctor.stdout)["checks"]}
    assert checks["clips ranking"]["detail"].startswith("bm25 (keywords; fallback")


@pytest.fixture
def fresh_server(fresh_venv: Path, tmp_path: Path) -> Iterator[tuple[str, Path]]:
    """The fresh venv's ``tilework serve`` on a free port; yields its URL and log file."""
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    log = tmp_path / "server.log"
    env = clean_env(TILEWORK_DATA_DIR=str(tmp_path / "data"), TILEWORK_ALLOW_PRIVATE_URLS="true")
    command = [str(fresh_venv / "bin" / "tilework"), "serve", "--port", str(port)]
    with log.open("wb") as out:
        server = subprocess.Popen(command, env=env, stdout=out, stderr=subprocess.STDOUT)
    try:
        deadline = time.monotonic() + 90
        while True:
            assert server.poll() is None, log.read_text()
            assert time.monotonic() < deadline, log.read_text()
            try:
                if httpx.get(f"{url}/openapi.json", timeout=2).status_code == 200:
                    break
            except httpx.HTTPError:
                time.sleep(0.3)
        yield url, log
    finally:
        server.terminate()
        server.wait(timeout=30)


def test_the_fresh_install_runs_the_shorts_agent(
    fresh_venv: Path, fresh_server: tuple[str, Path], tmp_path: Path
) -> None:
    url, log = fresh_server
    assert "Models: speech ok, faces ok, semantic missing (Clips matches prompts by keywords" in (
        log.read_text()
    )
    clip = make_talking_clip("ffmpeg", tmp_path / "talk.mp4").path  # 16 s, a face on the right
    tilework = str(fresh_venv / "bin" / "tilework")
    data = str(tmp_path / "data")  # `init` writes the server's database directly
    key = json.loads(run([tilework, "init", "--json"], timeout=60, TILEWORK_DATA_DIR=data).stdout)
    env = {"TILEWORK_SERVER": url, "TILEWORK_API_KEY": key["api_key"]}
    agent = run([tilework, "agents", "import", str(SHORTS), "--json"], timeout=60, **env)
    agent_id = json.loads(agent.stdout)["agent_id"]
    done = run([tilework, "run", agent_id, "--video", str(clip), "--json"], timeout=600, **env)
    final: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    assert final["status"] == "completed", final
    assert len(final["outputs"]) == 2  # Clips: num_clips 2 of about 8 s
    spoken = " ".join(DEFAULT_SCRIPT).lower()
    for output in final["outputs"]:
        assert probe_size(output["video_url"]) == (720, 1280)  # Reframe 9:16, Render 720x1280
        captions = httpx.get(output["captions_srt_url"], timeout=30).text
        heard = [w.strip(".,!?").lower() for w in captions.split() if w[:1].isalpha()]
        assert sum(word in spoken for word in heard) >= 5, captions  # Captions: real words
    nodes = httpx.get(
        f"{url}/agent_run/{final['run_id']}/nodes",
        headers={"Authorization": f"Bearer {key['api_key']}"},
        timeout=30,
    ).json()["nodes"]
    messages = {n["node_type"]["node_type_name"]: n["status_message"] for n in nodes}
    assert messages["Clips"].startswith("2 clips of about 8 s"), messages
    assert "to 9:16" in messages["Reframe"] and "a face in" in messages["Reframe"], messages
