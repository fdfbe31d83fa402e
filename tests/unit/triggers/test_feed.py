"""Reading YouTube channel feeds (fixtures in YouTube's Atom format)."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest

from tests.support.youtube import Entry, atom_feed
from tilework.errors import ValidationError
from tilework.triggers.feed import parse_feed

FIXTURE = Path(__file__).parent / "fixtures" / "channel_feed.xml"


def test_reads_videos_newest_first_with_ids_titles_times_and_durations() -> None:
    feed = parse_feed(FIXTURE.read_bytes())
    assert feed.channel_name == "Tilework Test Channel"
    assert [v.video_id for v in feed.videos] == ["newer-_0002", "older000001"]
    newer, older = feed.videos
    assert newer.channel_id == "UCaaaaaaaaaaaaaaaaaaaaaa"
    assert newer.title == "Newer & longer"
    assert newer.published_at == datetime(2024, 6, 1, 18, 30, tzinfo=UTC)
    assert newer.duration_s == 3725.0
    assert older.duration_s is None  # YouTube's own feed states no duration


def test_generated_feed_round_trips() -> None:
    entries = [
        Entry("aaaaaaaaaa1", "one", datetime(2024, 1, 1, tzinfo=UTC), duration_s=61),
        Entry("aaaaaaaaaa2", "two <b>", datetime(2024, 1, 2, tzinfo=UTC)),
    ]
    feed = parse_feed(atom_feed("UCbbbbbbbbbbbbbbbbbbbbbb", "B & Co", entries))
    assert feed.channel_name == "B & Co"
    assert [(v.video_id, v.title, v.duration_s) for v in feed.videos] == [
        ("aaaaaaaaaa2", "two <b>", None),
        ("aaaaaaaaaa1", "one", 61.0),
    ]


def test_an_empty_channel_has_no_videos() -> None:
    feed = parse_feed(atom_feed("UCbbbbbbbbbbbbbbbbbbbbbb", "Empty", []))
    assert feed.videos == []


def test_entries_without_a_video_id_are_ignored() -> None:
    document = b"""<?xml version="1.0"?><feed xmlns="http://www.w3.org/2005/Atom"><title>x</title>
    <entry><id>tag:example.com,2024:1</id><title>not a video</title></entry></feed>"""
    assert parse_feed(document).videos == []


def test_garbage_is_refused() -> None:
    with pytest.raises(ValidationError, match="not a feed"):
        parse_feed(b"\x00\x01 definitely not xml")
