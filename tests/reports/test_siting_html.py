"""Tests for geomon.reports.siting_html: self-contained, escaped, complete."""

from __future__ import annotations

import datetime as dt
import re
from html.parser import HTMLParser
from pathlib import Path

import pytest

from geomon import reports, siting
from geomon.errors import ReportError
from geomon.reports import siting_html

SCRIPT = "<script>alert('x')</script>"  # as in conftest.py
WHEN = dt.datetime(2024, 5, 6, 7, 8, tzinfo=dt.UTC)


class _Collect(HTMLParser):
    """Tags with their attributes, and the cells of every table row."""

    def __init__(self) -> None:
        super().__init__()
        self.tags: list[tuple[str, dict[str, str | None]]] = []
        self.scripts = 0
        self.tables: list[list[list[str]]] = []
        self._cell: list[str] | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, dict(attrs)))
        if tag == "script":
            self.scripts += 1
        elif tag == "table":
            self.tables.append([])
        elif tag == "tr":
            self.tables[-1].append([])
        elif tag in ("td", "th"):
            self._cell = []

    def handle_endtag(self, tag: str) -> None:
        if tag in ("td", "th") and self._cell is not None:
            self.tables[-1][-1].append("".join(self._cell))
            self._cell = None

    def handle_data(self, data: str) -> None:
        if self._cell is not None:
            self._cell.append(data)


@pytest.fixture(scope="module")
def page(result: siting.SitingResult) -> str:
    return siting_html.render(result, generated_at=WHEN)


@pytest.fixture(scope="module")
def parsed(page: str) -> _Collect:
    parser = _Collect()
    parser.feed(page)
    return parser


def test_user_text_is_escaped(page: str, parsed: _Collect) -> None:
    assert "<script" not in page.lower()
    assert parsed.scripts == 0
    assert "食品厂&lt;script&gt;alert(&#x27;x&#x27;)&lt;/script&gt;" in page
    assert "红线&lt;script&gt;" in page  # a feature name from the store
    assert "批复矢量 &lt;b&gt;2023&lt;/b&gt;.shp" in page  # a data source label
    assert "泵站 &amp; 管线" in page


def test_nothing_is_loaded_from_the_network(page: str, parsed: _Collect) -> None:
    for tag, attrs in parsed.tags:
        for key in ("src", "href", "xlink:href", "action", "data"):
            value = attrs.get(key) or ""
            assert not re.match(r"\s*(https?:)?//", value), (tag, key, value)
    assert not re.search(r"""(src|href)\s*=\s*["']?\s*(https?:)?//""", page, re.IGNORECASE)
    assert "@import" not in page and "url(" not in page


def test_has_a_row_per_conflict_with_verdict_and_reason(
    result: siting.SitingResult, parsed: _Collect
) -> None:
    conflict_rows = [
        row for table in parsed.tables if table and table[0][0] == "涉及要素"
        for row in table[1:]
    ]  # fmt: skip
    assert len(conflict_rows) == len(result.conflicts) == 2
    restricted, near = conflict_rows
    assert restricted[1] == "部分重叠" and "限制" in restricted[5]
    assert "水污染防治法 第六十六条" in restricted[6]
    assert "500,000 m²" in restricted[2] and restricted[3] == "50.0%"
    assert near[1] == "邻近" and "需关注" in near[5] and near[4].startswith("200.0")


def test_summary_sources_and_maps(result: siting.SitingResult, page: str, parsed: _Collect) -> None:
    summary = parsed.tables[0]
    assert summary[0][:5] == ["序号", "项目编号", "项目名称", "项目类型", "结论"]
    assert [r[1] for r in summary[1:]] == ["P1", "P2", "P3"]
    assert "限制" in summary[1][4] and "无冲突" in summary[2][4]
    sources = next(t for t in parsed.tables if t[0][:3] == ["图层", "代码", "要素数"])
    by_code = {row[1]: row for row in sources[1:]}
    assert by_code["protection_zones"][5] == "2023 批复版"
    assert by_code["protection_zones"][4]  # import date
    assert by_code["red_lines"][2] == "1"
    assert page.count("<svg") == 1 + len(result.projects)  # overview + one per project
    assert "km" in page or " m</text>" in page  # scale bar label
    assert "北 N" in page
    assert "2024-05-06 15:08" in page  # 07:08 UTC, shown in Beijing time
    assert "待核实" in page and "[M]" not in page  # unverified rules flagged in words


def test_report_speaks_chinese_only(result: siting.SitingResult, page: str, parsed) -> None:
    summary = parsed.tables[0]
    assert summary[1][4] == "限制" and summary[2][4] == "无冲突"  # badges: no "限制 restricted"
    for word in ("prohibited", "restricted", "attention", "clear"):
        assert f">{word}<" not in page and f" {word}<" not in page
    for reason in result.conflicts["reason_en"]:
        assert reason not in page  # the English reason is not printed below the Chinese one
    for reason in result.conflicts.loc[result.conflicts["verdict"] != "clear", "reason_zh"]:
        assert page.count(siting_html._e(reason)) == 2  # conflict table + the project's reasons
    sources = next(t for t in parsed.tables if t[0][:3] == ["图层", "代码", "要素数"])
    assert all(re.fullmatch(r"\d{4}-\d\d-\d\d \d\d:\d\d|—", r[4]) for r in sources[1:])


def test_write_siting_report_by_suffix(result: siting.SitingResult, tmp_path: Path) -> None:
    html_path = reports.write_siting_report(result, tmp_path / "r.html")
    assert html_path.read_text(encoding="utf-8").startswith("<!DOCTYPE html>")
    xlsx_path = reports.write_siting_report(result, tmp_path / "r.XLSX")
    assert xlsx_path.read_bytes()[:2] == b"PK"
    with pytest.raises(ReportError) as info:
        reports.write_siting_report(result, tmp_path / "r.pdf")
    pdf = str(tmp_path / "r.pdf")
    assert str(info.value) == f"`--report` {pdf!r}: use a file name ending in .html or .xlsx"


def test_empty_result_renders(tmp_path: Path) -> None:
    import geopandas as gpd

    empty = siting.check(gpd.GeoDataFrame({"id": []}, geometry=[], crs=4326), {})
    page = siting_html.render(empty, generated_at=WHEN)
    assert "共 0 个项目" in page
    assert SCRIPT not in page
