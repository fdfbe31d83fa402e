"""The fused render of ``shorts.yaml`` against a hand-written command and a naive chain.

On a generated 60 s 1280x720 30 fps clip with real speech (espeak-ng) and a face:

1. The agent's tiles run in-process (``engine/preview.py``); analysis (speech, faces, scene
   cuts) is timed separately: it is the same for every way of rendering.
2. **fused**: Tilework's render of each output, timed twice: the edit alone (loudness
   measurement + the one compiled ffmpeg command, what the other two ways also do) and the whole
   ``render_timeline`` (plus probing the result, the thumbnail and the Premiere zip).
3. **hand-written**: per output, what an ffmpeg expert would type for the same edit: one
   loudness measurement and one command (input seek, crop, scale, ASS captions, high-pass,
   loudnorm with the measured values).
4. **naive chain**: per output, what a step-by-step tool does: re-encode after every tile
   (clip → reframe → captions → audio enhance with its own measurement → render), five encodes.

Prints wall times and the two ratios the issue sets goals for: fused / hand-written (goal
≤ 1.10) and naive / fused (goal ≥ 3).
"""

from __future__ import annotations

import re
import shutil
import subprocess
import tempfile
import time
from pathlib import Path

from tilework.config import Settings
from tilework.engine.preview import PreviewOutput, preview_agent
from tilework.engine.tasks import InlineJob
from tilework.media.loudness import with_measured_loudness
from tilework.media.runner import FFmpegRunner
from tilework.media.samples import DEFAULT_SCRIPT, make_talking_clip
from tilework.sdk.agent_yaml import parse_agent_yaml
from tilework.tiles.base import TileContext
from tilework.tiles.registry import default_registry
from tilework.tiles.render import RenderParams, render_timeline

ROOT = Path(__file__).resolve().parent.parent
SHORTS = ROOT / "examples" / "agents" / "shorts.yaml"
ENCODE = ["-c:v", "libx264", "-preset", "veryfast", "-crf", "23", "-pix_fmt", "yuv420p"]
AUDIO = ["-c:a", "aac", "-b:a", "128k", "-ar", "48000", "-ac", "2"]
_CROP = re.compile(r"crop=w=\d+:h=\d+:x='[^']*':y='[^']*'(?::exact=1)?|crop=[^,\[]+")
_ASS = re.compile(r"ass=filename=[^,\[;]+")
_AUDIO_FILTERS = re.compile(r"\[acat\]([^\[;]+)\[")


def ffmpeg(*args: str) -> None:
    # In a session of its own, as Tilework starts ffmpeg: with the kernel's autogroup scheduling
    # each session is one scheduling group, so on a busy machine both get the same share.
    subprocess.run(
        ["ffmpeg", "-hide_banner", "-nostdin", "-loglevel", "error", "-y", *args],
        check=True,
        capture_output=True,
        start_new_session=True,
    )


def _run_argv(argv: list[str]) -> None:
    subprocess.run(argv, check=True, capture_output=True)


def timed(function: object, *args: object) -> float:
    start = time.perf_counter()
    function(*args)  # type: ignore[operator]
    return time.perf_counter() - start


def edit_of(output: PreviewOutput) -> dict[str, str]:
    """The edit's pieces, read back from the fused plan: seek, crop, captions, audio filters."""
    args, graph = output.ffmpeg_args, output.filter_graph
    crop = _CROP.search(graph)
    ass = _ASS.search(graph)
    audio = _AUDIO_FILTERS.search(graph)
    size = re.search(r"scale=(\d+):(\d+)", graph)
    assert crop and ass and audio and size, f"unexpected plan: {graph}"
    return {
        "ss": args[args.index("-ss") + 1],
        "t": args[args.index("-t") + 1],
        "source": args[args.index("-i") + 1],
        "crop": crop.group(0),
        "scale": f"scale={size.group(1)}:{size.group(2)},setsar=1",
        "ass": ass.group(0),
        "audio": audio.group(1),
    }


def measure_pass(source: str, pre: str, ss: str | None = None, t: str | None = None) -> None:
    seek = ["-ss", ss, "-t", t] if ss is not None and t is not None else []
    ffmpeg(*seek, "-i", source, "-vn", "-af", f"{pre}loudnorm=print_format=json", "-f", "null", "-")


def hand_written(edit: dict[str, str], out: Path) -> None:
    pre = edit["audio"].split("loudnorm")[0]
    measure_pass(edit["source"], pre, edit["ss"], edit["t"])
    ffmpeg(
        "-ss",
        edit["ss"],
        "-t",
        edit["t"],
        "-i",
        edit["source"],
        "-vf",
        f"{edit['crop']},{edit['scale']},{edit['ass']}",
        "-af",
        edit["audio"],
        *ENCODE,
        *AUDIO,
        "-movflags",
        "+faststart",
        str(out),
    )


def naive_chain(edit: dict[str, str], folder: Path) -> None:
    clip, framed, captioned, enhanced = (folder / f"{n}.mp4" for n in "abcd")
    ffmpeg("-ss", edit["ss"], "-t", edit["t"], "-i", edit["source"], *ENCODE, *AUDIO, str(clip))
    ffmpeg("-i", str(clip), "-vf", f"{edit['crop']},{edit['scale']}", *ENCODE, *AUDIO, str(framed))
    ffmpeg("-i", str(framed), "-vf", edit["ass"], *ENCODE, *AUDIO, str(captioned))
    measure_pass(str(captioned), edit["audio"].split("loudnorm")[0])
    ffmpeg("-i", str(captioned), "-af", edit["audio"], *ENCODE, *AUDIO, str(enhanced))
    ffmpeg("-i", str(enhanced), *ENCODE, *AUDIO, "-movflags", "+faststart", str(folder / "e.mp4"))


def main() -> None:
    with tempfile.TemporaryDirectory(prefix="bench-render-") as tmp:
        folder = Path(tmp)
        settings = Settings(data_dir=folder / "data")
        clip = make_talking_clip(
            "ffmpeg",
            folder / "speech_720p.mp4",
            script=DEFAULT_SCRIPT * 2,
            pause_s=2.0,
            width=1280,
            height=720,
            fps=30,
            min_duration_s=60.0,
        )
        spec = parse_agent_yaml(SHORTS.read_text(encoding="utf-8"))
        start = time.perf_counter()
        outputs = preview_agent(spec, default_registry(), settings, clip.path)
        analysis = time.perf_counter() - start
        ctx = TileContext(
            settings=settings,
            work_dir=folder / "work",
            job=InlineJob(),
            progress=lambda fraction, eta: None,
        )
        (folder / "work").mkdir()
        params = RenderParams.model_validate(
            next(n.params for n in spec.nodes if n.type == "render")
        )
        fused_full = fused_commands = 0.0
        for output in outputs:
            started = time.perf_counter()
            files = render_timeline(ctx, output.timeline, params)
            fused_full += time.perf_counter() - started
            # the edit alone: the loudness measurement and the one compiled command, timed again
            measure = timed(with_measured_loudness, FFmpegRunner(settings), output.timeline)
            fused_commands += measure + timed(_run_argv, files.ffmpeg_command)
        edits = [edit_of(_with_files(ctx, o, params)) for o in outputs]
        hand = sum(timed(hand_written, e, folder / f"hand-{i}.mp4") for i, e in enumerate(edits))
        naive = 0.0
        for index, edit in enumerate(edits):
            chain_dir = folder / f"naive-{index}"
            chain_dir.mkdir()
            naive += timed(naive_chain, edit, chain_dir)
        print(f"render_fused.source\t{clip.duration_s:.1f}\ts (1280x720, {len(outputs)} outputs)")
        print(f"render_fused.analysis\t{analysis:.2f}\ts (speech, faces, scene cuts; cached after)")
        print(f"render_fused.fused_commands\t{fused_commands:.2f}\ts (measure + one command)")
        print(f"render_fused.fused_with_outputs\t{fused_full:.2f}\ts (+ probe, thumbnail, zip)")
        print(f"render_fused.hand_written\t{hand:.2f}\ts")
        print(f"render_fused.naive_chain\t{naive:.2f}\ts")
        print(
            f"render_fused.fused_over_hand_written\t{fused_commands / hand:.2f}\tx (goal <= 1.10)"
        )
        print(f"render_fused.fused_with_outputs_over_hand_written\t{fused_full / hand:.2f}\tx")
        print(f"render_fused.naive_over_fused\t{naive / fused_commands:.2f}\tx (goal >= 3)")
        print(f"render_fused.naive_over_fused_with_outputs\t{naive / fused_full:.2f}\tx")
        shutil.rmtree(folder / "work", ignore_errors=True)


def _with_files(ctx: TileContext, output: PreviewOutput, params: RenderParams) -> PreviewOutput:
    """The plan again, with its side files (the ASS script) written for the other two ways."""
    from tilework.engine.preview import filter_graph_of
    from tilework.media.compile import compile_render
    from tilework.tiles.render import render_spec

    folder = ctx.work_dir / f"plan-{output.node_ref}-{output.item}"
    folder.mkdir(parents=True)
    timeline = with_measured_loudness(FFmpegRunner(ctx.settings), output.timeline)
    compiled = compile_render(timeline, render_spec(params, timeline), folder / "video.mp4")
    return PreviewOutput(
        output.node_ref, output.item, timeline, compiled.args, filter_graph_of(compiled.args), None
    )


if __name__ == "__main__":
    main()
