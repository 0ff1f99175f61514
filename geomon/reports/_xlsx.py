"""Workbook helpers shared by the period and re-check XLSX reports.

Text cells are always written as text, so a name such as ``=HYPERLINK(...)`` is shown, never
evaluated as a formula. Headers are bold on a light fill, the header row is frozen and filtered.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from openpyxl import Workbook
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter

_FILL = PatternFill("solid", fgColor="EEF1F7")
MAX_SHEET_TITLE = 31  # Excel's limit


def _value(value: Any) -> Any:
    if value is None:
        return None
    if isinstance(value, bool):
        return "是" if value else "否"
    if isinstance(value, list | tuple):
        return "、".join(str(v) for v in value) or None
    if isinstance(value, dict):
        return "；".join(f"{k} {v}" for k, v in value.items())
    if hasattr(value, "item"):
        return value.item()
    return value


def add_sheet(
    wb: Workbook,
    title: str,
    headers: Sequence[str],
    rows: Sequence[Sequence[Any]],
    *,
    widths: Sequence[float] = (),
    percent: Sequence[int] = (),
) -> None:
    """Append a sheet `title` with Chinese `headers` and `rows` (columns in `percent` hold %)."""
    ws = wb.create_sheet(title[:MAX_SHEET_TITLE])
    ws.append(list(headers))
    for cell in ws[1]:
        cell.font = Font(bold=True)
        cell.fill = _FILL
        cell.alignment = Alignment(wrap_text=True, vertical="top")
    for r, row in enumerate(rows, start=2):
        for c, raw in enumerate(row, start=1):
            value = _value(raw)
            cell = ws.cell(row=r, column=c)
            cell.value = value
            if isinstance(value, str):
                cell.data_type = "s"  # never a formula, whatever the text starts with
            elif isinstance(value, float):
                cell.number_format = '0.0"%"' if c - 1 in percent else "#,##0.00"
    for c in range(1, len(headers) + 1):
        width = widths[c - 1] if c - 1 < len(widths) else 14
        ws.column_dimensions[get_column_letter(c)].width = width
    ws.freeze_panes = "A2"
    if rows:
        ws.auto_filter.ref = ws.dimensions


def new_workbook() -> Workbook:
    """An empty workbook (its default sheet removed: sheets are added with `add_sheet`)."""
    wb = Workbook()
    if wb.active is not None:
        wb.remove(wb.active)
    return wb
