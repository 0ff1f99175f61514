"""Tests for geomon.reports.siting_xlsx: sheets, Chinese headers, rows, text never a formula."""

from __future__ import annotations

from pathlib import Path

import pytest
from openpyxl import load_workbook

from geomon import siting
from geomon.reports import siting_xlsx

FORMULA = '=HYPERLINK("http://evil.example","点我")'  # as in conftest.py


@pytest.fixture(scope="module")
def book(result: siting.SitingResult, tmp_path_factory: pytest.TempPathFactory):
    path = siting_xlsx.write(result, tmp_path_factory.mktemp("xlsx") / "siting.xlsx")
    return load_workbook(path)


def test_sheets_and_headers(book) -> None:
    assert book.sheetnames == ["项目汇总", "冲突明细", "数据来源", "说明"]
    projects = [c.value for c in book["项目汇总"][1]]
    assert projects[:6] == ["项目编号", "名称", "项目类型", "活动类型", "排放废水", "结论"]
    conflicts = [c.value for c in book["冲突明细"][1]]
    assert conflicts[:4] == ["项目编号", "项目名称", "图层", "要素编号"]
    assert "重叠面积（m²，高斯平面）" in conflicts and "重叠面积（m²，椭球面）" in conflicts


def test_one_row_per_project_and_per_conflict(result: siting.SitingResult, book) -> None:
    sheet = book["项目汇总"]
    assert sheet.max_row == 1 + len(result.projects) == 4
    assert [sheet.cell(r, 1).value for r in range(2, 5)] == ["P1", "P2", "P3"]
    assert sheet.cell(2, 6).value == "限制（restricted）"
    conflicts = book["冲突明细"]
    assert conflicts.max_row == 1 + len(result.conflicts) == 3
    header = [c.value for c in conflicts[1]]
    row = {h: conflicts.cell(2, i + 1).value for i, h in enumerate(header)}
    assert row["重叠面积（m²，高斯平面）"] == pytest.approx(500_000.0, rel=1e-4)
    assert row["重叠比例"] == pytest.approx(0.5, rel=1e-4)
    assert row["关系"] == "部分重叠"
    assert row["依据"] == "水污染防治法 第六十六条"


def test_text_that_looks_like_a_formula_stays_text(book) -> None:
    cell = book["项目汇总"].cell(3, 2)
    assert cell.value == FORMULA
    assert cell.data_type == "s"


def test_sources_sheet_has_versions(book) -> None:
    rows = list(book["数据来源"].iter_rows(values_only=True))
    by_code = {r[1]: r for r in rows[1:]}
    assert by_code["protection_zones"][5] == "2023 批复版"
    assert by_code["control_units"][6] == "否"


def test_writes_to_disk(result: siting.SitingResult, tmp_path: Path) -> None:
    path = siting_xlsx.write(result, tmp_path / "out.xlsx")
    assert path.stat().st_size > 0
