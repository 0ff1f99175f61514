"""XLSX ledgers: find the sheet, bound its size before it is loaded, read it with calamine.

calamine (python-calamine) reads values about ten times faster than openpyxl and in a fraction of
its memory, but holds a sheet as a dense grid from A1 to its last cell: a few bytes (A1 and
XFD1048576) would ask for 512 GiB and abort the process. So the sheet's XML is scanned first
(`_quick_scan`, else `_exact_scan`) and its used area checked against the upload limits
(`_check_area`); only then does calamine load it, and only if its area is bounded by the
cells it holds (`_xlsx_sparse.dense_enough`): a sheet far sparser than its area (A1 and
AE1048576) is read cell by cell by `geomon.io._xlsx_sparse` instead. Cells come back as
openpyxl gives them (None, int for whole numbers, datetime), merged ranges filled. Split out
of ``geomon.io.tabular``; `xlsx_rows` is the one entry.
"""

from __future__ import annotations

import datetime as dt
import functools
import html
import io
import itertools
import posixpath
import re
import xml.etree.ElementTree as ET
import xml.parsers.expat
import zipfile
from collections.abc import Iterator
from typing import Any, NamedTuple

import python_calamine

from geomon.errors import ReadError
from geomon.io import _xlsx_sparse
from geomon.io import limits as glimits
from geomon.messages import cannot_read, message

__all__ = ["xlsx_rows"]

_CELL_BYTES = 32  # calamine holds a sheet as a dense grid of 32-byte cells up to its last cell
_QUICK_COLUMNS = 104  # columns A to CZ: the quick scan's area (`_unusual_cell`)
_SCAN_CHUNK = 8 * 1024**2
_BLOCK_ROWS = 4096  # rows converted at a time (`_stream_columns`)
_EXACT_INT = 2.0**53  # whole floats up to this were written as integers ("4200", not "4200.0")
_PREFIXED_CELL = re.compile(rb"<[^\s<>/!?:]+:c[\s/>]")
_ERROR_CELL = re.compile(rb'<c r="([A-Z]{1,3})([0-9]{1,7})"[^>]*? t="e"[^>]*(?<!/)>(.*?)</c>', re.S)
_ERROR_VALUE = re.compile(rb"<v>([^<]*)</v>")
_CELL_REF = re.compile(r"([A-Za-z]{1,3})([0-9]{1,10})")


_Merge = tuple[tuple[int, int], tuple[int, int]]  # (first row, column), (last row, column)


class _SheetScan(NamedTuple):
    """What a sheet's XML says before calamine loads it: its used area and its error cells."""

    rows: int  # last row and column holding a value (1-based; 0 for an empty sheet)
    cols: int
    errors: dict[tuple[int, int], str]  # 0-based (row, column) → "#N/A", "#DIV/0!", …
    cells: int = 0  # cells holding a value


def _local(tag: str) -> str:
    """An XML name without its namespace (``{uri}sheet``) or prefix (``x:c``)."""
    return tag.rpartition("}")[2].rpartition(":")[2]


def _column_number(letters: str) -> int:
    """``A`` → 1, ``AA`` → 27."""
    n = 0
    for ch in letters.upper():
        n = n * 26 + ord(ch) - 64
    return n


def _sheet_parts(zf: zipfile.ZipFile) -> list[str]:
    """The zip member of every sheet, in workbook order (xl/workbook.xml and its relationships)."""
    book = ET.fromstring(zf.read("xl/workbook.xml"))
    rels = ET.fromstring(zf.read("xl/_rels/workbook.xml.rels"))
    targets = {r.get("Id"): r.get("Target", "") for r in rels if _local(r.tag) == "Relationship"}
    parts = []
    for el in book.iter():
        if _local(el.tag) == "sheet":
            rid = next((v for k, v in el.attrib.items() if _local(k) == "id"), None)
            target = targets.get(rid, "")
            parts.append(target[1:] if target.startswith("/") else posixpath.join("xl", target))
    return [posixpath.normpath(p) for p in parts]


def _up_to(n: int) -> str:
    """A regex for the whole numbers 1 … `n` written without leading zeros."""
    digits = str(n)
    alts = [f"[1-9][0-9]{{0,{len(digits) - 2}}}"] if len(digits) > 1 else []
    for i, d in enumerate(digits):
        low = 1 if i == 0 else 0
        if int(d) > low:
            alts.append(f"{digits[:i]}[{low}-{int(d) - 1}][0-9]{{{len(digits) - i - 1}}}")
    return "|".join([*alts, digits])


@functools.lru_cache(maxsize=16)
def _unusual_cell(most_cells: int, columns: int = _QUICK_COLUMNS) -> re.Pattern[bytes]:
    """
    A ``<c`` that is not ``<c r="B7" s="1" t="s">`` with its row and column inside the area.

    Excel, WPS, LibreOffice and openpyxl write every cell so: the position first, then only
    style, type and rich-data attributes. If no cell of a sheet matches, the sheet fits in
    `most_cells` (`columns` columns: 26 or ``_QUICK_COLUMNS``, ``most_cells // columns`` rows)
    without parsing it; if one does, `_exact_scan` finds out.
    """
    rows = most_cells // columns
    row = f"(?:{_up_to(rows)})" if rows else "(?!)"
    cols = "[A-Z]" if columns == 26 else "[A-Z]|[A-C][A-Z]"  # the first 26 or 104 columns
    usual = f' r="(?:{cols}){row}"(?: (?:s|t|cm|vm|ph)="[^"<>]*")*/?>'
    return re.compile(f"<c(?!{usual})".encode())


def _error_cells(body: bytes) -> dict[tuple[int, int], str]:
    """Error cells (``t="e"``) of canonical XML: calamine reads them as empty, openpyxl as text."""
    out = {}
    for m in _ERROR_CELL.finditer(body):
        value = _ERROR_VALUE.search(m[3])
        if value:
            pos = (int(m[2]) - 1, _column_number(m[1].decode()) - 1)
            out[pos] = html.unescape(value[1].decode("utf-8", "replace"))
    return out


def _quick_scan(
    zf: zipfile.ZipFile, part: str, most_cells: int
) -> dict[tuple[int, int], str] | None:
    """
    Error cells of a sheet whose every cell is usual and inside the area (`_unusual_cell`).

    Streams the sheet's ``<sheetData>`` in chunks of whole rows with a single regex search each;
    the area allowed grows with the cells seen (`_xlsx_sparse.dense_enough`, rounded up to a
    power of two), so a sheet that passes is one calamine can load at a cost bounded by its
    cells. None if it finds anything else (then the sheet must be parsed: `_exact_scan`).
    """
    errors: dict[tuple[int, int], str] = {}
    cells, narrow = 0, True  # narrow: no cell seen beyond column Z (a thin ledger's rows)
    buf, started = b"", False
    with zf.open(part) as fh:
        while chunk := fh.read(_SCAN_CHUNK):
            buf += chunk
            if not started:
                at = buf.find(b"<sheetData>")
                if at < 0:
                    if len(buf) > _SCAN_CHUNK:
                        return None
                    continue
                buf, started = buf[at + len(b"<sheetData>") :], True
            cut = buf.rfind(b"</row>") + len(b"</row>")
            if cut < len(b"</row>"):
                if len(buf) > 4 * _SCAN_CHUNK:  # one row of 32 MiB: not a ledger
                    return None
                continue
            cells += buf.count(b"<c", 0, cut)  # every <c in sheetData is a cell (or unusual)
            area = _xlsx_sparse.dense_enough(cells, most_cells)
            area = min(most_cells, 1 << max(area - 1, 1).bit_length())
            narrow = narrow and not _unusual_cell(area, 26).search(buf, 0, cut)  # A–Z only
            unusual = _unusual_cell(area, 26 if narrow else _QUICK_COLUMNS)
            if unusual.search(buf, 0, cut) or (
                buf.find(b":c", 0, cut) >= 0 and _PREFIXED_CELL.search(buf, 0, cut)
            ):
                return None
            if buf.find(b't="e"', 0, cut) >= 0:
                errors |= _error_cells(buf[:cut])
            buf = buf[cut:]
    end = buf.find(b"</sheetData>")
    if not started or end < 0 or buf[:end].strip():  # cells outside rows, or no end
        return None
    return errors


def _row_index(text: str) -> int:
    """0-based row of a ``<row r="7">``, as calamine reads it."""
    if not text.isascii() or not text.isdigit() or int(text) < 1:
        raise ValueError(f"bad row number {text!r}")
    return int(text) - 1


def _cell_index(ref: str) -> tuple[int, int]:
    """0-based (row, column) of a cell reference such as ``B7``."""
    m = _CELL_REF.fullmatch(ref)
    if not m or int(m[2]) < 1:
        raise ValueError(f"bad cell reference {ref!r}")
    return int(m[2]) - 1, _column_number(m[1]) - 1


class _ExactScan:
    """Expat handlers that place cells as calamine does (cells and rows without ``r`` too)."""

    def __init__(self) -> None:
        self.state = "before"  # "before", "in" or "after" the (first) sheetData
        self.row = self.col = 0  # calamine's running row and column (0-based)
        self.cell: tuple[int, int] | None = None
        self.valued = self.error = False
        self.text: list[str] | None = None
        self.rows = self.cols = self.cells = 0
        self.errors: dict[tuple[int, int], str] = {}

    def start(self, tag: str, attrs: dict[str, str]) -> None:
        """A start tag: moves the position, opens a cell, or marks it as holding a value."""
        local = _local(tag)
        if self.state != "in":
            self.state = "in" if self.state == "before" and local == "sheetData" else self.state
        elif local == "row" and "r" in attrs:
            self.row = _row_index(attrs["r"])
        elif local == "c":
            row, self.col = _cell_index(attrs["r"]) if "r" in attrs else (self.row, self.col)
            self.cell = (row, self.col)
            self.valued, self.error = False, attrs.get("t") == "e"
        elif self.cell is not None:
            self.valued = True
            if local == "v" and self.error:
                self.text = []

    def end(self, tag: str) -> None:
        """An end tag: closes a cell (counting it if it held a value), its value or a row."""
        local = _local(tag)
        if self.state != "in":
            return
        if local == "sheetData":
            self.state = "after"
        elif local == "row":
            self.row, self.col = self.row + 1, 0
        elif local == "v" and self.cell is not None and self.text is not None:
            self.errors[self.cell], self.text = "".join(self.text), None
        elif local == "c" and self.cell is not None:
            if self.valued:
                self.cells += 1
                self.rows = max(self.rows, self.cell[0] + 1)
                self.cols = max(self.cols, self.cell[1] + 1)
            self.cell, self.col = None, self.col + 1

    def chars(self, data: str) -> None:
        """Text: kept only inside the ``<v>`` of an error cell."""
        if self.text is not None:
            self.text.append(data)


def _exact_scan(zf: zipfile.ZipFile, part: str) -> _SheetScan:
    """`_SheetScan` of any sheet XML, parsed with expat (slower; for unusual writers)."""
    scan = _ExactScan()
    parser = xml.parsers.expat.ParserCreate()
    parser.StartElementHandler = scan.start
    parser.EndElementHandler = scan.end
    parser.CharacterDataHandler = scan.chars
    with zf.open(part) as fh:
        while chunk := fh.read(_SCAN_CHUNK):
            parser.Parse(chunk, False)
    parser.Parse(b"", True)
    return _SheetScan(scan.rows, scan.cols, scan.errors, scan.cells)


def _pick_sheet(book: python_calamine.CalamineWorkbook, sheet: str | int | None, name: str) -> int:
    """Index of the sheet asked for: None is the first worksheet, an int counts worksheets only."""
    names = book.sheet_names
    worksheets = [
        i
        for i, meta in enumerate(book.sheets_metadata)
        if meta.typ == python_calamine.SheetTypeEnum.WorkSheet
    ]
    if sheet is None and worksheets:
        return worksheets[0]
    if isinstance(sheet, int) and 0 <= sheet < len(worksheets):
        return worksheets[sheet]
    if isinstance(sheet, str) and sheet in names:
        return names.index(sheet)
    msg = message(
        f"{name} 中没有工作表 {sheet!r}（有：{'、'.join(names)}）",
        f"{name} has no sheet {sheet!r} (sheets: {', '.join(names)})",
    )
    raise ReadError(msg, code="missing_sheet", path=name)


def _check_area(rows: int, cols: int, title: str, name: str, most_cells: int) -> None:
    """Refuse a sheet whose used area (A1 to its last cell) has more than `most_cells` cells.

    calamine allocates the whole area at once, so a few bytes (A1 and XFD1048576) would ask for
    512 GiB and abort the process. The limit is the one on unpacked archive contents, at
    ``_CELL_BYTES`` a cell.
    """
    if rows * cols > most_cells:
        msg = message(
            f"{name} 的工作表“{title}”有 {rows:,} 行 × {cols:,} 列，超过上限 {most_cells:,} 个"
            "单元格；请删除多余的行和列",
            f"sheet {title!r} of {name} spans {rows:,} rows × {cols:,} columns, over the limit "
            f"of {most_cells:,} cells; delete the unused rows and columns",
        )
        raise ReadError(msg, code="too_large", path=name)


def _python_column(cells: tuple[Any, ...], same: dict[str, str]) -> list[Any]:
    """
    Some cells of a column as openpyxl gives them: None for empty, int for whole numbers (a
    code typed as 4200 stays 4200, not 4200.0), datetime for date cells.

    Equal texts become one object (kept in `same`, one per column): calamine makes a new one
    per cell, and a ledger repeats its types, districts and rivers on every row.
    """
    kinds = set(map(type, cells))
    out = list(cells)
    if str in kinds:
        out = [None if v == "" else same.setdefault(v, v) if type(v) is str else v for v in out]
    if float in kinds:
        out = [
            int(v) if type(v) is float and v.is_integer() and -_EXACT_INT <= v <= _EXACT_INT else v
            for v in out
        ]
    if dt.date in kinds:
        out = [dt.datetime(v.year, v.month, v.day) if type(v) is dt.date else v for v in out]
    return out


def _fill_merges(rows: list[list[Any]], merges: list[_Merge]) -> dict[int, int]:
    """Give every cell of a merged range its top-left value (as openpyxl's MergedCells are
    emptied first); return how many rows each merge starting on a row spans down."""
    for (r0, c0), (r1, c1) in merges:
        for r in range(r0, r1 + 1):
            for c in range(c0, c1 + 1):
                if (r, c) != (r0, c0):
                    rows[r][c] = None
    spans: dict[int, int] = {}
    for (r0, c0), (r1, c1) in merges:
        top = rows[r0][c0]
        for r in range(r0, r1 + 1):
            rows[r][c0 : c1 + 1] = [top] * (c1 - c0 + 1)
        spans[r0] = max(spans.get(r0, 0), r1 - r0)
    return spans


def _open_workbook(
    data: bytes, name: str
) -> tuple[zipfile.ZipFile, python_calamine.CalamineWorkbook]:
    """The file as a zip (for the sheet scan) and as a calamine workbook."""
    try:
        zf = zipfile.ZipFile(io.BytesIO(data))
        return zf, python_calamine.CalamineWorkbook.from_filelike(io.BytesIO(data))
    except Exception as exc:  # not a zip, not a workbook: all mean unreadable
        raise cannot_read(name, exc) from exc


def _scan_sheet(
    zf: zipfile.ZipFile, index: int, title: str, name: str, most_cells: int
) -> tuple[dict[tuple[int, int], str], bool]:
    """Check the size of sheet `index` before calamine loads it (`_quick_scan`, else
    `_exact_scan`); return its error cells, and whether it is too sparse for calamine's grid
    (`_xlsx_sparse.dense_enough`). Unreadable XML is a ReadError."""
    try:
        part = _sheet_parts(zf)[index]
        errors = _quick_scan(zf, part, most_cells)
        scan = _exact_scan(zf, part) if errors is None else None
    except Exception as exc:  # a missing part, bad XML, a corrupt member: all mean unreadable
        raise cannot_read(name, exc) from exc
    if scan is None:
        return errors or {}, False
    _check_area(scan.rows, scan.cols, title, name, most_cells)
    return scan.errors, scan.rows * scan.cols > _xlsx_sparse.dense_enough(scan.cells, most_cells)


def _stream_columns(rows: Iterator[list[Any]]) -> list[list[Any]]:
    """calamine's rows stored column by column as openpyxl gives them (`_python_column`),
    converted a block of rows at a time so that they never all exist as raw objects at once."""
    columns: list[list[Any]] = []
    seen: list[dict[str, str]] = []
    while block := list(itertools.islice(rows, _BLOCK_ROWS)):
        if not columns:
            columns, seen = [[] for _ in block[0]], [{} for _ in block[0]]
        for out, cells, same in zip(columns, zip(*block, strict=True), seen, strict=True):
            out.extend(_python_column(cells, same))
    return columns


def _calamine_columns(
    book: python_calamine.CalamineWorkbook, index: int, name: str
) -> tuple[list[list[Any]], list[_Merge]]:
    """Columns of sheet `index` from A1 (see `_stream_columns`) and its merged ranges."""
    try:
        sheet = book.get_sheet_by_index(index)
        columns = _stream_columns(sheet.iter_rows())
        merges = sheet.merged_cell_ranges or []
        start, height, width = sheet.start, sheet.height, sheet.width
    except BaseException as exc:  # a Rust panic (pyo3's PanicException) is a BaseException
        if not isinstance(exc, Exception) and type(exc).__name__ != "PanicException":
            raise
        raise cannot_read(name, exc) from exc
    if start is not None and columns:  # iter_rows starts at the first used column (and row)
        n = len(columns[0])
        if len(columns) == width:
            columns = [[None] * n for _ in range(start[1])] + columns
        if n == height:
            columns = [[None] * start[0] + c for c in columns]
    return columns, merges


def _grid_size(
    columns: list[list[Any]], merges: list[_Merge], errors: dict[tuple[int, int], str]
) -> tuple[int, int]:
    """Rows and columns from A1 over every value, merged range and error cell."""
    n = len(columns[0]) if columns else 0
    height = max([n, *(r1 + 1 for _, (r1, _) in merges), *(r + 1 for r, _ in errors)])
    width = max([len(columns), *(c1 + 1 for _, (_, c1) in merges), *(c + 1 for _, c in errors)])
    return height, width


def _grid(
    columns: list[list[Any]], errors: dict[tuple[int, int], str], height: int, width: int
) -> list[list[Any]]:
    """`height` rows of `width` values, error cells as their text ("#N/A")."""
    n = len(columns[0]) if columns else 0
    columns += [[None] * n for _ in range(width - len(columns))]
    rows = [list(r) for r in zip(*columns, strict=True)]
    columns.clear()
    rows += [[None] * width for _ in range(height - n)]
    for (r, c), text in errors.items():
        rows[r][c] = text
    return rows


def xlsx_rows(
    data: bytes, name: str, sheet: str | int | None, limits: glimits.UploadLimits
) -> tuple[list[list[Any]], dict[int, int], list[int] | None]:
    """
    Cell values of one sheet from A1, merged ranges filled, how many rows each merge spans, and
    the 0-based sheet row of each row given (None: every row from A1 is given).

    A sparse sheet (far fewer cells than its area: A1 and AE1048576) is read cell by cell by
    `geomon.io._xlsx_sparse`, its empty rows and columns left out, so time and memory follow
    the cells present.

    The sheet's XML is scanned first so that its size is checked before calamine loads it;
    calamine then reads the values (cached results of formulas, not the formulas) about ten
    times faster than openpyxl and in a fraction of the memory.
    """
    most_cells = limits.max_unzipped_bytes // _CELL_BYTES
    zf, book = _open_workbook(data, name)
    with zf, book:
        index = _pick_sheet(book, sheet, name)
        title = book.sheet_names[index]
        errors, sparse = _scan_sheet(zf, index, title, name, most_cells)
        if sparse:  # a few cells far apart: read cell by cell, empty rows and columns left out
            sheet_rows, merges, numbers = _xlsx_sparse.sparse_grid(
                data, zf, _sheet_parts(zf)[index], title, name, most_cells
            )
            return sheet_rows, _fill_merges(sheet_rows, merges), numbers
        columns, merges = _calamine_columns(book, index, name)
    height, width = _grid_size(columns, merges, errors)
    _check_area(height, width, title, name, most_cells)  # merged ranges may reach further
    rows = _grid(columns, errors, height, width)
    return rows, _fill_merges(rows, merges), None
