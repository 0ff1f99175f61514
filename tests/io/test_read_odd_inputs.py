"""Readers never crash on odd input (issue 17 item 9): LOCAL_CS .prj, JSON arrays, MultiPoints."""

from __future__ import annotations

import json
import zipfile
from pathlib import Path

import geopandas as gpd
import pyproj
import pytest
import shapely
from shapely import MultiPoint, Point

from geomon import validate
from geomon.errors import CRSError
from geomon.io import read

OUTLET = {
    "code": "CJ9001429902GS0101",
    "name": "测试排污口",
    "type_l1": "工业排污口",
    "receiving_water": "玉带河",
    "district": "明珠区",
    "district_code": "429902",
    "stage": "已排查",
}
LOCAL_CS = (
    'LOCAL_CS["Engineering",LOCAL_DATUM["Local",0],UNIT["Meter",1],AXIS["X",EAST],AXIS["Y",NORTH]]'
)


def geojson(tmp_path: Path, features: list[tuple[dict, dict]]) -> Path:
    path = tmp_path / "outlets.geojson"
    doc = {
        "type": "FeatureCollection",
        "features": [{"type": "Feature", "properties": p, "geometry": g} for p, g in features],
    }
    path.write_text(json.dumps(doc, ensure_ascii=False), encoding="utf-8")
    return path


def test_cad_local_cs_prj_is_crs_required_naming_the_file(tmp_path: Path) -> None:
    frame = gpd.GeoDataFrame({"code": ["A1"]}, geometry=[Point(500.0, 300.0)], crs=4326)
    frame.to_file(tmp_path / "cad.shp", encoding="UTF-8")
    (tmp_path / "cad.prj").write_text(LOCAL_CS)
    with zipfile.ZipFile(tmp_path / "cad.zip", "w") as zf:
        for ext in ("shp", "shx", "dbf", "prj", "cpg"):
            zf.write(tmp_path / f"cad.{ext}", f"cad.{ext}")

    got = read(tmp_path / "cad.zip", "outlets")

    [issue] = got.report.errors
    assert (issue.row, issue.field, issue.code) == (None, None, "crs_required")
    assert issue.message.startswith(f"{tmp_path / 'cad.zip'}: 坐标系“Engineering”无法转换到 WGS84")
    assert "cannot be transformed to WGS84" in issue.message
    assert got.frame.geometry.isna().all()  # no guessed position


def test_untransformable_crs_is_a_crs_error_not_a_proj_traceback() -> None:
    from geomon.crs import xy_to_lonlat

    with pytest.raises(CRSError, match="cannot be transformed to WGS84"):
        xy_to_lonlat([500.0], [300.0], pyproj.CRS(LOCAL_CS))


def test_json_array_property_is_bad_type_for_that_row_and_field(tmp_path: Path) -> None:
    point = {"type": "Point", "coordinates": [112.95, 30.40]}
    path = geojson(
        tmp_path,
        [({**OUTLET, "name": []}, point), ({**OUTLET, "code": "X2", "name": ["a", 1]}, point)],
    )

    got = read(path, "outlets")
    report = validate.validate(got.frame, "outlets", report=got.report).report

    names = [(i.row, i.field, i.code) for i in report.errors if i.field == "name"]
    assert names == [(1, "name", "bad_type"), (2, "name", "bad_type")]  # no missing_value too
    second = next(i for i in report.errors if (i.row, i.field) == (2, "name"))
    assert second.message == "['a', 1] 不是单个值（数组或对象） / ['a', 1] is a list, not one value"


def test_json_array_beside_plain_text_is_bad_type_not_a_name(tmp_path: Path) -> None:
    """GDAL gives a property that mixes arrays and text as JSON text ("[ ]"): still bad_type."""
    point = {"type": "Point", "coordinates": [112.95, 30.40]}
    path = geojson(tmp_path, [({**OUTLET, "name": []}, point), ({**OUTLET, "code": "X2"}, point)])

    with pytest.warns(UserWarning, match="Could not parse column"):  # pyogrio's own note
        got = read(path, "outlets")
    report = validate.validate(got.frame, "outlets", report=got.report).report

    assert [(i.row, i.field, i.code) for i in report.errors if i.field == "name"] == [
        (1, "name", "bad_type")
    ]
    assert got.frame.loc[2, "name"] == "测试排污口"


@pytest.mark.parametrize(
    ("geometry", "expected"),
    [
        (MultiPoint([(112.95, 30.40), (112.96, 30.41)]), ["wrong_geometry_type"]),
        (MultiPoint([(112.95, 30.40)]), []),
    ],
)
def test_multipoint_in_a_point_layer_needs_exactly_one_point(
    geometry: MultiPoint, expected: list[str]
) -> None:
    frame = gpd.GeoDataFrame([OUTLET], geometry=[geometry], crs=4326, index=[1])

    checked = validate.validate(frame, "outlets")

    assert [i.code for i in checked.report.errors] == expected
    if not expected:  # one point: stored as the Point it is
        assert shapely.equals_exact(checked.frame.geometry.iloc[0], Point(112.95, 30.40))
        assert checked.frame.geometry.iloc[0].geom_type == "Point"
