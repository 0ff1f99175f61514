"""Degrees-minutes-seconds coordinates: `parse_dms`, `dms_columns_to_degrees` and their helpers.

Ledgers write coordinates as decimal or DMS text, or as separate degree/minute/second columns.
Split out of ``geomon.io.tabular`` (module size); ``tabular`` uses the cell helpers `_blank` and
`_to_number`, which live here because DMS parsing needs them.
"""

from __future__ import annotations

import re
import unicodedata
from fractions import Fraction
from typing import Any

import numpy as np
import pandas as pd

from geomon.errors import CoordinateParseError

_HEMI = {"东经": 1, "北纬": 1, "西经": -1, "南纬": -1, "e": 1, "n": 1, "w": -1, "s": -1}
_LEAD = re.compile(r"^(东经|西经|北纬|南纬|[ewns])\s*:?\s*", re.IGNORECASE)
_TRAIL = re.compile(r"\s*(东经|西经|北纬|南纬|[ewns])$", re.IGNORECASE)
_TOKEN = re.compile(r"\s*(\d+(?:\.\d*)?|\.\d+)\s*([°'\"度分秒:]?)")
_UNIT = {"°": 0, "度": 0, "'": 1, "分": 1, '"': 2, "秒": 2}
_PART = (("度", "degrees"), ("分", "minutes"), ("秒", "seconds"))
# applied before NFKC (which would turn º into "o") and after it (″ becomes ′′)
_PRE = str.maketrans({"º": "°", "˚": "°", "’": "'", "‘": "'", "”": '"', "“": '"'})


def _normalise_dms(text: str) -> str:
    text = unicodedata.normalize("NFKC", text.translate(_PRE))
    return text.replace("′′", '"').replace("′", "'").replace("''", '"').strip()


def parse_dms(text: str | float) -> float:
    """
    Read one coordinate in decimal degrees or degrees-minutes-seconds, as ledgers write them.

    Accepts ``112.896``, ``112°53'45.6"``, ``112°53′45.6″``, ``112度53分45.6秒``,
    ``东经112°53'45.6"``, ``E112°53'45.6"``, ``112°53'45.6"E``, ``112 53 45.6``,
    ``112:53:45.6`` and decimal minutes ``112°53.76'``; full-width digits and punctuation are
    normalised. S, W, 南纬 and 西经 make the value negative. The sum is exact before rounding to
    float, so ``112°53'45.6"`` gives exactly ``112.896``.

    Raises
    ------
    CoordinateParseError
        A `GeomonError` (and `ValueError`) whose message says why, e.g. ``minutes 61 ≥ 60``.
    """
    if isinstance(text, bool):
        raise CoordinateParseError(f"不是坐标：{text}", f"not a coordinate: {text!r}")
    if isinstance(text, int | float | np.integer | np.floating):
        if not np.isfinite(text):
            raise CoordinateParseError("空值", "empty value")
        return float(text)
    s = _normalise_dms(str(text))
    if not s:
        raise CoordinateParseError("空值", "empty value")
    sign, hemispheres = 1, 0
    for pattern in (_LEAD, _TRAIL):
        if (m := pattern.search(s)) is not None:
            sign *= _HEMI[m.group(1).lower()]
            hemispheres += 1
            s = (s[: m.start()] + s[m.end() :]).strip()
    if hemispheres > 1:
        raise CoordinateParseError("有两个方位标记", "two hemisphere marks")
    if s[:1] in "+-":
        if s[0] == "-" and hemispheres:
            raise CoordinateParseError(
                "负号与方位标记同时出现", "both a minus sign and a hemisphere"
            )
        sign, s = (-1 if s[0] == "-" else 1) * sign, s[1:]
    return sign * float(_dms_sum(s))


def _dms_sum(s: str) -> Fraction:
    tokens, pos = [], 0
    while pos < len(s):
        m = _TOKEN.match(s, pos)
        if m is None:
            rest = s[pos:]
            raise CoordinateParseError(f"无法识别“{rest}”", f"cannot read {rest!r} as a number")
        tokens.append((m.group(1), _UNIT.get(m.group(2))))
        pos = m.end()
    if not tokens:
        raise CoordinateParseError("没有数字", "no number")
    total, last = Fraction(0), -1
    for i, (number, marked) in enumerate(tokens):
        unit = last + 1 if marked is None else marked
        if unit > 2 or unit <= last:
            raise CoordinateParseError(
                "度、分、秒的顺序或个数不对", "parts out of order or too many"
            )
        value = Fraction(number)
        zh, en = _PART[unit]
        if i < len(tokens) - 1 and value.denominator != 1:
            raise CoordinateParseError(
                f"只有最后一部分可带小数：{zh} {number}",
                f"only the last part may have decimals: {en} {number}",
            )
        if unit and value >= 60:
            raise CoordinateParseError(f"{zh} {number} ≥ 60", f"{en} {number} ≥ 60")
        if not unit and value > 180:
            raise CoordinateParseError(f"度 {number} > 180", f"degrees {number} > 180")
        total += value / 60**unit
        last = unit
    return total


def _blank(value: Any) -> bool:
    """Whether a cell is empty: None, NaN/NaT or whitespace-only text."""
    if isinstance(value, str):
        return not value.strip()
    return value is None or (not isinstance(value, list | tuple) and bool(pd.isna(value)))


def _number_text(value: Any) -> Any:
    """A cell ready for `pd.to_numeric`: numbers as they are, text without marks and commas."""
    if _blank(value) or isinstance(value, bool):
        return None
    if isinstance(value, int | float):
        return value
    text = unicodedata.normalize("NFKC", str(value)).strip()
    return text.rstrip("°度'′分\"″秒").replace(",", "")


def _to_number(values: pd.Series) -> pd.Series:
    """Numbers from cells that may hold text like "112°" or "38,393,907.86" (NaN if not)."""
    return pd.to_numeric(values.map(_number_text), errors="coerce").astype(float)


def dms_columns_to_degrees(d: Any, m: Any, s: Any) -> pd.Series:
    """
    Combine separate degree, minute and second columns into decimal degrees.

    Empty minutes or seconds count as 0; a minus sign on the degrees negates the whole value.
    Missing or non-numeric degrees, non-numeric parts, minutes or seconds outside [0, 60), and
    decimals on a part that is followed by a non-zero part (112.5° 30') give NaN
    (`_dms_reason` says why for one row).
    """
    cols = [pd.Series(v, dtype=object) for v in (d, m, s)]
    deg, mins, secs = (_to_number(c).to_numpy() for c in cols)
    given_m, given_s = (~c.map(_blank).to_numpy(dtype=bool) for c in cols[1:])
    bad = (np.isnan(mins) & given_m) | (np.isnan(secs) & given_s) | ~(np.abs(deg) <= 180)
    mins, secs = np.nan_to_num(mins), np.nan_to_num(secs)
    bad |= (mins < 0) | (mins >= 60) | (secs < 0) | (secs >= 60)
    bad |= ((deg % 1 != 0) & ((mins != 0) | (secs != 0))) | ((mins % 1 != 0) & (secs != 0))
    value = np.copysign(np.abs(deg) + mins / 60 + secs / 3600, deg)
    return pd.Series(np.where(bad, np.nan, value), index=cols[0].index, dtype=float)


def _dms_reason(d: Any, m: Any, s: Any) -> tuple[str, str]:
    """Why one row's D/M/S cells give no value, in Chinese and English."""
    for unit, raw in enumerate((d, m, s)):
        zh, en = _PART[unit]
        if _blank(raw):
            if unit == 0:
                return "度为空", "degrees are empty"
            continue
        num = _to_number(pd.Series([raw], dtype=object)).iloc[0]
        if np.isnan(num):
            return f"{zh}“{raw}”不是数字", f"{en} {raw!r} is not a number"
        if unit and not 0 <= num < 60:
            return f"{zh} {raw} 不在 0–60 之间", f"{en} {raw} not in [0, 60)"
        if not unit and abs(num) > 180:
            return f"度 {raw} > 180", f"degrees {raw} > 180"
        later = [x for x in (d, m, s)[unit + 1 :] if not _blank(x)]
        if num % 1 and any(_to_number(pd.Series(later, dtype=object)) != 0):
            return (
                f"只有最后一部分可带小数：{zh} {raw}",
                f"only the last part may have decimals: {en} {raw}",
            )
    return "无法解析", "cannot be parsed"
