"""A whole run, ``POST /agent/{id}/run`` to the RUN_FINISHED webhook, against hand-written ffmpeg.

Real ``tilework serve`` on loopback with a fresh data dir, a webhook receiver on 127.0.0.1,
pairs timed alternately (run, hand-written, run, hand-written, ...), medians printed with the
load average beside them. Three measurements:

a. **trim → loudness → render**: a generated 90 s 1280x720 clip given as a URL (served on
   loopback), trimmed to 60 s, audio enhance (two-pass loudnorm), H.264 veryfast. Hand-written:
   what a person would type: ``curl`` the file, the loudnorm measurement, the encode. The
   run's cached loudness measurement is dropped before each run. Goal ≤ 1.10x.
b. **shorts.yaml, warm**: ``examples/agents/shorts.yaml`` on a generated 60 s 1280x720 talk
   (speech, a face), uploaded. The analysis (speech, faces, scene cuts) is cached by a first run
   before the pairs, so the pairs compare the render path. Hand-written: per output, the loudness
   measurement and one command given the *same* face path (the crop expression of the run's plan)
   and the *same* captions file (the ASS script the plan writes). Goal ≤ 1.20x. Each run is on a
   new upload of the file (no earlier result reused, ``engine/reuse.py``) with the render's
   cached loudness measurements dropped, so both sides measure the loudness each time.
c. **caption re-run**: the first run of shorts.yaml with an empty analysis cache (and a fresh
   upload of the file, so no earlier result is reused either) against a re-run of an agent that
   differs only in the captions' highlight colour, on the same upload (a cache hit; Clips and
   Reframe reused). Goal ≤ 0.5x.

Run alone: ``.venv/bin/python -m bench.whole_run`` (``BENCH_WHOLE_RUN_PAIRS``, default 3;
``BENCH_WHOLE_RUN_PARTS``, default ``a,b,c``, picks the parts: ``c`` alone skips the warm pairs).
"""

from __future__ import annotations

import functools
import os
import resource
import shutil
import statistics
import subprocess
import tempfile
import threading
import time
from collections.abc import Callable
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

from bench.finished_receiver import FinishedReceiver
from bench.render_fused import ENCODE, _with_files, edit_of, ffmpeg, hand_written
from bench.run_latency import _api_key, _free_port, _serve
from tilework.config import Settings
from tilework.engine.preview import preview_agent
from tilework.engine.tasks import InlineJob
from tilework.media.loudness import MEASUREMENT_KIND, parse_loudnorm_json
from tilework.media.samples import DEFAULT_SCRIPT, make_sample_clip, make_talking_clip
from tilework.sdk import Client
from tilework.sdk.agent_yaml import parse_agent_yaml
from tilework.tiles.base import TileContext
from tilework.tiles.registry import default_registry
from tilework.tiles.render import RenderParams

ROOT = Path(__file__).resolve().parent.parent
SHORTS = ROOT / "examples" / "agents" / "shorts.yaml"
PAIRS = int(os.environ.get("BENCH_WHOLE_RUN_PAIRS", "3"))
PARTS = frozenset(os.environ.get("BENCH_WHOLE_RUN_PARTS", "a,b,c").replace(" ", "").split(","))
TRIM_START_S, TRIM_END_S = 10, 70
TRIM_LOUDNESS_RENDER = f"""
name: Trim, loudness, render
nodes:
  - id: input
    type: video-input
  - id: cut
    type: trim
    params: {{start_seconds: {TRIM_START_S}, end_seconds: {TRIM_END_S}}}
  - id: audio
    type: audio-enhance
    params: {{target_lufs: -14}}
  - id: render
    type: render
    params: {{resolution: source, quality: medium, preset: veryfast}}
edges:
  - [input, cut]
  - [cut, audio]
  - [audio, render]
"""
# audio enhance's defaults, as a person would write them (high-pass 80 Hz, -14 LUFS, -1.5 dBTP)
HAND_AUDIO = "highpass=f=80,loudnorm=I=-14:TP=-1.5:LRA=11"
AUDIO_OUT = ["-c:a", "aac", "-b:a", "128k", "-ar", "48000", "-ac", "2"]


class _Files(SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:
        return


def _start(server: ThreadingHTTPServer) -> str:
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return f"http://127.0.0.1:{server.server_address[1]}"


def _forget_loudness(data_dir: Path) -> None:
    """Drop the render's cached loudness measurements (``media/loudness.py``), keep the rest."""
    for entry in (data_dir / "cache" / "analysis").glob(f"*/*.{MEASUREMENT_KIND}.*"):
        entry.unlink()


def _load() -> str:
    return "load {:.2f} {:.2f} {:.2f}".format(*os.getloadavg())


class _Server:
    """``tilework serve`` with a fresh data dir, a client and a webhook receiver."""

    def __init__(self, folder: Path) -> None:
        self.data_dir, port = folder / "data", _free_port()
        self.receiver = ThreadingHTTPServer(("127.0.0.1", 0), FinishedReceiver)
        self.callback = _start(self.receiver) + "/hook"
        self.process = _serve(self.data_dir, port)
        self.client = Client(f"http://127.0.0.1:{port}", _api_key(self.data_dir))

    def cpu_s(self) -> float:
        """CPU seconds of the server and the children it reaped (ffmpeg, ffprobe) so far."""
        fields = Path(f"/proc/{self.process.pid}/stat").read_text().rsplit(")", 1)[1].split()
        return sum(int(value) for value in fields[11:15]) / os.sysconf("SC_CLK_TCK")

    def run(self, agent_id: str, **inputs: Any) -> tuple[float, dict[str, Any]]:
        """Seconds from the POST to the RUN_FINISHED webhook, and the webhook's body."""
        cpu = self.cpu_s()
        started = time.perf_counter()
        run = self.client.runs.start(agent_id, callback_url=self.callback, **inputs)
        finished = FinishedReceiver.wait(run.run_id, timeout_s=900)
        body = FinishedReceiver.finished[run.run_id]
        if body["status"] != "completed":
            raise SystemExit(f"run {run.run_id} {body['status']}: {body.get('errors')}")
        time.sleep(0.3)  # let the worker reap what it started before reading its CPU time
        _CPU.append(self.cpu_s() - cpu)
        return finished - started, body

    def close(self) -> None:
        self.process.terminate()
        self.process.wait(30)
        self.receiver.shutdown()


_CPU: list[float] = []  # CPU seconds of each run and hand-written pipeline, in order


def _children_cpu_s() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def _timed(function: Callable[[], Any]) -> float:
    cpu = _children_cpu_s()
    started = time.perf_counter()
    function()
    elapsed = time.perf_counter() - started
    _CPU.append(_children_cpu_s() - cpu)
    return elapsed


Pairs = tuple[list[float], list[float], list[float], list[float]]  # wall A, wall B, CPU A, B


def _pairs(run: Callable[[], float], hand: Callable[[], float]) -> Pairs:
    runs, hands, run_cpu, hand_cpu = [], [], [], []
    for index in range(PAIRS):  # alternate which goes first, so drift hits both alike
        if index % 2 == 0:
            runs.append(run())
            run_cpu.append(_CPU[-1])
            hands.append(hand())
            hand_cpu.append(_CPU[-1])
        else:
            hands.append(hand())
            hand_cpu.append(_CPU[-1])
            runs.append(run())
            run_cpu.append(_CPU[-1])
    return runs, hands, run_cpu, hand_cpu


def _report(name: str, pairs: Pairs, goal: str, what: str) -> None:
    runs, hands, run_cpu, hand_cpu = pairs
    run, hand = statistics.median(runs), statistics.median(hands)
    ratios = ", ".join(f"{r / h:.2f}" for r, h in zip(runs, hands, strict=True))
    cpu = statistics.median(r / h for r, h in zip(run_cpu, hand_cpu, strict=True))
    print(f"whole_run.{name}.run\t{run:.2f}\ts (median of {len(runs)}; {_load()})")
    print(f"whole_run.{name}.{what}\t{hand:.2f}\ts")
    print(f"whole_run.{name}.ratio\t{run / hand:.2f}\tx (goal {goal}; pairs {ratios})")
    print(f"whole_run.{name}.cpu_ratio\t{cpu:.2f}\tx (CPU seconds, median of pair ratios)")


# --- a. trim → loudness → render ------------------------------------------------------------


def _hand_trim_loudness_render(url: str, folder: Path) -> None:
    """What a person would type: download, measure the loudness of the cut, encode it once."""
    source = folder / "hand-input.mp4"
    subprocess.run(["curl", "-sSf", "-o", str(source), url], check=True, start_new_session=True)
    cut = ["-ss", str(TRIM_START_S), "-t", str(TRIM_END_S - TRIM_START_S), "-i", str(source)]
    measure = ["-vn", "-af", f"{HAND_AUDIO}:print_format=json", "-f", "null", "-"]
    measured = subprocess.run(
        ["ffmpeg", "-hide_banner", "-nostdin", *cut, *measure],
        check=True,
        capture_output=True,
        text=True,
        start_new_session=True,  # as ffmpeg() does, see bench/render_fused.py
    )
    m = parse_loudnorm_json(measured.stderr.splitlines())
    loudnorm = (
        f"{HAND_AUDIO}:measured_I={m.input_i}:measured_TP={m.input_tp}:measured_LRA={m.input_lra}"
        f":measured_thresh={m.input_thresh}:offset={m.target_offset}:linear=true"
    )
    out = folder / "hand-output.mp4"
    audio = ["-af", f"{loudnorm},aresample=48000", *AUDIO_OUT]
    ffmpeg(*cut, *audio, *ENCODE, "-movflags", "+faststart", str(out))
    source.unlink()


def trim_loudness_render(folder: Path) -> None:
    media = folder / "media"
    media.mkdir()
    make_sample_clip("ffmpeg", media / "clip.mp4", seconds=90, width=1280, height=720, fps=30)
    files = ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(_Files, directory=media))
    url = _start(files) + "/clip.mp4"
    server = _Server(folder)
    try:
        agent_id = server.client.agents.import_yaml(TRIM_LOUDNESS_RENDER).id
        server.run(agent_id, video_urls=[url])  # warm-up: imports, first ffmpeg, caches

        def run() -> float:  # measures the loudness again, as the hand-written side does
            _forget_loudness(server.data_dir)
            return server.run(agent_id, video_urls=[url])[0]

        pairs = _pairs(
            run,
            lambda: _timed(lambda: _hand_trim_loudness_render(url, folder)),
        )
    finally:
        server.close()
        files.shutdown()
    _report("trim_loudness_render", pairs, "<= 1.10", "hand_written")


# --- b. and c. shorts.yaml -------------------------------------------------------------------


def _caption_variant(yaml_text: str, colour: str = "#00E5FF") -> str:
    """shorts.yaml with only the captions' highlight colour changed."""
    changed = yaml_text.replace('highlight_color: "#FFD400"', f'highlight_color: "{colour}"')
    assert changed != yaml_text, "shorts.yaml no longer sets highlight_color"
    return changed


def _hand_shorts(server: _Server, clip: Path, folder: Path) -> Callable[[], float]:
    """The hand-written pipeline of shorts.yaml's outputs, from the same face path and captions
    (the plan of an in-process preview over the server's warm analysis cache)."""
    settings = Settings(data_dir=server.data_dir)
    spec = parse_agent_yaml(SHORTS.read_text(encoding="utf-8"))
    outputs = preview_agent(spec, default_registry(), settings, clip)
    work = folder / "hand-plans"
    work.mkdir()
    ctx = TileContext(
        settings=settings, work_dir=work, job=InlineJob(), progress=lambda fraction, eta: None
    )
    params = RenderParams.model_validate(next(n.params for n in spec.nodes if n.type == "render"))
    edits = [edit_of(_with_files(ctx, output, params)) for output in outputs]

    def run_all() -> None:
        for index, edit in enumerate(edits):
            hand_written(edit, folder / f"hand-{index}.mp4")

    return lambda: _timed(run_all)


def shorts(folder: Path, *, warm: bool, rerun: bool) -> None:
    """Part b (``warm``) and part c (``rerun``) on one server and one generated talk."""
    clip = make_talking_clip(
        "ffmpeg",
        folder / "talk_720p.mp4",
        script=DEFAULT_SCRIPT * 2,
        pause_s=2.0,
        width=1280,
        height=720,
        fps=30,
        min_duration_s=60.0,
    ).path
    server = _Server(folder)
    try:
        yaml_text = SHORTS.read_text(encoding="utf-8")
        agent = server.client.agents.import_yaml(yaml_text).id
        video = server.client.uploads.upload(clip).upload_id
        cache = server.data_dir / "cache" / "analysis"
        latest = [video]  # the upload of the latest first run: the re-run's input
        colours = iter(f"#00{index:02X}FF" for index in range(256))

        def cold() -> float:
            """A first run: empty analysis cache, and a new upload (of the same file), so no
            earlier task's result can be reused either (engine/reuse.py)."""
            shutil.rmtree(cache, ignore_errors=True)
            latest[0] = server.client.uploads.upload(clip).upload_id
            return server.run(agent, video_ids=[latest[0]])[0]

        def caption_rerun() -> float:
            """The agent with another highlight colour (a new one each time, so Captions always
            runs) on the latest first run's input."""
            variant = _caption_variant(yaml_text, next(colours))
            return server.run(server.client.agents.import_yaml(variant).id, video_ids=latest)[0]

        if rerun:
            caption_pairs = _pairs(cold, caption_rerun)

        def warm_run() -> float:
            """Analysis cached, nothing else: a new upload (no earlier result reused) and the
            loudness measured again, as the hand-written side does."""
            _forget_loudness(server.data_dir)
            upload = server.client.uploads.upload(clip).upload_id
            return server.run(agent, video_ids=[upload])[0]

        if warm:
            server.run(agent, video_ids=[video])  # the analysis cached before the pairs
            hand = _hand_shorts(server, clip, folder)
            pairs = _pairs(warm_run, hand)
    finally:
        server.close()
    if warm:
        _report("shorts_warm", pairs, "<= 1.20", "hand_written_same_face_path_and_captions")
    if rerun:
        _report_rerun(caption_pairs)


def _report_rerun(pairs: Pairs) -> None:
    first, rerun, first_cpu, rerun_cpu = pairs
    rerun_s, first_s = statistics.median(rerun), statistics.median(first)
    ratios = ", ".join(f"{r / f:.2f}" for r, f in zip(rerun, first, strict=True))
    cpu = statistics.median(r / f for r, f in zip(rerun_cpu, first_cpu, strict=True))
    first_cpu_s, rerun_cpu_s = statistics.median(first_cpu), statistics.median(rerun_cpu)
    print(f"whole_run.caption_rerun.first\t{first_s:.2f}\ts (empty analysis cache; {_load()})")
    print(f"whole_run.caption_rerun.rerun\t{rerun_s:.2f}\ts (highlight colour changed)")
    print(f"whole_run.caption_rerun.ratio\t{rerun_s / first_s:.2f}\tx (goal <= 0.5; {ratios})")
    print(
        f"whole_run.caption_rerun.cpu_ratio\t{cpu:.2f}\tx (CPU seconds, median of pair ratios; "
        f"CPU s first {first_cpu_s:.2f}, re-run {rerun_cpu_s:.2f})"
    )


def main() -> None:
    if "a" in PARTS:
        with tempfile.TemporaryDirectory(prefix="bench-whole-a-") as tmp:
            trim_loudness_render(Path(tmp))
    if "b" in PARTS or "c" in PARTS:
        with tempfile.TemporaryDirectory(prefix="bench-whole-b-") as tmp:
            shorts(Path(tmp), warm="b" in PARTS, rerun="c" in PARTS)


if __name__ == "__main__":
    main()
