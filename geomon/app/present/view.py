"""The app's filterable *view*: which filters exist, what they offer, and the filtered layers.

Pure functions (no Streamlit), so the whole filter contract is unit-tested without a browser:

- `DIMS` are the sidebar filters. Each is one URL parameter mapped onto a column of one or more
  layers (``district`` filters the districts layer by name and every layer whose spec lists
  ``district`` in ``filter_fields`` by it: outlets, sections, zones, problems, inspections, …).
  Their columns are the specs' ``filter_fields`` plus the status columns
  `geomon.analysis.compliance.with_status` adds (``overdue``, ``class``, ``meets_target``:
  `geomon.analysis.compliance.STATUS_COLUMNS`). `extra_dims` adds every other spec filter field
  of the outlets and sections layers, so a field added to ``filter_fields`` shows up with no code.
- `with_status` adds those columns to every layer for a period; `filter_layers` applies a
  selection to every layer alike (map, tables, statistics and exports use the same frames).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import pandas as pd

from geomon import filters
from geomon.analysis import compliance
from geomon.rules import supervision as sup_rules
from geomon.rules import water_quality as wq
from geomon.specs import Label, get_spec, layer_names

PERIOD = "period"  # URL parameter of the monitoring period ("2023", "2023-03", "2023-01..2023-06")


@dataclass(frozen=True, slots=True)
class Dim:
    """One sidebar filter: a URL parameter over a column of each of `targets` (layer → column)."""

    key: str
    label: Label
    targets: Mapping[str, str]
    flag: bool = False  # a checkbox "only …": keeps rows whose column is true
    values: tuple[tuple[str, Label], ...] = field(default=())  # fixed options, else spec/data


def _label(layer: str, column: str) -> Label:
    return get_spec(layer).field(column).label


def _district_targets() -> dict[str, str]:
    """The 行政区 filter's columns: the districts layer's name, and ``district`` of every layer
    that lists it in ``filter_fields`` (outlets first, as the filter offers their values first)."""
    targets = {"outlets": "district", "sections": "district", "districts": "name"}
    for name in layer_names():
        if name not in targets and "district" in get_spec(name).filter_fields:
            targets[name] = "district"
    return targets


DIMS: tuple[Dim, ...] = (
    Dim("district", Label("行政区", "District"), _district_targets()),
    Dim(
        "river",
        Label("河流/水体", "River / water body"),
        {"outlets": "receiving_water", "sections": "river", "rivers": "name", "lakes": "name"},
    ),
    Dim("type", _label("outlets", "type_l1"), {"outlets": "type_l1"}),
    Dim("category", _label("outlets", "category"), {"outlets": "category"}),
    Dim("stage", _label("outlets", "stage"), {"outlets": "stage"}),
    Dim("overdue", Label("只看逾期未完成整治", "Overdue only"), {"outlets": "overdue"}, flag=True),
    Dim("level", Label("断面级别", "Section level"), {"sections": "control_level"}),
    Dim(
        "class",
        Label("水质类别", "Water-quality class"),
        {"sections": "class"},
        values=tuple(wq.CLASS_LABELS.items()),
    ),
    Dim(
        "meets",
        Label("是否达标", "Meets target"),
        {"sections": "meets_target"},
        values=(("1", Label("达标", "Meets target")), ("0", Label("未达标", "Fails target"))),
    ),
    # not in the sidebar: the map sets it (open problems only, unless closed ones are asked for)
    Dim("problem_status", _label("problems", "status"), {"problems": "status"}),
)


def open_problems(selection: Mapping[str, Sequence[str]]) -> dict[str, list]:
    """`selection` keeping only open problems (every status but 已销号, the workflow's end in
    ``geomon/rules/supervision.toml``): on the map a closed problem is history, not a task."""
    closed = sup_rules.rules().closed
    statuses = [v.value for v in get_spec("problems").field("status").values]
    return {**selection, "problem_status": [s for s in statuses if s != closed]}


def extra_dims(layers: Sequence[str] = ("outlets", "sections")) -> tuple[Dim, ...]:
    """Every other ``filter_fields`` entry of `layers`, as ``<layer>.<field>`` parameters."""
    covered = {(layer, col) for d in DIMS for layer, col in d.targets.items()}
    return tuple(
        Dim(f"{layer}.{name}", _label(layer, name), {layer: name})
        for layer in layers
        for name in get_spec(layer).filter_fields
        if (layer, name) not in covered
    )


ALL_DIMS: tuple[Dim, ...] = DIMS + extra_dims()


def _text(value: object) -> str:
    return ("1" if value else "0") if isinstance(value, bool) else str(value)


def options(dim: Dim, frames: Mapping[str, pd.DataFrame]) -> list[str]:
    """The values `dim` offers (as URL text), from its fixed list, the specs or the data."""
    if dim.flag:
        return ["1"]
    if dim.values:
        return [code for code, _ in dim.values]
    out: dict[str, None] = {}
    for layer, column in dim.targets.items():
        frame = frames.get(layer)
        if frame is not None:
            out.update(dict.fromkeys(_text(v) for v in filters.choices(frame, layer, column)))
    return list(out)


def option_label(dim: Dim, value: str, lang: str = "zh") -> str:
    """How `value` of `dim` is shown: a fixed label, an enum label, 是/否, or the value."""
    for code, label in dim.values:
        if code == value:
            return label.get(lang)
    for layer, column in dim.targets.items():
        spec = get_spec(layer)
        if column in spec.field_names:
            fld = spec.field(column)
            if fld.type == "enum":
                return fld.value_label(value, lang)
            if fld.type == "bool":
                yes = value == "1"
                return ("是" if yes else "否") if lang == "zh" else ("Yes" if yes else "No")
    return value


def allowed(frames: Mapping[str, pd.DataFrame], periods: Sequence[str] = ()) -> dict[str, list]:
    """The URL allow-list: every parameter of a present layer, with the values it may take."""
    out = {d.key: options(d, frames) for d in ALL_DIMS if any(t in frames for t in d.targets)}
    out[PERIOD] = list(periods)
    return out


def layer_selection(layer: str, selection: Mapping[str, Sequence[str]]) -> dict[str, list]:
    """The part of `selection` (parameter → values) that applies to `layer`, by column."""
    out: dict[str, list] = {}
    for dim in ALL_DIMS:
        column = dim.targets.get(layer)
        values = selection.get(dim.key)
        if column is not None and values:
            out[column] = ["1"] if dim.flag else list(values)
    return out


def filter_layers(
    frames: Mapping[str, pd.DataFrame],
    selection: Mapping[str, Sequence[str]],
    *,
    period: str | tuple[str, str] | None = None,
) -> dict[str, pd.DataFrame]:
    """
    Apply `selection` to each frame alike (rows are selected; the frames are not modified).

    The ``monitoring`` table follows the sections: it keeps the rows of the sections left
    after filtering, sampled within `period`.
    """
    out = {
        name: filters.apply_filters(frame, name, layer_selection(name, selection))
        for name, frame in frames.items()
        if name != "monitoring"
    }
    monitoring = frames.get("monitoring")
    if monitoring is not None:
        if "sections" in out and len(out["sections"]) < len(frames["sections"]):
            codes = out["sections"]["code"].astype(object)
            monitoring = monitoring[monitoring["section_code"].isin(codes).to_numpy(dtype=bool)]
        if period is not None and len(monitoring):
            monitoring = compliance.select_period(monitoring, period)
        out["monitoring"] = monitoring
    return out


SEARCH_COLUMNS = ("layer", "code", "name", "lat", "lon")


def search(
    frames: Mapping[str, pd.DataFrame],
    text: str,
    *,
    layers: Sequence[str] = ("outlets", "sections"),
    limit: int = 50,
) -> pd.DataFrame:
    """
    Features of `layers` whose spec ``search_fields`` contain `text` (case-insensitive).

    Exact code matches come first. One row per feature: layer, code (the id field), name, and
    the lat/lon of a point on it, for zooming the map there.
    """
    needle = text.strip().casefold()
    rows: list[pd.DataFrame] = []
    for layer in layers:
        frame = frames.get(layer)
        if not needle or frame is None or frame.empty:
            continue
        spec = get_spec(layer)
        fields = [f for f in spec.search_fields if f in frame.columns]
        hay = [frame[f].astype("string").str.casefold() for f in fields]
        hit = pd.concat([h.str.contains(needle, regex=False) for h in hay], axis=1).any(axis=1)
        found = frame[hit.fillna(False).to_numpy(dtype=bool)]
        points = found.geometry.representative_point()
        rows.append(
            pd.DataFrame(
                {
                    "layer": layer,
                    "code": found[spec.id_field].astype(object).to_numpy(),
                    "name": found[spec.name_field].astype(object).to_numpy()
                    if spec.name_field
                    else None,
                    "lat": points.y.to_numpy(),
                    "lon": points.x.to_numpy(),
                }
            )
        )
    if not rows:
        return pd.DataFrame(columns=list(SEARCH_COLUMNS))
    out = pd.concat(rows, ignore_index=True)
    exact = out["code"].astype("string").str.casefold() == needle
    return out.iloc[(~exact).argsort(kind="stable")].head(limit).reset_index(drop=True)


def monthly_classes(
    sections: pd.DataFrame,
    monitoring: pd.DataFrame,
    *,
    period: str | tuple[str, str] | None = None,
) -> pd.DataFrame:
    """
    Each section's class month by month (`geomon.analysis.compliance.section_results` per month).

    Columns: section_code, name, control_level, month (``"2023-03"``), class (None when the
    section has no sample that month). Months span `period`, or all the monitoring data.
    """
    columns = ["section_code", "name", "control_level", "month", "class"]
    if monitoring is None or monitoring.empty or sections.empty:
        return pd.DataFrame(columns=columns)
    data = compliance.select_period(monitoring, period) if period is not None else monitoring
    months = sorted({str(p) for p in pd.to_datetime(data["date"]).dt.to_period("M")})
    parts = []
    for month in months:
        res = compliance.section_results(sections, data, period=month).assign(month=month)
        parts.append(res[[c for c in columns if c in res.columns]])
    if not parts:
        return pd.DataFrame(columns=columns)
    out = pd.concat(parts, ignore_index=True).reindex(columns=columns).astype(object)
    return out.where(out.notna(), None)


def for_sections(table: pd.DataFrame, sections: pd.DataFrame) -> pd.DataFrame:
    """Rows of a per-section `table` (``section_code``) for the `sections` kept by the filters."""
    codes = sections["code"].astype(object)
    return table[table["section_code"].isin(codes).to_numpy(dtype=bool)]


LIST_ROWS = 500  # rows of a long list on a page; its CSV download has them all
CHART_GROUPS = 30  # bars of a progress chart: a nation has 2,800 counties


def largest(rows: Sequence[Mapping[str, Any]], by: str, limit: int = CHART_GROUPS) -> list:
    """The `limit` rows with the largest `by` (ties keep their order), in their order: a chart
    of the groups that matter; the table beside it keeps every row."""
    if len(rows) <= limit:
        return list(rows)
    keep = sorted(range(len(rows)), key=lambda i: -rows[i][by])[:limit]
    return [rows[i] for i in sorted(keep)]


HEATMAP_SECTIONS = 40  # rows of the monthly-class chart: a province has hundreds of sections


def worst_sections(monthly: pd.DataFrame, limit: int = HEATMAP_SECTIONS) -> pd.DataFrame:
    """The rows of the `limit` sections with the worst monthly class (``class``, GB 3838 order),
    ties by section code, in the table's order: the monthly chart of a province or the nation
    shows the sections that need attention, not thousands of rows."""
    codes = monthly["section_code"].astype(str)
    if codes.nunique() <= limit:
        return monthly
    rank = monthly["class"].map({c: i for i, c in enumerate(wq.CLASSES)}).fillna(-1)
    worst = rank.groupby(codes).max().reset_index(name="rank")
    worst = worst.sort_values(["rank", "section_code"], ascending=[False, True]).head(limit)
    return monthly[codes.isin(worst["section_code"]).to_numpy()]


def stored_rows(stored: pd.DataFrame, filtered: pd.DataFrame) -> pd.DataFrame:
    """The rows of the stored layer that `filtered` kept: exports carry stored columns only."""
    return stored[stored.index.isin(filtered.index)]


def with_status(
    layers: Mapping[str, pd.DataFrame],
    *,
    period: str | tuple[str, str] | None = None,
) -> dict[str, pd.DataFrame]:
    """
    Return `layers` with the status columns the filters and map use (new frames, same index).

    Each layer goes through `geomon.analysis.compliance.with_status` for `period` (outlets:
    ``overdue`` at the period's end; sections: class and target flags from the ``monitoring``
    table; problems: their card, and ``map_card`` (`with_map_card`)); the others, ``monitoring``
    included, are passed through unchanged.
    """
    monitoring = layers.get("monitoring")
    out = {
        name: compliance.with_status(name, frame, period=period, monitoring=monitoring)
        for name, frame in layers.items()
    }
    if "problems" in out:
        out["problems"] = with_map_card(out["problems"])
    return out


def with_map_card(problems: pd.DataFrame) -> pd.DataFrame:
    """`problems` (with ``card``) plus ``map_card``, what the map colours them by: the card, or
    ``"closed"`` for a closed (已销号) problem, so the legend counts closed ones apart from open
    ones without a card (both have no card)."""
    closed = problems["status"].astype("object").eq(sup_rules.rules().closed).to_numpy(dtype=bool)
    card = problems["card"].astype("object").to_numpy(copy=True)
    card[closed] = "closed"
    return problems.assign(map_card=card)


__all__ = [
    "ALL_DIMS",
    "DIMS",
    "PERIOD",
    "SEARCH_COLUMNS",
    "Dim",
    "allowed",
    "extra_dims",
    "filter_layers",
    "for_sections",
    "layer_selection",
    "monthly_classes",
    "open_problems",
    "option_label",
    "options",
    "search",
    "stored_rows",
    "with_map_card",
    "with_status",
]
