"""A channel's public Atom feed (``/feeds/videos.xml?channel_id=…``): fetch it and read its videos.

The bytes are fetched here through the SSRF guard and only then handed to ``feedparser`` (which
would otherwise fetch URLs itself, past the guard). YouTube's feed lists the newest ~15 uploads,
newest first; each entry carries ``yt:videoId``, ``yt:channelId``, a title, a published time
and a ``media:group``. YouTube's own feed has no duration; a feed that has one (``duration`` on
``media:content``, or ``yt:duration seconds``) lets the duration filter skip a video before it is
downloaded.
"""

from __future__ import annotations

import calendar
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import feedparser
import httpx

from tilework.config import Settings
from tilework.errors import ValidationError
from tilework.net.guard import Resolver, guarded_client

MAX_FEED_BYTES = 5 * 1024 * 1024
FEED_TIMEOUT_SECONDS = 20.0


@dataclass(frozen=True)
class FeedVideo:
    video_id: str
    channel_id: str | None
    title: str
    published_at: datetime | None
    duration_s: float | None  # when the feed states it


@dataclass(frozen=True)
class Feed:
    channel_name: str | None
    videos: list[FeedVideo]  # newest first


def feed_url(settings: Settings, channel_id: str) -> str:
    return settings.youtube_feed_url.format(channel_id=channel_id)


def fetch_feed(settings: Settings, channel_id: str, resolver: Resolver | None = None) -> Feed:
    """GET the channel's feed and parse it; any failure is a ``ValidationError`` with the reason."""
    url = feed_url(settings, channel_id)
    client = guarded_client(
        allow_private=settings.allow_private_urls,
        timeout=min(settings.download_timeout_seconds, FEED_TIMEOUT_SECONDS),
        resolver=resolver,
    )
    try:
        with client, client.stream("GET", url) as response:
            if not response.is_success:
                raise ValidationError(f"feed {url} answered HTTP {response.status_code}")
            body = bytearray()
            for chunk in response.iter_bytes():
                body += chunk
                if len(body) > MAX_FEED_BYTES:
                    raise ValidationError(f"feed {url} is larger than {MAX_FEED_BYTES} bytes")
    except httpx.HTTPError as exc:
        reason = str(exc) or type(exc).__name__
        raise ValidationError(f"feed {url} could not be read: {reason}") from None
    return parse_feed(bytes(body))


def parse_feed(document: bytes) -> Feed:
    parsed: Any = feedparser.parse(document)
    if parsed.bozo and not parsed.entries and not parsed.feed:
        raise ValidationError(f"not a feed: {parsed.get('bozo_exception')}")
    videos = [video for entry in parsed.entries if (video := _video(entry)) is not None]
    videos.sort(key=lambda v: v.published_at or datetime.min.replace(tzinfo=UTC), reverse=True)
    title = parsed.feed.get("title") or parsed.feed.get("author")
    return Feed(channel_name=str(title) if title else None, videos=videos)


def _video(entry: Any) -> FeedVideo | None:
    video_id = entry.get("yt_videoid")
    if not video_id:  # a plain Atom entry: the id is "yt:video:<id>" on YouTube
        entry_id = str(entry.get("id") or "")
        video_id = entry_id.removeprefix("yt:video:") if entry_id.startswith("yt:video:") else None
    if not video_id:
        return None
    return FeedVideo(
        video_id=str(video_id),
        channel_id=entry.get("yt_channelid"),
        title=str(entry.get("title") or ""),
        published_at=_time(entry.get("published_parsed") or entry.get("updated_parsed")),
        duration_s=_duration(entry),
    )


def _time(parsed: Any) -> datetime | None:
    if parsed is None:
        return None
    return datetime.fromtimestamp(calendar.timegm(parsed), UTC)


def _duration(entry: Any) -> float | None:
    candidates: list[Any] = [item.get("duration") for item in entry.get("media_content") or []]
    yt_duration = entry.get("yt_duration")
    if isinstance(yt_duration, dict):
        candidates.append(yt_duration.get("seconds"))
    for value in candidates:
        try:
            seconds = float(value)
        except (TypeError, ValueError):
            continue
        if seconds > 0:
            return seconds
    return None
