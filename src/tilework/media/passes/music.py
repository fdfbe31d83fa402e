"""The music bed pass: mix a music track under the programme, ducked while someone speaks.

The bed is recorded by the Music Bed tile in ``timeline.metadata["tilework"]["music"]``. At render
time the music is looped (``-stream_loop -1``) or padded with silence, cut to the programme's
length (``-t`` on the input, so the looped file is never read past it), set to its level, faded
in and out, and compressed by ``sidechaincompress`` keyed by the programme's own sound: speech
over the threshold pulls the music down, pauses let it come back (attack 20 ms, release 400 ms,
so it does not pump between words). ``amix`` with ``normalize=0`` then adds the two without
halving the programme, which is what amix does by default.
"""

from __future__ import annotations

from typing import Any, Literal

import opentimelineio as otio
from pydantic import BaseModel, ConfigDict, Field

from tilework.media.graph import PassContext, seconds_arg
from tilework.media.timeline import NAMESPACE, plain

MUSIC_KEY = "music"
SAMPLE_RATE = 48000
Ducking = Literal["off", "light", "medium", "strong"]
# sidechaincompress ratios. With the threshold at -34 dBFS, speech around -20 dBFS lowers the
# music by about 9 / 12 / 13 dB (light / medium / strong) on top of its set level.
DUCK_RATIO: dict[str, int] = {"light": 3, "medium": 8, "strong": 20}
DUCK_THRESHOLD = 0.02  # ≈ -34 dBFS: quieter than speech, louder than room tone
ATTACK_MS, RELEASE_MS = 20, 400


class MusicBed(BaseModel):
    """The music as stored on the timeline (what the tile writes and this pass reads)."""

    model_config = ConfigDict(extra="ignore", frozen=True)

    path: str  # absolute path of the audio file
    volume_db: float = Field(default=-12.0, ge=-60, le=12)
    ducking: Ducking = "medium"
    fade_in_s: float = Field(default=1.0, ge=0, le=30)
    fade_out_s: float = Field(default=2.0, ge=0, le=30)
    loop: bool = True


def music_of(tl: otio.schema.Timeline) -> MusicBed | None:
    stored = plain(tl.metadata).get(NAMESPACE, {}).get(MUSIC_KEY)
    return MusicBed.model_validate(stored) if isinstance(stored, dict) else None


def set_music(tl: otio.schema.Timeline, bed: MusicBed) -> None:
    """Record ``bed`` as ``tl``'s music (in place; a timeline has at most one music bed)."""
    namespace: dict[str, Any] = plain(tl.metadata).get(NAMESPACE, {})
    namespace[MUSIC_KEY] = bed.model_dump(mode="json")
    tl.metadata[NAMESPACE] = namespace


def music_chain(source: str, bed: MusicBed, duration_s: float) -> str:
    """The bed at its level, exactly ``duration_s`` long, with its fades."""
    length = seconds_arg(duration_s)
    fmt = f"aformat=sample_fmts=fltp:sample_rates={SAMPLE_RATE}:channel_layouts=stereo"
    chain = (
        f"{source}aresample={SAMPLE_RATE},{fmt},apad,atrim=duration={length},"
        f"asetpts=PTS-STARTPTS,volume={bed.volume_db:g}dB"
    )
    fade_in, fade_out = min(bed.fade_in_s, duration_s / 2), min(bed.fade_out_s, duration_s / 2)
    if fade_in > 0:
        chain += f",afade=t=in:st=0:d={seconds_arg(fade_in)}"
    if fade_out > 0:
        chain += f",afade=t=out:st={seconds_arg(duration_s - fade_out)}:d={seconds_arg(fade_out)}"
    return chain


def music_pass(ctx: PassContext, audio: str) -> str:
    bed = music_of(ctx.timeline)
    if bed is None or ctx.duration_s <= 0:
        return audio
    loop = ["-stream_loop", "-1"] if bed.loop else []
    number = ctx.graph.add_input([*loop, "-t", seconds_arg(ctx.duration_s), "-i", bed.path])
    music = ctx.graph.label("music")
    ctx.graph.add(f"{music_chain(f'[{number}:a:0]', bed, ctx.duration_s)}{music}")
    if bed.ducking != "off":
        programme, key, ducked = (ctx.graph.label(p) for p in ("prog", "key", "ducked"))
        ctx.graph.add(f"{audio}asplit=2{programme}{key}")
        ctx.graph.add(
            f"{music}{key}sidechaincompress=threshold={DUCK_THRESHOLD}:"
            f"ratio={DUCK_RATIO[bed.ducking]}:attack={ATTACK_MS}:release={RELEASE_MS}{ducked}"
        )
        audio, music = programme, ducked
    out = ctx.graph.label("mix")
    ctx.graph.add(f"{audio}{music}amix=inputs=2:duration=first:normalize=0{out}")
    return out
