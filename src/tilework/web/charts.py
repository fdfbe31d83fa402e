"""Bar charts as geometry for server-drawn SVG: credits used by day, and by tile.

Heights are scaled to an axis of four equal steps of 1, 2, 2.5 or 5 times a power of ten, so
the gridlines carry round numbers. Every bar keeps its label and value (as a tooltip), and the
page lists the numbers as a table too, for screen readers and for copying.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

WIDTH, HEIGHT = 640, 220
LEFT, BOTTOM, TOP, RIGHT = 48, 28, 12, 8


@dataclass(frozen=True)
class Bar:
    label: str
    value: int
    x: float
    y: float
    width: float
    height: float


@dataclass(frozen=True)
class Tick:
    value: int
    y: float


@dataclass(frozen=True)
class BarChart:
    width: int
    height: int
    bars: list[Bar]
    ticks: list[Tick]
    label_every: int  # show every n-th x label so they never overlap
    baseline: float

    @property
    def empty(self) -> bool:
        return not any(bar.value for bar in self.bars)


def bar_chart(points: list[tuple[str, int]]) -> BarChart:
    top = nice_maximum(max((value for _, value in points), default=0))
    plot_w, plot_h = WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM
    slot = plot_w / max(len(points), 1)
    gap = min(slot * 0.25, 8)
    bars = []
    for index, (label, value) in enumerate(points):
        height = plot_h * max(value, 0) / top
        bars.append(
            Bar(
                label=label,
                value=value,
                x=round(LEFT + index * slot + gap / 2, 1),
                y=round(TOP + plot_h - height, 1),
                width=round(max(slot - gap, 1), 1),
                height=round(height, 1),
            )
        )
    ticks = [Tick(round(top * i / 4), round(TOP + plot_h * (1 - i / 4), 1)) for i in range(5)]
    label_every = max(1, math.ceil(len(points) / 8))
    return BarChart(WIDTH, HEIGHT, bars, ticks, label_every, TOP + plot_h)


def nice_maximum(value: int) -> int:
    """Four gridline steps of 1, 2 (2.5) or 5 times 10^k reaching ``value`` (4 at least)."""
    wanted = max(value, 1) / 4
    power = 10 ** math.floor(math.log10(wanted)) if wanted >= 1 else 1
    factors = (1, 2, 2.5, 5, 10) if power >= 10 else (1, 2, 5, 10)  # whole-number steps
    step = next(f * power for f in factors if f * power >= wanted)
    return int(4 * step)
