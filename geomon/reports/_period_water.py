"""Part 三、地表水环境质量 of the period report's HTML: shares, classes, changes, exceedances.

Tables and the class-mix chart from the `PeriodReport`; every data text escaped.
"""

from __future__ import annotations

from geomon.reports import _period_text as text
from geomon.reports import charts
from geomon.reports._html import escape as _e
from geomon.reports._layout import klass, num, paragraphs, pct, points, table
from geomon.reports.period import PeriodReport
from geomon.rules import water_quality as wq


def _network_table(report: PeriodReport) -> str:
    rows = []
    for r in report.networks:
        prev = r["previous"] or {}
        rows.append(
            [
                _e(r["control_level"]),
                num(r["assessed"]),
                f"{num(r['good'])}（{pct(r['good_pct'])}）",
                pct(prev.get("good_pct")),
                points(r["delta_good"]),
                f"{num(r['worst'])}（{pct(r['worst_pct'])}）",
                pct(prev.get("worst_pct")),
                points(r["delta_worst"]),
                _e(r["trend"] or "—"),
                f"{num(r['meets_target'])}/{num(r['with_target'])}",
            ]
        )
    headers = ["断面级别", "评价断面数", "Ⅰ–Ⅲ类（比例）", "上期优良比例",
               "变化（百分点）", "劣Ⅴ类（比例）", "上期劣Ⅴ比例", "变化（百分点）", "变化趋势",
               "达标/有目标"]  # fmt: skip
    caption = "表6 各级断面水质状况"
    return table(headers, rows, numeric=(1, 4, 7), caption=caption, total_last=True)


def _network_chart(report: PeriodReport) -> str:
    rows = [r for r in report.networks if r["assessed"]]
    if not rows:
        return ""
    cats, counts = [], []
    for r in rows:
        cats.append(f"{r['control_level']}·本期")
        counts.append(r["counts"])
        if r["previous"] is not None:
            cats.append(f"{r['control_level']}·上期")
            counts.append(r["previous"]["counts"])
    parts = [
        (klass(k), [c.get(k, 0) for c in counts], color) for k, color in wq.CLASS_COLORS.items()
    ]
    svg = charts.stacked_bars(cats, parts, title="各级断面水质类别构成（个）")
    both = "本期与上期" if any(r["previous"] for r in rows) else "本期"
    return f"<figure>{svg}<figcaption>图3 各级断面水质类别构成（{both}）</figcaption></figure>"


def _rivers(report: PeriodReport) -> str:
    rows = [
        [
            _e(r["river"]),
            num(r["sections"]),
            _e(r["status"] or "—"),
            {"mean": "均值法", "proportion": "类别比例法"}.get(r["method"], "—"),
            pct(r["good_pct"]),
            _e("、".join(p["name"] for p in r["main_pollutants"]) or "—"),
        ]
        for r in report.rivers
    ]
    if not rows:
        return ""
    headers = ["河流（湖库）", "评价断面数", "水质状况", "评价方法", "优良比例", "主要污染指标"]
    return "<h3>（二）主要河流水质状况</h3>" + table(
        headers, rows, numeric=(1, 4), left=(0,), caption="表7 主要河流（湖库）水质状况"
    )


def _section_table(report: PeriodReport) -> str:
    change = {"好转": '<span class="up">好转</span>', "变差": '<span class="down">变差</span>'}
    meets = {True: "达标", False: '<span class="down">未达标</span>', None: "—"}
    rows = [
        [
            _e(s["section_code"]),
            _e(s["name"]),
            _e(s["river"]),
            _e(s["control_level"]),
            _e(s["district"]),
            klass(s["target"]),
            klass(s["class"]),
            klass(s["previous_class"]),
            change.get(s["change"], _e(s["change"] or "—")),
            meets[s["meets_target"]],
            _e(s["exceedances"] or "—"),
        ]
        for s in report.sections
    ]
    headers = ["断面编码", "断面名称", "所在河流", "级别", "区县", "水质目标", "本期类别",
               "上期类别", "变化", "达标情况", "超标项目"]  # fmt: skip
    return table(headers, rows, left=(1, 10), caption="表8 各断面水质类别")


def _exceedances(report: PeriodReport) -> str:
    rows = [
        [
            _e(e["section_code"]),
            _e(e["name"]),
            _e(e["control_level"]),
            klass(e["class"]),
            klass(e["target"]),
            _e(e["item"]),
            f"{e['value']:g} {_e(e['unit'])}",
            f"{e['limit']:g}",
            f"{e['multiple']:.2f}",
        ]
        for e in report.exceedances
    ]
    if not rows:
        return paragraphs(f"{report.label}各断面监测项目均值未超过Ⅲ类标准限值。")
    return paragraphs(
        f"{report.label}共有{len({e['section_code'] for e in report.exceedances})}个断面的"
        f"{len(rows)}项指标超过Ⅲ类标准限值（超标倍数按 GB 3838-2002 Ⅲ类限值计）。"
    ) + table(
        ["断面编码", "断面名称", "级别", "本期类别", "水质目标", "超标项目", "期间均值",
         "Ⅲ类限值", "超标倍数"],
        rows, numeric=(6, 7, 8), left=(1,), caption="表9 超标断面及超标项目",
    )  # fmt: skip


def water_part(report: PeriodReport) -> str:
    head = "<h2>三、地表水环境质量</h2><h3>（一）各级断面水质状况</h3>"
    if not report.networks:
        return head + paragraphs(text.water_summary(report))
    return (
        head
        + paragraphs(text.water_summary(report))
        + _network_table(report)
        + _network_chart(report)
        + _rivers(report)
        + "<h3>（三）断面水质类别</h3>"
        + _section_table(report)
        + "<h3>（四）水质类别变化断面</h3>"
        + paragraphs(text.changed_text(report))
        + "<h3>（五）超标断面及超标项目</h3>"
        + _exceedances(report)
    )
