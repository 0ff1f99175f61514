"""The sentences of a period report, in the wording of a bureau's work report (plain text).

Writers escape these before they reach HTML. Every figure comes from the `PeriodReport`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from geomon.reports._layout import CLASS_NAMES, day
from geomon.reports._period_sections import TOTAL

if TYPE_CHECKING:  # only for the annotations: period imports nothing from here at run time
    from geomon.reports.period import PeriodReport


def scope(report: PeriodReport) -> str:
    """Whose report: the district, or 全市."""
    return report.district or "全市"


def title(report: PeriodReport) -> str:
    """The report's heading, e.g. 2023年上半年水生态环境监管工作报告."""
    return f"{report.label}水生态环境监管工作报告"


def _share(part: Any, pct: Any) -> str:
    return f"{part}个" if pct is None else f"{part}个（{pct:.1f}%）"


def overview(report: PeriodReport) -> list[str]:
    """The two sentences of 一、总体情况: outlet work and water quality in brief."""
    lines = []
    o = report.outlets
    if o is not None:
        c, p = o["cumulative"], o["in_period"]
        lines.append(
            f"{report.label}，{scope(report)}新增排查入河排污口{p['found']}个、完成溯源"
            f"{p['traced']}个、完成整治{p['rectified']}个；截至{day(report.end.isoformat())}，"
            f"累计排查{c['total']}个，溯源率{_pct(c['traced_pct'])}，整治完成率"
            f"{_pct(c['rectified_pct'])}，逾期未完成整治{c['overdue']}个。"
        )
    total = next((r for r in report.networks if r["control_level"] == TOTAL), None)
    if total is not None and total["assessed"]:
        levels = "、".join(
            f"{r['control_level']}{_pct(r['good_pct'])}"
            for r in report.networks
            if r["control_level"] != TOTAL and r["assessed"]
        )
        failing = sum(1 for s in report.sections if s["meets_target"] is False)
        trend = f"，与上期相比{total['trend']}" if total["trend"] else ""
        lines.append(
            f"{scope(report)}{total['assessed']}个地表水监测断面优良（Ⅰ–Ⅲ类）比例"
            f"{_pct(total['good_pct'])}（{levels}），劣Ⅴ类比例{_pct(total['worst_pct'])}"
            f"{trend}；{failing}个断面未达到水质目标。"
        )
    return lines or ["本期无排污口台账和监测数据。"]


def _pct(value: float | None) -> str:
    return "—" if value is None else f"{value:.1f}%"


def outlet_summary(report: PeriodReport) -> list[str]:
    """What was done on outlets in the period and where the work stands at its end."""
    o = report.outlets
    if o is None:
        return ["本期无入河排污口台账数据。"]
    c, p = o["cumulative"], o["in_period"]
    closed = "" if p["closed"] is None else f"，本期销号{p['closed']}个"
    lines = [
        f"{report.label}，{scope(report)}新增排查入河排污口{p['found']}个，完成溯源"
        f"{p['traced']}个，完成整治{p['rectified']}个{closed}。",
        f"截至{day(report.end.isoformat())}，{scope(report)}累计排查入河排污口{c['total']}个，"
        f"其中已溯源{_share(c['traced'], c['traced_pct'])}，已完成整治"
        f"{_share(c['rectified'], c['rectified_pct'])}，已销号"
        f"{_share(c['closed'], c['closed_pct'])}；"
        f"逾期未完成整治{c['overdue']}个。",
    ]
    kinds = [r for r in o.get("by_water_body_kind", []) if r.get("total")]
    if len(kinds) > 1:
        parts = "；".join(
            f"{r['water_body_kind']}排污口{r['total']}个、已完成整治"
            f"{_share(r['rectified'], r['rectified_pct'])}"
            for r in kinds
        )
        lines.append(f"按受纳水体分：{parts}。")
    return lines


def milestone_text(report: PeriodReport) -> str | None:
    """The next national milestone (国办函〔2022〕17号) and whether the shares meet it."""
    o = report.outlets
    if o is None or not o["milestones"]:
        return None
    ahead = [m for m in o["milestones"] if not m["due"]] or o["milestones"][-1:]
    m = ahead[0]
    state = "已达到" if m["met"] else "尚未达到"
    return (
        f"对照{m['citation']}“{m['milestone']}”的要求，{scope(report)}溯源比例"
        f"{m['traced_pct']:.1f}%（要求{m['traced_target']:.0f}%）、整治比例"
        f"{m['rectified_pct']:.1f}%（要求{m['rectified_target']:.0f}%），{state}节点要求。"
    )


def _level_text(row: dict[str, Any]) -> str:
    return (
        f"{row['control_level']}断面{row['assessed']}个，优良（Ⅰ–Ⅲ类）比例{row['good_pct']:.1f}%"
        + (f"，劣Ⅴ类比例{row['worst_pct']:.1f}%" if row["worst"] else "")
    )


def water_summary(report: PeriodReport) -> list[str]:
    """Section shares in the period, the change from the previous period, failing sections."""
    total = next((r for r in report.networks if r["control_level"] == TOTAL), None)
    if total is None or not total["assessed"]:
        return [f"{report.label}无地表水监测数据，断面水质未评价。"]
    lines = [
        f"{report.label}，{scope(report)}{total['assessed']}个地表水监测断面中，Ⅰ–Ⅲ类（优良）断面"
        f"{total['good']}个，占{total['good_pct']:.1f}%；劣Ⅴ类断面{total['worst']}个，占"
        f"{total['worst_pct']:.1f}%。"
        + "；".join(_level_text(r) for r in report.networks if r["control_level"] != TOTAL)
        + "。"
    ]
    if total["previous"] is not None:
        dg = total["delta_good"]
        move = "持平" if not dg else f"{'上升' if dg > 0 else '下降'}{abs(dg):.1f}个百分点"
        lines.append(
            f"与上期（{report.previous_label}）相比，优良比例{move}，劣Ⅴ类比例"
            f"{_move(total['delta_worst'])}，总体水质{total['trend']}。"
        )
    if total["with_target"]:
        lines.append(
            f"有水质目标的{total['with_target']}个断面中，{total['meets_target']}个达标，"
            f"达标率{total['meets_target_pct']:.1f}%。"
        )
    failing = [s for s in report.sections if s["meets_target"] is False]
    if failing:
        named = "；".join(
            f"{s['name']}（{s['control_level']}，{CLASS_NAMES.get(s['class'], '—')}，目标"
            f"{CLASS_NAMES.get(s['target'], '—')}"
            + (f"，超标项目：{s['exceedances']}" if s["exceedances"] else "")
            + "）"
            for s in failing
        )
        lines.append(f"未达到水质目标的断面{len(failing)}个：{named}。")
    missing = [s for s in report.sections if s["class"] and not s["target"]]
    if missing:
        names = "、".join(f"{s['name']}（{s['section_code']}）" for s in missing)
        lines.append(f"{names}未设定水质目标，未纳入达标评价，请补充。")
    return lines


def _move(delta: float | None) -> str:
    if delta is None:
        return "无可比数据"
    if delta == 0:
        return "持平"
    return f"{'上升' if delta > 0 else '下降'}{abs(delta):.1f}个百分点"


def changed_text(report: PeriodReport) -> str:
    """Which sections changed class since the previous period."""
    if not any(s["previous_class"] for s in report.sections):
        return f"上期（{report.previous_label}）无监测数据，不作断面类别比较。"
    if not report.changed:
        return f"与上期（{report.previous_label}）相比，各断面水质类别均无变化。"
    better = [s for s in report.changed if s["change"] == "好转"]
    worse = [s for s in report.changed if s["change"] == "变差"]

    def names(rows: list[dict[str, Any]]) -> str:
        return "、".join(
            f"{s['name']}（{CLASS_NAMES[s['previous_class']]}→{CLASS_NAMES[s['class']]}）"
            for s in rows
        )

    parts = []
    if better:
        parts.append(f"水质好转的断面{len(better)}个：{names(better)}")
    if worse:
        parts.append(f"水质变差的断面{len(worse)}个：{names(worse)}")
    return f"与上期（{report.previous_label}）相比，" + "；".join(parts) + "。"
