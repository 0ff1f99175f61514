"""The ledger plausibility sweep: outlet records that do not fit the map.

Outlets far from any river or lake, a recorded receiving water that is not the nearest water
body, duplicate codes, a code whose district segment is not the district the point lies in
(`ledger_findings`). Every input frame is EPSG:4326; distances are measured on the CGCS2000 GK
plane chosen by `geomon.crs.metric_crs_for`, nearest-water and point-in-polygon queries go
through `shapely.STRtree`. Inputs are never modified. Also importable from `geomon.compliance`.
"""

from __future__ import annotations

from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import pyproj
import shapely

from geomon import _frames
from geomon.report import message
from geomon.rules import outlets as ro

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
        "code": _frames.text(rec.get("code")),
        "name": _frames.text(rec.get("name")),
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
        _frames.check_frame(frame, layer)
        geoms.append(_frames.geoms(frame, to))
        names += [_frames.text(n) for n in frame.get("name", pd.Series([None] * len(frame)))]
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
    present = _frames.present(points)
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
    recorded = [
        _frames.text(v) for v in outlets.get("receiving_water", pd.Series([None] * len(outlets)))
    ]
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
    codes = outlets["code"].astype(object).map(_frames.text)
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
    text = _frames.text(code)
    if text is None or len(text) < 6 or not text[:6].isdigit() or text[4:6] == "00":
        return None
    return text[:6]


def _district_checks(
    outlets: gpd.GeoDataFrame, districts: gpd.GeoDataFrame
) -> list[dict[str, Any]]:
    _frames.check_frame(districts, "districts")
    county = districts["code"].map(_county_code)
    keep = county.notna().to_numpy(dtype=bool)
    polygons, county = districts[keep], county[keep]
    o_pos, d_pos = _frames.hits(outlets, polygons)
    inside: dict[int, list[int]] = {}
    for o, d in zip(o_pos, d_pos, strict=True):
        inside.setdefault(int(o), []).append(int(d))
    rules = ro.load_rules()
    findings = []
    present = _frames.present(np.asarray(outlets.geometry.values, dtype=object))
    for pos in np.flatnonzero(present):
        row, rec = outlets.index[pos], outlets.iloc[pos]
        found = inside.get(int(pos), [])
        found_codes = [county.iloc[d] for d in found]
        found_names = [_frames.text(polygons["name"].iloc[d]) for d in found]
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
        code = _frames.text(rec.get("code"))
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
    _frames.check_frame(outlets, "outlets")
    findings = _duplicate_checks(outlets)
    if len(outlets) and (rivers is not None or lakes is not None):
        to = _frames.metric_crs(outlets)
        waters, names = _waters(rivers, lakes, to)
        findings += _water_checks(
            outlets,
            _frames.geoms(outlets, to),
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
