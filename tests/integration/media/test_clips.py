"""The Clips tile on real media: espeak speech, real Whisper, real ffmpeg scene detection.

One talking clip (five sentences, one about a volcano, about 1 s pauses) is made per module, and
a three-shot clip without audio for the no-speech fallback. The last test runs the tile through
the real app and engine (HTTP on 127.0.0.1, embedded workers) and counts the run's outputs.
"""

from __future__ import annotations

import itertools
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import httpx
import opentimelineio as otio
import pytest
from pydantic import SecretStr

from tests.integration.api.server import LiveServer
from tests.support.media import requires_ffmpeg, tile_context
from tilework.analysis.asr import Transcript, Word, transcribe
from tilework.api import app as app_module
from tilework.config import Settings
from tilework.db.session import unit_of_work
from tilework.media.probe import probe
from tilework.media.runner import FFmpegRunner
from tilework.media.samples import make_talking_clip
from tilework.media.timeline import clip_segments, duration_s, plain, source_timeline, trim
from tilework.orgs.service import create_organization
from tilework.runtime import Runtime
from tilework.tiles.base import TileResult
from tilework.tiles.clips import ClipsTile
from tilework.tiles.sources import get_analysis

pytestmark = requires_ffmpeg

SCRIPT = (
    "Welcome to our little demo.",
    "Yesterday we walked along the quiet beach.",
    "Then we climbed an active volcano near the coast.",
    "The view from the top was amazing.",
    "Thanks for watching and goodbye.",
)
HALF_FRAME_S = 0.5 / 25


@pytest.fixture(scope="module")
def media(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    folder = tmp_path_factory.mktemp("clips-media")
    talking = make_talking_clip(
        "ffmpeg",
        folder / "talking.mp4",
        script=SCRIPT,
        pause_s=1.0,
        lead_in_s=0.0,  # the trimmed edit below cuts at 1.0 s, between words of this timing
        width=320,
        height=180,
        face=False,
    )
    scenes = folder / "scenes.mp4"
    shots = ("testsrc2=", "smptebars=", "color=c=red:")
    args = ["ffmpeg", "-v", "error", "-y"]
    for shot in shots:
        args += ["-f", "lavfi", "-i", f"{shot}size=160x90:rate=25:duration=1.5"]
    args += ["-filter_complex", "concat=n=3:v=1:a=0,format=yuv420p", "-c:v", "libx264"]
    subprocess.run([*args, "-preset", "ultrafast", str(scenes)], check=True, timeout=60)
    return {"talking": talking.path, "scenes": scenes}


@pytest.fixture(scope="module")
def module_settings(tmp_path_factory: pytest.TempPathFactory) -> Settings:
    """One data dir for the module, so each source is transcribed and analysed once."""
    return Settings(data_dir=tmp_path_factory.mktemp("clips-data"), allow_private_urls=True)


@pytest.fixture(scope="module")
def transcript(media: dict[str, Path], module_settings: Settings) -> Transcript:
    return transcribe(module_settings, media["talking"])


def source(settings: Settings, path: Path) -> otio.schema.Timeline:
    info = probe(FFmpegRunner(settings), path)
    return source_timeline(path, info, start_ms=None, end_ms=None, name=path.stem)


def run_clips(
    settings: Settings, tmp_path: Path, timeline: otio.schema.Timeline, **params: Any
) -> TileResult:
    tile = ClipsTile()
    ctx = tile_context(settings, tmp_path / "work")
    return tile.run(ctx, tile.parse_params(params), timeline)


def source_span(clip: otio.schema.Timeline) -> tuple[float, float]:
    """Where a (single-source) clip starts and ends in the source, seconds."""
    segments = clip_segments(clip)
    return segments[0].start_s, segments[-1].start_s + segments[-1].duration_s


def cuts_a_word(seconds: float, words: list[Word]) -> Word | None:
    for word in words:
        if word.start + HALF_FRAME_S < seconds < word.end - HALF_FRAME_S:
            return word
    return None


def clip_info(clip: otio.schema.Timeline) -> dict[str, Any]:
    info = plain(clip.metadata)["tilework"]["clip"]
    assert isinstance(info, dict)
    return info


def reordered(timeline: otio.schema.Timeline, split_s: float) -> otio.schema.Timeline:
    """An edit of ``timeline`` playing [split_s, end) first, then [0, split_s - 0.2)."""
    edit = trim(timeline, split_s)
    head = trim(timeline, 0.0, split_s - 0.2)
    for mine, theirs in zip(edit.tracks, head.tracks, strict=True):
        for item in list(theirs):
            theirs.remove(item)
            mine.append(item)
    return edit


def test_clips_never_start_or_end_mid_word(
    media: dict[str, Path], module_settings: Settings, transcript: Transcript, tmp_path: Path
) -> None:
    words = transcript.words
    assert len(words) >= 20, transcript.text
    whole = source(module_settings, media["talking"])
    edits = {  # input timeline -> how far the source runs ahead of it (None: not one offset)
        "whole": (whole, 0.0),
        "trimmed": (trim(whole, 1.0), 1.0),  # timeline seconds are 1 s behind the source
        "reordered": (reordered(whole, 9.6), None),  # two pieces, a join at 6.8 s
    }
    for name, (timeline, offset) in edits.items():
        for target in (3.0, 5.0, 7.0):
            result = run_clips(
                module_settings, tmp_path, timeline, num_clips=4, target_duration=target
            )
            assert result.timelines, name
            for clip in result.timelines:
                start, end = source_span(clip)
                assert cuts_a_word(start, words) is None, (name, start, cuts_a_word(start, words))
                assert cuts_a_word(end, words) is None, (name, end, cuts_a_word(end, words))
                info = clip_info(clip)
                assert abs(info["end_s"] - info["start_s"] - duration_s(clip)) < 0.05
                if offset is not None:
                    assert abs(start - info["start_s"] - offset) < 0.05


def test_the_prompt_ranks_the_volcano_sentence_first(
    media: dict[str, Path], module_settings: Settings, transcript: Transcript, tmp_path: Path
) -> None:
    (volcano,) = [w for w in transcript.words if "volcano" in w.text.lower()]
    timeline = source(module_settings, media["talking"])
    for ranking in ("bm25", "auto"):  # auto: semantic (make venv installs the extra)
        settings = module_settings.model_copy(update={"prompt_ranking": ranking})
        result = run_clips(
            settings, tmp_path, timeline, prompt="Volcanoes", num_clips=2, target_duration=4
        )
        # only one part of the video is about volcanoes: one clip, not an unrelated second one
        assert [clip.name for clip in result.timelines] == ["clip 1"], ranking
        first = clip_info(result.timelines[0])
        start, end = source_span(result.timelines[0])
        assert start < volcano.start and volcano.end < end
        assert "volcano" in first["text"].lower() and first["rank"] == 1
        reason = "volcano" if ranking == "bm25" else "about the prompt (similarity 0."
        assert reason in first["reason"]
        assert result.status_message and "asked for 2, found 1" in result.status_message
        assert "matches the prompt" in result.status_message
    # the references carry the transcript and the (empty: one static shot) scene cuts
    reference = result.timelines[0].find_clips()[0].media_reference
    assert get_analysis(reference, "scene_cuts") == []
    assert get_analysis(reference, "transcript")["sentences"]


def test_too_many_clips_are_reduced_with_a_message(
    media: dict[str, Path], module_settings: Settings, tmp_path: Path
) -> None:
    timeline = source(module_settings, media["talking"])
    result = run_clips(module_settings, tmp_path, timeline, num_clips=10, target_duration=5)
    found = len(result.timelines)
    assert 1 <= found <= 3  # 16 s of video holds at most three ~5 s clips
    assert result.status_message is not None
    assert f"asked for 10, found {found}" in result.status_message
    spans = sorted(source_span(clip) for clip in result.timelines)
    assert all(a[1] <= b[0] + 1e-6 for a, b in itertools.pairwise(spans))


def test_a_source_shorter_than_the_target_passes_through(
    media: dict[str, Path], module_settings: Settings, tmp_path: Path
) -> None:
    timeline = source(module_settings, media["talking"])
    result = run_clips(module_settings, tmp_path, timeline, num_clips=3, target_duration=60)
    (clip,) = result.timelines
    assert clip_segments(clip) == clip_segments(timeline)
    assert clip_info(clip)["rank"] == 1 and clip_info(clip)["start_s"] == 0.0
    assert result.status_message and "passed through as one clip" in result.status_message


def test_without_speech_clips_follow_the_scene_cuts(
    media: dict[str, Path], module_settings: Settings, tmp_path: Path
) -> None:
    timeline = source(module_settings, media["scenes"])
    result = run_clips(module_settings, tmp_path, timeline, num_clips=3, target_duration=1.5)
    spans = sorted(source_span(clip) for clip in result.timelines)
    assert len(spans) == 3
    for (start, end), (true_start, true_end) in zip(
        spans, [(0, 1.5), (1.5, 3), (3, 4.5)], strict=True
    ):
        assert abs(start - true_start) <= 0.081 and abs(end - true_end) <= 0.081
    assert result.status_message and "no speech" in result.status_message
    reference = result.timelines[0].find_clips()[0].media_reference
    assert [round(c["time"], 2) for c in get_analysis(reference, "scene_cuts")] == [1.52, 3.04]


# --- through the engine ------------------------------------------------------------------------


@pytest.fixture
def live_app(tmp_path: Path) -> Iterator[tuple[httpx.Client, Runtime]]:
    """The real app with its embedded workers, over HTTP on 127.0.0.1, and one organization."""
    settings = Settings(
        data_dir=tmp_path / "data", signing_key=SecretStr("clips-test-key"), workers=2
    )
    app = app_module.create_app(settings)
    server = LiveServer(app)
    server.start()
    runtime: Runtime = app.state.runtime
    with unit_of_work(runtime.sessions) as session:
        _, key = create_organization(session, "clips")
    client = httpx.Client(
        base_url=server.url, headers={"Authorization": f"Bearer {key}"}, timeout=30
    )
    yield client, runtime
    client.close()
    server.stop()


def upload(client: httpx.Client, path: Path) -> str:
    ticket = client.post("/uploads/video/get_upload_url").json()
    form = urlsplit(ticket["upload_url"]).path
    with path.open("rb") as handle:
        sent = client.post(
            form, data=ticket["upload_fields"], files={"file": (path.name, handle, "video/mp4")}
        )
    assert sent.status_code < 300, sent.text
    done = client.post("/uploads/video/finalize_upload", json={"video_id": ticket["video_id"]})
    assert done.status_code == 200, done.text
    return str(ticket["video_id"])


def test_a_run_makes_one_output_per_clip(
    media: dict[str, Path], live_app: tuple[httpx.Client, Runtime]
) -> None:
    client, _ = live_app
    graph = {
        "nodes": [
            {"temp_ref_id": "in", "node_type_id": "video-input"},
            {
                "temp_ref_id": "clips",
                "node_type_id": "bcc5cb04-76b7-48e9-a344-0e8a29c19be0",
                "params_used": {"prompt": "", "num_clips": 2, "target_duration": 5},
            },
        ],
        "connections": [{"source_temp_ref_id": "in", "target_temp_ref_id": "clips"}],
    }
    agent = client.post("/agent/create", json={"name": "clips", "graph": graph})
    assert agent.status_code == 200, agent.text
    video_id = upload(client, media["talking"])
    started = client.post(
        f"/agent/{agent.json()['agent']['id']}/run", json={"video_ids": [video_id]}
    )
    assert started.status_code == 200, started.text
    run_id = started.json()["run_id"]
    deadline = time.monotonic() + 90
    while (run := client.get(f"/agent_run/{run_id}").json())["status"] == "running":
        assert time.monotonic() < deadline, run
        time.sleep(0.2)
    assert run["status"] == "completed", run
    assert len(run["outputs"]) == 2  # one item, fanned out into two clips, each rendered
    nodes = client.get(f"/agent_run/{run_id}/nodes").json()["nodes"]
    (clips_node,) = [n for n in nodes if n["node_type"]["node_type_name"] == "Clips"]
    assert "2 clips" in clips_node["status_message"]


def test_a_run_whose_prompt_matches_nothing_completes_with_no_output(
    media: dict[str, Path], live_app: tuple[httpx.Client, Runtime]
) -> None:
    client, _ = live_app
    graph = {
        "nodes": [
            {"temp_ref_id": "in", "node_type_id": "video-input"},
            {
                "temp_ref_id": "clips",
                "node_type_id": "bcc5cb04-76b7-48e9-a344-0e8a29c19be0",
                "params_used": {"prompt": "doctors treating patients in a hospital"},
            },
            {"temp_ref_id": "render", "node_type_id": "render"},
        ],
        "connections": [
            {"source_temp_ref_id": "in", "target_temp_ref_id": "clips"},
            {"source_temp_ref_id": "clips", "target_temp_ref_id": "render"},
        ],
    }
    agent = client.post("/agent/create", json={"name": "nothing", "graph": graph})
    assert agent.status_code == 200, agent.text
    video_id = upload(client, media["talking"])
    started = client.post(
        f"/agent/{agent.json()['agent']['id']}/run", json={"video_ids": [video_id]}
    )
    run_id = started.json()["run_id"]
    deadline = time.monotonic() + 90
    while (run := client.get(f"/agent_run/{run_id}").json())["status"] == "running":
        assert time.monotonic() < deadline, run
        time.sleep(0.2)
    assert run["status"] == "completed" and run["outputs"] == [], run
    nodes = client.get(f"/agent_run/{run_id}/nodes").json()["nodes"]
    (clips_node,) = [n for n in nodes if n["node_type"]["node_type_name"] == "Clips"]
    assert clips_node["status_message"].startswith("no clips:"), clips_node
