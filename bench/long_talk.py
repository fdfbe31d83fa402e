"""What a user waits for on a long talk: upload an hour, get ten captioned, face-tracked shorts.

Through a real ``tilework serve`` (fresh data dir, so no analysis is cached: a cold run), the
agent is the shorts pipeline of the issue: clips (10 x 30 s) -> reframe 9:16 -> captions ->
audio enhance -> render 720x1280. The time is from ``POST /agent/{id}/run`` to the
``RUN_FINISHED`` webhook on a receiver on 127.0.0.1; the upload before it is not counted.

1. **Hour**: ``bench/talk.py``'s generated 60-minute 1280x720 talk (``BENCH_LONG_TALK_MINUTES``
   for a shorter one while iterating). Goal: <= 8 min on 2 cores, peak memory <= 1.5 GB.
2. **Minute**: the first 60 s of the same talk, whole, -> reframe -> captions -> audio enhance ->
   render: one 60 s short. Goal: wall / clip duration <= 0.5 (30 s).

Per node: when it was first reported running and completed (``RUN_PROGRESS`` webhooks), in
seconds after the POST. Peak memory: the largest sum of RSS over the server and all its child
processes (ffmpeg, …), read from ``/proc`` every 0.2 s. ``BENCH_LONG_TALK_PROFILE=folder`` runs
the server under ``py-spy record --subprocesses`` and leaves speedscope profiles there.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

from bench.run_latency import _api_key, _free_port, _serve
from bench.talk import make_talk
from tilework.sdk import Client

SHORTS = """
name: Talk shorts
nodes:
  - {id: input, type: video-input}
  - {id: clips, type: clips, params: {num_clips: %(clips)d, target_duration: %(seconds)g}}
  - {id: reframe, type: reframe, params: {shape: "9:16"}}
  - {id: captions, type: captions, params: {caption_style: colored, position: bottom}}
  - {id: audio, type: audio-enhance, params: {target_lufs: -14}}
  - {id: render, type: render, params: {resolution: "720x1280", quality: medium}}
edges: [[input, clips], [clips, reframe], [reframe, captions], [captions, audio], [audio, render]]
"""
MINUTE = """
name: Talk short
nodes:
  - {id: input, type: video-input}
  - {id: reframe, type: reframe, params: {shape: "9:16"}}
  - {id: captions, type: captions, params: {caption_style: colored, position: bottom}}
  - {id: audio, type: audio-enhance, params: {target_lufs: -14}}
  - {id: render, type: render, params: {resolution: "720x1280", quality: medium}}
edges: [[input, reframe], [reframe, captions], [captions, audio], [audio, render]]
"""
# An hour costs more credits than a new organization's free plan holds; the bench is not billed.
FREE = {slug: 0 for slug in ("video-input", "clips", "reframe", "captions", "audio-enhance")}
FREE["render"] = 0
NODES = ("input", "clips", "reframe", "captions", "audio", "render")
TIMEOUT_S = 3600.0


class _Receiver(BaseHTTPRequestHandler):
    """Webhooks of the one run being measured: when each node started and completed."""

    started = 0.0
    nodes: dict[str, dict[str, float]] = {}  # noqa: RUF012 - one receiver per measurement
    finished: dict[str, Any] = {}  # noqa: RUF012
    changed = threading.Condition()

    def do_POST(self) -> None:
        body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        now = time.perf_counter() - self.started
        with self.changed:
            for node in body.get("updated_nodes") or []:
                seen = self.nodes.setdefault(str(node.get("original_node_id")), {})
                seen.setdefault(node["status"], now)
            if body["flag"] == "RUN_FINISHED":
                self.finished.update(body, at=now)
                self.changed.notify_all()
        self.send_response(200)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, format: str, *args: Any) -> None:
        return


class _PeakMemory:
    """The largest total RSS of a process and its descendants, sampled from /proc (with each
    process's share at that moment), and the largest total PSS: the memory the tree takes, each
    page shared between processes (ffmpeg's libraries in each ffmpeg, a forked child's pages)
    split between them instead of counted in each."""

    def __init__(self, pid: int) -> None:
        self.pid, self.peak, self.peak_pss, self._stop = pid, 0, 0, threading.Event()
        self.at_peak: list[tuple[str, int]] = []  # (process name, RSS) when the RSS sum peaked
        self._thread = threading.Thread(target=self._watch, daemon=True)
        self._thread.start()

    def _watch(self) -> None:
        while not self._stop.wait(0.2):
            processes = _tree_rss(self.pid)
            total = sum(rss for _, rss in processes)
            if total > self.peak:
                self.peak, self.at_peak = total, processes
            self.peak_pss = max(self.peak_pss, _tree_pss(self.pid))

    def stop(self) -> int:
        self._stop.set()
        self._thread.join()
        return self.peak


def _tree_pss(root: int) -> int:
    total = 0
    for pid in _tree(root):
        try:
            rollup = Path(f"/proc/{pid}/smaps_rollup").read_text()
        except OSError:
            continue
        for line in rollup.splitlines():
            if line.startswith("Pss:"):
                total += int(line.split()[1]) * 1024
                break
    return total


def _tree(root: int) -> list[int]:
    children: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        parent = int(stat[stat.rindex(")") + 2 :].split()[1])
        children.setdefault(parent, []).append(int(entry.name))
    found, todo = [], [root]
    while todo:
        pid = todo.pop()
        found.append(pid)
        todo.extend(children.get(pid, []))
    return found


def _tree_rss(root: int) -> list[tuple[str, int]]:
    """(name, RSS) of ``root`` and each of its descendants."""
    children: dict[int, list[int]] = {}
    rss: dict[int, tuple[str, int]] = {}
    page = os.sysconf("SC_PAGE_SIZE")
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
            statm = (entry / "statm").read_text().split()
        except OSError:
            continue
        parent = int(stat[stat.rindex(")") + 2 :].split()[1])
        children.setdefault(parent, []).append(int(entry.name))
        name = stat[stat.index("(") + 1 : stat.rindex(")")]
        rss[int(entry.name)] = (name, int(statm[1]) * page)
    found, todo = [], [root]
    while todo:
        pid = todo.pop()
        if pid in rss:
            found.append(rss[pid])
        todo.extend(children.get(pid, []))
    return found


def _cpu_s(pid: int) -> float:
    """CPU seconds of ``pid`` and its children it has waited for (every ffmpeg a run starts)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    utime, stime, cutime, cstime = (int(v) for v in fields[11:15])
    return (utime + stime + cutime + cstime) / os.sysconf("SC_CLK_TCK")


def measure(source: Path, agent_yaml: str, *, label: str) -> dict[str, Any]:
    """One cold run of the shorts agent on ``source`` through a fresh ``tilework serve``."""
    receiver = ThreadingHTTPServer(("127.0.0.1", 0), _Receiver)
    threading.Thread(target=receiver.serve_forever, daemon=True).start()
    callback = f"http://127.0.0.1:{receiver.server_address[1]}/hook"
    profile = os.environ.get("BENCH_LONG_TALK_PROFILE")
    os.environ["TILEWORK_CREDIT_PRICES"] = json.dumps(FREE)  # read by the server we start
    with tempfile.TemporaryDirectory(prefix="tilework-long-talk-") as tmp:
        data_dir, port = Path(tmp) / "data", _free_port()
        key = _api_key(data_dir)
        server = _serve(data_dir, port)
        spy = None
        if profile:
            Path(profile).mkdir(parents=True, exist_ok=True)
            out = Path(profile) / f"long_talk-{label}.speedscope.json"
            spy = subprocess.Popen(
                [
                    shutil.which("py-spy") or str(Path(sys.executable).parent / "py-spy"),
                    *("record", "--subprocesses", "--rate", "50", "--format", "speedscope"),
                    *("--nonblocking", "-o", str(out), "--pid", str(server.pid)),
                ],
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
            )
        try:
            client = Client(f"http://127.0.0.1:{port}", key)
            agent_id = client.agents.import_yaml(agent_yaml).id
            uploaded = time.perf_counter()
            video_id = client.uploads.upload(source).upload_id
            upload_s = time.perf_counter() - uploaded
            _Receiver.nodes.clear()
            _Receiver.finished.clear()
            memory = _PeakMemory(server.pid)
            cpu_before = _cpu_s(server.pid)
            _Receiver.started = time.perf_counter()
            client.runs.start(agent_id, video_ids=[video_id], callback_url=callback)
            with _Receiver.changed:
                if not _Receiver.changed.wait_for(lambda: _Receiver.finished, timeout=TIMEOUT_S):
                    raise SystemExit(f"long_talk {label}: no RUN_FINISHED")
            peak = memory.stop()
            cpu = _cpu_s(server.pid) - cpu_before
            finished = dict(_Receiver.finished)
            return {
                "wall_s": finished["at"],
                "status": finished["status"],
                "outputs": len(finished.get("outputs") or []),
                "nodes": _named(agent_yaml, _Receiver.nodes),
                "peak_rss": peak,
                "at_peak": [f"{name} {size / 2**20:.0f}" for name, size in memory.at_peak],
                "peak_pss": memory.peak_pss,
                "cpu_s": cpu,
                "upload_s": upload_s,
            }
        finally:
            if spy is not None:
                spy.send_signal(2)  # SIGINT: py-spy writes the profile and exits
            server.terminate()
            server.wait(60)
            if spy is not None:
                spy.wait(120)
            receiver.shutdown()


def _named(agent_yaml: str, nodes: dict[str, dict[str, float]]) -> dict[str, dict[str, float]]:
    """The webhooks name nodes by their stored ids: the agents here are chains, so the order in
    which nodes first ran is the order of the YAML's node ids."""
    names = [
        line.split("id:")[1].split(",")[0].strip()
        for line in agent_yaml.splitlines()
        if line.strip().startswith("- {id:")
    ]
    ordered = sorted(nodes.values(), key=lambda seen: min(seen.values()))
    return dict(zip(names, ordered, strict=False))


def _report(label: str, result: dict[str, Any], clip_s: float | None = None) -> None:
    load = os.getloadavg()
    print(f"long_talk.{label}.status\t{result['status']}\t({result['outputs']} outputs)")
    print(
        f"long_talk.{label}.wall\t{result['wall_s']:.1f}\ts POST /run -> RUN_FINISHED, cold "
        f"(load {load[0]:.2f} {load[1]:.2f} {load[2]:.2f}; upload before it "
        f"{result['upload_s']:.1f} s)"
    )
    print(
        f"long_talk.{label}.cpu\t{result['cpu_s']:.0f}\ts CPU, server + children "
        f"(/ 2 cores = {result['cpu_s'] / 2:.0f} s: the wall on an idle 2-core machine if both "
        "stay busy)"
    )
    if clip_s:
        print(f"long_talk.{label}.wall_over_clip\t{result['wall_s'] / clip_s:.2f}\t(goal <= 0.5)")
    print(
        f"long_talk.{label}.peak_rss\t{result['peak_rss'] / 2**20:.0f}\t"
        f"MiB, server + children, each process's RSS summed ({', '.join(result['at_peak'])} MiB)"
    )
    print(
        f"long_talk.{label}.peak_pss\t{result['peak_pss'] / 2**20:.0f}\t"
        "MiB, server + children, pages shared between them counted once (goal <= 1536)"
    )
    print(f"long_talk.{label}.node_events\t{json.dumps(result['nodes'])}")
    for node in NODES:
        seen = result["nodes"].get(node, {})
        begun = seen.get("running", seen.get("queued"))
        done = seen.get("completed", seen.get("partial_complete", seen.get("failed")))
        if begun is None or done is None:
            continue
        print(
            f"long_talk.{label}.{node}_node\t{done - begun:.1f}\ts "
            f"(running at {begun:.1f} s, done at {done:.1f} s)"
        )


def main() -> None:
    minutes = float(os.environ.get("BENCH_LONG_TALK_MINUTES", "60"))
    which = os.environ.get("BENCH_LONG_TALK_PARTS", "minute,hour").split(",")
    talk = make_talk(minutes)
    print(f"long_talk.source\t{minutes:g}\tmin ({talk.width}x{talk.height} {talk.fps} fps)")
    if "minute" in which:
        with tempfile.TemporaryDirectory(prefix="tilework-minute-") as tmp:
            minute = Path(tmp) / "talk-60s.mp4"
            subprocess.run(
                [
                    *("ffmpeg", "-hide_banner", "-nostdin", "-loglevel", "error", "-y"),
                    *("-i", str(talk.path), "-t", "60", "-c", "copy", str(minute)),
                ],
                check=True,
            )
            result = measure(minute, MINUTE, label="minute")
            _report("minute", result, clip_s=60.0)
    if "hour" in which:
        result = measure(talk.path, SHORTS % {"clips": 10, "seconds": 30}, label="hour")
        _report("hour", result)
        print(f"long_talk.hour.realtime\t{minutes * 60 / result['wall_s']:.2f}\tx real time")


if __name__ == "__main__":
    main()
