"""Browser tests: the dashboard in Debian's chromium, driven by Playwright, against a real server.

The server is the real app (workers, webhook sender, ffmpeg) on 127.0.0.1, port 0, in this
process. Chromium is Debian's (``/usr/bin/chromium``; Playwright's own browser download is not
used); axe-core comes from npm (``node_modules``, installed by ``make test``). Without them the
tests skip, except under ``CI=true``, where a missing browser fails the run.
Screenshots go to ``test-artifacts/dashboard/`` (git-ignored) for a person to look at.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from pydantic import SecretStr

from tests.integration.api.server import LiveServer, bound_socket
from tests.support.receiver import receiver as receiver  # the fixture
from tilework.api.app import create_app
from tilework.config import Settings
from tilework.db.session import unit_of_work
from tilework.media.samples import make_sample_clip
from tilework.orgs.service import create_organization
from tilework.runtime import Runtime

pytestmark = pytest.mark.browser

ROOT = Path(__file__).resolve().parents[2]
CHROMIUM = Path(os.environ.get("TILEWORK_TEST_CHROMIUM", "/usr/bin/chromium"))
AXE = ROOT / "node_modules" / "axe-core" / "axe.min.js"
ARTIFACTS = ROOT / "test-artifacts" / "dashboard"
CHROMIUM_FLAGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
DESKTOP = {"width": 1280, "height": 900}
PHONE = {"width": 390, "height": 844}


def _missing(what: str) -> None:
    if os.environ.get("CI") == "true":
        pytest.fail(f"{what} is missing (make test installs it)")
    pytest.skip(f"{what} is missing: run make test to install it")


@dataclass
class Dashboard:
    url: str
    api_key: str
    runtime: Runtime


@pytest.fixture(scope="module")
def dashboard(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Dashboard]:
    sock = bound_socket()
    url = f"http://127.0.0.1:{sock.getsockname()[1]}"
    settings = Settings(
        data_dir=tmp_path_factory.mktemp("dashboard"),
        public_base_url=url,
        signing_key=SecretStr("browser-test-signing-key"),
        allow_private_urls=True,  # the webhook receiver is on 127.0.0.1
        workers=2,
        webhook_retry_schedule=(0, 0.2, 0.5),
    )
    app = create_app(settings)
    server = LiveServer(app, sock)
    server.start()
    runtime: Runtime = app.state.runtime
    with unit_of_work(runtime.sessions) as session:
        _, key = create_organization(session, "Browser Test Org")
    yield Dashboard(url, key, runtime)
    server.stop()


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    if not CHROMIUM.exists():
        _missing(f"chromium ({CHROMIUM})")
    if not AXE.exists():
        _missing(f"axe-core ({AXE})")
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        _missing("the playwright Python package")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_FLAGS
        )
        yield browser
        browser.close()


@pytest.fixture(scope="module")
def clip(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A 4-second H.264/AAC clip made by real ffmpeg."""
    path = tmp_path_factory.mktemp("clip") / "talk.mp4"
    return make_sample_clip("ffmpeg", path, seconds=4.0, width=320, height=180)
