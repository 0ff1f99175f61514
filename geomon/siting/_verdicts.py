"""From measured conflicts to the check's result frames.

The zone rules applied to the conflicts (verdicts, reasons, citations), conflicts ordered worst
first per project, one summary row per project, and the conflicting features for maps. Split
from `_check`, which loads the inputs and measures each layer's conflicts.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd

from geomon.crs import WGS84  # a CRS object: geopandas parses an EPSG code each time
from geomon.rules import zones
from geomon.siting import measure
from geomon.siting._columns import CONFLICT_COLUMNS, PROJECT_COLUMNS

Columns = dict[str, np.ndarray]  # one array per column, every array the same length


@dataclass(frozen=True, slots=True)
class LayerHits:
    """One layer's conflicts: their columns, and what the map of conflicting features needs."""

    columns: Columns
    shown: dict[str, Any]  # feature id, name and level as the frame holds them (None: no field)
    geoms: np.ndarray  # the layer's geometries, by row position


def _combine(parts: list[Columns]) -> Columns:
    """Concatenate the layers' columns; where a layer lacks a column it is NaN (as `pd.concat`)."""
    names = dict.fromkeys(c for part in parts for c in part)
    out = {}
    for c in names:
        arrays = [
            p[c] if c in p else np.full(len(p["project"]), np.nan, dtype=object) for p in parts
        ]
        out[c] = np.concatenate(arrays) if len(arrays) > 1 else arrays[0]
    return out


def _could_match(rule: zones.ZoneRule, layer: str, relation: str, level: str | None) -> bool:
    """Whether `rule` can apply to a conflict of `relation` with a `level` feature of `layer`
    (the rule's other conditions, on the project and feature fields, are not looked at)."""
    return (
        rule.layer in (zones.ANY_LAYER, layer)
        and relation in rule.relations
        and (rule.levels is None or (level is not None and level in rule.levels))
    )


def _candidate_rules(
    cols: Columns, taken: Mapping[str, Any], rules: zones.ZoneRules
) -> zones.ZoneRules:
    """`rules` without the rows and allowed activities that none of these conflicts can match.

    `zones.apply_rules` tests every row of the table and every allowed activity with a few
    pandas operations each, which is most of a one-project check. A row is kept when some
    conflict has its layer, relation and level; an allowed activity when some project has one
    of its kinds or activities. What is left out can never match, and the first match wins in
    table order (kept), so no verdict, rule, item or reason changes.
    """
    levels = [None if pd.isna(v) else str(v) for v in cols["level"]]
    seen = set(zip(cols["layer"].tolist(), cols["relation"].tolist(), levels, strict=True))
    keep = tuple(r for r in rules.rules if any(_could_match(r, *s) for s in seen))
    kinds = {k for k in taken["kind"] if isinstance(k, str)}
    stripped = pd.Series(taken["activity"], copy=False).astype("string").str.strip()
    acts = set(stripped.dropna().tolist())  # stripped as zones.allowed_items strips them
    items = tuple(
        a for a in rules.allowed_activities if kinds & set(a.kinds) or acts & set(a.activities)
    )
    if len(keep) == len(rules.rules) and len(items) == len(rules.allowed_activities):
        return rules
    return dataclasses.replace(rules, rules=keep, allowed_activities=items)


RECORDS_UP_TO = 64  # conflicts judged one record at a time (`zones.apply_rules_to_records`)


def _apply_rules(
    cols: Columns, taken: Mapping[str, Any], rules: zones.ZoneRules, buffer_m: float
) -> dict[str, Any]:
    """`zones.apply_rules` on just the columns the rule table reads: one array per result column.

    Up to `RECORDS_UP_TO` conflicts (a check of a few projects) are judged as plain records,
    which costs microseconds where the frame's rule masks cost milliseconds; more go in as one
    block of plain objects to the vectorised rule masks. Both give the same verdicts and texts.
    """
    facts = {c: cols[c] for c in ("layer", "layer_title", "relation", "name", "level", "admission")}
    facts |= {c: taken[c] for c in ("kind", "activity", "discharges_wastewater")}
    facts |= {c: v for c, v in cols.items() if c.startswith("feature.")}
    facts["distance_m"] = cols["distance_m"]
    n = len(cols["layer"])
    if n <= RECORDS_UP_TO:
        lists = [np.asarray(v, dtype=object).tolist() for v in facts.values()]
        records = [dict(zip(facts, row, strict=True)) for row in zip(*lists, strict=True)]
        judged = zones.apply_rules_to_records(records, rules, buffer_m=buffer_m)
        out: dict[str, Any] = {
            c: pd.array([j[k] for j in judged], dtype="str")
            for k, c in enumerate(("verdict", "rule_id", "citation", "reason_zh", "reason_en"))
        }
        out["allowed_item"] = pd.array([j[5] for j in judged], dtype="Int64")
        return out
    block = np.empty((n, len(facts)), dtype=object)
    for j, values in enumerate(facts.values()):
        block[:, j] = np.asarray(values, dtype=object)
    frame = pd.DataFrame(block, columns=list(facts), dtype=object, copy=False)
    ruled = zones.apply_rules(frame, _candidate_rules(cols, taken, rules), buffer_m=buffer_m)
    return {c: ruled[c].array for c in ruled.columns}


def assemble_conflicts(
    measured: list[Columns],
    attrs: pd.DataFrame,
    rules: zones.ZoneRules,
    buffer_m: float,
    index: pd.Index,
) -> tuple[pd.DataFrame, np.ndarray]:
    """Every conflict with its project, verdict and rule, worst first per project, and the
    position of each conflict's project.

    Built from plain arrays in one go: a check of one project has a handful of conflicts, and
    growing a DataFrame column by column cost more than measuring them (issue 7).
    """
    if not measured:
        empty = pd.DataFrame({c: pd.Series(dtype="object") for c in CONFLICT_COLUMNS})
        return empty, np.zeros(0, dtype=np.int64)
    cols = _combine(measured)
    for c in ("feature_id", "name", "level", "admission"):
        cols[c] = pd.array(cols[c], dtype="string")
    ppos = cols["project"].astype(np.int64)
    taken = {c: attrs[c].array.take(ppos) for c in attrs.columns}
    ruled = _apply_rules(cols, taken, rules, buffer_m)
    severity = np.array([zones.severity(v) for v in ruled["verdict"]], dtype=np.int64)
    # worst first per project, then layer order, nearest, largest overlap, then the feature's
    # row in its layer (stored order: the same on every backend, in memory or in the database)
    order = np.lexsort(
        (
            cols["feature"],
            -cols["overlap_area_m2"],
            cols["distance_m"],
            cols["_layer_pos"],
            -severity,
            ppos,
        )
    )
    epsg = cols["metric_epsg"][order].astype(np.int64)
    data: dict[str, Any] = {
        "project": ppos[order],
        "project_id": taken["id"].take(order),
        "project_name": taken["name"].take(order),
        "layer": pd.array(cols["layer"][order], dtype="str"),
        "layer_title": pd.array(cols["layer_title"][order], dtype="str"),
        "relation": pd.array(cols["relation"][order].astype(object), dtype="str"),
        "metric_crs": pd.array([f"EPSG:{c}" for c in epsg.tolist()], dtype="str"),
        "admission": cols["admission"].take(order),
        "feature_row": cols["feature"][order].astype(np.int64),
    }
    data |= {c: cols[c].take(order) for c in ("feature_id", "name", "level")}
    data |= {c: values.take(order) for c, values in ruled.items()}
    data |= {
        c: cols[c][order] for c in measure.PAIR_COLUMNS if c not in data and c in CONFLICT_COLUMNS
    }
    frame = pd.DataFrame({c: data[c] for c in CONFLICT_COLUMNS}, copy=False)
    frame["project"] = index[ppos[order]]
    return frame, ppos[order]


def _reasons(
    verdicts: list[str], zh: list[str], en: list[str], cites: list[str], buffer_m: float
) -> tuple[str, str, str]:
    """Join a project's distinct reasons, worst first; say so when nothing is in the way."""
    shown = [i for i, v in enumerate(verdicts) if v != "clear"]
    if shown:
        pick = shown
        lead_zh, lead_en = [], []
    else:
        pick = list(range(len(verdicts)))
        lead_zh = [f"{buffer_m:,.0f} m 范围内未发现禁止、限制或需关注的情形"]
        lead_en = [f"nothing prohibited, restricted or to watch within {buffer_m:,.0f} m"]
    return (
        "；".join(dict.fromkeys(lead_zh + [zh[i] for i in pick])),
        "; ".join(dict.fromkeys(lead_en + [en[i] for i in pick])),
        "；".join(dict.fromkeys(cites[i] for i in shown)),
    )


def summarise(
    attrs: pd.DataFrame,
    geoms: np.ndarray,
    epsg: np.ndarray,
    conflicts: pd.DataFrame,
    positions: np.ndarray,
    buffer_m: float,
) -> pd.DataFrame:
    """One row per project: measures, the worst verdict and the reasons (`positions`: the
    project of each conflict)."""
    measures = measure.measure_projects(geoms, epsg)
    n = len(attrs)
    verdicts, zh, en, cites = (
        conflicts[c].tolist() for c in ("verdict", "reason_zh", "reason_en", "citation")
    )
    severity = np.zeros(n, dtype=np.int64)
    np.maximum.at(severity, positions, np.array([zones.severity(v) for v in verdicts], np.int64))
    # plain lists: one pass over the conflicts (already ordered worst first per project)
    mine: list[list[int]] = [[] for _ in range(n)]
    for i, p in enumerate(positions.tolist()):
        mine[p].append(i)
    texts = [
        _reasons(
            [verdicts[i] for i in rows],
            [zh[i] for i in rows],
            [en[i] for i in rows],
            [cites[i] for i in rows],
            buffer_m,
        )
        for rows in mine
    ]
    data: dict[str, Any] = {c: attrs[c].array for c in attrs.columns}
    data |= {
        c: measures[c] for c in ("area_m2", "area_geodesic_m2", "length_m", "length_geodesic_m")
    }
    data["metric_crs"] = [f"EPSG:{c}" for c in epsg]
    data["verdict"] = [zones.VERDICTS[s] for s in severity]
    data["n_conflicts"] = np.bincount(positions, minlength=n)
    data["reason_zh"] = [t[0] for t in texts]
    data["reason_en"] = [t[1] for t in texts]
    data["citations"] = [t[2] for t in texts]
    return pd.DataFrame({c: data[c] for c in PROJECT_COLUMNS}, index=attrs.index)


def _kind(values: Any) -> str | None:
    """The dtype pandas gives a frame column of `values` (an object array or list) when that is
    plain: all strings (missing ones aside) → "str", nothing or whole numbers → object; None for
    anything else (dates, numeric arrays, mixtures: pandas decides)."""
    if not (isinstance(values, list) or values.dtype == object):
        return None
    return {"string": "str", "empty": "object", "integer": "object"}.get(
        pd.api.types.infer_dtype(values, skipna=True)
    )


def _features_columns(columns: dict[str, list[Any]]) -> dict[str, pd.Series] | None:
    """The shown columns of every layer joined, each typed as `pd.concat` of one frame per layer
    types it (str when every layer's part is, else object); None when a part is of another kind
    (then one frame per layer and `pd.concat`, pandas' own rules)."""
    data: dict[str, pd.Series] = {}
    for name, parts in columns.items():
        kinds = {_kind(part) for part in parts}
        if None in kinds:
            return None
        joined = np.concatenate([np.asarray(part, dtype=object) for part in parts])
        data[name] = pd.Series(joined, dtype="str" if kinds == {"str"} else object, copy=False)
    return data


def conflicting_features(
    conflicts: pd.DataFrame, hits: Mapping[str, LayerHits]
) -> gpd.GeoDataFrame:
    """The features that appear in `conflicts`, one row each, for maps (EPSG:4326)."""
    names, rows, shown, geoms = [], [], {"feature_id": [], "name": [], "level": []}, []
    for name in dict.fromkeys(conflicts["layer"].tolist()):  # in order of first appearance
        found = hits[name]
        pos, first = np.unique(found.columns["feature"], return_index=True)
        names.append(np.full(len(pos), name, dtype=object))
        rows.append(pos)
        for column, parts in shown.items():
            values = found.shown[column]
            parts.append([None] * len(first) if values is None else values[first])
        geoms.append(found.geoms[pos])
    if not names:
        return gpd.GeoDataFrame(
            {
                c: pd.Series(dtype="object")
                for c in ("layer", "feature_row", "feature_id", "name", "level")
            },
            geometry=gpd.GeoSeries([], crs=WGS84),
            crs=WGS84,
        )
    data = _features_columns(shown)
    if data is None:  # a column of numbers: one frame per layer, pandas types the whole
        parts = [
            pd.DataFrame({"layer": n[0], "feature_row": r} | {c: v[i] for c, v in shown.items()})
            for i, (n, r) in enumerate(zip(names, rows, strict=True))
        ]
        frame = pd.concat(parts, ignore_index=True) if len(parts) > 1 else parts[0]
    else:
        frame = pd.DataFrame(
            {
                "layer": pd.array(np.concatenate(names), dtype="str"),
                "feature_row": np.concatenate(rows).astype(np.int64),
            }
            | data,
            copy=False,
        )
    return gpd.GeoDataFrame(frame, geometry=np.concatenate(geoms), crs=WGS84)
