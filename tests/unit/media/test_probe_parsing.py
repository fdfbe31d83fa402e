"""Reading ffprobe JSON and ffmpeg output, without running them."""

from __future__ import annotations

from typing import Any

from tilework.media.probe import media_info_from_probe
from tilework.media.runner import _Progress, meaningful_lines


def probe_data(**video: Any) -> dict[str, Any]:
    return {
        "format": {"duration": "3.000000", "format_name": "mov,mp4", "size": "1000"},
        "streams": [
            {
                "codec_type": "video",
                "codec_name": "h264",
                "width": 1920,
                "height": 1080,
                "avg_frame_rate": "30000/1001",
                "pix_fmt": "yuv420p",
                **video,
            },
            {"codec_type": "audio", "codec_name": "aac"},
        ],
    }


def test_media_info_from_probe() -> None:
    info = media_info_from_probe(probe_data())
    assert (info.width, info.height, info.fps, info.rotation) == (1920, 1080, 29.97003, 0)
    assert info.has_audio and info.audio_codec == "aac" and info.size_bytes == 1000


def test_rotation_swaps_the_displayed_frame() -> None:
    rotated = probe_data(side_data_list=[{"side_data_type": "Display Matrix", "rotation": -90}])
    info = media_info_from_probe(rotated)
    assert (info.width, info.height, info.rotation) == (1080, 1920, 90)
    assert media_info_from_probe(probe_data(tags={"rotate": "180"})).rotation == 180


def test_cover_art_is_not_video() -> None:
    data = probe_data(disposition={"attached_pic": 1})
    data["streams"][0]["codec_name"] = "mjpeg"
    info = media_info_from_probe(data)
    assert not info.has_video and info.has_audio


def test_meaningful_lines_skip_banners_and_stream_dumps() -> None:
    log = [
        "Input #0, mov,mp4, from 'a.mp4':",
        "  Duration: 00:00:03.00, start: 0.000000",
        "    Stream #0:0: Video: h264",
        "[libx264 @ 0x1] width not divisible by 2 (321x180)",
        "Error initializing output stream 0:0 --",
        "",
        "Conversion failed!",
    ]
    assert meaningful_lines(log, limit=2) == [
        "Error initializing output stream 0:0 --",
        "Conversion failed!",
    ]


def test_meaningful_lines_name_the_log_context_without_its_address() -> None:
    log = ["[mov,mp4,m4a,3gp,3g2,mj2 @ 0x55c8594a2100] stream 0, offset 0x30: partial file"]
    assert meaningful_lines(log) == ["mov,mp4,m4a,3gp,3g2,mj2: stream 0, offset 0x30: partial file"]


def test_progress_lines_are_parsed_and_throttled() -> None:
    calls: list[tuple[float, float | None]] = []
    progress = _Progress(10.0, lambda f, eta: calls.append((f, eta)), None)
    for out_us in (1_000_000, 2_000_000, 3_000_000):
        progress.feed(f"out_time_us={out_us}\n")
        progress.feed("progress=continue\n")
    progress.feed("out_time_us=N/A\n")
    progress.feed("progress=end\n")
    assert calls[0][0] == 0.1 and calls[-1] == (1.0, 0.0)
    assert len(calls) == 2  # the two middle updates came within 0.25 s
