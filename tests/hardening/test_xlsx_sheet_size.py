"""A few bytes of sheet XML must not make the XLSX reader allocate the whole sheet (issue 7).

calamine holds a sheet as a dense grid from its first to its last cell: a 5 KB workbook with
values in A1 and XFD1048576 asks it for 512 GiB, and a failed allocation in Rust aborts the
whole process (the Streamlit server with it). geomon scans the sheet's XML first and refuses
such a sheet with ``too_large``, however the far cell is written. The reads run in a child
process, so that a regression shows up as a failed test rather than a dead test run.
"""

from __future__ import annotations

import io
import json
import subprocess
import sys
import zipfile
from pathlib import Path
from typing import Any

import openpyxl
import pytest

from geomon.io import read

FAR = "XFD1048576"  # the last cell of a sheet
ROW_1 = (
    '<row r="1"><c r="A1" t="inlineStr"><is><t>排污口编码</t></is></c>'
    '<c r="B1" t="inlineStr"><is><t>经度</t></is></c>'
    '<c r="C1" t="inlineStr"><is><t>纬度</t></is></c>'
    "</row>"
)
ROW_2 = '<row r="2"><c r="A2" t="inlineStr"><is><t>HJ001</t></is></c><c r="B2"><v>112.896</v></c>'
ROW_2 += '<c r="C2"><v>30.402</v></c></row>'
CASES = {
    "far-cell": (
        f'{ROW_1}<row r="1048576"><c r="{FAR}"><v>1</v></c></row>',
        "too_large",
        "spans 1,048,576 rows × 16,384 columns, over the limit of 33,554,432 cells",
    ),
    "second-r-attribute": (
        f'<row r="1"><c r="A1" r="{FAR}"><v>1</v></c></row>',
        "unreadable",
        "duplicate attribute",
    ),
    "single-quoted-r": (
        f"{ROW_1}<row r='1048576'><c r='{FAR}'><v>1</v></c></row>",
        "too_large",
        "spans 1,048,576 rows × 16,384 columns",
    ),
    "cell-outside-rows": (
        f'{ROW_1}<c r="{FAR}"><v>1</v></c>',
        "too_large",
        "spans 1,048,576 rows × 16,384 columns",
    ),
    "namespace-prefix": (
        f'{ROW_1}<x:row xmlns:x="http://schemas.openxmlformats.org/spreadsheetml/2006/main" '
        f'r="1048576"><x:c r="{FAR}"><x:v>1</x:v></x:c></x:row>',
        "too_large",
        "spans 1,048,576 rows × 16,384 columns",
    ),
    "cells-without-r": (  # calamine places them one after the other: the last is in XFD
        f'{ROW_1}<row r="1048576">{"<c/>" * 16_383}<c><v>1</v></c></row>',
        "too_large",
        "spans 1,048,576 rows × 16,384 columns",
    ),
}
MERGED = ("merge-over-the-sheet", f"A1:{FAR}")  # merges are filled cell by cell in Python
CHILD = """
import json, sys
from geomon.errors import ReadError
from geomon.io import read
out = {}
for path in sys.argv[1:]:
    try:
        read(path, "outlets")
        out[path] = ["read", ""]
    except ReadError as exc:
        out[path] = [exc.code, str(exc)]
print(json.dumps(out, ensure_ascii=False))
"""


def _xlsx(sheet_data: str, merge: str | None = None) -> bytes:
    """An openpyxl ledger workbook whose sheet XML holds `sheet_data` (and one merged range)."""
    book = openpyxl.Workbook()
    book.active.append(["排污口编码", "经度", "纬度"])
    buf = io.BytesIO()
    book.save(buf)
    src = zipfile.ZipFile(buf)
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as zf:
        for info in src.infolist():
            data = src.read(info)
            if info.filename == "xl/worksheets/sheet1.xml":
                text = data.decode()
                head, tail = text.split("<sheetData>")[0], text.split("</sheetData>")[1]
                merged = f'<mergeCells><mergeCell ref="{merge}"/></mergeCells>' if merge else ""
                tail = tail.replace("<pageMargins", f"{merged}<pageMargins", 1)
                data = f"{head}<sheetData>{sheet_data}</sheetData>{tail}".encode()
            zf.writestr(info, data)
    return out.getvalue()


@pytest.fixture(scope="module")
def outcomes(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """Each case read by `geomon.io.read` in one child process: {case: [code, message]}."""
    folder = tmp_path_factory.mktemp("sheets")
    paths = {}
    for case, (sheet_data, _, _) in CASES.items():
        paths[case] = folder / f"{case}.xlsx"
        paths[case].write_bytes(_xlsx(sheet_data))
    paths[MERGED[0]] = folder / f"{MERGED[0]}.xlsx"
    paths[MERGED[0]].write_bytes(_xlsx(ROW_1, merge=MERGED[1]))
    done = subprocess.run(
        [sys.executable, "-c", CHILD, *map(str, paths.values())],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert done.returncode == 0, f"the reader died ({done.returncode}): {done.stderr[-2000:]}"
    got = json.loads(done.stdout.strip().splitlines()[-1])
    return {case: got[str(path)] for case, path in paths.items()}


@pytest.mark.parametrize(("case", "code", "fragment"), [(c, v[1], v[2]) for c, v in CASES.items()])
def test_far_cell_is_refused_before_the_sheet_is_loaded(
    outcomes: dict[str, Any], case: str, code: str, fragment: str
) -> None:
    got_code, got_message = outcomes[case]
    assert got_code == code, got_message
    assert fragment in got_message


def test_merged_range_over_the_whole_sheet_is_refused(outcomes: dict[str, Any]) -> None:
    code, text = outcomes[MERGED[0]]
    assert code == "too_large", text
    assert "spans 1,048,576 rows × 16,384 columns" in text


def test_sheet_name_and_file_are_named(outcomes: dict[str, Any]) -> None:
    _, text = outcomes["far-cell"]
    assert "sheet 'Sheet' of" in text
    assert "far-cell.xlsx" in text
    assert "delete the unused rows and columns" in text


def test_ledger_itself_still_reads(tmp_path: Path) -> None:
    """The same workbook without the far cell: the guard does not refuse honest sheets."""
    path = tmp_path / "honest.xlsx"
    path.write_bytes(_xlsx(ROW_1 + ROW_2))

    result = read(path, "outlets")

    assert result.frame["code"].tolist() == ["HJ001"]
    assert (result.frame.geometry.x.iloc[0], result.frame.geometry.y.iloc[0]) == (112.896, 30.402)
