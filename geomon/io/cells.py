"""Spreadsheet formula injection: find text cells a spreadsheet would run, and defuse them.

A ledger cell ``=HYPERLINK("http://…"&A1,"点我")`` or ``=cmd|' /C calc'!A0`` is plain text to
geomon but a live formula to Excel, WPS or LibreOffice when it lands in a CSV or XLSX file. OWASP's
CSV-injection guidance: a cell that starts with ``=``, ``+``, ``-``, ``@``, a tab or a carriage
return is a formula trigger. Every tabular export defuses such text cells
(`neutralised_for_csv`: a leading ``'``, what Excel itself shows for text typed as ``'=…``;
`force_text_cells`: XLSX string cells, so the exact text survives and is never evaluated), and
import warns about them (`formula_issues`, code ``formula_text``). Numbers stay numbers: only
text is touched, and a text that is a plain number (``-12.5``) is no formula.
"""

from __future__ import annotations

import re
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from geomon.messages import Issue, message
from geomon.specs import LayerSpec

TRIGGERS = ("=", "+", "-", "@", "\t", "\r")
_TRIGGER_CHARS = frozenset(TRIGGERS)
_TRIGGER_ARROW = pa.array(TRIGGERS)
_TRIGGER = re.compile(r"^[=+\-@\t\r]")
_PLAIN_NUMBER = re.compile(r"^[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?$")


def _is_formula(value: object) -> bool:
    return (
        isinstance(value, str)
        and _TRIGGER.match(value) is not None
        and _PLAIN_NUMBER.match(value) is None
    )


def formula_mask(column: pd.Series) -> np.ndarray:
    """True where a cell of `column` is text a spreadsheet would read as a formula."""
    if column.dtype.kind in "biufcmM":  # numbers, flags and dates are never formulas
        return np.zeros(len(column), dtype=bool)
    if isinstance(column.array, pd.arrays.ArrowStringArray):  # first characters, in Arrow
        first = pc.utf8_slice_codeunits(pa.array(column.array), 0, 1)
        starts = pc.fill_null(pc.is_in(first, _TRIGGER_ARROW), False).to_numpy(zero_copy_only=False)
        starts = np.array(starts, dtype=bool)  # writable
        for i in np.flatnonzero(starts).tolist():
            starts[i] = _is_formula(column.iloc[i])
        return starts
    try:  # a ledger repeats its values: look at each distinct one once
        codes, uniques = pd.factorize(column)
    except TypeError:  # unhashable cells (a JSON array read from GeoJSON)
        return np.fromiter(map(_is_formula, column.tolist()), dtype=bool, count=len(column))
    hits = _formula_values(uniques.tolist())
    return np.append(hits, False)[codes]  # code -1 (missing) → the appended False


def _formula_values(values: list[object]) -> np.ndarray:
    """`_is_formula` of each value: a first-character test, the regexes only on its hits."""
    first = _TRIGGER_CHARS
    hits = np.fromiter(
        (type(v) is str and v[:1] in first for v in values), dtype=bool, count=len(values)
    )
    for i in np.flatnonzero(hits).tolist():
        hits[i] = _is_formula(values[i])
    return hits


def neutralised_for_csv(table: pd.DataFrame) -> pd.DataFrame:
    """`table` with every formula-like text cell prefixed by ``'`` (OWASP), numbers untouched."""
    out = table
    for name in table.columns:
        mask = formula_mask(table[name])
        if mask.any():
            if out is table:
                out = table.copy()
            col = out[name].astype(object)
            col[mask] = ["'" + v for v in col[mask]]
            out[name] = col
    return out


def force_text_cells(sheet: Any, table: pd.DataFrame, *, header_rows: int = 1) -> int:
    """Make the XLSX cells of `table`'s formula-like texts string cells; return how many.

    `sheet` is the openpyxl worksheet `table` was written to from A1 with `header_rows` header
    rows and no index column (``DataFrame.to_excel(..., index=False)``).
    """
    count = 0
    for c, name in enumerate(table.columns, start=1):
        for r in np.flatnonzero(formula_mask(table[name])).tolist():
            cell = sheet.cell(row=r + 1 + header_rows, column=c)
            cell.value = table[name].iloc[r]
            cell.data_type = "s"  # the text as written, never evaluated
            count += 1
    return count


def formula_issues(frame: pd.DataFrame, spec: LayerSpec) -> list[Issue]:
    """A ``formula_text`` warning for every text field cell that starts like a formula."""
    issues: list[Issue] = []
    for fspec in spec.fields:
        if fspec.type != "str" or fspec.name not in frame.columns:  # enums, numbers, dates:
            continue  # a formula there is no allowed value (bad_enum, bad_type) anyway
        column = frame[fspec.name]
        for i in np.flatnonzero(formula_mask(column)).tolist():
            row = frame.index[i]
            shown = str(column.iloc[i])[:40]
            issues.append(
                Issue(
                    int(row) if isinstance(row, int | np.integer) else None,
                    fspec.name,
                    "formula_text",
                    message(
                        f"“{shown}”以 = + - @ 或制表符开头，电子表格会当作公式执行；按文本保存，"
                        "导出时将转义",
                        f"{shown!r} starts like a spreadsheet formula; kept as text and "
                        "defused in CSV/XLSX exports",
                    ),
                    "warning",
                )
            )
    return issues
