"""``tilework explain AGENT.yaml``: the one ffmpeg command each output of an agent compiles to.

Runs the agent's tiles in this process on a sample clip (or ``--input FILE``) without a server,
then prints, for every output, the command and its filter graph one chain per line. Analysis
(speech, faces) really runs and is cached, so explaining before running costs nothing twice.
"""

from __future__ import annotations

import shlex
import tempfile
from pathlib import Path
from typing import Annotated

import typer
from rich.markup import escape
from rich.text import Text

from tilework.cli.common import (
    CLIError,
    JsonOption,
    err,
    handle_errors,
    load_settings,
    out,
    print_json,
)


def explain(
    agent: Annotated[Path, typer.Argument(help="Agent YAML file.", show_default=False)],
    input_file: Annotated[
        Path | None,
        typer.Option("--input", "-i", help="Video to explain with (default: a generated clip)."),
    ] = None,
    as_json: JsonOption = False,
) -> None:
    """Print the compiled render plan (ffmpeg command and filter graph) of AGENT's outputs.

    With --json: a list of ``{node, item, command, filter_graph}`` (``command`` is the argv)."""
    with handle_errors():
        from tilework.engine.preview import preview_agent
        from tilework.errors import TileworkError
        from tilework.sdk.agent_yaml import parse_agent_yaml
        from tilework.tiles.registry import default_registry

        spec = parse_agent_yaml(agent.read_text(encoding="utf-8"))
        settings = load_settings()
        with tempfile.TemporaryDirectory(prefix="tilework-explain-") as tmp:
            source = input_file or _sample_clip(Path(tmp), settings.ffmpeg_path)
            err.print(f"[dim]explaining {escape(spec.name)} on {escape(str(source))}[/]")
            try:
                outputs = preview_agent(
                    spec, default_registry(), settings, source, on_step=_print_step
                )
            except TileworkError as exc:
                raise CLIError(str(exc)) from exc
        if as_json:
            print_json(
                [
                    {
                        "node": output.node_ref,
                        "item": output.item,
                        "command": [settings.ffmpeg_path, *output.ffmpeg_args],
                        "filter_graph": output.filter_graph,
                    }
                    for output in outputs
                ]
            )
            return
        for output in outputs:
            command = shlex.join([settings.ffmpeg_path, *output.ffmpeg_args])
            graph = output.filter_graph.replace(";", ";\n")
            out.rule(f"output of {escape(output.node_ref)} (item {output.item + 1})")
            out.print(Text(command))
            out.print(Text("filter graph:", style="bold"))
            out.print(Text(graph))


def _print_step(ref: str, items: int, message: str) -> None:
    detail = f": {message}" if message else ""
    err.print(f"  [green]✓[/] {escape(ref)} → {items} item(s){escape(detail)}")


def _sample_clip(folder: Path, ffmpeg: str) -> Path:
    from tilework.errors import MediaError
    from tilework.media.samples import make_sample_clip, make_talking_clip

    try:
        return make_talking_clip(ffmpeg, folder / "sample.mp4").path
    except MediaError:  # no espeak-ng: a clip with a tone still shows the plan
        return make_sample_clip(ffmpeg, folder / "sample.mp4", seconds=8, width=640, height=360)
