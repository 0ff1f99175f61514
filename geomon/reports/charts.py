"""Small inline SVG charts for the HTML reports: grouped bars, stacked bars and lines.

Self-contained (no script, no external URL), readable in print, every label escaped
(`geomon.reports._html.escape`). Each function returns one ``<svg>`` string; a series is
``(name, values, colour)`` with one value per category (None draws nothing).
"""

from __future__ import annotations

import math
from collections.abc import Sequence

from geomon.reports._html import escape as _e

Series = tuple[str, Sequence[float | None], str]
FONT = "'Noto Sans CJK SC','Noto Sans SC','Microsoft YaHei','PingFang SC',sans-serif"
_AXIS = "#888"


def _fmt(value: float, unit: str) -> str:
    text = f"{value:.1f}" if unit == "%" and value != int(value) else f"{value:,.0f}"
    return f"{text}{unit}" if unit == "%" else text


def _nice_max(value: float) -> float:
    if value <= 0:
        return 1.0
    exp = 10 ** math.floor(math.log10(value))
    return next(m * exp for m in (1, 1.2, 1.5, 2, 2.5, 3, 4, 5, 6, 8, 10) if m * exp >= value)


def _legend(series: Sequence[tuple[str, str]], x: float, y: float) -> str:
    out, cx = [], x
    for name, color in series:
        out.append(
            f'<rect x="{cx:.1f}" y="{y - 10}" width="12" height="12" fill="{color}"/>'
            f'<text x="{cx + 16:.1f}" y="{y}" font-size="12">{_e(name)}</text>'
        )
        cx += 34 + 13 * len(name)
    return "".join(out)


def _svg(width: int, height: int, title: str, body: str) -> str:
    return (
        f'<svg viewBox="0 0 {width} {height}" width="100%" role="img" aria-label="{_e(title)}" '
        f'style="max-width:{width}px;font-family:{FONT}">'
        f'<text x="{width / 2:.0f}" y="18" font-size="14" font-weight="700" '
        f'text-anchor="middle">{_e(title)}</text>{body}</svg>'
    )


def bar_chart(
    categories: Sequence[str],
    series: Sequence[Series],
    *,
    title: str,
    unit: str = "",
    width: int = 760,
    max_value: float | None = None,
) -> str:
    """Horizontal grouped bars: one group per category, one bar per series, values at the end."""
    label_w, bar_h, gap = 150, 11, 10
    group_h = bar_h * len(series) + gap
    height = 58 + group_h * len(categories) + 16
    values = [v for _, vals, _ in series for v in vals if v is not None]
    top = max_value or _nice_max(max(values, default=0))
    plot_w = width - label_w - 70
    body = [_legend([(n, c) for n, _, c in series], label_w, 40)]
    y0 = 56
    for i in range(5):
        x = label_w + plot_w * i / 4
        body.append(
            f'<line x1="{x:.1f}" y1="{y0 - 4}" x2="{x:.1f}" y2="{height - 14}" stroke="#e3e6ec"/>'
            f'<text x="{x:.1f}" y="{height - 2}" font-size="10" text-anchor="middle" '
            f'fill="{_AXIS}">{_e(_fmt(top * i / 4, unit))}</text>'
        )
    for g, cat in enumerate(categories):
        gy = y0 + g * group_h
        body.append(
            f'<text x="{label_w - 8}" y="{gy + group_h / 2 - 2:.1f}" font-size="12" '
            f'text-anchor="end">{_e(cat)}</text>'
        )
        for s, (_, vals, color) in enumerate(series):
            value = vals[g]
            if value is None:
                continue
            w = plot_w * min(value, top) / top
            y = gy + s * bar_h
            body.append(
                f'<rect x="{label_w}" y="{y:.1f}" width="{w:.1f}" height="{bar_h - 2}" '
                f'fill="{color}"/><text x="{label_w + w + 4:.1f}" y="{y + bar_h - 4:.1f}" '
                f'font-size="10.5">{_e(_fmt(value, unit))}</text>'
            )
    return _svg(width, height, title, "".join(body))


def stacked_bars(
    categories: Sequence[str],
    parts: Sequence[Series],
    *,
    title: str,
    width: int = 760,
) -> str:
    """Horizontal 100 % bars: each category's parts as shares of its total, counts inside."""
    label_w, bar_h, gap = 170, 22, 10
    height = 58 + (bar_h + gap) * len(categories) + 14
    plot_w = width - label_w - 30
    body = [_legend([(n, c) for n, _, c in parts], label_w, 40)]
    for g, cat in enumerate(categories):
        y = 56 + g * (bar_h + gap)
        counts = [float(vals[g] or 0) for _, vals, _ in parts]
        total = sum(counts)
        body.append(
            f'<text x="{label_w - 8}" y="{y + bar_h / 2 + 4:.1f}" font-size="12" '
            f'text-anchor="end">{_e(cat)}</text>'
        )
        if not total:
            body.append(
                f'<rect x="{label_w}" y="{y}" width="{plot_w}" height="{bar_h}" fill="#f1f2f5"/>'
                f'<text x="{label_w + 8}" y="{y + bar_h / 2 + 4:.1f}" font-size="11" '
                f'fill="{_AXIS}">无数据</text>'
            )
            continue
        x = float(label_w)
        for n, (name, _, color) in zip(counts, parts, strict=True):
            if not n:
                continue
            w = plot_w * n / total
            tip = f"<title>{_e(cat)} {_e(name)}：{n:.0f}</title>"
            body.append(
                f'<rect x="{x:.1f}" y="{y}" width="{w:.1f}" height="{bar_h}" fill="{color}" '
                f'stroke="#fff">{tip}</rect>'
            )
            if w > 16:
                body.append(
                    f'<text x="{x + w / 2:.1f}" y="{y + bar_h / 2 + 4:.1f}" font-size="11" '
                    f'text-anchor="middle" fill="#fff" font-weight="700">{n:.0f}</text>'
                )
            x += w
    return _svg(width, height, title, "".join(body))


def line_chart(
    x_labels: Sequence[str],
    series: Sequence[Series],
    *,
    title: str,
    unit: str = "%",
    width: int = 760,
    height: int = 280,
    max_value: float | None = 100.0,
) -> str:
    """Lines over `x_labels` (e.g. months) with dots and the last value labelled."""
    left, right, top_y, bottom = 56, 70, 52, 36
    values = [v for _, vals, _ in series for v in vals if v is not None]
    top = max_value or _nice_max(max(values, default=0))
    plot_w, plot_h = width - left - right, height - top_y - bottom
    n = max(len(x_labels) - 1, 1)

    def xy(i: int, v: float) -> tuple[float, float]:
        return left + plot_w * i / n, top_y + plot_h * (1 - v / top)

    body = [_legend([(s, c) for s, _, c in series], left, 40)]
    for k in range(6):
        v = top * k / 5
        _, y = xy(0, v)
        body.append(
            f'<line x1="{left}" y1="{y:.1f}" x2="{left + plot_w}" y2="{y:.1f}" stroke="#e3e6ec"/>'
            f'<text x="{left - 6}" y="{y + 4:.1f}" font-size="10" text-anchor="end" '
            f'fill="{_AXIS}">{_e(_fmt(v, unit))}</text>'
        )
    for i, label in enumerate(x_labels):
        x, _ = xy(i, 0)
        body.append(
            f'<text x="{x:.1f}" y="{height - bottom + 18}" font-size="11" '
            f'text-anchor="middle">{_e(label)}</text>'
        )
    for _name, vals, color in series:
        pts = [xy(i, v) for i, v in enumerate(vals) if v is not None]
        if not pts:
            continue
        path = " L".join(f"{x:.1f},{y:.1f}" for x, y in pts)
        body.append(f'<path d="M{path}" fill="none" stroke="{color}" stroke-width="2.5"/>')
        body += [f'<circle cx="{x:.1f}" cy="{y:.1f}" r="3.5" fill="{color}"/>' for x, y in pts]
        last = [v for v in vals if v is not None][-1]
        x, y = pts[-1]
        body.append(
            f'<text x="{x + 7:.1f}" y="{y + 4:.1f}" font-size="11" fill="{color}" '
            f'font-weight="700">{_e(_fmt(last, unit))}</text>'
        )
    return _svg(width, height, title, "".join(body))
