"""Captions on real speech: Whisper's words against the script, captions in the rendered frames
at the spoken times, in sync after a cut, cached transcription, and the files a render publishes.

One espeak clip (three sentences, 2.5 s pauses, 320x180) is made and transcribed once for the
module; the spoken spans used as ground truth come from ffmpeg's silencedetect, not from Whisper.
"""

from __future__ import annotations

import itertools
import re
import subprocess
import zipfile
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import opentimelineio as otio
import pytest

from tests.support.media import requires_ffmpeg, tile_context
from tests.support.wer import word_error_rate
from tilework.analysis import asr
from tilework.analysis.asr import Transcript
from tilework.config import Settings
from tilework.media.compile import RenderSpec, compile_render
from tilework.media.export import CAPTIONS_SRT_NAME
from tilework.media.probe import probe
from tilework.media.runner import FFmpegRunner
from tilework.media.samples import TalkingClip, make_sample_clip, make_talking_clip
from tilework.media.timeline import TRANSCRIPT_KEY, plain, source_timeline, to_frames, trim
from tilework.tiles.base import RenderedFiles, TileResult
from tilework.tiles.captions import CaptionsTile
from tilework.tiles.render import RenderParams, render_timeline
from tilework.tiles.sources import get_analysis

pytestmark = requires_ffmpeg

SCRIPT = (
    "Welcome to the video editing demo.",
    "Every caption is timed to the spoken word.",
    "Thank you for watching.",
)
PAUSE_S = 2.5
FPS = 25
RENDER = RenderParams(preset="ultrafast", quality="low")
_CUE = re.compile(r"(\d\d):(\d\d):(\d\d),(\d\d\d) --> (\d\d):(\d\d):(\d\d),(\d\d\d)\n(.+)")


@dataclass(frozen=True)
class Cue:
    start: float
    end: float
    text: str


def cues(srt: str) -> list[Cue]:
    found = []
    for match in _CUE.finditer(srt):
        h1, m1, s1, ms1, h2, m2, s2, ms2 = (int(v) for v in match.groups()[:8])
        start = h1 * 3600 + m1 * 60 + s1 + ms1 / 1000
        end = h2 * 3600 + m2 * 60 + s2 + ms2 / 1000
        found.append(Cue(start, end, match.group(9)))
    return found


def transcript_of(tl: otio.schema.Timeline) -> Transcript:
    reference = tl.find_clips()[0].media_reference
    assert isinstance(reference, otio.schema.ExternalReference)
    stored = get_analysis(reference, TRANSCRIPT_KEY)
    assert isinstance(stored, dict)
    return Transcript.model_validate(stored)


@pytest.fixture(scope="module")
def module_settings(tmp_path_factory: pytest.TempPathFactory) -> Settings:
    return Settings(data_dir=tmp_path_factory.mktemp("captions-data"), allow_private_urls=True)


@pytest.fixture(scope="module")
def talking(tmp_path_factory: pytest.TempPathFactory) -> TalkingClip:
    folder = tmp_path_factory.mktemp("talking")
    return make_talking_clip(
        "ffmpeg", folder / "talking.mp4", script=SCRIPT, pause_s=PAUSE_S, width=320, height=180
    )


@pytest.fixture(scope="module")
def speech_spans(talking: TalkingClip) -> list[tuple[float, float]]:
    """Where espeak speaks, by ffmpeg's silencedetect (independent of the code under test)."""
    out = subprocess.run(
        [
            *("ffmpeg", "-hide_banner", "-nostats", "-i", str(talking.path), "-vn"),
            *("-af", "silencedetect=noise=-35dB:d=0.3", "-f", "null", "-"),
        ],
        capture_output=True,
        text=True,
        check=True,
    ).stderr
    starts = [float(v) for v in re.findall(r"silence_start: ([\d.]+)", out)]
    ends = [float(v) for v in re.findall(r"silence_end: ([\d.]+)", out)]
    edges = [0.0, *[e for pair in zip(starts, ends, strict=False) for e in pair]]
    spans = [(edges[i], edges[i + 1]) for i in range(0, len(edges) - 1, 2)]
    return [(a, b) for a, b in spans if b - a > 0.5]  # the lead-in may read as "speech" at 0


@pytest.fixture(scope="module")
def source(module_settings: Settings, talking: TalkingClip) -> otio.schema.Timeline:
    path = talking.path
    info = probe(FFmpegRunner(module_settings), path)
    return source_timeline(path, info, start_ms=None, end_ms=None, name="talking")


@pytest.fixture(scope="module")
def captioned(
    module_settings: Settings,
    source: otio.schema.Timeline,
    tmp_path_factory: pytest.TempPathFactory,
) -> TileResult:
    ctx = tile_context(module_settings, tmp_path_factory.mktemp("caption-work"))
    tile = CaptionsTile()
    params = tile.parse_params({"highlight_color": "#FF00FF", "font_size_percent": 9})
    return tile.run(ctx, params, source)


@dataclass(frozen=True)
class Renders:
    with_captions: RenderedFiles
    without: RenderedFiles


@pytest.fixture(scope="module")
def renders(
    module_settings: Settings,
    source: otio.schema.Timeline,
    captioned: TileResult,
    tmp_path_factory: pytest.TempPathFactory,
) -> Renders:
    # a work dir that needs escaping in a filter graph: the ASS path is written into it
    odd = tmp_path_factory.mktemp("render") / "it's [odd], dir;x"
    with_captions = render_timeline(
        tile_context(module_settings, odd), captioned.timelines[0], RENDER
    )
    plain_dir = tmp_path_factory.mktemp("plain")
    without = render_timeline(tile_context(module_settings, plain_dir), source, RENDER)
    return Renders(with_captions, without)


def decoded(video: Path) -> np.ndarray:
    """Every frame of ``video`` as RGB (frames, 180, 320, 3); the clips are a few seconds."""
    raw = subprocess.run(
        ["ffmpeg", "-v", "error", "-i", str(video), "-f", "rawvideo", "-pix_fmt", "rgb24", "-"],
        capture_output=True,
        check=True,
    ).stdout
    return np.frombuffer(raw, dtype=np.uint8).reshape(-1, 180, 320, 3).astype(np.int16)


@pytest.fixture(scope="module")
def frames(renders: Renders) -> tuple[np.ndarray, np.ndarray]:
    return decoded(renders.with_captions.video), decoded(renders.without.video)


def caption_band_change(frames: tuple[np.ndarray, np.ndarray], seconds: float) -> float:
    """Fraction of the bottom third's pixels that the captions changed at ``seconds``."""
    index = int(seconds * FPS)  # frame i shows [i/FPS, (i+1)/FPS)
    with_captions, without = frames
    changed = np.abs(with_captions[index, 120:] - without[index, 120:]).max(axis=2) > 40
    return float(changed.mean())


def test_the_words_match_the_spoken_script(captioned: TileResult) -> None:
    transcript = transcript_of(captioned.timelines[0])
    wer = word_error_rate(" ".join(SCRIPT), transcript.text)
    assert wer < 0.15, f"WER {wer:.1%}: {transcript.text!r}"
    words = len(transcript.words)
    assert captioned.status_message is not None
    assert captioned.status_message.startswith(f"{words} words captioned")
    stored = plain(captioned.timelines[0].metadata)["tilework"]["captions"]
    assert stored["highlight_color"] == "#FF00FF" and stored["caption_style"] == "colored"


def test_captions_appear_at_the_spoken_times_and_not_in_pauses(
    frames: tuple[np.ndarray, np.ndarray], speech_spans: list[tuple[float, float]]
) -> None:
    assert len(speech_spans) == len(SCRIPT), speech_spans
    spoken = [time for start, end in speech_spans for time in (start + 0.15, (start + end) / 2)]
    for time in spoken:  # just after the voice starts, and mid-sentence
        assert caption_band_change(frames, time) > 0.01, f"no caption at {time:.2f} s"
    for (_, end), (next_start, _) in itertools.pairwise(speech_spans):
        assert next_start - end >= 2.0  # a long pause
        for time in (end + 0.3, (end + next_start) / 2, next_start - 0.3):
            assert caption_band_change(frames, time) < 0.001, f"caption in a pause: {time:.2f}"
    # above the caption band the two renders are the same picture
    with_captions, without = frames
    index = int((speech_spans[1][0] + 0.5) * FPS)
    assert float(np.abs(with_captions[index, :90] - without[index, :90]).mean()) < 2.0


def test_the_render_publishes_srt_and_vtt_and_zips_the_srt(
    renders: Renders, captioned: TileResult
) -> None:
    files = renders.with_captions
    assert set(files.extra_files) == {"captions_srt_url", "captions_vtt_url"}
    srt = files.extra_files["captions_srt_url"].read_text(encoding="utf-8")
    vtt = files.extra_files["captions_vtt_url"].read_text(encoding="utf-8")
    assert vtt.startswith("WEBVTT\n") and len(cues(srt)) >= len(SCRIPT)
    spoken = " ".join(cue.text for cue in cues(srt))
    assert spoken == transcript_of(captioned.timelines[0]).text
    assert files.timeline_zip is not None
    with zipfile.ZipFile(files.timeline_zip) as archive:
        assert archive.read(CAPTIONS_SRT_NAME).decode("utf-8") == srt
    assert any("ass=filename=" in arg for arg in files.ffmpeg_command)
    assert renders.without.extra_files == {}
    assert renders.without.timeline_zip is not None
    with zipfile.ZipFile(renders.without.timeline_zip) as archive:
        assert CAPTIONS_SRT_NAME not in archive.namelist()


def test_captions_stay_in_sync_after_a_cut(
    captioned: TileResult, speech_spans: list[tuple[float, float]], tmp_path: Path
) -> None:
    timeline = captioned.timelines[0]
    cut = (speech_spans[0][1] + speech_spans[1][0]) / 2  # in the first pause
    trimmed = trim(timeline, cut)
    snapped = to_frames(cut, FPS) / FPS  # trims land on whole frames
    (tmp_path / "full").mkdir()
    (tmp_path / "cut").mkdir()
    full = compile_render(timeline, RenderSpec(), tmp_path / "full" / "out.mp4")
    after = compile_render(trimmed, RenderSpec(), tmp_path / "cut" / "out.mp4")
    before_cut = cues(full.extra_files["captions_srt_url"].read_text())
    after_cut = cues(after.extra_files["captions_srt_url"].read_text())
    kept = [cue for cue in before_cut if cue.start >= cut]
    assert 0 < len(kept) < len(before_cut)  # the first sentence is gone
    assert [cue.text for cue in after_cut] == [cue.text for cue in kept]
    for moved, original in zip(after_cut, kept, strict=True):
        assert moved.start == pytest.approx(original.start - snapped, abs=0.002)
        assert moved.end == pytest.approx(original.end - snapped, abs=0.002)
    # the last sentence, spoken from about 9.7 s in the source, starts at that time - cut start
    spoken_at = speech_spans[-1][0]
    (thank,) = [cue for cue in after_cut if cue.text.lower().startswith("thank")]
    assert thank.start == pytest.approx(spoken_at - snapped, abs=0.05)


def test_lines_come_and_go_with_the_voice(
    renders: Renders, speech_spans: list[tuple[float, float]]
) -> None:
    """Whisper's edges are loose (0.3-0.7 s here); snapped to the speech spans they are not."""
    shown = cues(renders.with_captions.extra_files["captions_srt_url"].read_text())
    for onset, _ in speech_spans[1:]:
        assert any(abs(cue.start - onset) < 0.05 for cue in shown), f"no line starts at {onset}"
    for (_, stop), (next_onset, _) in itertools.pairwise(speech_spans):
        in_pause = [cue for cue in shown if stop < cue.end < next_onset]
        assert in_pause and all(cue.end - stop < 0.2 for cue in in_pause)


def test_a_rerun_with_another_colour_does_not_transcribe_again(
    module_settings: Settings,
    source: otio.schema.Timeline,
    captioned: TileResult,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    (entry,) = module_settings.analysis_cache_dir.rglob("*.transcript.*.json")
    written = entry.stat().st_mtime_ns

    def no_model(*_args: object) -> Transcript:
        raise AssertionError("the speech model ran again")

    monkeypatch.setattr(asr, "_transcribe", no_model)
    tile = CaptionsTile()
    result = tile.run(
        tile_context(module_settings, tmp_path),
        tile.parse_params({"highlight_color": "red", "caption_style": "karaoke"}),
        source,  # the original timeline: no transcript attached yet, so the cache answers
    )
    assert entry.stat().st_mtime_ns == written
    assert result.status_message == captioned.status_message.replace("colored", "karaoke")
    stored = plain(result.timelines[0].metadata)["tilework"]["captions"]
    assert stored["highlight_color"] == "#FF0000"
    assert transcript_of(result.timelines[0]) == transcript_of(captioned.timelines[0])


def test_a_source_without_audio_gets_no_captions_and_says_so(
    module_settings: Settings, tmp_path: Path
) -> None:
    path = make_sample_clip("ffmpeg", tmp_path / "mute.mp4", seconds=1.0, audio=None)
    info = probe(FFmpegRunner(module_settings), path)
    tl = source_timeline(path, info, start_ms=None, end_ms=None, name="mute")
    tile = CaptionsTile()
    result = tile.run(tile_context(module_settings, tmp_path / "w"), tile.parse_params({}), tl)
    assert result.status_message == "no captions: the video has no audio track"
    compiled = compile_render(result.timelines[0], RenderSpec(), tmp_path / "out.mp4")
    assert compiled.extra_files == {} and not any("ass=" in arg for arg in compiled.args)
