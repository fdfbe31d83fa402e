"""The Premiere export of an edit with several cuts into one source, read back with OTIO.

Silence removal and clip selection leave many cuts into the same file; each must stay its own
clip item (picture and sound), with the source in/out points of the cut, the sequence frame size
set, and the media referenced by absolute ``file://`` URL.
"""

from __future__ import annotations

import shutil
import zipfile
from pathlib import Path
from xml.etree import ElementTree

import opentimelineio as otio
import pytest

from tests.support.media import info, requires_ffmpeg, tile_context, timeline_of
from tilework.config import Settings
from tilework.media.export import export_timeline_zip, read_timeline_zip
from tilework.media.probe import probe
from tilework.media.runner import FFmpegRunner
from tilework.media.timeline import source_timeline, trim
from tilework.tiles.render import RenderParams, render_timeline

pytestmark = requires_ffmpeg

CUTS_S = [(0.2, 0.6), (1.0, 1.8), (2.4, 3.0)]  # kept ranges of a 3 s, 25 fps source
CUTS_FRAMES = [(5, 15), (25, 45), (60, 75)]  # the same, as source in/out frames


def cut_edit(path: Path, runner: FFmpegRunner) -> otio.schema.Timeline:
    """Three cuts into ``path``, one after the other (what silence removal produces)."""
    whole = source_timeline(path, probe(runner, path), start_ms=None, end_ms=None, name="edit")
    edit = trim(whole, *CUTS_S[0])
    for start, end in CUTS_S[1:]:
        piece = trim(whole, start, end)
        for mine, theirs in zip(edit.tracks, piece.tracks, strict=True):
            for item in list(theirs):
                theirs.remove(item)
                mine.append(item)
    return edit


def test_cuts_into_one_source_come_back_as_separate_clip_items(
    settings: Settings, runner: FFmpegRunner, clips: dict[str, Path], tmp_path: Path
) -> None:
    source = tmp_path / "my source #1.mp4"  # a name that needs percent-encoding
    shutil.copy(clips["tone"], source)
    files = render_timeline(
        tile_context(settings, tmp_path / "work"),
        cut_edit(source, runner),
        RenderParams(preset="ultrafast", resolution="240x136"),
    )
    assert files.timeline_zip is not None

    back = read_timeline_zip(files.timeline_zip)
    assert back.duration().to_seconds() == pytest.approx(1.8)
    (video,) = back.video_tracks()
    (audio,) = back.audio_tracks()
    for track in (video, audio):
        items = list(track.find_clips())
        assert len(items) == 3
        assert [
            (c.source_range.start_time.value, c.source_range.end_time_exclusive().value)
            for c in items
        ] == CUTS_FRAMES
        assert [c.range_in_parent().start_time.value for c in items] == [0, 10, 30]
        for clip in items:
            assert clip.media_reference.target_url == source.absolute().as_uri()
            assert clip.media_reference.target_url.startswith("file:///")
            assert (
                "%20" in clip.media_reference.target_url
                and "%23" in clip.media_reference.target_url
            )

    with zipfile.ZipFile(files.timeline_zip) as archive:
        root = ElementTree.fromstring(archive.read("timeline.xml"))
    sequence = root.find("./project/children/sequence")
    assert sequence is not None
    characteristics = sequence.find("./media/video/format/samplecharacteristics")
    assert characteristics is not None
    assert (characteristics.findtext("width"), characteristics.findtext("height")) == ("240", "136")
    assert [child.tag for child in sequence][:3] == ["name", "duration", "rate"]
    # Every cut is a full clip item of its own on both tracks (no bare back-references) ...
    pictures = sequence.findall("./media/video/track/clipitem")
    sounds = sequence.findall("./media/audio/track/clipitem")
    ids = [item.get("id") for item in pictures + sounds]
    assert len(set(ids)) == 6 and all(item.find("in") is not None for item in pictures + sounds)
    assert all(item.findtext("sourcetrack/mediatype") == "audio" for item in sounds)
    # ... and picture and sound of a cut are linked to each other.
    for picture, sound in zip(pictures, sounds, strict=True):
        for item in (picture, sound):
            refs = [link.findtext("linkclipref") for link in item.findall("link")]
            assert refs == [picture.get("id"), sound.get("id")]
    assert sequence.findtext("./media/video/track/clipitem/file/name") == source.name


def test_the_sequence_format_has_the_rate_the_sequence_is_timed_in(tmp_path: Path) -> None:
    # An intro at 30 fps before a 25 fps programme: the adapter times the sequence at 30 fps.
    edit = timeline_of(
        (tmp_path / "intro.mp4", info(1.0, fps=30)), (tmp_path / "main.mp4", info(2.0))
    )
    out = export_timeline_zip(edit, tmp_path / "t.zip", width=320, height=180, fps=25)
    with zipfile.ZipFile(out) as archive:
        sequence = ElementTree.fromstring(archive.read("timeline.xml")).find(".//sequence")
    assert sequence is not None
    assert sequence.findtext("rate/timebase") == "30"
    assert sequence.findtext("media/video/format/samplecharacteristics/rate/timebase") == "30"
    starts = [item.findtext("start") for item in sequence.findall("media/video/track/clipitem")]
    assert starts == ["0", "30"] and sequence.findtext("duration") == "90"
