"""The ffmpeg watchdog inside a real run: an item whose render exceeds the memory limit fails
with a message naming the limit, and the run goes on to finish the other item."""

from __future__ import annotations

import subprocess
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from tests.e2e.conftest import Server, create_agent, upload_video, wait_for_run
from tests.e2e.helpers import node_type_ids

pytestmark = pytest.mark.e2e

# Address space of a 4K x264 render here: ~1.7 GB; a 320x180 one ~0.6 GB; the 4K input's
# probe and thumbnail ~0.5 GB. 1.1 GB lets everything but the 4K render through.
MEMORY_LIMIT_MB = 1100


@pytest.fixture(scope="module")
def limited(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    server = Server(
        data_dir=tmp_path_factory.mktemp("watchdog"),
        extra_env={"TILEWORK_FFMPEG_MEMORY_LIMIT_MB": str(MEMORY_LIMIT_MB)},
    )
    server.start()
    server.api_key = server.init_org()
    yield server
    server.stop()


def uhd_clip(folder: Path) -> Path:
    path = folder / "uhd.mp4"
    source = "testsrc2=size=3840x2160:rate=25:duration=0.4"
    encode = ["-c:v", "libx264", "-preset", "ultrafast", "-pix_fmt", "yuv420p", str(path)]
    subprocess.run(
        ["ffmpeg", "-v", "error", "-y", "-f", "lavfi", "-i", source, *encode],
        check=True,
        timeout=120,
    )
    return path


def test_an_item_over_the_memory_limit_fails_and_the_run_goes_on(
    limited: Server, clips: Callable[..., Path], tmp_path: Path
) -> None:
    with limited.client() as api:
        ids = node_type_ids(api)
        agent = create_agent(
            api,
            [{"ref": "in", "type": ids["video input"]}, {"ref": "out", "type": ids["render"]}],
            [["in", "out"]],
        )
        small = upload_video(api, clips(seconds=1, audio=None, width=320))
        huge = upload_video(api, uhd_clip(tmp_path))
        started = api.post(f"/agent/{agent['agent']['id']}/run", json={"video_ids": [small, huge]})
        assert started.status_code == 200, started.text
        run = wait_for_run(api, started.json()["run_id"], timeout=180)
    assert run["status"] == "partial_complete", run
    assert len(run["outputs"]) == 1
    errors = " ".join(str(error) for error in run["errors"])
    assert f"ran out of its {MEMORY_LIMIT_MB} MB memory limit" in errors, run["errors"]
