"""The siting page: stored, uploaded (any CRS) or drawn projects get the library's verdict."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import shapely
from apphelp import no_exception, param, shown

from geomon.crs import wgs84_to_gcj02
from geomon.io.export import geojson_text
from geomon.store import open_store

PAGE = "siting"
ALERTS = {"error": "禁止", "warning": "限制", "info": "需关注", "success": "无冲突"}


@pytest.mark.parametrize(
    ("project", "alert"),
    [
        pytest.param("XM2023-001", "error", id="food-plant-in-source-zone-prohibited"),
        pytest.param("XM2023-004", "warning", id="bridge-in-red-line-restricted"),
        pytest.param("XM2023-002", "info", id="park-in-key-unit-attention"),
        pytest.param("XM2023-008", "success", id="logistics-clear"),
    ],
)
def test_stored_project_verdict(app, demo_store: Path, project: str, alert: str) -> None:
    at = app(demo_store, PAGE).run()
    at.radio(key="siting.source").set_value("stored").run()
    at.multiselect(key="siting.stored").set_value([project]).run()

    no_exception(at)
    (box,) = getattr(at, alert)
    assert box.value.startswith(f"**{project} ")
    assert f"：{ALERTS[alert]}**" in box.value


def _project_file(store: Path, pid: str, *, gcj02: bool = False) -> bytes:
    projects = open_store(store).read("projects")
    one = projects[projects["id"] == pid]
    if gcj02:  # as an AMap user would digitise it

        def shift(xy: np.ndarray) -> np.ndarray:
            return np.column_stack(wgs84_to_gcj02(xy[:, 0], xy[:, 1]))

        one = one.set_geometry(shapely.transform(one.geometry.to_numpy(), shift), crs=4326)
    return geojson_text(one, "projects").encode("utf-8")


@pytest.mark.parametrize("gcj02", [False, True], ids=["wgs84", "gcj02-with-crs-choice"])
def test_uploaded_project_is_checked(app, demo_store: Path, downloads, gcj02: bool) -> None:
    at = app(demo_store, PAGE).run()
    if gcj02:
        at.selectbox(key="siting.crs").set_value("gcj02")
    at.file_uploader(key="siting.file").set_value(
        (
            "project.geojson",
            _project_file(demo_store, "XM2023-001", gcj02=gcj02),
            "application/json",
        )
    )
    at.run()

    no_exception(at)
    (box,) = at.error
    assert "XM2023-001" in box.value and "禁止" in box.value
    conflicts = at.dataframe[-1].value
    assert set(conflicts["结论"]) >= {"禁止"}
    assert "饮用水水源保护区" in set(conflicts["图层"])
    # nine columns fit the page at 1400 px (reasons are in the verdict boxes and the downloads)
    assert len(conflicts.columns) == 9 and conflicts.columns[0] == "项目编号"
    assert downloads.files["siting_report.html"].startswith(b"<!DOCTYPE html>")
    assert downloads.files["siting_report.xlsx"][:2] == b"PK"
    maps = [e for e in at.get("component_instance") if "st_folium" in e.proto.component_name]
    assert len(maps) == 1


def test_unreadable_file_is_reported(app, demo_store: Path) -> None:
    at = app(demo_store, PAGE).run()
    at.file_uploader(key="siting.file").set_value(("broken.geojson", b"{not json", "text/plain"))
    at.run()

    no_exception(at)
    assert at.error[0].value.startswith("无法读取文件")


def test_waiting_until_there_is_a_project(app, tiny_store: Path) -> None:
    at = app(tiny_store, PAGE).run()

    no_exception(at)
    assert at.info[-1].value == "请上传项目文件、在地图上绘制或选择已入库项目。"
    at.radio(key="siting.source").set_value("draw").run()
    no_exception(at)
    maps = [e for e in at.get("component_instance") if "st_folium" in e.proto.component_name]
    assert len(maps) == 1  # the drawing map (drawings cannot be simulated in AppTest)


def test_english_verdict(app, demo_store: Path) -> None:
    at = app(demo_store, PAGE, lang="en").run()
    at.radio(key="siting.source").set_value("stored").run()
    at.multiselect(key="siting.stored").set_value(["XM2023-001"]).run()

    no_exception(at)
    assert "Prohibited" in at.error[0].value


def test_conflicts_in_english(app, demo_store: Path) -> None:
    # XM2023-007, the quarry: inside the 青石山 forest red line and its priority-protection unit
    at = app(demo_store, PAGE, project=["XM2023-007"], lang="en").run()

    no_exception(at)
    table = at.dataframe[-1].value
    assert table["Layer"].tolist() == ["Red line", "Control unit"]
    assert table["Level / type"].tolist() == ["", "Priority protection"]
    assert table["Relation"].tolist() == ["inside", "inside"]
    assert list(table.columns[6:9]) == ["Distance (m)", "Overlap", "Overlap (%)"]
    assert table["Overlap (%)"].tolist() == [100.0, 100.0]  # inside: all of the project
    # an area, for a polygon: the quarry is a 500 m × 350 m box (geomon/demo/constraints.py),
    # 175,000 m² less the rounding of its trip through EPSG:4326 and back to the GK plane
    for text in table["Overlap"]:
        number, unit = text.split(" ")
        assert unit == "m²" and abs(int(number.replace(",", "")) - 500 * 350) <= 2


def test_a_line_project_shows_overlap_lengths_not_areas(app, demo_store: Path) -> None:
    # XM2023-004, the bridge (a line): 968 m of it in the 玉带河 wetland red line (and the
    # priority unit drawn on it), the rest in the general unit; the shares are of its length
    at = app(demo_store, PAGE, project=["XM2023-004"]).run()

    no_exception(at)
    table = at.dataframe[-1].value
    assert table["重叠"].tolist() == ["968 m", "968 m", "9,692 m"]  # lengths: a line has no area
    shares = table["重叠(%)"].tolist()
    assert shares == [9.1, 9.1, 90.9]
    assert round(100 * 968 / (968 + 9692), 1) == shares[0]
    # the red line's and the general unit's pieces make up the whole line, measured apart
    bridge = open_store(demo_store).read("projects").set_index("id").loc[["XM2023-004"]]
    whole = bridge.to_crs(4547).length.iloc[0]  # the demo's plane (CGCS2000 GK 3° CM 114°E)
    assert abs((968 + 9692) - whole) <= 1


def test_shared_link_to_stored_projects(app, demo_store: Path) -> None:
    at = app(demo_store, PAGE, project=["XM2023-007", "NOPE"]).run()

    no_exception(at)
    assert at.radio(key="siting.source").value == "stored"
    assert at.multiselect(key="siting.stored").value == ["XM2023-007"]
    assert "XM2023-007" in at.error[0].value  # quarry in the red line: prohibited
    assert param(at, "project") == ["XM2023-007"]


def test_project_without_id_is_refused_as_by_geomon_check(app, demo_store: Path) -> None:
    """GH issue 18, item 11: the page used to check it and call the project "0"."""
    path = Path(__file__).parents[1] / "data" / "project_without_id.geojson"
    at = app(demo_store, PAGE).run()
    at.file_uploader(key="siting.file").set_value((path.name, path.read_bytes(), "text/plain"))
    at.run()

    no_exception(at)
    (box,) = at.error
    assert box.value.startswith("项目文件有错误，未做分析")
    assert "project_without_id.geojson: 1 problem(s) in 1 row(s); first at row 1, field 'id'" in (
        shown(box.value)
    )
    assert not at.warning and not at.success and not at.info  # no verdict of any project
    messages = at.dataframe[0].value["message"].tolist()
    assert messages and all(" / " not in m and not m.isascii() for m in messages)  # Chinese only
    issues = at.dataframe[0].value
    assert issues[["row", "field", "code"]].values.tolist() == [[1, "id", "missing_value"]]
