"""The Clips tile's selection logic on synthetic transcripts (no media)."""

from __future__ import annotations

import itertools

import pytest
from pydantic import ValidationError as PydanticError

from tilework.analysis.energy import FLOOR_DB, Loudness
from tilework.tiles.clips import CLIPS_TYPE_ID, ClipsParams, ClipsTile
from tilework.tiles.clips_status import describe
from tilework.tiles.highlights import Signals, select_highlights, tolerance
from tilework.tiles.transcript_cuts import TimedWord, keywords, normalise, phrases, sentences

WORD_S = 0.4  # each synthetic word lasts 0.4 s, words 0.1 s apart, sentences 1 s apart


def talk(*lines: str, start: float = 0.5, pause: float = 1.0) -> list[TimedWord]:
    """Words of ``lines`` (one sentence each) laid out in time."""
    words, t = [], start
    for line in lines:
        for token in line.split():
            words.append(TimedWord(round(t, 3), round(t + WORD_S, 3), token))
            t += WORD_S + 0.1
        t += pause - 0.1
    return words


def loud_curve(words: list[TimedWord], duration: float, level: float = -20.0) -> Loudness:
    """Speech at ``level`` dB exactly where the words are, digital silence elsewhere."""
    hop = 0.1
    db = []
    for frame in range(round(duration / hop)):
        middle = (frame + 0.5) * hop
        inside = any(w.start <= middle < w.end for w in words)
        db.append(level if inside else FLOOR_DB)
    return Loudness(hop_s=hop, db=db)


def inside_a_word(t: float, words: list[TimedWord]) -> bool:
    return any(w.start + 1e-6 < t < w.end - 1e-6 for w in words)


STORY = (
    "Welcome back to the channel everyone.",
    "Today we are cooking pasta with fresh tomatoes.",
    "First boil the water and add some salt.",
    "Then we hiked up the old volcano near town.",
    "The lava fields were black and very quiet.",
    "Thanks for watching and see you soon.",
)


def test_normalise_strips_case_punctuation_plurals_and_ing() -> None:
    assert normalise("Volcanoes!") == normalise("volcano") == normalise("VOLCANO,")
    assert normalise("cooking") == normalise("cook")
    assert normalise("running") == normalise("run")
    assert normalise("making") == normalise("make")
    assert normalise("boxes") == normalise("box")
    assert normalise("stories") == normalise("story")
    assert normalise("glass") == "glass"
    assert normalise("the") is None and normalise("...") is None
    assert keywords("Show me the moments about volcanoes and lava") == {
        normalise("volcano"),
        normalise("lava"),
    }


def test_sentences_split_on_punctuation_and_long_pauses() -> None:
    words = talk("One two three.", "four five")
    words.append(TimedWord(words[-1].end + 0.8, words[-1].end + 1.2, "six"))  # pause, no period
    assert sentences(words) == [(0, 2), (3, 4), (5, 5)]


def test_long_sentences_are_split_at_a_comma_or_pause() -> None:
    words = talk("alpha beta gamma delta, epsilon zeta eta theta iota kappa")
    pieces = phrases(words, max_span_s=2.5)
    assert next((p.first, p.last) for p in pieces) == (0, 3)  # after "delta,"
    assert all(words[p.last].end - words[p.first].start <= 2.5 for p in pieces)
    assert pieces[0].starts_sentence and not pieces[0].ends_sentence
    assert pieces[-1].ends_sentence


def test_prompt_keyword_ranks_its_sentence_first_and_cuts_fall_in_silence() -> None:
    words = talk(*STORY)
    duration = words[-1].end + 1.0
    signals = Signals(duration, loud_curve(words, duration), frame_s=0.04)
    picked = select_highlights(words, signals, prompt="volcanoes", num_clips=3, target_s=5.0)
    assert picked.mode == "speech"
    best = picked.highlights[0]
    assert "volcano" in best.text and "mentions 'volcano'" in best.reason
    assert [h.score for h in picked.highlights] == sorted(
        (h.score for h in picked.highlights), reverse=True
    )
    for h in picked.highlights:
        assert not inside_a_word(h.start_s, words) and not inside_a_word(h.end_s, words)
        assert abs(h.start_s / 0.04 - round(h.start_s / 0.04)) < 1e-6  # on a frame
        assert abs(h.duration_s - 5.0) <= tolerance(5.0)
        first, last = h.words or (0, 0)
        assert h.start_s < words[first].start and h.end_s > words[last].end  # padded


def test_clips_share_no_words_and_respect_the_target() -> None:
    words = talk(*STORY, *STORY)
    duration = words[-1].end + 1.0
    signals = Signals(duration, loud_curve(words, duration))
    for target in (4.0, 8.0, 12.0):
        picked = select_highlights(words, signals, prompt="", num_clips=20, target_s=target)
        spans = sorted(h.words or (0, 0) for h in picked.highlights)
        assert all(a[1] < b[0] for a, b in itertools.pairwise(spans))
        by_time = sorted(picked.highlights, key=lambda h: h.start_s)
        assert all(a.end_s <= b.start_s for a, b in itertools.pairwise(by_time))
        assert all(abs(h.duration_s - target) <= tolerance(target) for h in picked.highlights)
        covered = sum(h.duration_s for h in picked.highlights)
        assert 1 < len(picked.highlights) < 20 and covered <= duration


def test_without_a_curve_cuts_still_avoid_words() -> None:
    words = talk(*STORY, pause=0.3)  # short pauses: neighbouring pads must not overlap
    picked = select_highlights(
        words, Signals(words[-1].end + 0.5), prompt="", num_clips=4, target_s=6.0
    )
    assert picked.highlights
    for h in picked.highlights:
        assert not inside_a_word(h.start_s, words) and not inside_a_word(h.end_s, words)


def test_lively_speech_wins_without_a_prompt() -> None:
    words = talk(*STORY[:4])
    duration = words[-1].end + 1.0
    curve = loud_curve(words, duration, level=-30.0)
    third = sentences(words)[2]
    loud_from, loud_to = words[third[0]].start, words[third[1]].end
    db = [
        -12.0 if loud_from <= (i + 0.5) * 0.1 < loud_to and level > FLOOR_DB else level
        for i, level in enumerate(curve.db)
    ]
    signals = Signals(duration, Loudness(hop_s=0.1, db=db))
    picked = select_highlights(words, signals, prompt="", num_clips=1, target_s=4.0)
    assert picked.highlights[0].text == STORY[2]
    assert "lively speech" in picked.highlights[0].reason


def test_a_scene_cut_just_before_a_sentence_is_a_bonus() -> None:
    words = talk("one two three four.", "five six seven eight.", "nine ten eleven twelve.")
    duration = words[-1].end + 1.0
    second = words[4].start
    with_cut = Signals(duration, scene_cuts=(second - 0.3,))
    picked = select_highlights(words, with_cut, prompt="", num_clips=1, target_s=2.5)
    assert picked.highlights[0].text == "five six seven eight."
    assert "scene cut" in picked.highlights[0].reason


def test_long_pauses_count_against_a_window() -> None:
    gappy = talk("one two three.") + talk("four five six.", start=4.0)  # 2.1 s pause inside
    steady = talk("seven eight nine ten eleven twelve thirteen.", start=gappy[-1].end + 3.0)
    words = gappy + steady
    duration = words[-1].end + 1.0
    picked = select_highlights(words, Signals(duration), prompt="", num_clips=1, target_s=5.0)
    assert picked.highlights[0].text.startswith("seven")


def test_short_source_passes_through_whole() -> None:
    words = talk("just one sentence here.")
    picked = select_highlights(words, Signals(3.0), prompt="x", num_clips=4, target_s=10.0)
    assert picked.mode == "whole" and len(picked.highlights) == 1
    (whole,) = picked.highlights
    assert (whole.start_s, whole.end_s, whole.text) == (0.0, 3.0, "just one sentence here.")
    message = describe(picked, num_clips=4, target_s=10.0, duration_s=3.0)
    assert "passed through as one clip" in message


def test_too_many_clips_are_reduced_and_the_message_says_so() -> None:
    words = talk(*STORY[:3])
    duration = words[-1].end + 1.0
    picked = select_highlights(words, Signals(duration), prompt="", num_clips=5, target_s=4.0)
    found = len(picked.highlights)
    assert 1 <= found < 5
    assert f"asked for 5, found {found}" in describe(
        picked, num_clips=5, target_s=4.0, duration_s=duration
    )


def test_no_speech_follows_scene_cuts_or_splits_evenly() -> None:
    cut = Signals(12.0, scene_cuts=(3.0, 6.2, 9.0), frame_s=0.04)
    picked = select_highlights([], cut, prompt="", num_clips=5, target_s=3.0)
    assert picked.mode == "scenes" and picked.notes == ["no speech was found"]
    assert sorted((h.start_s, h.end_s) for h in picked.highlights) == [
        (0.0, 3.0),
        (3.0, 6.2),
        (6.2, 9.0),
        (9.0, 12.0),
    ]
    even = select_highlights([], Signals(10.0), prompt="", num_clips=2, target_s=3.0)
    assert even.mode == "even" and len(even.highlights) == 2
    message = describe(even, num_clips=2, target_s=3.0, duration_s=10.0)
    assert "no speech was found" in message and "split evenly" in message


def test_a_prompt_nobody_said_gives_no_clip_and_says_so() -> None:
    words = talk(*STORY)
    duration = words[-1].end + 1.0
    picked = select_highlights(words, Signals(duration), prompt="giraffe", num_clips=1, target_s=5)
    assert picked.highlights == [] and not picked.keywords_heard
    message = describe(picked, num_clips=1, target_s=5, duration_s=duration)
    assert message.startswith("no clips: no word of the prompt was heard")
    assert "tilework[semantic]" in message


def test_clips_params_and_identity() -> None:
    tile = ClipsTile()
    assert tile.type_id == CLIPS_TYPE_ID == "bcc5cb04-76b7-48e9-a344-0e8a29c19be0"
    assert (tile.name, tile.slug) == ("Clips", "clips")
    assert tile.parse_params({}) == ClipsParams(prompt="", num_clips=3, target_duration=30.0)
    for bad in ({"num_clips": 0}, {"num_clips": 21}, {"target_duration": 0.5}):
        with pytest.raises(PydanticError):
            tile.parse_params(bad)
    with pytest.raises(PydanticError):
        tile.parse_params({"target_duration": 301})
    assert {"prompt", "num_clips", "target_duration"} <= set(tile.params_schema()["properties"])


def test_whole_sentences_beat_pieces_of_a_long_one() -> None:
    words = talk(
        "this first sentence rambles on and on, well past the length anybody wanted",
        "short and complete sentence here now.",
    )
    duration = words[-1].end + 1.0
    picked = select_highlights(words, Signals(duration), prompt="", num_clips=1, target_s=3.0)
    assert picked.highlights[0].text == "short and complete sentence here now."
    assert "whole sentences" in picked.highlights[0].reason


def test_pads_stop_at_a_scene_cut_in_the_pause() -> None:
    words = talk("one two three four.", "five six seven eight.", pause=1.0)
    duration = words[-1].end + 1.0
    join = words[4].start - 0.08  # the shot changes just before "five"
    signals = Signals(duration, loud_curve(words, duration), scene_cuts=(join,), frame_s=0.04)
    picked = select_highlights(words, signals, prompt="five", num_clips=1, target_s=2.5)
    assert picked.highlights[0].start_s == pytest.approx(join, abs=0.021)
    ends_before = Signals(duration, scene_cuts=(words[3].end + 0.04,), frame_s=0.04)
    picked = select_highlights(words, ends_before, prompt="three", num_clips=1, target_s=2.5)
    assert picked.highlights[0].end_s == pytest.approx(words[3].end + 0.04, abs=0.021)
