"""XLSX ledgers read with calamine (issue 7): the cells openpyxl gave, both XML scans, limits.

Ordinary ledgers are built with openpyxl. Where a test needs the layout Excel itself writes
(shared strings with rich text and phonetic runs, built-in date formats, cached formula
results, error cells), the workbook is assembled from raw XML parts by `_workbook`. The same
sheet is also written without cell references and with a namespace prefix, which the quick
scan leaves to the exact one: all three must read alike.
"""

from __future__ import annotations

import datetime as dt
import io
import re
import zipfile
from pathlib import Path

import openpyxl
import pytest
from openpyxl.chart import BarChart, Reference

from geomon.errors import ReadError
from geomon.io import ReadResult, read
from geomon.io.limits import UploadLimits

LON, LAT = 112.896, 30.402  # DOMAIN §5.1 worked example: 112°53'45.6"E 30°24'07.2"N
MAIN = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
REL = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
PKG = "http://schemas.openxmlformats.org/package/2006/relationships"
# cell styles of `_workbook`: 1 = built-in 14 (date), 2 = built-in 22 (date and time),
# 3 = built-in 49 (text), 4 = custom yyyy"年"m"月"d"日"
STYLES = (
    f'<styleSheet xmlns="{MAIN}"><numFmts count="1"><numFmt numFmtId="176" '
    'formatCode="yyyy&quot;年&quot;m&quot;月&quot;d&quot;日&quot;"/></numFmts>'
    '<fonts count="1"><font><sz val="11"/><name val="宋体"/></font></fonts>'
    '<fills count="1"><fill><patternFill patternType="none"/></fill></fills>'
    '<borders count="1"><border/></borders><cellStyleXfs count="1"><xf numFmtId="0"/>'
    '</cellStyleXfs><cellXfs count="5"><xf numFmtId="0"/><xf numFmtId="14" applyNumberFormat="1"/>'
    '<xf numFmtId="22" applyNumberFormat="1"/><xf numFmtId="49" applyNumberFormat="1"/>'
    '<xf numFmtId="176" applyNumberFormat="1"/></cellXfs></styleSheet>'
)
SHARED = [
    "<si><t>江汉市入河排污口台账</t></si>",
    "<si><t>排污口编码</t></si>",
    "<si><t>经度</t></si>",
    "<si><t>纬度</t></si>",
    "<si><t>排查日期</t></si>",
    "<si><t>核查</t></si>",
    "<si><t>0042</t></si>",
    # rich text in two runs, with a phonetic guide that is not part of the value
    '<si><r><t>汉江</t></r><r><rPr><b/></rPr><t>一号</t></r><rPh sb="0" eb="2"><t>ハン</t></rPh>'
    "</si>",
    "<si><t>HJ7</t></si>",
]
# What Excel writes for a titled ledger: a merged title, a header, then one cell of each kind.
SHEET = (
    '<row r="1" spans="1:5" ht="20" customHeight="1"><c r="A1" t="s"><v>0</v></c></row>'
    '<row r="2" spans="1:5"><c r="A2" t="s"><v>1</v></c><c r="B2" t="s"><v>2</v></c>'
    '<c r="C2" t="s"><v>3</v></c><c r="D2" t="s"><v>4</v></c><c r="E2" t="s"><v>5</v></c></row>'
    # code as text in a text-formatted cell, a date (format 14), an error cell from a formula
    '<row r="3" spans="1:5"><c r="A3" s="3" t="s"><v>6</v></c><c r="B3"><v>112.896</v></c>'
    '<c r="C3"><v>30.402</v></c><c r="D3" s="1"><v>45418</v></c>'
    '<c r="E3" t="e"><f>1/0</f><v>#DIV/0!</v></c></row>'
    # rich text, cached formula results (a number, a text), date and time, a boolean
    '<row r="4" spans="1:5"><c r="A4" t="s"><v>7</v></c><c r="B4"><f>B3</f><v>112.896</v></c>'
    '<c r="C4" t="str"><f>TEXT(C3,"0.000")</f><v>30.402</v></c>'
    '<c r="D4" s="2"><v>45418.5</v></c><c r="E4" t="b"><v>1</v></c></row>'
    # a code typed as a number, #N/A where the longitude should be, a custom date format,
    # a formatted cell without a value
    '<row r="5" spans="1:5"><c r="A5"><v>4200</v></c><c r="B5" t="e"><v>#N/A</v></c>'
    '<c r="C5"><v>30.402</v></c><c r="D5" s="4"><v>45419</v></c><c r="E5" s="3"/></row>'
    # row 6 is blank: record 4 is skipped, the numbering stays
    '<row r="7" spans="1:5"><c r="A7" t="s"><v>8</v></c><c r="B7"><v>112.896</v></c>'
    '<c r="C7"><v>30.402</v></c></row>'
)


def _zip(parts: dict[str, str]) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:
        for name, text in parts.items():
            zf.writestr(name, text.encode("utf-8"))
    return buf.getvalue()


def _workbook(
    sheet_data: str, *, merges: tuple[str, ...] = (), date1904: bool = False, prefix: str = ""
) -> bytes:
    """An .xlsx laid out as Excel writes it, with `sheet_data` inside ``<sheetData>``."""
    p = f"{prefix}:" if prefix else ""
    merged = "".join(f'<{p}mergeCell ref="{m}"/>' for m in merges)
    merged = f"<{p}mergeCells>{merged}</{p}mergeCells>" if merges else ""
    sheet = (
        f'<{p}worksheet xmlns{":" + prefix if prefix else ""}="{MAIN}"><{p}dimension ref="A1"/>'
        f'<{p}cols><{p}col min="1" max="5" width="12" customWidth="1"/></{p}cols>'
        f"<{p}sheetData>{sheet_data}</{p}sheetData>{merged}</{p}worksheet>"
    )
    book_pr = '<workbookPr date1904="1"/>' if date1904 else "<workbookPr/>"
    return _zip(
        {
            "[Content_Types].xml": (
                '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
                '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.'
                'relationships+xml"/><Default Extension="xml" ContentType="application/xml"/>'
                '<Override PartName="/xl/workbook.xml" ContentType="application/vnd.openxml'
                'formats-officedocument.spreadsheetml.sheet.main+xml"/></Types>'
            ),
            "_rels/.rels": (
                f'<Relationships xmlns="{PKG}"><Relationship Id="rId1" '
                f'Type="{REL}/officeDocument" Target="xl/workbook.xml"/></Relationships>'
            ),
            "xl/workbook.xml": (
                f'<workbook xmlns="{MAIN}" xmlns:r="{REL}">{book_pr}<sheets>'
                '<sheet name="台账" sheetId="1" r:id="rId1"/></sheets></workbook>'
            ),
            "xl/_rels/workbook.xml.rels": (
                f'<Relationships xmlns="{PKG}">'
                f'<Relationship Id="rId1" Type="{REL}/worksheet" Target="worksheets/sheet1.xml"/>'
                f'<Relationship Id="rId2" Type="{REL}/styles" Target="styles.xml"/>'
                f'<Relationship Id="rId3" Type="{REL}/sharedStrings" Target="sharedStrings.xml"/>'
                "</Relationships>"
            ),
            "xl/styles.xml": STYLES,
            "xl/sharedStrings.xml": f'<sst xmlns="{MAIN}">{"".join(SHARED)}</sst>',
            "xl/worksheets/sheet1.xml": sheet,
        }
    )


def _without_cell_refs(sheet_data: str) -> str:
    """The same cells without ``r="B3"``: calamine places them one after the other."""
    return re.sub(r'(<c) r="[A-Z]+[0-9]+"', r"\1", sheet_data)


def _prefixed(sheet_data: str) -> str:
    """The same cells with every element written ``x:c``, ``x:row``, … (Open XML SDK style)."""
    return re.sub(r"<(/?)(row|c|v|f)\b", r"<\1x:\2", sheet_data)


def _xy(result: ReadResult, row: int) -> tuple[float, float]:
    geom = result.frame.geometry.loc[row]
    return geom.x, geom.y


@pytest.mark.parametrize(
    ("sheet_data", "prefix"),
    [
        pytest.param(SHEET, "", id="as-excel-writes-it"),
        pytest.param(_without_cell_refs(SHEET), "", id="cells-without-references"),
        pytest.param(_prefixed(SHEET), "x", id="namespace-prefix"),
    ],
)
def test_excel_layout_reads_every_kind_of_cell(sheet_data: str, prefix: str) -> None:
    data = _workbook(sheet_data, merges=("A1:E1",), prefix=prefix)

    result = read(data, "outlets", filename="台账.xlsx")

    frame = result.frame
    assert frame.index.tolist() == [1, 2, 3, 5]  # record 4 (row 6) is blank
    assert list(frame.columns) == ["code", "survey_date", "核查", "geometry"]
    assert frame["code"].tolist() == ["0042", "汉江一号", 4200, "HJ7"]
    assert type(frame.loc[3, "code"]) is int  # typed as 4200, not read as 4200.0
    assert frame["survey_date"].tolist() == [
        dt.datetime(2024, 5, 6),  # serial 45418, built-in format 14
        dt.datetime(2024, 5, 6, 12, 0),  # 45418.5, built-in format 22
        dt.datetime(2024, 5, 7),  # 45419, yyyy"年"m"月"d"日"
        None,
    ]
    assert frame.loc[1, "核查"] == "#DIV/0!"  # error cells keep their text, as openpyxl gave
    assert frame.loc[2, "核查"] is True
    assert _xy(result, 1) == (LON, LAT)
    assert _xy(result, 2) == (LON, LAT)  # cached results: a number and the text "30.402"
    assert frame.geometry.loc[3] is None
    assert _xy(result, 5) == (LON, LAT)
    (issue,) = result.report.issues
    assert (issue.row, issue.field, issue.code) == (3, "lon", "bad_coordinate")
    assert "longitude '#N/A' cannot be parsed" in issue.message


def test_1904_date_system() -> None:
    """Mac Excel's 1904 system: serial 45418 is 2028-05-07, not 2024-05-06."""
    data = _workbook(SHEET, merges=("A1:E1",), date1904=True)

    frame = read(data, "outlets", filename="mac.xlsx").frame

    assert frame.loc[1, "survey_date"] == dt.datetime(2028, 5, 7)
    assert frame.loc[2, "survey_date"] == dt.datetime(2028, 5, 7, 12, 0)


def _save(book: openpyxl.Workbook, tmp_path: Path, name: str = "ledger.xlsx") -> Path:
    path = tmp_path / name
    book.save(path)
    return path


def test_title_row_two_row_merged_header_dates_and_codes(tmp_path: Path) -> None:
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append(["江汉市入河排污口台账（2024年）"])
    sheet.append(["排污口编码", "排污口名称", "行政区划代码", "排查日期", "坐标", None])
    sheet.append([None, None, None, None, "经度", "纬度"])
    sheet.append(["0042", "汉江一号", 429902, dt.date(2024, 5, 6), LON, LAT])
    sheet.append(["0043", "汉江二号", "429902", dt.datetime(2024, 5, 7, 8, 30),
                  "112°53'45.6\"", "30°24'07.2\""])  # fmt: skip
    for cells in ("A1:F1", "A2:A3", "B2:B3", "C2:C3", "D2:D3", "E2:F2"):
        sheet.merge_cells(cells)

    result = read(_save(book, tmp_path), "outlets")

    frame = result.frame
    assert frame.index.tolist() == [1, 2]
    assert list(frame.columns) == ["code", "name", "district_code", "survey_date", "geometry"]
    assert frame["code"].tolist() == ["0042", "0043"]  # text keeps its leading zeros
    assert frame["district_code"].tolist() == [429902, "429902"]  # raw: a number, a text
    assert type(frame.loc[1, "district_code"]) is int
    assert frame["survey_date"].tolist() == [
        dt.datetime(2024, 5, 6),
        dt.datetime(2024, 5, 7, 8, 30),
    ]
    assert _xy(result, 1) == (LON, LAT)
    assert _xy(result, 2) == (LON, LAT)
    assert result.report.issues == []


def test_table_away_from_a1_keeps_record_numbers(tmp_path: Path) -> None:
    """A ledger starting at B3 (calamine's own range starts there) numbers records as before."""
    book = openpyxl.Workbook()
    sheet = book.active
    sheet["B3"], sheet["C3"], sheet["D3"] = "排污口编码", "经度", "纬度"
    sheet["B4"], sheet["C4"], sheet["D4"] = "HJ001", LON, LAT
    sheet["B5"], sheet["C5"], sheet["D5"] = "HJ002", "112°61'", LAT

    result = read(_save(book, tmp_path), "outlets")

    assert result.frame.index.tolist() == [1, 2]
    assert list(result.frame.columns) == ["code", "geometry"]
    (issue,) = result.report.issues
    assert (issue.row, issue.field) == (2, "lon")
    assert "minutes 61 ≥ 60" in issue.message


def test_formatted_cells_far_from_the_data_are_not_rows(tmp_path: Path) -> None:
    """Cells with a format and no value (a whole column coloured) add no rows or columns."""
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append(["排污口编码", "经度", "纬度"])
    sheet.append(["HJ001", LON, LAT])
    sheet["XFD1048576"].number_format = "0.00"
    sheet["A1048576"].number_format = "0.00"

    result = read(_save(book, tmp_path), "outlets")

    assert result.frame.index.tolist() == [1]
    assert list(result.frame.columns) == ["code", "geometry"]


def test_first_sheet_is_the_first_worksheet_not_a_chart(tmp_path: Path) -> None:
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.title = "台账"
    sheet.append(["排污口编码", "经度", "纬度"])
    sheet.append(["HJ001", LON, LAT])
    chart_sheet = book.create_chartsheet("图表", 0)
    chart = BarChart()
    chart.add_data(Reference(sheet, min_col=2, min_row=2, max_row=2))
    chart_sheet.add_chart(chart)
    path = _save(book, tmp_path)

    assert read(path, "outlets").frame["code"].tolist() == ["HJ001"]
    assert read(path, "outlets", sheet=0).frame["code"].tolist() == ["HJ001"]
    with pytest.raises(ReadError, match=r"has no sheet 1 \(sheets: 图表, 台账\)"):
        read(path, "outlets", sheet=1)


def test_sheet_larger_than_the_limit_is_refused(tmp_path: Path) -> None:
    """The used area counts from A1 to the last value at 32 bytes a cell against
    max_unzipped_bytes: one stray value at Z5000 makes 5,000 × 26 = 130,000 cells."""
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.title = "台账"
    sheet.append(["排污口编码", "经度", "纬度"])
    sheet.append(["HJ001", LON, LAT])
    sheet["Z5000"] = "x"
    path = _save(book, tmp_path)

    with pytest.raises(ReadError) as info:
        read(path, "outlets", limits=UploadLimits(max_unzipped_bytes=32 * 100_000))

    assert info.value.code == "too_large"
    assert "sheet '台账' of" in str(info.value)
    assert "spans 5,000 rows × 26 columns, over the limit of 100,000 cells" in str(info.value)
    enough = UploadLimits(max_unzipped_bytes=32 * 130_000)
    assert read(path, "outlets", limits=enough).frame.index.tolist() == [1, 4999]


def test_merged_range_beyond_the_limit_is_refused() -> None:
    """A merge reaching far past the data would be filled cell by cell: it is checked first."""
    data = _workbook(SHEET, merges=("A1:E1", "F1:CV2000"))  # 100 columns × 2000 rows

    with pytest.raises(ReadError, match="spans 2,000 rows × 100 columns") as info:
        read(
            data, "outlets", filename="wide.xlsx", limits=UploadLimits(max_unzipped_bytes=3_200_000)
        )

    assert info.value.code == "too_large"
