"""Reframe without media: crop geometry, the smoothed face path and the fitter's filter chains."""

from __future__ import annotations

import itertools
import re
from fractions import Fraction
from pathlib import Path

import pytest

from tests.support.media import info, tile_context
from tilework.analysis.faces import FaceBox, FaceSample, FaceTrack
from tilework.config import Settings
from tilework.errors import ValidationError
from tilework.media.compile import SEGMENT_FITTERS
from tilework.media.graph import Frame
from tilework.media.passes.reframe import (
    ReframeData,
    local_points,
    piecewise_expression,
    reframe_fitter,
)
from tilework.media.timeline import (
    NAMESPACE,
    Segment,
    clip_segments,
    plain,
    render_hints,
    source_timeline,
)
from tilework.tiles.reframe import ReframeParams, ReframeTile
from tilework.tiles.reframe_path import (
    PathSettings,
    crop_path,
    crop_size,
    cut_of,
    cut_path,
    fit_size,
    parse_shape,
    same_shape,
    simplify,
    span_paths,
    value_at,
)

SOURCE = Path("/media/talk.mp4")


def evaluate(expression: str, t: float) -> float:
    """Evaluate the subset of ffmpeg's expression language the fitter writes, at time ``t``."""

    def _if(condition: float, then: float, otherwise: float) -> float:
        return then if condition else otherwise

    def _lt(a: float, b: float) -> float:
        return 1.0 if a < b else 0.0

    def _clip(x: float, low: float, high: float) -> float:
        return min(max(x, low), high)

    python = re.sub(r"\b(if|lt|clip)\(", r"_\1(", expression)
    namespace = {"_if": _if, "_lt": _lt, "_clip": _clip, "t": t}
    return float(eval(python, {"__builtins__": {}}, namespace))  # the fitter's own output


def track(centres: list[float | None], hz: float = 5.0) -> FaceTrack:
    """A face track with one 10%-wide face per sample at ``centre`` (fraction of the width)."""
    samples = [
        FaceSample(
            t=round(i / hz, 3),
            faces=[] if c is None else [FaceBox(x=c - 0.05, y=0.2, w=0.1, h=0.18, score=0.9)],
        )
        for i, c in enumerate(centres)
    ]
    return FaceTrack(detector="blazeface", sample_hz=hz, width=1280, height=720, samples=samples)


def crop_segment(points: list[tuple[float, float, float]], start: float, dur: float) -> Segment:
    data = ReframeData(
        mode="crop",
        shape="9:16",
        source_width=1280,
        source_height=720,
        crop_width=404,
        crop_height=720,
        points=points,
    )
    return Segment(SOURCE, start, dur, None, clip_metadata={"reframe": data.model_dump()})


def test_crop_and_fit_sizes_are_even_and_never_upscale() -> None:
    assert parse_shape("9:16") == Fraction(9, 16)
    assert crop_size(1280, 720, parse_shape("9:16")) == (404, 720)
    assert crop_size(1920, 1080, parse_shape("9:16")) == (606, 1080)
    assert crop_size(1280, 720, parse_shape("1:1")) == (720, 720)
    assert crop_size(1280, 720, parse_shape("4:5")) == (576, 720)
    assert crop_size(720, 1280, parse_shape("16:9")) == (720, 404)
    assert fit_size(640, 360, parse_shape("9:16")) == (640, 1138)
    assert fit_size(360, 640, parse_shape("16:9")) == (1138, 640)
    assert same_shape(1080, 1920, parse_shape("9:16")) and not same_shape(1280, 720, Fraction(1))


def test_a_still_face_gives_a_still_crop_centred_on_it() -> None:
    points = crop_path(track([0.75] * 20), 1280, 720, (404, 720), PathSettings())
    assert len(points) == 2  # simplified to its two ends
    for t in (0.0, 1.9):
        x, y = value_at(points, t)
        assert x + 404 / 2 == pytest.approx(0.75 * 1280, abs=1) and y == 0


def test_no_face_gives_the_centre_crop() -> None:
    points = crop_path(track([None] * 10), 1280, 720, (404, 720), PathSettings())
    assert {(x, y) for _, x, y in points} == {((1280 - 404) / 2, 0.0)}


def test_the_path_is_clamped_to_the_picture() -> None:
    points = crop_path(track([0.99] * 10), 1280, 720, (404, 720), PathSettings())
    assert max(x for _, x, _ in points) == 1280 - 404


def test_a_single_false_detection_and_a_short_gap_do_not_move_the_crop() -> None:
    centres: list[float | None] = [0.3] * 20
    centres[7] = 0.9  # a false box for one sample
    centres[12:15] = [None, None, None]  # the face lost for 0.6 s
    points = crop_path(track(centres), 1280, 720, (404, 720), PathSettings())
    xs = [value_at(points, i / 5)[0] for i in range(20)]
    assert max(xs) - min(xs) <= 2


def test_small_sways_stay_inside_the_dead_zone_and_big_moves_are_followed_smoothly() -> None:
    sway = [0.5 + (0.006 if i % 2 else -0.006) for i in range(20)]  # ±8 px at 5 Hz
    points = crop_path(track(sway), 1280, 720, (404, 720), PathSettings())
    assert len(points) == 2
    jump = [0.3] * 15 + [0.7] * 15  # the speaker changes place
    points = crop_path(track(jump), 1280, 720, (404, 720), PathSettings(smoothing_s=1.0))
    xs = [value_at(points, i / 25)[0] for i in range(150)]  # every output frame
    steps = [abs(b - a) for a, b in itertools.pairwise(xs)]
    assert max(steps) < 40  # eased over about a second, no cut
    assert xs[-1] + 202 == pytest.approx(0.7 * 1280, abs=0.05 * 404 + 2)


def test_simplify_keeps_corners_and_drops_straight_runs() -> None:
    line = [(i / 5, float(i), 0.0) for i in range(11)]
    assert simplify(line) == [line[0], line[-1]]
    corner = [*line, *((2 + i / 5, 10.0, 0.0) for i in range(1, 6))]
    assert (2.0, 10.0, 0.0) in simplify(corner)


def test_cut_path_adds_exact_end_points() -> None:
    points = [(0.0, 0.0, 0.0), (10.0, 100.0, 0.0)]
    assert cut_path(points, 2.0, 4.0) == [(2.0, 20.0, 0.0), (4.0, 40.0, 0.0)]


def test_each_analysed_stretch_gets_its_own_path_and_a_cut_takes_its_stretch() -> None:
    left = track([0.25] * 25)  # 0-4.8 s: a face on the left
    right = [
        sample.model_copy(update={"t": round(sample.t + 60, 3)})
        for sample in track([0.75] * 25).samples
    ]  # 60-64.8 s: on the right; nothing analysed in between
    both = left.model_copy(update={"samples": left.samples + right})
    spans = span_paths(both, 1280, 720, (404, 720), PathSettings())
    assert [(s.start, s.end) for s in spans] == [(0.0, 4.8), (60.0, 64.8)]
    assert {x for _, x, _ in cut_of(spans, 1.0, 4.0)} == {0.25 * 1280 - 202}
    assert {x for _, x, _ in cut_of(spans, 61.0, 64.0)} == {0.75 * 1280 - 202}
    assert cut_of([], 1.0, 2.0) == []


def test_piecewise_expression_interpolates_and_holds_at_the_ends() -> None:
    knots = [(0.0, 10.0), (1.0, 20.0), (2.0, 20.0), (4.0, 0.0), (5.0, 5.0)]
    expression = piecewise_expression(knots)
    for t, expected in ((-1, 10), (0, 10), (0.5, 15), (1.5, 20), (3, 10), (4.5, 2.5), (9, 5)):
        assert evaluate(expression, t) == pytest.approx(expected, abs=1e-3)
    assert piecewise_expression([(0.0, 7.0), (3.0, 7.0)]) == "7"


def test_the_crop_path_survives_a_trim() -> None:
    """A cut starting at 5 s of the source: frame time t=0 is source second 5."""
    points = [(0.0, 0.0, 0.0), (10.0, 400.0, 0.0)]
    assert local_points(points, 5.0, 2.0) == [(-5.0, 0.0, 0.0), (5.0, 400.0, 0.0)]
    chain = reframe_fitter(crop_segment(points, 5.0, 2.0), Frame(404, 720, "25"), "[2:v:0]")
    assert chain is not None and chain.startswith("[2:v:0]crop=w=404:h=720:")
    x = re.search(r":x='([^']*)'", chain)
    assert x is not None
    assert evaluate(x.group(1), 0.0) == pytest.approx(200.0)  # source 5 s
    assert evaluate(x.group(1), 1.0) == pytest.approx(240.0)  # source 6 s
    untrimmed = reframe_fitter(crop_segment(points, 0.0, 10.0), Frame(404, 720, "25"), "[0:v:0]")
    assert untrimmed is not None and untrimmed != chain


def test_the_fitter_scales_the_crop_into_a_different_render_frame() -> None:
    chain = reframe_fitter(
        crop_segment([(0.0, 10.0, 0.0)], 0.0, 2.0), Frame(1080, 1920, "30"), "[0:v:0]"
    )
    assert chain is not None
    assert ":x='10':y='0'" in chain and "scale=1080:1920:force_original_aspect_ratio" in chain
    assert chain.endswith("setsar=1")


def test_zoom_out_chains() -> None:
    data = ReframeData(mode="fit", shape="9:16", source_width=640, source_height=360)
    segment = Segment(SOURCE, 0.0, 2.0, None, clip_metadata={"reframe": data.model_dump()})
    blurred = reframe_fitter(segment, Frame(640, 1138, "25"), "[3:v:0]")
    assert blurred is not None
    assert blurred.startswith("[3:v:0]split=2[rfa3_0][rfb3_0];") and "boxblur=" in blurred
    assert "overlay=(W-w)/2:(H-h)/2" in blurred
    black = data.model_copy(update={"padding": "black"})
    segment = Segment(SOURCE, 0.0, 2.0, None, clip_metadata={"reframe": black.model_dump()})
    chain = reframe_fitter(segment, Frame(640, 1138, "25"), "[3:v:0]")
    assert chain is not None and "color=black" in chain and "boxblur" not in chain


def test_segments_without_reframe_data_are_left_to_the_default_fit() -> None:
    assert reframe_fitter(Segment(SOURCE, 0, 1, None), Frame(2, 2, "25"), "[0:v:0]") is None
    assert reframe_fitter in SEGMENT_FITTERS
    bad = Segment(SOURCE, 0, 1, None, clip_metadata={"reframe": {"mode": "spin"}})
    with pytest.raises(ValidationError, match="reframe"):
        reframe_fitter(bad, Frame(2, 2, "25"), "[0:v:0]")


def test_reframe_params() -> None:
    assert ReframeParams().shape == "9:16" and ReframeParams().padding == "blur"
    for bad in ({"shape": "3:2"}, {"smoothing": -1}, {"padding": "white"}, {"zoom": True}):
        with pytest.raises(ValueError):
            ReframeParams.model_validate(bad)


def test_zoom_out_needs_no_media_and_keeps_the_fps_hint(settings: Settings, tmp_path: Path) -> None:
    tl = source_timeline(SOURCE, info(3, width=1280, height=720), start_ms=0, end_ms=None, name="x")
    namespace = plain(tl.metadata)[NAMESPACE]
    namespace["render"] = {"fps": 30}
    tl.metadata[NAMESPACE] = namespace
    tile = ReframeTile()
    ctx = tile_context(settings, tmp_path)
    result = tile.run(ctx, tile.parse_params({"zoom_out": True, "padding": "black"}), tl)
    out = result.timelines[0]
    assert render_hints(out) == {"fps": 30, "width": 1280, "height": 2276}
    (segment,) = clip_segments(out)
    assert segment.clip_metadata["reframe"]["mode"] == "fit"
    assert segment.clip_metadata["reframe"]["padding"] == "black"
    assert render_hints(tl) == {"fps": 30}  # the input timeline is not modified
    # Reframing the result back to the source's own shape undoes the earlier reframe.
    back = tile.run(ctx, tile.parse_params({"shape": "16:9"}), out)
    assert back.status_message == "the video is already 16:9: passed through unchanged"
    assert render_hints(back.timelines[0]) == {"fps": 30}
    assert "reframe" not in clip_segments(back.timelines[0])[0].clip_metadata
