"""The period report as one self-contained HTML page, laid out like a bureau's work report.

Headings 一、二、三…, narrative paragraphs with the key figures (`geomon.reports._period_text`),
tables, inline SVG charts (`geomon.reports.charts`), the map snapshot
(`geomon.reports.period_map`) and the data versions used. No script and no external URL; every
text from data or users is escaped. Print it to PDF from any browser (A4 page rules included).
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

from geomon.reports import _period_text as text
from geomon.reports import _period_water, charts, period_map
from geomon.reports._html import escape as _e
from geomon.reports._layout import day, num, page, paragraphs, pct, table
from geomon.reports._period_sections import TOTAL, TREND_CITATION
from geomon.reports.period import PeriodReport
from geomon.times import beijing

_BLUE, _ORANGE, _GREEN, _DARK, _GREY = "#1f3a93", "#f28e2b", "#1a9850", "#006837", "#9aa3b5"
_GROUP_TITLES = {
    "by_district": ("district", "区县"),
    "by_type": ("type_l1", "排污口类型"),
    "by_category": ("category", "整治类型"),
}


def _kpis(report: PeriodReport) -> str:
    items = []
    o = report.outlets
    if o is not None:
        c = o["cumulative"]
        items += [
            (num(c["total"]), "累计排查排污口（个）"),
            (pct(c["rectified_pct"]), "累计整治完成率"),
        ]
    total = next((r for r in report.networks if r["control_level"] == TOTAL), None)
    if total is not None and total["assessed"]:
        items += [(pct(total["good_pct"]), "断面优良比例"), (pct(total["worst_pct"]), "劣Ⅴ类比例")]
    cells = "".join(f'<div class="kpi"><b>{v}</b><span>{_e(k)}</span></div>' for v, k in items)
    return f'<div class="kpis">{cells}</div>' if cells else ""


# ------------------------------------------------------------------------------ 二、排污口


def _progress_table(report: PeriodReport) -> str:
    o = report.outlets
    assert o is not None
    c, p = o["cumulative"], o["in_period"]
    rows = [
        ["排查", num(p["found"]), num(c["total"]), "—"],
        ["溯源", num(p["traced"]), num(c["traced"]), pct(c["traced_pct"])],
        ["整治完成", num(p["rectified"]), num(c["rectified"]), pct(c["rectified_pct"])],
        ["销号", num(p["closed"]), num(c["closed"]), pct(c["closed_pct"])],
        ["逾期未完成整治", "—", num(c["overdue"]), "—"],
    ]
    return table(
        [
            "工作环节",
            "本期完成（个）",
            f"累计（截至{day(report.end.isoformat())}）",
            "累计占比",
        ],
        rows,
        numeric=(1, 2, 3),
        caption="表1 入河排污口排查整治进展",
    )


def _group_table(report: PeriodReport, name: str, n: int) -> str:
    o = report.outlets
    assert o is not None
    field, title = _GROUP_TITLES[name]
    rows = [
        [
            _e(r[field]),
            num(r["total"]),
            num(r["found_in_period"]),
            num(r["traced"]),
            pct(r["traced_pct"]),
            num(r["rectified"]),
            pct(r["rectified_pct"]),
            num(r["rectified_in_period"]),
            num(r["closed"]),
            num(r["overdue"]),
        ]
        for r in o.get(name, [])
    ]
    c, p = o["cumulative"], o["in_period"]
    rows.append(
        ["合计", num(c["total"]), num(p["found"]), num(c["traced"]), pct(c["traced_pct"]),
         num(c["rectified"]), pct(c["rectified_pct"]), num(p["rectified"]), num(c["closed"]),
         num(c["overdue"])]
    )  # fmt: skip
    headers = [title, "排污口总数", "本期新增排查", "已溯源", "溯源率", "已完成整治", "整治率",
               "本期完成整治", "已销号", "逾期"]  # fmt: skip
    return table(
        headers,
        rows,
        numeric=range(1, 10),
        left=(0,),
        caption=f"表{n} 入河排污口进展（按{title}）",
        total_last=True,
    )


def _district_chart(report: PeriodReport) -> str:
    rows = (report.outlets or {}).get("by_district", [])
    if len(rows) < 2:
        return ""
    cats = [str(r["district"]) for r in rows]
    svg = charts.bar_chart(
        cats,
        [
            ("排污口总数", [r["total"] for r in rows], _GREY),
            ("已溯源", [r["traced"] for r in rows], _ORANGE),
            ("已完成整治", [r["rectified"] for r in rows], _GREEN),
            ("已销号", [r["closed"] for r in rows], _DARK),
        ],
        title="各区县入河排污口排查整治进展（个）",
    )
    return f"<figure>{svg}<figcaption>图2 各区县入河排污口排查整治进展</figcaption></figure>"


def _month_chart(report: PeriodReport) -> str:
    months = (report.outlets or {}).get("by_month", [])
    if len(months) < 2:
        return ""
    svg = charts.line_chart(
        [f"{int(m['month'][5:])}月" for m in months],
        [
            ("累计溯源比例", [m["traced_pct"] for m in months], _ORANGE),
            ("累计整治比例", [m["rectified_pct"] for m in months], _GREEN),
        ],
        title="入河排污口累计溯源、整治比例逐月变化",
    )
    return f"<figure>{svg}<figcaption>图1 累计溯源、整治比例（按各月末）</figcaption></figure>"


def _overdue(report: PeriodReport) -> str:
    rows = [
        [
            str(i),
            _e(r["code"]),
            _e(r["name"]),
            _e(r["district"]),
            _e(r.get("category")),
            _e(r["stage"]),
            _e(r["deadline"]),
            num(r.get("days_overdue")),
            _e(r.get("responsible_unit")),
        ]
        for i, r in enumerate((report.outlets or {}).get("overdue", []), start=1)
    ]
    intro = (
        f"截至{day(report.end.isoformat())}，超过整治时限仍未完成整治的排污口{len(rows)}个，"
        "须督促责任主体限期完成。"
        if rows
        else f"截至{day(report.end.isoformat())}，无逾期未完成整治的排污口。"
    )
    headers = ["序号", "排污口编码", "排污口名称", "区县", "整治类型", "当前进度", "整治时限",
               "逾期天数", "责任主体"]  # fmt: skip
    return paragraphs(intro) + (
        table(headers, rows, numeric=(0, 7), left=(2, 8), caption="表5 逾期未完成整治排污口清单")
        if rows
        else ""
    )


def _outlet_part(report: PeriodReport) -> str:
    if report.outlets is None:
        return "<h2>二、入河排污口排查整治</h2>" + paragraphs("本期无入河排污口台账数据。")
    return (
        "<h2>二、入河排污口排查整治</h2><h3>（一）总体进展</h3>"
        + paragraphs(text.outlet_summary(report))
        + _progress_table(report)
        + _month_chart(report)
        + paragraphs(text.milestone_text(report))
        + "<h3>（二）分区县进展</h3>"
        + _group_table(report, "by_district", 2)
        + _district_chart(report)
        + "<h3>（三）分类型进展</h3>"
        + _group_table(report, "by_type", 3)
        + "<h3>（四）分整治类型进展</h3>"
        + _group_table(report, "by_category", 4)
        + "<h3>（五）逾期未完成整治排污口</h3>"
        + _overdue(report)
    )


# ------------------------------------------------------------------------------ 四、五


def _map_part(report: PeriodReport) -> str:
    classes = {s["section_code"]: s["class"] for s in report.sections}
    failing = {s["section_code"] for s in report.sections if s["meets_target"] is False}
    overdue = {r["code"] for r in (report.outlets or {}).get("overdue", [])}
    svg = period_map.snapshot(
        report.frames, classes, failing, overdue, title=f"{report.label}断面水质与排污口分布图"
    )
    if not svg:
        return ""
    return (
        "<h2>四、断面水质与排污口分布</h2><figure>"
        + svg
        + f"<figcaption>图4 {_e(report.label)}断面水质类别与入河排污口整治进展分布（菱形为断面，"
        "按本期类别着色，黑框为未达标；圆点为排污口，红圈为逾期未完成整治）</figcaption></figure>"
    )


def _versions(report: PeriodReport, n: str) -> str:
    rows = [
        [
            _e(s.title),
            _e(s.layer),
            num(s.rows) if s.stored else "—",
            _e(s.version or "—"),
            _e(s.source or "—"),
            _e(beijing(s.imported_at) if s.imported_at else "—"),
            num(s.revision) if s.stored else "未入库",
        ]
        for s in report.versions
    ]
    cutoff = report.as_of.text
    notes = [
        f"本报告数据取自数据库在{cutoff}时的状态（按变更历史还原），此后的导入和修改不影响本报告，"
        "任何时候重新生成，数据均相同。",
        "断面水质按《地表水环境质量标准》（GB 3838-2002）和《地表水环境质量评价办法（试行）》"
        "（环办〔2011〕22号）单因子评价，期间均值按环办监测函〔2020〕82号修约；优良比例为Ⅰ–Ⅲ类"
        "断面占评价断面的比例。",
        f"水质变化趋势按{TREND_CITATION}判定；上期为与本期等长的前一时段"
        f"（{report.previous_label}）。",
        "排污口进展按台账整治进度统计（国办函〔2022〕17号；HJ 1308-2023）：本期新增排查、溯源、"
        "整治按台账中的排查日期、溯源完成日期、完成日期统计；本期销号按变更历史统计。",
        *report.notes,
    ]
    return (
        f"<h2>{n}、数据版本与说明</h2>"
        + table(
            ["图层", "代码", "要素数", "数据版本", "数据来源", "导入时间（北京时间）", "库修订号"],
            rows,
            numeric=(2, 6),
            left=(0, 4),
            caption="表10 本报告使用的数据版本",
        )
        + "".join(f'<p class="note">{i}. {_e(line)}</p>' for i, line in enumerate(notes, 1))
    )


def render(report: PeriodReport, *, generated_at: dt.datetime | None = None) -> str:
    """Return the report as one self-contained HTML document (Chinese)."""
    when = beijing(generated_at or dt.datetime.now(dt.UTC))
    heading = text.title(report)
    period = f"{day(report.start.isoformat())}至{day(report.end.isoformat())}"
    has_map = bool(_map_part(report))
    body = (
        f"<header><h1>{_e(heading)}</h1>"
        f'<p class="sub">（{_e(text.scope(report))}）</p>'
        f'<p class="meta">统计期：{_e(period)} ｜ 对比期：{_e(report.previous_label)} ｜ '
        f"数据截至：{_e(report.as_of.text)} ｜ 生成时间：{_e(when)}</p></header>"
        "<h2>一、总体情况</h2>"
        + _kpis(report)
        + paragraphs(text.overview(report))
        + _outlet_part(report)
        + _period_water.water_part(report)
        + _map_part(report)
        + _versions(report, "五" if has_map else "四")
        + f'<footer class="note">本报告由 geomon 根据数据库自动生成（{_e(when)}）。</footer>'
    )
    return page(f"{heading}（{text.scope(report)}）", body)


def write(report: PeriodReport, path: str | Path, **kwargs: Any) -> Path:
    """Write `render(report)` to `path` (UTF-8) and return the path."""
    path = Path(path)
    path.write_text(render(report, **kwargs), encoding="utf-8")
    return path
