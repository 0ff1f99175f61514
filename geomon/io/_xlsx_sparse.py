"""Sparse XLSX sheets: read cell by cell, so time and memory follow the cells present.

calamine holds a sheet as a dense grid from A1 to its last cell. A 1.5 KB workbook with values
in A1 and AE1048576 passes the sheet guard (32.5 M cells, under the limit) and made calamine and
the Python conversion take ~12-50 s and 1.7 GB. `geomon.io._xlsx` sends a sheet here when its
area is far larger than its cells (`dense_enough`): openpyxl's streaming sheet parser yields only
the cells present, empty rows and columns are left out of the grid (the caller is told the sheet
row of each row kept), and the grid kept is bounded by the cells again.
"""

from __future__ import annotations

import datetime as dt
import io
import re
import zipfile
from typing import Any

import openpyxl
from openpyxl.worksheet._reader import WorkSheetParser

from geomon.errors import ReadError
from geomon.messages import cannot_read, message

__all__ = ["dense_enough", "sparse_grid"]

SPARSE_FACTOR = 16  # grid cells a sheet may take per cell present
SMALL_GRID = 1 << 20  # a grid this small (32 MiB in calamine) is always fine
_EXACT_INT = 2.0**53
_CHUNK = 8 * 1024**2
_MERGE = re.compile(
    rb"<(?:[A-Za-z0-9_]+:)?mergeCell\s[^>]*?ref=[\"']([A-Za-z]{1,3})([0-9]{1,7})"
    rb"(?::([A-Za-z]{1,3})([0-9]{1,7}))?[\"']"
)

_Merge = tuple[tuple[int, int], tuple[int, int]]


def dense_enough(cells: int, most_cells: int) -> int:
    """The largest grid a sheet holding `cells` cells may take (calamine's, or the one here):
    ``SPARSE_FACTOR`` grid cells a cell plus ``SMALL_GRID``, and never over the guard."""
    return min(most_cells, SPARSE_FACTOR * cells + SMALL_GRID)


def _column_number(letters: bytes) -> int:
    n = 0
    for ch in letters.upper():
        n = n * 26 + ch - 64
    return n


def _plain(value: Any) -> Any:
    """A value as the calamine path gives it: whole floats as int, dates as datetime."""
    if type(value) is float and value.is_integer() and -_EXACT_INT <= value <= _EXACT_INT:
        return int(value)
    if type(value) is dt.date:
        return dt.datetime(value.year, value.month, value.day)
    return value


def _cells(data: bytes, title: str, name: str) -> dict[tuple[int, int], Any]:
    """0-based (row, column) → value of every cell holding one (errors as their text)."""
    out: dict[tuple[int, int], Any] = {}
    try:
        book = openpyxl.load_workbook(io.BytesIO(data), read_only=True, data_only=True)
        try:
            ws = book[title]
            with ws._get_source() as src:  # the streaming parser openpyxl's iter_rows uses
                parser = WorkSheetParser(
                    src,
                    ws._shared_strings,
                    data_only=True,
                    epoch=book.epoch,
                    date_formats=book._date_formats,
                    timedelta_formats=book._timedelta_formats,
                )
                for _, row in parser.parse():
                    for cell in row:
                        value = cell["value"]
                        if value is not None and value != "":
                            out[cell["row"] - 1, cell["column"] - 1] = _plain(value)
        finally:
            book.close()
    except Exception as exc:  # bad XML, a missing part: unreadable
        raise cannot_read(name, exc) from exc
    return out


def _merges(zf: zipfile.ZipFile, part: str) -> list[_Merge]:
    """The merged ranges of the sheet XML `part`, 0-based, streamed in chunks."""
    found: list[_Merge] = []
    tail = b""
    with zf.open(part) as fh:
        while chunk := fh.read(_CHUNK):
            buf = tail + chunk
            last = 0
            for m in _MERGE.finditer(buf):
                c0, r0 = _column_number(m[1]) - 1, int(m[2]) - 1
                c1 = _column_number(m[3]) - 1 if m[3] else c0
                r1 = int(m[4]) - 1 if m[4] else r0
                found.append(((min(r0, r1), min(c0, c1)), (max(r0, r1), max(c0, c1))))
                last = m.end()
            tail = buf[max(last, len(buf) - 256) :]
    return found


def _too_large(title: str, name: str, cells: int, rows: int, cols: int, limit: int) -> ReadError:
    msg = message(
        f"{name} 的工作表“{title}”的 {cells:,} 个单元格散布在 {rows:,} 行 × {cols:,} 列中，"
        f"超过上限 {limit:,} 个单元格；请删除多余的行和列",
        f"sheet {title!r} of {name} spreads {cells:,} cells over {rows:,} rows × {cols:,} "
        f"columns, over the limit of {limit:,} cells; delete the unused rows and columns",
    )
    return ReadError(msg, code="too_large", path=name)


def sparse_grid(
    data: bytes, zf: zipfile.ZipFile, part: str, title: str, name: str, most_cells: int
) -> tuple[list[list[Any]], list[_Merge], list[int]]:
    """
    The rows of sheet `title` that hold a value or a merged range, each as wide as the columns
    that do; its merged ranges in those rows and columns; and each row's 0-based sheet row.

    Raises ``too_large`` if the rows and columns kept span more than `dense_enough` cells.
    """
    cells = _cells(data, title, name)
    merges = _merges(zf, part)
    for (r0, c0), (r1, c1) in merges:  # a merge is filled cell by cell: bound it first
        if (r1 - r0 + 1) * (c1 - c0 + 1) > most_cells:
            raise _too_large(title, name, 1, r1 - r0 + 1, c1 - c0 + 1, most_cells)
    rows = {r for r, _ in cells}
    cols = {c for _, c in cells}
    for (r0, c0), (r1, c1) in merges:
        rows.update(range(r0, r1 + 1))
        cols.update(range(c0, c1 + 1))
    limit = dense_enough(len(cells), most_cells)
    if len(rows) * len(cols) > limit:
        raise _too_large(title, name, len(cells), len(rows), len(cols), limit)
    numbers = sorted(rows)
    row_at = {r: i for i, r in enumerate(numbers)}
    col_at = {c: j for j, c in enumerate(sorted(cols))}
    grid: list[list[Any]] = [[None] * len(col_at) for _ in numbers]
    for (r, c), value in cells.items():
        grid[row_at[r]][col_at[c]] = value
    kept = [((row_at[r0], col_at[c0]), (row_at[r1], col_at[c1])) for (r0, c0), (r1, c1) in merges]
    return grid, kept, numbers
