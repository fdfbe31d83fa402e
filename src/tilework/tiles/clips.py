"""Clips: cut the best moments of a video into several short clips (a fan-out tile).

The tile gathers what it needs about each source (transcript, loudness, scene cuts: all cached
by content hash and kept in source seconds), maps it through the incoming edit onto timeline
seconds, lets ``tiles/highlights.py`` choose the clips, and returns one trimmed timeline per clip,
best first. A prompt is matched by meaning when the semantic extra is installed, else by BM25
keywords (``tiles/prompt_ranking.py``); a prompt that nothing said matches gives no clip, and
the status message says so. Each output is a trim of the incoming timeline, so earlier edits
(and the analyses stored on the media references) carry over, and every clip downstream
becomes its own item.

Scene cuts are stored on the media references (``scene_cuts``: ``[{time, score}]`` in source
seconds) for later tiles.
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import opentimelineio as otio
from pydantic import Field

from tilework.analysis.asr import Transcript
from tilework.analysis.energy import FLOOR_DB, HOP_S, Loudness, loudness
from tilework.analysis.scenes import SceneCut, detect_scene_cuts
from tilework.config import Settings
from tilework.errors import TaskAborted, ValidationError
from tilework.media.probe import MediaInfo
from tilework.media.timeline import (
    NAMESPACE,
    TRANSCRIPT_KEY,
    Segment,
    clip_segments,
    duration_s,
    plain,
    timeline_rate,
    trim,
)
from tilework.tiles.base import Tile, TileContext, TileParams, TileResult
from tilework.tiles.clips_status import describe
from tilework.tiles.highlights import Highlight, Signals, select_highlights
from tilework.tiles.prompt_match import WordRelevance
from tilework.tiles.prompt_ranking import (
    WordOrigin,
    active_ranking,
    ranking_description,
    semantic_relevance,
)
from tilework.tiles.sources import (
    SCENE_CUTS_KEY,
    attach_transcripts,
    crop_analyses,
    get_analysis,
    overlaps,
    set_analysis,
    source_references,
    used_ranges,
)
from tilework.tiles.transcript_cuts import TimedWord, keywords

CLIPS_TYPE_ID = "bcc5cb04-76b7-48e9-a344-0e8a29c19be0"  # Mosaic's id, so Mosaic agents import


class ClipsParams(TileParams):
    prompt: str = Field(
        default="",
        max_length=500,
        description=(
            "What the clips should be about, in plain words, matched against what is said: by "
            "meaning with the semantic extra, else by keywords (GET /node_types says which). "
            "Clips must hold a sentence that matches; none: no clips. "
            "Empty: the most interesting moments (lively speech, whole sentences)."
        ),
    )
    num_clips: int = Field(default=3, ge=1, le=20, description="How many clips to make, 1-20")
    target_duration: float = Field(
        default=30.0, ge=1, le=300, description="Length of each clip in seconds, 1-300"
    )


class _SourceFacts:
    """A source's analyses, in source seconds."""

    def __init__(self) -> None:
        self.transcripts: dict[Path, Transcript] = {}
        self.loudness: dict[Path, Loudness] = {}
        self.scene_cuts: dict[Path, list[float]] = {}
        self.scene_cut_details: dict[Path, list[SceneCut]] = {}


class ClipsTile(Tile):
    type_id = CLIPS_TYPE_ID
    name = "Clips"
    slug = "clips"
    params_model = ClipsParams
    docs_url = "https://tilework.dev/docs/tiles/clips"
    params_docs_url = "https://tilework.dev/docs/tiles/clips#api-info"

    def features(self, settings: Settings) -> dict[str, str]:
        return {"prompt_ranking": ranking_description(settings)}

    def run(
        self, ctx: TileContext, params: TileParams, timeline: otio.schema.Timeline
    ) -> TileResult:
        assert isinstance(params, ClipsParams)
        facts = _analyse(ctx, timeline)
        segments = clip_segments(timeline)
        total = duration_s(timeline)
        signals = Signals(
            duration_s=total,
            loudness=_timeline_loudness(segments, facts.loudness, total),
            scene_cuts=tuple(_timeline_cuts(segments, facts.scene_cuts)),
            frame_s=1.0 / timeline_rate(timeline),
        )
        words, origins = _timeline_words(segments, facts.transcripts)
        selection = select_highlights(
            words,
            signals,
            prompt=params.prompt,
            num_clips=params.num_clips,
            target_s=params.target_duration,
            relevance=_semantic(ctx, params.prompt, origins, facts.transcripts),
        )
        if not selection.highlights and selection.relevance is None:  # always a scene or split
            raise ValidationError(f"clips: no clip of about {params.target_duration:g} s fits")
        outputs = [
            _clip_timeline(timeline, highlight, rank, facts, whole=selection.mode == "whole")
            for rank, highlight in enumerate(selection.highlights, start=1)
        ]
        ctx.progress(1.0, 0.0)
        message = describe(
            selection, num_clips=params.num_clips, target_s=params.target_duration, duration_s=total
        )
        return TileResult(timelines=outputs, status_message=message)


def _analyse(ctx: TileContext, timeline: otio.schema.Timeline) -> _SourceFacts:
    """Transcribe, measure and scene-detect every source (each cached), storing the results on
    the media references. Progress: 0-0.9 across the sources.

    The loudness and scene passes are ffmpeg processes: they run in a thread beside the
    transcription, so the cores Whisper leaves idle (between its batches, in its Python parts)
    decode the picture meanwhile; on an hour-long talk this hides most of the scene pass.
    """
    facts = _SourceFacts()
    sources = list(source_references(timeline))
    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="clips-ffmpeg") as pool:
        measured = pool.submit(_measure_sources, ctx, sources)
        try:
            # Not stored on the input: each clip gets its own part (_store_analyses), so the
            # hour's words are never converted into OTIO metadata and copied per clip.
            facts.transcripts = attach_transcripts(ctx.settings, timeline, store=False)
        finally:
            loudness_by_path, cuts_by_path = measured.result()  # also when transcribing failed
    _check_abort(ctx)
    for number, (path, _info, _references) in enumerate(sources, start=1):
        if path in loudness_by_path:
            facts.loudness[path] = loudness_by_path[path]
        facts.scene_cut_details[path] = cuts_by_path[path]
        facts.scene_cuts[path] = [cut.time for cut in cuts_by_path[path]]
        ctx.progress(0.9 * number / len(sources), None)
    return facts


def _measure_sources(
    ctx: TileContext, sources: list[tuple[Path, MediaInfo, list[otio.schema.ExternalReference]]]
) -> tuple[dict[Path, Loudness], dict[Path, list[SceneCut]]]:
    """Each source's loudness curve and scene cuts (ffmpeg passes, cached)."""
    curves: dict[Path, Loudness] = {}
    cuts: dict[Path, list[SceneCut]] = {}
    for path, info, _references in sources:
        if info.has_audio:
            curves[path] = loudness(ctx.settings, path, job=ctx.job)
        cuts[path] = detect_scene_cuts(ctx.settings, path, job=ctx.job) if info.has_video else []
        _check_abort(ctx)
    return curves, cuts


def _semantic(
    ctx: TileContext,
    prompt: str,
    origins: list[WordOrigin],
    transcripts: dict[Path, Transcript],
) -> WordRelevance | None:
    """The semantic match of the prompt, or None when there is no prompt or BM25 is active."""
    if not keywords(prompt) or active_ranking(ctx.settings) != "semantic":
        return None
    return semantic_relevance(ctx.settings, prompt, origins, transcripts)


def _check_abort(ctx: TileContext) -> None:
    if ctx.job.should_abort():
        raise TaskAborted()


# --- source seconds -> timeline seconds ---------------------------------------------------------


def _timeline_words(
    segments: list[Segment], transcripts: dict[Path, Transcript]
) -> tuple[list[TimedWord], list[WordOrigin]]:
    """Every word heard in the edit, in timeline seconds (clipped to the cut it falls in), and
    where each was heard."""
    words: list[TimedWord] = []
    origins: list[WordOrigin] = []
    for segment in segments:
        path = segment.path
        transcript = transcripts.get(path) if path else None
        if path is None or transcript is None:
            continue
        cut_end = segment.start_s + segment.duration_s
        shift = segment.timeline_start_s - segment.start_s
        for index, word in enumerate(transcript.words):
            start, end = max(word.start, segment.start_s), min(word.end, cut_end)
            if end > start or (word.start == word.end and segment.start_s <= start < cut_end):
                words.append(TimedWord(start + shift, end + shift, word.text))
                origins.append(WordOrigin(path, index))
    return words, origins


def _timeline_loudness(
    segments: list[Segment], curves: dict[Path, Loudness], total_s: float
) -> Loudness | None:
    """The edit's loudness curve: each frame read from the source under it (gaps are silent)."""
    if not curves:
        return None
    levels = []
    index = 0  # frames run forward in time, and so do the segments
    for frame in range(round(total_s / HOP_S + 0.5)):
        middle = (frame + 0.5) * HOP_S
        while index < len(segments) - 1 and _end_of(segments[index]) <= middle:
            index += 1
        segment = segments[index] if segments else None
        curve = curves.get(segment.path) if segment and segment.path else None
        if segment is None or curve is None or not _end_of(segment) > middle:
            levels.append(FLOOR_DB)
        else:
            levels.append(curve.at(segment.start_s + middle - segment.timeline_start_s))
    return Loudness(hop_s=HOP_S, db=levels)


def _end_of(segment: Segment) -> float:
    return segment.timeline_start_s + segment.duration_s


def _timeline_cuts(segments: list[Segment], cuts: dict[Path, list[float]]) -> list[float]:
    """Scene cuts inside each piece of the edit, plus the edit's own joins between pieces."""
    found: list[float] = []
    previous: Segment | None = None
    for segment in segments:
        end = segment.start_s + segment.duration_s
        shift = segment.timeline_start_s - segment.start_s
        for cut in cuts.get(segment.path, []) if segment.path else []:
            if segment.start_s < cut < end:
                found.append(cut + shift)
        if previous is not None and not _continues(previous, segment):
            found.append(segment.timeline_start_s)
        previous = segment
    return sorted(found)


def _continues(previous: Segment, segment: Segment) -> bool:
    """Whether ``segment`` plays on from exactly where ``previous`` stopped (no visible join)."""
    if previous.path is None or previous.path != segment.path:
        return False
    return abs(previous.start_s + previous.duration_s - segment.start_s) < 1e-3


# --- outputs --------------------------------------------------------------------------------------


def _clip_timeline(
    timeline: otio.schema.Timeline,
    highlight: Highlight,
    rank: int,
    facts: _SourceFacts,
    *,
    whole: bool,
) -> otio.schema.Timeline:
    clip = timeline.deepcopy() if whole else trim(timeline, highlight.start_s, highlight.end_s)
    clip.name = f"clip {rank}"
    namespace = plain(clip.metadata).get(NAMESPACE, {})
    namespace["clip"] = {
        "rank": rank,
        "score": highlight.score,
        "start_s": highlight.start_s,
        "end_s": highlight.end_s,
        "text": highlight.text,
        "reason": highlight.reason,
    }
    clip.metadata[NAMESPACE] = namespace
    _store_analyses(clip, facts)
    return clip


def _store_analyses(clip: otio.schema.Timeline, facts: _SourceFacts) -> None:
    """The transcript sentences and scene cuts near what ``clip`` uses, on its references: the
    clip's 30 s of the source's analyses, not the whole hour's (``crop_analyses``)."""
    ranges = used_ranges(clip)
    for path, _info, references in source_references(clip):
        used = ranges[references[0].target_url]
        transcript = facts.transcripts.get(path)
        if transcript is not None and get_analysis(references[0], TRANSCRIPT_KEY) is None:
            kept = [s for s in transcript.sentences if overlaps(s.start, s.end, used)]
            stored = transcript.model_copy(update={"sentences": kept}).model_dump(mode="json")
            for reference in references:
                set_analysis(reference, TRANSCRIPT_KEY, stored)
        cuts = facts.scene_cut_details.get(path, [])
        near = [cut.model_dump() for cut in cuts if overlaps(cut.time, cut.time, used)]
        for reference in references:
            set_analysis(reference, SCENE_CUTS_KEY, near)
    crop_analyses(clip)  # what came with the input (speech spans of Silence Removal, ...)
