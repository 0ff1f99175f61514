"""Surface-water quality: GB 3838-2002 classes and the 2011 section assessment method.

Limits, rounding decimals, status words, thresholds and the class labels and colours
(`CLASS_LABELS`, `CLASS_COLORS`) live in ``gb3838.toml`` next to this module (data, not code);
this module only interprets them. Rules and their sources:

- single-item class, limits: GB 3838-2002 表1 (`CITATION_GB3838`);
- assessed items, section class (worst item), 超标倍数, main pollutants, status, shares, river
  status: 地表水环境质量评价办法（试行）（环办〔2011〕22号） (`CITATION_2011`);
- period means (pH via [H+]) and their rounding: 环办监测函〔2020〕82号 (`CITATION_2020`).

Classes are the strings ``CLASSES = ("I", "II", "III", "IV", "V", "劣V")``, best first. A missing
item is "not assessed", never clean.

Longer than ~450 lines because the method is one chain over one table: item → sample → period
→ network and river, each step built on the one before and its class codes.
"""

from __future__ import annotations

import functools
import itertools
import math
import tomllib
import unicodedata
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass
from decimal import ROUND_HALF_EVEN, Decimal
from fractions import Fraction
from importlib import resources
from types import MappingProxyType
from typing import Any, Literal, NamedTuple, TypedDict

import numpy as np
import pandas as pd

from geomon.errors import WaterQualityError
from geomon.specs import Label

WaterBody = Literal["river", "lake"]
Role = Literal["assessed", "reference", "none"]

CLASSES: tuple[str, ...] = ("I", "II", "III", "IV", "V", "劣V")
_III = 2  # index of class III, the national reference for 超标倍数
_WORST = 5  # index of 劣V
_NONE = -1  # code for "no class": missing value, or an item not classified for this water body
_WATER_BODIES = ("river", "lake")


@dataclass(frozen=True, slots=True)
class Item:
    """One GB 3838-2002 表1 basic item and how the 2011 method uses it."""

    key: str
    name: str  # Chinese name as printed in GB 3838
    code: str  # HJ 525 factor code
    unit: str
    direction: Literal["le", "ge", "range", "none"]
    low: tuple[float, ...] | None  # class I..V is met when value >= low[i]
    high: tuple[float, ...] | None  # ... and value <= high[i] (rivers)
    lake_high: tuple[float, ...] | None  # upper limits for lakes and reservoirs (TP)
    assessed: bool
    applies_to: frozenset[str]
    reference_for: frozenset[str]
    multiple: bool
    priority: bool
    decimals: int | None  # 82号 decimals for period means

    def limit(self, klass: int, water_body: str) -> float | None:
        """Return the upper limit of class index `klass` (I = 0) for ``le`` items, else None."""
        if self.direction != "le" or self.high is None:
            return None
        table = self.lake_high if water_body == "lake" and self.lake_high else self.high
        return table[klass]


class ParamResult(NamedTuple):
    """One parameter of a sample: its value, its class and whether it counts."""

    value: float
    klass: str | None
    role: Role  # "assessed" (decides the class), "reference" (reported only) or "none"


class Exceedance(NamedTuple):
    """An item above a class limit, with 超标倍数 = (C − limit) / limit, 2 decimals."""

    parameter: str
    value: float
    limit: float
    multiple: float


@dataclass(frozen=True, slots=True)
class Assessment:
    """The class of one sample or period mean under the 2011 single-factor method."""

    klass: str | None  # worst class of the assessed items present; None if none present
    status: str | None  # 优 / 良好 / 轻度污染 / 中度污染 / 重度污染
    params: dict[str, ParamResult]  # every item present (a plain dict so results pickle)
    limiting: tuple[str, ...]  # assessed items whose class equals `klass`
    not_assessed: tuple[str, ...]  # assessed items missing from the input
    exceedances: tuple[Exceedance, ...]
    main_pollutants: tuple[str, ...]  # top 3 when worse than III
    target: str | None
    meets_target: bool | None
    water_body: str
    citation: str


def _five(raw: Any, key: str) -> tuple[float, ...]:
    values = tuple(float(v) for v in raw)
    if len(values) != len(CLASSES) - 1:
        msg = f"gb3838.toml: items.{key} needs 5 limits (classes I–V), got {len(values)}"
        raise WaterQualityError(msg)
    return values


def _parse_item(key: str, raw: Mapping[str, Any], decimals: Mapping[str, int]) -> Item:
    direction = raw.get("dir", "none")
    limits = raw.get("limits", [])
    low = high = lake_high = None
    if direction == "le":
        high = _five(limits, key)
        lake_high = _five(raw["lake_limits"], key) if "lake_limits" in raw else None
    elif direction == "ge":
        low = _five(limits, key)
    elif direction == "range":
        low, high = _five([lo for lo, _ in limits], key), _five([hi for _, hi in limits], key)
    elif direction != "none":
        msg = f"gb3838.toml: items.{key}.dir must be le, ge, range or none, got {direction!r}"
        raise WaterQualityError(msg)
    return Item(
        key=key,
        name=raw["name"],
        code=raw["code"],
        unit=raw.get("unit", ""),
        direction=direction,
        low=low,
        high=high,
        lake_high=lake_high,
        assessed=raw.get("assessed", True),
        applies_to=frozenset(raw.get("applies_to", _WATER_BODIES)),
        reference_for=frozenset(raw.get("reference_for", ())),
        multiple=raw.get("multiple", direction == "le"),
        priority=raw.get("priority", False),
        decimals=decimals.get(key),
    )


_DATA = tomllib.loads(
    resources.files("geomon.rules").joinpath("gb3838.toml").read_text(encoding="utf-8")
)
CITATION_GB3838: str = _DATA["citations"]["gb3838"]
CITATION_2011: str = _DATA["citations"]["method_2011"]
CITATION_2020: str = _DATA["citations"]["stats_2020"]
ITEMS: Mapping[str, Item] = MappingProxyType(
    {k: _parse_item(k, v, _DATA["rounding"]) for k, v in _DATA["items"].items()}
)
ASSESSED: tuple[str, ...] = tuple(k for k, item in ITEMS.items() if item.assessed)
STATUS: Mapping[str, str] = MappingProxyType(dict(_DATA["status"]))
STATUS_EN: Mapping[str, str] = MappingProxyType(dict(_DATA["status_en"]))
"""Each status (优, 良好 …) in English (excellent, good …), for English texts."""
RIVER_STATUS: Mapping[str, Any] = MappingProxyType(_DATA["river_status"])
DISPLAY_DIGITS: int = int(_DATA["display"]["significant_digits"])
TOP_POLLUTANTS: int = int(_DATA["main_pollutants"]["top"])  # 2011 method: top 3 [M]


def _class_table(raw: Mapping[str, Any]) -> dict[str, Mapping[str, str]]:
    """``[classes]`` of gb3838.toml: one entry per class of `CLASSES`, in that order."""
    if list(raw) != list(CLASSES):
        msg = f"gb3838.toml: [classes] must list {', '.join(CLASSES)} in order, got {list(raw)}"
        raise WaterQualityError(msg)
    return dict(raw)


_CLASSES = _class_table(_DATA["classes"])
CLASS_LABELS: Mapping[str, Label] = MappingProxyType(
    {k: Label(v["zh"], v["en"]) for k, v in _CLASSES.items()}
)
"""Display label of each class ("Ⅲ类" / "Class III"), best first: app and reports alike."""
CLASS_COLORS: Mapping[str, str] = MappingProxyType({k: v["color"] for k, v in _CLASSES.items()})
"""Map, chart and report colour of each class (Ⅰ–Ⅱ blue … 劣Ⅴ red), best first."""


# --- class labels -------------------------------------------------------------------------------


def parse_class(label: str) -> str:
    """Return the canonical class for a user label: "Ⅲ", "Ⅲ类", "3", "iii", "劣Ⅴ类" → "III"/"劣V".

    NFKC folds the Roman-numeral code points (Ⅲ → III) and full-width digits.
    """
    canonical = _canonical_class(str(label))  # cached: a period assessment asks ~6× per section
    if canonical is None:
        msg = (
            f"Unknown water-quality class {label!r}; use I, II, III, IV, V or 劣V "
            "(Ⅲ类, 3 also work)."
        )
        raise WaterQualityError(msg)
    return canonical


@functools.lru_cache(maxsize=1024)
def _canonical_class(label: str) -> str | None:
    text = unicodedata.normalize("NFKC", label).strip().upper().removesuffix("类").strip()
    worse = text.startswith("劣")
    text = text.removeprefix("劣").strip()
    if text.isdigit() and 1 <= int(text) <= len(CLASSES) - 1:
        text = CLASSES[int(text) - 1]
    if text in CLASSES[:-1] and (not worse or text == "V"):
        return "劣V" if worse else text
    return None


def class_rank(klass: str) -> int:
    """Return 0 for class I up to 5 for 劣V (labels are parsed with `parse_class`)."""
    return CLASSES.index(parse_class(klass))


def is_good(klass: str) -> bool:
    """Return whether `klass` is 优良 (I–III, 2011 method)."""
    return class_rank(klass) <= _III


def meets(klass: str, target: str) -> bool:
    """Return whether `klass` is at least as good as `target` (达标)."""
    return class_rank(klass) <= class_rank(target)


# --- single items (GB 3838-2002 表1) -------------------------------------------------------------


def _item(param: str) -> Item:
    if param not in ITEMS:
        msg = f"Unknown parameter {param!r}; use one of the GB 3838 表1 keys: {', '.join(ITEMS)}."
        raise WaterQualityError(msg)
    return ITEMS[param]


def _check_water_body(water_body: str) -> str:
    if water_body not in _WATER_BODIES:
        msg = f"`water_body` must be 'river' or 'lake' (湖库), got {water_body!r}."
        raise WaterQualityError(msg)
    return water_body


def _codes(item: Item, values: Any, lake: Any) -> np.ndarray:
    """Return class indexes (0 = I … 5 = 劣V, -1 = none) for arrays of values (vectorised).

    Limits are inclusive and the first class met wins, so shared limits give the best class;
    a value that meets no class is 劣V (GB 3838-2002 表1).
    """
    values = np.asarray(values, dtype=float)
    lake = np.broadcast_to(np.asarray(lake, dtype=bool), values.shape)
    applies = np.where(lake, "lake" in item.applies_to, "river" in item.applies_to)
    if item.direction == "none":
        return np.full(values.shape, _NONE)
    met = np.ones((len(CLASSES) - 1, *values.shape), dtype=bool)
    if item.low is not None:
        met &= values >= np.asarray(item.low)[:, None]
    if item.high is not None:
        high = np.asarray(item.high)[:, None]
        lake_high = np.asarray(item.lake_high)[:, None] if item.lake_high else high
        met &= values <= np.where(lake, lake_high, high)
    codes = np.where(met.any(axis=0), met.argmax(axis=0), _WORST)
    return np.where(np.isnan(values) | ~applies, _NONE, codes)


def item_class(param: str, value: float | None, *, water_body: WaterBody = "river") -> str | None:
    """Return the GB 3838-2002 表1 class of one value, or None (missing value, WT, river TN).

    Limits are inclusive; shared limits give the best class (COD 15 → I); DO is higher-is-better;
    pH outside 6–9 and anything beyond the class V limit is 劣V.
    """
    item = _item(param)
    value = math.nan if value is None else float(value)
    code = int(_codes(item, [value], _check_water_body(water_body) == "lake")[0])
    return None if code == _NONE else CLASSES[code]


def item_classes(param: str, values: Any, *, water_body: WaterBody = "river") -> np.ndarray:
    """`item_class` of many values at once (an object array of class strings, None where there
    is no class): for station series of thousands of readings."""
    item = _item(param)
    codes = _codes(item, np.asarray(values, dtype=float), _check_water_body(water_body) == "lake")
    return _CLASS_OF_CODE[codes]


def _multiples(values: np.ndarray, limits: np.ndarray) -> np.ndarray:
    """超标倍数 (C − limit) / limit of each value, 2 decimals, half even like the means."""
    return round_half_even((values - limits) / limits, 2)


def _limits(item: Item, klass: np.ndarray, lake: np.ndarray) -> np.ndarray:
    """The upper limit of class index `klass` per row, for items with 超标倍数; NaN elsewhere.

    NaN also for 劣V (no limit) and for items without a multiple (WT, pH, DO: 2011 method).
    """
    if not item.multiple or item.direction != "le" or item.high is None:
        return np.full(klass.shape, np.nan)
    high = np.array([*item.high, np.nan])
    lake_high = np.array([*item.lake_high, np.nan]) if item.lake_high else high
    return np.where(lake, lake_high[klass], high[klass])


# --- samples -------------------------------------------------------------------------------------

_ROLES: tuple[Role, ...] = ("assessed", "reference", "none")
_ROLE_NAMES = np.array(_ROLES, dtype=object)
_CLASS_OF_CODE = np.array([*CLASSES, None], dtype=object)  # code -1 (_NONE) → None


def _roles(item: Item, lake: np.ndarray, assessed: Collection[str]) -> np.ndarray:
    """Index in `_ROLES` of `item`'s role on each row (a river or a lake row)."""

    def role(water_body: str) -> int:
        if item.key in assessed and water_body in item.applies_to:
            return 0
        return 1 if water_body in item.reference_for else 2

    return np.where(lake, role("lake"), role("river"))


def _key_tuples(mask: np.ndarray, keys: Sequence[str]) -> list[tuple[str, ...]]:
    """Per row (column of `mask`, items × rows): the keys whose cell is true, in key order.

    Rows share few patterns, so each pattern's tuple is built once.
    """
    if not len(keys):
        return [()] * mask.shape[1]
    packed = np.ascontiguousarray(np.packbits(mask, axis=0).T)  # one byte string per row
    rows = packed.view(np.dtype((np.void, packed.shape[1]))).reshape(-1)
    _, first, inverse = np.unique(rows, return_index=True, return_inverse=True)
    made = [tuple(k for k, on in zip(keys, mask[:, i].tolist(), strict=True) if on) for i in first]
    return [made[i] for i in inverse.reshape(-1).tolist()]


def _grouped(rows: np.ndarray, objects: list[Any], n: int, top: int | None = None) -> list[tuple]:
    """Per row 0 … n-1 the tuple of `objects` given for it (`rows` sorted); at most `top`."""
    out: list[tuple] = [()] * n
    if not len(rows):
        return out
    starts = np.flatnonzero(np.r_[True, rows[1:] != rows[:-1]])
    ends = np.r_[starts[1:], len(rows)]
    if top is not None:
        ends = np.minimum(ends, starts + top)
    for row, a, b in zip(rows[starts].tolist(), starts.tolist(), ends.tolist(), strict=True):
        out[row] = tuple(objects[a:b])
    return out


def _assess_rows(
    keys: Sequence[str],
    values: np.ndarray,
    *,
    lake: np.ndarray,
    targets: Sequence[str | None],
    against: Literal["III", "target"],
    assessed: tuple[str, ...],
) -> dict[str, list[Any]]:
    """The single-factor assessment of many samples (or period means) at once, by columns.

    `values` holds one row per item of `keys` (in `ITEMS` order) and one column per sample
    (NaN = missing); `lake` and `targets` (parsed classes or None) are per sample. Returns the
    `Assessment` fields (``klass`` as ``class``) as lists, one entry per sample.
    """
    n = values.shape[1]
    items = [ITEMS[k] for k in keys]
    present = ~np.isnan(values)
    shape = (len(keys), n)
    codes = np.array([_codes(it, v, lake) for it, v in zip(items, values, strict=True)], dtype=int)
    roles = np.array([_roles(it, lake, assessed) for it in items], dtype=int)
    codes, roles = codes.reshape(shape), roles.reshape(shape)
    counted = present & (roles == 0) & (codes != _NONE)
    worst = np.where(counted, codes, _NONE).max(axis=0, initial=_NONE)
    ref = np.array(
        [_III if against == "III" or t is None else CLASSES.index(t) for t in targets], dtype=int
    )
    klass = _CLASS_OF_CODE[worst].tolist()

    # 超标倍数 of every counted item above its reference limit, by sample then item
    limit = np.array([_limits(it, ref, lake) for it in items], dtype=float).reshape(shape)
    with np.errstate(invalid="ignore"):  # NaN limit: no multiple
        e_row, e_item = np.nonzero((counted & (values > limit)).T)
    e_value, e_limit = values[e_item, e_row], limit[e_item, e_row]
    exceedances = list(
        map(
            Exceedance,
            [keys[j] for j in e_item.tolist()],
            e_value.tolist(),
            e_limit.tolist(),
            _multiples(e_value, e_limit).tolist(),
        )
    )

    # main pollutants (items worse than III): heavy metals and cyanide first [M], then the worse
    # class, then the larger 超标倍数 against class III (none for DO, pH: last in their class)
    third = np.full(n, _III)
    limit = np.array([_limits(it, third, lake) for it in items], dtype=float).reshape(shape)
    m_row, m_item = np.nonzero((counted & (codes > _III)).T)
    m_limit = limit[m_item, m_row]
    has = ~np.isnan(m_limit) & (m_limit != 0)
    multiple = np.zeros(len(m_row))
    multiple[has] = _multiples(values[m_item, m_row][has], m_limit[has])
    later = np.array([not it.priority for it in items], dtype=bool)[m_item]
    order = np.lexsort((m_item, -multiple, -codes[m_item, m_row], later, m_row))
    m_row, m_item = m_row[order], m_item[order]

    # every item present, as a ParamResult, by sample then item; one dict per sample
    p_row, p_item = np.nonzero(present.T)
    fields = zip(
        values[p_item, p_row].tolist(),
        _CLASS_OF_CODE[codes[p_item, p_row]].tolist(),
        _ROLE_NAMES[roles[p_item, p_row]].tolist(),
        strict=True,
    )
    made = list(map(tuple.__new__, itertools.repeat(ParamResult), fields))  # ParamResult._make
    ends = np.cumsum(present.sum(axis=0)).tolist()
    params = [
        dict(zip(names, made[end - len(names) : end], strict=True))
        for names, end in zip(_key_tuples(present, keys), ends, strict=True)
    ]
    by_key = dict(zip(keys, counted, strict=True))
    never = np.zeros(n, dtype=bool)
    uncounted = np.array([~by_key.get(k, never) for k in assessed], dtype=bool)
    return {
        "class": klass,
        "status": [None if k is None else STATUS[k] for k in klass],
        "params": params,
        "limiting": _key_tuples(counted & (codes == worst), keys),
        "not_assessed": _key_tuples(uncounted.reshape(len(assessed), n), assessed),
        "exceedances": _grouped(e_row, exceedances, n),
        "main_pollutants": _grouped(m_row, [keys[j] for j in m_item.tolist()], n, TOP_POLLUTANTS),
        "target": list(targets),
        "meets_target": [
            None if w == _NONE or t is None else w <= CLASSES.index(t)
            for w, t in zip(worst.tolist(), targets, strict=True)
        ],
    }


def _assessed_items(assessed: Collection[str] | None) -> tuple[str, ...]:
    if assessed is None:
        return ASSESSED
    unknown = [k for k in assessed if k not in ITEMS or ITEMS[k].direction == "none"]
    if unknown:
        msg = f"`assessed` holds items that cannot be classified: {unknown}."
        raise WaterQualityError(msg)
    return tuple(k for k in ITEMS if k in assessed)


def classify_sample(
    values: Mapping[str, float | None],
    *,
    water_body: WaterBody = "river",
    target: str | None = None,
    against: Literal["III", "target"] = "III",
    assessed: Collection[str] | None = None,
) -> Assessment:
    """Classify one sample (or one set of period means) by the single-factor method.

    The class is the worst class of the assessed items present (2011 method: the 21 items of
    GB 3838 表1 without WT, TN, FC; pass `assessed` for a "5+X" set). Missing items are listed in
    `not_assessed` and never make a sample clean. TN (lakes) and FC are reference items: classed
    but never deciding; TN is not evaluated for rivers. 超标倍数 are against class III (national
    convention) or, with ``against="target"``, against the target class [M]; never for WT, pH, DO.
    Keys that are not GB 3838 表1 items are ignored.

    Examples
    --------
    >>> a = classify_sample({"DO": 6.5, "NH3N": 2.3, "TP": 0.32}, target="III")
    >>> a.klass, a.status, a.meets_target, a.main_pollutants
    ('劣V', '重度污染', False, ('NH3N', 'TP'))
    """
    lake = _check_water_body(water_body) == "lake"
    keys = [k for k in ITEMS if k in values]
    column = [math.nan if pd.isna(values[k]) else values[k] for k in keys]
    a = _assess_rows(
        keys,
        np.array(column, dtype=float).reshape(len(keys), 1),
        lake=np.array([lake]),
        targets=[None if target is None else parse_class(target)],
        against=against,
        assessed=_assessed_items(assessed),
    )
    fields = {c: a[c][0] for c in _PERIOD_COLUMNS if c != "water_body"}
    citation = f"{CITATION_GB3838}; {CITATION_2011}"
    return Assessment(klass=a["class"][0], water_body=water_body, citation=citation, **fields)


# --- periods (环办监测函〔2020〕82号) ------------------------------------------------------------


def _round_half_even(value: float, decimals: int) -> float:
    """Round half to even (修约) on the decimal value; 12 significant digits drop binary noise."""
    if math.isnan(value):
        return value
    exact = Decimal(f"{value:.12g}")
    return float(exact.quantize(Decimal(1).scaleb(-decimals), rounding=ROUND_HALF_EVEN))


def _means(data: pd.DataFrame, by: Any) -> pd.DataFrame:
    """Arithmetic mean per group of every item column; pH through [H+] (82号)."""
    columns = [k for k in ITEMS if k in data.columns]
    values = data[columns].astype(float)
    means = values.groupby(by, sort=False).mean()
    if "pH" in columns:
        hydrogen = 10.0 ** -values["pH"]
        means["pH"] = -np.log10(hydrogen.groupby(by, sort=False).mean())
    return means


def round_half_even(values: np.ndarray, decimals: int) -> np.ndarray:
    """
    `_round_half_even` of every value, vectorised, with the same results to the last bit.

    Step 1 takes 12 significant digits as an integer mantissa ``t`` (what ``f"{v:.12g}"``
    keeps); step 2 rounds ``t`` half to even to `decimals` in integer arithmetic; a division
    by an exact power of ten then gives the float nearest the decimal result, as ``float()`` of
    the `Decimal` does. Values whose 13th digit is within 1e-6 of a tie, or whose magnitude
    estimate is off, take the exact `Decimal` path instead.
    """
    v = np.asarray(values, dtype=float)
    out = np.full(v.shape, np.nan)
    size = np.abs(v)
    ok = np.isfinite(v) & (size > 1e-15) & (size < 1e12)  # int64-safe; the rest: Decimal
    size = np.where(ok, size, 1.0)
    exponent = np.floor(np.log10(size)).astype(np.int64)
    scaled = size * np.power(10.0, 11 - exponent)  # 12 digits before the point
    mantissa = np.round(scaled)
    ok &= (mantissa >= 1e11) & (mantissa < 1e12) & (np.abs(scaled - np.floor(scaled) - 0.5) > 1e-6)
    # t × 10^shift is the 12-digit value in units of 10^-decimals
    shift = exponent - 11 + decimals
    cut = np.clip(-shift, 0, 15)  # digits of t finer than 10^-decimals
    t = np.where(ok, mantissa, 0).astype(np.int64)
    unit = np.power(10, cut).astype(np.int64)
    q, r = np.divmod(t, unit)
    half = unit // 2
    q += (cut > 0) & ((r > half) | ((r == half) & (q % 2 == 1)))
    q = np.where(shift > 0, t * np.power(10, np.clip(shift, 0, 6)).astype(np.int64), q)
    result = q / 10.0**decimals
    out[ok] = np.copysign(result, v)[ok]
    for i in np.flatnonzero(~ok & ~np.isnan(v)):  # zeros, extremes, near-ties
        out[i] = _round_half_even(float(v[i]), decimals)
    return out


def display_value(parameter: str | None, value: float) -> str:
    """One value as people read it: a GB 3838 item to its 82号 decimals (half even, trailing
    zeros kept: NH3N 1.4955 → ``1.50``), any other to `DISPLAY_DIGITS` significant digits
    (``[display]`` of gb3838.toml). Only for texts; stored and exported numbers stay exact."""
    v = float(value)
    if not np.isfinite(v):
        return str(v)
    decimals = ITEMS[parameter].decimals if parameter in ITEMS else None
    if decimals is None:
        return f"{v:.{DISPLAY_DIGITS}g}"
    return f"{_round_half_even(v, decimals):.{decimals}f}"


def _rounded(means: pd.DataFrame) -> pd.DataFrame:
    out = means.copy()
    for key in out.columns:
        decimals = ITEMS[key].decimals
        if decimals is not None:
            out[key] = round_half_even(out[key].to_numpy(dtype=float), decimals)
    return out


def period_means(df: pd.DataFrame, *, rounded: bool = True) -> pd.DataFrame:
    """Return the mean of each item per section over the rows given (filter the period first).

    Means are arithmetic; pH is averaged as hydrogen-ion concentration, −log10(mean(10^−pH)).
    Default policy ``rounded=True``: each mean is rounded half to even to the 82号 decimals
    (CODMn 6.04 → 6.0), as official statistics do before classifying; ``rounded=False`` keeps the
    raw means. The result is indexed by ``section_code``; columns are the item keys present.
    Non-detects are taken as given (their 82号 handling is not confirmed [M]).
    """
    if "section_code" not in df.columns:
        msg = "`df` has no 'section_code' column; map the section column when reading the file."
        raise WaterQualityError(msg)
    means = _means(df, df["section_code"])
    return _rounded(means) if rounded else means


def _section_targets(df: pd.DataFrame, targets: Mapping[str, str] | None) -> dict[Any, str]:
    found: dict[Any, str] = {}
    if "target" in df.columns:
        rows = df.loc[df["target"].notna(), ["section_code", "target"]]
        for section, labels in rows.groupby("section_code", sort=False)["target"]:
            distinct = {parse_class(t) for t in labels}
            if len(distinct) > 1:
                msg = (
                    f"Section {section!r} has several targets {sorted(distinct)}; pass `targets=`."
                )
                raise WaterQualityError(msg)
            found[section] = distinct.pop()
    found.update({s: parse_class(t) for s, t in (targets or {}).items() if t is not None})
    return found


# Assessment fields copied into the classify_period frame, after section_code and class.
_PERIOD_COLUMNS: tuple[str, ...] = (
    *("water_body", "status", "target", "meets_target", "limiting", "not_assessed"),
    *("main_pollutants", "exceedances", "params"),
)
_OUTPUT_COLUMNS = ("class", *_PERIOD_COLUMNS)


def classify_period(
    df: pd.DataFrame,
    *,
    water_body: WaterBody = "river",
    rounded: bool = True,
    targets: Mapping[str, str] | None = None,
    water_bodies: Mapping[str, str] | None = None,
    against: Literal["III", "target"] = "III",
    assessed: Collection[str] | None = None,
) -> pd.DataFrame:
    """Classify each section on its period means (never on its worst sample; 2011 method).

    Means are rounded by default (see `period_means`). Targets come from a ``target`` column
    (one per section) and are overridden by `targets`; `water_bodies` overrides `water_body` per
    section. Returns one row per section: section_code, class, water_body, status, target,
    meets_target, limiting, not_assessed, main_pollutants, exceedances, params (Python objects,
    as in `Assessment`).
    """
    means = period_means(df, rounded=rounded)
    section_targets = _section_targets(df, targets)
    sections = means.index.tolist()  # iterating an Arrow string index is slow
    bodies = [(water_bodies or {}).get(s, water_body) for s in sections]
    lake = np.array([_check_water_body(b) == "lake" for b in bodies], dtype=bool)
    columns = _assess_rows(
        list(means.columns),
        means.to_numpy(dtype=float).T.reshape(len(means.columns), len(means)),
        lake=lake,
        targets=[section_targets.get(s) for s in sections],
        against=against,
        assessed=_assessed_items(assessed),
    )
    columns["water_body"] = bodies
    return pd.DataFrame(
        {"section_code": sections, **{c: columns[c] for c in _OUTPUT_COLUMNS}},
        columns=["section_code", *_OUTPUT_COLUMNS],
        dtype=object,
    )


# --- networks and rivers (2011 method) -----------------------------------------------------------


class NetworkShares(TypedDict):
    """Counts and shares of a set of sections; percentages have one decimal."""

    assessed: int  # sections with a class (None is not assessed)
    not_assessed: int
    counts: dict[str, int]  # per class, I … 劣V
    good_pct: float | None  # 优良比例: I–III / assessed × 100
    worst_pct: float | None  # 劣V比例
    meets_target_pct: float | None  # 达标率 over sections with a class and a target


def _pct(part: int, whole: int) -> float | None:
    if whole == 0:
        return None
    share = Decimal(100 * part) / Decimal(whole)
    return float(share.quantize(Decimal("0.1"), rounding=ROUND_HALF_EVEN))


def network_shares(
    classes: Sequence[str | None], *, targets: Sequence[str | None] | None = None
) -> NetworkShares:
    """Count sections per class and give 优良比例 and 劣V比例 (5 of 6 good → 83.3).

    None (or NaN) is not assessed and leaves the denominator. With `targets` (aligned with
    `classes`), 达标率 is the share of sections, among those with both, that meet their target.
    """
    labels = [None if c is None or pd.isna(c) else parse_class(c) for c in classes]
    done = [c for c in labels if c is not None]
    counts = {c: done.count(c) for c in CLASSES}
    meets_pct = None
    if targets is not None:
        if len(targets) != len(labels):
            msg = f"`targets` has {len(targets)} entries for {len(labels)} classes; align them."
            raise WaterQualityError(msg)
        pairs = [(c, t) for c, t in zip(labels, targets, strict=True) if c and t and not pd.isna(t)]
        meets_pct = _pct(sum(meets(c, t) for c, t in pairs), len(pairs))
    return NetworkShares(
        assessed=len(done),
        not_assessed=len(labels) - len(done),
        counts=counts,
        good_pct=_pct(sum(counts[c] for c in CLASSES[: _III + 1]), len(done)),
        worst_pct=_pct(counts["劣V"], len(done)),
        meets_target_pct=meets_pct,
    )


@dataclass(frozen=True, slots=True)
class RiverStatus:
    """Status of a river, basin or region (2011 method) and how it was reached."""

    status: str | None
    method: Literal["proportion", "mean", "none"]
    sections: int  # assessed sections
    good_pct: float | None
    worst_pct: float | None
    klass: str | None  # class of the averaged means (mean method only)
    citation: str = CITATION_2011


def _row_matches(row: Mapping[str, float], shares: Mapping[str, Fraction]) -> bool:
    """Return whether shares meet a thresholds row (``*_min`` inclusive, ``*_below`` exclusive)."""
    low = all(shares[k] >= Fraction(str(row[f"{k}_min"])) for k in shares if f"{k}_min" in row)
    return low and all(
        shares[k] < Fraction(str(row[f"{k}_below"])) for k in shares if f"{k}_below" in row
    )


def river_status(
    section_classes: Sequence[str | None],
    means: pd.DataFrame | None = None,
    *,
    water_body: WaterBody = "river",
    rounded: bool = True,
) -> RiverStatus:
    """Return the status of a river from its sections (2011 method).

    With at least 5 assessed sections (``min_sections`` in gb3838.toml [M]) the proportion method
    applies, with the thresholds table in gb3838.toml (its 重度污染 row's 60% is [M]). With fewer,
    every item is averaged over the sections in `means` (per-section means, e.g. from
    `period_means`; pH via [H+]), rounded by default, and the means are classified.
    """
    shares = network_shares(section_classes)
    n = shares["assessed"]
    if n >= RIVER_STATUS["min_sections"]:
        counts = shares["counts"]
        good = Fraction(100 * sum(counts[c] for c in CLASSES[: _III + 1]), n)
        shares_ = {"good": good, "worst": Fraction(100 * counts["劣V"], n)}
        matches = (r["status"] for r in RIVER_STATUS["rows"] if _row_matches(r, shares_))
        status = next(matches, RIVER_STATUS["fallback"])
        return RiverStatus(status, "proportion", n, shares["good_pct"], shares["worst_pct"], None)
    if n == 0:
        return RiverStatus(None, "none", 0, None, None, None)
    if means is None or means.empty:
        msg = (
            f"Only {n} section(s) assessed: the 2011 method classifies the mean of each item over "
            "the sections, so pass `means` (one row per section, e.g. from `period_means`)."
        )
        raise WaterQualityError(msg)
    averaged = _means(means, np.zeros(len(means), dtype=int))
    averaged = _rounded(averaged) if rounded else averaged
    a = classify_sample(averaged.iloc[0].to_dict(), water_body=water_body)
    return RiverStatus(a.status, "mean", n, shares["good_pct"], shares["worst_pct"], a.klass)
