"""A self-contained HTML report of a siting check: SVG maps, conflict tables, reasons, sources.

The file needs nothing from the network (bureau intranets are offline): CSS is inline and every
map is an SVG drawn from the geometries on the project's Gauss–Krüger plane, with a scale bar, a
north arrow and a legend (`geomon.reports.svg_map`). Every text that came from data or users is
escaped with `html.escape`.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from pathlib import Path

import pandas as pd
import shapely

from geomon import crs as gcrs
from geomon import siting
from geomon.reports._html import escape as _e
from geomon.reports.svg_map import PROJECT_COLOR, svg_map
from geomon.rules import zones
from geomon.times import beijing

__all__ = ["PROJECT_COLOR", "VERDICT_COLORS", "render", "svg_map", "write"]

VERDICT_COLORS = {
    "prohibited": ("#b2182b", "#fff"),
    "restricted": ("#e66101", "#fff"),
    "attention": ("#fdb863", "#222"),
    "clear": ("#1a9850", "#fff"),
}
_FONT = "'Noto Sans CJK SC','Noto Sans SC','Microsoft YaHei','PingFang SC',sans-serif"

_CSS = f"""
*{{box-sizing:border-box}}
body{{font-family:{_FONT};color:#222;margin:0 auto;max-width:1100px;padding:24px 28px;
  line-height:1.55;font-size:14px;background:#fff}}
h1{{font-size:24px;margin:0 0 4px}} h2{{font-size:19px;border-bottom:2px solid #1f3a93;
  padding-bottom:4px;margin-top:32px}} h3{{font-size:16px;margin:22px 0 8px}}
.meta{{color:#555;font-size:13px;margin:0 0 12px}}
table{{border-collapse:collapse;width:100%;margin:8px 0 14px;font-size:13px}}
th,td{{border:1px solid #c8ccd4;padding:4px 6px;vertical-align:top;text-align:left}}
th{{background:#eef1f7;font-weight:600}} td.num{{text-align:right;white-space:nowrap}}
tbody tr:nth-child(even){{background:#fafbfd}}
.badge{{display:inline-block;padding:1px 8px;border-radius:10px;font-weight:600;
  white-space:nowrap;font-size:12px}}
.en{{color:#666;font-size:12px}}
.project{{border:1px solid #d6dae3;border-radius:6px;padding:4px 16px 10px;margin:16px 0;
  page-break-inside:avoid}}
.facts{{display:grid;grid-template-columns:max-content 1fr;gap:2px 14px;margin:6px 0 10px}}
.facts dt{{color:#555}} .facts dd{{margin:0}}
figure{{margin:8px 0}} figcaption{{color:#555;font-size:12px}}
svg text{{font-family:{_FONT}}}
.note{{color:#555;font-size:12.5px}} .id{{white-space:nowrap}} .cite{{color:#1f3a93;font-size:12px}}
table.fixed{{table-layout:fixed}} ul.reasons li{{margin-bottom:4px}}
@page{{size:A4;margin:14mm}}
@media print{{body{{max-width:none;padding:0;font-size:12px}} h2{{page-break-after:avoid}}
  .project{{page-break-inside:avoid}} thead{{display:table-header-group}}}}
"""


def _num(value: object, digits: int = 0) -> str:
    if value is None or pd.isna(value):
        return "—"
    return f"{float(value):,.{digits}f}"  # type: ignore[arg-type]


def _badge(verdict: str) -> str:
    bg, fg = VERDICT_COLORS.get(verdict, ("#999", "#fff"))
    label = zones.VERDICT_LABELS.get(verdict)
    text = label.zh if label else verdict  # a Chinese document: no "禁止 prohibited"
    return f'<span class="badge" style="background:{bg};color:{fg}">{_e(text)}</span>'


# ------------------------------------------------------------------------------ the report


def _table(
    headers: Iterable[str],
    rows: Iterable[Iterable[str]],
    numeric: set[int],
    *,
    widths: Sequence[str] = (),
) -> str:
    head = "".join(
        f'<th style="width:{widths[i]}">{h}</th>'
        if i < len(widths) and widths[i]
        else f"<th>{h}</th>"
        for i, h in enumerate(headers)
    )
    body = "".join(
        "<tr>"
        + "".join(
            f'<td class="num">{c}</td>' if i in numeric else f"<td>{c}</td>"
            for i, c in enumerate(r)
        )
        + "</tr>"
        for r in rows
    )
    return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


def _summary(result: siting.SitingResult) -> str:
    rows = []
    for n, (_, p) in enumerate(result.projects.iterrows(), start=1):
        size = (
            f"{_num(p['area_m2'])} m²"
            if p["area_m2"] > 0
            else (f"{_num(p['length_m'])} m" if p["length_m"] > 0 else "点位")
        )
        rows.append(
            [
                str(n),
                f'<span class="id">{_e(p["id"])}</span>',
                f'<a href="#p{n}">{_e(p["name"])}</a>',
                _e(p["kind"]),
                _badge(p["verdict"]),
                str(int(p["n_conflicts"])),
                size,
                _e(p["citations"] or "—"),
            ]
        )
    counts = result.projects["verdict"].value_counts()
    tally = "；".join(
        f"{zones.VERDICT_LABELS[v].zh} {int(counts.get(v, 0))} 个" for v in reversed(zones.VERDICTS)
    )
    headers = ["序号", "项目编号", "项目名称", "项目类型", "结论", "涉及要素", "规模", "主要依据"]
    widths = ("4%", "11%", "22%", "8%", "12%", "6%", "10%", "")
    return f"<p>共 {len(result.projects)} 个项目：{_e(tally)}。</p>" + _table(
        headers, rows, {0, 5, 6}, widths=widths
    )


def _conflict_table(conflicts: pd.DataFrame) -> str:
    if conflicts.empty:
        return '<p class="note">缓冲范围内没有涉及任何约束图层要素。</p>'
    rows = []
    for _, c in conflicts.iterrows():
        rel = zones.RELATION_LABELS.get(c["relation"])
        level = f" · {_e(c['level'])}" if isinstance(c["level"], str) and c["level"] else ""
        feature = (
            f"<b>{_e(c['layer_title'])}</b><br>{_e(c['name'])}"
            f"<br><span class='en'>{_e(c['feature_id'])}{level}</span>"
        )
        if c["overlap_area_m2"] > 0:
            overlap = (
                f"{_num(c['overlap_area_m2'])} m²<br><span class='en'>"
                f"{_num(c['overlap_area_geodesic_m2'])} m²</span>"
            )
        elif c["overlap_length_m"] > 0:
            overlap = (
                f"{_num(c['overlap_length_m'])} m<br><span class='en'>"
                f"{_num(c['overlap_length_geodesic_m'])} m</span>"
            )
        else:
            overlap = "—"
        ratio = f"{100 * c['overlap_ratio']:.1f}%" if c["relation"] != "near" else "—"
        dist = (
            f"{_num(c['distance_m'], 1)}<br><span class='en'>{_num(c['distance_geodesic_m'], 1)}"
            "</span>"
        )
        reason = f"{_e(c['reason_zh'])}<br><span class='cite'>依据：{_e(c['citation'])}</span>"
        rows.append(
            [
                feature,
                _e(rel.zh if rel else c["relation"]),
                overlap,
                ratio,
                dist,
                _badge(c["verdict"]),
                reason,
            ]
        )
    headers = [
        "涉及要素", "关系", "重叠<br><span class='en'>高斯平面 / 椭球面</span>", "比例",
        "最近距离 m<br><span class='en'>高斯平面 / 椭球面</span>", "结论", "理由与依据",
    ]  # fmt: skip
    return _table(headers, rows, {2, 3, 4}, widths=("22%", "7%", "12%", "7%", "10%", "9%", ""))


def _project_section(
    result: siting.SitingResult,
    n: int,
    label: object,
    mine: pd.DataFrame,
    feature_pos: dict[tuple[str, int], int],
) -> str:
    p = result.projects.loc[label]
    rows = sorted({feature_pos[k] for k in zip(mine["layer"], mine["feature_row"], strict=True)})
    feats = result.features.iloc[rows]
    epsg = int(str(p["metric_crs"]).split(":")[1])
    svg = svg_map(
        [result.project_geometry.loc[label]],
        feats,
        epsg=epsg,
        buffer_m=result.buffer_m,
        title=str(p["name"]),
    )
    wastewater = p["discharges_wastewater"]
    ww = "未填写（按排放处理）" if pd.isna(wastewater) else ("是" if wastewater else "否")
    size = []
    if p["area_m2"] > 0:
        size.append(f"面积 {_num(p['area_m2'])} m²（高斯平面）/ {_num(p['area_geodesic_m2'])} m²"
                    "（椭球面）")  # fmt: skip
    if p["length_m"] > 0:
        size.append(f"长度 {_num(p['length_m'])} m（高斯平面）/ {_num(p['length_geodesic_m'])} m"
                    "（椭球面）")  # fmt: skip
    facts = {
        "项目编号": _e(p["id"]),
        "项目类型": _e(p["kind"]),
        "活动类型": _e(p["activity"]),
        "排放废水": _e(ww),
        "规模": _e("；".join(size) or "点位"),
        "计算平面": _e(f"{p['metric_crs']}（CGCS2000 3° 高斯–克吕格）"),
        "结论": _badge(p["verdict"]),
    }
    dl = "".join(f"<dt>{k}</dt><dd>{v}</dd>" for k, v in facts.items())
    shown = mine[mine["verdict"] != "clear"]
    said = list(dict.fromkeys(shown["reason_zh"])) or [p["reason_zh"]]
    reasons = "".join(f"<li>{_e(zh)}</li>" for zh in said)
    return (
        f'<div class="project" id="p{n}"><h3>{n}. {_e(p["name"])}</h3>'
        f'<dl class="facts">{dl}</dl>'
        f"<figure>{svg}<figcaption>图 {n}：{_e(p['name'])} 与涉及要素（{_e(p['metric_crs'])} "
        "高斯–克吕格平面，上方为坐标北；虚线为缓冲范围）</figcaption></figure>"
        f"<h4>涉及要素</h4>{_conflict_table(mine)}"
        f'<h4>结论理由</h4><ul class="reasons">{reasons}</ul></div>'
    )


def _sources(result: siting.SitingResult) -> str:
    rows = [
        [
            _e(s.title),
            _e(s.layer),
            str(s.rows),
            _e(s.source),
            _e(beijing(s.imported_at) or "—"),
            _e(s.version),
            "是" if s.stored else "否（未入库，未比对）",
        ]
        for s in result.sources
    ]
    headers = ["图层", "代码", "要素数", "数据来源", "导入时间", "数据版本", "已入库"]
    return _table(headers, rows, {2})


def _methods(result: siting.SitingResult, rules: zones.ZoneRules) -> str:
    verdicts = "".join(
        f"<li>{_badge(v)} {_e(text)}</li>"
        for v, text in (
            (
                "prohibited",
                "法律法规或管理规定明确禁止（如红线内开发性建设、一级保护区内无关项目）",
            ),
            (
                "restricted",
                "须满足条件、经认定或审批方可建设（如二级/准保护区、红线内有限人为活动）",
            ),
            ("attention", f"位于约束要素 {result.buffer_m:,.0f} m 缓冲范围内，或须落实管控要求"),
            ("clear", "未涉及禁止、限制或需关注的情形"),
        )
    )
    items = "".join(
        f"<li>第{a.item}项 {_e(a.label.zh)}{' <b>待核实</b>' if a.mark == 'M' else ''}</li>"
        for a in rules.allowed_activities
    )
    return (
        f"<p>{_e(siting.METHOD_NOTE_ZH)}</p>"
        "<p>关系：“位于其内”指项目完全落在要素内；“部分重叠”指项目与要素内部相交；"
        "“邻近”指不相交（或仅边界相接，距离为 0）但在缓冲范围内。"
        "重叠比例：面状项目按面积，线状项目按长度，点状项目按点数。</p>"
        f"<h3>结论分级</h3><ul>{verdicts}</ul>"
        f"<p>规则表版本：{_e(rules.version)}（geomon/rules/zones.toml）。每个项目的结论取其涉及要素中"
        "最严重者；未填写是否排放废水的项目按排放废水处理。</p>"
        "<h3>生态保护红线内允许的有限人为活动</h3>"
        f"<p class='note'>{_e(rules.allowed_activities_citation)}。"
        "各省名录不同，以本省规定为准。</p>"
        f"<ol class='note' style='list-style:none;padding-left:0'>{items}</ol>"
        "<p class='note'>标注“待核实”的条款（如水污染防治法第六十七条、142号文第8–10项）"
        "尚未与正式文本核对。本报告为辅助分析，不替代环评审批和法定程序；保护区、红线以批复矢量为准。"
        "</p>"
    )


def render(
    result: siting.SitingResult,
    *,
    title: str = "建设项目选址“三线一单”分析比对报告",
    generated_at: dt.datetime | None = None,
    rules: zones.ZoneRules | None = None,
) -> str:
    """
    Return the report as one self-contained HTML document (no external URLs).

    Parameters
    ----------
    result
        What `geomon.siting.check` returned.
    title
        The report's heading.
    generated_at
        Time printed in the header (default: now, local time).
    rules
        The rule table used (for the allowed-activity list; default `load_rules()`).
    """
    rules = rules or zones.load_rules()
    when = beijing(generated_at or dt.datetime.now(dt.UTC))
    labels = [str(i) for i in range(1, len(result.projects) + 1)]
    overview = ""
    if len(result.projects):
        lons = shapely.get_x(shapely.centroid(result.project_geometry.to_numpy()))
        epsg = int(gcrs.metric_crs_for(lons).to_epsg() or 0)
        overview = (
            "<h2>二、总体位置图</h2><figure>"
            + svg_map(
                list(result.project_geometry),
                result.features,
                epsg=epsg,
                buffer_m=result.buffer_m,
                labels=labels,
                width=900,
                height=560,
                title="总体位置图",
            )
            + f"<figcaption>数字为汇总表中的项目序号（EPSG:{epsg} 高斯–克吕格平面，上方为坐标北）"
            "</figcaption></figure>"
        )
    conflicts = result.conflicts
    by_project = dict(iter(conflicts.groupby("project", sort=False))) if len(conflicts) else {}
    none = conflicts.iloc[:0]
    feature_pos = {
        (str(layer), int(row)): i
        for i, (layer, row) in enumerate(
            zip(result.features["layer"], result.features["feature_row"], strict=True)
        )
    }
    sections = "".join(
        _project_section(result, n, label, by_project.get(label, none), feature_pos)
        for n, label in enumerate(result.projects.index, start=1)
    )
    return (
        '<!DOCTYPE html><html lang="zh-CN"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>{_e(title)}</title><style>{_CSS}</style></head><body>"
        f"<h1>{_e(title)}</h1>"
        f'<p class="meta">生成时间：{_e(when)} ｜ 缓冲距离：{_num(result.buffer_m)} m ｜ '
        f"比对图层：{_e('、'.join(s.title for s in result.sources) or '—')} ｜ "
        f"规则：{_e(result.rules_version)}</p>"
        f"<h2>一、结论汇总</h2>{_summary(result)}"
        f"{overview}"
        f"<h2>三、逐项分析</h2>{sections}"
        f"<h2>四、数据来源</h2>{_sources(result)}"
        f"<h2>五、方法与说明</h2>{_methods(result, rules)}"
        "</body></html>"
    )


def write(result: siting.SitingResult, path: str | Path, **kwargs: object) -> Path:
    """Write `render(result)` to `path` (UTF-8) and return the path."""
    path = Path(path)
    path.write_text(render(result, **kwargs), encoding="utf-8")  # type: ignore[arg-type]
    return path
