"""The logo overlay pass: burn each image recorded by the Logo Overlay tile into the picture.

The overlays live in ``timeline.metadata["tilework"]["overlays"]`` (a list, applied in order, so
a later logo is drawn over an earlier one), each with the image's absolute path. Sizes are
relative to the output frame's width, so the same agent looks the same at 480p and 1080p.

The image is read as one frame (no ``-loop 1``): ``overlay``'s ``eof_action=repeat`` keeps
showing it for the whole programme, which costs one PNG decode instead of one per frame, and the
output still ends with the programme because the main input drives ``overlay``.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Literal

import opentimelineio as otio
from pydantic import BaseModel, ConfigDict, Field

from tilework.media.graph import Frame, PassContext
from tilework.media.timeline import NAMESPACE, plain

OVERLAYS_KEY = "overlays"
Position = Literal["top-left", "top-right", "bottom-left", "bottom-right", "center"]

# overlay's expressions: W/H the frame, w/h the logo, {m} the margin in pixels.
_PLACES: dict[str, tuple[str, str]] = {
    "top-left": ("{m}", "{m}"),
    "top-right": ("W-w-{m}", "{m}"),
    "bottom-left": ("{m}", "H-h-{m}"),
    "bottom-right": ("W-w-{m}", "H-h-{m}"),
    "center": ("(W-w)/2", "(H-h)/2"),
}


class LogoOverlay(BaseModel):
    """One logo as stored on the timeline (what the tile writes and this pass reads)."""

    model_config = ConfigDict(extra="ignore", frozen=True)

    path: str  # absolute path of the image file
    position: Position = "top-right"
    margin: float = Field(default=0.03, ge=0, le=0.5)  # fraction of the frame width
    scale: float = Field(default=0.15, gt=0, le=1)  # logo width / frame width
    opacity: float = Field(default=1.0, gt=0, le=1)


def overlays_of(tl: otio.schema.Timeline) -> list[LogoOverlay]:
    stored = plain(tl.metadata).get(NAMESPACE, {}).get(OVERLAYS_KEY, [])
    return [LogoOverlay.model_validate(item) for item in stored if isinstance(item, dict)]


def add_overlay(tl: otio.schema.Timeline, overlay: LogoOverlay) -> None:
    """Append ``overlay`` to ``tl``'s overlays (in place)."""
    namespace: dict[str, Any] = plain(tl.metadata).get(NAMESPACE, {})
    namespace[OVERLAYS_KEY] = [*namespace.get(OVERLAYS_KEY, []), overlay.model_dump(mode="json")]
    tl.metadata[NAMESPACE] = namespace


def logo_chain(source: str, overlay: LogoOverlay, frame: Frame) -> str:
    """Scale the image to its share of the frame width and apply the opacity to its alpha."""
    width = max(2, round(frame.width * overlay.scale))
    chain = f"{source}scale={width}:-1,format=rgba"
    if overlay.opacity < 1:
        chain += f",colorchannelmixer=aa={overlay.opacity:.3f}"
    return chain


def placement(overlay: LogoOverlay, frame: Frame) -> str:
    margin = round(frame.width * overlay.margin)
    x, y = (part.format(m=margin) for part in _PLACES[overlay.position])
    return f"x={x}:y={y}"


def overlay_pass(ctx: PassContext, video: str) -> str:
    for overlay in overlays_of(ctx.timeline):
        number = ctx.graph.add_input(["-i", str(Path(overlay.path).absolute())])
        logo, out = ctx.graph.label("logo"), ctx.graph.label("ovl")
        ctx.graph.add(f"{logo_chain(f'[{number}:v:0]', overlay, ctx.frame)}{logo}")
        ctx.graph.add(
            f"{video}{logo}overlay={placement(overlay, ctx.frame)}:eof_action=repeat{out}"
        )
        video = out
    return video
