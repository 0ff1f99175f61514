"""A parameter's series as an inline SVG chart for the printable sheets.

Drawn in Python as plain SVG elements (no JavaScript, no CDN), so a sheet saved as HTML prints
and opens offline, as the outlet sheet's QR code does. One mark per point: station values as
small circles joined by a grey line, lab results as diamonds, each filled with its class
colour (`geomon.rules.water_quality.CLASS_COLORS`; grey without a class), and the target
class's limit as a red dashed line (two for pH's range).

The y axis runs from 0 to `nice_max` of the largest value or limit (× `HEADROOM`), so a value
``v`` sits at ``TOP + PLOT_H * (1 - v / top)``; the x axis spans the first to the last point's
time. Every text is escaped (DESIGN.md convention 8).
"""

from __future__ import annotations

import html
import math
from collections.abc import Sequence

import numpy as np
import pandas as pd

from geomon.rules import water_quality as wq

WIDTH, HEIGHT = 340, 166
LEFT, TOP = 44, 22  # plot area's top-left corner
PLOT_W, PLOT_H = 284, 120
HEADROOM = 1.05  # the top of the axis is at least 5 % above the largest value or limit
NO_CLASS = "#bbbbbb"
LIMIT_COLOUR = "#d73027"
_STEPS = (1.0, 2.0, 2.5, 5.0, 10.0)


def nice_max(value: float) -> float:
    """The smallest 1, 2, 2.5 or 5 × 10ⁿ at or above `value` (1 for nothing above 0)."""
    if not math.isfinite(value) or value <= 0:
        return 1.0
    power = 10.0 ** math.floor(math.log10(value))
    for step in _STEPS:
        if step * power >= value * (1 - 1e-12):
            return float(step * power)
    return float(10 * power)  # pragma: no cover  (10 × power always reaches value)


def y_of(value: float, top: float) -> float:
    """The SVG y of `value` on an axis from 0 (bottom) to `top`."""
    return TOP + PLOT_H * (1 - value / top)


def _fmt(v: float) -> str:
    return f"{v:.1f}"


def _number(v: float) -> str:
    return f"{v:g}"


def series_svg(
    points: pd.DataFrame,
    *,
    limit: float | Sequence[float] | None,
    title: str,
    limit_label: str = "",
    time_format: str = "%m-%d",
) -> str:
    """The chart of `points` (columns time (Beijing, naive or aware), value, class, source
    ``"auto"``/``"lab"``) with the `limit` line(s), as an ``<svg>`` element."""
    data = points[pd.notna(points["value"])].sort_values("time", kind="stable")
    limits = [] if limit is None else [float(v) for v in np.atleast_1d(np.asarray(limit, float))]
    values = data["value"].to_numpy(dtype=float)
    top = nice_max(HEADROOM * max([*values.tolist(), *limits], default=0.0))
    times = pd.to_datetime(data["time"])
    if len(times):
        t0, t1 = times.min(), times.max()
        span = (t1 - t0).total_seconds()
        xs = (
            [LEFT + PLOT_W * (t - t0).total_seconds() / span for t in times]
            if span > 0
            else [LEFT + PLOT_W / 2] * len(times)
        )
    else:
        t0 = t1 = None
        xs = []
    ys = [y_of(v, top) for v in values]
    parts = [
        f'<svg class="series" xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {WIDTH} {HEIGHT}" '
        f'width="{WIDTH}" height="{HEIGHT}" role="img" aria-label="{html.escape(title)}">',
        f'<text x="{LEFT}" y="14" font-size="11" font-weight="600">{html.escape(title)}</text>',
        f'<rect x="{LEFT}" y="{TOP}" width="{PLOT_W}" height="{PLOT_H}" fill="none" '
        'stroke="#999" stroke-width="0.6"/>',
    ]
    for tick in (0.0, top / 2, top):  # y ticks: 0, half, top
        y = _fmt(y_of(tick, top))
        parts.append(
            f'<line x1="{LEFT - 3}" x2="{LEFT + PLOT_W}" y1="{y}" y2="{y}" stroke="#e3e3e3" '
            'stroke-width="0.6"/>'
            f'<text x="{LEFT - 5}" y="{y}" font-size="9" text-anchor="end" '
            f'dominant-baseline="middle">{_number(tick)}</text>'
        )
    if t0 is not None:
        bottom = TOP + PLOT_H + 12
        parts.append(
            f'<text x="{LEFT}" y="{bottom}" font-size="9">{t0.strftime(time_format)}</text>'
        )
        if t1 != t0:
            parts.append(
                f'<text x="{LEFT + PLOT_W}" y="{bottom}" font-size="9" text-anchor="end">'
                f"{t1.strftime(time_format)}</text>"
            )
    sources = data["source"].to_numpy(dtype=object)
    auto_line = [
        f"{_fmt(x)},{_fmt(y)}" for x, y, s in zip(xs, ys, sources, strict=True) if s == "auto"
    ]
    if len(auto_line) > 1:
        parts.append(
            f'<polyline points="{" ".join(auto_line)}" fill="none" stroke="#9aa5b1" '
            'stroke-width="0.8"/>'
        )
    for v in limits:
        y = _fmt(y_of(v, top))
        parts.append(
            f'<line class="limit" x1="{LEFT}" x2="{LEFT + PLOT_W}" y1="{y}" y2="{y}" '
            f'stroke="{LIMIT_COLOUR}" stroke-width="1.4" stroke-dasharray="6 4"/>'
        )
    if limits and limit_label:
        y = _fmt(y_of(max(limits), top) - 3)
        parts.append(
            f'<text x="{LEFT + 3}" y="{y}" font-size="9" '
            f'fill="{LIMIT_COLOUR}">{html.escape(limit_label)}</text>'
        )
    for x, y, klass, source in zip(xs, ys, data["class"], sources, strict=True):
        colour = wq.CLASS_COLORS.get(str(klass), NO_CLASS) if pd.notna(klass) else NO_CLASS
        if source == "lab":
            d = f"M{_fmt(x)},{_fmt(y - 5)} L{_fmt(x + 5)},{_fmt(y)} L{_fmt(x)},{_fmt(y + 5)} "
            d += f"L{_fmt(x - 5)},{_fmt(y)} Z"
            parts.append(
                f'<path class="pt lab" d="{d}" fill="{colour}" stroke="#333" stroke-width="0.6"/>'
            )
        else:
            parts.append(
                f'<circle class="pt auto" cx="{_fmt(x)}" cy="{_fmt(y)}" r="2.2" fill="{colour}" '
                'stroke="#555" stroke-width="0.3"/>'
            )
    parts.append("</svg>")
    return "".join(parts)
