"""Sources at frame rates SMPTE timecode has no place for (15 fps screen recordings, 12 or 20 fps
webcams, 7.5 fps) render at their own rate, get a thumbnail of the right frame, and export a
Premiere timeline timed at a rate with timecode whose cuts land on the same source frames.

48 fps has timecode of its own and is checked beside them as the control.
"""

from __future__ import annotations

import json
import zipfile
from pathlib import Path
from xml.etree import ElementTree

import cv2
import numpy as np
import opentimelineio as otio
import pytest

from tests.support.frames import frame_at
from tests.support.media import ffprobe, info, requires_ffmpeg, stream, tile_context
from tilework.config import Settings
from tilework.media.export import export_timeline_zip, premiere_rate, read_timeline_zip
from tilework.media.probe import probe
from tilework.media.runner import FFmpegRunner
from tilework.media.samples import make_sample_clip
from tilework.media.timeline import source_timeline, to_frames, trim
from tilework.tiles.render import RenderParams, render_timeline

pytestmark = requires_ffmpeg

RATES = [15.0, 12.0, 20.0, 48.0, 7.5]
TIMEBASE = {15.0: 30.0, 12.0: 24.0, 20.0: 60.0, 48.0: 48.0, 7.5: 30.0}  # whole multiples
CUTS_S = [(0.4, 0.8), (1.2, 2.0), (2.4, 3.0)]


@pytest.mark.parametrize("rate", [*RATES, 25.0, 29.97002997, 23.976023976])
def test_the_premiere_rate_is_a_timecode_rate_and_a_whole_multiple(rate: float) -> None:
    timebase = premiere_rate(rate)
    assert otio.opentime.RationalTime.is_valid_timecode_rate(timebase)
    assert timebase / rate == pytest.approx(round(timebase / rate))
    if rate in TIMEBASE:
        assert timebase == TIMEBASE[rate]


def test_rates_with_no_timecode_multiple_go_to_the_nearest_timecode_rate() -> None:
    assert premiere_rate(120.0) == 60.0
    assert otio.opentime.RationalTime.is_valid_timecode_rate(premiere_rate(23.0))


def cut_edit(path: Path, rate: float) -> otio.schema.Timeline:
    """Three cuts into a 3 s source at ``rate`` (what silence removal leaves)."""
    whole = source_timeline(path, info(3.0, fps=rate), start_ms=None, end_ms=None, name="edit")
    edit = trim(whole, *CUTS_S[0])
    for start, end in CUTS_S[1:]:
        piece = trim(whole, start, end)  # kept alive: its tracks belong to it
        for mine, theirs in zip(edit.tracks, piece.tracks, strict=True):
            for item in list(theirs):
                theirs.remove(item)
                mine.append(item)
    return edit


@pytest.mark.parametrize("rate", RATES)
def test_cuts_keep_their_source_frames_in_the_exported_xml(rate: float, tmp_path: Path) -> None:
    source = tmp_path / "screen recording.mp4"
    out = export_timeline_zip(
        cut_edit(source, rate), tmp_path / "t.zip", width=320, height=180, fps=rate
    )
    timebase, multiple = TIMEBASE[rate], round(TIMEBASE[rate] / rate)
    frames = [(to_frames(a, rate), to_frames(b, rate)) for a, b in CUTS_S]

    with zipfile.ZipFile(out) as archive:
        sequence = ElementTree.fromstring(archive.read("timeline.xml")).find(".//sequence")
        kept = json.loads(archive.read("timeline.otio"))
    assert sequence is not None
    assert sequence.findtext("rate/timebase") == f"{timebase:g}"
    format_rate = "media/video/format/samplecharacteristics/rate/timebase"
    assert sequence.findtext(format_rate) == f"{timebase:g}"
    for track in ("video", "audio"):
        items = sequence.findall(f"media/{track}/track/clipitem")
        assert [(int(i.findtext("in") or -1), int(i.findtext("out") or -1)) for i in items] == [
            (first * multiple, last * multiple) for first, last in frames
        ]
    timecodes = sequence.findall(".//file/timecode")  # later items refer back to the file
    assert timecodes and {t.findtext("rate/timebase") for t in timecodes} == {f"{timebase:g}"}

    back = read_timeline_zip(out)
    for track in (*back.video_tracks(), *back.audio_tracks()):
        clips = list(track.find_clips())
        assert len(clips) == 3
        seconds = [(c.source_range.start_time, c.source_range.end_time_exclusive()) for c in clips]
        assert [t.to_seconds() for pair in seconds for t in pair] == pytest.approx(
            [frame / rate for pair in frames for frame in pair]
        )
    # The OTIO file beside the XML is the edit itself, at the media's real rate.
    assert f'"rate": {rate}' in json.dumps(kept)


@pytest.fixture(scope="module")
def sources(tmp_path_factory: pytest.TempPathFactory) -> dict[float, Path]:
    folder = tmp_path_factory.mktemp("odd-rates")
    return {
        rate: make_sample_clip(
            "ffmpeg", folder / f"at-{rate:g}.mp4", seconds=1.0, width=160, height=90, fps=rate
        )
        for rate in RATES
    }


@pytest.mark.parametrize("rate", RATES)
def test_a_source_renders_at_its_own_rate_with_its_thumbnail_and_timeline(
    rate: float, sources: dict[float, Path], settings: Settings, tmp_path: Path
) -> None:
    source = sources[rate]
    runner = FFmpegRunner(settings)
    media = probe(runner, source)
    assert media.fps == rate
    edit = source_timeline(source, media, start_ms=None, end_ms=None, name="recording")
    files = render_timeline(
        tile_context(settings, tmp_path / "work"), edit, RenderParams(preset="ultrafast")
    )

    picture = stream(ffprobe(files.video), "video")
    assert picture is not None
    num, den = (int(part) for part in picture["avg_frame_rate"].split("/"))
    assert num / den == pytest.approx(rate)
    assert int(picture["nb_frames"]) == to_frames(1.0, rate)
    assert float(ffprobe(files.video)["format"]["duration"]) == pytest.approx(1.0, abs=0.07)

    assert files.thumbnail is not None
    thumbnail = cv2.imread(str(files.thumbnail))
    assert thumbnail is not None and thumbnail.shape[:2] == (90, 160)
    right, wrong = frame_at(files.video, 0.5), frame_at(files.video, 0.0)  # the default: mid
    assert _difference(thumbnail, right) < _difference(thumbnail, wrong) / 2

    assert files.timeline_zip is not None
    back = read_timeline_zip(files.timeline_zip)
    (video,) = back.video_tracks()
    (clip,) = video.find_clips()
    assert clip.source_range.duration.to_seconds() == pytest.approx(1.0, abs=0.5 / rate)
    assert clip.source_range.start_time.rate == TIMEBASE[rate]


def _difference(a: np.ndarray, b: np.ndarray) -> float:
    return float(np.mean(np.abs(a.astype(np.int16) - b.astype(np.int16))))
