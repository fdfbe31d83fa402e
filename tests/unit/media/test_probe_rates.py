"""Frame rates from ffprobe become the rate timelines snap to: the closest standard one."""

from __future__ import annotations

import pytest

from tilework.media.probe import media_info_from_probe


def rate_of(avg: str, base: str) -> float:
    stream = {"codec_type": "video", "width": 320, "height": 180, "codec_name": "h264"}
    stream |= {"avg_frame_rate": avg, "r_frame_rate": base}
    data = {"streams": [stream], "format": {"duration": "2.0", "format_name": "mp4"}}
    return media_info_from_probe(data, 1000).fps


@pytest.mark.parametrize(
    ("avg", "base", "expected"),
    [
        ("30/1", "30/1", 30.0),  # not 29.97, although within 0.5 % of it
        ("30000/1001", "30000/1001", 29.97003),
        ("24000/1001", "24/1", 23.976024),
        ("25/1", "25/1", 25.0),
        ("600/29", "30/1", 30.0),  # variable frame rate phone video: 20.69 average, base 30
        ("15/1", "15/1", 15.0),  # screen recordings and webcams keep their own rate
        ("15000/1001", "15000/1001", 15.0),
        ("12/1", "12/1", 12.0),
        ("15/2", "15/2", 7.5),  # halves are kept, not rounded to 8
        ("25/2", "25/2", 12.5),
        ("90/7", "90/7", 13.0),  # no standard rate near: the nearest whole number
        ("0/0", "0/0", 0.0),
    ],
)
def test_rates_snap_to_the_closest_standard_rate(avg: str, base: str, expected: float) -> None:
    assert rate_of(avg, base) == pytest.approx(expected, abs=1e-4)
