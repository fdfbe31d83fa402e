"""Download a user-supplied URL to a file, through the SSRF guard, within size and time limits.

Redirects are followed by hand (at most ``MAX_REDIRECTS``) so every hop goes back through the
guard; any answer other than 2xx or a redirect is refused with the status it carried. The whole
download must finish within ``download_timeout_seconds`` (each network step has that bound too).
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from email.message import Message
from pathlib import Path
from urllib.parse import unquote

import httpx

from tilework.config import Settings
from tilework.errors import PayloadTooLargeError, ValidationError
from tilework.net.guard import Resolver, guarded_client

MAX_REDIRECTS = 5
_REDIRECTS = frozenset({301, 302, 303, 307, 308})
_CHUNK = 1024 * 1024
# Media is stored as sent; asking for no compression keeps the size limit about bytes on disk.
_HEADERS = {"Accept-Encoding": "identity"}


@dataclass(frozen=True)
class DownloadResult:
    path: Path
    size_bytes: int
    content_type: str | None  # media type only, e.g. "video/mp4"
    filename: str | None  # from Content-Disposition, else the last path segment of the URL


def download(
    url: str, dest: Path, *, settings: Settings, resolver: Resolver | None = None
) -> DownloadResult:
    """Stream ``url`` into ``dest``; on failure ``dest`` is removed and a TileworkError raised."""
    deadline = time.monotonic() + settings.download_timeout_seconds
    client = guarded_client(
        allow_private=settings.allow_private_urls,
        timeout=settings.download_timeout_seconds,
        resolver=resolver,
    )
    try:
        with client:
            return _follow(client, url, dest, settings.max_download_bytes, deadline)
    except httpx.TimeoutException:
        dest.unlink(missing_ok=True)
        raise ValidationError(f"download of {url} timed out") from None
    except httpx.HTTPError as exc:
        dest.unlink(missing_ok=True)
        raise ValidationError(f"download of {url} failed: {exc}") from None
    except BaseException:
        dest.unlink(missing_ok=True)
        raise


def _follow(
    client: httpx.Client, url: str, dest: Path, max_bytes: int, deadline: float
) -> DownloadResult:
    current = httpx.URL(url)
    for _hop in range(MAX_REDIRECTS + 1):
        with client.stream("GET", current, headers=_HEADERS) as response:
            location = response.headers.get("location")
            if response.status_code in _REDIRECTS and location:
                current = current.join(location)
                continue
            if not response.is_success:
                raise ValidationError(
                    f"download of {url} failed: HTTP {response.status_code} "
                    f"{response.reason_phrase}".rstrip()
                )
            size = _save(response, dest, max_bytes, deadline)
            return DownloadResult(dest, size, _media_type(response), _filename(response, current))
    raise ValidationError(f"download of {url} failed: more than {MAX_REDIRECTS} redirects")


def _save(response: httpx.Response, dest: Path, max_bytes: int, deadline: float) -> int:
    declared = response.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > max_bytes:
        raise PayloadTooLargeError(f"download is {declared} bytes; the limit is {max_bytes}")
    dest.parent.mkdir(parents=True, exist_ok=True)
    size = 0
    with dest.open("wb") as out:
        for chunk in response.iter_bytes(_CHUNK):  # decoded: the limit bounds what is written
            size += len(chunk)
            if size > max_bytes:
                raise PayloadTooLargeError(f"download exceeds the limit of {max_bytes} bytes")
            if time.monotonic() > deadline:
                raise ValidationError("download timed out")
            out.write(chunk)
    return size


def _media_type(response: httpx.Response) -> str | None:
    media_type = response.headers.get("content-type", "").split(";", 1)[0].strip().lower()
    return media_type or None


def _filename(response: httpx.Response, url: httpx.URL) -> str | None:
    disposition = response.headers.get("content-disposition")
    if disposition:
        message = Message()
        message["content-disposition"] = disposition
        name = message.get_filename()
        if name:
            return Path(name).name or None
    return unquote(url.path.rsplit("/", 1)[-1]) or None
