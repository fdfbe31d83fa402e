"""Bar chart geometry: round axis steps, bars inside the plot, readable labels."""

from __future__ import annotations

from tilework.web.charts import HEIGHT, bar_chart, nice_maximum


def test_axis_maximum_is_four_round_steps() -> None:
    assert [nice_maximum(v) for v in (0, 3, 5, 7, 40, 41, 130, 1000)] == [
        4,
        4,
        8,
        8,
        40,
        80,
        200,
        1000,
    ]
    for value in range(0, 5000, 37):
        top = nice_maximum(value)
        assert top >= value and top % 4 == 0


def test_bars_scale_to_the_axis_and_labels_thin_out() -> None:
    chart = bar_chart([(f"day {n}", n) for n in range(30)])
    tallest = max(chart.bars, key=lambda bar: bar.value)
    assert tallest.value == 29 and nice_maximum(29) == 40
    assert abs(tallest.height / (chart.baseline - chart.ticks[-1].y) - 29 / 40) < 0.01
    assert all(bar.y + bar.height <= chart.baseline + 0.1 <= HEIGHT for bar in chart.bars)
    assert chart.label_every == 4 and [t.value for t in chart.ticks] == [0, 10, 20, 30, 40]
    assert bar_chart([]).empty and bar_chart([("a", 0)]).empty and not chart.empty
