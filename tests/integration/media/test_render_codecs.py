"""Each render codec gives a playable MP4 whose stream really is that codec."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from tests.support.media import ffprobe, requires_ffmpeg, stream, tile_context
from tilework.config import Settings
from tilework.media.probe import probe
from tilework.media.runner import FFmpegRunner
from tilework.media.samples import make_sample_clip
from tilework.media.timeline import source_timeline
from tilework.tiles.render import RenderParams, render_timeline

pytestmark = requires_ffmpeg


@pytest.fixture(scope="module")
def tiny(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("codecs")
    return make_sample_clip("ffmpeg", folder / "tiny.mp4", seconds=1.0, width=160, height=90)


def decodes_cleanly(path: Path) -> bool:
    result = subprocess.run(
        ["ffmpeg", "-v", "error", "-xerror", "-i", str(path), "-f", "null", "-"],
        capture_output=True,
        text=True,
        check=False,
    )
    return result.returncode == 0 and result.stderr.strip() == ""


@pytest.mark.parametrize(
    ("params", "codec_name", "tag", "size", "rate"),
    [
        ({"codec": "h264", "bitrate": "300k"}, "h264", "avc1", (160, 90), "25/1"),
        ({"codec": "h265", "crf": 35}, "hevc", "hvc1", (160, 90), "25/1"),
        ({"codec": "vp9", "resolution": "128x72", "fps": 15}, "vp9", "vp09", (128, 72), "15/1"),
    ],
)
def test_codec_renders_a_playable_mp4(
    settings: Settings,
    runner: FFmpegRunner,
    tiny: Path,
    tmp_path: Path,
    params: dict[str, object],
    codec_name: str,
    tag: str,
    size: tuple[int, int],
    rate: str,
) -> None:
    tl = source_timeline(tiny, probe(runner, tiny), start_ms=None, end_ms=None, name="in")
    render_params = RenderParams.model_validate({"preset": "ultrafast", **params})
    files = render_timeline(tile_context(settings, tmp_path), tl, render_params)
    assert files.video.name == "video.mp4"
    data = ffprobe(files.video)
    video, audio = stream(data, "video"), stream(data, "audio")
    assert video is not None and audio is not None
    assert (video["codec_name"], video["codec_tag_string"]) == (codec_name, tag)
    assert (video["width"], video["height"]) == size and video["r_frame_rate"] == rate
    assert audio["codec_name"] == "aac"
    assert "mp4" in data["format"]["format_name"]
    assert float(data["format"]["duration"]) == pytest.approx(1.0, abs=0.1)
    assert files.media_info["video_codec"] == codec_name
    assert decodes_cleanly(files.video)
