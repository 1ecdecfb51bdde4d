"""Charts as geometry for server-rendered inline SVG (no script, no chart library).

Templates draw the shapes these return; every chart also gets a data table, so the
numbers are there for screen readers, keyboard users and print.

An SVG scales with its box, and its texts with it: a 400-unit-wide chart shown 296 px wide
in a card on a 360 px phone printed its 12-unit labels at about 9 px. The charts are
therefore drawn about as wide as a phone's card (300 units) and site.css sets their texts
at 14 units, so a label is at least 12 px on the narrowest screen (and larger when the chart
grows on a desktop).
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Bar:
    label: str
    value: int
    y: float  # top of the bar
    width: float
    text_y: float  # baseline of the row's texts


@dataclass(frozen=True)
class BarChart:
    width: int
    height: int
    bars: list[Bar]
    label_width: int
    maximum: int


def bars(
    rows: list[tuple[str, int]],
    width: int = 300,
    row: int = 24,
    label_width: int = 104,
    value_room: int = 44,
) -> BarChart:
    """Horizontal bars for (label, value) rows, scaled to the largest value: one row per
    item, so labels stay readable on a 360 px phone however many items there are."""
    maximum = max([v for _, v in rows] + [1])
    plot = width - label_width - value_room
    out = [
        Bar(label, value, i * row + 4, round(plot * value / maximum, 1), i * row + 18)
        for i, (label, value) in enumerate(rows)
    ]
    return BarChart(width, max(len(rows), 1) * row + 8, out, label_width, maximum)


@dataclass(frozen=True)
class Point:
    label: str
    value: int
    grade: str
    x: float
    y: float


@dataclass(frozen=True)
class LineChart:
    width: int
    height: int
    points: list[Point]
    path: str
    gridlines: list[tuple[int, float]]  # (score, y)


def line(
    rows: list[tuple[str, int, str]],
    width: int = 300,
    height: int = 190,
    lowest: int = 0,
    highest: int = 1000,
    pad: int = 36,
) -> LineChart:
    """A score line over time for (label, score, grade) rows, oldest first."""
    n = len(rows)
    plot_w, plot_h = width - 2 * pad, height - 20 - 36

    def y_of(v: int) -> float:
        return round(20 + plot_h * (1 - (v - lowest) / (highest - lowest)), 1)

    points = []
    for i, (label, value, grade) in enumerate(rows):
        x = pad + (plot_w * i / (n - 1) if n > 1 else plot_w / 2)
        points.append(Point(label, value, grade, round(x, 1), y_of(value)))
    path = " ".join(f"{'M' if i == 0 else 'L'}{p.x},{p.y}" for i, p in enumerate(points))
    grid = [(s, y_of(s)) for s in (200, 450, 650, 800, 1000)]
    return LineChart(width, height, points, path, grid)
