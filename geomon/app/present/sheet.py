"""The printable one-page outlet sheet (一口一档) with a QR code linking back to the record.

`outlet_sheet` returns one self-contained A4 HTML page (no external URL but the QR's target):
every field of the outlet with its label, the zones it lies in, the sections downstream and a
QR code (pure-Python SVG from the ``qrcode`` package) for the sign at the outlet. Every value
is HTML-escaped (DESIGN.md convention 8).
"""

from __future__ import annotations

import datetime as dt
import html
import re
from collections.abc import Mapping, Sequence
from typing import Any

import pandas as pd
import qrcode
import qrcode.image.svg

from geomon import times
from geomon.specs import FieldSpec, get_spec

_CSS = """
@page { size: A4 portrait; margin: 14mm; }
* { box-sizing: border-box; }
body { font-family: "Noto Sans CJK SC", "Microsoft YaHei", "PingFang SC", sans-serif;
  color: #111; font-size: 12px; margin: 0; padding: 12px; background: #fff; }
header { display: flex; justify-content: space-between; align-items: flex-start;
  border-bottom: 2px solid #0b4f8a; padding-bottom: 8px; margin-bottom: 10px; }
h1 { font-size: 20px; margin: 0 0 4px; color: #0b4f8a; }
h2 { font-size: 14px; margin: 14px 0 6px; border-left: 4px solid #0b4f8a; padding-left: 6px; }
.code { font-family: "DejaVu Sans Mono", monospace; font-size: 14px; }
.qr { text-align: center; font-size: 10px; color: #444; width: 120px; }
.qr svg { width: 110px; height: 110px; }
.no-qr { border: 1px dashed #b2182b; color: #b2182b; padding: 6px; text-align: left;
  overflow-wrap: anywhere; }
table { width: 100%; border-collapse: collapse; }
th, td { border: 1px solid #999; padding: 3px 6px; text-align: left; vertical-align: top; }
th { background: #eef3f8; width: 22%; font-weight: 600; white-space: nowrap; }
.fields td { width: 28%; }
.warn { color: #b2182b; font-weight: 700; }
footer { margin-top: 14px; font-size: 10px; color: #666; }
@media print { body { padding: 0; } }
"""


def qr_svg(text: str) -> str:
    """A QR code of `text` as an inline ``<svg>`` element (error correction M)."""
    code = qrcode.QRCode(error_correction=qrcode.constants.ERROR_CORRECT_M, border=2)
    code.add_data(text)
    svg = code.make_image(image_factory=qrcode.image.svg.SvgPathImage).to_string(encoding="unicode")
    return re.sub(r"^<\?xml[^>]*\?>\s*", "", svg)


NO_LINK = "未设置应用的公开地址（GEOMON_PUBLIC_URL），未生成二维码"


def _qr_block(link: str | None) -> str:
    if link is None:
        return f'<div class="qr no-qr">{NO_LINK}；请管理员设置后重新打印。</div>'
    return f'<div class="qr">{qr_svg(link)}<div>扫码查看电子档案</div></div>'


def field_text(field: FieldSpec, value: Any, lang: str = "zh") -> str:
    """One field value for people: enum label, date, 是/否, number with unit; "" if blank."""
    if value is None or (
        not isinstance(value, str) and pd.api.types.is_scalar(value) and pd.isna(value)
    ):
        return ""
    if field.type == "enum":
        return field.value_label(value, lang)
    if field.type == "bool":
        yes = bool(value)
        return ("是" if yes else "否") if lang == "zh" else ("Yes" if yes else "No")
    if field.type == "date":
        return pd.Timestamp(value).strftime("%Y-%m-%d")
    if field.type in ("int", "float"):
        unit = f" {field.unit}" if field.unit else ""
        return (f"{value:g}" if isinstance(value, float) else str(value)) + unit
    return str(value)


def record_rows(record: Mapping[str, Any], lang: str = "zh") -> list[tuple[str, str]]:
    """(label, text) for every outlet field in spec order, then the coordinates."""
    spec = get_spec("outlets")
    rows = [(f.label.get(lang), field_text(f, record.get(f.name), lang)) for f in spec.fields]
    geom = record.get("geometry")
    if geom is not None and not geom.is_empty:
        lon, lat = ("经度", "纬度") if lang == "zh" else ("Longitude", "Latitude")
        rows += [(lon, f"{geom.x:.6f}"), (lat, f"{geom.y:.6f}")]
    return rows


def fact_cells(facts: Sequence[tuple[str, str]]) -> str:
    """The table rows of a sheet's facts, two (label, value) pairs a row, escaped."""
    pairs = [facts[i : i + 2] for i in range(0, len(facts), 2)]
    return "".join(
        "<tr>"
        + "".join(f"<th>{html.escape(k)}</th><td>{html.escape(v)}</td>" for k, v in pair)
        + ("<th></th><td></td>" if len(pair) == 1 else "")
        + "</tr>"
        for pair in pairs
    )


def _table(rows: Sequence[Sequence[str]], header: Sequence[str]) -> str:
    head = "".join(f"<th>{html.escape(h)}</th>" for h in header)
    body = "".join(
        "<tr>" + "".join(f"<td>{html.escape(str(c))}</td>" for c in row) + "</tr>" for row in rows
    )
    return f"<table><tr>{head}</tr>{body}</table>"


def outlet_sheet(
    record: Mapping[str, Any],
    *,
    link: str | None,
    zones: Sequence[Sequence[str]] = (),
    downstream: Sequence[Sequence[str]] = (),
    overdue: bool = False,
    generated: dt.date | None = None,
) -> str:
    """
    The printable sheet of one outlet (Chinese), as a complete HTML document.

    Parameters
    ----------
    record
        The outlet's fields (a row of the outlets layer, with ``geometry``).
    link
        The URL the QR code opens (the app's ``/outlet?outlet=CODE``); None when the app has no
        address others can reach (``GEOMON_PUBLIC_URL`` unset): the sheet says so instead of
        printing a code that opens nothing.
    zones, downstream
        Rows for the zone table (类别, 编码, 名称, 说明) and the downstream sections
        (编码, 名称, 级别, 沿河距离).
    overdue
        Whether to flag the outlet as 逾期未完成整治.
    """
    cells = fact_cells(record_rows(record, "zh"))
    name, code = str(record.get("name") or ""), str(record.get("code") or "")
    when = (generated or times.today()).isoformat()
    warn = '<p class="warn">逾期未完成整治</p>' if overdue else ""
    zone_html = (
        _table(zones, ["类别", "编码", "名称", "说明"])
        if zones
        else "<p>不在任何饮用水水源保护区、生态保护红线或管控单元内。</p>"
    )
    down_html = (
        _table(downstream, ["断面编码", "断面名称", "级别", "沿河距离（公里）"])
        if downstream
        else "<p>沿河未找到下游监测断面。</p>"
    )
    return (
        '<!DOCTYPE html><html lang="zh-CN"><head><meta charset="utf-8">'
        f"<title>{html.escape(code)} {html.escape(name)}</title><style>{_CSS}</style></head><body>"
        f'<header><div><h1>入河排污口信息档案</h1><div class="code">{html.escape(code)}</div>'
        f"<div>{html.escape(name)}</div>{warn}</div>"
        f"{_qr_block(link)}</header>"
        f'<h2>基本信息</h2><table class="fields">{cells}</table>'
        f"<h2>所在保护区、红线与管控单元</h2>{zone_html}"
        f"<h2>下游监测断面</h2>{down_html}"
        f"<footer>生成日期：{when}｜电子档案：{html.escape(link or NO_LINK)}</footer>"
        "</body></html>"
    )
