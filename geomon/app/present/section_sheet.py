"""The printable one-page section sheet (一断面一档), like the outlet sheet (`sheet.outlet_sheet`):
facts, latest class against the target, trend, monthly classes, exceedances (the latest
`MAX_EXCEEDANCES`, with the total) and data completeness, with a QR code to the record page.
Every value is HTML-escaped (DESIGN.md convention 8)."""

from __future__ import annotations

import datetime as dt
import html
from collections.abc import Sequence

import pandas as pd

from geomon.app import i18n
from geomon.app.present import section_view
from geomon.app.present.sheet import _CSS, NO_LINK, _qr_block, _table
from geomon.rules import water_quality as wq

MAX_EXCEEDANCES = 30  # rows on paper; the page lists them all


def section_sheet(
    *,
    facts: Sequence[tuple[str, str]],
    name: str,
    code: str,
    link: str | None,
    latest: tuple[str, str] | None,
    target: str | None,
    classes: pd.DataFrame,
    exceedances: pd.DataFrame,
    completeness: pd.DataFrame,
    trend: tuple[str, str, str, str, str] | None,
    generated: dt.date | None = None,
) -> str:
    """The printable sheet of one section (Chinese), as a complete HTML document."""
    pairs = [facts[i : i + 2] for i in range(0, len(facts), 2)]
    cells = "".join(
        "<tr>"
        + "".join(f"<th>{html.escape(k)}</th><td>{html.escape(v)}</td>" for k, v in pair)
        + ("<th></th><td></td>" if len(pair) == 1 else "")
        + "</tr>"
        for pair in pairs
    )
    if latest is None:
        state = "<p>暂无监测结果。</p>"
    else:
        month, klass = latest
        verdict = (
            "未设水质目标"
            if target is None
            else ("达到水质目标" if wq.meets(klass, target) else "未达到水质目标")
        )
        warn = ' class="warn"' if target is not None and not wq.meets(klass, target) else ""
        label = section_view.class_label(klass, "zh")
        state = (
            f"<p{warn}>{html.escape(month)} 水质类别：{html.escape(label)}"
            f"（{html.escape(wq.STATUS[klass])}），{verdict}。</p>"
        )
    if trend is not None:
        first_m, first_c, last_m, last_c, word = trend
        state += (
            f"<p>变化趋势：{html.escape(first_m)} {section_view.class_label(first_c, 'zh')} → "
            f"{html.escape(last_m)} {section_view.class_label(last_c, 'zh')}，"
            f"{html.escape(i18n.t(word, 'zh'))}。</p>"
        )
    month_html = (
        _table(
            [(m, section_view.class_label(c, "zh") or "—") for m, c in
             zip(classes["month"], classes["class"], strict=True)],
            ["月份", "水质类别"],
        )
        if len(classes)
        else "<p>无人工监测结果。</p>"
    )  # fmt: skip
    shown = exceedances.head(MAX_EXCEEDANCES)
    over_html = (
        _table(
            [(r.source, r.time, r.parameter, f"{r.value:g}", r.limit,
              section_view.multiple_text(r.multiple, "zh")) for r in shown.itertuples()],
            ["来源", "时间（北京时间）", "项目", "浓度", "目标限值", "超标倍数"],
        )
        + (f"<p>共 {len(exceedances)} 条，仅列最近 {MAX_EXCEEDANCES} 条。</p>"
           if len(exceedances) > MAX_EXCEEDANCES else "")
        if len(exceedances)
        else "<p>未发现超过水质目标限值的监测值。</p>"
    )  # fmt: skip
    complete_html = (
        _table(
            [(section_view.parameter_label(r.parameter, "zh"), r.month, str(r.valid_hours),
              str(r.hours), f"{r.share:.1%}") for r in completeness.itertuples()],
            ["项目", "月份", "有效小时数", "应有小时数", "数据完整率"],
        )
        if len(completeness)
        else "<p>无自动站数据。</p>"
    )  # fmt: skip
    when = (generated or dt.date.today()).isoformat()
    return (
        '<!DOCTYPE html><html lang="zh-CN"><head><meta charset="utf-8">'
        f"<title>{html.escape(code)} {html.escape(name)}</title><style>{_CSS}</style></head><body>"
        f'<header><div><h1>地表水监测断面信息档案</h1><div class="code">{html.escape(code)}</div>'
        f"<div>{html.escape(name)}</div></div>"
        f"{_qr_block(link)}</header>"
        f'<h2>基本信息</h2><table class="fields">{cells}</table>'
        f"<h2>水质状况</h2>{state}"
        f"<h2>逐月水质类别</h2>{month_html}"
        f"<h2>超标情况</h2>{over_html}"
        f"<h2>自动站数据完整率</h2>{complete_html}"
        f"<footer>生成日期：{when}｜电子档案：{html.escape(link or NO_LINK)}</footer>"
        "</body></html>"
    )
