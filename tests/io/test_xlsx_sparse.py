"""XLSX cost follows the cells present (issue 17 item 10).

A 5 KB workbook with values in A1 and AE1048576 passes the sheet guard (1,048,576 × 31 cells,
under the 33,554,432 limit); calamine's dense grid and its conversion took 12.3 s and 1,652 MiB
peak here (50 s / 1.7 GB on the issue's machine). Such a sheet is now read cell by cell: the
reads run in a child process that reports its own time and peak memory.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import openpyxl
import pytest

from geomon.errors import ReadError
from geomon.io import read

HEADER = ["排污口编码", "经度", "纬度"]
CHILD = """
import json, sys, time
from geomon.errors import ReadError
from geomon.io import read
start = time.perf_counter()
try:
    got = read(sys.argv[1], "outlets")
    out = {"rows": got.frame.index.tolist(), "codes": got.frame["code"].tolist()}
except ReadError as exc:
    out = {"code": exc.code, "message": str(exc)}
out["seconds"] = time.perf_counter() - start
# VmHWM, the peak of this process image (ru_maxrss would keep the forking parent's peak)
hwm = next(x for x in open("/proc/self/status") if x.startswith("VmHWM"))
out["peak_mib"] = int(hwm.split()[1]) / 1024
print(json.dumps(out, ensure_ascii=False))
"""


def workbook(path: Path, cells: dict[str, object]) -> Path:
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append(HEADER)
    for ref, value in cells.items():
        sheet[ref] = value
    book.save(path)
    return path


def child_read(path: Path) -> dict:
    done = subprocess.run(
        [sys.executable, "-c", CHILD, str(path)],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    return json.loads(done.stdout.strip().splitlines()[-1])


def test_far_cell_inside_the_guard_reads_in_bounded_time_and_memory(tmp_path: Path) -> None:
    # a record on row 2 and one on the last row of the sheet, with a note far right (AE)
    path = workbook(
        tmp_path / "far.xlsx",
        {
            "A2": "HJ001",
            "B2": 112.896,
            "C2": 30.402,
            "A1048576": "HJ002",
            "B1048576": 112.9,
            "C1048576": 30.41,
        },
    )
    with_note = workbook(tmp_path / "far_note.xlsx", {"A2": "HJ001", "B2": 112.9, "C2": 30.4})
    book = openpyxl.load_workbook(with_note)
    book.active["AE1048576"] = 1
    book.save(with_note)

    got = child_read(path)
    note = child_read(with_note)

    # records are numbered by sheet row below the header: row 2 → 1, row 1048576 → 1048575
    assert (got.get("rows"), got.get("codes")) == ([1, 1048575], ["HJ001", "HJ002"]), got
    assert (note["rows"][0], note["codes"][0]) == (1, "HJ001"), note
    for out in (got, note):
        assert out["seconds"] < 10, out  # 12.3 s before (0.1 s now; slack for a loaded machine)
        assert out["peak_mib"] < 600, out  # 1,652 MiB before; the imports alone take ~170 MiB


def test_sparse_sheet_reads_like_the_dense_one(tmp_path: Path) -> None:
    cells = {"A2": "HJ001", "B2": 112.896, "C2": 30.402, "A3": "HJ002", "B3": 113, "C3": 30.5}
    dense = read(workbook(tmp_path / "dense.xlsx", cells), "outlets")
    sparse_path = workbook(tmp_path / "sparse.xlsx", cells)
    book = openpyxl.load_workbook(sparse_path)
    book.active["CZ300000"] = None  # nothing: the sheet stays dense
    book.active["D300000"] = "备注"  # a far value in a column without a header
    book.save(sparse_path)

    sparse = read(sparse_path, "outlets")

    assert dense.frame["code"].tolist() == ["HJ001", "HJ002"]
    assert sparse.frame["code"].tolist() == ["HJ001", "HJ002", None]  # + the note's row
    assert sparse.frame.index.tolist() == [1, 2, 299999]  # sheet row 300000, header on row 1
    assert sparse.frame.geometry.x.tolist()[:2] == dense.frame.geometry.x.tolist() == [112.896, 113]


def test_cells_spread_over_a_large_area_are_refused(tmp_path: Path) -> None:
    """2,000 cells on a diagonal would still be a dense 2,000 × 2,000 grid: refused early."""
    book = openpyxl.Workbook()
    sheet = book.active
    for i in range(1, 2001):
        sheet.cell(row=i, column=i, value=i)
    path = tmp_path / "diagonal.xlsx"
    book.save(path)

    with pytest.raises(ReadError) as info:
        read(path, "outlets")

    assert info.value.code == "too_large"
    assert "spreads 2,000 cells over 2,000 rows × 2,000 columns" in str(info.value)
    assert "over the limit of 1,080,576 cells" in str(info.value)  # 16 × 2,000 + 2**20
