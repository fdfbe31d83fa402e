"""The Music Bed tile rendered for real: the music is heard in the pauses and ducked under speech.

The music is a pure tone, so its level in the mix can be read at its frequency alone (an FFT bin)
while the speech around it barely touches that bin. Where the programme speaks or pauses is
measured on the source clip itself, not assumed from the script.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import numpy.typing as npt
import pytest

from tests.support.decode import audio_mono, tone_wav
from tests.support.media import ffprobe, requires_ffmpeg, tile_context
from tilework.config import Settings
from tilework.media.probe import MediaInfo, probe
from tilework.media.runner import FFmpegRunner
from tilework.media.samples import make_talking_clip
from tilework.media.timeline import source_timeline
from tilework.tiles.base import UploadKind
from tilework.tiles.music import MusicTile
from tilework.tiles.render import RenderParams, render_timeline

pytestmark = requires_ffmpeg

RATE = 16000
HOP_S = 0.1
TONE_HZ = 2000
SCRIPT = ("Welcome to the music test.", "The music goes down while I speak.")


@pytest.fixture(scope="module")
def media(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    folder = tmp_path_factory.mktemp("music")
    talk = make_talking_clip(
        "ffmpeg", folder / "talk.mp4", script=SCRIPT, pause_s=2.0, lead_in_s=1.5, tail_s=2.0,
        width=320, height=180, face=False,
    )  # fmt: skip
    # Shorter than the clip: it has to loop to cover it.
    return {"clip": talk.path, "music": tone_wav(folder / "music.wav", TONE_HZ, 2.5)}


def windows(samples: npt.NDArray[np.float32]) -> npt.NDArray[np.float32]:
    hop = int(RATE * HOP_S)
    count = len(samples) // hop
    return samples[: count * hop].reshape(count, hop)


def tone_level(samples: npt.NDArray[np.float32]) -> npt.NDArray[np.float64]:
    """Per 0.1 s window: the tone's amplitude (its FFT bin, Hann-windowed)."""
    frames = windows(samples) * np.hanning(int(RATE * HOP_S))
    spectrum = np.abs(np.fft.rfft(frames, axis=1))
    return np.asarray(spectrum[:, round(TONE_HZ * HOP_S)], dtype=np.float64)


def speech_mask(samples: npt.NDArray[np.float32]) -> tuple[npt.NDArray[np.bool_], ...]:
    """Windows well inside speech, and windows well inside pauses (0.5 s from any speech)."""
    rms = np.sqrt((windows(samples) ** 2).mean(axis=1))
    loud = rms > 0.02
    near = np.convolve(loud.astype(float), np.ones(11), mode="same") > 0  # ±0.5 s
    inside = np.convolve(loud.astype(float), np.ones(3), mode="same") == 3
    return inside, ~near


def render_with_music(
    settings: Settings, runner: FFmpegRunner, media: dict[str, Path], work: Path, **params: object
) -> Path:
    def resolve(kind: UploadKind, upload_id: str) -> tuple[Path, MediaInfo | None]:
        assert (kind, upload_id) == ("audio", "song")
        return media["music"], probe(runner, media["music"], "audio")

    ctx = tile_context(settings, work)
    ctx.resolve_upload = resolve
    tl = source_timeline(media["clip"], probe(runner, media["clip"]), start_ms=None, end_ms=None,
                         name="in")  # fmt: skip
    tile = MusicTile()
    edited = tile.run(ctx, tile.parse_params({"audio_id": "song", **params}), tl).timelines[0]
    return render_timeline(ctx, edited, RenderParams(preset="ultrafast")).video


def test_music_is_heard_in_pauses_and_ducked_under_speech(
    settings: Settings, runner: FFmpegRunner, media: dict[str, Path], tmp_path: Path
) -> None:
    video = render_with_music(settings, runner, media, tmp_path, volume_db=-12, fade_in_s=0.5,
                              fade_out_s=0.5)  # fmt: skip
    source_s = float(ffprobe(media["clip"])["format"]["duration"])
    assert float(ffprobe(video)["format"]["duration"]) == pytest.approx(source_s, abs=0.1)
    original, mixed = audio_mono(media["clip"], RATE), audio_mono(video, RATE)
    speaking, pausing = speech_mask(original)
    count = min(len(speaking), len(tone_level(mixed)))
    level = tone_level(mixed)[:count]
    speaking, pausing = speaking[:count], pausing[:count]
    pausing[: round(1.0 / HOP_S)] = pausing[-round(1.0 / HOP_S) :] = False  # away from the fades
    assert speaking.sum() >= 10 and pausing.sum() >= 5
    in_pauses, under_speech = np.median(level[pausing]), np.median(level[speaking])
    # The source has no tone at all: whatever is in the bin is the music.
    assert np.median(tone_level(original)[: len(level)][pausing]) < in_pauses / 20
    ducked_db = 20 * np.log10(in_pauses / under_speech)
    assert ducked_db > 6, f"music only {ducked_db:.1f} dB lower under speech"
    # -12 dB of a full-scale sine (amplitude 1/8 from ffmpeg's sine source) in the pauses.
    expected = 0.125 * 10 ** (-12 / 20) * np.hanning(int(RATE * HOP_S)).sum() / 2
    assert in_pauses == pytest.approx(expected, rel=0.3)
    # The tone is 2.5 s long and the clip longer: looping keeps it in the last pause too.
    last_pause = np.flatnonzero(pausing)[-1]
    assert level[last_pause] > in_pauses / 2


def test_without_ducking_the_music_stays_level(
    settings: Settings, runner: FFmpegRunner, media: dict[str, Path], tmp_path: Path
) -> None:
    video = render_with_music(settings, runner, media, tmp_path, ducking="off", fade_in_s=0,
                              fade_out_s=0)  # fmt: skip
    speaking, pausing = speech_mask(audio_mono(media["clip"], RATE))
    level = tone_level(audio_mono(video, RATE))
    count = min(len(level), len(speaking))
    ratio_db = 20 * np.log10(
        np.median(level[:count][pausing[:count]]) / np.median(level[:count][speaking[:count]])
    )
    assert abs(ratio_db) < 2
