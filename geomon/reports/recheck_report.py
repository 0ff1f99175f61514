"""Re-check reports: HTML (self-contained, Chinese) and XLSX of a `RecheckResult`.

The HTML names the two data versions compared, says in sentences how many projects changed,
lists them with the values before and after, then every conflict that appeared, disappeared or
changed, the unchanged projects, and both versions' data sources. Every data text is escaped.
The XLSX has one sheet per table with Chinese headers.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

from openpyxl import Workbook

from geomon.reports import _xlsx
from geomon.reports._html import escape as _e
from geomon.reports._layout import num, page, table
from geomon.reports.recheck import CHANGE_LABELS, RecheckResult
from geomon.rules import zones
from geomon.siting import LayerSource
from geomon.times import beijing

TITLE = "生态保护红线及保护区调整后建设项目复核报告"
_VERDICT_COLORS = {
    "prohibited": "#b2182b",
    "restricted": "#e66101",
    "attention": "#c98a00",
    "clear": "#1a9850",
}


def _verdict(value: object) -> str:
    label = zones.VERDICT_LABELS.get(str(value))
    return label.zh if label else str(value or "—")


def _badge(value: object) -> str:
    color = _VERDICT_COLORS.get(str(value), "#888")
    return f'<span class="badge" style="background:{color}">{_e(_verdict(value))}</span>'


def _overlap(values: dict[str, float]) -> str:
    return "；".join(f"{k} {v:,.0f}" for k, v in values.items()) or "—"


def _measure(value: Any, digits: int = 0) -> str:
    if value is None or (isinstance(value, float) and value != value):
        return "—"
    if isinstance(value, str):
        return _e(value)
    return f"{float(value):,.{digits}f}"


def _relation(value: Any) -> str:
    label = zones.RELATION_LABELS.get(str(value)) if value else None
    return label.zh if label else "—"


def _sources(sources: tuple[LayerSource, ...], caption: str) -> str:
    rows = [
        [
            _e(s.title),
            num(s.rows) if s.stored else "—",
            _e(s.version or "—"),
            _e(s.source or "—"),
            _e(beijing(s.imported_at) if s.imported_at else "—"),
            num(s.revision) if s.stored else "未入库",
        ]
        for s in sources
    ]
    headers = ["图层", "要素数", "数据版本", "数据来源", "导入时间（北京时间）", "库修订号"]
    return table(headers, rows, numeric=(1, 5), left=(0, 3), caption=caption)


def _summary(result: RecheckResult) -> str:
    """The conclusion paragraph: how many projects changed, how many got stricter or laxer."""
    changed = result.changed
    n, total = len(changed), len(result.projects)
    worse = sum(
        zones.severity(a) > zones.severity(b)
        for a, b in zip(changed["verdict_after"], changed["verdict_before"], strict=True)
    )
    better = sum(
        zones.severity(a) < zones.severity(b)
        for a, b in zip(changed["verdict_after"], changed["verdict_before"], strict=True)
    )
    return (
        f"以“{result.before.text}”与“{result.after.text}”两版约束图层（生态保护红线、饮用水水源"
        f"保护区、环境管控单元）分别对{total}个建设项目进行比对"
        f"（缓冲距离{result.buffer_m:,.0f} m）。"
        + (
            f"其中{n}个项目的结论、涉及要素或重叠情况发生变化，结论趋严{worse}个、趋宽{better}个，"
            "须重新审查；其余项目不受调整影响。"
            if n
            else "所有项目的结论、涉及要素和重叠情况均未变化。"
        )
    )


def render(result: RecheckResult, *, generated_at: dt.datetime | None = None) -> str:
    """Return the re-check report as one self-contained HTML document."""
    when = beijing(generated_at or dt.datetime.now(dt.UTC))
    changed = result.changed
    summary = _summary(result)
    rows = [
        [
            _e(p["id"]),
            _e(p["name"]),
            _badge(p["verdict_before"]),
            _badge(p["verdict_after"]),
            f"{p['conflicts_before']} → {p['conflicts_after']}",
            _e(_overlap(p["overlap_before"])),
            _e(_overlap(p["overlap_after"])),
            _e(p["what"]),
        ]
        for p in changed.to_dict("records")
    ]
    headers = ["项目编号", "项目名称", "调整前结论", "调整后结论", "涉及要素数",
               "调整前重叠", "调整后重叠", "变化情况"]  # fmt: skip
    detail_rows = [
        [
            _e(d["project_id"]),
            _e(d["layer_title"]),
            f"{_e(d['name'])}<br><span class='note'>{_e(d['feature_id'])}</span>",
            _e(CHANGE_LABELS[d["change"]]),
            f"{_relation(d['relation_before'])} → {_relation(d['relation_after'])}",
            f"{_measure(d['overlap_area_m2_before'])} → {_measure(d['overlap_area_m2_after'])}",
            f"{_measure(d['overlap_length_m_before'])} → {_measure(d['overlap_length_m_after'])}",
            f"{_pct(d['overlap_ratio_before'])} → {_pct(d['overlap_ratio_after'])}",
            f"{_measure(d['distance_m_before'], 1)} → {_measure(d['distance_m_after'], 1)}",
            f"{_verdict(d['verdict_before'])} → {_verdict(d['verdict_after'])}",
        ]
        for d in result.details.to_dict("records")
    ]
    detail_headers = ["项目编号", "图层", "要素", "变化", "关系", "重叠面积 m²", "重叠长度 m",
                      "重叠比例", "最近距离 m", "要素结论"]  # fmt: skip
    same = result.projects[~result.projects["changed"].to_numpy(dtype=bool)]
    same_text = "、".join(
        f"{i}（{_verdict(v)}）" for i, v in zip(same["id"], same["verdict_after"], strict=True)
    )
    detail_caption = "表2 逐项目、逐要素变化（调整前 → 调整后）"
    body = (
        f"<header><h1>{_e(TITLE)}</h1>"
        f'<p class="meta">调整前：{_e(result.before.text)} ｜ 调整后：{_e(result.after.text)} ｜ '
        f"生成时间：{_e(when)}</p></header>"
        f"<h2>一、复核结论</h2><p>{_e(summary)}</p>"
        "<h2>二、受影响项目</h2>"
        + table(headers, rows, left=(1, 5, 6, 7), caption="表1 结论、涉及要素或重叠发生变化的项目")
        + "<h2>三、变化明细</h2>"
        + table(
            detail_headers, detail_rows, numeric=(5, 6, 7, 8), left=(2,), caption=detail_caption
        )
        + "<h2>四、未受影响项目</h2>"
        + f"<p>{_e(same_text or '（无）')}</p>"
        + "<h2>五、数据版本</h2>"
        + _sources(result.result_before.sources, "表3 调整前使用的数据版本")
        + _sources(result.result_after.sources, "表4 调整后使用的数据版本")
        + '<p class="note">两版约束图层均按数据库变更历史还原到各自版本入库时的状态，'
        "比对方法与单项目选址比对相同（CGCS2000 3° 高斯–克吕格平面面积与距离）。"
        "本报告为辅助分析，不替代法定审批程序；红线、保护区以批复矢量为准。</p>"
    )
    return page(TITLE, body)


def _pct(value: Any) -> str:
    return "—" if value is None or value != value else f"{100 * float(value):.1f}%"


def write_html(result: RecheckResult, path: str | Path, **kwargs: Any) -> Path:
    """Write `render(result)` to `path` (UTF-8) and return the path."""
    path = Path(path)
    path.write_text(render(result, **kwargs), encoding="utf-8")
    return path


def workbook(result: RecheckResult) -> Workbook:
    """The re-check workbook (受影响项目, 变化明细, 全部项目, 数据版本), not saved."""
    wb = _xlsx.new_workbook()
    project_headers = ["项目编号", "项目名称", "调整前结论", "调整后结论",
                       "调整前涉及要素数", "调整后涉及要素数", "调整前重叠", "调整后重叠",
                       "是否变化", "变化情况"]  # fmt: skip

    def project_rows(frame: Any) -> list[list[Any]]:
        return [
            [p["id"], p["name"], _verdict(p["verdict_before"]), _verdict(p["verdict_after"]),
             p["conflicts_before"], p["conflicts_after"], _overlap(p["overlap_before"]),
             _overlap(p["overlap_after"]), p["changed"], p["what"]]
            for p in frame.to_dict("records")
        ]  # fmt: skip

    widths = (14, 30, 10, 10, 10, 10, 30, 30, 8, 50)
    _xlsx.add_sheet(wb, "受影响项目", project_headers, project_rows(result.changed), widths=widths)
    detail_headers = ["项目编号", "项目名称", "图层", "要素编码", "要素名称", "级别", "变化",
                      "调整前关系", "调整后关系", "调整前重叠面积m²", "调整后重叠面积m²",
                      "调整前重叠长度m", "调整后重叠长度m", "调整前重叠比例", "调整后重叠比例",
                      "调整前距离m", "调整后距离m", "调整前结论", "调整后结论"]  # fmt: skip
    details = [
        [d["project_id"], d["project_name"], d["layer_title"], d["feature_id"], d["name"],
         d["level"], CHANGE_LABELS[d["change"]], _relation(d["relation_before"]),
         _relation(d["relation_after"]), d["overlap_area_m2_before"], d["overlap_area_m2_after"],
         d["overlap_length_m_before"], d["overlap_length_m_after"], d["overlap_ratio_before"],
         d["overlap_ratio_after"], d["distance_m_before"], d["distance_m_after"],
         _verdict(d["verdict_before"]), _verdict(d["verdict_after"])]
        for d in result.details.to_dict("records")
    ]  # fmt: skip
    _xlsx.add_sheet(wb, "变化明细", detail_headers, details)
    _xlsx.add_sheet(wb, "全部项目", project_headers, project_rows(result.projects), widths=widths)
    versions = [
        [side, s.title, s.rows, s.version, s.source, s.imported_at, s.revision, s.stored]
        for side, sources in (("调整前", result.result_before.sources),
                              ("调整后", result.result_after.sources))
        for s in sources
    ]  # fmt: skip
    _xlsx.add_sheet(
        wb,
        "数据版本",
        ["比对", "图层", "要素数", "数据版本", "数据来源", "导入时间(UTC)", "库修订号", "已入库"],
        versions,
        widths=(8, 18, 8, 20, 30, 26, 10, 8),
    )
    return wb


def write_xlsx(result: RecheckResult, path: str | Path) -> Path:
    """Write `workbook(result)` to `path` (``.xlsx``) and return the path."""
    path = Path(path)
    workbook(result).save(path)
    return path
