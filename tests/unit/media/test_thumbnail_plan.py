"""The thumbnail choice follows later cuts; titles are escaped and laid out for drawtext."""

from __future__ import annotations

from pathlib import Path

import opentimelineio as otio
import pytest

from tests.support.media import info, timeline_of
from tilework.media.thumbnail import (
    THUMBNAIL_KEY,
    filter_value,
    planned_thumbnail,
    title_filters,
)
from tilework.media.timeline import NAMESPACE, path_to_url, plain, trim
from tilework.tiles.thumbnail import ThumbnailParams, candidate_times

A = Path("/media/a.mp4")
B = Path("/media/b.mp4")


def with_choice(source: Path, source_s: float, title: str | None = None) -> otio.schema.Timeline:
    tl = timeline_of((A, info(4)), (B, info(4)))
    namespace = plain(tl.metadata)[NAMESPACE]
    namespace[THUMBNAIL_KEY] = {
        "source_url": path_to_url(source),
        "source_time_s": source_s,
        "title": title,
    }
    tl.metadata[NAMESPACE] = namespace
    return tl


def test_the_choice_maps_to_output_time_through_cuts() -> None:
    tl = with_choice(B, 1.5, "Hello")
    plan = planned_thumbnail(tl)
    assert plan.at_s == pytest.approx(5.5) and plan.title == "Hello"
    trimmed = trim(tl, 3.0)  # cut the first 3 s of the edit
    assert planned_thumbnail(trimmed).at_s == pytest.approx(2.5)


def test_a_cut_moment_falls_back_to_the_default() -> None:
    tl = with_choice(A, 1.0, "  ")
    trimmed = trim(tl, 2.0)  # source A 0-2 s is gone
    plan = planned_thumbnail(trimmed)
    assert plan.at_s is None and plan.title is None
    assert planned_thumbnail(timeline_of((A, info(4)))).at_s is None  # no choice at all


def test_candidates_avoid_the_first_and_last_half_second() -> None:
    times = candidate_times(10.0, 8)
    assert len(times) == 8 and min(times) > 0.5 and max(times) < 9.5
    assert candidate_times(0.8, 1) == [0.4]  # too short to keep a margin


def test_title_text_is_escaped_for_the_filtergraph() -> None:
    assert filter_value("a:b") == r"a\\:b"
    assert filter_value("it's") == r"it\\\'s"
    assert filter_value("x,y;[z]") == r"x\,y\;\[z\]"
    chain = title_filters("One two three four five six seven eight nine ten", 202, 360)
    assert chain.count("drawtext=") >= 2  # wrapped into centred lines
    assert "expansion=none" in chain and "borderw=" in chain


def test_title_param_is_one_line() -> None:
    assert ThumbnailParams(title=" Big\n news ").title == "Big news"
    assert ThumbnailParams(title="   ").title is None
    with pytest.raises(ValueError):
        ThumbnailParams(title="x" * 121)


def test_the_title_moves_to_the_top_when_captions_use_the_bottom() -> None:
    tl = with_choice(B, 1.0, "Hi")
    assert planned_thumbnail(tl).title_place == "bottom"
    namespace = plain(tl.metadata)[NAMESPACE]
    namespace["captions"] = {"position": "bottom"}
    tl.metadata[NAMESPACE] = namespace
    assert planned_thumbnail(tl).title_place == "top"
    top = title_filters("Hi", 640, 360, "top")
    assert ":y=29" in top  # 8% of the height from the top
    namespace["captions"] = {"position": "top"}
    tl.metadata[NAMESPACE] = namespace
    assert planned_thumbnail(tl).title_place == "bottom"
