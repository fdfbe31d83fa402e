"""Source analyses the Clips tile relies on: scene cuts (ffmpeg scdet) and the loudness curve."""

from __future__ import annotations

import subprocess
from pathlib import Path

import numpy as np
import pytest

from tests.support.media import requires_ffmpeg
from tilework.analysis.energy import FLOOR_DB, loudness, rms_db
from tilework.analysis.scenes import detect_scene_cuts, parse_scdet_metadata
from tilework.config import Settings
from tilework.media.samples import make_sample_clip

pytestmark = requires_ffmpeg

FRAME_S = 1 / 25


def ffmpeg(*args: str) -> None:
    subprocess.run(["ffmpeg", "-v", "error", "-y", *args], check=True, timeout=60)


@pytest.fixture(scope="module")
def shots(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Three 1.5 s shots (test pattern, colour bars, a Mandelbrot zoom) at 160x90: cuts at 1.5
    and 3.0 s (each shot rounds up to 38 frames, so 1.52 and 3.04 s in the file)."""
    path = tmp_path_factory.mktemp("scenes") / "shots.mp4"
    inputs = []
    for source in ("testsrc2=", "smptebars=", "mandelbrot="):
        inputs += ["-f", "lavfi", "-i", f"{source}size=160x90:rate=25,trim=duration=1.5"]
    graph = "[0:v][1:v][2:v]concat=n=3:v=1:a=0,format=yuv420p"
    ffmpeg(*inputs, "-filter_complex", graph, "-c:v", "libx264", "-preset", "ultrafast", str(path))
    return path


def test_scdet_finds_the_known_cuts_and_caches_them(shots: Path, tmp_path: Path) -> None:
    settings = Settings(data_dir=tmp_path / "data")
    cuts = detect_scene_cuts(settings, shots)
    assert len(cuts) == 2, cuts
    for cut, expected in zip(cuts, (1.5, 3.0), strict=True):
        assert abs(cut.time - expected) <= 2 * FRAME_S + 1e-6
        assert cut.score > 10
    # the second answer comes from the cache: no ffmpeg is needed (or present) any more
    offline = Settings(data_dir=tmp_path / "data", ffmpeg_path=str(tmp_path / "no-ffmpeg"))
    assert detect_scene_cuts(offline, shots) == cuts


def test_a_continuous_shot_has_no_cuts(tmp_path: Path) -> None:
    clip = make_sample_clip("ffmpeg", tmp_path / "pan.mp4", seconds=2, width=160, height=90)
    assert detect_scene_cuts(Settings(data_dir=tmp_path / "data"), clip) == []


def test_parse_scdet_metadata_pairs_scores_with_times() -> None:
    dump = (
        "frame:37   pts:18944   pts_time:1.48\nlavfi.scd.mafd=0.5\nlavfi.scd.score=0.521\n"
        "frame:38   pts:19456   pts_time:1.52\nlavfi.scd.mafd=31.874\n"
        "lavfi.scd.score=30.415\nlavfi.scd.time=1.52\n"
    )
    (cut,) = parse_scdet_metadata(dump)
    assert (cut.time, cut.score) == (1.52, 30.415)


def test_loudness_follows_the_audio(tmp_path: Path) -> None:
    """One second of a 440 Hz tone at amplitude 1/8 (RMS -21 dBFS), then one second of silence."""
    clip = tmp_path / "tone-then-silence.mp4"
    ffmpeg(
        *("-f", "lavfi", "-i", "color=c=black:size=160x90:rate=25:duration=2"),
        *("-f", "lavfi", "-i", "sine=frequency=440:sample_rate=48000:duration=1,apad=whole_dur=2"),
        *("-c:v", "libx264", "-preset", "ultrafast", "-c:a", "aac", "-t", "2", str(clip)),
    )
    curve = loudness(Settings(data_dir=tmp_path / "data"), clip)
    assert curve.hop_s == 0.1 and 19 <= len(curve.db) <= 21
    assert all(abs(level + 21.1) < 1.5 for level in curve.db[1:9]), curve.db
    assert all(level < -60 for level in curve.db[12:19]), curve.db
    assert curve.at(0.5) == curve.db[5] and curve.at(99.0) == FLOOR_DB


def test_rms_db_of_known_signals() -> None:
    full_scale_square = np.array([32767, -32767] * 800, dtype=np.int16)  # 0.1 s at 16 kHz
    silence = np.zeros(800, dtype=np.int16)  # half a frame
    levels = rms_db(np.concatenate([full_scale_square, silence]))
    assert levels == [0.0, FLOOR_DB]
    assert rms_db(np.array([], dtype=np.int16)) == []
