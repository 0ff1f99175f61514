"""Re-check after a red-line revision (issue 9), on GeoPackage and PostGIS.

Hand-built on the GK plane (EPSG:4547, metres from (E, N)): red line R1 is the square
x 0–1000, y 0–1000 in version “红线 2023 批复版”; “红线 2024 调整版” moves its east edge to
x = 2000 (R2, x 5000–6000, is the same in both). Six 工业 projects (600 m squares, or a point):

- P1 x 1200–1800: 200 m east of R1 → near (需关注); inside the revised R1 → 禁止. Changed.
- P2 x −600…−100: 100 m west of R1 in both versions. Unchanged.
- P3 x 800–1400: overlaps R1 by 200 × 600 = 120 000 m² (1/3) → fully inside (360 000 m², 1).
  Still 禁止, but the overlap changed. Changed.
- P4 x 5200–5800: inside R2 in both. Unchanged.
- P5 point x 3000: 2 000 m, then 1 000 m from R1: beyond the 500 m buffer both times. Unchanged.
- P6 point x 2300: 1 300 m, then 300 m from R1 → a new near conflict (需关注). Changed.
"""

from __future__ import annotations

import json
from pathlib import Path

import geopandas as gpd
import openpyxl
import pytest
from shapely import Point, box

from geomon import validate
from geomon.errors import VersionError
from geomon.reports import recheck, recheck_report
from geomon.store import Store

GK = 4547
E, N = 400_000.0, 3_365_000.0
V1, V2 = "红线 2023 批复版", "红线 2024 调整版"


def _frame(layer: str, rows: list[dict], geoms: list) -> gpd.GeoDataFrame:
    frame = gpd.GeoDataFrame(rows, geometry=geoms, crs=GK).to_crs(4326)
    return validate.apply_dtypes(frame, layer)


def sq(x0: float, y0: float, x1: float, y1: float) -> object:
    return box(E + x0, N + y0, E + x1, N + y1)


def red_lines(r1_east: float) -> gpd.GeoDataFrame:
    return _frame(
        "red_lines",
        [{"code": "R1", "name": "玉带河湿地红线"}, {"code": "R2", "name": "青石山红线"}],
        [sq(0, 0, r1_east, 1000), sq(5000, 0, 6000, 1000)],
    )


PROJECTS = _frame(
    "projects",
    [{"id": f"P{i}", "name": f"项目{i}", "kind": "工业", "discharges_wastewater": False}
     for i in range(1, 7)],
    [sq(1200, 200, 1800, 800), sq(-600, 200, -100, 800), sq(800, 200, 1400, 800),
     sq(5200, 200, 5800, 800), Point(E + 3000, N + 500), Point(E + 2300, N + 500)],
)  # fmt: skip


@pytest.fixture
def revised(fresh_store: Store) -> Store:
    fresh_store.write({"red_lines": red_lines(1000)}, source="批复.shp", version=V1,
                      at="2023-03-01T02:00:00Z")  # fmt: skip
    fresh_store.write({"red_lines": red_lines(2000)}, source="调整.shp", version=V2,
                      at="2024-05-01T02:00:00Z")  # fmt: skip
    return fresh_store


def test_recheck_finds_exactly_the_projects_the_revision_affects(revised: Store) -> None:
    result = recheck.recheck(PROJECTS, revised, before=V1, after=V2)
    assert result.changed["id"].tolist() == ["P1", "P3", "P6"]
    rows = result.projects.set_index("id")
    verdicts = ["verdict_before", "verdict_after"]
    assert rows.loc["P1", verdicts].tolist() == ["attention", "prohibited"]
    assert rows.loc["P3", verdicts].tolist() == ["prohibited"] * 2
    assert rows.loc["P6", ["conflicts_before", "conflicts_after"]].tolist() == [0, 1]
    assert rows.loc["P3", "overlap_before"] == pytest.approx({"生态保护红线（m²）": 120_000.0})
    assert rows.loc["P3", "overlap_after"] == pytest.approx({"生态保护红线（m²）": 360_000.0})
    assert rows.loc["P1", "what"] == "结论由“需关注”变为“禁止”；涉及情况变化：玉带河湿地红线"
    assert rows.loc["P6", "what"] == "结论由“无冲突”变为“需关注”；新增涉及：玉带河湿地红线"
    details = {d["project_id"]: d for d in result.details.to_dict("records")}
    assert set(details) == {"P1", "P3", "P6"}
    p1, p3, p6 = details["P1"], details["P3"], details["P6"]
    assert (p1["change"], p1["relation_before"], p1["relation_after"]) == (
        "changed", "near", "inside"
    )  # fmt: skip
    assert p1["distance_m_before"] == pytest.approx(200.0, abs=0.01)
    assert (p3["overlap_ratio_before"], p3["overlap_ratio_after"]) == pytest.approx((1 / 3, 1.0))
    assert (p6["change"], p6["relation_before"], p6["distance_m_after"]) == (
        "added", None, pytest.approx(300.0, abs=0.01)
    )  # fmt: skip
    assert recheck.exit_code(result) == 1
    # each side is stamped with the version it used
    assert [s.version for s in result.result_before.sources if s.layer == "red_lines"] == [V1]
    assert [s.version for s in result.result_after.sources if s.layer == "red_lines"] == [V2]
    assert result.before.label == V1 and result.after.revision == 2


def test_same_version_twice_or_dates_between(revised: Store) -> None:
    same = recheck.recheck(PROJECTS, revised, before=V2, after="current")
    assert same.changed.empty and recheck.exit_code(same) == 0
    by_date = recheck.recheck(PROJECTS, revised, before="2023-12-31", after="2024-05-02")
    assert by_date.changed["id"].tolist() == ["P1", "P3", "P6"]
    with pytest.raises(VersionError, match=f"已有版本：“{V1}”、“{V2}”"):
        recheck.recheck(PROJECTS, revised, before="红线 2022 版", after=V2)


def test_recheck_json_html_and_xlsx(revised: Store, tmp_path: Path) -> None:
    result = recheck.recheck(PROJECTS, revised, before=V1, after=V2)
    doc = json.loads(json.dumps(result.to_json(), ensure_ascii=False, allow_nan=False))
    assert doc["changed"] == 3
    assert doc["before"]["label"] == V1 and doc["after"]["label"] == V2
    assert [s["version"] for s in doc["after"]["sources"] if s["layer"] == "red_lines"] == [V2]
    html = recheck_report.render(result)
    assert "其中3个项目的结论、涉及要素或重叠情况发生变化，结论趋严2个、趋宽0个" in html
    assert "P2（需关注）、P4（禁止）、P5（无冲突）" in html
    assert "<script" not in html and "http" not in html
    wb = openpyxl.load_workbook(recheck_report.write_xlsx(result, tmp_path / "rc.xlsx"))
    assert wb.sheetnames == ["受影响项目", "变化明细", "全部项目", "数据版本"]
    assert [r[0] for r in wb["受影响项目"].iter_rows(min_row=2, values_only=True)] == [
        "P1", "P3", "P6",
    ]  # fmt: skip
    assert wb["变化明细"].max_row == 4
