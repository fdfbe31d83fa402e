"""Where a transcript may be cut: sentences, shorter phrases, and cut points in the silence.

Pure logic on words in timeline seconds. A cut before or after a word is placed inside the gap to
its neighbour, never past it, so nothing built on these cuts can split a word. Inside that gap
the loudness curve says where speech really starts and stops: Whisper's word times drift by a
few tenths of a second, the audio does not. A small pad of silence is kept, and the cut is
snapped to a frame that still lies inside the gap.
"""

from __future__ import annotations

import math
import re
from collections.abc import Sequence
from dataclasses import dataclass

from tilework.analysis.energy import FLOOR_DB, Loudness

SENTENCE_GAP_S = 0.6  # a pause this long ends a sentence even without punctuation
PAD_START_S = 0.15  # silence kept before the first word's audio onset
PAD_END_S = 0.25  # silence kept after the last word (speech trails off more slowly)
QUIET_BELOW_SPEECH_DB = 25.0  # a frame this far below typical speech is silence

_STOP_WORDS_TEXT = """
a an and are as at be been but by can could did do does for from had has have he her here him
his how i if in into is it its just me more most my no not now of on one or our out over she so
some than that the their them then there these they this those to too up us very was we were
what when where which who why will with would you your about show find moment moments part clip
clips video get got let best good great interesting highlight highlights top
"""
STOP_WORDS = frozenset(_STOP_WORDS_TEXT.split())
_TERMINAL = re.compile(r"[.!?…][\"')\]]*$")
_SOFT_BREAK = re.compile(r"[,;:\u2014\u2013-][\"')\]]*$")  # also em and en dashes
_NOT_WORD = re.compile(r"[^\w]+")


@dataclass(frozen=True)
class TimedWord:
    start: float
    end: float
    text: str


# --- words -------------------------------------------------------------------------------------


def normalise(token: str) -> str | None:
    """A comparable stem of ``token``, or None for stop words and punctuation."""
    word = _NOT_WORD.sub("", token.lower().replace("'", ""))
    if len(word) < 2 or word in STOP_WORDS:
        return None
    if word.endswith("ing") and len(word) > 5:
        word = word[:-3]
        if len(word) > 2 and word[-1] == word[-2] and word[-1] not in "lsz":
            word = word[:-1]  # running -> run
    elif word.endswith("ies") and len(word) > 4:
        word = word[:-3] + "y"
    elif word.endswith("es") and word[:-2].endswith(("s", "x", "z", "ch", "sh")):
        word = word[:-2]
    elif word.endswith("s") and not word.endswith("ss") and len(word) > 3:
        word = word[:-1]
    if word.endswith("e") and len(word) > 3:
        word = word[:-1]  # make/making, volcanoes/volcano meet here
    return word


def bare(token: str) -> str:
    """``token`` without punctuation (``"volcano,"`` -> ``"volcano"``)."""
    return _NOT_WORD.sub("", token)


def keywords(prompt: str) -> frozenset[str]:
    return frozenset(stem for token in prompt.split() if (stem := normalise(token)))


# --- phrases -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Phrase:
    first: int  # word indices, inclusive
    last: int
    starts_sentence: bool
    ends_sentence: bool


def sentences(words: Sequence[TimedWord]) -> list[tuple[int, int]]:
    """Word index ranges of sentences: split after terminal punctuation or a long pause."""
    spans: list[tuple[int, int]] = []
    first = 0
    for index, word in enumerate(words):
        last_word = index == len(words) - 1
        pause = 0.0 if last_word else words[index + 1].start - word.end
        if last_word or _TERMINAL.search(word.text) or pause >= SENTENCE_GAP_S:
            spans.append((first, index))
            first = index + 1
    return spans


def phrases(words: Sequence[TimedWord], max_span_s: float) -> list[Phrase]:
    """Sentences, with those longer than ``max_span_s`` split at their best inner pauses."""
    result: list[Phrase] = []
    for first, last in sentences(words):
        pieces = _split(words, first, last, max_span_s)
        for number, (a, b) in enumerate(pieces):
            result.append(Phrase(a, b, number == 0, number == len(pieces) - 1))
    return result


def _split(
    words: Sequence[TimedWord], first: int, last: int, max_span_s: float
) -> list[tuple[int, int]]:
    if first == last or words[last].end - words[first].start <= max_span_s:
        return [(first, last)]
    cut = max(range(first, last), key=lambda i: _break_quality(words, i))
    return [*_split(words, first, cut, max_span_s), *_split(words, cut + 1, last, max_span_s)]


def _break_quality(words: Sequence[TimedWord], index: int) -> float:
    """How good a place after word ``index`` is to break: long pauses, punctuation."""
    pause = words[index + 1].start - words[index].end
    return pause + (0.3 if _SOFT_BREAK.search(words[index].text) else 0.0)


# --- cut placement -----------------------------------------------------------------------------


@dataclass(frozen=True)
class Quiet:
    """Which loudness frames are silence, relative to how loud the speech is."""

    curve: Loudness
    threshold_db: float

    @classmethod
    def of(cls, curve: Loudness | None) -> Quiet | None:
        voiced = sorted(level for level in (curve.db if curve else []) if level > FLOOR_DB)
        if curve is None or not voiced:
            return None
        typical = voiced[min(len(voiced) - 1, int(len(voiced) * 0.9))]
        return cls(curve, typical - QUIET_BELOW_SPEECH_DB)

    def frames(self, lo: float, hi: float) -> range:
        """Frames lying wholly inside [lo, hi]."""
        hop = self.curve.hop_s
        return range(math.ceil(lo / hop - 1e-9), math.floor(hi / hop + 1e-9))

    def is_quiet(self, frame: int) -> bool:
        return self.curve.at((frame + 0.5) * self.curve.hop_s) < self.threshold_db


def snap(seconds: float, lo: float, hi: float, frame_s: float | None) -> float:
    """``seconds`` on the frame grid, staying inside [lo, hi] when a frame lies there."""
    if not frame_s:
        return seconds
    snapped = round(seconds / frame_s) * frame_s
    if snapped < lo:
        snapped = math.ceil(lo / frame_s - 1e-9) * frame_s
    if snapped > hi:
        snapped = math.floor(hi / frame_s + 1e-9) * frame_s
    return round(snapped, 6)


class CutPlacer:
    """Where a clip starting before word ``i`` / ending after word ``i`` is cut.

    A scene cut (or a join of the edit) in the silence between the speech and the pad stops the
    pad there: a clip should not open or close on a few frames of the neighbouring shot.
    """

    def __init__(
        self,
        words: Sequence[TimedWord],
        duration_s: float,
        loudness: Loudness | None = None,
        frame_s: float | None = None,
        scene_cuts: Sequence[float] = (),
    ) -> None:
        self.words = words
        self.duration_s = duration_s
        self.frame_s = frame_s
        self.quiet = Quiet.of(loudness)
        self.scene_cuts = sorted(scene_cuts)

    def start_gap(self, index: int) -> tuple[float, float]:
        lo = self.words[index - 1].end if index > 0 else 0.0
        return lo, max(lo, self.words[index].start)

    def end_gap(self, index: int) -> tuple[float, float]:
        following = index + 1 < len(self.words)
        hi = self.words[index + 1].start if following else self.duration_s
        return self.words[index].end, max(self.words[index].end, hi)

    def before(self, index: int) -> float:
        lo, hi = self.start_gap(index)
        onset = hi
        if self.quiet is not None:
            quiet = [f for f in self.quiet.frames(lo, hi) if self.quiet.is_quiet(f)]
            if quiet:  # speech starts after the last quiet frame, maybe before Whisper said
                onset = min(hi, (quiet[-1] + 1) * self.quiet.curve.hop_s)
        floor = max([lo, *(cut for cut in self.scene_cuts if lo <= cut <= onset)])
        return snap(max(floor, onset - PAD_START_S), floor, hi, self.frame_s)

    def after(self, index: int) -> float:
        lo, hi = self.end_gap(index)
        speech_end = max(lo, self._speech_end(index))
        ceiling = min([hi, *(cut for cut in self.scene_cuts if speech_end <= cut <= hi)])
        return snap(min(ceiling, speech_end + PAD_END_S), lo, ceiling, self.frame_s)

    def _speech_end(self, index: int) -> float:
        """Where the audio of word ``index`` really stops: Whisper's word ends often run a few
        tenths into the silence (then the silence began earlier), or stop short of the audio."""
        lo, hi = self.end_gap(index)
        if self.quiet is None:
            return lo
        hop = self.quiet.curve.hop_s
        frame = math.floor(lo / hop - 1e-9)
        if self.quiet.is_quiet(frame):  # already silent at the word's end: since when?
            while frame - 1 >= self.words[index].start / hop and self.quiet.is_quiet(frame - 1):
                frame -= 1
            return frame * hop
        quiet = [f for f in self.quiet.frames(lo, hi) if self.quiet.is_quiet(f)]
        return max(lo, quiet[0] * hop) if quiet else lo
