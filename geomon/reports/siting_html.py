"""A self-contained HTML report of a siting check: SVG maps, conflict tables, reasons, sources.

The file needs nothing from the network (bureau intranets are offline): CSS is inline and every
map is an SVG drawn from the geometries on the project's Gauss–Krüger plane, with a scale bar, a
north arrow and a legend. Every text that came from data or users is escaped with `html.escape`.
"""

from __future__ import annotations

import datetime as dt
import html
import math
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from shapely.geometry.base import BaseGeometry

from geomon import crs as gcrs
from geomon import siting
from geomon.rules import zones
from geomon.siting import _measure
from geomon.specs import get_spec

VERDICT_COLORS = {
    "prohibited": ("#b2182b", "#fff"),
    "restricted": ("#e66101", "#fff"),
    "attention": ("#fdb863", "#222"),
    "clear": ("#1a9850", "#fff"),
}
PROJECT_COLOR = "#1f3a93"
_LAYER_DRAW_ORDER = ("control_units", "protection_zones", "red_lines")  # bottom to top
_BACKGROUND_LAYERS = ("control_units",)  # drawn faint and dashed: they tile the whole territory
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


def _e(value: object) -> str:
    """Escape any value for HTML text or attributes; missing values become an em dash."""
    if value is None or (not isinstance(value, str) and pd.isna(value)):
        return "—"
    return html.escape(str(value), quote=True)


def _num(value: object, digits: int = 0) -> str:
    if value is None or pd.isna(value):
        return "—"
    return f"{float(value):,.{digits}f}"  # type: ignore[arg-type]


def _badge(verdict: str) -> str:
    bg, fg = VERDICT_COLORS.get(verdict, ("#999", "#fff"))
    label = zones.VERDICT_LABELS.get(verdict)
    text = f"{label.zh} {label.en}" if label else verdict
    return f'<span class="badge" style="background:{bg};color:{fg}">{_e(text)}</span>'


# ------------------------------------------------------------------------------ SVG maps


def _layer_color(layer: str, level: object) -> str:
    style = get_spec(layer).style
    spec = get_spec(layer)
    if style.color_by and style.color_by == spec.level_field and isinstance(level, str):
        return style.colors.get(level, style.default_color)
    return style.default_color


def _nice(length: float) -> float:
    """Round `length` down to 1, 2 or 5 × 10^k."""
    exp = 10 ** math.floor(math.log10(length))
    return float(max(m * exp for m in (1, 2, 5) if m * exp <= length))


_Tx = Callable[[np.ndarray, np.ndarray], tuple[np.ndarray, np.ndarray]]


def _path(geom: BaseGeometry, tx: _Tx, *, lines: bool = False) -> str:
    """SVG path data of the polygon rings (or, with `lines`, the lines) in `geom` (plane)."""
    out = []
    for part in shapely.get_parts(shapely.get_parts(np.array([geom], dtype=object))):
        kind = part.geom_type
        if kind == "Polygon" and not lines:
            for ring in (part.exterior, *part.interiors):
                out.append(_ring(np.asarray(ring.coords), tx, close=True))
        elif kind in ("LineString", "LinearRing") and lines:
            out.append(_ring(np.asarray(part.coords), tx, close=False))
    return " ".join(p for p in out if p)


def _ring(xy: np.ndarray, tx: _Tx, *, close: bool) -> str:
    if len(xy) < 2:
        return ""
    sx, sy = tx(xy[:, 0], xy[:, 1])
    pts = " L".join(f"{a:.1f},{b:.1f}" for a, b in zip(sx, sy, strict=True))
    return f"M{pts}{' Z' if close else ''}"


def _points(geom: BaseGeometry) -> np.ndarray:
    parts = shapely.get_parts(np.array([geom], dtype=object))
    pts = parts[shapely.get_type_id(parts) == 0]
    return shapely.get_coordinates(pts) if len(pts) else np.zeros((0, 2))


def svg_map(
    projects: Sequence[BaseGeometry],
    features: gpd.GeoDataFrame,
    *,
    epsg: int,
    buffer_m: float,
    labels: Sequence[str] | None = None,
    width: int = 640,
    height: int = 420,
    title: str = "",
) -> str:
    """
    Draw projects (EPSG:4326) and features on the GK plane `epsg` as an inline SVG string.

    The view covers the projects and their `buffer_m` ring; features are clipped to it. Grid
    north is up (GK plane); the scale bar is exact on that plane.
    """
    plane_p = _measure.to_plane(np.array(list(projects), dtype=object), epsg)
    rings = shapely.buffer(plane_p, buffer_m) if buffer_m > 0 else plane_p
    minx, miny, maxx, maxy = shapely.total_bounds(np.concatenate([plane_p, rings]))
    span = max(maxx - minx, maxy - miny, 400.0)
    pad = 0.08 * span
    cx, cy = (minx + maxx) / 2, (miny + maxy) / 2
    map_w, map_h = width, height
    scale = min(map_w / (maxx - minx + 2 * pad), map_h / (maxy - miny + 2 * pad))
    vx0, vx1 = cx - map_w / 2 / scale, cx + map_w / 2 / scale
    vy0, vy1 = cy - map_h / 2 / scale, cy + map_h / 2 / scale

    def tx(x: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        return (np.asarray(x) - vx0) * scale, (vy1 - np.asarray(y)) * scale

    body: list[str] = []
    legend: dict[str, tuple[str, str]] = {}
    if len(features):
        order = {name: i for i, name in enumerate(_LAYER_DRAW_ORDER)}
        feats = features.assign(_o=features["layer"].map(order).fillna(len(order)))
        feats = feats.sort_values("_o", kind="stable")
        geoms = _measure.to_plane(feats.geometry.to_numpy(), epsg)
        geoms = shapely.clip_by_rect(geoms, vx0, vy0, vx1, vy1)
        geoms = shapely.simplify(geoms, 0.5 / scale)
        for geom, (_, row) in zip(geoms, feats.iterrows(), strict=True):
            if geom is None or geom.is_empty:
                continue
            color = _layer_color(row["layer"], row["level"])
            level = row["level"] if isinstance(row["level"], str) else ""
            tip = f"<title>{_e(row['name'])} {_e(level)}</title>"
            background = row["layer"] in _BACKGROUND_LAYERS
            opacity, dash = ("0.12", ' stroke-dasharray="6 3"') if background else ("0.35", "")
            if d := _path(geom, tx):
                body.append(
                    f'<path d="{d}" fill="{color}" fill-opacity="{opacity}" stroke="{color}" '
                    f'stroke-width="1.2"{dash} fill-rule="evenodd">{tip}</path>'
                )
            if d := _path(geom, tx, lines=True):
                body.append(f'<path d="{d}" fill="none" stroke="{color}" stroke-width="2">'
                            f"{tip}</path>")  # fmt: skip
            title_zh = get_spec(row["layer"]).title.zh
            key = f"{title_zh}（{row['level']}）" if isinstance(row["level"], str) else title_zh
            legend.setdefault(key, (color, "area"))
    if buffer_m > 0:
        for ring in rings:
            body.append(
                f'<path d="{_path(ring, tx)}" fill="none" stroke="#555" stroke-width="1" '
                'stroke-dasharray="5 4"/>'
            )
        legend[f"{buffer_m:,.0f} m 缓冲范围"] = ("#555", "dash")
    for i, geom in enumerate(plane_p):
        if d := _path(geom, tx):
            body.append(
                f'<path d="{d}" fill="{PROJECT_COLOR}" fill-opacity="0.25" '
                f'stroke="{PROJECT_COLOR}" stroke-width="2.5" fill-rule="evenodd"/>'
            )
        if d := _path(geom, tx, lines=True):
            body.append(
                f'<path d="{d}" fill="none" stroke="#fff" stroke-width="6" '
                f'stroke-linecap="round"/><path d="{d}" fill="none" stroke="{PROJECT_COLOR}" '
                'stroke-width="3.5" stroke-linecap="round"/>'
            )
        for x, y in _points(geom):
            px, py = tx(np.array([x]), np.array([y]))
            body.append(
                f'<circle cx="{px[0]:.1f}" cy="{py[0]:.1f}" r="6" fill="{PROJECT_COLOR}" '
                'stroke="#fff" stroke-width="2"/>'
            )
        if labels is not None:
            c = geom.representative_point() if geom.geom_type != "Point" else geom
            px, py = tx(np.array([c.x]), np.array([c.y]))
            body.append(
                f'<text x="{px[0] + 8:.1f}" y="{py[0] - 8:.1f}" font-size="13" font-weight="700" '
                f'fill="#111" stroke="#fff" stroke-width="3" paint-order="stroke">'
                f"{_e(labels[i])}</text>"
            )
    legend["建设项目"] = (PROJECT_COLOR, "area")

    # scale bar (bottom left), north arrow (top right), legend (top left)
    bar_m = _nice(0.25 * map_w / scale)
    bar_px = bar_m * scale
    bar_label = f"{bar_m / 1000:g} km" if bar_m >= 1000 else f"{bar_m:g} m"
    y0 = map_h - 18
    deco = [
        f'<rect x="10" y="{y0 - 16}" width="{bar_px + 20:.1f}" height="30" fill="#fff" '
        'fill-opacity="0.85"/>',
        f'<rect x="20" y="{y0}" width="{bar_px / 2:.1f}" height="5" fill="#222"/>',
        f'<rect x="{20 + bar_px / 2:.1f}" y="{y0}" width="{bar_px / 2:.1f}" height="5" '
        'fill="#fff" stroke="#222"/>',
        f'<text x="20" y="{y0 - 4}" font-size="11">0</text>',
        f'<text x="{20 + bar_px:.1f}" y="{y0 - 4}" font-size="11" text-anchor="end">'
        f"{_e(bar_label)}</text>",
        f'<g transform="translate({map_w - 30},16)"><polygon points="0,0 9,26 0,20 -9,26" '
        'fill="#222"/><text x="0" y="40" font-size="12" text-anchor="middle" '
        'font-weight="700">北 N</text></g>',
    ]
    items = list(legend.items())
    lw = 40 + max(len(k) for k, _ in items) * 12.5
    deco.append(
        f'<rect x="8" y="8" width="{lw}" height="{10 + 18 * len(items)}" fill="#fff" '
        'fill-opacity="0.9" stroke="#bbb"/>'
    )
    for i, (text, (color, kind)) in enumerate(items):
        y = 22 + 18 * i
        if kind == "dash":
            deco.append(
                f'<line x1="14" y1="{y - 4}" x2="30" y2="{y - 4}" stroke="{color}" '
                'stroke-dasharray="4 3"/>'
            )
        else:
            deco.append(
                f'<rect x="14" y="{y - 10}" width="16" height="11" fill="{color}" '
                f'fill-opacity="0.45" stroke="{color}"/>'
            )
        deco.append(f'<text x="36" y="{y}" font-size="12">{_e(text)}</text>')
    label = f' aria-label="{_e(title)}"' if title else ""
    return (
        f'<svg viewBox="0 0 {map_w} {map_h}" width="100%" role="img"{label} '
        f'style="max-width:{map_w}px;border:1px solid #c8ccd4;background:#f7f9fb">'
        f"{''.join(body)}{''.join(deco)}</svg>"
    )


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
        reason = (
            f"{_e(c['reason_zh'])}<br><span class='en'>{_e(c['reason_en'])}</span>"
            f"<br><span class='cite'>依据：{_e(c['citation'])}</span>"
        )
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
    pairs = list(dict.fromkeys(zip(shown["reason_zh"], shown["reason_en"], strict=True)))
    pairs = pairs or [(p["reason_zh"], p["reason_en"])]
    reasons = "".join(f"<li>{_e(zh)}<br><span class='en'>{_e(en)}</span></li>" for zh, en in pairs)
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
            _e(s.imported_at),
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
        f"<li>第{a.item}项 {_e(a.label.zh)}{' <b>[M] 待核实</b>' if a.mark == 'M' else ''}</li>"
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
        "<p class='note'>标注 [M] 的条款（如水污染防治法第六十七条、142号文第8–10项）来自记忆，"
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
    when = (generated_at or dt.datetime.now().astimezone()).strftime("%Y-%m-%d %H:%M")
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
