"""Ledgers (台账) in CSV and XLSX: header detection, column matching and coordinate parsing.

Bureau ledgers give coordinates in many shapes: decimal or DMS text in 经度/纬度 columns,
separate degree/minute/second columns, Gauss–Krüger X/Y (X = northing, as Chinese surveyors
write it) or a WKT column (shared/DOMAIN.md §5.1). `read_ledger` turns a ledger into a frame of
raw values plus geometries in the ledger's own coordinates (``geomon.io.read`` brings them to
EPSG:4326), and reports every coordinate it cannot parse as an `Issue` on its 1-based row
instead of stopping at the first one. XLSX sheets are read with calamine (python-calamine)
once a scan of the sheet's XML has shown that they fit the upload limits (`_xlsx_rows`).
"""

from __future__ import annotations

import csv
import datetime as dt
import functools
import html
import io
import itertools
import posixpath
import re
import unicodedata
import xml.etree.ElementTree as ET
import xml.parsers.expat
import zipfile
from collections.abc import Iterator
from typing import Any, NamedTuple

import geopandas as gpd
import numpy as np
import pandas as pd
import python_calamine
import shapely

from geomon.errors import ReadError
from geomon.io import limits as glimits
from geomon.io.dms import (
    CoordinateParseError,
    _blank,
    _dms_reason,
    _to_number,
    dms_columns_to_degrees,
    parse_dms,
)
from geomon.messages import Issue, message
from geomon.specs import LayerSpec

__all__ = [
    "CoordinateParseError",
    "dms_columns_to_degrees",
    "ledger_geometry",
    "normalise_header",
    "parse_dms",
    "read_ledger",
    "rename_to_spec",
]

_HEADER_SCAN_ROWS = 10  # title rows above the header are skipped within this many rows
_LABELS = {  # zh, en names of each coordinate role, for messages
    "lon": ("经度", "longitude"),
    "lat": ("纬度", "latitude"),
    "x": ("X坐标（北）", "X (northing)"),
    "y": ("Y坐标（东）", "Y (easting)"),
    "wkt": ("WKT", "WKT"),
}


# --- headers -----------------------------------------------------------------------------------


def normalise_header(header: Any) -> str:
    """A header as matched: NFKC (full-width → ASCII), casefolded, without whitespace."""
    return re.sub(r"\s+", "", unicodedata.normalize("NFKC", str(header))).casefold()


def _field_lookup(spec: LayerSpec) -> dict[str, str]:
    lookup: dict[str, str] = {}
    for f in spec.fields:
        for header in f.headers:
            lookup.setdefault(normalise_header(header), f.name)
    return lookup


def _coordinate_lookup(spec: LayerSpec) -> dict[str, str]:
    c = spec.coordinates
    roles = {"lon": c.lon, "lat": c.lat, "x": c.x, "y": c.y, "wkt": c.wkt}
    for axis, parts in (("lon", c.lon_dms), ("lat", c.lat_dms)):
        roles |= {f"{axis}_{p}": headers for p, headers in zip("dms", parts, strict=True)}
    lookup: dict[str, str] = {}
    for role, headers in roles.items():
        for header in headers:
            lookup.setdefault(normalise_header(header), role)
    return lookup


def _unique(names: list[str]) -> list[str]:
    """Give empty headers a name and repeated ones a ``.1``, ``.2`` suffix (as pandas does)."""
    out: list[str] = []
    for j, name in enumerate(names):
        base = name or f"column_{j + 1}"
        candidate, k = base, 0
        while candidate in out:
            k += 1
            candidate = f"{base}.{k}"
        out.append(candidate)
    return out


def rename_to_spec(frame: pd.DataFrame, spec: LayerSpec) -> tuple[pd.DataFrame, list[Issue]]:
    """
    Rename columns whose header means a spec field (name, labels, aliases) to the field name.

    Matching ignores case, whitespace and full-width forms. Unknown columns keep their header
    (validation warns about them). If two columns mean the same field, the first wins and the
    other keeps its header, with a ``duplicate_column`` warning.
    """
    lookup = _field_lookup(spec)
    taken: dict[str, str] = {}
    names: list[str] = []
    issues: list[Issue] = []
    for col in frame.columns:
        field = lookup.get(normalise_header(col)) if col != "geometry" else None
        if field is not None and field in taken:
            issues.append(
                Issue(
                    None,
                    field,
                    "duplicate_column",
                    message(
                        f"列“{col}”与“{taken[field]}”都对应字段 {field}，使用第一列",
                        f"columns {col!r} and {taken[field]!r} both mean field {field!r}; "
                        "the first is used",
                    ),
                    "warning",
                )
            )
            field = None
        if field is not None:
            taken[field] = col
        names.append(field or str(col))
    out = frame.copy()
    out.columns = _unique(names) if len(set(names)) < len(names) else names
    return out, issues


# --- reading CSV and XLSX into rows ------------------------------------------------------------


def _unreadable(name: str, exc: BaseException, code: str = "unreadable") -> ReadError:
    reason = str(exc) or type(exc).__name__
    return ReadError(
        message(f"无法读取 {name}", f"cannot read {name}: {reason}"), code=code, path=name
    )


def _decode(data: bytes, name: str, encoding: str | None) -> str:
    tried = [encoding] if encoding else ["utf-8-sig", "gb18030"]
    for enc in tried:
        try:
            return data.decode(enc).removeprefix("\ufeff")
        except UnicodeDecodeError as exc:
            last = exc
        except LookupError as exc:
            raise _unreadable(name, exc, code="bad_encoding") from exc
    msg = message(
        f"{name} 不是 {'、'.join(tried)} 编码的文本；请另存为 UTF-8 或指定编码",
        f"{name} is not text in {', '.join(tried)} ({last}); save it as UTF-8 or pass encoding=",
    )
    raise ReadError(msg, code="bad_encoding", path=name)


def _csv_rows(data: bytes, name: str, encoding: str | None) -> list[list[Any]]:
    text = _decode(data, name, encoding)
    head = text.splitlines()[:_HEADER_SCAN_ROWS]
    counts = {d: sum(line.count(d) for line in head) for d in (",", "\t", ";", "|")}
    delimiter = max(counts, key=lambda d: counts[d]) if any(counts.values()) else ","
    try:
        rows = list(csv.reader(io.StringIO(text, newline=""), delimiter=delimiter))
    except csv.Error as exc:
        raise _unreadable(name, exc) from exc
    return [[None if v == "" else v for v in row] for row in rows]


# --- XLSX: find the sheet, bound its size, read it with calamine ----------------------------

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


@functools.lru_cache(maxsize=8)
def _unusual_cell(most_cells: int) -> re.Pattern[bytes]:
    """
    A ``<c`` that is not ``<c r="B7" s="1" t="s">`` with its row and column inside the area.

    Excel, WPS, LibreOffice and openpyxl write every cell so: the position first, then only
    style, type and rich-data attributes. If no cell of a sheet matches, the sheet fits in
    `most_cells` (``_QUICK_COLUMNS`` columns, ``most_cells // _QUICK_COLUMNS`` rows) without
    parsing it; if one does, `_exact_scan` finds out.
    """
    rows = most_cells // _QUICK_COLUMNS
    row = f"(?:{_up_to(rows)})" if rows else "(?!)"
    cols = "[A-Z]|[A-C][A-Z]"  # the first _QUICK_COLUMNS columns
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
    None if it finds anything else (then the sheet must be parsed: `_exact_scan`).
    """
    unusual = _unusual_cell(most_cells)
    errors: dict[tuple[int, int], str] = {}
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
        self.rows = self.cols = 0
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
    return _SheetScan(scan.rows, scan.cols, scan.errors)


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
        raise _unreadable(name, exc) from exc


def _scan_sheet(
    zf: zipfile.ZipFile, index: int, title: str, name: str, most_cells: int
) -> dict[tuple[int, int], str]:
    """Check the size of sheet `index` before calamine loads it (`_quick_scan`, else
    `_exact_scan`) and return its error cells; unreadable XML is a ReadError."""
    try:
        part = _sheet_parts(zf)[index]
        errors = _quick_scan(zf, part, most_cells)
        scan = _exact_scan(zf, part) if errors is None else None
    except Exception as exc:  # a missing part, bad XML, a corrupt member: all mean unreadable
        raise _unreadable(name, exc) from exc
    if scan is not None:
        _check_area(scan.rows, scan.cols, title, name, most_cells)
        errors = scan.errors
    return errors or {}


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
        raise _unreadable(name, exc) from exc
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


def _xlsx_rows(
    data: bytes, name: str, sheet: str | int | None, limits: glimits.UploadLimits
) -> tuple[list[list[Any]], dict[int, int]]:
    """
    Cell values of one sheet from A1, merged ranges filled, and how many rows each merge spans.

    The sheet's XML is scanned first so that its size is checked before calamine loads it;
    calamine then reads the values (cached results of formulas, not the formulas) about ten
    times faster than openpyxl and in a fraction of the memory.
    """
    most_cells = limits.max_unzipped_bytes // _CELL_BYTES
    zf, book = _open_workbook(data, name)
    with zf, book:
        index = _pick_sheet(book, sheet, name)
        title = book.sheet_names[index]
        errors = _scan_sheet(zf, index, title, name, most_cells)
        columns, merges = _calamine_columns(book, index, name)
    height, width = _grid_size(columns, merges, errors)
    _check_area(height, width, title, name, most_cells)  # merged ranges may reach further
    rows = _grid(columns, errors, height, width)
    return rows, _fill_merges(rows, merges)


# --- rows to a frame ---------------------------------------------------------------------------


def _combine_headers(header_rows: list[list[Any]], known: set[str]) -> list[str]:
    """One name per column from a header of one or more rows (merged cells already filled)."""
    names = []
    for cells in zip(*header_rows, strict=True):
        texts = list(dict.fromkeys(str(c).strip() for c in cells if not _blank(c)))
        if not texts:
            names.append("")
            continue
        top, bottom = texts[0], texts[-1]
        options = [bottom, top + bottom, top] if top != bottom else [top]
        matched = [o for o in options if normalise_header(o) in known]
        names.append(matched[0] if matched else options[min(1, len(options) - 1)])
    return names


def _frame_from_rows(
    rows: list[list[Any]], spans: dict[int, int], spec: LayerSpec, name: str
) -> pd.DataFrame:
    """Find the header (skipping title rows) and return the records indexed 1, 2, … ("row")."""
    width = max((len(r) for r in rows), default=0)
    rows = [r if len(r) == width else [*r, *[None] * (width - len(r))] for r in rows]
    filled = [i for i, r in enumerate(rows) if not all(map(_blank, r))]
    if not filled:
        raise ReadError(message(f"{name} 是空的", f"{name} is empty"), code="empty", path=name)
    known = set(_field_lookup(spec)) | set(_coordinate_lookup(spec))
    matches = [
        i
        for i in filled
        if i < _HEADER_SCAN_ROWS and sum(normalise_header(v) in known for v in rows[i]) >= 2
    ]
    h = matches[0] if matches else filled[0]
    end = h + 1 + spans.get(h, 0)
    names = _combine_headers(rows[h:end], known)
    headers = _unique(names)
    records = {n: r for n, r in enumerate(rows[end:], start=1) if not all(map(_blank, r))}
    frame = pd.DataFrame(
        list(records.values()),
        columns=headers,
        index=pd.Index(list(records), name="row", dtype="int64"),
        dtype=object,
    )
    unnamed = [
        c for c, n in zip(headers, names, strict=True) if not n and frame[c].map(_blank).all()
    ]
    return frame.drop(columns=unnamed)


# --- coordinates -------------------------------------------------------------------------------

_SETS = (
    ("lonlat", ("lon", "lat")),
    ("dms", ("lon_d", "lat_d")),
    ("xy", ("x", "y")),
    ("wkt", ("wkt",)),
)


def _bad(row: Any, role: str, raw: Any, zh: str, en: str) -> Issue:
    lz, le = _LABELS[role]
    shown = str(raw) if len(str(raw)) <= 60 else f"{str(raw)[:57]}..."
    text = message(f"{lz}“{shown}”无法解析：{zh}", f"{le} {shown!r} cannot be parsed: {en}")
    return Issue(int(row), role, "bad_coordinate", text)


def _degrees(values: pd.Series, role: str) -> tuple[np.ndarray, list[Issue]]:
    """Decimal or DMS cells → degrees (NaN where blank or bad, with an issue where bad)."""
    stripped = values.map(lambda v: v.strip() if isinstance(v, str) else v)
    out = pd.to_numeric(stripped, errors="coerce").astype(float).to_numpy(copy=True)
    issues = []
    limit = 180 if role == "lon" else 90
    for i in np.flatnonzero(np.isnan(out)):  # blank, DMS text or bad
        if _blank(values.iloc[i]):
            continue
        try:
            out[i] = parse_dms(values.iloc[i])
        except CoordinateParseError as exc:
            issues.append(_bad(values.index[i], role, values.iloc[i], exc.zh, str(exc)))
    for i in np.flatnonzero(np.abs(out) > limit):
        issues.append(
            _bad(values.index[i], role, values.iloc[i], f"超出 ±{limit}", f"beyond ±{limit}")
        )
        out[i] = np.nan
    return out, issues


def _dms_degrees(frame: pd.DataFrame, cols: dict[str, str], axis: str) -> tuple[Any, list[Issue]]:
    blank = pd.Series(None, index=frame.index, dtype=object)
    parts = [frame[cols[f"{axis}_{p}"]] if f"{axis}_{p}" in cols else blank for p in "dms"]
    out = dms_columns_to_degrees(*parts).to_numpy()
    given = ~pd.concat(parts, axis=1).map(_blank).all(axis=1).to_numpy()
    issues = []
    for i in np.flatnonzero(np.isnan(out) & given):
        cells = [p.iloc[i] for p in parts]
        shown = " ".join("" if _blank(c) else str(c) for c in cells)
        issues.append(_bad(frame.index[i], axis, shown, *_dms_reason(*cells)))
    return out, issues


def _numbers(values: pd.Series, role: str) -> tuple[Any, list[Issue]]:
    out = _to_number(values).to_numpy(copy=True)
    issues = [
        _bad(values.index[i], role, values.iloc[i], "不是数字", "not a number")
        for i in np.flatnonzero(np.isnan(out))
        if not _blank(values.iloc[i])
    ]
    return out, issues


def _swap_xy(north: Any, east: Any, index: pd.Index) -> tuple[Any, Any, list[Issue]]:
    """Swap X/Y where X holds a zone-prefixed easting (>= 1e7): no northing in China is that big."""
    swap = (north >= 1e7) & (east < 1e7)
    text = message(
        "X、Y 填反了（X 应为北坐标），已对调",
        "X and Y are swapped (X is the northing); swapped back",
    )
    issues = [
        Issue(int(index[i]), "x", "swapped_xy", text, "warning") for i in np.flatnonzero(swap)
    ]
    return np.where(swap, east, north), np.where(swap, north, east), issues


def ledger_geometry(
    frame: pd.DataFrame, spec: LayerSpec, *, name: str
) -> tuple[Any, str, list[str], list[Issue]]:
    """
    Geometries from a ledger's coordinate columns, in the ledger's own CRS.

    Returns the geometries (None where missing or bad), which column set was used
    (``"lonlat"``, ``"dms"``, ``"xy"`` with x = easting, or ``"wkt"``), the coordinate columns
    (all consumed), and a ``bad_coordinate`` issue per unreadable cell. Sets are tried in that
    order; the first whose columns are all present wins.
    """
    lookup = _coordinate_lookup(spec)
    cols: dict[str, str] = {}
    for col in frame.columns:
        role = lookup.get(normalise_header(col))
        if role is not None:
            cols.setdefault(role, col)
    kind = next((k for k, need in _SETS if all(r in cols for r in need)), None)
    if kind is None:
        c = spec.coordinates
        expected = [f"{'/'.join(c.lon)} + {'/'.join(c.lat)}", f"{'/'.join(c.x)} + {'/'.join(c.y)}"]
        expected += ["/".join(c.lon_dms[0] + c.lat_dms[0]), "/".join(c.wkt)]
        shown = "; ".join(e for e in expected if e.strip(" +"))
        msg = message(
            f"没有找到坐标列（应为：{shown}）", f"no coordinate columns found (expected: {shown})"
        )
        raise ReadError(f"{name}: {msg}", code="missing_coordinates", path=name)
    geoms = np.full(len(frame), None, dtype=object)
    if kind == "wkt":
        raw = frame[cols["wkt"]]
        given = ~raw.map(_blank).to_numpy(dtype=bool)
        geoms[given] = shapely.from_wkt(raw[given].astype(str).to_numpy(), on_invalid="ignore")
        issues = []
        for i in np.flatnonzero(given & pd.isna(geoms)):
            try:
                shapely.from_wkt(str(raw.iloc[i]))
            except shapely.errors.GEOSException as exc:
                issues.append(_bad(frame.index[i], "wkt", raw.iloc[i], "不是有效的 WKT", str(exc)))
        return geoms, kind, list(cols.values()), issues
    if kind == "lonlat":
        (x, ix), (y, iy) = _degrees(frame[cols["lon"]], "lon"), _degrees(frame[cols["lat"]], "lat")
    elif kind == "dms":
        (x, ix), (y, iy) = _dms_degrees(frame, cols, "lon"), _dms_degrees(frame, cols, "lat")
    else:  # Gauss–Krüger: X is the northing, Y the easting
        (north, iy), (east, ix) = _numbers(frame[cols["x"]], "x"), _numbers(frame[cols["y"]], "y")
        y, x, swapped = _swap_xy(north, east, frame.index)
        iy += swapped
    issues = ix + iy
    # x is the longitude or easting (column "y" of a GK ledger), y the latitude or northing
    x_role, y_role = ("y", "x") if kind == "xy" else ("lon", "lat")
    flagged = {(i.row, i.field) for i in issues}
    for empty, given, role, other in ((x, y, x_role, y_role), (y, x, y_role, x_role)):
        for i in np.flatnonzero(np.isnan(empty) & ~np.isnan(given)):
            row = int(frame.index[i])
            if (row, role) not in flagged:
                (zh, en), (oz, oe) = _LABELS[role], _LABELS[other]
                text = message(f"有{oz}但{zh}为空", f"{oe} given but {en} is empty")
                issues.append(Issue(row, role, "bad_coordinate", text))
    ok = ~np.isnan(x) & ~np.isnan(y)
    geoms[ok] = shapely.points(x[ok], y[ok])
    return geoms, kind, list(cols.values()), issues


def read_ledger(
    data: bytes,
    spec: LayerSpec,
    *,
    name: str,
    excel: bool,
    encoding: str | None = None,
    sheet: str | int | None = None,
    limits: glimits.UploadLimits | None = None,
) -> tuple[pd.DataFrame, str | None, list[Issue]]:
    """
    Read a CSV/TXT (``excel=False``) or XLSX ledger into raw values and geometries.

    Returns the frame indexed by 1-based record number ("row"), with columns renamed to spec
    fields and coordinate columns consumed. For a spatial layer it is a GeoDataFrame *without*
    a CRS, in the ledger's own coordinates, and the second item says which coordinate columns
    were used (see `ledger_geometry`) so the caller can choose the default CRS. An XLSX sheet
    larger than `limits` allow (default: the environment's) raises ``too_large`` before it is
    loaded.
    """
    if excel:
        rows, spans = _xlsx_rows(data, name, sheet, limits or glimits.current())
    else:
        rows, spans = _csv_rows(data, name, encoding), {}
    table = _frame_from_rows(rows, spans, spec, name)
    if not spec.is_spatial:
        frame, issues = rename_to_spec(table, spec)
        return frame, None, issues
    geoms, kind, consumed, issues = ledger_geometry(table, spec, name=name)
    frame, renamed = rename_to_spec(table.drop(columns=consumed), spec)
    gdf = gpd.GeoDataFrame(frame, geometry=gpd.GeoSeries(geoms, index=frame.index))
    return gdf, kind, issues + renamed
