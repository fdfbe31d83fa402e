"""Silence Removal: cut the pauses out of talking footage, as cuts on the timeline.

Speech is found on each *source* file (``analysis/speech.py``, cached by content hash) and stored
on its media reference in source seconds; each ``V1`` clip is then split around its long pauses
(``media/cuts.py``) and ``A1`` rebuilt to mirror it. Nothing is encoded: captions, crop paths and
transcripts stay in source time, so they follow the cuts, and the Premiere export shows every kept
piece as its own clip.

A timeline whose sources have no audio, or in which no speech is found, is passed on unchanged
with a message saying why: an empty video cannot flow downstream.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import opentimelineio as otio
from pydantic import Field

from tilework.analysis.speech import detect_speech
from tilework.media.cuts import (
    Span,
    clip_frames,
    kept_frames,
    pauses_to_cut,
    removed_regions,
    replace_video_items,
    split_clip,
)
from tilework.media.timeline import SPEECH_KEY, duration_s, url_to_path, video_track
from tilework.tiles.base import Tile, TileContext, TileParams, TileResult
from tilework.tiles.sources import set_analysis, source_references

SILENCE_REMOVAL_TYPE_ID = "0e5515de-4daf-436c-959f-e9a1e70c1584"


class SilenceRemovalParams(TileParams):
    min_silence_ms: int = Field(
        default=500,
        ge=100,
        le=10_000,
        description="Pauses longer than this are cut; shorter ones are kept whole (ms)",
    )
    padding_ms: int = Field(
        default=150,
        ge=0,
        le=2_000,
        description="Silence kept before and after speech at each cut (ms)",
    )
    noise_db: float = Field(
        default=-35.0,
        ge=-80,
        le=-10,
        description='Level below which audio counts as silence (dBFS; detector "energy")',
    )
    detector: Literal["energy", "vad"] = Field(
        default="energy",
        description='"energy": ffmpeg silencedetect at noise_db; "vad": the Silero voice '
        "activity model shipped with faster-whisper (better with background noise or music)",
    )


@dataclass
class _Tally:
    """What the cuts did, for the status message."""

    pauses: int = 0


class SilenceRemovalTile(Tile):
    type_id = SILENCE_REMOVAL_TYPE_ID
    name = "Silence Removal"
    slug = "silence-removal"
    params_model = SilenceRemovalParams
    docs_url = "https://tilework.dev/docs/tiles/silence-removal"
    params_docs_url = "https://tilework.dev/docs/tiles/silence-removal#api-info"

    def run(
        self, ctx: TileContext, params: TileParams, timeline: otio.schema.Timeline
    ) -> TileResult:
        assert isinstance(params, SilenceRemovalParams)
        edited = timeline.deepcopy()
        before = duration_s(edited)
        speech, any_audio = _attach_speech(ctx, params, edited)
        if not any_audio:
            return _unchanged(edited, "the video has no audio: nothing to cut", before)
        if not speech:
            return _unchanged(
                edited,
                f"no speech found above {params.noise_db:g} dB"
                if params.detector == "energy"
                else "no speech found",
                before,
            )
        tally = _Tally()
        items = _cut_items(edited, speech, params, tally)
        if not any(isinstance(item, otio.schema.Clip) for item in items):
            return _unchanged(edited, "no speech in the edited range", before)
        if tally.pauses == 0:
            message = f"no pause longer than {params.min_silence_ms} ms: nothing removed"
            return _unchanged(edited, message, before)
        replace_video_items(edited, items)
        after = duration_s(edited)
        noun = "pause" if tally.pauses == 1 else "pauses"
        return TileResult(
            timelines=[edited],
            status_message=(
                f"removed {before - after:.1f} s in {tally.pauses} {noun} "
                f"({before:.1f} s → {after:.1f} s)"
            ),
        )


def _unchanged(tl: otio.schema.Timeline, reason: str, seconds: float) -> TileResult:
    return TileResult(timelines=[tl], status_message=f"{reason}; left unchanged ({seconds:.1f} s)")


def _attach_speech(
    ctx: TileContext, params: SilenceRemovalParams, tl: otio.schema.Timeline
) -> tuple[dict[str, list[Span]], bool]:
    """Detect speech in every source (cached), store it on the references.

    Returns the spans by source path for sources where speech was found, and whether any source
    has audio at all.
    """
    speech: dict[str, list[Span]] = {}
    any_audio = False
    sources = list(source_references(tl))
    for done, (path, info, references) in enumerate(sources, start=1):
        any_audio = any_audio or info.has_audio
        analysis = detect_speech(
            ctx.settings,
            path,
            duration_s=info.duration_s,
            has_audio=info.has_audio,
            detector=params.detector,
            noise_db=params.noise_db,
            job=ctx.job,
        )
        for reference in references:
            set_analysis(reference, SPEECH_KEY, analysis.model_dump(mode="json"))
        if analysis.spans:
            speech[str(path)] = [Span(s.start, s.end) for s in analysis.spans]
        ctx.progress(done / len(sources), None)
    return speech, any_audio


def _cut_items(
    tl: otio.schema.Timeline,
    speech: dict[str, list[Span]],
    params: SilenceRemovalParams,
    tally: _Tally,
) -> list[otio.core.Item]:
    """The new ``V1`` items: each clip of a source with speech split around its long pauses."""
    items: list[otio.core.Item] = []
    for item in video_track(tl) or []:
        spans = _spans_of(item, speech)
        if spans is None:
            items.append(item.clone())
            continue
        first, last, rate = clip_frames(item)
        cuts = pauses_to_cut(
            first / rate,
            last / rate,
            spans,
            min_silence_s=params.min_silence_ms / 1000,
            padding_s=params.padding_ms / 1000,
        )
        kept = kept_frames(first, last, rate, cuts)
        tally.pauses += removed_regions(first, last, kept)
        items.extend(split_clip(item, kept))
    return items


def _spans_of(item: object, speech: dict[str, list[Span]]) -> list[Span] | None:
    if not isinstance(item, otio.schema.Clip):
        return None
    reference = item.media_reference
    if not isinstance(reference, otio.schema.ExternalReference):
        return None
    return speech.get(str(url_to_path(reference.target_url)))
