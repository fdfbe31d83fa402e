"""Channel references: ids, channel URLs and handles are accepted; anything else is a clear 400."""

from __future__ import annotations

import pytest

from tilework.errors import ValidationError
from tilework.triggers.channels import channel_id_in_page, parse_channel_ref

ID = "UCBJycsmduvYEL83R_U4JriQ"


@pytest.mark.parametrize(
    "text",
    [
        ID,
        f"  {ID} ",
        f"https://www.youtube.com/channel/{ID}",
        f"https://youtube.com/channel/{ID}/videos",
        f"http://m.youtube.com/channel/{ID}?view=0",
        f"www.youtube.com/channel/{ID}",
        f"https://www.youtube.com/feeds/videos.xml?channel_id={ID}",
    ],
)
def test_channel_ids_are_read_from_ids_and_urls(text: str) -> None:
    ref = parse_channel_ref(text)
    assert (ref.channel_id, ref.handle) == (ID, None)


@pytest.mark.parametrize(
    ("text", "handle"),
    [
        ("@mkbhd", "@mkbhd"),
        ("https://www.youtube.com/@mkbhd", "@mkbhd"),
        ("youtube.com/@Some.Name-1/videos", "@Some.Name-1"),
    ],
)
def test_handles_need_resolving(text: str, handle: str) -> None:
    ref = parse_channel_ref(text)
    assert (ref.channel_id, ref.handle) == (None, handle)


@pytest.mark.parametrize(
    ("text", "why"),
    [
        ("https://www.youtube.com/watch?v=dQw4w9WgXcQ", "is a video URL"),
        ("https://youtu.be/dQw4w9WgXcQ", "is a video URL"),
        ("https://www.youtube.com/shorts/dQw4w9WgXcQ", "is a video URL"),
        ("https://vimeo.com/channels/staffpicks", "is not a YouTube channel"),
        ("https://example.com/channel/" + ID, "is not a YouTube channel"),
        ("ftp://www.youtube.com/channel/" + ID, "is not a YouTube channel"),
        ("https://www.youtube.com/c/SomeName", "legacy custom URL"),
        ("https://www.youtube.com/user/someone", "legacy custom URL"),
        ("https://www.youtube.com/channel/UCtooshort", "is not a YouTube channel URL"),
        ("https://www.youtube.com/playlist?list=PL123", "is not a YouTube channel URL"),
        ("UC" + "x" * 21, "is not a YouTube channel"),
        ("@a", "is not a valid YouTube handle"),
        ("@bad handle", "is not a valid YouTube handle"),
    ],
)
def test_anything_else_is_refused_with_the_reason(text: str, why: str) -> None:
    with pytest.raises(ValidationError, match=why):
        parse_channel_ref(text)


def test_the_channel_id_is_found_in_a_channel_page() -> None:
    canonical = f'<html><head><link rel="canonical" href="https://www.youtube.com/channel/{ID}">'
    assert channel_id_in_page(canonical) == ID
    meta = f'<meta itemprop="identifier" content="{ID}">'
    assert channel_id_in_page(meta) == ID
    json_blob = f'var ytInitialData = {{"metadata":{{"externalId":"{ID}"}}}}'
    assert channel_id_in_page(json_blob) == ID
    assert channel_id_in_page("<html>consent page</html>") is None
