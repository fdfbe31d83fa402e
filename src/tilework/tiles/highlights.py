"""Choosing highlight clips from what was said, how loudly, and where the shots change.

Pure logic, no media: the Clips tile maps a transcript, a loudness curve and scene cuts onto the
edit's timeline and hands them here. Everything is in timeline seconds.

How a clip is chosen:

1. Words are grouped into sentences and phrases (``transcript_cuts.py``).
2. A candidate is a run of whole consecutive phrases whose length is within the tolerance of the
   target. Its cuts sit in the silence around it (``CutPlacer``): a small pad past the speech,
   never past the neighbouring word. So no clip cuts a word.
3. With a prompt, each word carries how well its sentence matches the prompt
   (``prompt_match.py``: sentence embeddings, or BM25 over the sentences when the semantic
   extra is missing); a candidate holding no matching sentence is dropped, so a prompt that
   matches nothing gives fewer clips (or none) rather than unrelated ones.
4. Each candidate is scored: its match to the prompt (half its best sentence, half the mean
   over its words), speech loudness, whole sentences, starting just after a scene cut, minus
   long pauses and distance from the target length.
5. The best candidates that share no word are kept, best first.

Without any speech and without a prompt the clips follow the scene cuts (or split the video
evenly); a video no longer than the target is one clip of the whole.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from typing import Literal

from tilework.analysis.energy import FLOOR_DB, Loudness
from tilework.tiles.prompt_match import WordRelevance, keyword_relevance
from tilework.tiles.transcript_cuts import (
    PAD_END_S,
    PAD_START_S,
    CutPlacer,
    Phrase,
    TimedWord,
    bare,
    keywords,
    normalise,
    phrases,
    snap,
)

LONG_PAUSE_S = 1.0  # pauses inside a clip longer than this count against it
SCENE_LOOKBACK_S = 1.0  # a cut this close before a clip's start makes it "start on a cut"
TOLERANCE_FRACTION = 0.35  # clip lengths within ±35 % (at least ±1 s) of the target qualify
TOLERANCE_MIN_S = 1.0

# With a prompt, how much of a clip is about it matters most: a candidate's match (0..1) is
# mostly the mean relevance over its words, partly its best sentence's.
WEIGHT_MATCH = 4.0
PEAK_SHARE = 0.25
WEIGHT_ENERGY_PROMPT = 0.5
WEIGHT_ENERGY_NO_PROMPT = 1.0
BONUS_SENTENCE_EDGE = 0.15  # each: starts a sentence, ends a sentence
BONUS_SCENE_CUT = 0.2
WEIGHT_PAUSES = 1.5
WEIGHT_FIT = 0.5


Mode = Literal["speech", "scenes", "even", "whole"]


@dataclass(frozen=True)
class Signals:
    """What the selection knows about the edit besides the words (timeline seconds)."""

    duration_s: float
    loudness: Loudness | None = None
    scene_cuts: tuple[float, ...] = ()
    frame_s: float | None = None  # cuts are snapped to this grid (one frame)


@dataclass(frozen=True)
class Highlight:
    start_s: float
    end_s: float
    score: float
    text: str
    reason: str
    words: tuple[int, int] | None = None  # first and last word index, inclusive

    @property
    def duration_s(self) -> float:
        return self.end_s - self.start_s


@dataclass(frozen=True)
class Selection:
    highlights: list[Highlight]
    mode: Mode
    keywords: frozenset[str] = frozenset()
    keywords_heard: frozenset[str] = frozenset()  # prompt keywords the transcript contains
    notes: list[str] = field(default_factory=list)
    relevance: WordRelevance | None = None  # how the prompt was matched (None: no prompt)


# --- scoring -----------------------------------------------------------------------------------


def tolerance(target_s: float) -> float:
    return max(TOLERANCE_FRACTION * target_s, TOLERANCE_MIN_S)


@dataclass
class _Candidate:
    first: Phrase
    last: Phrase
    start_s: float
    end_s: float
    matched: set[str]
    energy_db: float | None
    pause_s: float
    match: float  # 0..1: how well it matches the prompt
    similarity: float  # its best sentence's raw score (cosine similarity, BM25)
    score: float = 0.0
    reasons: list[str] = field(default_factory=list)


class _Scorer:
    def __init__(
        self,
        words: Sequence[TimedWord],
        signals: Signals,
        wanted: frozenset[str],
        relevance: WordRelevance | None,
    ):
        self.words = words
        self.signals = signals
        self.wanted = wanted
        self.relevance = relevance
        self.stems = [normalise(word.text) for word in words]
        self.energy_sum, self.energy_count = _prefix_energy(words, signals.loudness)
        self.pauses = _prefix([_excess_pause(words, i) for i in range(len(words) - 1)])
        scores = relevance.scores if relevance else [0.0] * len(words)
        self.match_sum = _prefix(scores)
        self.matching = _prefix([float(m) for m in relevance.matched] if relevance else [])

    def candidate(
        self, first: Phrase, last: Phrase, start_s: float, end_s: float
    ) -> _Candidate | None:
        """The candidate from phrase ``first`` to ``last``; None when a prompt is given and
        no sentence in it matches."""
        a, b = first.first, last.last
        peak = similarity = 0.0
        if self.relevance is not None:
            if self.matching[b + 1] == self.matching[a]:
                return None
            peak = max(self.relevance.scores[a : b + 1])
            similarity = max(self.relevance.raw[a : b + 1])
        mean = (self.match_sum[b + 1] - self.match_sum[a]) / (b + 1 - a)
        match = PEAK_SHARE * peak + (1 - PEAK_SHARE) * mean
        matched = {s for s in self.stems[a : b + 1] if s in self.wanted}
        count = self.energy_count[b + 1] - self.energy_count[a]
        total = self.energy_sum[b + 1] - self.energy_sum[a]
        energy = total / count if count else None
        pause = self.pauses[b] - self.pauses[a]
        return _Candidate(first, last, start_s, end_s, matched, energy, pause, match, similarity)

    def score(self, candidates: list[_Candidate], target_s: float) -> None:
        levels = [c.energy_db for c in candidates if c.energy_db is not None]
        low, high = (min(levels), max(levels)) if levels else (0.0, 0.0)
        energy_weight = WEIGHT_ENERGY_PROMPT if self.relevance else WEIGHT_ENERGY_NO_PROMPT
        for c in candidates:
            lively = 0.5
            if c.energy_db is not None and high > low:
                lively = (c.energy_db - low) / (high - low)
            duration = c.end_s - c.start_s
            c.score = energy_weight * lively - WEIGHT_FIT * abs(duration - target_s) / target_s
            c.score -= WEIGHT_PAUSES * c.pause_s / duration
            if self.relevance is not None:
                c.score += WEIGHT_MATCH * c.match
            c.reasons = self._reasons(c, lively)

    def _reasons(self, c: _Candidate, lively: float) -> list[str]:
        reasons = []
        if self.relevance is not None and self.relevance.match.mode == "semantic":
            reasons.append(f"about the prompt (similarity {c.similarity:.2f})")
        elif c.matched:
            heard = [w.text for w in self.words[c.first.first : c.last.last + 1]]
            shown = sorted({bare(t) for t in heard if normalise(t) in c.matched})
            reasons.append("mentions " + ", ".join(repr(word) for word in shown))
        if c.first.starts_sentence and c.last.ends_sentence:
            c.score += 2 * BONUS_SENTENCE_EDGE
            reasons.append("whole sentences")
        else:
            c.score += BONUS_SENTENCE_EDGE * (c.first.starts_sentence + c.last.ends_sentence)
        if _starts_on_cut(c.start_s, self.signals.scene_cuts):
            c.score += BONUS_SCENE_CUT
            reasons.append("starts at a scene cut")
        if lively >= 0.7 and c.energy_db is not None:
            reasons.append("lively speech")
        if c.pause_s > 0:
            reasons.append("long pauses inside")
        return reasons


def _starts_on_cut(start_s: float, cuts: Sequence[float]) -> bool:
    return any(start_s - SCENE_LOOKBACK_S <= cut <= start_s + 0.25 for cut in cuts)


def _prefix(values: Sequence[float]) -> list[float]:
    sums = [0.0]
    for value in values:
        sums.append(sums[-1] + value)
    return sums


def _excess_pause(words: Sequence[TimedWord], index: int) -> float:
    return max(0.0, words[index + 1].start - words[index].end - LONG_PAUSE_S)


def _prefix_energy(
    words: Sequence[TimedWord], curve: Loudness | None
) -> tuple[list[float], list[float]]:
    """Prefix sums of the loudness frames inside each word (and how many frames)."""
    sums, counts = [], []
    for word in words:
        if curve is None:
            sums.append(0.0)
            counts.append(0.0)
            continue
        hop = curve.hop_s
        frames = range(math.floor(word.start / hop), max(math.ceil(word.end / hop), 1))
        levels = [curve.at((f + 0.5) * hop) for f in frames]
        sums.append(sum(levels))
        counts.append(float(len(levels)))
    return _prefix(sums), _prefix(counts)


# --- selection ---------------------------------------------------------------------------------


def select_highlights(
    words: Sequence[TimedWord],
    signals: Signals,
    *,
    prompt: str,
    num_clips: int,
    target_s: float,
    relevance: WordRelevance | None = None,
) -> Selection:
    """The best ``num_clips`` (or fewer) clips of about ``target_s``, best first.

    ``relevance`` says how well each word's sentence matches ``prompt`` (the Clips tile passes
    the semantic match); without it a prompt is matched by BM25 over the sentences. A prompt
    without keywords (only words such as "the best moments") counts as no prompt.
    """
    wanted = keywords(prompt)
    heard = frozenset(s for w in words if (s := normalise(w.text)) in wanted)
    if not wanted:
        relevance = None
    elif relevance is None:
        relevance = keyword_relevance(words, wanted)
    selection = Selection([], "speech", wanted, heard, relevance=relevance)
    if relevance is not None and not relevance.any_matched:
        return selection  # nothing said matches the prompt: no clip rather than unrelated ones
    if signals.duration_s <= target_s:
        whole = Highlight(0.0, signals.duration_s, 1.0, _text(words), "the whole video")
        return replace(selection, highlights=[whole], mode="whole")
    picked = _speech_highlights(words, signals, wanted, relevance, num_clips, target_s)
    if picked or relevance is not None:
        return replace(selection, highlights=picked)
    fallback, mode = scene_highlights(signals, num_clips, target_s)
    note = "no speech was found" if not words else "no run of sentences fits the target"
    return replace(selection, highlights=fallback, mode=mode, notes=[note])


def _speech_highlights(
    words: Sequence[TimedWord],
    signals: Signals,
    wanted: frozenset[str],
    relevance: WordRelevance | None,
    num_clips: int,
    target_s: float,
) -> list[Highlight]:
    if not words:
        return []
    low, high = target_s - tolerance(target_s), target_s + tolerance(target_s)
    cuts = CutPlacer(
        words, signals.duration_s, signals.loudness, signals.frame_s, signals.scene_cuts
    )
    scorer = _Scorer(words, signals, wanted, relevance)
    parts = phrases(words, max(high - PAD_START_S - PAD_END_S, 0.1))
    candidates = []
    for i, first in enumerate(parts):
        start = cuts.before(first.first)
        for last in parts[i:]:
            end = cuts.after(last.last)
            if end - start > high:
                break
            if end - start >= max(low, 0.1) and (c := scorer.candidate(first, last, start, end)):
                candidates.append(c)
    scorer.score(candidates, target_s)
    ranked = sorted(candidates, key=lambda c: (-c.score, c.start_s))
    chosen = _non_overlapping(ranked, num_clips)
    return _separate([_highlight(words, c) for c in chosen], signals.frame_s)


def _non_overlapping(ranked: list[_Candidate], limit: int) -> list[_Candidate]:
    chosen: list[_Candidate] = []
    for candidate in ranked:
        if len(chosen) == limit:
            break
        a, b = candidate.first.first, candidate.last.last
        if all(b < c.first.first or a > c.last.last for c in chosen):
            chosen.append(candidate)
    return chosen


def _separate(highlights: list[Highlight], frame_s: float | None) -> list[Highlight]:
    """Neighbouring clips whose pads meet in the same pause share that pause at its middle."""
    fixed = list(highlights)
    order = sorted(range(len(fixed)), key=lambda i: fixed[i].start_s)
    for left, right in itertools.pairwise(order):
        if fixed[left].end_s > fixed[right].start_s:
            middle = (fixed[left].end_s + fixed[right].start_s) / 2
            middle = snap(middle, 0.0, math.inf, frame_s)
            fixed[left] = _replace(fixed[left], end_s=middle)
            fixed[right] = _replace(fixed[right], start_s=middle)
    return fixed


def _replace(h: Highlight, **changes: float) -> Highlight:
    values = {"start_s": h.start_s, "end_s": h.end_s, **changes}
    return Highlight(values["start_s"], values["end_s"], h.score, h.text, h.reason, h.words)


def _highlight(words: Sequence[TimedWord], c: _Candidate) -> Highlight:
    span = words[c.first.first : c.last.last + 1]
    reason = "; ".join(c.reasons) or "closest to the target length"
    return Highlight(
        round(c.start_s, 3),
        round(c.end_s, 3),
        round(c.score, 3),
        _text(span),
        reason,
        (c.first.first, c.last.last),
    )


def _text(words: Sequence[TimedWord]) -> str:
    return " ".join(word.text for word in words).strip()


# --- without speech ----------------------------------------------------------------------------


def scene_highlights(
    signals: Signals, num_clips: int, target_s: float
) -> tuple[list[Highlight], Mode]:
    """Clips of about ``target_s`` starting at scene cuts, else an even split; loudest first."""
    low, high = target_s - tolerance(target_s), target_s + tolerance(target_s)
    cuts = [c for c in signals.scene_cuts if 0 < c < signals.duration_s]
    starts = sorted({0.0, *cuts}) if cuts else _grid(signals.duration_s, target_s)
    options = []
    for start in starts:
        ends = [c for c in cuts if low <= c - start <= high]
        end = min(ends, key=lambda c: abs(c - start - target_s)) if ends else start + target_s
        end = min(end, signals.duration_s)
        if end - start >= max(low, 0.1):
            options.append(_scene_option(signals, start, end, bool(cuts), target_s))
    options.sort(key=lambda h: (-h.score, h.start_s))
    chosen: list[Highlight] = []
    for option in options:
        if len(chosen) < num_clips and all(
            option.end_s <= h.start_s or option.start_s >= h.end_s for h in chosen
        ):
            chosen.append(option)
    return chosen, "scenes" if cuts else "even"


def _grid(duration_s: float, target_s: float) -> list[float]:
    return [k * target_s for k in range(max(1, math.floor(duration_s / target_s)))]


def _scene_option(
    signals: Signals, start: float, end: float, on_cut: bool, target_s: float
) -> Highlight:
    start_s = snap(start, start, end, signals.frame_s)
    end_s = snap(end, start, end, signals.frame_s)
    level = _mean_level(signals.loudness, start_s, end_s)
    score = (level - FLOOR_DB) / -FLOOR_DB - WEIGHT_FIT * abs(end_s - start_s - target_s) / target_s
    reason = "no speech; starts at a scene cut" if on_cut else "no speech; even split"
    return Highlight(round(start_s, 3), round(end_s, 3), round(score, 3), "", reason)


def _mean_level(curve: Loudness | None, start: float, end: float) -> float:
    if curve is None:
        return FLOOR_DB
    hop = curve.hop_s
    levels = [
        curve.at((f + 0.5) * hop) for f in range(math.floor(start / hop), math.ceil(end / hop))
    ]
    return sum(levels) / len(levels) if levels else FLOOR_DB
