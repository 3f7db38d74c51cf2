"""Charts drawn on the server as inline SVG: nothing to download, from the internet or at all.

Each chart is an <svg role="img"> with a <title> and a <desc> (what a screen reader says), one
<title> per bar or point (its tooltip), and a legend; the page puts the figures in a table
under it. Colours are the Okabe-Ito palette, told apart with any colour vision.
"""

from collections.abc import Callable, Mapping, Sequence
from typing import NamedTuple

from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString, mark_safe

PALETTE = ("#0072B2", "#E69F00", "#009E73", "#CC79A7", "#56B4E9", "#D55E00", "#F0E442", "#000")
WIDTH, HEIGHT = 900, 260
LEFT, RIGHT, TOP, BOTTOM = 64, 12, 12, 40


class Series(NamedTuple):
    name: str
    values: Sequence[int]
    colour: str


class Chart(NamedTuple):
    svg: SafeString
    legend: list[Series]


def coloured(named: Mapping[str, Sequence[int]], offset: int = 0) -> list[Series]:
    return [
        Series(name, values, PALETTE[(offset + i) % len(PALETTE)])
        for i, (name, values) in enumerate(named.items())
    ]


def _n(value: float) -> str:
    """A coordinate, to a tenth of a unit: format_html formats its arguments as text."""
    return f"{value:.1f}"


def _ticks(low: int, high: int, count: int = 4) -> list[int]:
    """Round gridline values covering [low, high], 0 included."""
    span = max(high - low, 1)
    raw = span / count
    magnitude = 10 ** (len(str(int(raw))) - 1)
    step = next(m * magnitude for m in (1, 2, 5, 10) if m * magnitude >= raw)
    first = (low // step) * step
    return list(range(first, high + step, step))


def _frame(
    title: str, description: str, ticks: list[int], y: Callable[[float], float], body: str
) -> SafeString:
    grid = format_html_join(
        "",
        '<line x1="{}" x2="{}" y1="{}" y2="{}" class="grid"/>'
        '<text x="{}" y="{}" class="tick" text-anchor="end">{}</text>',
        (
            (LEFT, WIDTH - RIGHT, _n(y(t)), _n(y(t)), LEFT - 6, _n(y(t) + 4), f"{t:,}")
            for t in ticks
        ),
    )
    return format_html(
        '<svg class="chart" viewBox="0 0 {} {}" role="img" aria-label="{}" '
        'preserveAspectRatio="xMidYMid meet"><title>{}</title><desc>{}</desc>{}{}</svg>',
        WIDTH,
        HEIGHT,
        title,
        title,
        description,
        grid,
        mark_safe(body),  # noqa: S308 - built below with format_html only
    )


def _x_labels(labels: Sequence[str], slot: float) -> str:
    every = max(1, len(labels) // 10)
    return "".join(
        format_html(
            '<text x="{}" y="{}" class="tick" text-anchor="middle">{}</text>',
            _n(LEFT + slot * (i + 0.5)),
            HEIGHT - BOTTOM + 16,
            label,
        )
        for i, label in enumerate(labels)
        if i % every == 0
    )


def bar_chart(
    title: str, labels: Sequence[str], series: Sequence[Series], *, stacked: bool = True
) -> Chart:
    """Vertical bars, one slot per label: the series stacked (all >= 0) or side by side (of
    any sign, drawn from the zero line)."""
    count = max(len(labels), 1)
    if stacked:
        tops = [sum(s.values[i] for s in series) for i in range(len(labels))]
        low, high = 0, max(tops, default=0)
    else:
        values = [v for s in series for v in s.values]
        low, high = min(0, min(values, default=0)), max(0, max(values, default=0))
    ticks = _ticks(low, high)
    low, high = min(ticks[0], low), max(ticks[-1], high, 1)
    plot = HEIGHT - TOP - BOTTOM

    def y(value: float) -> float:
        return TOP + plot * (high - value) / (high - low)

    slot = (WIDTH - LEFT - RIGHT) / count
    width = slot * 0.8 / (1 if stacked else max(len(series), 1))
    bars = []
    for i, label in enumerate(labels):
        base = 0
        for j, s in enumerate(series):
            value = s.values[i]
            if stacked:
                start, end, x = base, base + value, LEFT + slot * (i + 0.1)
                base = end
            else:
                start, end, x = 0, value, LEFT + slot * (i + 0.1) + width * j
            if value == 0:
                continue
            bars.append(
                format_html(
                    '<rect class="bar" x="{}" y="{}" width="{}" height="{}" '
                    'fill="{}" data-series="{}" data-value="{}"><title>{} {}: {}</title></rect>',
                    _n(x),
                    _n(min(y(start), y(end))),
                    _n(width),
                    _n(abs(y(start) - y(end))),
                    s.colour,
                    s.name,
                    value,
                    label,
                    s.name,
                    f"{value:,}",
                )
            )
    zero = format_html(
        '<line x1="{}" x2="{}" y1="{}" y2="{}" class="zero"/>',
        LEFT,
        WIDTH - RIGHT,
        _n(y(0)),
        _n(y(0)),
    )
    names = ", ".join(s.name for s in series)
    description = f"{'Stacked bars' if stacked else 'Bars'} per day of {names}."
    body = "".join(bars) + zero + _x_labels(labels, slot)
    return Chart(_frame(title, description, ticks, y, body), list(series))


def line_chart(title: str, labels: Sequence[str], series: Series) -> Chart:
    """One line with a dot per label, on a scale that starts at 0."""
    count = max(len(labels), 1)
    ticks = _ticks(min(0, min(series.values, default=0)), max(series.values, default=0))
    low, high = ticks[0], max(ticks[-1], 1)
    plot = HEIGHT - TOP - BOTTOM

    def y(value: float) -> float:
        return TOP + plot * (high - value) / (high - low)

    slot = (WIDTH - LEFT - RIGHT) / count
    points = [(LEFT + slot * (i + 0.5), y(v)) for i, v in enumerate(series.values)]
    path = " ".join(f"{_n(x)},{_n(py)}" for x, py in points)
    dots = "".join(
        format_html(
            '<circle class="point" cx="{}" cy="{}" r="3" fill="{}" data-value="{}">'
            "<title>{}: {}</title></circle>",
            _n(x),
            _n(py),
            series.colour,
            value,
            label,
            f"{value:,}",
        )
        for (x, py), label, value in zip(points, labels, series.values, strict=True)
    )
    line = format_html(
        '<polyline points="{}" fill="none" stroke="{}" stroke-width="2"/>', path, series.colour
    )
    body = line + dots + _x_labels(labels, slot)
    return Chart(_frame(title, f"A line per day of {series.name}.", ticks, y, body), [series])
