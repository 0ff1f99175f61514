"""Export: RFC 7946 GeoJSON, GeoPackage, zipped Shapefile, CSV and XLSX, read back for real."""

from __future__ import annotations

import io
import json
import zipfile
from pathlib import Path

import geopandas as gpd
import openpyxl
import pandas as pd
import pyogrio
import pytest
import shapely
from shapely import LineString, Point, Polygon

from geomon import validate
from geomon.io import export

# clockwise exterior (as many shapefiles store it) with a counter-clockwise hole
CW_WITH_HOLE = Polygon(
    [(112.0, 30.0), (112.0, 30.1), (112.1, 30.1), (112.1, 30.0), (112.0, 30.0)],
    holes=[[(112.02, 30.02), (112.08, 30.02), (112.08, 30.08), (112.02, 30.08)]],
)


def red_lines() -> gpd.GeoDataFrame:
    frame = gpd.GeoDataFrame(
        {"code": ["HX01"], "name": ["江汉湿地生态保护红线"], "eco_type": ["湿地"]},
        geometry=[CW_WITH_HOLE],
        crs=4326,
    )
    return validate.apply_dtypes(frame, "red_lines")


def outlets() -> gpd.GeoDataFrame:
    frame = gpd.GeoDataFrame(
        {
            "code": ["A1", "A2"],
            "name": ["东城区一号排污口", "西城区二号排污口"],
            "stage": ["整治完成", "已排查"],
            "deadline": pd.to_datetime(["2023-06-30", None]),
            "sign_installed": pd.array([True, None], dtype="boolean"),
            "receiving_water": ["汉江", "汉江"],
            "receiving_water_code": ["HJ01", "HJ01"],
        },
        geometry=[Point(112.8961234567, 30.4021), Point(112.5, 30.3)],
        crs=4326,
    )
    return validate.apply_dtypes(frame, "outlets")


def test_geojson_follows_rfc7946(tmp_path: Path) -> None:
    data = export.export_bytes(red_lines(), "red_lines", "geojson")
    text = data.decode("utf-8")
    assert "江汉湿地" in text and "\\u" not in text  # UTF-8, not escapes
    doc = json.loads(text)
    assert "crs" not in doc
    feature = doc["features"][0]
    assert feature["id"] == "HX01"
    assert feature["properties"]["name"] == "江汉湿地生态保护红线"
    outer, hole = feature["geometry"]["coordinates"]
    assert shapely.LinearRing(outer).is_ccw
    assert not shapely.LinearRing(hole).is_ccw
    path = tmp_path / "r.geojson"
    path.write_bytes(data)
    back = pyogrio.read_dataframe(path)
    assert back.crs.to_epsg() == 4326
    assert back.geometry.iloc[0].equals(CW_WITH_HOLE)  # same shape, only the winding changed
    assert back.geometry.iloc[0].area == pytest.approx(0.01 - 0.0036)


def test_geojson_points_dates_and_nulls() -> None:
    doc = json.loads(export.export_bytes(outlets(), "outlets", "geojson"))
    first, second = doc["features"]
    assert first["geometry"] == {"type": "Point", "coordinates": [112.8961235, 30.4021]}
    assert first["properties"]["deadline"] == "2023-06-30"
    assert first["properties"]["sign_installed"] is True
    assert second["properties"]["deadline"] is None
    assert second["properties"]["sign_installed"] is None
    assert second["properties"]["local_code"] is None


def test_gpkg_round_trip(tmp_path: Path) -> None:
    path = tmp_path / "o.gpkg"
    export.export(outlets(), "outlets", "gpkg", path)
    back = validate.apply_dtypes(pyogrio.read_dataframe(path, layer="outlets"), "outlets")
    assert back["name"].tolist() == ["东城区一号排污口", "西城区二号排污口"]
    assert back["deadline"].iloc[0] == pd.Timestamp("2023-06-30")


def test_shapefile_zip_has_cpg_and_unique_short_names(tmp_path: Path) -> None:
    data = export.export_bytes(outlets(), "outlets", "shp")
    names = zipfile.ZipFile(io.BytesIO(data)).namelist()
    assert {
        "outlets.shp",
        "outlets.shx",
        "outlets.dbf",
        "outlets.prj",
        "outlets.cpg",
        "fields.csv",
    } <= set(names)
    path = tmp_path / "o.zip"
    path.write_bytes(data)
    back = pyogrio.read_dataframe(f"/vsizip/{path}/outlets.shp")
    # receiving_water and receiving_water_code both shorten to 10 characters, uniquely
    assert "receiving_" in back.columns and "receivin_1" in back.columns
    assert back["name"].tolist() == ["东城区一号排污口", "西城区二号排污口"]
    fields = pd.read_csv(io.BytesIO(zipfile.ZipFile(path).read("fields.csv")), encoding="utf-8-sig")
    assert dict(zip(fields["shapefile_field"], fields["field"], strict=True))["receivin_1"] == (
        "receiving_water_code"
    )


def test_mixed_geometry_layer_splits_shapefiles() -> None:
    frame = gpd.GeoDataFrame(
        {"id": ["P1", "P2"], "name": ["道路", "厂区"]},
        geometry=[LineString([(112, 30), (112.1, 30)]), Point(112.2, 30.1)],
        crs=4326,
    )
    data = export.export_bytes(validate.apply_dtypes(frame, "projects"), "projects", "shp")
    names = set(zipfile.ZipFile(io.BytesIO(data)).namelist())
    assert {"projects_point.shp", "projects_line.shp"} <= names


def test_csv_has_chinese_headers_and_lon_lat() -> None:
    text = export.export_bytes(outlets(), "outlets", "csv").decode("utf-8-sig")
    table = pd.read_csv(io.StringIO(text), dtype=str)
    assert table.loc[0, "排污口编码(国家统一赋码)"] == "A1"
    assert table.loc[0, "整治时限"] == "2023-06-30"
    assert table.loc[0, "已设立标志牌"] == "是"
    assert table.loc[0, "经度"] == "112.8961235"
    assert table.loc[0, "纬度"] == "30.4021"


def test_xlsx_opens_with_openpyxl() -> None:
    book = openpyxl.load_workbook(io.BytesIO(export.export_bytes(red_lines(), "red_lines", "xlsx")))
    sheet = book.active
    assert sheet.title == "生态保护红线"
    header = [c.value for c in sheet[1]]
    assert header[:2] == ["红线编码", "红线名称"]
    assert header[-1] == "WKT"
    assert sheet.cell(2, 2).value == "江汉湿地生态保护红线"
    assert shapely.from_wkt(sheet.cell(2, len(header)).value).equals(CW_WITH_HOLE)


def test_unknown_format_is_refused() -> None:
    with pytest.raises(ValueError, match=r"unknown export format 'kml'"):
        export.export_bytes(outlets(), "outlets", "kml")  # type: ignore[arg-type]
