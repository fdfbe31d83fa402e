"""Export a timeline for Premiere (and Resolve/FCP7 importers): FCP7 XML plus the OTIO JSON, zipped.

The XML describes the *edit* (cuts into the source media), so an editor can keep working on it;
media is referenced by absolute, percent-encoded ``file://`` URLs (Premiere relinks by file name
when the media moved). The sequence frame size is set through ``timeline.metadata["fcp_xml"]``,
the hook the ``fcp_xml`` adapter reads; without it the sequence gets an empty ``<format/>``.
"""

from __future__ import annotations

import zipfile
from fractions import Fraction
from pathlib import Path
from typing import Any

import opentimelineio as otio

XML_NAME = "timeline.xml"
OTIO_NAME = "timeline.otio"
MEDIA_DIR = "media"


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


def _for_export(
    tl: otio.schema.Timeline, width: int, height: int, fps: float
) -> otio.schema.Timeline:
    copy = tl.deepcopy()
    copy.metadata["fcp_xml"] = _sequence_format(width, height, fps)
    return copy


def export_timeline_zip(
    tl: otio.schema.Timeline,
    out_zip: Path,
    *,
    width: int,
    height: int,
    fps: float,
    media_path: Path | None = None,
) -> Path:
    """Write ``timeline.xml`` (FCP7) and ``timeline.otio`` into ``out_zip``.

    ``media_path``, when given, is also stored in the zip under ``media/`` (uncompressed), for a
    self-contained hand-off; the XML still references the timeline's own media URLs.
    """
    exported = _for_export(tl, width, height, fps)
    xml = otio.adapters.write_to_string(exported, adapter_name="fcp_xml")
    with zipfile.ZipFile(out_zip, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        archive.writestr(XML_NAME, xml)
        archive.writestr(OTIO_NAME, tl.to_json_string())
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
