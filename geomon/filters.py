"""Attribute filters on layers, and their round trip through a URL's query parameters.

A *selection* maps a column to the values to keep (``{"district": ["明珠区"], "stage":
["整治中"]}``); an empty or missing list keeps everything. `apply_filters` applies one to a frame,
`choices` lists what a column can be filtered on (enum values in spec order, other values as
found), and `selection_from_params` turns query parameters into a selection, keeping only the
parameter names and values of an allow-list (a shared link is untrusted input: nothing in it is
evaluated or unpickled). Periods (``2023``,
``2023-03``, ``2023-01..2023-06``) are parsed by `parse_period`. Nothing here knows Streamlit.
"""

from __future__ import annotations

import contextlib
import re
from collections.abc import Collection, Iterable, Mapping, Sequence
from typing import Any

import pandas as pd

from geomon.errors import UnknownFieldError
from geomon.io import columns
from geomon.messages import message
from geomon.specs import LayerSpec, get_spec

Selection = Mapping[str, Sequence[Any]]
"""Column → values to keep; an empty sequence means no filter on that column."""

_MONTH = r"\d{4}-(?:0[1-9]|1[0-2])"
_PERIOD_RE = re.compile(rf"^(?:\d{{4}}|{_MONTH}|{_MONTH}\.\.{_MONTH})$")
MAX_PARAM_VALUES = 200  # values kept per parameter from a URL; more is not a human's link


def _is_bool(frame: pd.DataFrame, column: str, spec: LayerSpec | None) -> bool:
    if spec is not None and column in spec.field_names:
        return spec.field(column).type == "bool"
    return pd.api.types.is_bool_dtype(frame[column].dtype)


def _as_bool(value: Any) -> bool | None:
    if isinstance(value, bool):
        return value
    text = str(value).strip().lower()
    if text in ("1", "true", "yes", "y", "是"):
        return True
    if text in ("0", "false", "no", "n", "否"):
        return False
    return None


def field_name(spec: str | LayerSpec, name: str) -> str:
    """
    The field of `spec` that `name` means: its name, Chinese or English label, or an alias.

    Matched as column headers are (`geomon.io.columns.normalise_header`: full-width → ASCII,
    case and spaces ignored), so ``整治进度``, ``Rectification stage`` and ``stage`` are one field.

    Raises
    ------
    UnknownFieldError
        If no field of the layer is called `name`; the message lists the fields with labels.

    Examples
    --------
    >>> field_name("outlets", "整治进度")
    'stage'
    """
    spec = get_spec(spec)
    found = columns.field_lookup(spec).get(columns.normalise_header(name))
    if found is None:
        known = "、".join(f"{f.name}（{f.label.zh}）" for f in spec.fields)
        msg = message(
            f"图层 {spec.name} 没有字段“{name}”；可用：{known}",
            f"layer {spec.name!r} has no field {name!r}; use one of {known}",
        )
        raise UnknownFieldError(msg)
    return found


def parse_where(spec: str | LayerSpec, clauses: Iterable[str]) -> dict[str, list[str]]:
    """
    ``FIELD=VALUE`` clauses (``--where``) as a selection in the user's words.

    FIELD is anything `field_name` accepts; an enum VALUE may be its value, label or alias
    (``整治进度=整治中``, ``控制级别=国考`` → ``{"control_level": ["国控"]}``). Repeating a field
    means "any of". Raises `UnknownFieldError` for a clause without ``=`` or an unknown field.

    Examples
    --------
    >>> parse_where("sections", ["控制级别=国考", "Target class=Ⅲ类"])
    {'control_level': ['国控'], 'target_class': ['III']}
    """
    spec = get_spec(spec)
    wanted: dict[str, list[str]] = {}
    for clause in clauses:
        left, sep, value = clause.partition("=")
        if not sep:
            msg = message(
                f"筛选条件“{clause}”应为 字段=值", f"filter {clause!r}: expected FIELD=VALUE"
            )
            raise UnknownFieldError(msg)
        try:
            fspec = spec.field(field_name(spec, left.strip()))
        except UnknownFieldError as exc:
            raise UnknownFieldError(f"{clause}: {exc.args[0]}") from exc
        value = value.strip()
        if fspec.type == "enum":
            value = fspec.canonical(value) or value
        wanted.setdefault(fspec.name, []).append(value)
    return wanted


def apply_filters(
    frame: pd.DataFrame, spec: str | LayerSpec | None, selection: Selection
) -> pd.DataFrame:
    """
    Return the rows of `frame` whose values are in `selection` for every selected column.

    Parameters
    ----------
    frame
        A layer (or a layer with derived status columns such as ``overdue``); not modified.
    spec
        The layer's spec (name or `LayerSpec`), used to read bool fields; None to go by dtype.
    selection
        Column (or a field's label or alias) → allowed values (an enum's by value, label or
        alias). Bool columns take True/False (or ``"1"``/``"0"``,
        ``"yes"``/``"no"``); a blank value never matches a non-empty selection.

    Raises
    ------
    UnknownFieldError
        If a selected column is not in `frame` (a `KeyError` too).
    """
    spec = get_spec(spec) if spec is not None else None
    keep = pd.Series(True, index=frame.index)
    for column, values in selection.items():
        if not values:
            continue
        if column not in frame.columns and spec is not None:  # a label or alias of a field
            with contextlib.suppress(UnknownFieldError):
                column = field_name(spec, column)
        if spec is not None and column in spec.field_names and spec.field(column).type == "enum":
            values = [spec.field(column).canonical(str(v)) or v for v in values]
        if column not in frame.columns:
            layer = spec.name if spec else "frame"
            msg = f"cannot filter {layer!r} on {column!r}: no such column"
            raise UnknownFieldError(msg)
        series = frame[column]
        if _is_bool(frame, column, spec):
            wanted = [b for b in map(_as_bool, values) if b is not None]
            match = series.astype("boolean").isin(wanted)
        else:
            match = series.astype("string").isin([str(v) for v in values])
        keep &= match.fillna(False).to_numpy(dtype=bool)
    if bool(keep.all()):  # nothing filtered out: a new frame sharing the data (copy-on-write)
        return frame.copy(deep=False)
    return frame[keep.to_numpy(dtype=bool)]


def choices(frame: pd.DataFrame | None, spec: str | LayerSpec | None, column: str) -> list[Any]:
    """
    What `column` can be filtered on: an enum's values in spec order, else the values present.

    Bool fields give ``[True, False]``; other values are sorted as text, blanks left out. An
    enum's values come from the spec whether or not the data use them, so a filter's options do
    not change under the user as data change.
    """
    spec = get_spec(spec) if spec is not None else None
    if spec is not None and column in spec.field_names:
        field = spec.field(column)
        if field.type == "enum":
            return [v.value for v in field.values]
        if field.type == "bool":
            return [True, False]
    if frame is None or column not in frame.columns:
        return []
    if pd.api.types.is_bool_dtype(frame[column].dtype):
        return [True, False]
    values = frame[column].dropna().astype(str).str.strip()
    return sorted({v for v in values if v})


def parse_period(text: str | None) -> str | tuple[str, str] | None:
    """
    Read a period parameter: ``"2023"``, ``"2023-03"`` or ``"2023-01..2023-06"`` (inclusive).

    Returns what `geomon.analysis.compliance.period_bounds` takes: the string itself, or a pair of
    ISO
    dates (first day of the first month, last day of the last). Anything else gives None (no
    period: all data), so a malformed link degrades to the default view.

    Examples
    --------
    >>> parse_period("2023-01..2023-03")
    ('2023-01-01', '2023-03-31')
    >>> parse_period("2023-13") is None
    True
    """
    if not text or not _PERIOD_RE.match(text.strip()):
        return None
    text = text.strip()
    if ".." not in text:
        return text
    first, last = text.split("..")
    if first > last:
        return None
    end = pd.Period(last, "M").end_time.date().isoformat()
    return f"{first}-01", end


def period_options(dates: Iterable[Any]) -> list[str]:
    """
    Periods to offer for these sampling dates, newest first: each year, then its cumulative
    months (``"2023-01..2023-03"``, 1–3月累计, as bureaus report), then its months.

    Examples
    --------
    >>> period_options(["2023-01-10", "2023-02-12"])
    ['2023', '2023-01..2023-02', '2023-02', '2023-01']
    """
    stamps = pd.to_datetime(pd.Series(list(dates), dtype=object), errors="coerce").dropna()
    months = sorted({str(p) for p in stamps.dt.to_period("M")}, reverse=True)
    out: list[str] = []
    for year in sorted({m[:4] for m in months}, reverse=True):
        mine = [m for m in months if m.startswith(year)]  # newest first
        out.append(year)
        out += [f"{year}-01..{m}" for m in mine if m > f"{year}-01"]
        out += mine
    return out


def selection_from_params(
    params: Mapping[str, Sequence[str]], allowed: Mapping[str, Collection[str]]
) -> dict[str, list[str]]:
    """
    Keep the parameters named in `allowed`, and of each only the values it allows.

    `params` maps a name to its values as text (repeated URL keys, or one comma-separated
    value). Unknown names and values are dropped silently; duplicates are removed, order kept.
    An allowed collection that is empty accepts no value.

    Examples
    --------
    >>> selection_from_params({"stage": ["整治中,已销号", "x"], "evil": ["1"]},
    ...                       {"stage": ["整治中", "已销号"]})
    {'stage': ['整治中', '已销号']}
    """
    out: dict[str, list[str]] = {}
    for name, ok in allowed.items():
        raw = params.get(name) or []
        if isinstance(raw, str):
            raw = [raw]
        values = [v.strip() for item in raw for v in str(item).split(",")]
        kept = [v for v in dict.fromkeys(values) if v and v in ok][:MAX_PARAM_VALUES]
        if kept:
            out[name] = kept
    return out


__all__ = [
    "MAX_PARAM_VALUES",
    "Selection",
    "apply_filters",
    "choices",
    "field_name",
    "parse_period",
    "parse_where",
    "period_options",
    "selection_from_params",
]
