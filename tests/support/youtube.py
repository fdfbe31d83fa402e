"""YouTube-format Atom feeds for trigger tests, and a server for feeds, pages and media.

``atom_feed`` writes what ``https://www.youtube.com/feeds/videos.xml?channel_id=…`` returns
(``yt:videoId``, ``yt:channelId``, ``media:group``), optionally with a ``duration`` attribute on
``media:content`` (YouTube's own feed has none). ``FeedServer`` serves, on 127.0.0.1, the feed of
each channel (``/feeds/<channel_id>.xml``, edited by the test between polls), files under
``/videos/`` and ``/@<handle>`` channel pages, and counts feed requests.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from xml.sax.saxutils import escape, quoteattr

import pytest


@dataclass(frozen=True)
class Entry:
    video_id: str
    title: str
    published: datetime
    duration_s: int | None = None


def atom_feed(channel_id: str, name: str, entries: list[Entry]) -> bytes:
    items = "".join(_entry(channel_id, name, entry) for entry in entries)
    return f"""<?xml version="1.0" encoding="UTF-8"?>
<feed xmlns:yt="http://www.youtube.com/xml/schemas/2015"
 xmlns:media="http://search.yahoo.com/mrss/" xmlns="http://www.w3.org/2005/Atom">
 <link rel="self" href="http://www.youtube.com/feeds/videos.xml?channel_id={channel_id}"/>
 <id>yt:channel:{channel_id[2:]}</id>
 <yt:channelId>{channel_id}</yt:channelId>
 <title>{escape(name)}</title>
 <link rel="alternate" href="https://www.youtube.com/channel/{channel_id}"/>
 <author><name>{escape(name)}</name><uri>https://www.youtube.com/channel/{channel_id}</uri></author>
 <published>2020-01-01T00:00:00+00:00</published>{items}
</feed>
""".encode()


def _entry(channel_id: str, name: str, entry: Entry) -> str:
    duration = "" if entry.duration_s is None else f' duration="{entry.duration_s}"'
    video = entry.video_id
    return f"""
 <entry>
  <id>yt:video:{video}</id>
  <yt:videoId>{video}</yt:videoId>
  <yt:channelId>{channel_id}</yt:channelId>
  <title>{escape(entry.title)}</title>
  <link rel="alternate" href="https://www.youtube.com/watch?v={video}"/>
  <author><name>{escape(name)}</name><uri>https://www.youtube.com/channel/{channel_id}</uri></author>
  <published>{entry.published.isoformat()}</published>
  <updated>{entry.published.isoformat()}</updated>
  <media:group>
   <media:title>{escape(entry.title)}</media:title>
   <media:content url={quoteattr(f"https://www.youtube.com/v/{video}?version=3")}
    type="application/x-shockwave-flash" width="640" height="390"{duration}/>
   <media:thumbnail url="https://i1.ytimg.com/vi/{video}/hqdefault.jpg" width="480" height="360"/>
   <media:description>About {escape(entry.title)}</media:description>
   <media:community>
    <media:starRating count="12" average="5.00" min="1" max="5"/>
    <media:statistics views="345"/>
   </media:community>
  </media:group>
 </entry>"""


class FeedServer:
    def __init__(self) -> None:
        self.feeds: dict[str, bytes] = {}  # channel id -> feed document
        self.videos: dict[str, Path] = {}  # file name under /videos/ -> file
        self.pages: dict[str, str] = {}  # "@handle" -> HTML
        self.feed_delay = 0.0  # seconds before a feed is answered
        self.feed_requests = 0
        self.paths: list[str] = []  # every path requested, in order
        self._lock = threading.Lock()
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
        self._server.daemon_threads = True
        self._server.owner = self  # type: ignore[attr-defined]
        self.base = f"http://127.0.0.1:{self._server.server_address[1]}"
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)
        self._thread.start()

    @property
    def feed_template(self) -> str:
        return f"{self.base}/feeds/{{channel_id}}.xml"

    @property
    def video_template(self) -> str:
        return f"{self.base}/videos/{{video_id}}.mp4"

    @property
    def handle_template(self) -> str:
        return f"{self.base}/@{{handle}}"

    def close(self) -> None:
        self._server.shutdown()
        self._server.server_close()

    def answer(self, path: str) -> tuple[int, bytes, str]:
        with self._lock:
            self.paths.append(path)
        if path.startswith("/feeds/"):
            with self._lock:
                self.feed_requests += 1
            time.sleep(self.feed_delay)
            feed = self.feeds.get(path.removeprefix("/feeds/").removesuffix(".xml"))
            return (200, feed, "application/atom+xml") if feed else (404, b"", "text/plain")
        if path.startswith("/videos/"):
            video = self.videos.get(path.removeprefix("/videos/"))
            return (200, video.read_bytes(), "video/mp4") if video else (404, b"", "text/plain")
        page = self.pages.get(path.lstrip("/"))
        return (200, page.encode(), "text/html") if page else (404, b"", "text/plain")


class _Handler(BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        owner: FeedServer = self.server.owner  # type: ignore[attr-defined]
        status, body, content_type = owner.answer(self.path.split("?", 1)[0])
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: Any) -> None:
        return


@pytest.fixture
def feed_server() -> Iterator[FeedServer]:
    server = FeedServer()
    yield server
    server.close()
