"""YouTube video pages as inputs: recognised, and refused clearly when yt-dlp is not installed."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import pytest

from tilework.config import Settings
from tilework.errors import ValidationError
from tilework.net.youtube import download_video, video_id_of


@pytest.mark.parametrize(
    "url",
    [
        "https://www.youtube.com/watch?v=dQw4w9WgXcQ",
        "https://youtube.com/watch?v=dQw4w9WgXcQ&t=42",
        "https://m.youtube.com/watch?feature=share&v=dQw4w9WgXcQ",
        "https://youtu.be/dQw4w9WgXcQ?si=abc",
        "https://www.youtube.com/shorts/dQw4w9WgXcQ",
        "https://www.youtube.com/live/dQw4w9WgXcQ",
    ],
)
def test_video_pages_are_recognised(url: str) -> None:
    assert video_id_of(url) == "dQw4w9WgXcQ"


@pytest.mark.parametrize(
    "url",
    [
        "https://www.youtube.com/channel/UCBJycsmduvYEL83R_U4JriQ",
        "https://www.youtube.com/watch?v=short",
        "https://example.com/watch?v=dQw4w9WgXcQ",
        "http://127.0.0.1:8000/videos/dQw4w9WgXcQ.mp4",
        "ftp://youtu.be/dQw4w9WgXcQ",
    ],
)
def test_other_urls_are_not_video_pages(url: str) -> None:
    assert video_id_of(url) is None


@pytest.mark.skipif(
    importlib.util.find_spec("yt_dlp") is not None, reason="yt-dlp is installed here"
)
def test_without_yt_dlp_a_video_page_is_refused_with_the_fix(tmp_path: Path) -> None:
    with pytest.raises(ValidationError, match=r"needs the optional yt-dlp package"):
        download_video(
            "https://www.youtube.com/watch?v=dQw4w9WgXcQ",
            tmp_path,
            settings=Settings(data_dir=tmp_path),
        )
