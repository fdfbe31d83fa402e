"""The captions pass: burn word-timed captions in with libass, publish the SRT and VTT.

It reads the style the Captions tile stored (``timeline.metadata["tilework"]["captions"]``) and the
transcripts on the sources (``reference.metadata["tilework"]["transcript"]``, source seconds),
maps every word through the edit (each cut's source range → its place in the output), groups the
words into lines and writes ``captions.ass``, ``captions.srt`` and ``captions.vtt`` next to the
output. Without the style, or without a single word left in the edit, it does nothing.

Whisper's word times are often 0.3-0.7 s off at the edges of speech: the first word after a pause
starts late and the last one runs on into the pause. When the source also has speech spans
(``reference.metadata["tilework"]["speech"]``, from ``analysis/speech.py``), words are snapped to
them in source seconds first, so a line appears when the voice starts and leaves when it stops.
"""

from __future__ import annotations

import re
from bisect import bisect_right
from pathlib import Path
from typing import Any

from pydantic import ValidationError as PydanticError

from tilework.analysis.asr import Transcript, Word
from tilework.analysis.speech import SpeechAnalysis
from tilework.errors import ValidationError
from tilework.media.captions import (
    CaptionStyle,
    TimedWord,
    ass_script,
    group_lines,
    srt_text,
    vtt_text,
)
from tilework.media.graph import PassContext
from tilework.media.timeline import NAMESPACE, SPEECH_KEY, TRANSCRIPT_KEY, Segment, plain

CAPTIONS_KEY = "captions"  # timeline.metadata["tilework"][CAPTIONS_KEY]: the CaptionStyle
SRT_FIELD = "captions_srt_url"
VTT_FIELD = "captions_vtt_url"
MIN_WORD_S = 0.05  # Whisper sometimes gives a word no duration
MAX_WORD_S = 1.0  # ... or stretches a sentence's last word over the following pause
KEEP_FRACTION = 0.5  # a word cut by an edit stays if at least this much of it is kept
SNAP_S = 0.6  # how far a word's start may move to the onset of the speech it belongs to
PAUSE_S = 0.3  # a silence at least this long ends the word that runs into it ...
END_PAD_S = 0.1  # ... this long after the voice stops
Span = tuple[float, float]


def caption_style(metadata: Any) -> CaptionStyle | None:
    """The stored caption style of a timeline's metadata, ``None`` when captions are off."""
    stored = plain(metadata).get(NAMESPACE, {}).get(CAPTIONS_KEY)
    if stored is None:
        return None
    try:
        return CaptionStyle.model_validate(stored)
    except PydanticError as exc:
        raise ValidationError(f"the timeline's caption style is invalid: {exc}") from exc


def _source_words(segment: Segment) -> list[Word]:
    stored = segment.reference_metadata.get(TRANSCRIPT_KEY)
    if not isinstance(stored, dict):
        return []
    return snap_to_speech(Transcript.model_validate(stored).words, _speech_spans(segment))


def _speech_spans(segment: Segment) -> list[Span]:
    stored = segment.reference_metadata.get(SPEECH_KEY)
    if not isinstance(stored, dict):
        return []
    try:
        spans = SpeechAnalysis.model_validate(stored).spans
    except PydanticError:
        return []  # a stale or foreign analysis: caption with Whisper's own times
    return sorted((span.start, span.end) for span in spans if span.end > span.start)


def snap_to_speech(words: list[Word], spans: list[Span]) -> list[Word]:
    """``words`` with edges moved to the speech ``spans`` (all in source seconds).

    A word that starts in silence just before speech, or is the first word of its span and starts
    up to ``SNAP_S`` into it, starts at the span's onset; a word that runs into a pause of at
    least ``PAUSE_S`` ends ``END_PAD_S`` after the voice stops. Without spans nothing changes.
    """
    if not spans:
        return words
    onsets = [start for start, _ in spans]
    snapped = []
    previous_end = float("-inf")
    for word in words:
        index = bisect_right(onsets, word.start) - 1
        if index < 0 or word.start >= spans[index][1]:  # in a silence: the speech that follows
            index += 1
        start, end = word.start, word.end
        if index < len(spans):
            onset, stop = spans[index]
            if abs(start - onset) <= SNAP_S and onset < end and previous_end <= onset:
                start = onset
            followed_by_pause = index + 1 == len(spans) or onsets[index + 1] - stop >= PAUSE_S
            if followed_by_pause and end > stop + END_PAD_S and start < stop:
                end = stop + END_PAD_S
        snapped.append(word.model_copy(update={"start": start, "end": max(end, start)}))
        previous_end = end
    return snapped


def _place(word: Word, segment: Segment) -> tuple[float, float] | None:
    """Where ``word`` (source seconds) plays in the output, or ``None`` if the edit drops it."""
    start = word.start
    end = min(max(word.end, start + MIN_WORD_S), start + MAX_WORD_S)
    cut_start, cut_end = segment.start_s, segment.start_s + segment.duration_s
    kept_start, kept_end = max(start, cut_start), min(end, cut_end)
    if kept_end - kept_start < (end - start) * KEEP_FRACTION:
        return None
    shift = segment.timeline_start_s - cut_start
    return kept_start + shift, kept_end + shift


def words_in_edit(segments: list[Segment]) -> list[TimedWord]:
    """Every spoken word the edit keeps, in output seconds and output order."""
    words = []
    for index, segment in enumerate(segments):
        if segment.path is None:
            continue
        for word in _source_words(segment):
            placed = _place(word, segment)
            if placed is not None:
                words.append(TimedWord(word.text, placed[0], placed[1], cut=index))
    return words


def filter_value(text: str) -> str:
    """``text`` as one option value inside a filter graph: escaped for the option parser
    (``\\ ' :``), then for the graph parser (``\\ ' [ ] , ;``)."""
    option = re.sub(r"([\\':])", r"\\\1", text)
    return re.sub(r"([\\'\[\],;])", r"\\\1", option)


def _write(folder: Path, name: str, text: str) -> Path:
    path = folder / name
    path.write_text(text, encoding="utf-8")
    return path


def captions_pass(ctx: PassContext, video: str) -> str:
    """Add the libass filter burning the captions into ``video``; publish the SRT and VTT."""
    style = caption_style(ctx.timeline.metadata)
    if style is None:
        return video
    lines = group_lines(words_in_edit(ctx.segments), style.max_words_per_line)
    if not lines:
        return video
    frame = ctx.frame
    ass = _write(ctx.folder, "captions.ass", ass_script(lines, style, frame.width, frame.height))
    ctx.extra_files[SRT_FIELD] = _write(ctx.folder, "captions.srt", srt_text(lines))
    ctx.extra_files[VTT_FIELD] = _write(ctx.folder, "captions.vtt", vtt_text(lines))
    out = ctx.graph.label("cap")
    ctx.graph.add(f"{video}ass=filename={filter_value(str(ass.absolute()))}{out}")
    return out
