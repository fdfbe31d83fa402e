"""Analysis results attached to a timeline's sources, shared by the tiles that need them.

Analyses describe a *source file* in source seconds, so they live on the OTIO media reference
(``reference.metadata["tilework"][kind]``) and survive any later cut. Every clip of a source gets
the same value; the analysis itself runs once per file (``analysis/cache.py``).
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import opentimelineio as otio

from tilework.analysis.asr import Transcript, transcribe
from tilework.config import Settings
from tilework.media.probe import MediaInfo
from tilework.media.timeline import (
    NAMESPACE,
    TRANSCRIPT_KEY,
    media_info_of,
    namespace_value,
    plain,
    url_to_path,
)


def source_references(
    tl: otio.schema.Timeline,
) -> Iterator[tuple[Path, MediaInfo, list[otio.schema.ExternalReference]]]:
    """Each distinct source file of ``tl`` with its probe and every reference pointing at it."""
    by_url: dict[str, list[otio.schema.ExternalReference]] = {}
    for clip in tl.find_clips():
        reference = clip.media_reference
        if isinstance(reference, otio.schema.ExternalReference):
            by_url.setdefault(reference.target_url, []).append(reference)
    for url, references in by_url.items():
        yield url_to_path(url), media_info_of(references[0]), references


def set_analysis(reference: otio.schema.ExternalReference, kind: str, value: Any) -> None:
    namespace = plain(reference.metadata).get(NAMESPACE, {})
    namespace[kind] = value
    reference.metadata[NAMESPACE] = namespace


def get_analysis(reference: otio.schema.ExternalReference, kind: str) -> Any | None:
    return namespace_value(reference.metadata, kind)


def attach_transcripts(settings: Settings, tl: otio.schema.Timeline) -> dict[Path, Transcript]:
    """Transcribe every source of ``tl`` (cached) and store each transcript on its references."""
    transcripts: dict[Path, Transcript] = {}
    for path, info, references in source_references(tl):
        existing = get_analysis(references[0], TRANSCRIPT_KEY)
        if isinstance(existing, dict):
            transcript = Transcript.model_validate(existing)
        else:
            transcript = transcribe(settings, path, has_audio=info.has_audio)
        for reference in references:
            set_analysis(reference, TRANSCRIPT_KEY, transcript.model_dump(mode="json"))
        transcripts[path] = transcript
    return transcripts
