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
    SPEECH_KEY,
    TRANSCRIPT_KEY,
    media_info_of,
    namespace_value,
    url_to_path,
)

# Seconds of analysis kept either side of what a clip uses (a sentence is kept whole anyway).
CROP_MARGIN_S = 5.0
SCENE_CUTS_KEY = "scene_cuts"  # analysis/scenes.py cuts, source seconds (set by Clips)


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
    namespace = reference.metadata.get(NAMESPACE)
    if hasattr(namespace, "items"):  # only the one entry is converted, not the others
        namespace[kind] = value
    else:
        reference.metadata[NAMESPACE] = {kind: value}


def get_analysis(reference: otio.schema.ExternalReference, kind: str) -> Any | None:
    return namespace_value(reference.metadata, kind)


def used_ranges(
    tl: otio.schema.Timeline, margin_s: float = CROP_MARGIN_S
) -> dict[str, list[tuple[float, float]]]:
    """Per source URL, the source seconds ``tl``'s clips use, widened by ``margin_s``."""
    ranges: dict[str, list[tuple[float, float]]] = {}
    for clip in tl.find_clips():
        reference = clip.media_reference
        if isinstance(reference, otio.schema.ExternalReference):
            span = clip.trimmed_range()
            start = float(span.start_time.to_seconds())
            end = start + float(span.duration.to_seconds())
            ranges.setdefault(reference.target_url, []).append((start - margin_s, end + margin_s))
    return ranges


def overlaps(start: float, end: float, ranges: list[tuple[float, float]]) -> bool:
    return any(start <= b and end >= a for a, b in ranges)


def crop_analyses(tl: otio.schema.Timeline, margin_s: float = CROP_MARGIN_S) -> None:
    """Keep on each media reference only the transcript sentences, speech spans and scene cuts
    near the source ranges ``tl``'s clips use.

    Analyses describe the whole source, but a clip of a talk uses 30 s of an hour: carrying the
    hour's words on every clip made each later tile (and each stored item) convert and copy them
    all. A timeline can only shorten its clips later, so what lies outside is never read.
    """
    ranges = used_ranges(tl, margin_s)
    for _path, _info, references in source_references(tl):
        used = ranges[references[0].target_url]

        def near(start: float, end: float, used: list[tuple[float, float]] = used) -> bool:
            return overlaps(start, end, used)

        for reference in references:
            transcript = get_analysis(reference, TRANSCRIPT_KEY)
            if isinstance(transcript, dict) and isinstance(transcript.get("sentences"), list):
                kept = [s for s in transcript["sentences"] if near(s["start"], s["end"])]
                if len(kept) < len(transcript["sentences"]):
                    set_analysis(reference, TRANSCRIPT_KEY, {**transcript, "sentences": kept})
            speech = get_analysis(reference, SPEECH_KEY)
            if isinstance(speech, dict) and isinstance(speech.get("spans"), list):
                kept = [s for s in speech["spans"] if near(s["start"], s["end"])]
                if len(kept) < len(speech["spans"]):
                    set_analysis(reference, SPEECH_KEY, {**speech, "spans": kept})
            cuts = get_analysis(reference, SCENE_CUTS_KEY)
            if isinstance(cuts, list):
                kept = [c for c in cuts if isinstance(c, dict) and near(c["time"], c["time"])]
                if len(kept) < len(cuts):
                    set_analysis(reference, SCENE_CUTS_KEY, kept)


def attach_transcripts(
    settings: Settings, tl: otio.schema.Timeline, *, store: bool = True
) -> dict[Path, Transcript]:
    """Transcribe every source of ``tl`` (cached) and, if ``store``, keep each transcript on its
    references (those that already carry one keep theirs)."""
    transcripts: dict[Path, Transcript] = {}
    for path, info, references in source_references(tl):
        existing = get_analysis(references[0], TRANSCRIPT_KEY)
        if isinstance(existing, dict):
            transcripts[path] = Transcript.model_validate(existing)
            continue
        transcript = transcribe(settings, path, has_audio=info.has_audio)
        if store:
            for reference in references:
                set_analysis(reference, TRANSCRIPT_KEY, transcript.model_dump(mode="json"))
        transcripts[path] = transcript
    return transcripts
