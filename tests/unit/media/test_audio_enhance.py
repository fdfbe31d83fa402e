"""Audio Enhance without media: params, what the tile stores, the filters the pass compiles."""

from __future__ import annotations

from pathlib import Path

import pytest
from pydantic import ValidationError as PydanticError

from tests.support.media import info, tile_context, timeline_of
from tilework.config import Settings
from tilework.errors import MediaError
from tilework.media.compile import AUDIO_PASSES, RenderSpec, compile_render
from tilework.media.loudness import parse_loudnorm_json
from tilework.media.passes.audio import (
    AudioEnhanceSettings,
    LoudnessMeasurement,
    enhance_audio,
    enhance_settings,
    loudnorm_filter,
)
from tilework.media.timeline import plain, source_timeline
from tilework.tiles.audio_enhance import (
    AUDIO_ENHANCE_TYPE_ID,
    AudioEnhanceParams,
    AudioEnhanceTile,
)
from tilework.tiles.registry import default_registry

A = Path("/media/a.mp4")
OUT = Path("/renders/out.mp4")
LOUDNORM_STDERR = """[Parsed_loudnorm_1 @ 0x55d5c1f0a6c0]
{
	"input_i" : "-20.39",
	"input_tp" : "-5.02",
	"input_lra" : "1.00",
	"input_thresh" : "-30.81",
	"output_i" : "-14.48",
	"output_tp" : "-1.50",
	"output_lra" : "0.90",
	"output_thresh" : "-24.89",
	"normalization_type" : "dynamic",
	"target_offset" : "0.54"
}
"""
MEASURED = LoudnessMeasurement(
    input_i=-20.39, input_tp=-5.02, input_lra=1.0, input_thresh=-30.81, target_offset=0.54
)


def graph_of(args: list[str]) -> str:
    return args[args.index("-filter_complex") + 1]


def test_params_defaults_and_refusals() -> None:
    tile = AudioEnhanceTile()
    params = tile.parse_params({})
    assert params == AudioEnhanceParams(
        target_lufs=-14, true_peak_db=-1.5, loudness_range=11, highpass_hz=80, denoise=False
    )
    assert tile.parse_params({"highpass_hz": 0, "target_lufs": -23}) is not None
    for bad in (
        {"target_lufs": -40},
        {"target_lufs": -3},
        {"true_peak_db": 1},
        {"highpass_hz": 10},
        {"highpass_hz": 900},
        {"denoise_db": 0},
        {"loudness": -14},
    ):
        with pytest.raises(PydanticError):
            tile.parse_params(bad)
    assert default_registry().get(AUDIO_ENHANCE_TYPE_ID).slug == "audio-enhance"
    assert AUDIO_ENHANCE_TYPE_ID == "30457700-627d-4678-bd3f-86d48aa45a37"
    assert AUDIO_PASSES[0] is enhance_audio  # before the music bed: music is not normalised


def test_the_tile_only_records_its_settings(tmp_path: Path) -> None:
    ctx = tile_context(Settings(data_dir=tmp_path), tmp_path / "work")
    tl = source_timeline(A, info(4.0), start_ms=None, end_ms=None, name="x")
    tile = AudioEnhanceTile()
    params = tile.parse_params({"target_lufs": -16, "denoise": True, "highpass_hz": 100})
    result = tile.run(ctx, params, tl)
    (edited,) = result.timelines
    stored = plain(edited.metadata)["tilework"]["audio_enhance"]
    assert stored == {
        "target_lufs": -16.0,
        "true_peak_db": -1.5,
        "loudness_range": 11.0,
        "highpass_hz": 100,
        "denoise_db": 12.0,
    }
    assert plain(edited.metadata)["tilework"]["schema"] == 1
    assert "audio_enhance" not in plain(tl.metadata)["tilework"]  # the input is not modified
    assert result.status_message == (
        "at render: loudness to -16 LUFS (true peak -1.5 dBTP), high-pass at 100 Hz, denoise 12 dB"
    )
    silent = source_timeline(A, info(4.0, audio=False), start_ms=None, end_ms=None, name="x")
    assert "no audio" in (tile.run(ctx, params, silent).status_message or "")


def test_loudnorm_report_is_parsed_from_the_end_of_stderr() -> None:
    lines = ["[aac @ 0x1] Qavg: 1234", *LOUDNORM_STDERR.splitlines()]
    assert parse_loudnorm_json(lines) == MEASURED
    silent = LOUDNORM_STDERR.replace('"-20.39"', '"-inf"').replace('"-5.02"', '"-inf"')
    measured = parse_loudnorm_json(silent.splitlines())
    assert measured.input_i == -99.0 and measured.silent
    with pytest.raises(MediaError, match="no report"):
        parse_loudnorm_json(["ffmpeg says nothing useful"])
    with pytest.raises(MediaError, match="unreadable"):
        parse_loudnorm_json(["{", '"input_i" : "-20"', "}"])


def test_pass_two_uses_the_measured_values_linearly_then_resamples() -> None:
    settings = AudioEnhanceSettings(target_lufs=-14, highpass_hz=80, measured=MEASURED)
    assert loudnorm_filter(settings) == (
        "loudnorm=I=-14:TP=-1.5:LRA=11:measured_I=-20.39:measured_TP=-5.02:measured_LRA=1.00"
        ":measured_thresh=-30.81:offset=0.54:linear=true:print_format=summary"
    )
    # without a measurement (a plan shown before rendering): one-pass loudnorm
    assert loudnorm_filter(settings.model_copy(update={"measured": None})) == (
        "loudnorm=I=-14:TP=-1.5:LRA=11"
    )
    silent = MEASURED.model_copy(update={"input_i": -99.0})
    assert loudnorm_filter(settings.model_copy(update={"measured": silent})) is None


def _enhanced(tl_audio: bool, stored: dict[str, object] | None) -> str:
    tl = timeline_of((A, info(3.0, audio=tl_audio)), (A, info(3.0, audio=tl_audio)))
    if stored is not None:
        tl.metadata["tilework"] = {"schema": 1, "audio_enhance": stored}
    return graph_of(compile_render(tl, RenderSpec(), OUT).args)


def test_the_render_command_carries_the_enhance_chain() -> None:
    stored = {
        "target_lufs": -23,
        "highpass_hz": 80,
        "denoise_db": 12,
        "measured": MEASURED.model_dump(),
    }
    graph = _enhanced(True, stored)
    assert graph.endswith(
        "[acat]highpass=f=80,afftdn=nr=12,loudnorm=I=-23:TP=-1.5:LRA=11:measured_I=-20.39"
        ":measured_TP=-5.02:measured_LRA=1.00:measured_thresh=-30.81:offset=0.54:linear=true"
        ":print_format=summary,aresample=48000[enh1]"
    )
    assert "loudnorm" not in _enhanced(True, None)
    assert "loudnorm" not in _enhanced(False, stored)  # no audio in the edit: nothing to do
    assert enhance_settings({"tilework": {"schema": 1}}) is None
