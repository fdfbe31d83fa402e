"""Captions: transcribe the sources, then caption the edit word by word when it is rendered.

The tile itself never draws anything. It attaches a transcript (word timestamps, source seconds)
and the speech spans (to snap Whisper's loose word edges to the voice) to every source of the
timeline (``tiles/sources.py``; both cached by content hash, so changing only the colour re-uses
them) and stores the validated style in
``timeline.metadata["tilework"]["captions"]``. The render's captions pass
(``media/passes/captions.py``) maps the words through whatever cuts come later, burns them in
with libass and publishes the SRT and VTT with the render.
"""

from __future__ import annotations

import shutil
import subprocess

import opentimelineio as otio

from tilework.analysis.asr import transcribe
from tilework.analysis.speech import detect_speech
from tilework.config import Settings
from tilework.media.captions import CaptionStyle, group_lines
from tilework.media.passes.captions import CAPTIONS_KEY, words_in_edit
from tilework.media.timeline import NAMESPACE, SPEECH_KEY, clip_segments, plain
from tilework.tiles.base import Tile, TileContext, TileParams, TileResult
from tilework.tiles.sources import (
    attach_transcripts,
    crop_analyses,
    get_analysis,
    overlaps,
    set_analysis,
    source_references,
    used_ranges,
)

CAPTIONS_TYPE_ID = "cdccb204-168e-4aec-aa72-480b11e74324"  # Mosaic's id for Captions


class CaptionsParams(CaptionStyle, TileParams):
    """The caption style (see ``media/captions.py``); unknown parameters are refused."""


def font_installed(family: str) -> bool | None:
    """Whether fontconfig has ``family`` (``None`` when fontconfig's tools are missing)."""
    fc_list = shutil.which("fc-list")
    if fc_list is None:
        return None
    # In a fontconfig pattern, "-", ":" and "\" are syntax; a backslash escapes them.
    escaped = "".join(f"\\{c}" if c in "-:\\" else c for c in family)
    result = subprocess.run(
        [fc_list, "-q", f":family={escaped}"], capture_output=True, timeout=30, check=False
    )
    return result.returncode == 0


def attach_speech(ctx: TileContext, timeline: otio.schema.Timeline) -> None:
    """Speech spans on every source that has none yet (silence removal may have stored its own)."""
    ranges = used_ranges(timeline)
    for path, info, references in source_references(timeline):
        if not info.has_audio or get_analysis(references[0], SPEECH_KEY) is not None:
            continue
        analysis = detect_speech(
            ctx.settings, path, duration_s=info.duration_s, has_audio=True, job=ctx.job
        )
        # Only the spans near what the edit uses: an hour has thousands (crop_analyses would
        # drop them later, after paying to store them on every reference).
        used = ranges.get(references[0].target_url, [])
        spans = [span for span in analysis.spans if overlaps(span.start, span.end, used)]
        stored = analysis.model_copy(update={"spans": spans}).model_dump(mode="json")
        for reference in references:
            set_analysis(reference, SPEECH_KEY, stored)


def store_style(timeline: otio.schema.Timeline, style: CaptionStyle) -> None:
    namespace = plain(timeline.metadata).get(NAMESPACE, {})
    namespace[CAPTIONS_KEY] = style.model_dump(mode="json")
    timeline.metadata[NAMESPACE] = namespace


class CaptionsTile(Tile):
    type_id = CAPTIONS_TYPE_ID
    name = "Captions"
    slug = "captions"
    params_model = CaptionsParams
    docs_url = "https://tilework.dev/docs/tiles/captions"
    params_docs_url = "https://tilework.dev/docs/tiles/captions#api-info"
    prefetches = True

    def prefetch(self, settings: Settings, timeline: otio.schema.Timeline) -> None:
        """The transcripts and speech spans ``run`` reads, into the analysis cache."""
        for path, info, _ in source_references(timeline):
            if info.has_audio:
                transcribe(settings, path, has_audio=True)
                detect_speech(settings, path, duration_s=info.duration_s, has_audio=True)

    def run(
        self, ctx: TileContext, params: TileParams, timeline: otio.schema.Timeline
    ) -> TileResult:
        assert isinstance(params, CaptionsParams)
        style = CaptionStyle.model_validate(params.model_dump())
        ctx.progress(0.0, None)
        edited = timeline.deepcopy()
        attach_transcripts(ctx.settings, edited)  # the slow part, once per source file
        ctx.progress(0.8, None)
        attach_speech(ctx, edited)
        crop_analyses(edited)  # only what the edit uses travels on with it
        ctx.progress(0.9, None)
        store_style(edited, style)
        words = words_in_edit(clip_segments(edited))
        lines = group_lines(words, style.max_words_per_line)
        message = self._message(edited, len(words), len(lines), style)
        ctx.progress(1.0, None)
        return TileResult(timelines=[edited], status_message=message)

    @staticmethod
    def _message(
        timeline: otio.schema.Timeline, words: int, lines: int, style: CaptionStyle
    ) -> str:
        if words == 0:
            has_audio = any(info.has_audio for _, info, _ in source_references(timeline))
            if not has_audio:
                return "no captions: the video has no audio track"
            return "no captions: no speech was found in the video"
        message = f"{words} words captioned in {lines} lines ({style.caption_style})"
        if font_installed(style.caption_font) is False:
            message += f"; font {style.caption_font!r} is not installed, a fallback font is used"
        return message
