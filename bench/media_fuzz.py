"""Hostile media through a live server (``make fuzz``): 200 corrupted variants of one clip.

A 2 s 320x180 H.264/AAC MP4 is made with ffmpeg, then bent 200 ways (seeded, so every run is
the same): random byte flips, truncation at random offsets, other formats under a ``.mp4`` name
(and the clip under other names), empty files and streams without samples, and boxes that declare
absurd sizes and durations. Each variant goes through ``tilework serve`` as a user's would:
upload, finalize, and, when the upload is accepted, a run of Video Input -> Render.

Every item must end within ``ITEM_DEADLINE_S`` with either a clear error (a 4xx ``{detail,
error}`` of one line, or a failed run whose errors say why) or a valid output (a render that
decodes). The server must stay up and answer throughout, and no ffmpeg may outlive the run.
Prints the counts per outcome and per kind of damage.
"""

from __future__ import annotations

import random
import struct
import subprocess
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx

from bench.live import LiveServer, descendants

SEED = 13
ITEM_DEADLINE_S = 240.0
PARALLEL = 3
VIDEO_INPUT = "9451e6ff-ac7f-4317-9055-a2f35f641b29"
RENDER = "c7a3e5d2-41f8-4b9e-a6d0-3f2b8e9c1a74"


@dataclass(frozen=True)
class Variant:
    kind: str  # flip | truncate | extension | empty | declared | splice
    name: str  # the file name it is uploaded under
    data: bytes


@dataclass(frozen=True)
class Outcome:
    variant: Variant
    result: str  # refused | output | run_failed | BAD_*
    seconds: float
    detail: str


# --- the clip and its variants ----------------------------------------------------------------


def ffmpeg(*args: str) -> None:
    subprocess.run(["ffmpeg", "-v", "error", "-y", *args], check=True, timeout=120)


def base_files(folder: Path) -> dict[str, bytes]:
    clip, sources = folder / "clip.mp4", ["-f", "lavfi", "-i", "testsrc2=size=320x180:rate=25"]
    tone = ["-f", "lavfi", "-i", "sine=frequency=440"]
    ffmpeg(*sources, *tone, "-t", "2", "-c:v", "libx264", "-pix_fmt", "yuv420p", "-c:a", "aac",
           "-movflags", "+faststart", str(clip))  # fmt: skip
    outputs = {
        "wav": ["-f", "lavfi", "-i", "sine", "-t", "1"],
        "png": [*sources, "-frames:v", "1"],
        "gif": [*sources, "-t", "0.5"],
        "mkv": [*sources, "-t", "1", "-c:v", "mpeg4"],
        "mp3": ["-f", "lavfi", "-i", "sine", "-t", "1"],
        "audio_only.mp4": ["-f", "lavfi", "-i", "sine", "-t", "1", "-c:a", "aac"],
        "no_frames.mp4": [*sources, "-frames:v", "0", "-c:v", "libx264"],
    }
    found = {"clip": clip.read_bytes()}
    for name, args in outputs.items():
        path = folder / f"other.{name}"
        ffmpeg(*args, str(path))
        found[name] = path.read_bytes()
    return found


def variants(files: dict[str, bytes]) -> list[Variant]:
    rng = random.Random(SEED)
    clip = files["clip"]
    made = [
        *(_flip(clip, rng, n) for n in range(60)),
        *(_truncate(clip, rng, n) for n in range(50)),
        *_wrong_extensions(files),
        *_empty(files),
        *_declared(clip, rng),
        *(_splice(clip, rng, n) for n in range(20)),
    ]
    assert len(made) == 200, len(made)
    return made


def _flip(clip: bytes, rng: random.Random, n: int) -> Variant:
    data = bytearray(clip)
    head = n % 2 == 0  # half of them hit the boxes at the front (moov), half anywhere
    for _ in range(rng.randint(1, 64)):
        at = rng.randrange(0, min(len(data), 4096) if head else len(data))
        data[at] ^= 1 << rng.randrange(8)
    return Variant("flip", f"flip-{n}.mp4", bytes(data))


def _truncate(clip: bytes, rng: random.Random, n: int) -> Variant:
    return Variant("truncate", f"truncated-{n}.mp4", clip[: rng.randrange(1, len(clip))])


def _wrong_extensions(files: dict[str, bytes]) -> Iterator[Variant]:
    for name in ("wav", "png", "gif", "mkv", "mp3"):
        yield Variant("extension", f"{name}-as.mp4", files[name])
    texts = {
        "html": b"<!doctype html><html><body>not a video</body></html>",
        "json": b'{"video": "no"}',
        "text": b"hello " * 500,
        "elf": Path(sys.executable).read_bytes()[:65536],
        "zeros": bytes(100_000),
        "random": random.Random(SEED).randbytes(200_000),
    }
    for name, data in texts.items():
        yield Variant("extension", f"{name}-as.mp4", data)
    for name in ("clip.jpg", "clip.wav", "clip.txt", "clip", "clip.mp4.exe", "clip.mkv"):
        yield Variant("extension", name, files["clip"])
    yield Variant("extension", "mkv-as.mov", files["mkv"])
    yield Variant("extension", "gif-as.webm", files["gif"])
    yield Variant("extension", "png-as.avi", files["png"])


def _empty(files: dict[str, bytes]) -> Iterator[Variant]:
    clip = files["clip"]
    mdat = clip.find(b"mdat") - 4
    yield Variant("empty", "empty.mp4", b"")
    yield Variant("empty", "no-frames.mp4", files["no_frames.mp4"])
    yield Variant("empty", "audio-only.mp4", files["audio_only.mp4"])
    yield Variant("empty", "header-only.mp4", clip[:mdat])
    yield Variant("empty", "ftyp-only.mp4", clip[: clip.find(b"moov") - 4])
    yield Variant("empty", "empty-mdat.mp4", clip[:mdat] + struct.pack(">I", 8) + b"mdat")
    yield Variant("empty", "zeroed-mdat.mp4", clip[: mdat + 8] + bytes(len(clip) - mdat - 8))
    for box in (b"stsz", b"stco", b"stts", b"stsc", b"stss", b"avcC", b"esds", b"mdat"):
        yield Variant("empty", f"no-{box.decode()}.mp4", _zero_box(clip, box))
    for count, box in ((0, b"stsz"), (0, b"stts"), (0, b"stco"), (0, b"stsc"), (1, b"stsz")):
        yield Variant("empty", f"{box.decode()}-count-{count}.mp4", _set_count(clip, box, count))


def _declared(clip: bytes, rng: random.Random) -> Iterator[Variant]:
    sizes = [(65535, 65535), (16384, 16384), (0, 0), (1, 1), (65535, 1)]
    for width, height in sizes:
        yield Variant("declared", f"tkhd-{width}x{height}.mp4", _tkhd_size(clip, width, height))
        yield Variant("declared", f"avc1-{width}x{height}.mp4", _avc1_size(clip, width, height))
    for duration in (0xFFFFFFFF, 0x7FFFFFFF, 0, 1):
        yield Variant(
            "declared", f"mvhd-duration-{duration}.mp4", _patch(clip, b"mvhd", 16, duration)
        )
        yield Variant(
            "declared", f"mdhd-duration-{duration}.mp4", _patch(clip, b"mdhd", 16, duration)
        )
    for timescale in (1, 0, 0xFFFFFFFF):
        yield Variant(
            "declared", f"mdhd-timescale-{timescale}.mp4", _patch(clip, b"mdhd", 12, timescale)
        )
    for n in range(9):  # sample table entries claiming 2 GB samples, random ones of them
        data = bytearray(clip)
        entries = clip.find(b"stsz") + 16
        count = struct.unpack(">I", clip[entries - 4 : entries])[0]
        for _ in range(1 + n * 3):
            at = entries + 4 * rng.randrange(max(1, count))
            data[at : at + 4] = struct.pack(">I", 0x7FFFFFFF)
        yield Variant("declared", f"stsz-huge-{n}.mp4", bytes(data))


def _splice(clip: bytes, rng: random.Random, n: int) -> Variant:
    a, b = sorted(rng.randrange(len(clip)) for _ in range(2))
    length = rng.randrange(1, 4096)
    data = clip[:a] + clip[b : b + length] + clip[a + length :]
    return Variant("splice", f"spliced-{n}.mp4", data)


def _box(clip: bytes, box: bytes) -> int:
    at = clip.find(box)
    assert at > 0, box
    return at + 4  # the box's content (after size and type)


def _patch(clip: bytes, box: bytes, offset: int, value: int) -> bytes:
    at = _box(clip, box) + offset
    return clip[:at] + struct.pack(">I", value) + clip[at + 4 :]


def _tkhd_size(clip: bytes, width: int, height: int) -> bytes:
    at = _box(clip, b"tkhd") + 76  # version 0: width and height in 16.16 fixed point
    return clip[:at] + struct.pack(">II", width << 16, height << 16) + clip[at + 8 :]


def _avc1_size(clip: bytes, width: int, height: int) -> bytes:
    at = _box(clip, b"avc1") + 24
    return clip[:at] + struct.pack(">HH", width, height) + clip[at + 4 :]


def _zero_box(clip: bytes, box: bytes) -> bytes:
    start = clip.find(box) - 4
    size = struct.unpack(">I", clip[start : start + 4])[0]
    return clip[: start + 8] + bytes(max(0, size - 8)) + clip[start + size :]


def _set_count(clip: bytes, box: bytes, count: int) -> bytes:
    offset = 8 if box == b"stsz" else 4  # stsz has a default sample size before its count
    return _patch(clip, box, offset, count)


# --- one item through the server ----------------------------------------------------------------


def clear(detail: object) -> bool:
    text = str(detail)
    return bool(text.strip()) and "Traceback" not in text and "\n" not in text


def try_variant(server: LiveServer, agent_id: str, variant: Variant) -> Outcome:
    started = time.monotonic()
    with server.client() as api:
        result, detail = _through(api, agent_id, variant, started)
    return Outcome(variant, result, time.monotonic() - started, detail)


def _through(api: httpx.Client, agent_id: str, variant: Variant, started: float) -> tuple[str, str]:
    ticket = api.post("/uploads/video/get_upload_url").json()
    files = {"file": (variant.name, variant.data, "application/octet-stream")}
    sent = httpx.post(ticket["upload_url"], data=ticket["upload_fields"], files=files, timeout=60)
    if sent.status_code != 204:
        return _refused(sent)
    done = api.post("/uploads/video/finalize_upload", json={"video_id": ticket["video_id"]})
    if done.status_code != 200:
        return _refused(done)
    run = api.post(f"/agent/{agent_id}/run", json={"video_ids": [ticket["video_id"]]})
    if run.status_code != 200:
        return _refused(run)
    return _finish(api, run.json()["run_id"], started)


def _refused(response: httpx.Response) -> tuple[str, str]:
    if response.status_code >= 500:
        return "BAD_server_error", response.text[:200]
    body = response.json()
    if set(body) != {"detail", "error"} or not clear(body["detail"]):
        return "BAD_unclear_error", response.text[:200]
    return "refused", f"{response.status_code} {body['detail']}"


def _finish(api: httpx.Client, run_id: str, started: float) -> tuple[str, str]:
    while time.monotonic() - started < ITEM_DEADLINE_S:
        run = api.get(f"/agent_run/{run_id}").json()
        if run["status"] != "running":
            break
        time.sleep(0.5)
    else:
        return "BAD_hung", f"run {run_id} still running after {ITEM_DEADLINE_S:.0f} s"
    if run["status"] == "completed":
        return _check_output(run)
    messages = [
        str(message) for error in run.get("errors") or [] for message in error.get("messages", [])
    ]
    if run["status"] == "failed" and messages and all(clear(m) for m in messages):
        return "run_failed", messages[0][:160]
    return "BAD_unclear_failure", str(run)[:300]


def _check_output(run: dict[str, Any]) -> tuple[str, str]:
    url = run["outputs"][0]["video_url"]
    decoded = subprocess.run(
        ["ffmpeg", "-v", "error", "-xerror", "-i", url, "-f", "null", "-"],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    if decoded.returncode != 0:
        return "BAD_invalid_output", decoded.stderr[:200]
    return "output", "rendered and decodes"


# --- the whole campaign ---------------------------------------------------------------------------


def campaign(progress: Callable[[Outcome], None] = lambda _: None) -> list[Outcome]:
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        made = variants(base_files(folder))
        server = LiveServer(
            folder / "data",
            {
                "TILEWORK_RATE_LIMIT_PER_MINUTE": "0",
                "TILEWORK_RATE_LIMIT_RUNS_PER_MINUTE": "0",
                "TILEWORK_FFMPEG_TIME_LIMIT_MIN_SECONDS": "60",
            },
        )
        server.start()
        try:
            server.grant_credits(1_000_000)
            agent_id = _agent(server)
            outcomes = _all(server, agent_id, made, progress)
            _settle(server)
            _report_server(server)
        finally:
            server.stop()
    return outcomes


def _agent(server: LiveServer) -> str:
    graph = {
        "nodes": [
            {"temp_ref_id": "in", "node_type_id": VIDEO_INPUT},
            {
                "temp_ref_id": "out",
                "node_type_id": RENDER,
                "params_used": {"resolution": "320x180"},
            },
        ],
        "connections": [{"source_temp_ref_id": "in", "target_temp_ref_id": "out"}],
    }
    with server.client() as api:
        created = api.post("/agent/create", json={"name": "fuzz", "graph": graph})
    created.raise_for_status()
    return str(created.json()["agent"]["id"])


def _all(
    server: LiveServer, agent_id: str, made: list[Variant], progress: Callable[[Outcome], None]
) -> list[Outcome]:
    outcomes = []
    with ThreadPoolExecutor(PARALLEL) as pool:
        for outcome in pool.map(lambda v: try_variant(server, agent_id, v), made):
            progress(outcome)
            outcomes.append(outcome)
            if not server.alive():
                raise SystemExit(f"the server died: {server.log_tail()}")
    return outcomes


def _settle(server: LiveServer) -> None:
    deadline = time.monotonic() + 60
    while descendants(server.process.pid if server.process else 0) and time.monotonic() < deadline:
        time.sleep(0.5)


def _report_server(server: LiveServer) -> None:
    with server.client() as api:
        answers = api.get("/whoami").status_code
    print(f"fuzz_server_alive {int(server.alive() and answers == 200)}")
    print(f"fuzz_server_after {server.footprint().show()}")


def show(outcome: Outcome) -> None:
    variant = outcome.variant
    print(
        f"  {variant.kind:9} {variant.name:28} {outcome.result:14} {outcome.seconds:5.1f} s  "
        f"{outcome.detail[:90]}",
        flush=True,
    )


def main() -> None:
    started = time.monotonic()
    outcomes = campaign(show)
    by_result = Counter(o.result for o in outcomes)
    by_kind = Counter((o.variant.kind, o.result) for o in outcomes)
    for result, count in sorted(by_result.items()):
        print(f"fuzz_items_{result} {count}")
    for (kind, result), count in sorted(by_kind.items()):
        print(f"fuzz_{kind}_{result} {count}")
    print(f"fuzz_item_seconds_max {max(o.seconds for o in outcomes):.1f} s")
    print(f"fuzz_total_seconds {time.monotonic() - started:.0f} s")
    bad = [o for o in outcomes if o.result.startswith("BAD")]
    if bad:
        raise SystemExit(f"{len(bad)} items did not end cleanly: {[o.variant.name for o in bad]}")


if __name__ == "__main__":
    main()
