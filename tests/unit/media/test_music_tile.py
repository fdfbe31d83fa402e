"""Music Bed: what the tile records and the mix the render compiles."""

from __future__ import annotations

from pathlib import Path

import opentimelineio as otio
import pytest

from tests.support.media import info, tile_context
from tilework.config import Settings
from tilework.errors import ValidationError
from tilework.media.compile import RenderSpec, compile_render
from tilework.media.passes.music import music_of
from tilework.media.probe import MediaInfo
from tilework.media.timeline import source_timeline, trim
from tilework.tiles.base import UploadKind
from tilework.tiles.music import MusicTile

A = Path("/media/a.mp4")
OUT = Path("/renders/out.mp4")


def run_music(
    settings: Settings, tmp_path: Path, tl: otio.schema.Timeline, media: MediaInfo | None = None,
    **params: object,
) -> tuple[otio.schema.Timeline, str | None]:  # fmt: skip
    song = tmp_path / "song.m4a"
    song.write_bytes(b"m4a")

    def resolve(kind: UploadKind, upload_id: str) -> tuple[Path, MediaInfo | None]:
        if (kind, upload_id) != ("audio", "song"):
            raise ValidationError(f"no {kind} upload {upload_id}")
        return song, media

    ctx = tile_context(settings, tmp_path / "work")
    ctx.resolve_upload = resolve
    tile = MusicTile()
    result = tile.run(ctx, tile.parse_params({"audio_id": "song", **params}), tl)
    return result.timelines[0], result.status_message


def graph_of(args: list[str]) -> str:
    return args[args.index("-filter_complex") + 1]


def edit() -> otio.schema.Timeline:
    return trim(source_timeline(A, info(10.0), start_ms=None, end_ms=None, name="x"), 1, 5)


def test_the_music_is_looped_to_length_levelled_ducked_and_added(
    settings: Settings, tmp_path: Path
) -> None:
    tl, _ = run_music(settings, tmp_path, edit(), volume_db=-18, fade_out_s=1.5)
    args = compile_render(tl, RenderSpec(), OUT).args
    song = str(tmp_path / "song.m4a")
    assert args[args.index(song) - 5 : args.index(song) + 1] == [
        "-stream_loop", "-1", "-t", "4", "-i", song,
    ]  # fmt: skip
    graph = graph_of(args)
    assert "[1:a:0]aresample=48000" in graph and "atrim=duration=4," in graph
    assert "volume=-18dB,afade=t=in:st=0:d=1,afade=t=out:st=2.5:d=1.5[music" in graph
    assert "[acat]asplit=2[prog" in graph
    assert "sidechaincompress=threshold=0.02:ratio=8:attack=20:release=400[ducked" in graph
    assert "amix=inputs=2:duration=first:normalize=0[mix" in graph
    assert args[args.index("-map", args.index("-map") + 1) + 1].startswith("[mix")


def test_no_ducking_no_loop_and_short_fades(settings: Settings, tmp_path: Path) -> None:
    tl, _ = run_music(settings, tmp_path, edit(), ducking="off", loop=False, fade_in_s=9)
    args = compile_render(tl, RenderSpec(), OUT).args
    assert "-stream_loop" not in args
    graph = graph_of(args)
    assert "sidechaincompress" not in graph and "[acat][music" in graph
    assert "afade=t=in:st=0:d=2," in graph  # a fade never takes more than half the video


def test_a_second_music_bed_replaces_the_first(settings: Settings, tmp_path: Path) -> None:
    tl, _ = run_music(settings, tmp_path, edit(), volume_db=-6)
    tl, message = run_music(settings, tmp_path, tl, ducking="strong")
    bed = music_of(tl)
    assert bed is not None and bed.volume_db == -12 and bed.ducking == "strong"
    assert message is not None and "replaces" in message
    assert graph_of(compile_render(tl, RenderSpec(), OUT).args).count("amix") == 1
    assert music_of(edit()) is None


def test_audio_without_sound_is_refused(settings: Settings, tmp_path: Path) -> None:
    silent = MediaInfo(duration_s=3.0, has_video=True, width=16, height=16)
    with pytest.raises(ValidationError, match="has no audio stream"):
        run_music(settings, tmp_path, edit(), silent)
