"""Probe a file and refuse anything that is not decodable media of the expected kind.

Inputs are probed before a run is accepted, so the checks here decide whether a bad upload is a
clear 400 or a confusing failure deep inside a render. ffprobe alone is not enough: an MP4 cut
in half with its ``moov`` box at the front probes fine, so we also decode the last half second
(cheap: one seek, a few frames). ``width``/``height`` are the frame as displayed, rotation applied.
"""

from __future__ import annotations

from fractions import Fraction
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel

from tilework.errors import MediaError
from tilework.media.runner import FFmpegRunner

MediaKind = Literal["video", "audio", "image"]

TAIL_CHECK_S = 0.5
_IMAGE_FORMATS = ("image2", "png_pipe", "jpeg_pipe", "webp_pipe", "bmp_pipe", "tiff_pipe")
_IMAGE_CODECS = ("png", "mjpeg", "webp", "bmp", "tiff", "gif")
_REFUSAL = {
    "video": "not a decodable video",
    "audio": "not decodable audio",
    "image": "not a decodable image",
}


class MediaInfo(BaseModel):
    """What the engine and the compiler need to know about a media file."""

    duration_s: float
    width: int = 0  # displayed width (rotation applied); 0 without video
    height: int = 0
    fps: float = 0.0
    has_video: bool = False
    has_audio: bool = False
    video_codec: str | None = None
    audio_codec: str | None = None
    pix_fmt: str | None = None
    rotation: int = 0  # clockwise degrees the player applies: 0, 90, 180 or 270
    size_bytes: int = 0
    format_name: str | None = None


def probe(
    runner: FFmpegRunner, path: Path, kind: MediaKind = "video", *, decode_check: bool = True
) -> MediaInfo:
    """``MediaInfo`` of ``path``, or ``MediaError("<name>: not a decodable video: <reason>")``.

    ``decode_check=False`` trusts the file's streams (for files ffmpeg itself just wrote)."""
    path = Path(path)
    refuse = _refusal(path.name, kind)
    size = _size_of(path, refuse)
    return _probe_source(runner, str(path.absolute()), size, kind, refuse, decode_check)


def probe_url(
    runner: FFmpegRunner, url: str, kind: MediaKind, *, size_bytes: int, name: str
) -> MediaInfo:
    """``probe`` of a file behind a (presigned) HTTP URL, read with range requests: ffprobe
    reads the headers and the decode check the last half second, never the whole file."""
    refuse = _refusal(name, kind)
    if size_bytes <= 0:
        raise refuse("the file is empty")
    return _probe_source(runner, url, size_bytes, kind, refuse, decode_check=True)


def check_decodes(runner: FFmpegRunner, path: Path, info: MediaInfo, kind: MediaKind) -> None:
    """The decode check ``probe`` skips with ``decode_check=False``, on its own (so callers can
    run it beside other work on the same file); the same ``MediaError`` as ``probe``."""
    try:
        _decode_check(runner, str(Path(path).absolute()), info, kind)
    except MediaError as exc:
        detail = exc.detail.removeprefix("ffmpeg failed: ")
        raise _refusal(Path(path).name, kind)(detail) from exc


def _refusal(name: str, kind: MediaKind) -> Any:
    def refuse(reason: str) -> MediaError:
        return MediaError(f"{name}: {_REFUSAL[kind]}: {reason}")

    return refuse


def _probe_source(
    runner: FFmpegRunner, source: str, size: int, kind: MediaKind, refuse: Any, decode_check: bool
) -> MediaInfo:
    try:
        data = runner.probe_json(source)
    except MediaError as exc:
        raise refuse(exc.detail) from exc
    info = media_info_from_probe(data, size)
    problem = _kind_problem(info, kind)
    if problem:
        raise refuse(problem)
    try:
        if decode_check:
            _decode_check(runner, source, info, kind)
    except MediaError as exc:
        raise refuse(exc.detail.removeprefix("ffmpeg failed: ")) from exc
    return info


def _size_of(path: Path, refuse: Any) -> int:
    try:
        size = path.stat().st_size
    except OSError as exc:
        raise refuse("file not found") from exc
    if not path.is_file():
        raise refuse("not a file")
    if size == 0:
        raise refuse("the file is empty")
    return size


def media_info_from_probe(data: dict[str, Any], size_bytes: int = 0) -> MediaInfo:
    """Build ``MediaInfo`` from ffprobe's JSON (``-show_format -show_streams``)."""
    fmt = data.get("format") or {}
    streams = [s for s in data.get("streams") or [] if isinstance(s, dict)]
    video = _first(streams, "video")
    audio = _first(streams, "audio")
    rotation = _rotation(video) if video else 0
    width, height = _int(video, "width"), _int(video, "height")
    if rotation in (90, 270):
        width, height = height, width
    return MediaInfo(
        duration_s=_duration(fmt, streams),
        width=width,
        height=height,
        fps=_fps(video) if video else 0.0,
        has_video=video is not None,
        has_audio=audio is not None,
        video_codec=video.get("codec_name") if video else None,
        audio_codec=audio.get("codec_name") if audio else None,
        pix_fmt=video.get("pix_fmt") if video else None,
        rotation=rotation,
        size_bytes=size_bytes or int(_float(fmt.get("size"))),
        format_name=fmt.get("format_name"),
    )


def _first(streams: list[dict[str, Any]], codec_type: str) -> dict[str, Any] | None:
    for stream in streams:
        cover_art = (stream.get("disposition") or {}).get("attached_pic") == 1
        if stream.get("codec_type") == codec_type and not cover_art:
            return stream
    return None


def _float(value: Any) -> float:
    try:
        return float(value)
    except (TypeError, ValueError):
        return 0.0


def _int(stream: dict[str, Any] | None, key: str) -> int:
    return int(_float((stream or {}).get(key)))


def _duration(fmt: dict[str, Any], streams: list[dict[str, Any]]) -> float:
    found = _float(fmt.get("duration"))
    if found <= 0:
        found = max((_float(s.get("duration")) for s in streams), default=0.0)
    return round(found, 6)


STANDARD_RATES = (23.976024, 24.0, 25.0, 29.970030, 30.0, 48.0, 50.0, 59.940060, 60.0, 120.0)


def _fps(video: dict[str, Any]) -> float:
    """The frame rate edits snap to: a standard rate whenever the stream is close to one.

    Variable-frame-rate phone video has an odd average (20.69 fps) but a standard base rate
    (``r_frame_rate`` 30): timelines and Premiere timecode need the standard one.
    """
    average, base = _rate(video, "avg_frame_rate"), _rate(video, "r_frame_rate")
    for rate in (average, base):
        standard = min(STANDARD_RATES, key=lambda s: abs(rate - s))
        if abs(rate - standard) <= standard * 0.005:  # 30 stays 30, 29.97 stays 29.97
            return standard
    rate = average or base
    if rate <= 0:
        return 0.0
    # Screen recorders and webcams use 7.5 and 12.5 too: keep halves rather than rounding
    # them away (which would drop or repeat frames); anything else, the nearest whole number.
    half = round(rate * 2) / 2
    if abs(rate - half) <= half * 0.005:
        return max(0.5, half)
    return float(max(1, round(rate)))


def planned_fps(rate: str) -> float:
    """The rate ``probe`` will report for a file ffmpeg writes at ``rate`` (``"30000/1001"``)."""
    return _fps({"avg_frame_rate": rate, "r_frame_rate": rate})


def _rate(video: dict[str, Any], key: str) -> float:
    num, _, den = str(video.get(key) or "0/0").partition("/")
    try:
        rate = Fraction(int(num), int(den or 1))
    except (ValueError, ZeroDivisionError):
        return 0.0
    return round(float(rate), 6) if 0 < rate <= 1000 else 0.0


def _rotation(video: dict[str, Any]) -> int:
    for side in video.get("side_data_list") or []:
        if "rotation" in side:  # display matrix: counter-clockwise degrees
            return int(round(-_float(side["rotation"]) / 90) * 90) % 360
    rotate = (video.get("tags") or {}).get("rotate")
    return int(round(_float(rotate) / 90) * 90) % 360


def _is_image(info: MediaInfo) -> bool:
    formats = set((info.format_name or "").split(","))
    return bool(formats & set(_IMAGE_FORMATS)) or (
        info.video_codec in _IMAGE_CODECS and not info.has_audio and info.duration_s <= 0.05
    )


def _kind_problem(info: MediaInfo, kind: MediaKind) -> str | None:
    if kind == "image":
        return None if info.has_video and _is_image(info) else "it is not an image"
    if kind == "audio":
        return None if info.has_audio else "it has no audio stream"
    if not info.has_video:
        return "it has no video stream"
    if _is_image(info):
        return "it is a still image, not a video"
    if info.width <= 0 or info.height <= 0:
        return "the video stream has no frame size"
    if info.duration_s <= 0:
        return "it has no duration"
    return None


def _decode_check(runner: FFmpegRunner, source: str, info: MediaInfo, kind: MediaKind) -> None:
    """Decode the last half second (or the one image): truncated files fail or yield nothing."""
    if kind == "image":
        args = ["-v", "error", "-xerror", "-i", source, "-frames:v", "1", "-f", "null", "-"]
        decoded = runner.run(args, short=True).frames > 0
    else:
        start = max(0.0, info.duration_s - TAIL_CHECK_S)
        stream = "0:a:0" if kind == "audio" else "0:v:0"
        args = ["-v", "error", "-xerror", "-ss", f"{start:.3f}", "-i", source, "-map", stream]
        stats = runner.run([*args, "-t", f"{TAIL_CHECK_S}", "-f", "null", "-"], short=True)
        decoded = stats.out_time_s > 0 if kind == "audio" else stats.frames > 0
    if not decoded:
        raise MediaError("nothing decodes near its end (the file looks truncated)")
