"""The period report as an XLSX workbook: one sheet per table, Chinese headers.

Sheets: 概况 (the report's sentences), 排污口进展, 分区县, 分类型, 分整治类型, 按月进展, 逾期清单,
各级断面, 河流水质, 断面水质, 类别变化, 超标项目, 数据版本, 说明. Figures are those of the
`PeriodReport`; shares are numbers shown with a % sign.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

from openpyxl import Workbook

from geomon.reports import _period_text as text
from geomon.reports._layout import CLASS_NAMES
from geomon.reports._period_sections import TREND_CITATION
from geomon.reports._xlsx import add_sheet, new_workbook
from geomon.reports.period import PeriodReport
from geomon.times import beijing

_GROUPS = (
    ("分区县", "by_district", "district", "区县"),
    ("分类型", "by_type", "type_l1", "排污口类型"),
    ("分整治类型", "by_category", "category", "整治类型"),
)
_GROUP_HEADERS = (
    "排污口总数",
    "本期新增排查",
    "本期完成溯源",
    "本期完成整治",
    "本期销号",
    "已溯源",
    "溯源率",
    "已完成整治",
    "整治率",
    "已销号",
    "销号率",
    "逾期",
)
_GROUP_KEYS = (
    "total",
    "found_in_period",
    "traced_in_period",
    "rectified_in_period",
    "closed_in_period",
    "traced",
    "traced_pct",
    "rectified",
    "rectified_pct",
    "closed",
    "closed_pct",
    "overdue",
)


def _k(value: Any) -> str | None:
    return CLASS_NAMES.get(str(value)) if value else None


def _summary(report: PeriodReport, when: str) -> list[list[Any]]:
    lines = [
        ["报告", text.title(report)],
        ["范围", text.scope(report)],
        ["统计期", f"{report.start.isoformat()} 至 {report.end.isoformat()}（{report.label}）"],
        ["对比期", f"{report.previous[0]} 至 {report.previous[1]}（{report.previous_label}）"],
        ["数据截至", report.as_of.text],
        ["生成时间", when],
    ]
    sentences = [
        *text.overview(report),
        *text.outlet_summary(report),
        text.milestone_text(report),
        *text.water_summary(report),
        text.changed_text(report) if report.sections else None,
    ]
    lines += [["说明" if i == 0 else "", s] for i, s in enumerate(x for x in sentences if x)]
    return lines


def _outlet_sheets(wb: Workbook, report: PeriodReport) -> None:
    o = report.outlets
    if o is None:
        return
    c, p = o["cumulative"], o["in_period"]
    add_sheet(
        wb,
        "排污口进展",
        ["工作环节", "本期完成（个）", "累计（个）", "累计占比"],
        [
            ["排查", p["found"], c["total"], None],
            ["溯源", p["traced"], c["traced"], c["traced_pct"]],
            ["整治完成", p["rectified"], c["rectified"], c["rectified_pct"]],
            ["销号", p["closed"], c["closed"], c["closed_pct"]],
            ["逾期未完成整治", None, c["overdue"], None],
        ],
        widths=(18, 16, 14, 12),
        percent=(3,),
    )
    percent = tuple(i + 1 for i, k in enumerate(_GROUP_KEYS) if k.endswith("_pct"))
    for title, name, field, header in _GROUPS:
        rows = [[r[field], *(r[k] for k in _GROUP_KEYS)] for r in o.get(name, [])]
        add_sheet(wb, title, [header, *_GROUP_HEADERS], rows, widths=(22,), percent=percent)
    add_sheet(
        wb,
        "按月进展",
        ["月份", "排污口总数", "累计溯源", "累计整治完成", "溯源比例", "整治比例"],
        [
            [
                m["month"],
                m["total"],
                m["traced"],
                m["rectified"],
                m["traced_pct"],
                m["rectified_pct"],
            ]
            for m in o["by_month"]
        ],
        percent=(4, 5),
    )
    add_sheet(
        wb,
        "逾期清单",
        [
            "排污口编码",
            "排污口名称",
            "区县",
            "排污口类型",
            "整治类型",
            "受纳水体",
            "当前进度",
            "整治时限",
            "逾期天数",
            "责任主体",
        ],
        [
            [
                r["code"],
                r["name"],
                r["district"],
                r.get("type_l1"),
                r.get("category"),
                r.get("receiving_water"),
                r["stage"],
                r["deadline"],
                r.get("days_overdue"),
                r.get("responsible_unit"),
            ]
            for r in o["overdue"]
        ],
        widths=(22, 36, 10, 14, 10, 12, 10, 12, 10, 28),
    )


def _control_level_sheet(wb: Workbook, report: PeriodReport) -> None:
    """各级断面: sections, shares and classes per control level, with the previous period."""
    classes = [CLASS_NAMES[k] for k in CLASS_NAMES]
    add_sheet(
        wb,
        "各级断面",
        [
            "断面级别",
            "断面数",
            "评价断面数",
            "Ⅰ–Ⅲ类断面",
            "优良比例",
            "劣Ⅴ类断面",
            "劣Ⅴ类比例",
            "有目标断面",
            "达标断面",
            "达标率",
            *classes,
            "上期评价断面数",
            "上期优良比例",
            "上期劣Ⅴ类比例",
            "优良比例变化（百分点）",
            "劣Ⅴ比例变化（百分点）",
            "变化趋势",
        ],
        [
            [
                r["control_level"],
                r["sections"],
                r["assessed"],
                r["good"],
                r["good_pct"],
                r["worst"],
                r["worst_pct"],
                r["with_target"],
                r["meets_target"],
                r["meets_target_pct"],
                *(r["counts"].get(k, 0) for k in CLASS_NAMES),
                (r["previous"] or {}).get("assessed"),
                (r["previous"] or {}).get("good_pct"),
                (r["previous"] or {}).get("worst_pct"),
                r["delta_good"],
                r["delta_worst"],
                r["trend"],
            ]
            for r in report.networks
        ],
        percent=(4, 6, 9, 17, 18),
    )


def _river_sheet(wb: Workbook, report: PeriodReport) -> None:
    """河流水质: the status of each river or lake and how it was assessed."""
    add_sheet(
        wb,
        "河流水质",
        [
            "河流（湖库）",
            "评价断面数",
            "水质状况",
            "评价方法",
            "优良比例",
            "劣Ⅴ类比例",
            "主要污染指标",
        ],
        [
            [
                r["river"],
                r["sections"],
                r["status"],
                {"mean": "均值法", "proportion": "类别比例法"}.get(r["method"]),
                r["good_pct"],
                r["worst_pct"],
                [p["name"] for p in r["main_pollutants"]],
            ]
            for r in report.rivers
        ],
        percent=(4, 5),
    )


def _section_quality_sheet(wb: Workbook, report: PeriodReport) -> None:
    """断面水质: every section's class, status and target this period."""
    meets = {True: "达标", False: "未达标", None: None}
    add_sheet(
        wb,
        "断面水质",
        [
            "断面编码",
            "断面名称",
            "所在河流",
            "断面级别",
            "区县",
            "水质目标",
            "本期类别",
            "水质状况",
            "达标情况",
            "上期类别",
            "变化",
            "主要污染指标",
            "超标项目（倍数）",
        ],
        [
            [
                s["section_code"],
                s["name"],
                s["river"],
                s["control_level"],
                s["district"],
                _k(s["target"]),
                _k(s["class"]),
                s["status"],
                meets[s["meets_target"]],
                _k(s["previous_class"]),
                s["change"],
                s["main_pollutants"],
                s["exceedances"],
            ]
            for s in report.sections
        ],
        widths=(12, 18, 12, 10, 10, 10, 10, 10, 10, 10, 8, 16, 24),
    )


def _change_sheet(wb: Workbook, report: PeriodReport) -> None:
    """类别变化: sections whose class changed since the previous period."""
    add_sheet(
        wb,
        "类别变化",
        ["断面编码", "断面名称", "断面级别", "上期类别", "本期类别", "变化", "跨越状况等级"],
        [
            [
                s["section_code"],
                s["name"],
                s["control_level"],
                _k(s["previous_class"]),
                _k(s["class"]),
                s["change"],
                s["change_levels"],
            ]
            for s in report.changed
        ],
    )


def _exceedance_sheet(wb: Workbook, report: PeriodReport) -> None:
    """超标项目: each item over its class III limit, with its multiple."""
    add_sheet(
        wb,
        "超标项目",
        [
            "断面编码",
            "断面名称",
            "断面级别",
            "本期类别",
            "水质目标",
            "超标项目",
            "期间均值",
            "单位",
            "Ⅲ类限值",
            "超标倍数",
        ],
        [
            [
                e["section_code"],
                e["name"],
                e["control_level"],
                _k(e["class"]),
                _k(e["target"]),
                e["item"],
                e["value"],
                e["unit"],
                e["limit"],
                e["multiple"],
            ]
            for e in report.exceedances
        ],
    )


def _section_sheets(wb: Workbook, report: PeriodReport) -> None:
    """The section sheets, in workbook order."""
    _control_level_sheet(wb, report)
    _river_sheet(wb, report)
    _section_quality_sheet(wb, report)
    _change_sheet(wb, report)
    _exceedance_sheet(wb, report)


def workbook(report: PeriodReport, *, generated_at: dt.datetime | None = None) -> Workbook:
    """Build the workbook (not saved); see `write`."""
    when = beijing(generated_at or dt.datetime.now(dt.UTC))
    wb = new_workbook()
    add_sheet(wb, "概况", ["项目", "内容"], _summary(report, when), widths=(12, 120))
    _outlet_sheets(wb, report)
    _section_sheets(wb, report)
    add_sheet(
        wb,
        "数据版本",
        [
            "图层",
            "图层代码",
            "要素数",
            "数据版本",
            "数据来源",
            "导入时间（北京时间）",
            "库修订号",
            "已入库",
        ],
        [
            [
                s.title,
                s.layer,
                s.rows,
                s.version,
                s.source,
                beijing(s.imported_at) if s.imported_at else None,
                s.revision,
                s.stored,
            ]
            for s in report.versions
        ],
        widths=(16, 14, 8, 20, 30, 20, 10, 8),
    )
    notes = [
        f"数据取自数据库在{report.as_of.text}时的状态（按变更历史还原），重新生成结果相同。",
        "断面水质：GB 3838-2002；环办〔2011〕22号 单因子评价；均值按环办监测函〔2020〕82号修约。",
        f"变化趋势：{TREND_CITATION}。",
        "排污口：国办函〔2022〕17号；HJ 1308-2023。本期排查、溯源、整治按台账日期统计，"
        "本期销号按变更历史统计。",
        *report.notes,
    ]
    add_sheet(
        wb, "说明", ["序号", "说明"], [[i, n] for i, n in enumerate(notes, 1)], widths=(6, 120)
    )
    return wb


def write(report: PeriodReport, path: str | Path, **kwargs: Any) -> Path:
    """Write the workbook to `path` (``.xlsx``) and return the path."""
    path = Path(path)
    workbook(report, **kwargs).save(path)
    return path
