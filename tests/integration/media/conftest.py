"""Tiny generated clips shared by the media integration tests (made once per module)."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.support.media import requires_ffmpeg
from tilework.config import Settings
from tilework.media.runner import FFmpegRunner
from tilework.media.samples import make_sample_clip

pytestmark = requires_ffmpeg


@pytest.fixture(scope="module")
def clips(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    folder = tmp_path_factory.mktemp("clips")
    return {
        "tone": make_sample_clip("ffmpeg", folder / "tone.mp4", seconds=3.0),
        "silent": make_sample_clip(
            "ffmpeg", folder / "silent.mp4", seconds=2.0, width=160, height=90, audio=None
        ),
    }


@pytest.fixture
def runner(settings: Settings) -> FFmpegRunner:
    return FFmpegRunner(settings)
