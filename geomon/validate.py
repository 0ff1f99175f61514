"""Validate a frame against its layer spec: every problem, with row, field, code and message.

`validate` coerces raw values (as readers return them) to the spec's types, canonicalises enum
aliases ("一级保护区" → "一级"), and collects an `Issue` for every bad value and geometry. Nothing
is dropped silently: a bad value becomes missing in the typed frame *and* an error in the report.
Geometry is repaired with ``make_valid`` only when asked, and the repair is reported.

Issue codes (stable; the CLI's JSON and the app use them):

=====================  ==========================================================
missing_value          a required field is empty
bad_enum               a value is not one of the field's allowed values
bad_type               a number or yes/no value cannot be parsed
bad_date               a date cannot be parsed
bad_format             a text does not match the field's pattern (e.g. GB/T 2260)
out_of_range           a number is below the field's min or above its max
duplicate_id           two rows share the layer's id
missing_geometry       a spatial layer's row has no geometry
empty_geometry         the geometry is empty
invalid_geometry       the geometry is invalid (self-intersection, …)
wrong_geometry_type    e.g. a line in a point layer
outside_china          coordinates outside China
swapped_coordinates    longitude and latitude look swapped
unknown_field          a column the spec does not know (warning; not stored)
formula_text           a text starts like a spreadsheet formula (warning; stored as text)
repaired_geometry      an invalid geometry was repaired with make_valid (warning)
=====================  ==========================================================

Longer than ~450 lines because it is one contract: every code in the table above is produced
here, beside the table.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from geomon import crs as gcrs
from geomon import frames
from geomon.errors import LayerSpecError
from geomon.io import cells
from geomon.messages import Issue, ValidationReport, message
from geomon.rules import outlet_codes
from geomon.specs import FieldSpec, LayerSpec, get_spec

_TRUE = {"是", "有", "已设立", "已设置", "y", "yes", "true", "t", "1", "√", "✓"}
_FALSE = {"否", "无", "未设立", "未设置", "n", "no", "false", "f", "0", "×", "✗"}
_GEOM_FAMILIES = {
    "Point": {"Point", "MultiPoint"},
    "LineString": {"LineString", "MultiLineString"},
    "Polygon": {"Polygon", "MultiPolygon"},
}
_EXCEL_EPOCH = pd.Timestamp("1899-12-30")
_CN_DATE = re.compile(r"^\s*(\d{4})\s*[年./-]\s*(\d{1,2})\s*[月./-]\s*(\d{1,2})\s*日?\s*$")
_CN_MONTH = re.compile(r"^\s*(\d{4})\s*[年./-]\s*(\d{1,2})\s*月?\s*$")


@dataclass(frozen=True, slots=True)
class Validated:
    """A typed frame (same index as the input) and the report of everything wrong with it."""

    frame: pd.DataFrame
    report: ValidationReport


def _is_blank(series: pd.Series, stripped: pd.Series | None = None) -> pd.Series:
    """Missing or whitespace-only cells (`stripped`: `frames.strip` of a text column)."""
    return pd.Series(frames.blank_mask(series, stripped), index=series.index)


def _text(value: object) -> str:
    if isinstance(value, float) and value.is_integer():
        return str(int(value))  # Excel gives 420100.0 for a code typed as a number
    return str(value).strip()


def _parse_date(value: object) -> pd.Timestamp | None:
    """Parse one date cell: datetime, ISO or Chinese text, or an Excel serial day number."""
    if isinstance(value, pd.Timestamp | dt.datetime | dt.date):
        return pd.Timestamp(value).normalize()
    if isinstance(value, int | float | np.integer | np.floating):
        if 1 <= float(value) <= 80000:  # Excel serial days (1900 date system)
            return (_EXCEL_EPOCH + pd.Timedelta(days=int(value))).normalize()
        return None
    text = str(value).strip()
    m = _CN_DATE.match(text)
    if m:
        y, mo, d = (int(g) for g in m.groups())
    else:
        m = _CN_MONTH.match(text)
        if not m:
            try:
                return pd.Timestamp(dt.date.fromisoformat(text[:10]))
            except ValueError:
                return None
        (y, mo), d = (int(g) for g in m.groups()), 1
    try:
        return pd.Timestamp(dt.date(y, mo, d))
    except ValueError:
        return None


def _parse_bool(value: object) -> bool | None:
    if isinstance(value, bool | np.bool_):
        return bool(value)
    text = _text(value).lower()
    if text in _TRUE:
        return True
    if text in _FALSE:
        return False
    return None


def _keep(values: pd.Series, keep: pd.Series | np.ndarray) -> pd.Series:
    """``values.where(keep)``, without the copy when every cell is kept (most columns)."""
    return values if np.all(keep) else values.where(keep)


def _numbers(values: pd.Series, stripped: pd.Series | None) -> pd.Series:
    """`values` as numbers (NaN where not a number); text is stripped first."""
    if frames.holds_no_text(values):
        return pd.to_numeric(values, errors="coerce")
    if stripped is not None:
        return pd.to_numeric(_keep(stripped, values.notna()), errors="coerce")
    return pd.to_numeric(
        values.map(lambda v: v if pd.isna(v) or not isinstance(v, str) else v.strip()),
        errors="coerce",
    )


def _booleans(values: pd.Series) -> pd.arrays.BooleanArray:
    """`values` parsed as yes/no (`_parse_bool`); NA where missing or not a yes/no value."""
    if pd.api.types.is_bool_dtype(values.dtype):
        return pd.array(values.astype("boolean"), dtype="boolean")
    return pd.array(frames.map_cells(values, _parse_bool, "boolean"), dtype="boolean")


def _dates(values: pd.Series) -> pd.Series:
    """`values` parsed as dates (`_parse_date`), as ``datetime64[ms]``; NaT where not a date."""
    if isinstance(values.dtype, np.dtype) and values.dtype.kind == "M":  # naive datetimes
        return values.dt.normalize().astype("datetime64[ms]")
    parsed = frames.map_cells(values, _parse_date)
    return pd.to_datetime(parsed, errors="coerce").astype("datetime64[ms]")


def _coerce_field(
    raw: pd.Series, spec: FieldSpec, blank: pd.Series, stripped: pd.Series | None
) -> tuple[pd.Series | pd.api.extensions.ExtensionArray, pd.Series, str, str, str]:
    """Return (typed values, bad mask, code, zh reason, en reason) for one field.

    `blank` is `_is_blank` of `raw`, `stripped` its text stripped if it is a text column
    (`frames.is_text_column`), else None. Text cells are parsed once per distinct value (a
    ledger repeats its enum values, dates and flags), so a national layer is typed in well
    under a second; the result is the same as parsing every cell.
    """
    present = ~blank
    values = _keep(raw, present)
    if spec.type == "enum":
        canon = frames.map_cells(values, lambda v: spec.canonical(_text(v)), "str")
        allowed = "、".join(v.value for v in spec.values)
        return (
            _keep(canon.astype("str"), canon.notna()),
            present & canon.isna(),
            "bad_enum",
            f"不是允许的取值（{allowed}）",
            f"not an allowed value ({', '.join(v.value for v in spec.values)})",
        )
    if spec.type in ("int", "float"):
        num = _numbers(values, stripped)
        bad = present & num.isna()
        if spec.type == "int":
            bad |= present & num.notna() & (num % 1 != 0)
            typed = num.where(~bad).round().astype("Int64")
            return typed, bad, "bad_type", "不是整数", "not an integer"
        return num.astype("float64"), bad, "bad_type", "不是数值", "not a number"
    if spec.type == "bool":
        flags = _booleans(values)
        return flags, present & flags.isna(), "bad_type", "不是“是/否”", "not a yes/no value"
    if spec.type == "date":
        typed = _dates(values)
        return typed, present & typed.isna(), "bad_date", "不是有效日期", "not a valid date"
    text = _keep(stripped, present) if stripped is not None else frames.map_cells(values, _text)
    return _keep(text.astype("str"), text.notna()), pd.Series(False, index=raw.index), "", "", ""


def _without_nested(
    col: pd.Series, fspec: FieldSpec, issues: list[Issue]
) -> tuple[pd.Series, np.ndarray]:
    """`col` with JSON arrays/objects (``"名称": []``) blanked, a ``bad_type`` for each."""
    nested = frames.nested_mask(col)
    if not nested.any():
        return col, nested
    for row, raw in zip(col.index[nested], col[nested], strict=True):
        shown = repr(raw.tolist() if isinstance(raw, np.ndarray) else raw)[:40]
        text = message(f"{shown} 不是单个值（数组或对象）", f"{shown} is a list, not one value")
        issues.append(Issue(int(row), fspec.name, "bad_type", text))
    return col.where(~nested, None), nested


def _value_issues(frame: pd.DataFrame, spec: LayerSpec) -> tuple[pd.DataFrame, list[Issue]]:
    issues: list[Issue] = []
    typed = {}
    for fspec in spec.fields:
        if fspec.name not in frame.columns:
            col = pd.Series([None] * len(frame), index=frame.index, dtype="object")
        else:
            col = frame[fspec.name]
        col, nested = _without_nested(col, fspec, issues)
        stripped = frames.strip(col) if frames.is_text_column(col) else None
        blank = _is_blank(col, stripped)
        values, bad, code, zh, en = _coerce_field(col, fspec, blank, stripped)
        values = pd.Series(values, index=frame.index, name=fspec.name)
        for row in frame.index[np.asarray(bad, dtype=bool)]:
            raw = col.loc[row]
            issues.append(
                Issue(int(row), fspec.name, code, message(f"“{raw}”{zh}", f"{raw!r} is {en}"))
            )
        values = _keep(values, ~np.asarray(bad, dtype=bool))
        if fspec.pattern:
            mismatch = values.notna() & ~values.astype("str").str.fullmatch(fspec.pattern)
            for row in frame.index[mismatch.fillna(False).to_numpy(dtype=bool)]:
                issues.append(
                    Issue(
                        int(row),
                        fspec.name,
                        "bad_format",
                        message(
                            f"“{values.loc[row]}”格式不符（应匹配 {fspec.pattern}）",
                            f"{values.loc[row]!r} does not match {fspec.pattern}",
                        ),
                    )
                )
        if fspec.type in ("int", "float") and (
            fspec.minimum is not None or fspec.maximum is not None
        ):
            lo = -np.inf if fspec.minimum is None else fspec.minimum
            hi = np.inf if fspec.maximum is None else fspec.maximum
            outside = values.notna() & ((values < lo) | (values > hi))
            for row in frame.index[outside.fillna(False).to_numpy(dtype=bool)]:
                issues.append(
                    Issue(
                        int(row),
                        fspec.name,
                        "out_of_range",
                        message(
                            f"{values.loc[row]} 超出范围 [{lo}, {hi}]",
                            f"{values.loc[row]} is outside [{lo}, {hi}]",
                        ),
                    )
                )
        if fspec.required:
            missing = ~(np.asarray(bad, dtype=bool) | nested) & blank.to_numpy(dtype=bool)
            for row in frame.index[missing]:
                issues.append(
                    Issue(
                        int(row),
                        fspec.name,
                        "missing_value",
                        message(
                            f"缺少必填字段“{fspec.label.zh}”",
                            f"missing required value {fspec.label.en!r}",
                        ),
                    )
                )
        typed[fspec.name] = values
    return pd.DataFrame(typed, index=frame.index), issues


def _outlet_code_errors(typed: pd.DataFrame) -> list[Issue]:
    """National codes whose certain part (the GB/T 2260 district segment) is wrong."""
    # duplicates are `duplicate_id` here
    return [i for i in outlet_codes.bad_code_issues(typed) if i.severity == "error"]


CHECKS = {"outlet_codes": _outlet_code_errors}
"""Rule checks a layer spec can ask for with ``checks = [...]``."""


def _rule_issues(typed: pd.DataFrame, spec: LayerSpec) -> list[Issue]:
    issues: list[Issue] = []
    for name in spec.checks:
        if name not in CHECKS:
            msg = f"layer {spec.name!r}: unknown check {name!r}; known: {', '.join(CHECKS)}"
            raise LayerSpecError(msg)
        issues += CHECKS[name](typed)
    return issues


def _duplicate_issues(typed: pd.DataFrame, spec: LayerSpec) -> list[Issue]:
    if spec.id_field is None:
        return []
    ids = typed[spec.id_field]
    dup = pd.Series(frames.duplicated(ids), index=ids.index)
    firsts: dict[object, int] = {}
    for r, v in ids[dup].items():
        firsts.setdefault(v, int(r))
    return [
        Issue(
            int(row),
            spec.id_field,
            "duplicate_id",
            message(
                f"编号“{ids.loc[row]}”重复（首次出现在第 {firsts[ids.loc[row]]} 行）",
                f"id {ids.loc[row]!r} is duplicated (first at row {firsts[ids.loc[row]]})",
            ),
        )
        for row in ids.index[dup.to_numpy(dtype=bool)]
    ]


def _type_issues(geoms: gpd.GeoSeries, present: np.ndarray, spec: LayerSpec) -> list[Issue]:
    """``wrong_geometry_type`` for present geometries outside the layer's geometry family."""
    issues: list[Issue] = []
    types = np.asarray(shapely.get_type_id(geoms.values))
    names = np.array(
        [
            "Point",
            "LineString",
            "LinearRing",
            "Polygon",
            "MultiPoint",
            "MultiLineString",
            "MultiPolygon",
            "GeometryCollection",
        ]
    )
    family = _GEOM_FAMILIES.get(spec.geometry_type)
    if family is not None:
        wrong = present & ~np.isin(names[np.clip(types, 0, 7)], sorted(family))
        if spec.geometry_type == "Point":  # one feature, one place: a MultiPoint of one point
            issues += _multipoint_issues(geoms, present & (types == 4), spec)
        for row, t in zip(geoms.index[wrong], names[np.clip(types[wrong], 0, 7)], strict=True):
            issues.append(
                Issue(
                    int(row),
                    "geometry",
                    "wrong_geometry_type",
                    message(
                        f"几何类型为 {t}，本图层应为 {spec.geometry_type}",
                        f"geometry is a {t}, layer {spec.name!r} needs {spec.geometry_type}",
                    ),
                )
            )
    return issues


def _multipoint_issues(geoms: gpd.GeoSeries, multi: np.ndarray, spec: LayerSpec) -> list[Issue]:
    """``wrong_geometry_type`` for MultiPoints of a point layer that are not exactly one point."""
    parts = shapely.get_num_geometries(geoms.values)
    return [
        Issue(
            int(row),
            "geometry",
            "wrong_geometry_type",
            message(
                f"几何为含 {n} 个点的 MultiPoint，本图层应为 Point（一个要素只能有一个位置）",
                f"geometry is a MultiPoint of {n} points, layer {spec.name!r} needs Point",
            ),
        )
        for row, n in zip(
            geoms.index[multi & (parts != 1)], parts[multi & (parts != 1)], strict=True
        )
    ]


def _single_points(geoms: gpd.GeoSeries) -> gpd.GeoSeries:
    """A copy of `geoms` with every MultiPoint of exactly one point replaced by that Point."""
    values = geoms.values
    one = (shapely.get_type_id(values) == 4) & (shapely.get_num_geometries(values) == 1)
    out = geoms.copy()
    if one.any():
        out.values[one] = shapely.get_geometry(values[one], 0)
    return out


def _invalid_issues(geoms: gpd.GeoSeries, invalid: np.ndarray, make_valid: bool) -> list[Issue]:
    """``invalid_geometry`` for each invalid geometry, or ``repaired_geometry`` if repaired."""
    issues: list[Issue] = []
    reasons = shapely.is_valid_reason(geoms.values[invalid])
    for row, reason in zip(geoms.index[invalid], reasons, strict=True):
        if make_valid:
            issues.append(
                Issue(
                    int(row),
                    "geometry",
                    "repaired_geometry",
                    message(f"几何无效（{reason}），已修复", f"invalid ({reason}); repaired"),
                    "warning",
                )
            )
        else:
            issues.append(
                Issue(
                    int(row),
                    "geometry",
                    "invalid_geometry",
                    message(f"几何无效：{reason}", f"invalid geometry: {reason}"),
                )
            )
    return issues


def _location_issues(geoms: gpd.GeoSeries, present: np.ndarray) -> list[Issue]:
    """``swapped_coordinates`` and ``outside_china``, judged by each bounding-box centre."""
    issues: list[Issue] = []
    bounds = shapely.bounds(geoms.values[present])
    cx = (bounds[:, 0] + bounds[:, 2]) / 2
    cy = (bounds[:, 1] + bounds[:, 3]) / 2
    swapped = gcrs.looks_swapped(cx, cy)
    outside = ~gcrs.in_china(cx, cy) & ~swapped
    for row, x, y in zip(geoms.index[present][swapped], cx[swapped], cy[swapped], strict=True):
        issues.append(
            Issue(
                int(row),
                "geometry",
                "swapped_coordinates",
                message(
                    f"经纬度疑似颠倒（经度 {x:.6f}，纬度 {y:.6f}）",
                    f"longitude/latitude look swapped (lon {x:.6f}, lat {y:.6f})",
                ),
            )
        )
    for row, x, y in zip(geoms.index[present][outside], cx[outside], cy[outside], strict=True):
        issues.append(
            Issue(
                int(row),
                "geometry",
                "outside_china",
                message(
                    f"坐标不在中国境内（经度 {x:.6f}，纬度 {y:.6f}），请检查坐标系",
                    f"coordinates outside China (lon {x:.6f}, lat {y:.6f}); check the CRS",
                ),
            )
        )
    return issues


def geometry_issues(
    geoms: gpd.GeoSeries, spec: LayerSpec, *, make_valid: bool = False
) -> tuple[gpd.GeoSeries, list[Issue]]:
    """Check geometries (lon/lat) of a spatial layer; repair invalid ones only if asked."""
    issues: list[Issue] = []
    values = geoms.values
    missing = np.asarray(shapely.is_missing(values), dtype=bool)
    empty = ~missing & np.asarray(shapely.is_empty(values), dtype=bool)
    for row in geoms.index[missing]:
        issues.append(
            Issue(int(row), "geometry", "missing_geometry", message("缺少几何/坐标", "no geometry"))
        )
    for row in geoms.index[empty]:
        issues.append(
            Issue(int(row), "geometry", "empty_geometry", message("几何为空", "empty geometry"))
        )
    present = ~missing & ~empty
    issues += _type_issues(geoms, present, spec)
    invalid = present & ~np.asarray(shapely.is_valid(values), dtype=bool)
    issues += _invalid_issues(geoms, invalid, make_valid)
    out = _single_points(geoms) if spec.geometry_type == "Point" else geoms.copy()
    if make_valid and invalid.any():
        out.values[invalid] = shapely.make_valid(values[invalid])
    if present.any():
        issues += _location_issues(geoms, present)
    return out, issues


def validate(
    frame: pd.DataFrame,
    layer: str | LayerSpec,
    *,
    make_valid: bool = False,
    report: ValidationReport | None = None,
) -> Validated:
    """Validate and type `frame` (as `geomon.io.read` returns it) against the layer spec.

    Rows are identified by the frame's index (1-based source record numbers). The typed frame
    has exactly the spec's fields (plus ``geometry`` for spatial layers, in EPSG:4326); unknown
    columns are reported as warnings and left out. `report` (e.g. from the reader) is extended.
    """
    spec = get_spec(layer)
    report = report or ValidationReport(layer=spec.name, rows=len(frame))
    report.rows = len(frame)
    known = {*spec.field_names, "geometry"}
    for col in frame.columns:
        if col not in known:
            report.add(
                Issue(
                    None,
                    str(col),
                    "unknown_field",
                    message(f"未知字段“{col}”，将不会导入", f"unknown column {col!r} is ignored"),
                    "warning",
                )
            )
    typed, issues = _value_issues(frame, spec)
    issues += _duplicate_issues(typed, spec)
    issues += _rule_issues(typed, spec)
    issues += cells.formula_issues(frame, spec)
    if spec.is_spatial:
        if isinstance(frame, gpd.GeoDataFrame) and frame.geometry.name in frame.columns:
            geoms = frame.geometry
        else:
            geoms = gpd.GeoSeries([None] * len(frame), index=frame.index, crs=4326)
        geoms, geo_issues = geometry_issues(geoms, spec, make_valid=make_valid)
        issues += geo_issues
        typed = gpd.GeoDataFrame(typed, geometry=geoms.values, crs=4326, index=frame.index)
    issues.sort(key=lambda i: (i.row if i.row is not None else 0, i.field or ""))
    report.extend(issues)
    return Validated(typed, report)


def _stored_booleans(col: pd.Series) -> pd.arrays.BooleanArray:
    """``bool(v)`` of every stored cell, NA where missing (a store's booleans come back as
    bool, or as object with None where some are missing)."""
    if pd.api.types.is_bool_dtype(col.dtype) or (
        pd.api.types.is_object_dtype(col.dtype)
        and pd.api.types.infer_dtype(col, skipna=True) in ("boolean", "empty")
    ):
        return pd.array(col.astype("boolean"), dtype="boolean")
    return pd.array([None if pd.isna(v) else bool(v) for v in col], dtype="boolean")


def apply_dtypes(frame: pd.DataFrame, layer: str | LayerSpec) -> pd.DataFrame:
    """Give a stored frame the spec's column types again (storage loses nullable ints/bools)."""
    spec = get_spec(layer)
    out = frame.copy()
    for fspec in spec.fields:
        if fspec.name not in out.columns:
            out[fspec.name] = None
        col = out[fspec.name]
        if fspec.type == "int":
            out[fspec.name] = pd.to_numeric(col, errors="coerce").round().astype("Int64")
        elif fspec.type == "float":
            out[fspec.name] = pd.to_numeric(col, errors="coerce").astype("float64")
        elif fspec.type == "bool":
            out[fspec.name] = _stored_booleans(col)
        elif fspec.type == "date":
            out[fspec.name] = pd.to_datetime(col, errors="coerce").astype("datetime64[ms]")
        else:
            out[fspec.name] = col.astype("str").where(col.notna())
    cols = [*spec.field_names, *(["geometry"] if spec.is_spatial else [])]
    extra = [c for c in out.columns if c not in cols]
    return out[cols + extra]
