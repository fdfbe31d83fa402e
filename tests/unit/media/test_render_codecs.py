"""Render params → encoder arguments: codecs, CRF or bitrate, presets."""

from __future__ import annotations

from pathlib import Path

import pydantic
import pytest

from tests.support.media import info
from tilework.media.compile import RenderSpec, compile_render, video_codec_args
from tilework.media.timeline import source_timeline
from tilework.tiles.render import RenderParams, render_spec

A = Path("/media/a.mp4")
OUT = Path("/renders/video.mp4")


def option(args: list[str], name: str) -> str:
    return args[args.index(name) + 1]


def test_each_codec_has_its_encoder_and_quality_mapping() -> None:
    tl = source_timeline(A, info(4.0), start_ms=None, end_ms=None, name="x")
    expected = {"h264": ("libx264", "23"), "h265": ("libx265", "28"), "vp9": ("libvpx-vp9", "33")}
    for codec, (encoder, crf) in expected.items():
        params = RenderParams.model_validate({"codec": codec})
        args = compile_render(tl, render_spec(params, tl), OUT).args
        assert option(args, "-c:v") == encoder and option(args, "-crf") == crf
        assert option(args, "-pix_fmt") == "yuv420p" and args[-1] == str(OUT)
    h265 = video_codec_args(RenderSpec(codec="h265", preset="slow"))
    assert option(h265, "-tag:v") == "hvc1" and option(h265, "-preset") == "slow"


def test_vp9_uses_constant_quality_and_maps_presets_to_speeds() -> None:
    fast = video_codec_args(RenderSpec(codec="vp9", crf=40, preset="ultrafast"))
    assert option(fast, "-b:v") == "0" and option(fast, "-crf") == "40"
    assert option(fast, "-deadline") == "realtime" and option(fast, "-cpu-used") == "8"
    assert option(fast, "-row-mt") == "1" and "-preset" not in fast
    slow = video_codec_args(RenderSpec(codec="vp9", preset="medium"))
    assert (option(slow, "-deadline"), option(slow, "-cpu-used")) == ("good", "2")
    abr = video_codec_args(RenderSpec(codec="vp9", bitrate="2M"))
    assert option(abr, "-b:v") == "2M" and "-crf" not in abr


def test_crf_overrides_quality_and_bitrate_replaces_crf() -> None:
    tl = source_timeline(A, info(4.0), start_ms=None, end_ms=None, name="x")
    assert render_spec(RenderParams(quality="high", crf=30), tl).crf == 30
    assert render_spec(RenderParams(codec="h265", quality="high"), tl).crf == 23
    spec = render_spec(RenderParams(bitrate="4m", fps=30, resolution="160x90"), tl)
    assert (spec.bitrate, spec.fps, spec.width, spec.height) == ("4M", 30, 160, 90)
    args = video_codec_args(spec)
    assert option(args, "-b:v") == "4M" and "-crf" not in args
    assert RenderParams(bitrate="2500K").bitrate == "2500k"


@pytest.mark.parametrize(
    "params",
    [
        {"crf": 20, "bitrate": "4M"},
        {"crf": 52},
        {"codec": "h265", "crf": 60},
        {"crf": 64, "codec": "vp9"},
        {"bitrate": "4"},
        {"bitrate": "fast"},
        {"bitrate": "0k"},
        {"codec": "av1"},
    ],
)
def test_bad_rate_control_is_refused(params: dict[str, object]) -> None:
    with pytest.raises(pydantic.ValidationError):
        RenderParams.model_validate(params)


def test_vp9_accepts_crf_up_to_63() -> None:
    assert RenderParams(codec="vp9", crf=63).crf == 63
    with pytest.raises(pydantic.ValidationError):
        RenderSpec(codec="h264", crf=60)
