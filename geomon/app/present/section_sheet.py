"""The printable section sheet (一断面一档), like the outlet sheet (`sheet.outlet_sheet`): facts,
latest class against the target, trend, monthly classes (with the source they rest on), a chart
per assessed parameter (inline SVG, `svg_chart`: prints and opens offline), exceedances (the
latest `MAX_EXCEEDANCES`, with the total) and data completeness, with a QR code to the record
page. Every value is HTML-escaped (DESIGN.md convention 8).

The charted parameters follow the 14th-FYP "5+X" assessment (DOMAIN.md §1.4): pH, DO, CODMn,
NH3-N and TP where measured, every parameter the station measures, and every item beyond the
target in the period (X). A parameter the station measures is charted over the station's data
(daily values, `series.daily_means`) with the lab results within it (from a day before), so
the days stay readable; any other parameter with every lab result. The monthly table covers
the whole period."""

from __future__ import annotations

import datetime as dt
import html
from collections.abc import Sequence

import pandas as pd

from geomon.app import i18n
from geomon.app.present import section_view, svg_chart
from geomon.app.present.sheet import _CSS, NO_LINK, _qr_block, _table, fact_cells
from geomon.monitoring import BEIJING
from geomon.monitoring import series as ms
from geomon.rules import water_quality as wq

MAX_EXCEEDANCES = 30  # rows on paper; the page lists them all
BASIC_ITEMS = ("pH", "DO", "CODMn", "NH3N", "TP")  # the "5" of "5+X" (DOMAIN.md §1.4)
_CHART_CSS = """
.charts { display: flex; flex-wrap: wrap; gap: 4px 8px; }
.charts svg { width: 49%; height: auto; break-inside: avoid; }
.legend { font-size: 10px; color: #444; margin: 2px 0 6px; }
table.list th { width: auto; }
"""


def charted_parameters(
    readings: pd.DataFrame, monitoring: pd.DataFrame | None, code: str, exceeded: Sequence[str]
) -> list[str]:
    """The parameters the sheet charts ("5+X", see the module docstring), in 表1 order."""
    present = section_view.parameters_of(readings, monitoring, code)
    auto = set(readings.loc[readings["section_code"].astype(str) == code, "parameter"].astype(str))
    wanted = set(BASIC_ITEMS) | auto | {p for p in exceeded if p in wq.ASSESSED}
    return [p for p in present if p in wanted]


def parameter_charts(
    readings: pd.DataFrame,
    monitoring: pd.DataFrame | None,
    code: str,
    target: str | None,
    water_body: wq.WaterBody,
    exceeded: Sequence[str] = (),
) -> list[str]:
    """One SVG chart per charted parameter: the station's daily values and the lab results,
    points coloured by class, the target class's limit as a red dashed line."""
    charts = []
    mine = readings[readings["section_code"].astype(str) == code]
    since = (
        pd.to_datetime(mine["time"], utc=True).min() - pd.Timedelta(days=1) if len(mine) else None
    )
    for parameter in charted_parameters(readings, monitoring, code, exceeded):
        series = ms.section_series(
            readings, code, parameter, step="day", target=target, water_body=water_body
        )
        auto = series.points
        lab = section_view.lab_points(monitoring, code, parameter, water_body)
        if since is not None and len(auto):  # the station's span; lab-only items: every result
            lab = lab[pd.to_datetime(lab["time"], utc=True) >= since]
        points = pd.concat(
            [
                pd.DataFrame({"time": pd.to_datetime(auto["time"], utc=True),
                              "value": auto["value"].to_numpy(dtype=float),
                              "class": auto["class"].to_numpy(dtype=object), "source": "auto"}),
                pd.DataFrame({"time": pd.to_datetime(lab["time"], utc=True),
                              "value": lab["value"].to_numpy(dtype=float),
                              "class": lab["class"].to_numpy(dtype=object), "source": "lab"}),
            ],
            ignore_index=True,
        )  # fmt: skip
        points["time"] = points["time"].dt.tz_convert(BEIJING).dt.tz_localize(None)
        span = points["time"].max() - points["time"].min() if len(points) else pd.Timedelta(0)
        unit = f"（{series.unit}）" if series.unit else ""
        limit_label = (
            f"{section_view.class_label(target, 'zh')}限值"
            if series.limit is not None and target
            else ""
        )
        charts.append(
            svg_chart.series_svg(
                points, limit=series.limit, title=section_view.parameter_label(parameter, "zh")
                + unit, limit_label=limit_label,
                time_format="%Y-%m-%d" if span > pd.Timedelta(days=62) else "%m-%d",
            )
        )  # fmt: skip
    return charts


def _basis(classes: pd.DataFrame, month: str) -> str:
    """The source the month's class rests on (自动站 / 人工监测 / 自动站+人工监测)."""
    row = classes[classes["month"] == month]
    return section_view.source_text(row["source"].iloc[0] if len(row) else None, "zh")


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
    charts: Sequence[str] = (),
    generated: dt.date | None = None,
) -> str:
    """The printable sheet of one section (Chinese), as a complete HTML document."""
    cells = fact_cells(facts)
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
            f"（{html.escape(wq.STATUS[klass])}），{verdict}。"
            f"评价依据：{html.escape(_basis(classes, month))}。</p>"
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
            [(m, section_view.class_label(c, "zh") or "—", section_view.source_text(src, "zh"),
              section_view.class_label(lc, "zh") or "—", section_view.class_label(ac, "zh") or "—",
              section_view.station_state(d, n, "zh"))
             for m, c, src, lc, ac, d, n in zip(
                classes["month"], classes["class"], classes["source"], classes["lab_class"],
                classes["auto_class"], classes["auto_complete"], classes["auto_parameters"],
                strict=True)],
            ["月份", "水质类别", "评价依据", "人工监测类别", "自动站类别", "自动站数据"],
        ).replace("<table>", '<table class="list">', 1)
        if len(classes)
        else "<p>无人工监测结果或自动站数据。</p>"
    ) + f'<p class="legend">{html.escape(section_view.month_rule_text("zh"))}</p>'  # fmt: skip
    chart_html = (
        '<p class="legend">红色虚线为水质目标类别限值（GB 3838-2002 表1）；圆点为自动站日均值，'
        "菱形为人工监测结果；颜色为单项水质类别，灰色为无效或不完整数据。"
        "自动站监测的项目只画自动站数据时段（及其中的人工监测），逐月类别见上表。</p>"
        f'<div class="charts">{"".join(charts)}</div>'
        if charts
        else "<p>暂无监测数据。</p>"
    )
    shown = exceedances.head(MAX_EXCEEDANCES)
    over_html = (
        _table(
            [(r.source, r.time, r.parameter, f"{r.value:g}", r.limit,
              section_view.multiple_text(r.multiple, "zh")) for r in shown.itertuples()],
            ["来源", "时间（北京时间）", "项目", "浓度", "目标限值", "超标倍数"],
        ).replace("<table>", '<table class="list">', 1)
        + (f"<p>共 {len(exceedances)} 条，仅列最近 {MAX_EXCEEDANCES} 条。</p>"
           if len(exceedances) > MAX_EXCEEDANCES else "")
        if len(exceedances)
        else "<p>未发现超过水质目标限值的监测值。</p>"
    )  # fmt: skip
    complete_html = (
        _table(
            [(section_view.parameter_label(r.parameter, "zh"), r.month,
              "—" if pd.isna(r.valid_hours) else str(int(r.valid_hours)), str(r.hours),
              "—" if pd.isna(r.share) else f"{r.share:.1%}", str(r.valid_days), str(r.days),
              section_view.completeness_text(r.complete, "zh"))
             for r in completeness.itertuples()],
            ["项目", "月份", "有效小时数", "应有小时数", "数据完整率", "有效天数", "应有天数",
             "月均值"],
        ).replace("<table>", '<table class="list">', 1)
        + f'<p class="legend">{html.escape(section_view.completeness_rule_text("zh"))}</p>'
        if len(completeness)
        else "<p>无自动站数据。</p>"
    )  # fmt: skip
    when = (generated or dt.date.today()).isoformat()
    return (
        '<!DOCTYPE html><html lang="zh-CN"><head><meta charset="utf-8">'
        f"<title>{html.escape(code)} {html.escape(name)}</title>"
        f"<style>{_CSS}{_CHART_CSS}</style></head><body>"
        f'<header><div><h1>地表水监测断面信息档案</h1><div class="code">{html.escape(code)}</div>'
        f"<div>{html.escape(name)}</div></div>"
        f"{_qr_block(link)}</header>"
        f'<h2>基本信息</h2><table class="fields">{cells}</table>'
        f"<h2>水质状况</h2>{state}"
        f"<h2>逐月水质类别</h2>{month_html}"
        f"<h2>监测项目变化</h2>{chart_html}"
        f"<h2>超标情况</h2>{over_html}"
        f"<h2>自动站数据完整率</h2>{complete_html}"
        f"<footer>生成日期：{when}｜电子档案：{html.escape(link or NO_LINK)}</footer>"
        "</body></html>"
    )
