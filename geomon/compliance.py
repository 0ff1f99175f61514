"""Compliance flags: the layers joined with the rules, as status columns on each layer.

- outlets inside a drinking-water source protection zone (一级/二级: 水污染防治法 第六十四条,
  penalty 第八十四条) or inside an ecological red line (自然资发〔2022〕142号);
- sections and their class over a period, failing their target (GB 3838-2002, 2011 method);
- protection zones (and sources) that contain outlets;
- the ledger plausibility sweep: outlets far from any river or lake, a recorded receiving water
  that is not the nearest water body, duplicate codes, a code whose district segment is not the
  district the point lies in.

Every input frame is EPSG:4326 (geomon's one frame); distances are measured on the CGCS2000 GK
plane chosen by `geomon.crs.metric_crs_for`. Point-in-polygon and nearest-water queries go
through `shapely.STRtree` (vectorised). Inputs are never modified.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Literal

import geopandas as gpd
import numpy as np
import pandas as pd
import pyproj
import shapely

from geomon import crs as gcrs
from geomon.errors import CRSError, WaterQualityError
from geomon.report import message
from geomon.rules import outlets as ro
from geomon.rules import water_quality as wq
from geomon.specs import get_spec

Period = tuple[Any, Any] | str | None
"""A period: None (all data), ``"2023"``, ``"2023-03"``, or inclusive ``(start, end)`` dates."""


# ------------------------------------------------------------------------------ rules as data


@dataclass(frozen=True, slots=True)
class OutletZoneRule:
    """What a protection-zone level means for a discharge outlet, with the article."""

    level: str
    outlet_forbidden: bool
    article: str
    penalty: str | None
    note: str


_PENALTY_84 = (
    "水污染防治法 第八十四条：责令限期拆除，处十万元以上五十万元以下罚款；逾期不拆除的，强制拆除，"
    "处五十万元以上一百万元以下罚款，并可以责令停产整治"
)
OUTLET_ZONE_RULES: Mapping[str, OutletZoneRule] = {
    "一级": OutletZoneRule(
        "一级", True, "水污染防治法 第六十四条", _PENALTY_84, "禁止在饮用水水源保护区内设置排污口"
    ),
    "二级": OutletZoneRule(
        "二级", True, "水污染防治法 第六十四条", _PENALTY_84, "禁止在饮用水水源保护区内设置排污口"
    ),
    # 准保护区 lies outside the 保护区 proper (第六十三条), so 第六十四条 does not reach it;
    # 第六十七条 limits projects that seriously pollute water [M]. Reported, not a violation.
    "准保护区": OutletZoneRule(
        "准保护区",
        False,
        "水污染防治法 第六十七条 [M]",
        None,
        "准保护区内排污口不属第六十四条禁止情形；核查是否属严重污染水体的建设项目",
    ),
}
"""Protection-zone levels (layers/protection_zones.toml) → rule; DOMAIN.md §3.1."""

CLOSE_DOWN = "取缔"  # 依法取缔: the category for outlets set up illegally (国办函〔2022〕17号)
RED_LINE_RULE = (
    "自然资发〔2022〕142号：生态保护红线内禁止开发性、生产性建设活动，"
    "仅允许对生态功能不造成破坏的有限人为活动；需核实"
)
SECTION_CITATION = f"{wq.CITATION_GB3838}; {wq.CITATION_2011}"


# ------------------------------------------------------------------------------ helpers


def _check_frame(frame: pd.DataFrame, name: str) -> gpd.GeoDataFrame:
    if not isinstance(frame, gpd.GeoDataFrame):
        msg = f"`{name}` must be a GeoDataFrame in EPSG:4326, got {type(frame).__name__}."
        raise TypeError(msg)
    if frame.crs is None or frame.crs.to_epsg() != 4326:
        msg = message(
            f"图层 {name} 的坐标系为 {frame.crs}，应为 EPSG:4326",
            f"`{name}` is in {frame.crs}, expected EPSG:4326; reproject it with `.to_crs(4326)`",
        )
        raise CRSError(msg)
    return frame


def metric_crs(*frames: gpd.GeoDataFrame) -> pyproj.CRS:
    """Return the GK plane for the frames' features (`geomon.crs.metric_crs_for` their centre)."""
    xs = [np.asarray(shapely.get_coordinates(f.geometry.values)[:, 0]) for f in frames if len(f)]
    return gcrs.metric_crs_for(np.concatenate(xs) if xs else np.array([]))


def _geoms(frame: gpd.GeoDataFrame, to: pyproj.CRS) -> np.ndarray:
    return np.asarray(frame.geometry.to_crs(to).values, dtype=object)


def _text(value: object) -> str | None:
    if value is None or (not isinstance(value, str) and pd.isna(value)):
        return None
    text = str(value).strip()
    return text or None


def _join(values: list[str]) -> str | None:
    return "、".join(values) if values else None


def _present(geoms: np.ndarray) -> np.ndarray:
    return ~(shapely.is_missing(geoms) | shapely.is_empty(geoms))


def _hits(points: gpd.GeoDataFrame, polygons: gpd.GeoDataFrame) -> tuple[np.ndarray, np.ndarray]:
    """(point position, polygon position) for every point inside or on a polygon (STRtree).

    Both frames are EPSG:4326; "inside" does not depend on the plane. Sorted by point, polygon.
    """
    query = np.asarray(points.geometry.values, dtype=object).copy()
    query[~_present(query)] = None
    tree = shapely.STRtree(np.asarray(polygons.geometry.values, dtype=object))
    pairs = tree.query(query, predicate="intersects")
    order = np.lexsort((pairs[1], pairs[0]))
    return pairs[0][order], pairs[1][order]


def _blank_columns(frame: pd.DataFrame, *names: str) -> None:
    for name in names:
        frame[name] = pd.Series([None] * len(frame), index=frame.index, dtype=object)


# ------------------------------------------------------------------------------ outlets


def outlets_in_zones(outlets: gpd.GeoDataFrame, zones: gpd.GeoDataFrame) -> pd.DataFrame:
    """List every (outlet, protection zone) pair where the outlet lies in the zone.

    One row per pair, indexed like `outlets` (an outlet in two zones has two rows), with the
    outlet ``code``, the zone's ``zone_code``, ``level``, ``source_name``, ``source_code`` and
    the rule: ``illegal`` (一级/二级: 水污染防治法 第六十四条), ``article``, ``penalty``.
    """
    _check_frame(outlets, "outlets")
    _check_frame(zones, "protection_zones")
    columns = ["code", "zone_code", "level", "source_name", "source_code"]
    columns += ["illegal", "article", "penalty"]
    if outlets.empty or zones.empty:
        return pd.DataFrame(columns=columns, index=outlets.index[:0])
    o_pos, z_pos = _hits(outlets, zones)
    z = zones.iloc[z_pos]
    levels = z["level"].astype(object).tolist()
    rules = [OUTLET_ZONE_RULES.get(str(lv)) for lv in levels]
    return pd.DataFrame(
        {
            "code": outlets["code"].iloc[o_pos].to_numpy(dtype=object),
            "zone_code": z["code"].to_numpy(dtype=object),
            "level": levels,
            "source_name": z.get(
                "source_name", pd.Series([None] * len(z), index=z.index, dtype=object)
            ).tolist(),
            "source_code": z.get(
                "source_code", pd.Series([None] * len(z), index=z.index, dtype=object)
            ).tolist(),
            "illegal": [bool(r and r.outlet_forbidden) for r in rules],
            "article": [r.article if r else None for r in rules],
            "penalty": [r.penalty if r else None for r in rules],
        },
        index=outlets.index[o_pos],
    )


def outlet_flags(
    outlets: gpd.GeoDataFrame,
    *,
    zones: gpd.GeoDataFrame | None = None,
    red_lines: gpd.GeoDataFrame | None = None,
) -> gpd.GeoDataFrame:
    """Return `outlets` with zone and red-line flag columns added (same index, new frame).

    Added columns: ``zone_level`` (the strictest level the outlet lies in), ``zone_codes``,
    ``zone_source``, ``zone_illegal`` (inside a 一级 or 二级 zone: 水污染防治法 第六十四条),
    ``zone_article``, ``zone_penalty`` (第八十四条), ``zone_category_mismatch`` (illegal but the
    ledger's ``category`` is not 取缔, the category for outlets set up illegally in a source
    protection zone, DOMAIN.md §2.4), ``in_red_line``, ``red_line_codes``,
    ``red_line_names`` and ``red_line_rule`` (自然资发〔2022〕142号: to be checked, not a verdict).
    """
    _check_frame(outlets, "outlets")
    out = outlets.copy()
    _blank_columns(out, "zone_level", "zone_codes", "zone_source")
    out["zone_illegal"] = False
    _blank_columns(out, "zone_article", "zone_penalty")
    if zones is not None and not zones.empty and len(out):
        order = [v.value for v in get_spec("protection_zones").field("level").values]
        rank = {lv: i for i, lv in enumerate(order)}
        hits = outlets_in_zones(outlets, zones).reset_index(names="_row")
        hits["_rank"] = hits["level"].map(lambda lv: rank.get(lv, len(order)))
        for row, group in hits.sort_values(["_row", "_rank"]).groupby("_row", sort=False):
            first = group.iloc[0]
            out.at[row, "zone_level"] = first["level"]
            out.at[row, "zone_codes"] = _join([str(c) for c in group["zone_code"]])
            out.at[row, "zone_source"] = _join(list(dict.fromkeys(group["source_name"].dropna())))
            illegal = group[group["illegal"]]
            if len(illegal):
                out.at[row, "zone_illegal"] = True
                out.at[row, "zone_article"] = illegal.iloc[0]["article"]
                out.at[row, "zone_penalty"] = illegal.iloc[0]["penalty"]
            else:
                out.at[row, "zone_article"] = first["article"]
    category = out.get("category", pd.Series([None] * len(out), index=out.index, dtype=object))
    out["zone_category_mismatch"] = out["zone_illegal"].to_numpy(dtype=bool) & np.array(
        [_text(c) != CLOSE_DOWN for c in category], dtype=bool
    )
    out["in_red_line"] = False
    _blank_columns(out, "red_line_codes", "red_line_names", "red_line_rule")
    if red_lines is not None and not red_lines.empty and len(out):
        _check_frame(red_lines, "red_lines")
        o_pos, r_pos = _hits(outlets, red_lines)
        for pos in np.unique(o_pos):
            inside = red_lines.iloc[r_pos[o_pos == pos]]
            row = out.index[pos]
            out.at[row, "in_red_line"] = True
            out.at[row, "red_line_codes"] = _join([str(c) for c in inside["code"]])
            out.at[row, "red_line_names"] = _join([str(c) for c in inside["name"]])
            out.at[row, "red_line_rule"] = RED_LINE_RULE
    return out


def zone_flags(zones: gpd.GeoDataFrame, outlets: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """Return `zones` with ``outlet_count``, ``outlet_codes`` and ``has_illegal_outlets`` added.

    ``has_illegal_outlets`` is true for a 一级 or 二级 zone with at least one outlet inside
    (水污染防治法 第六十四条).
    """
    _check_frame(zones, "protection_zones")
    _check_frame(outlets, "outlets")
    out = zones.copy()
    counts = np.zeros(len(zones), dtype=int)
    codes: list[str | None] = [None] * len(zones)
    if len(zones) and len(outlets):
        o_pos, z_pos = _hits(outlets, zones)
        for pos in np.unique(z_pos):
            inside = outlets["code"].iloc[o_pos[z_pos == pos]]
            counts[pos] = len(inside)
            codes[pos] = _join([str(c) for c in inside])
    out["outlet_count"] = counts
    out["outlet_codes"] = pd.Series(codes, index=out.index, dtype=object)
    forbidden = zones["level"].map(
        lambda lv: bool(OUTLET_ZONE_RULES.get(lv, None) and OUTLET_ZONE_RULES[lv].outlet_forbidden)
    )
    out["has_illegal_outlets"] = (counts > 0) & forbidden.to_numpy(dtype=bool)
    return out


def sources_with_outlets(zones: gpd.GeoDataFrame, outlets: gpd.GeoDataFrame) -> pd.DataFrame:
    """One row per drinking-water source whose zones contain outlets.

    Columns: ``source_code``, ``source_name``, ``levels`` (the zone levels with outlets),
    ``outlet_count``, ``outlet_codes``, ``illegal`` (any of them in 一级/二级) and ``article``.
    """
    flagged = zone_flags(zones, outlets)
    flagged = flagged[flagged["outlet_count"] > 0]
    key = flagged.get("source_code", flagged["source_name"]).fillna(flagged["source_name"])
    rows = []
    for source, group in flagged.groupby(key, sort=True):
        illegal = bool(group["has_illegal_outlets"].any())
        codes = [c for text in group["outlet_codes"] for c in str(text).split("、")]
        rows.append(
            {
                "source_code": source,
                "source_name": group["source_name"].iloc[0],
                "levels": _join([str(v) for v in group["level"]]),
                "outlet_count": int(group["outlet_count"].sum()),
                "outlet_codes": _join(list(dict.fromkeys(codes))),
                "illegal": illegal,
                "article": OUTLET_ZONE_RULES["一级"].article if illegal else None,
            }
        )
    columns = ["source_code", "source_name", "levels", "outlet_count", "outlet_codes"]
    return pd.DataFrame(rows, columns=[*columns, "illegal", "article"])


# ------------------------------------------------------------------------------ sections


def period_bounds(
    period: Period, dates: pd.Series | None = None
) -> tuple[pd.Timestamp, pd.Timestamp]:
    """Return the first and last day of `period` (both inclusive, midnight timestamps).

    None means the span of `dates`; ``"2023"`` a year; ``"2023-03"`` a month; a pair is
    ``(start, end)`` inclusive.

    Examples
    --------
    >>> [str(t.date()) for t in period_bounds("2023-02")]
    ['2023-02-01', '2023-02-28']
    """
    if period is None:
        if dates is None or pd.to_datetime(dates).dropna().empty:
            msg = "`period` is None and there are no dates to take it from."
            raise WaterQualityError(msg)
        stamps = pd.to_datetime(dates).dropna()
        return stamps.min().normalize(), stamps.max().normalize()
    if isinstance(period, str | int):
        text = str(period).strip()
        freq = "Y" if len(text) == 4 else "M" if len(text) == 7 else "D"
        span = pd.Period(text, freq)
        return span.start_time.normalize(), span.end_time.normalize()
    start, end = (pd.Timestamp(p).normalize() for p in period)
    if end < start:
        msg = f"`period` ends ({end.date()}) before it starts ({start.date()})."
        raise WaterQualityError(msg)
    return start, end


def select_period(monitoring: pd.DataFrame, period: Period) -> pd.DataFrame:
    """Rows of `monitoring` whose ``date`` falls in `period` (whole days, inclusive)."""
    start, end = period_bounds(period, monitoring["date"])
    days = pd.to_datetime(monitoring["date"]).dt.normalize()
    return monitoring[((days >= start) & (days <= end)).to_numpy(dtype=bool)]


_LAKE_KINDS = ("湖库", "湖泊", "水库")  # layers/sections.toml water_body_type (and aliases)
_SECTION_ATTRS = ("name", "river", "basin", "control_level", "district", "water_body_type")


def section_settings(sections: pd.DataFrame) -> tuple[dict[str, str], dict[str, str]]:
    """Targets (non-blank ``target_class``) and water bodies per section code of the layer.

    Water bodies are ``"lake"`` for 湖库 sections (lake TP limits) and ``"river"`` otherwise.
    """
    codes = sections["code"].astype(object)
    targets = sections.get(
        "target_class", pd.Series([None] * len(sections), index=sections.index, dtype=object)
    )
    kinds = sections.get(
        "water_body_type", pd.Series([None] * len(sections), index=sections.index, dtype=object)
    )
    return (
        {c: str(t).strip() for c, t in zip(codes, targets, strict=True) if _text(t)},
        {
            c: "lake" if _text(k) in _LAKE_KINDS else "river"
            for c, k in zip(codes, kinds, strict=True)
        },
    )


def section_results(
    sections: pd.DataFrame,
    monitoring: pd.DataFrame,
    *,
    period: Period = None,
    rounded: bool = True,
    against: Literal["III", "target"] = "III",
) -> pd.DataFrame:
    """Classify every section on its means over `period` (GB 3838-2002, 2011 method).

    Targets come from the sections layer (``target_class``), else from the monitoring
    ``target`` column; lakes and reservoirs (``water_body_type`` 湖库) use the lake limits. Means
    are rounded per 82号 unless ``rounded=False``. One row per section of the layer (in layer
    order), then any monitored section missing from the layer; a section without data has class
    None (not assessed). Columns: the `classify_period` columns plus name, river, basin,
    control_level, district from the layer.
    """
    targets, bodies = section_settings(sections)
    data = select_period(monitoring, period) if len(monitoring) else monitoring
    if len(data):
        results = wq.classify_period(
            data, rounded=rounded, targets=targets, water_bodies=bodies, against=against
        )
    else:
        results = pd.DataFrame(columns=["section_code", "class", "water_body", "target"])
    codes = sections["code"].astype(object).tolist()
    extra = [c for c in results["section_code"] if c not in set(codes)]
    merged = pd.DataFrame({"section_code": codes + extra}, dtype=object).merge(
        results, on="section_code", how="left"
    )
    merged = merged.astype(object).where(merged.notna(), None)
    unassessed = merged["water_body"].isna()
    merged.loc[unassessed, "water_body"] = merged.loc[unassessed, "section_code"].map(bodies)
    merged.loc[unassessed, "target"] = [
        wq.parse_class(targets[c]) if c in targets else None
        for c in merged.loc[unassessed, "section_code"]
    ]
    attrs = [c for c in _SECTION_ATTRS if c in sections.columns]
    layer = (
        sections[["code", *attrs]].drop_duplicates("code").rename(columns={"code": "section_code"})
    )
    merged = merged.merge(layer.astype(object), on="section_code", how="left")
    return merged.astype(object).where(merged.notna(), None)


def exceedance_text(exceedances: object) -> str | None:
    """Write exceedances as bureau tables do: ``"氨氮/1.3、总磷/0.6"`` (name/超标倍数)."""
    if not isinstance(exceedances, tuple | list) or not exceedances:
        return None
    return _join([f"{wq.ITEMS[e.parameter].name}/{e.multiple:g}" for e in exceedances])


def section_flags(sections: gpd.GeoDataFrame, results: pd.DataFrame) -> gpd.GeoDataFrame:
    """Return `sections` with their period class and target flags added (same index, new frame).

    Added columns: ``class``, ``status``, ``target``, ``meets_target`` (None without a class or
    a target), ``fails_target`` (class worse than the target), ``no_target`` (no target class in
    the layer or the data), ``main_pollutants`` (Chinese item names) and ``exceedances``
    (``"氨氮/1.3"``, 超标倍数 against class III), from `section_results`.
    """
    out = sections.copy()
    by_code = results.set_index("section_code")
    codes = out["code"].astype(object)

    def pick(col: str) -> list[Any]:
        if col not in by_code.columns:
            return [None] * len(out)
        return [by_code.at[c, col] if c in by_code.index else None for c in codes]

    out["class"] = pd.Series(pick("class"), index=out.index, dtype=object)
    out["status"] = pd.Series(pick("status"), index=out.index, dtype=object)
    target = [
        t if _text(t) else (wq.parse_class(s) if _text(s) else None)
        for t, s in zip(pick("target"), out.get("target_class", [None] * len(out)), strict=True)
    ]
    out["target"] = pd.Series(target, index=out.index, dtype=object)
    meets = [
        None if k is None or pd.isna(k) or t is None else wq.meets(k, t)
        for k, t in zip(out["class"], target, strict=True)
    ]
    out["meets_target"] = pd.array(meets, dtype="boolean")
    out["fails_target"] = [m is False for m in meets]
    out["no_target"] = [t is None for t in target]
    names = [
        _join([wq.ITEMS[p].name for p in mp]) if isinstance(mp, tuple | list) else None
        for mp in pick("main_pollutants")
    ]
    out["main_pollutants"] = pd.Series(names, index=out.index, dtype=object)
    out["exceedances"] = pd.Series(
        [exceedance_text(e) for e in pick("exceedances")], index=out.index, dtype=object
    )
    return out


# ------------------------------------------------------------------------------ ledger sweep

FINDING_COLUMNS = ("code", "name", "check", "severity", "message", "evidence")
_CHECKS = (
    *("far_from_water", "receiving_water_mismatch", "duplicate_code"),
    *("code_district_mismatch", "outside_districts"),
)
"""Columns of `ledger_findings`; the index holds the outlet's index label (its row)."""


def _finding(
    row: Any, rec: pd.Series, check: str, severity: str, zh: str, en: str, evidence: dict[str, Any]
) -> dict[str, Any]:
    return {
        "row": row,
        "code": _text(rec.get("code")),
        "name": _text(rec.get("name")),
        "check": check,
        "severity": severity,
        "message": message(zh, en),
        "evidence": evidence,
    }


def _waters(
    rivers: gpd.GeoDataFrame | None, lakes: gpd.GeoDataFrame | None, to: pyproj.CRS
) -> tuple[np.ndarray, list[str | None]]:
    """Water geometries (metric) and their names: river lines then lake polygons."""
    geoms, names = [], []
    for frame, layer in ((rivers, "rivers"), (lakes, "lakes")):
        if frame is None or frame.empty:
            continue
        _check_frame(frame, layer)
        geoms.append(_geoms(frame, to))
        names += [_text(n) for n in frame.get("name", pd.Series([None] * len(frame)))]
    return (np.concatenate(geoms) if geoms else np.array([], dtype=object)), names


def _round_m(value: float) -> float:
    return round(float(value), 1)


def _water_checks(
    outlets: gpd.GeoDataFrame,
    points: np.ndarray,
    waters: np.ndarray,
    names: list[str | None],
    *,
    max_distance_m: float,
    name_slack_m: float,
) -> list[dict[str, Any]]:
    present = _present(points)
    if not len(waters) or not present.any():
        return []
    tree = shapely.STRtree(waters)
    (o_pos, w_pos), dist = tree.query_nearest(
        points[present], return_distance=True, all_matches=False
    )
    o_pos = np.flatnonzero(present)[o_pos]
    nearest = pd.DataFrame({"pos": o_pos, "water": w_pos, "dist": dist}).drop_duplicates("pos")
    # distance from each outlet to the water body it names (all parts of that name together)
    by_name: dict[str, Any] = {}
    for name in {n for n in names if n}:
        by_name[name] = shapely.union_all(waters[[n == name for n in names]])
    recorded = [_text(v) for v in outlets.get("receiving_water", pd.Series([None] * len(outlets)))]
    rec_geom = np.array([by_name.get(r) if r else None for r in recorded], dtype=object)
    rec_dist = shapely.distance(points, rec_geom)
    findings = []
    for pos, water, d in nearest.itertuples(index=False):
        row, rec = outlets.index[pos], outlets.iloc[pos]
        near_name = names[water]
        if d > max_distance_m:
            findings.append(
                _finding(
                    row,
                    rec,
                    "far_from_water",
                    "warning",
                    f"距最近水体（{near_name}）{d:.0f} 米，超过 {max_distance_m:g} 米",
                    f"{d:.0f} m from the nearest water body ({near_name}), "
                    f"more than {max_distance_m:g} m",
                    {
                        "distance_m": _round_m(d),
                        "nearest_water": near_name,
                        "max_distance_m": max_distance_m,
                    },
                )
            )
        own = recorded[pos]
        if own is None or near_name is None or own == near_name:
            continue
        own_d = None if np.isnan(rec_dist[pos]) else float(rec_dist[pos])
        if own_d is not None and own_d <= d + name_slack_m:
            continue
        where = "图层中无此水体" if own_d is None else f"距其 {own_d:.0f} 米"
        where_en = "not in the water layers" if own_d is None else f"{own_d:.0f} m away"
        findings.append(
            _finding(
                row,
                rec,
                "receiving_water_mismatch",
                "warning",
                f"登记受纳水体“{own}”（{where}），最近水体为“{near_name}”（{d:.0f} 米）",
                f"recorded receiving water {own!r} ({where_en}); nearest is {near_name!r} "
                f"({d:.0f} m)",
                {
                    "recorded": own,
                    "recorded_distance_m": None if own_d is None else _round_m(own_d),
                    "nearest_water": near_name,
                    "distance_m": _round_m(d),
                },
            )
        )
    return findings


def _duplicate_checks(outlets: gpd.GeoDataFrame) -> list[dict[str, Any]]:
    codes = outlets["code"].astype(object).map(_text)
    dup = codes.notna() & codes.duplicated(keep=False)
    findings = []
    for pos in np.flatnonzero(dup.to_numpy(dtype=bool)):
        code = codes.iloc[pos]
        rows = list(outlets.index[(codes == code).to_numpy(dtype=bool)])
        others = [r for r in rows if r != outlets.index[pos]]
        findings.append(
            _finding(
                outlets.index[pos],
                outlets.iloc[pos],
                "duplicate_code",
                "error",
                f"编码“{code}”重复（另见 {others}）",
                f"code {code!r} is also used by {others}",
                {"code": code, "rows": rows},
            )
        )
    return findings


def _county_code(code: object) -> str | None:
    """The 6-digit GB/T 2260 county code of a district code; None above county level (…00)."""
    text = _text(code)
    if text is None or len(text) < 6 or not text[:6].isdigit() or text[4:6] == "00":
        return None
    return text[:6]


def _district_checks(
    outlets: gpd.GeoDataFrame, districts: gpd.GeoDataFrame
) -> list[dict[str, Any]]:
    _check_frame(districts, "districts")
    county = districts["code"].map(_county_code)
    keep = county.notna().to_numpy(dtype=bool)
    polygons, county = districts[keep], county[keep]
    o_pos, d_pos = _hits(outlets, polygons)
    inside: dict[int, list[int]] = {}
    for o, d in zip(o_pos, d_pos, strict=True):
        inside.setdefault(int(o), []).append(int(d))
    rules = ro.load_rules()
    findings = []
    present = _present(np.asarray(outlets.geometry.values, dtype=object))
    for pos in np.flatnonzero(present):
        row, rec = outlets.index[pos], outlets.iloc[pos]
        found = inside.get(int(pos), [])
        found_codes = [county.iloc[d] for d in found]
        found_names = [_text(polygons["name"].iloc[d]) for d in found]
        if not found:
            findings.append(
                _finding(
                    row,
                    rec,
                    "outside_districts",
                    "warning",
                    "不在任何区县范围内",
                    "lies in no county-level district polygon",
                    {"district_polygon": None},
                )
            )
            continue
        code = _text(rec.get("code"))
        if code is None:
            continue
        parts, problems = ro.parse_code(code, rules)
        if "district" not in parts or any(p.segment == "district" for p in problems):
            continue  # a malformed code is reported by rules.outlets.code_issues
        segment = parts["district"]
        if segment in found_codes:
            continue
        findings.append(
            _finding(
                row,
                rec,
                "code_district_mismatch",
                "error",
                f"编码中的行政区划代码 {segment} 与点位所在区县 "
                f"{found_codes[0]}（{found_names[0]}）不一致",
                f"district segment {segment} of the code differs from the district the point lies "
                f"in, {found_codes[0]} ({found_names[0]})",
                {
                    "code_district": segment,
                    "district_polygon": found_codes[0],
                    "district_name": found_names[0],
                },
            )
        )
    return findings


def ledger_findings(
    outlets: gpd.GeoDataFrame,
    *,
    rivers: gpd.GeoDataFrame | None = None,
    lakes: gpd.GeoDataFrame | None = None,
    districts: gpd.GeoDataFrame | None = None,
    max_distance_m: float = 200.0,
    name_slack_m: float = 0.0,
) -> pd.DataFrame:
    """Sweep an outlet ledger for implausible records; one row per finding.

    Checks (``check`` column):

    - ``far_from_water``: the outlet is more than `max_distance_m` from every river line and
      lake polygon (evidence: ``distance_m``, ``nearest_water``);
    - ``receiving_water_mismatch``: the recorded ``receiving_water`` is not the name of the
      nearest water body, and that water is not within `name_slack_m` of the nearest one's
      distance either (evidence: ``recorded``, ``recorded_distance_m``, ``nearest_water``,
      ``distance_m``);
    - ``duplicate_code``: the national code is used by several rows (evidence: ``rows``);
    - ``code_district_mismatch``: the code's district segment (layout in rules/outlets.toml) is
      not the county-level district polygon the point lies in (evidence: ``code_district``,
      ``district_polygon``, ``district_name``); ``outside_districts`` if it lies in none.

    Distances are metres on the GK plane of `geomon.crs.metric_crs_for`, one decimal. The
    frame is indexed by the outlet's index label (``row``) and has the columns
    `FINDING_COLUMNS`, ordered by check then row. Water checks need `rivers` or `lakes`;
    district checks need `districts`.
    """
    _check_frame(outlets, "outlets")
    findings = _duplicate_checks(outlets)
    if len(outlets) and (rivers is not None or lakes is not None):
        to = metric_crs(outlets)
        waters, names = _waters(rivers, lakes, to)
        findings += _water_checks(
            outlets,
            _geoms(outlets, to),
            waters,
            names,
            max_distance_m=max_distance_m,
            name_slack_m=name_slack_m,
        )
    if districts is not None and len(outlets) and len(districts):
        findings += _district_checks(outlets, districts)
    order = {c: i for i, c in enumerate(_CHECKS)}
    pos = {r: i for i, r in enumerate(outlets.index)}
    findings.sort(key=lambda f: (order[f["check"]], pos[f["row"]]))
    frame = pd.DataFrame(findings, columns=["row", *FINDING_COLUMNS])
    return frame.set_index("row")


# ------------------------------------------------------------------------------ all layers


def flag_layers(
    layers: Mapping[str, pd.DataFrame], *, period: Period = None
) -> dict[str, pd.DataFrame]:
    """Flag every layer present in `layers` (a mapping of layer name → frame, EPSG:4326).

    Returns ``outlets`` (`outlet_flags`), ``sections`` (`section_flags` over `period`, when
    monitoring data exist), ``protection_zones`` (`zone_flags`) and ``ledger`` (`ledger_findings`),
    for the layers that are present and not empty.
    """

    def get(name: str) -> Any:
        frame = layers.get(name)
        return None if frame is None or len(frame) == 0 else frame

    outlets, zones, sections = get("outlets"), get("protection_zones"), get("sections")
    out: dict[str, pd.DataFrame] = {}
    if outlets is not None:
        out["outlets"] = outlet_flags(outlets, zones=zones, red_lines=get("red_lines"))
        out["ledger"] = ledger_findings(
            outlets, rivers=get("rivers"), lakes=get("lakes"), districts=get("districts")
        )
        if zones is not None:
            out["protection_zones"] = zone_flags(zones, outlets)
    if sections is not None:
        monitoring = get("monitoring")
        results = section_results(
            sections, monitoring if monitoring is not None else pd.DataFrame(), period=period
        )
        out["sections"] = section_flags(sections, results)
    return out
