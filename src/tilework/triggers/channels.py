"""What users type to name a YouTube channel, turned into a channel id (``UC`` + 22 characters).

Accepted: a bare id, ``youtube.com/channel/UC…`` (any subpage), the channel's feed URL,
``@handle`` and ``youtube.com/@handle``. A handle has no id in it, so it is resolved by reading
the channel page (``youtube_handle_url``, through the SSRF guard); when that page cannot be read
the request is refused, asking for the id. A video URL, a legacy ``/c/`` or ``/user/`` URL or
another site is refused with the reason: watching the wrong thing silently is worse than a 400.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from urllib.parse import parse_qs, quote, urlsplit

import httpx

from tilework.config import Settings
from tilework.errors import ValidationError
from tilework.net.guard import Resolver, guarded_client
from tilework.net.youtube import YOUTUBE_HOSTS, is_video_page

CHANNEL_ID = re.compile(r"^UC[A-Za-z0-9_-]{22}$")
HANDLE = re.compile(r"^@[A-Za-z0-9._-]{3,30}$")
_CHANNEL_HOSTS = YOUTUBE_HOSTS - {"youtu.be"}
_PAGE_LIMIT = 2 * 1024 * 1024  # a channel page is ~1 MB; the id is in its head
_MAX_REDIRECTS = 3
# Where a channel page states its own id, most specific first.
_ID_IN_PAGE = (
    re.compile(r'<link[^>]+rel="canonical"[^>]+href="[^"]*/channel/(UC[A-Za-z0-9_-]{22})"'),
    re.compile(
        r'<meta[^>]+itemprop="(?:channelId|identifier)"[^>]+content="(UC[A-Za-z0-9_-]{22})"'
    ),
    re.compile(r'"externalId"\s*:\s*"(UC[A-Za-z0-9_-]{22})"'),
    re.compile(r'"channelId"\s*:\s*"(UC[A-Za-z0-9_-]{22})"'),
)


@dataclass(frozen=True)
class ChannelRef:
    """A parsed reference: the id when the text carries one, else the handle to resolve."""

    text: str
    channel_id: str | None = None
    handle: str | None = None  # "@name"


def parse_channel_ref(text: str) -> ChannelRef:
    """Parse one entry of ``youtube_channels`` (no network); raises ``ValidationError``."""
    raw = text.strip()
    if CHANNEL_ID.match(raw):
        return ChannelRef(raw, channel_id=raw)
    if HANDLE.match(raw):
        return ChannelRef(raw, handle=raw)
    if raw.startswith("@"):
        raise ValidationError(f"youtube_channels: {text!r} is not a valid YouTube handle")
    return _parse_url(text, raw)


def _parse_url(text: str, raw: str) -> ChannelRef:
    url = raw if "://" in raw else f"https://{raw}"
    try:
        parts = urlsplit(url)
        host = (parts.hostname or "").lower()
    except ValueError:
        raise ValidationError(f"youtube_channels: {text!r} is not a channel id or URL") from None
    if parts.scheme not in ("http", "https") or host not in YOUTUBE_HOSTS:
        raise ValidationError(
            f"youtube_channels: {text!r} is not a YouTube channel: give a channel id (UC…), "
            "a https://www.youtube.com/channel/UC… URL or an @handle"
        )
    if is_video_page(url) or host == "youtu.be":
        raise ValidationError(
            f"youtube_channels: {text!r} is a video URL, not a channel: give the channel's id "
            "(UC…), its /channel/ URL or its @handle"
        )
    segments = [part for part in parts.path.split("/") if part]
    first = segments[0] if segments else ""
    second = segments[1] if len(segments) > 1 else ""
    if host in _CHANNEL_HOSTS and first == "channel" and CHANNEL_ID.match(second):
        return ChannelRef(text, channel_id=second)
    if host in _CHANNEL_HOSTS and first == "feeds":
        feed_id = (parse_qs(parts.query).get("channel_id") or [""])[0]
        if CHANNEL_ID.match(feed_id):
            return ChannelRef(text, channel_id=feed_id)
    if host in _CHANNEL_HOSTS and HANDLE.match(first):
        return ChannelRef(text, handle=first)
    if first in ("c", "user"):
        raise ValidationError(
            f"youtube_channels: {text!r} is a legacy custom URL whose channel cannot be looked "
            "up: give the channel id (UC…) or its @handle"
        )
    raise ValidationError(
        f"youtube_channels: {text!r} is not a YouTube channel URL: give a channel id (UC…), "
        "a https://www.youtube.com/channel/UC… URL or an @handle"
    )


def resolve_handle(handle: str, settings: Settings, resolver: Resolver | None = None) -> str:
    """The channel id of ``@handle``, read from its channel page; 400 when that is not possible."""
    url = settings.youtube_handle_url.format(handle=quote(handle.lstrip("@")))
    advice = "give the channel id (UC…) or its https://www.youtube.com/channel/UC… URL instead"
    try:
        page = _read_page(url, settings, resolver)
    except (ValidationError, httpx.HTTPError) as exc:
        detail = exc.detail if isinstance(exc, ValidationError) else str(exc) or type(exc).__name__
        raise ValidationError(
            f"youtube_channels: cannot resolve {handle} to a channel id ({detail}); {advice}"
        ) from None
    found = channel_id_in_page(page)
    if found is None:
        raise ValidationError(
            f"youtube_channels: no channel id found on the page of {handle}; {advice}"
        )
    return found


def channel_id_in_page(page: str) -> str | None:
    for pattern in _ID_IN_PAGE:
        match = pattern.search(page)
        if match:
            return match.group(1)
    return None


def _read_page(url: str, settings: Settings, resolver: Resolver | None) -> str:
    timeout = min(settings.download_timeout_seconds, 20.0)
    client = guarded_client(
        allow_private=settings.allow_private_urls, timeout=timeout, resolver=resolver
    )
    current = httpx.URL(url)
    with client:
        for _hop in range(_MAX_REDIRECTS + 1):
            # A cookie saying "consent given" spares the EU consent interstitial.
            response = client.get(current, headers={"Cookie": "CONSENT=YES+1"})
            location = response.headers.get("location")
            if response.is_redirect and location:
                current = current.join(location)
                continue
            if not response.is_success:
                raise ValidationError(f"{current} answered HTTP {response.status_code}")
            return response.content[:_PAGE_LIMIT].decode("utf-8", errors="replace")
    raise ValidationError(f"{url}: too many redirects")
