"""The timeline → ffmpeg command compiler: the shape of the command, without running it."""

from __future__ import annotations

from pathlib import Path

import opentimelineio as otio
import pytest

from tests.support.media import info, timeline_of
from tilework.errors import ValidationError
from tilework.media.compile import (
    RenderSpec,
    compile_render,
    mux_args,
    output_fps,
    output_size,
)
from tilework.media.timeline import source_timeline, trim

A = Path("/media/a.mp4")
B = Path("/media/b.mp4")
OUT = Path("/renders/out.mp4")


def graph_of(args: list[str]) -> str:
    return args[args.index("-filter_complex") + 1]


def test_one_segment_seeks_accurately_and_skips_concat() -> None:
    tl = trim(source_timeline(A, info(4.0), start_ms=None, end_ms=None, name="x"), 1.0, 3.0)
    args = compile_render(tl, RenderSpec(), OUT).args
    assert args[:6] == ["-ss", "1", "-t", "2", "-i", str(A)]
    graph = graph_of(args)
    assert "concat" not in graph
    assert "[0:v:0]scale=320:180:force_original_aspect_ratio=decrease" in graph
    assert "pad=320:180:(ow-iw)/2:(oh-ih)/2" in graph and "setsar=1" in graph
    assert "fps=25/1" in graph and "format=yuv420p" in graph
    assert "[0:a:0]aresample=48000" in graph and graph.endswith("[acat]")
    assert args[-1] == str(OUT)
    for option, value in [
        ("-c:v", "libx264"),
        ("-crf", "23"),
        ("-preset", "veryfast"),
        ("-c:a", "aac"),
        ("-ar", "48000"),
        ("-movflags", "+faststart"),
        ("-pix_fmt", "yuv420p"),
    ]:
        assert args[args.index(option) + 1] == value


def test_segments_are_fitted_and_concatenated_with_silence_where_needed() -> None:
    tl = timeline_of((A, info(4.0, width=640, height=360)), (B, info(2.0, width=90, audio=False)))
    args = compile_render(tl, RenderSpec(height=180, crf=18, preset="fast"), OUT).args
    assert args.count("-i") == 2 and args[args.index("-crf") + 1] == "18"
    graph = graph_of(args)
    assert graph.count("scale=320:180") == 2
    assert "[1:a:0]" not in graph and "anullsrc=r=48000:cl=stereo" in graph
    assert "[v0][a0][v1][a1]concat=n=2:v=1:a=1[vcat][acat]" in graph
    assert "trim=duration=4" in graph and "atrim=duration=2" in graph


def test_the_picture_and_the_sound_compile_apart_and_join_by_stream_copy() -> None:
    tl = timeline_of((A, info(4.0, width=640, height=360)), (B, info(2.0, width=90, audio=False)))
    whole = graph_of(compile_render(tl, RenderSpec(), OUT).args)
    picture = compile_render(tl, RenderSpec(), Path("/r/picture.mp4"), part="picture").args
    sound = compile_render(tl, RenderSpec(), Path("/r/sound.m4a"), part="sound").args
    assert "[v0][v1]concat=n=2:v=1:a=0[vcat]" in graph_of(picture)
    assert "aresample" not in graph_of(picture) and "-c:a" not in picture and "-an" in picture
    assert "[a0][a1]concat=n=2:v=0:a=1[acat]" in graph_of(sound)
    assert "scale=" not in graph_of(sound) and "-c:v" not in sound and "-vn" in sound
    assert "+faststart" not in picture + sound
    # each part's chains are the whole command's, word for word
    for chain in graph_of(picture).split(";") + graph_of(sound).split(";"):
        assert "concat" in chain or chain in whole
    mux = mux_args(Path("/r/picture.mp4"), Path("/r/sound.m4a"), OUT, RenderSpec(codec="h265"))
    assert mux[mux.index("-c") + 1] == "copy" and mux[mux.index("-tag:v") + 1] == "hvc1"
    assert mux[-3:] == ["-movflags", "+faststart", str(OUT)]


def test_gaps_are_black_and_silent_without_an_input() -> None:
    tl = source_timeline(A, info(2.0), start_ms=None, end_ms=None, name="x")
    tl.tracks[0].append(otio.schema.Gap(duration=otio.opentime.RationalTime(25, 25)))
    args = compile_render(tl, RenderSpec(), OUT).args
    assert args.count("-i") == 1
    assert "color=c=black:s=320x180:r=25/1:d=1" in graph_of(args)


def test_output_size_and_fps_rules() -> None:
    hd = info(2.0, width=1920, height=1080, fps=29.97003)
    tl = source_timeline(A, hd, start_ms=None, end_ms=None, name="x")
    assert output_size(tl, RenderSpec()) == (1920, 1080)
    assert output_size(tl, RenderSpec(height=720)) == (1280, 720)
    assert output_size(tl, RenderSpec(width=641)) == (642, 360)
    assert output_size(tl, RenderSpec(width=101, height=99)) == (102, 100)
    assert output_fps(tl, RenderSpec()) == "30000/1001"
    assert output_fps(tl, RenderSpec(fps=24)) == "24/1"
    tl.metadata["tilework"]["render"] = {"width": 1080, "height": 1920, "fps": 30}
    assert output_size(tl, RenderSpec(width=720)) == (720, 1280)
    assert output_fps(tl, RenderSpec()) == "30/1"


def test_long_graphs_go_to_a_script_file(tmp_path: Path) -> None:
    sources = [(Path(f"/media/{n}.mp4"), info(1.0)) for n in range(20)]
    out = tmp_path / "render.mp4"
    args = compile_render(timeline_of(*sources), RenderSpec(), out).args
    script = Path(args[args.index("-filter_complex_script") + 1])
    assert script.parent == tmp_path and "concat=n=20" in script.read_text()
    args7 = compile_render(timeline_of(*sources), RenderSpec(), out, ffmpeg_major=7).args
    assert "-/filter_complex" in args7


def test_empty_timeline_and_bad_specs_are_refused() -> None:
    with pytest.raises(ValidationError, match="no clips"):
        compile_render(otio.schema.Timeline(), RenderSpec(), OUT)
    with pytest.raises(ValueError):
        RenderSpec(crf=60)
    with pytest.raises(ValueError):
        RenderSpec(preset="-f")  # type: ignore[arg-type]
