"""Compliance flags: the layers joined with the rules, as status columns on each layer.

- outlets inside a drinking-water source protection zone (一级/二级: 水污染防治法 第六十四条,
  penalty 第八十四条) or inside an ecological red line (自然资发〔2022〕142号);
- protection zones that contain outlets;
- sections and their class over a period, failing their target (GB 3838-2002, 2011 method):
  `geomon.analysis.sections`, re-exported here;
- the ledger plausibility sweep: outlets far from any river or lake, a recorded receiving water
  that is not the nearest water body, duplicate codes, a code whose district segment is not the
  district the point lies in: `geomon.analysis.ledger_checks`, re-exported here.

`with_status` adds the status columns the app filters and draws (an outlet's ``overdue`` at a
date, `overdue`; a section's ``class`` and ``meets_target`` over a period) to one layer, and
`flag_layers` runs every check. Every input frame is EPSG:4326 (geomon's one frame); distances are
measured on the CGCS2000 GK plane chosen by `geomon.crs.metric_crs_for`. Point-in-polygon and
nearest-water queries go through `shapely.STRtree` (vectorised). Inputs are never modified.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass
from types import MappingProxyType
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd

from geomon import frames, times
from geomon.analysis.ledger_checks import FINDING_COLUMNS, ledger_findings
from geomon.analysis.sections import (
    SECTION_CITATION,
    Period,
    exceedance_text,
    period_bounds,
    section_flags,
    section_results,
    section_settings,
    select_period,
)
from geomon.frames import metric_crs
from geomon.rules import outlets as ro
from geomon.rules import supervision as sup_rules
from geomon.specs import get_spec

__all__ = [
    "CLOSE_DOWN",
    "FINDING_COLUMNS",
    "OUTLET_ZONE_RULES",
    "RED_LINE_RULE",
    "SECTION_CITATION",
    "STATUS_COLUMNS",
    "OutletZoneRule",
    "Period",
    "exceedance_text",
    "flag_layers",
    "ledger_findings",
    "metric_crs",
    "outlet_flags",
    "outlets_in_zones",
    "overdue",
    "period_bounds",
    "section_flags",
    "section_results",
    "section_settings",
    "select_period",
    "status_date",
    "with_status",
    "zone_flags",
]


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
        "水污染防治法 第六十七条（待核实）",
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


# ------------------------------------------------------------------------------ outlets


def outlets_in_zones(outlets: gpd.GeoDataFrame, zones: gpd.GeoDataFrame) -> pd.DataFrame:
    """List every (outlet, protection zone) pair where the outlet lies in the zone.

    One row per pair, indexed like `outlets` (an outlet in two zones has two rows), with the
    outlet ``code``, the zone's ``zone_code``, ``level``, ``source_name``, ``source_code`` and
    the rule: ``illegal`` (一级/二级: 水污染防治法 第六十四条), ``article``, ``penalty``.
    """
    frames.check_frame(outlets, "outlets")
    frames.check_frame(zones, "protection_zones")
    return _outlets_in_zones(outlets, zones, None)


_Hits = tuple[np.ndarray, np.ndarray]  # (outlet, zone) positions from `frames.hits`


def _outlets_in_zones(
    outlets: gpd.GeoDataFrame, zones: gpd.GeoDataFrame, hits: _Hits | None
) -> pd.DataFrame:
    """`outlets_in_zones` of checked frames; `hits` if `flag_layers` has them already."""
    columns = ["code", "zone_code", "level", "source_name", "source_code"]
    columns += ["illegal", "article", "penalty"]
    if outlets.empty or zones.empty:
        return pd.DataFrame(columns=columns, index=outlets.index[:0])
    o_pos, z_pos = frames.hits(outlets, zones) if hits is None else hits
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


def _set_rows(out: pd.DataFrame, labels: pd.Index, values: dict[str, np.ndarray]) -> None:
    """Write `values` (one per label) into `out`'s columns at the rows of `labels`.

    As ``out.at[label, column] = value`` for each label in turn writes them: a label shared by
    several rows of `out` sets all of them, and of a label given twice the last one wins.
    """
    last = ~labels.duplicated(keep="last")
    take = labels[last].get_indexer(out.index)
    rows = np.flatnonzero(take >= 0)
    for column, column_values in values.items():
        target = out[column].to_numpy(dtype=out[column].dtype, copy=True)
        target[rows] = np.asarray(column_values, dtype=target.dtype)[last][take[rows]]
        out[column] = pd.Series(target, index=out.index, dtype=out[column].dtype)


def _first_of_groups(flags: np.ndarray, starts: np.ndarray, ends: np.ndarray) -> np.ndarray:
    """Position of the first true flag in each group ``[start, end)``, -1 where none is."""
    group = np.repeat(np.arange(len(starts)), ends - starts)
    first = np.full(len(starts), -1)
    hit = np.flatnonzero(flags)[::-1]
    first[group[hit]] = hit
    return first


def _zone_values(hits: pd.DataFrame) -> tuple[pd.Index, dict[str, np.ndarray]]:
    """The zone columns of each outlet label with hits: (labels, column → values).

    `hits` are the (outlet, zone) pairs sorted by outlet label and then strictest level first;
    one group per label, as ``groupby("_row")`` makes them.
    """
    keys, _ = pd.factorize(hits["_row"])
    hits = hits[keys >= 0]  # groupby drops a missing label
    starts, ends = frames.group_bounds(keys[keys >= 0])
    level = hits["level"].to_numpy(dtype=object)
    article = hits["article"].to_numpy(dtype=object)
    penalty = hits["penalty"].to_numpy(dtype=object)
    sources = hits["source_name"].to_numpy(dtype=object)
    known = hits["source_name"].notna().to_numpy()
    first_illegal = _first_of_groups(hits["illegal"].to_numpy(dtype=bool), starts, ends)
    illegal = first_illegal >= 0
    codes = [str(c) for c in hits["zone_code"]]
    return pd.Index(hits["_row"].to_numpy()[starts]), {
        "zone_level": level[starts],
        "zone_codes": np.array(frames.join_groups(codes, starts, ends), dtype=object),
        "zone_source": np.array(
            [
                frames.join(list(dict.fromkeys(sources[a:b][known[a:b]].tolist())))
                for a, b in zip(starts.tolist(), ends.tolist(), strict=True)
            ],
            dtype=object,
        ),
        "zone_illegal": illegal,
        "zone_article": np.where(illegal, article[first_illegal], article[starts]),
        "zone_penalty": np.where(illegal, penalty[first_illegal], None),
    }


def _red_line_values(
    outlets: gpd.GeoDataFrame, red_lines: gpd.GeoDataFrame
) -> tuple[pd.Index, dict[str, np.ndarray]]:
    """The red-line columns of each outlet inside red lines: (its label, column → values)."""
    o_pos, r_pos = frames.hits(outlets, red_lines)
    if not len(o_pos):
        return outlets.index[:0], {}
    starts, ends = frames.group_bounds(o_pos)
    codes = [str(c) for c in red_lines["code"].to_numpy(dtype=object)[r_pos]]
    names = [str(c) for c in red_lines["name"].to_numpy(dtype=object)[r_pos]]
    return outlets.index[o_pos[starts]], {
        "in_red_line": np.ones(len(starts), dtype=bool),
        "red_line_codes": np.array(frames.join_groups(codes, starts, ends), dtype=object),
        "red_line_names": np.array(frames.join_groups(names, starts, ends), dtype=object),
        "red_line_rule": np.full(len(starts), RED_LINE_RULE, dtype=object),
    }


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
    return _outlet_flags(outlets, zones, red_lines, None)


def _outlet_flags(
    outlets: gpd.GeoDataFrame,
    zones: gpd.GeoDataFrame | None,
    red_lines: gpd.GeoDataFrame | None,
    zone_hits: _Hits | None,
) -> gpd.GeoDataFrame:
    """`outlet_flags`; `zone_hits` are the outlet × zone hits if `flag_layers` has them."""
    frames.check_frame(outlets, "outlets")
    out = outlets.copy()
    frames.blank_columns(out, "zone_level", "zone_codes", "zone_source")
    out["zone_illegal"] = False
    frames.blank_columns(out, "zone_article", "zone_penalty")
    if zones is not None and not zones.empty and len(out):
        order = [v.value for v in get_spec("protection_zones").field("level").values]
        rank = {lv: i for i, lv in enumerate(order)}
        frames.check_frame(zones, "protection_zones")
        hits = _outlets_in_zones(outlets, zones, zone_hits).reset_index(names="_row")
        hits["_rank"] = hits["level"].map(lambda lv: rank.get(lv, len(order)))
        _set_rows(out, *_zone_values(hits.sort_values(["_row", "_rank"])))
    category = out.get("category", pd.Series([None] * len(out), index=out.index, dtype=object))
    out["zone_category_mismatch"] = out["zone_illegal"].to_numpy(dtype=bool) & ~(
        frames.text_equals(category, CLOSE_DOWN)
    )
    out["in_red_line"] = False
    frames.blank_columns(out, "red_line_codes", "red_line_names", "red_line_rule")
    if red_lines is not None and not red_lines.empty and len(out):
        frames.check_frame(red_lines, "red_lines")
        _set_rows(out, *_red_line_values(outlets, red_lines))
    return out


def zone_flags(zones: gpd.GeoDataFrame, outlets: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """Return `zones` with ``outlet_count``, ``outlet_codes`` and ``has_illegal_outlets`` added.

    ``has_illegal_outlets`` is true for a 一级 or 二级 zone with at least one outlet inside
    (水污染防治法 第六十四条).
    """
    frames.check_frame(zones, "protection_zones")
    frames.check_frame(outlets, "outlets")
    return _zone_flags(zones, outlets, None)


def _zone_flags(
    zones: gpd.GeoDataFrame, outlets: gpd.GeoDataFrame, hits: _Hits | None
) -> gpd.GeoDataFrame:
    """`zone_flags` of checked frames; `hits` if `flag_layers` has them already."""
    out = zones.copy()
    counts = np.zeros(len(zones), dtype=int)
    codes = np.full(len(zones), None, dtype=object)
    if len(zones) and len(outlets):
        o_pos, z_pos = frames.hits(outlets, zones) if hits is None else hits
        order = np.lexsort((o_pos, z_pos))  # by zone, then outlet
        o_pos, z_pos = o_pos[order], z_pos[order]
        counts += np.bincount(z_pos, minlength=len(zones))
        starts, ends = frames.group_bounds(z_pos)
        texts = [str(c) for c in outlets["code"].to_numpy(dtype=object)[o_pos]]
        codes[z_pos[starts]] = frames.join_groups(texts, starts, ends)
    out["outlet_count"] = counts
    out["outlet_codes"] = pd.Series(codes, index=out.index, dtype=object)
    forbidden = zones["level"].map(
        lambda lv: bool(OUTLET_ZONE_RULES.get(lv, None) and OUTLET_ZONE_RULES[lv].outlet_forbidden)
    )
    out["has_illegal_outlets"] = (counts > 0) & forbidden.to_numpy(dtype=bool)
    return out


# ------------------------------------------------------------------------------ status columns

STATUS_COLUMNS: Mapping[str, tuple[str, ...]] = MappingProxyType(
    {"outlets": ("overdue",), "sections": ("class", "meets_target"), "problems": ("card",)}
)
"""The status columns `with_status` adds that the app filters on or colours by, per layer: such
a layer's map tiles follow the period, and are never cut by the database from stored columns."""


def status_date(period: Period = None) -> dt.date:
    """The date that decides what is overdue: the end of `period`, or today without one."""
    if period is None:
        return times.today()  # Beijing: a UTC server is on yesterday until 08:00
    return period_bounds(period)[1].date()


def overdue(outlets: pd.DataFrame, as_of: dt.date | str | None = None) -> pd.Series:
    """Whether each outlet is overdue at `as_of` (default today), as a bool ``overdue`` Series.

    Overdue: the deadline is strictly before `as_of` and the outlet is not rectified
    (`geomon.rules.outlets.is_overdue`, DOMAIN.md §2.4).
    """
    late = ro.is_overdue(outlets, as_of).to_numpy(dtype=bool)
    return pd.Series(late, index=outlets.index, name="overdue")


def with_status(
    layer: str,
    frame: pd.DataFrame,
    *,
    period: Period = None,
    as_of: dt.date | str | None = None,
    monitoring: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """
    Return `frame` of `layer` with the status columns the app shows (new frame, same index).

    Outlets get ``overdue`` at `as_of` (default: `status_date(period)`); sections get their
    class over `period` from `monitoring` and the target flags (`section_flags`); problems their
    ``card`` and ``days_overdue`` at the same date (`geomon.rules.supervision`). Other layers
    are returned as they are.
    """
    if layer == "outlets":
        late = overdue(frame, status_date(period) if as_of is None else as_of).to_numpy()
        return frame.assign(overdue=late)  # copy-on-write: the other columns are shared
    if layer == "sections":
        data = monitoring if monitoring is not None else pd.DataFrame()
        return section_flags(frame, section_results(frame, data, period=period))
    if layer == "problems":  # issue #20: the red/yellow card at the same date as overdue
        when = status_date(period) if as_of is None else as_of
        return frame.assign(
            card=sup_rules.cards(frame, when).astype("object"),
            days_overdue=sup_rules.days_overdue(frame, when),
        )
    return frame


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
        hits = None  # outlets × zones: asked once for the outlets' and the zones' flags
        if zones is not None:
            frames.check_frame(outlets, "outlets")
            frames.check_frame(zones, "protection_zones")
            hits = frames.hits(outlets, zones)
        out["outlets"] = _outlet_flags(outlets, zones, get("red_lines"), hits)
        out["ledger"] = ledger_findings(
            outlets, rivers=get("rivers"), lakes=get("lakes"), districts=get("districts")
        )
        if zones is not None:
            out["protection_zones"] = _zone_flags(zones, outlets, hits)
    if sections is not None:
        out["sections"] = with_status(
            "sections", sections, period=period, monitoring=get("monitoring")
        )
    return out
