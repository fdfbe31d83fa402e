"""Export a timeline for Premiere (and Resolve/FCP7 importers): FCP7 XML plus the OTIO JSON, zipped.

The XML describes the *edit* (cuts into the source media), so an editor can keep working on it;
media is referenced by absolute, percent-encoded ``file://`` URLs (Premiere relinks by file name
when the media moved). The sequence frame size is set through ``timeline.metadata["fcp_xml"]``,
the hook the ``fcp_xml`` adapter reads; without it the sequence gets an empty ``<format/>``.

Each cut is its own clip item, in and out points in source frames. The adapter writes an item
that serializes like an earlier one as a bare back-reference (``<clipitem id="clipitem-1"/>``),
which would make every audio clip (a twin of its picture) the *same* item as its video clip; so
each clip gets its own id before writing, audio items name their source track, and picture and
sound of a cut are linked the way Premiere links them (``<link>``), so they move together.

FCP7 XML times everything in frames of a ``<timebase>`` and writes each file's SMPTE timecode,
which exists only at 24, 25, 30, 48, 50 and 60 fps (and the NTSC 1000/1001 rates). Media at
another rate (15 fps screen recordings, 12 or 20 fps webcams) is timed in the XML at the smallest
whole multiple of its rate that has timecode (15 → 30, 12 → 24, 20 → 60, 7.5 → 30), so every
source frame is a whole number of timeline frames and no cut moves; the media itself, the render
and the OTIO file keep the real rate. A rate with no such multiple (23, 120) is timed at the
nearest timecode rate, to the nearest frame.
"""

from __future__ import annotations

import math
import zipfile
from fractions import Fraction
from pathlib import Path
from typing import Any
from xml.etree import ElementTree

import opentimelineio as otio
from opentimelineio.opentime import RationalTime, TimeRange

from tilework.media.timeline import url_to_path

XML_NAME = "timeline.xml"
OTIO_NAME = "timeline.otio"
MEDIA_DIR = "media"
CAPTIONS_SRT_NAME = "captions.srt"


def _sequence_format(width: int, height: int, fps: float) -> dict[str, Any]:
    timebase = round(fps)
    ntsc = abs(Fraction(fps).limit_denominator(1001) - Fraction(timebase * 1000, 1001)) < 1e-3
    return {
        "media": {
            "video": {
                "format": {
                    "samplecharacteristics": {
                        "width": str(width),
                        "height": str(height),
                        "pixelaspectratio": "square",
                        "anamorphic": "FALSE",
                        "fielddominance": "none",
                        "rate": {"timebase": str(timebase), "ntsc": "TRUE" if ntsc else "FALSE"},
                    }
                }
            }
        }
    }


MAX_RATE_MULTIPLE = 8  # 7.5 fps → 30 needs 4, 6 fps → 24 needs 4; 3 fps → 24 needs 8


def premiere_rate(rate: float) -> float:
    """The timebase the XML times media at ``rate`` in: a rate SMPTE timecode supports."""
    if rate <= 0:
        return rate
    for multiple in range(1, MAX_RATE_MULTIPLE + 1):
        candidate = _timecode_rate_near(rate * multiple)
        if candidate is not None:
            return candidate
    return float(RationalTime.nearest_valid_timecode_rate(rate))


def _timecode_rate_near(rate: float) -> float | None:
    nearest = float(RationalTime.nearest_valid_timecode_rate(rate))
    return nearest if abs(nearest - rate) <= rate * 1e-4 else None  # 29.97 is 30000/1001


def _retimed_time(time: RationalTime) -> RationalTime:
    target = premiere_rate(time.rate)
    if target == time.rate:
        return time
    return RationalTime(math.floor(time.value * target / time.rate + 0.5), target)


def _retimed(span: TimeRange) -> TimeRange:
    """``span`` in whole frames of its ``premiere_rate`` (exact for whole multiples)."""
    start, end = _retimed_time(span.start_time), _retimed_time(span.end_time_exclusive())
    return TimeRange(start, end - start)


def _retime(tl: otio.schema.Timeline) -> None:
    """Time every item, marker and media reference of ``tl`` (a copy) at a rate with timecode."""
    for child in tl.find_children():
        if isinstance(child, otio.schema.Transition):
            child.in_offset = _retimed_time(child.in_offset)
            child.out_offset = _retimed_time(child.out_offset)
            continue
        if not isinstance(child, otio.core.Item):
            continue
        if child.source_range is not None:
            child.source_range = _retimed(child.source_range)
        for marker in child.markers:
            marker.marked_range = _retimed(marker.marked_range)
        reference = getattr(child, "media_reference", None)
        if reference is not None and reference.available_range is not None:
            reference.available_range = _retimed(reference.available_range)


def _for_export(
    tl: otio.schema.Timeline, width: int, height: int, fps: float
) -> otio.schema.Timeline:
    copy = tl.deepcopy()
    _retime(copy)
    # The adapter times the sequence (its <rate>, every clip's start/end) in the rate of the
    # edit's duration, which is not always the render's (an intro at another rate, an explicit
    # render fps): the format must say the same rate or Premiere builds a mismatched sequence.
    edit_rate = float(copy.duration().rate)
    sequence_rate = edit_rate if edit_rate > 0 else premiere_rate(fps)
    copy.metadata["fcp_xml"] = _sequence_format(width, height, sequence_rate)
    for number, clip in enumerate(copy.find_clips(), start=1):
        clip.metadata["fcp_xml"] = {"@id": f"clipitem-{number}"}  # one item per cut and track
        reference = clip.media_reference
        if isinstance(reference, otio.schema.ExternalReference) and not reference.name:
            reference.name = url_to_path(reference.target_url).name  # not percent-encoded
    return copy


def _text(element: ElementTree.Element, path: str) -> str:
    found = element.find(path)
    return (found.text or "") if found is not None else ""


def _add_link(item: ElementTree.Element, ref: str, kind: str, clip_index: int) -> None:
    link = ElementTree.SubElement(item, "link")
    for tag, text in (
        ("linkclipref", ref),
        ("mediatype", kind),
        ("trackindex", "1"),
        ("clipindex", str(clip_index)),
    ):
        ElementTree.SubElement(link, tag).text = text


def _cut(item: ElementTree.Element) -> tuple[str, str, str, str]:
    """What identifies a cut across tracks: where it sits, its in/out and its file."""
    file = item.find("file")
    file_id = file.get("id", "") if file is not None else ""
    return _text(item, "start"), _text(item, "in"), _text(item, "out"), file_id


def _link_cuts(sequence: ElementTree.Element) -> None:
    """Link each picture item of the first track to the sound item of the same cut."""
    pictures = sequence.findall("./media/video/track[1]/clipitem")
    sounds = sequence.findall("./media/audio/track[1]/clipitem")
    for sound in sounds:
        source = ElementTree.SubElement(sound, "sourcetrack")
        ElementTree.SubElement(source, "mediatype").text = "audio"
        ElementTree.SubElement(source, "trackindex").text = "1"
    by_cut = {_cut(sound): (index, sound) for index, sound in enumerate(sounds, start=1)}
    for index, picture in enumerate(pictures, start=1):
        match = by_cut.get(_cut(picture))
        if match is None:
            continue  # a silent source: nothing to link
        sound_index, sound = match
        for item in (picture, sound):
            _add_link(item, picture.get("id", ""), "video", index)
            _add_link(item, sound.get("id", ""), "audio", sound_index)


def _finish_xml(xml: str) -> str:
    """Link picture and sound, and put ``<media>`` after the sequence's name/duration/rate."""
    root = ElementTree.fromstring(xml)
    for sequence in root.iter("sequence"):
        media = sequence.find("media")
        if media is not None:
            sequence.remove(media)
            sequence.append(media)
            _link_cuts(sequence)
    ElementTree.indent(root, space="    ")
    body = ElementTree.tostring(root, encoding="unicode")
    return f'<?xml version="1.0" encoding="UTF-8"?>\n<!DOCTYPE xmeml>\n{body}\n'


def export_timeline_zip(
    tl: otio.schema.Timeline,
    out_zip: Path,
    *,
    width: int,
    height: int,
    fps: float,
    media_path: Path | None = None,
    captions_srt: Path | None = None,
) -> Path:
    """Write ``timeline.xml`` (FCP7) and ``timeline.otio`` into ``out_zip``.

    ``media_path``, when given, is also stored in the zip under ``media/`` (uncompressed), for a
    self-contained hand-off; the XML still references the timeline's own media URLs.
    ``captions_srt`` (the render's captions, in output time) is stored as ``captions.srt``, which
    Premiere imports as a caption track.
    """
    exported = _for_export(tl, width, height, fps)
    xml = _finish_xml(otio.adapters.write_to_string(exported, adapter_name="fcp_xml"))
    with zipfile.ZipFile(out_zip, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        archive.writestr(XML_NAME, xml)
        archive.writestr(OTIO_NAME, tl.to_json_string())
        if captions_srt is not None:
            archive.write(captions_srt, CAPTIONS_SRT_NAME)
        if media_path is not None:
            archive.write(
                media_path, f"{MEDIA_DIR}/{media_path.name}", compress_type=zipfile.ZIP_STORED
            )
    return out_zip


def read_timeline_zip(zip_path: Path) -> otio.schema.Timeline:
    """The FCP7 XML of a timeline zip, read back with OTIO (used by tests and the CLI)."""
    with zipfile.ZipFile(zip_path) as archive:
        xml = archive.read(XML_NAME).decode("utf-8")
    loaded = otio.adapters.read_from_string(xml, adapter_name="fcp_xml")
    assert isinstance(loaded, otio.schema.Timeline)
    return loaded
