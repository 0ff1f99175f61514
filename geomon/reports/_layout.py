"""Page layout shared by the period and re-check HTML reports: CSS, tables, number formats.

Everything is inline (no external URL, no script) so the file opens on an offline intranet
and prints on A4. Table cells are given already escaped; the helpers here escape what they
format themselves.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from geomon.reports._html import escape as _e
from geomon.rules import water_quality as wq

FONT = "'Noto Serif CJK SC','Noto Sans CJK SC','SimSun','Microsoft YaHei',serif"
SANS = "'Noto Sans CJK SC','Noto Sans SC','Microsoft YaHei','PingFang SC',sans-serif"
CLASS_NAMES = {k: label.zh for k, label in wq.CLASS_LABELS.items()}  # Ⅲ类, from gb3838.toml

CSS = f"""
*{{box-sizing:border-box}}
body{{font-family:{FONT};color:#1d1d1d;margin:0 auto;max-width:1060px;padding:28px 36px;
  line-height:1.75;font-size:15px;background:#fff}}
header{{text-align:center;border-bottom:3px double #b2182b;padding-bottom:10px;margin-bottom:8px}}
header h1{{font-size:25px;margin:6px 0 4px;letter-spacing:1px}}
header .sub{{font-size:15px;color:#333;margin:0}}
.meta{{font-family:{SANS};color:#555;font-size:12.5px;margin:6px 0 0}}
h2{{font-size:19px;margin:30px 0 8px;font-family:{SANS};border-left:5px solid #1f3a93;
  padding-left:10px}}
h3{{font-size:16px;margin:20px 0 6px;font-family:{SANS}}}
p{{text-indent:2em;margin:6px 0}} p.note,p.cap{{text-indent:0}}
.note{{color:#555;font-size:12.5px;font-family:{SANS}}}
table{{border-collapse:collapse;width:100%;margin:8px 0 12px;font-size:13px;font-family:{SANS}}}
caption{{caption-side:top;text-align:center;font-weight:700;padding:4px 0;font-size:13.5px}}
th,td{{border:1px solid #b9bfca;padding:3px 6px;vertical-align:top;text-align:center}}
th{{background:#eef1f7;font-weight:600}} td.l{{text-align:left}}
td.num{{text-align:right;white-space:nowrap;font-variant-numeric:tabular-nums}}
tbody tr:nth-child(even){{background:#fafbfd}} tr.total td{{font-weight:700;background:#f3f4f8}}
.up{{color:#1a7f37;font-weight:600}} .down{{color:#b2182b;font-weight:600}}
.badge{{display:inline-block;padding:0 7px;border-radius:9px;font-size:12px;font-weight:600;
  color:#fff;white-space:nowrap}}
figure{{margin:10px 0 14px;text-align:center}} figcaption{{color:#444;font-size:12.5px;
  font-family:{SANS}}}
.kpis{{display:grid;grid-template-columns:repeat(4,1fr);gap:10px;margin:12px 0;
  font-family:{SANS}}}
.kpi{{border:1px solid #d6dae3;border-radius:6px;padding:8px 10px;text-align:center}}
.kpi b{{display:block;font-size:22px;color:#1f3a93}} .kpi span{{font-size:12px;color:#555}}
footer{{margin-top:28px;border-top:1px solid #ccc;padding-top:6px}}
svg text{{font-family:{SANS}}}
@page{{size:A4;margin:16mm 14mm}}
@media print{{body{{max-width:none;padding:0;font-size:12.5px}} h2,h3{{page-break-after:avoid}}
  figure,table{{page-break-inside:avoid}} thead{{display:table-header-group}}}}
"""


def page(title: str, body: str) -> str:
    """A complete HTML document (UTF-8, zh-CN) with the shared CSS; `body` is already HTML."""
    return (
        '<!DOCTYPE html><html lang="zh-CN"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>{_e(title)}</title><style>{CSS}</style></head><body>{body}</body></html>"
    )


def paragraphs(lines: list[str] | str | None) -> str:
    """Plain-text sentences as indented ``<p>`` paragraphs (escaped)."""
    if not lines:
        return ""
    lines = [lines] if isinstance(lines, str) else lines
    return "".join(f"<p>{_e(line)}</p>" for line in lines)


def table(
    headers: Sequence[str],
    rows: Iterable[Sequence[str]],
    *,
    numeric: Iterable[int] = (),
    left: Iterable[int] = (),
    caption: str | None = None,
    total_last: bool = False,
) -> str:
    """An HTML table; cells are HTML already (escape data before); `numeric` columns align right."""
    num, lft = set(numeric), set(left)
    head = "".join(f"<th>{h}</th>" for h in headers)
    lines = [list(r) for r in rows]
    out = []
    for i, r in enumerate(lines):
        cls = ' class="total"' if total_last and i == len(lines) - 1 else ""
        cells = "".join(
            f'<td class="num">{c}</td>' if j in num else f'<td class="l">{c}</td>' if j in lft
            else f"<td>{c}</td>"
            for j, c in enumerate(r)
        )  # fmt: skip
        out.append(f"<tr{cls}>{cells}</tr>")
    cap = f"<caption>{_e(caption)}</caption>" if caption else ""
    if not out:
        out.append(f'<tr><td colspan="{len(headers)}" class="l">（无）</td></tr>')
    return f"<table>{cap}<thead><tr>{head}</tr></thead><tbody>{''.join(out)}</tbody></table>"


def num(value: object) -> str:
    """A count for a table cell (``—`` when unknown)."""
    if value is None:
        return "—"
    return f"{int(value):,}"  # type: ignore[call-overload]


def pct(value: object) -> str:
    """A share in % with one decimal (``—`` when unknown)."""
    return "—" if value is None else f"{float(value):.1f}%"  # type: ignore[arg-type]


def points(value: float | None) -> str:
    """A change in percentage points, coloured: ``<span class="up">+3.2</span>``."""
    if value is None:
        return "—"
    if value == 0:
        return "0.0"
    cls = "up" if value > 0 else "down"
    return f'<span class="{cls}">{value:+.1f}</span>'


def klass(value: object) -> str:
    """A water-quality class as printed (Ⅲ类), ``—`` when not assessed."""
    return CLASS_NAMES.get(str(value), "—") if value else "—"


def day(text: str | None) -> str:
    """An ISO date as 2023年6月30日 (``—`` when missing)."""
    if not text:
        return "—"
    y, m, d = (int(p) for p in str(text)[:10].split("-"))
    return f"{y}年{m}月{d}日"
