"""YouTube video pages as run inputs: recognise them, and download them with yt-dlp if installed.

A ``watch``/``shorts``/``youtu.be`` URL is a web page, not a media file, so the plain downloader
would fetch HTML. yt-dlp is an *optional* dependency (``pip install yt-dlp``): it is imported
only when such a URL is used, and its absence is a clear 400 instead of "not decodable media".
The page URL has already passed the SSRF guard; yt-dlp then talks to YouTube's own (public)
hosts itself, bounded by the same size and time limits as any download.
"""

from __future__ import annotations

import importlib
import re
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

from tilework.config import Settings
from tilework.errors import PayloadTooLargeError, ValidationError
from tilework.net.download import DownloadResult

YOUTUBE_HOSTS = frozenset(
    {"youtube.com", "www.youtube.com", "m.youtube.com", "music.youtube.com", "youtu.be"}
)
_VIDEO_ID = re.compile(r"^[A-Za-z0-9_-]{11}$")
_PATH_FORMS = ("/shorts/", "/live/", "/embed/")


def video_id_of(url: str) -> str | None:
    """The 11-character video id of a YouTube video page URL, else ``None``."""
    try:
        parts = urlsplit(url.strip())
    except ValueError:
        return None
    host = (parts.hostname or "").lower()
    if parts.scheme not in ("http", "https") or host not in YOUTUBE_HOSTS:
        return None
    candidate = ""
    if host == "youtu.be":
        candidate = parts.path.strip("/").split("/", 1)[0]
    elif parts.path == "/watch":
        candidate = (parse_qs(parts.query).get("v") or [""])[0]
    else:
        for prefix in _PATH_FORMS:
            if parts.path.startswith(prefix):
                candidate = parts.path[len(prefix) :].split("/", 1)[0]
    return candidate if _VIDEO_ID.match(candidate) else None


def is_video_page(url: str) -> bool:
    return video_id_of(url) is not None


def download_video(url: str, dest_dir: Path, *, settings: Settings) -> DownloadResult:
    """Download the video of a YouTube page into ``dest_dir`` with yt-dlp (one progressive file)."""
    try:
        yt_dlp: Any = importlib.import_module("yt_dlp")
    except ImportError:
        raise ValidationError(
            f"{url} is a YouTube page, not a media file: downloading YouTube videos needs the "
            "optional yt-dlp package (pip install yt-dlp) on the server"
        ) from None
    options = {
        # One file with audio and video (no merge step), mp4 preferred, at most 1080p.
        "format": "b[ext=mp4][height<=1080]/b[height<=1080]/b",
        "outtmpl": str(dest_dir / "%(id)s.%(ext)s"),
        "noplaylist": True,
        "quiet": True,
        "no_warnings": True,
        "noprogress": True,
        "max_filesize": settings.max_download_bytes,
        "socket_timeout": settings.download_timeout_seconds,
    }
    try:
        with yt_dlp.YoutubeDL(options) as ydl:
            info = ydl.extract_info(url, download=True)
            path = Path(ydl.prepare_filename(info))
    except Exception as exc:  # yt-dlp raises its own DownloadError tree
        raise ValidationError(f"download of {url} with yt-dlp failed: {exc}") from None
    if not path.is_file():  # yt-dlp skips (without raising) a file over max_filesize
        raise PayloadTooLargeError(
            f"{url}: the video is over the download limit of {settings.max_download_bytes} bytes"
        )
    return DownloadResult(path, path.stat().st_size, None, path.name)
