"""Silence removal on real speech: the known pauses go, no word is clipped, the edit keeps sync."""

from __future__ import annotations

import math
import re
import subprocess
from pathlib import Path

import numpy as np
import numpy.typing as npt
import opentimelineio as otio
import pytest

from tests.support.media import ffprobe, requires_ffmpeg, tile_context
from tests.support.talking import (
    ESPEAK_END_SILENCE_S,
    PAUSE_S,
    SCRIPT,
    TAIL_S,
    short_talking_clip,
)
from tilework.analysis.asr import Transcript, transcribe
from tilework.config import Settings
from tilework.media.export import read_timeline_zip
from tilework.media.probe import probe
from tilework.media.runner import FFmpegRunner
from tilework.media.samples import TalkingClip, make_sample_clip
from tilework.media.timeline import Segment, clip_segments, duration_s, source_timeline
from tilework.tiles.base import RenderedFiles, TileResult
from tilework.tiles.render import RenderParams, render_timeline
from tilework.tiles.silence_removal import SilenceRemovalTile

pytestmark = requires_ffmpeg
PADDING_S = 0.15
# Whisper tiny's word times are off by up to ~0.4 s (a word start 0.4 s early, a sentence's last
# word ending 0.3 s late), so its spans only catch a cut well inside a word; the audio itself
# shows whether a cut is in silence.
WORD_TOLERANCE_S = 0.3
SILENT_DBFS = -45.0


@pytest.fixture(scope="module")
def talking(tmp_path_factory: pytest.TempPathFactory) -> TalkingClip:
    return short_talking_clip(tmp_path_factory.getbasetemp())


@pytest.fixture(scope="module")
def speech_settings(tmp_path_factory: pytest.TempPathFactory) -> Settings:
    """Settings whose analysis cache lives for the module (ASR runs once per file)."""
    return Settings(data_dir=tmp_path_factory.mktemp("speech-data"))


@pytest.fixture(scope="module")
def cut(
    speech_settings: Settings, talking: TalkingClip, tmp_path_factory: pytest.TempPathFactory
) -> tuple[otio.schema.Timeline, TileResult, RenderedFiles]:
    """The talking clip, its silence-removed edit and the render of that edit."""
    ctx = tile_context(speech_settings, tmp_path_factory.mktemp("silence-work"))
    info = probe(FFmpegRunner(speech_settings), talking.path)
    source = source_timeline(talking.path, info, start_ms=None, end_ms=None, name="talk")
    tile = SilenceRemovalTile()
    result = tile.run(ctx, tile.parse_params({}), source)
    files = render_timeline(ctx, result.timelines[0], RenderParams(preset="ultrafast"))
    return source, result, files


def test_the_known_pauses_are_removed(
    cut: tuple[otio.schema.Timeline, TileResult, RenderedFiles], talking: TalkingClip
) -> None:
    source, result, files = cut
    # every pause between sentences loses all but the padding on both sides; the silence at the
    # end (espeak's own plus the clip's tail) all but the padding after the last word
    between = (len(SCRIPT) - 1) * (PAUSE_S - 2 * PADDING_S)
    expected = between + (ESPEAK_END_SILENCE_S + TAIL_S - PADDING_S)
    rendered_s = float(ffprobe(files.video)["format"]["duration"])
    assert talking.duration_s - rendered_s == pytest.approx(expected, abs=0.3)
    edited = result.timelines[0]
    assert duration_s(edited) == pytest.approx(rendered_s, abs=0.1)
    assert duration_s(source) - duration_s(edited) == pytest.approx(expected, abs=0.3)
    message = result.status_message or ""
    assert re.fullmatch(r"removed \d+\.\d s in 3 pauses \(7\.\d s → 4\.\d s\)", message), message
    # the speech found is stored on the source, in source seconds, for later tiles
    reference = edited.tracks[0][0].media_reference
    assert len(reference.metadata["tilework"]["speech"]["spans"]) == len(SCRIPT)
    # Premiere gets one clip item per kept piece, on the picture and the sound track
    premiere = read_timeline_zip(files.timeline_zip)  # type: ignore[arg-type]
    video, audio = premiere.tracks[0], premiere.tracks[1]
    assert len(list(video.find_clips())) == len(SCRIPT)
    assert len(list(audio.find_clips())) == len(SCRIPT)


def _normalised(transcript: Transcript) -> list[str]:
    return [re.sub(r"[^a-z']", "", word.text.lower()) for word in transcript.words]


def _dbfs_around(samples: npt.NDArray[np.float32], at_s: float, rate: int = 16000) -> float:
    """RMS level of the 50 ms of ``samples`` centred on ``at_s``."""
    window = samples[max(0, round((at_s - 0.025) * rate)) : round((at_s + 0.025) * rate)]
    rms = float(np.sqrt(np.mean(np.square(window.astype(np.float64))))) if window.size else 0.0
    return 20 * math.log10(max(rms, 1e-9))


def _source_audio(path: Path, rate: int = 16000) -> npt.NDArray[np.float32]:
    raw = subprocess.run(
        ["ffmpeg", "-v", "error", "-i", str(path), "-vn", "-ac", "1", "-ar", str(rate),
         "-f", "f32le", "-"],
        capture_output=True, check=True,
    ).stdout  # fmt: skip
    return np.frombuffer(raw, dtype=np.float32)


def _to_edit_time(source_s: float, segments: list[Segment]) -> float | None:
    for segment in segments:
        if segment.start_s <= source_s < segment.start_s + segment.duration_s:
            return segment.timeline_start_s + source_s - segment.start_s
    return None


def test_no_cut_falls_inside_a_word_and_the_words_stay_in_sync(
    cut: tuple[otio.schema.Timeline, TileResult, RenderedFiles], speech_settings: Settings
) -> None:
    source, result, files = cut
    segments = clip_segments(result.timelines[0])
    assert len(segments) == len(SCRIPT)
    path = clip_segments(source)[0].path
    assert path is not None
    before = transcribe(speech_settings, path)
    (whole,) = clip_segments(source)
    boundaries = [x for s in segments for x in (s.start_s, s.start_s + s.duration_s)]
    boundaries = [x for x in boundaries if x not in (whole.start_s, whole.duration_s)]  # cuts only
    assert len(boundaries) == 2 * len(SCRIPT) - 1  # between the sentences, and the tail
    audio = _source_audio(path)
    for boundary in boundaries:
        assert _dbfs_around(audio, boundary) < SILENT_DBFS, f"cut at {boundary:.2f} s in sound"
    for word in before.words:
        for boundary in boundaries:
            inside = word.start + WORD_TOLERANCE_S < boundary < word.end - WORD_TOLERANCE_S
            assert not inside, f"cut at {boundary:.2f} s inside {word.text!r}"
    # the render says the same words, each where the edit maps its source time
    after = transcribe(speech_settings, files.video)
    assert _normalised(after) == _normalised(before)
    # (word middles: Whisper's word edges are the loose part)
    mapped = [_to_edit_time((word.start + word.end) / 2, segments) for word in before.words]
    assert None not in mapped and mapped == sorted(mapped)  # type: ignore[type-var]
    for word, expected_s in zip(after.words, mapped, strict=True):
        assert (word.start + word.end) / 2 == pytest.approx(expected_s, abs=0.3), word.text


def test_the_vad_detector_finds_the_same_pauses(
    speech_settings: Settings,
    talking: TalkingClip,
    cut: tuple[otio.schema.Timeline, TileResult, RenderedFiles],
    tmp_path: Path,
) -> None:
    source, energy, _ = cut
    tile = SilenceRemovalTile()
    ctx = tile_context(speech_settings, tmp_path)
    vad = tile.run(ctx, tile.parse_params({"detector": "vad"}), source)
    assert len(clip_segments(vad.timelines[0])) == len(SCRIPT)
    assert duration_s(vad.timelines[0]) == pytest.approx(duration_s(energy.timelines[0]), abs=0.3)


def test_a_clip_without_audio_or_speech_is_left_unchanged(
    speech_settings: Settings, tmp_path: Path
) -> None:
    silent_video = make_sample_clip("ffmpeg", tmp_path / "mute.mp4", seconds=2.0, audio=None)
    quiet = tmp_path / "quiet.mp4"
    subprocess.run(
        ["ffmpeg", "-v", "error", "-f", "lavfi", "-i", "color=c=gray:s=160x90:r=25:d=2",
         "-f", "lavfi", "-i", "anullsrc=r=48000:cl=stereo", "-t", "2", "-c:v", "libx264",
         "-preset", "ultrafast", "-c:a", "aac", "-shortest", str(quiet)],
        check=True,
    )  # fmt: skip
    runner = FFmpegRunner(speech_settings)
    ctx = tile_context(speech_settings, tmp_path / "work")
    tile = SilenceRemovalTile()
    for path, reason in ((silent_video, "has no audio"), (quiet, "no speech found above -35 dB")):
        tl = source_timeline(path, probe(runner, path), start_ms=None, end_ms=None, name="x")
        result = tile.run(ctx, tile.parse_params({}), tl)
        assert reason in (result.status_message or "") and "left unchanged" in (
            result.status_message or ""
        )
        (edited,) = result.timelines
        assert [(s.start_s, s.duration_s) for s in clip_segments(edited)] == [(0.0, 2.0)]
        assert len(edited.tracks[1]) == 1
