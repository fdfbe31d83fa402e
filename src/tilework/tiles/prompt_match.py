"""How well each sentence of a transcript matches a Clips prompt: by meaning, or by keywords.

Two rankings, one shape of answer (``PromptMatch``: a relevance and a yes/no per sentence):

- **semantic** (with the ``tilework[semantic]`` extra): the cosine similarity between the
  prompt's and the sentence's all-MiniLM-L6-v2 embeddings. "how much it costs" finds "the price
  is twelve dollars". A sentence *matches* when its similarity is at least ``MIN_SIMILARITY``.
- **bm25** (the fallback): Okapi BM25 of the prompt's keywords (stemmed, stop words dropped, as in
  ``transcript_cuts.normalise``) over the sentences, divided by the best score. A sentence
  matches when it contains a keyword of the prompt.

Pure logic on vectors and tokens; the Clips tile computes the embeddings (cached per source).
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

import numpy as np

from tilework.tiles.transcript_cuts import TimedWord, normalise, sentences

RankingMode = Literal["semantic", "bm25"]

# all-MiniLM-L6-v2 cosine similarity below which a sentence is not about the prompt. Paraphrases
# of a sentence's topic score about 0.3-0.6 against it; sentences on other topics stay under
# about 0.2 (measured on the six-topic test clip: tests/integration/media/test_clips_prompt.py).
MIN_SIMILARITY = 0.25
BM25_K1 = 1.2
BM25_B = 0.75


@dataclass(frozen=True)
class PromptMatch:
    mode: RankingMode
    relevance: tuple[float, ...]  # per sentence, 0..1 (see semantic_match and bm25_match)
    raw: tuple[float, ...]  # per sentence: cosine similarity, or BM25 score
    matched: tuple[bool, ...]  # per sentence: about the prompt
    best: float  # the best raw score: cosine similarity, or BM25 score
    threshold: float  # what a sentence's raw score must reach to match

    @property
    def any_matched(self) -> bool:
        return any(self.matched)


def semantic_match(sentence_vectors: np.ndarray, prompt_vector: np.ndarray) -> PromptMatch:
    """Cosine similarity of unit-length ``sentence_vectors`` (rows) to the prompt's vector.

    A sentence matches when its similarity reaches ``MIN_SIMILARITY``. Its relevance is its
    similarity relative to this video: 0 at the median sentence (how close any talk gets to
    this prompt), 1 at the best. Raw cosines sit in a narrow band (0.1-0.5), in which the
    other signals would drown which sentence is really about the prompt.
    """
    if sentence_vectors.size == 0:
        return PromptMatch("semantic", (), (), (), 0.0, MIN_SIMILARITY)
    similarity = sentence_vectors @ prompt_vector
    best, typical = float(similarity.max()), float(np.median(similarity))
    spread = best - typical
    relevance = tuple(
        float(np.clip((s - typical) / spread, 0.0, 1.0)) if spread > 0 else 0.0 for s in similarity
    )
    matched = tuple(bool(s >= MIN_SIMILARITY) for s in similarity)
    raw = tuple(float(s) for s in similarity)
    return PromptMatch("semantic", relevance, raw, matched, best, MIN_SIMILARITY)


def bm25_match(sentence_tokens: Sequence[Sequence[str]], keywords: frozenset[str]) -> PromptMatch:
    """BM25 of ``keywords`` over the sentences (each a list of stems)."""
    scores = bm25_scores(sentence_tokens, keywords)
    best = max(scores, default=0.0)
    relevance = tuple(score / best if best > 0 else 0.0 for score in scores)
    matched = tuple(s > 0 for s in scores)
    return PromptMatch("bm25", relevance, tuple(scores), matched, best, 0.0)


def bm25_scores(documents: Sequence[Sequence[str]], query: frozenset[str]) -> list[float]:
    """Okapi BM25 with Lucene's idf, ``ln(1 + (N - n + 0.5) / (n + 0.5))``, which stays positive
    for a term found in most sentences (the classic idf turns negative there, and a short clip
    has few sentences): a sentence scores above zero exactly when it holds a query term."""
    count = len(documents)
    if count == 0 or not query:
        return [0.0] * count
    average = sum(len(d) for d in documents) / count or 1.0
    holding = Counter(term for d in documents for term in set(d) & query)
    idf = {t: math.log(1 + (count - n + 0.5) / (n + 0.5)) for t, n in holding.items()}
    scores = []
    for document in documents:
        frequencies = Counter(t for t in document if t in idf)
        norm = BM25_K1 * (1 - BM25_B + BM25_B * len(document) / average)
        scores.append(sum(idf[t] * f * (BM25_K1 + 1) / (f + norm) for t, f in frequencies.items()))
    return scores


@dataclass(frozen=True)
class WordRelevance:
    """A ``PromptMatch`` spread over the words: each word counts as its sentence does."""

    match: PromptMatch
    scores: tuple[float, ...]  # per word: its sentence's relevance
    raw: tuple[float, ...]  # per word: its sentence's similarity (or BM25 score)
    matched: tuple[bool, ...]  # per word

    @classmethod
    def of(cls, match: PromptMatch, sentence_of_word: Sequence[int]) -> WordRelevance:
        return cls(
            match,
            tuple(match.relevance[s] for s in sentence_of_word),
            tuple(match.raw[s] for s in sentence_of_word),
            tuple(match.matched[s] for s in sentence_of_word),
        )

    @property
    def any_matched(self) -> bool:
        return any(self.matched)


def keyword_relevance(words: Sequence[TimedWord], wanted: frozenset[str]) -> WordRelevance:
    """BM25 over the sentences of ``words`` (the fallback ranking)."""
    spans = sentences(words)
    tokens = [[stem for w in words[a : b + 1] if (stem := normalise(w.text))] for a, b in spans]
    owner = [index for index, (a, b) in enumerate(spans) for _ in range(a, b + 1)]
    return WordRelevance.of(bm25_match(tokens, wanted), owner)
