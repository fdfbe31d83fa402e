"""Matching a Clips prompt to sentences (BM25, semantic) and what the selection does with it."""

from __future__ import annotations

import numpy as np
import pytest

from tests.unit.media.test_clips_selection import STORY, loud_curve, talk
from tilework.tiles.clips_status import describe
from tilework.tiles.highlights import Signals, select_highlights
from tilework.tiles.prompt_match import (
    MIN_SIMILARITY,
    WordRelevance,
    bm25_match,
    bm25_scores,
    keyword_relevance,
    semantic_match,
)
from tilework.tiles.transcript_cuts import keywords, sentences


def test_bm25_scores_only_sentences_holding_a_query_term() -> None:
    docs = [["pasta", "tomato"], ["volcano", "lava", "volcano"], ["lava", "field", "black"], []]
    scores = bm25_scores(docs, frozenset({"volcano", "lava"}))
    assert scores[0] == 0.0 and scores[3] == 0.0
    assert scores[1] > scores[2] > 0  # both terms, one twice, beats one term
    assert bm25_scores(docs, frozenset()) == [0.0] * 4
    assert bm25_scores([], frozenset({"x"})) == []


def test_bm25_idf_stays_positive_when_most_sentences_hold_the_term() -> None:
    # the classic idf, ln((N - n + 0.5) / (n + 0.5)), is negative here; Lucene's is not
    scores = bm25_scores([["lava"], ["lava", "rock"], ["sea"]], frozenset({"lava"}))
    assert scores[0] > 0 and scores[1] > 0 and scores[2] == 0


def test_bm25_match_is_relative_to_the_best_sentence() -> None:
    match = bm25_match([["a"], ["b", "b"], ["c"]], frozenset({"b", "a"}))
    assert match.mode == "bm25" and match.matched == (True, True, False)
    assert max(match.relevance) == 1.0 and match.relevance[2] == 0.0
    assert match.best == max(match.raw) > 0


def unit(*values: float) -> np.ndarray:
    vector = np.array(values, dtype=np.float32)
    return vector / np.linalg.norm(vector)


def test_semantic_match_thresholds_the_cosine_and_ranks_against_the_median() -> None:
    prompt = unit(1, 0, 0)
    rows = np.stack([unit(1, 0.2, 0), unit(0.3, 1, 0), unit(0, 1, 0), unit(0.1, 0, 1)])
    match = semantic_match(rows, prompt)
    cosines = rows @ prompt
    assert match.raw == pytest.approx(tuple(cosines))
    assert match.matched == tuple(bool(c >= MIN_SIMILARITY) for c in cosines)
    assert match.matched == (True, True, False, False)
    assert match.relevance[0] == 1.0 and match.relevance[2] == 0.0  # best, below the median
    assert 0 < match.relevance[1] < 1
    assert match.best == pytest.approx(float(cosines.max()))
    empty = semantic_match(np.zeros((0, 3), dtype=np.float32), prompt)
    assert not empty.any_matched and empty.threshold == MIN_SIMILARITY


def relevance_for(words_sentences: list[tuple[int, int]], similarity: list[float]) -> WordRelevance:
    """A semantic match of given per-sentence cosines (as if embedded), spread over words."""
    prompt = unit(1, 0)
    rows = np.stack([unit(s, float(np.sqrt(max(0.0, 1 - s * s)))) for s in similarity])
    owner = [n for n, (a, b) in enumerate(words_sentences) for _ in range(a, b + 1)]
    return WordRelevance.of(semantic_match(rows, prompt), owner)


def test_only_clips_holding_a_matching_sentence_are_kept() -> None:
    words = talk(*STORY)
    duration = words[-1].end + 1.0
    spans = sentences(words)
    # only the volcano sentence (index 3) is about the prompt; the lava one (4) nearly
    relevance = relevance_for(spans, [0.05, 0.1, 0.0, 0.6, 0.2, 0.05])
    picked = select_highlights(
        words,
        Signals(duration, loud_curve(words, duration)),
        prompt="mountains that spit fire",
        num_clips=3,
        target_s=4.5,
        relevance=relevance,
    )
    assert len(picked.highlights) == 1
    assert picked.highlights[0].text == STORY[3]
    assert "about the prompt (similarity 0.60)" in picked.highlights[0].reason
    message = describe(picked, num_clips=3, target_s=4.5, duration_s=duration)
    assert message.startswith("asked for 3, found 1: only 1 non-overlapping clip of about 4.5 s")
    assert "sentence similarity at least 0.25" in message and "ranked by meaning" in message


def test_the_clip_mostly_about_the_prompt_beats_one_straddling_two_topics() -> None:
    words = talk(*STORY)
    duration = words[-1].end + 1.0
    spans = sentences(words)
    relevance = relevance_for(spans, [0.0, 0.45, 0.3, 0.05, 0.0, 0.1])  # cooking: 1 and 2
    picked = select_highlights(
        words,
        Signals(duration, loud_curve(words, duration)),
        prompt="making dinner",
        num_clips=1,
        target_s=9.0,
        relevance=relevance,
    )
    assert picked.highlights[0].text == f"{STORY[1]} {STORY[2]}"


def test_nothing_matching_gives_no_clip_even_for_a_short_video() -> None:
    words = talk(*STORY[:2])
    relevance = relevance_for(sentences(words), [0.1, 0.12])
    for duration in (words[-1].end + 1.0, 60.0):  # the second is shorter than the target
        picked = select_highlights(
            words,
            Signals(duration),
            prompt="hospital doctors",
            num_clips=2,
            target_s=30.0,
            relevance=relevance,
        )
        assert picked.highlights == []
        message = describe(picked, num_clips=2, target_s=30.0, duration_s=duration)
        assert message == (
            "no clips: nothing said in the video matches the prompt (best sentence similarity "
            "0.12; a clip needs one of at least 0.25)"
        )


def test_a_prompt_without_speech_gives_no_clip_rather_than_scene_clips() -> None:
    picked = select_highlights(
        [], Signals(12.0, scene_cuts=(3.0, 6.0)), prompt="volcano", num_clips=2, target_s=3.0
    )
    assert picked.highlights == []
    message = describe(picked, num_clips=2, target_s=3.0, duration_s=12.0)
    assert message == "no clips: no speech was found, so nothing matches the prompt"


def test_a_prompt_of_only_filler_words_counts_as_no_prompt() -> None:
    words = talk(*STORY)
    duration = words[-1].end + 1.0
    assert keywords("show me the best moments") == frozenset()
    picked = select_highlights(
        words, Signals(duration), prompt="show me the best moments", num_clips=2, target_s=4.0
    )
    assert len(picked.highlights) == 2 and picked.relevance is None


def test_keyword_relevance_counts_words_by_their_sentence() -> None:
    words = talk(*STORY)
    relevance = keyword_relevance(words, keywords("volcanoes"))
    volcano_sentence = sentences(words)[3]
    for index, matched in enumerate(relevance.matched):
        assert matched == (volcano_sentence[0] <= index <= volcano_sentence[1])
