"""Export: RFC 7946 GeoJSON, GeoPackage, zipped Shapefile, CSV and XLSX, read back for real."""

from __future__ import annotations

import io
import json
import math
import zipfile
from pathlib import Path

import geopandas as gpd
import numpy as np
import openpyxl
import pandas as pd
import pyogrio
import pytest
import shapely
import shapely.affinity
from shapely import LineString, Point, Polygon

from geomon import validate
from geomon.errors import ExportError, GeomonError
from geomon.io import export
from geomon.specs import get_spec

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
    # the DBF names declared in layers/outlets.toml, not GDAL's cuts ("receiving_", "receivin_1")
    assert {"recv_water", "recv_code", "dist_code", "traced_on", "sign"} <= set(back.columns)
    assert back["name"].tolist() == ["东城区一号排污口", "西城区二号排污口"]
    fields = pd.read_csv(io.BytesIO(zipfile.ZipFile(path).read("fields.csv")), encoding="utf-8-sig")
    assert dict(zip(fields["shapefile_field"], fields["field"], strict=True))["recv_code"] == (
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
    with pytest.raises(ExportError) as info:
        export.export_bytes(outlets(), "outlets", "kml")  # type: ignore[arg-type]
    assert str(info.value) == (
        "unknown export format 'kml'; use one of geojson, gpkg, shp, csv, xlsx"
    )


def test_shapefile_of_a_table_layer_is_refused() -> None:
    with pytest.raises(ExportError) as info:
        export.export_bytes(pd.DataFrame({"section_code": ["S1"]}), "monitoring", "shp")
    assert str(info.value) == "layer 'monitoring' has no geometry; export it as csv or xlsx"
    assert isinstance(info.value, GeomonError) and isinstance(info.value, ValueError)


# ------------------------------------------------------------------------------ GeoJSON fast path


def _plain_value(value: object) -> object:
    """The JSON value of one property, as the exporter has always defined it."""
    if value is None:
        return None
    if isinstance(value, pd.Timestamp):
        return None if pd.isna(value) else value.date().isoformat()
    if isinstance(value, float | np.floating):
        return None if math.isnan(value) or math.isinf(value) else float(value)
    if isinstance(value, np.integer):
        return int(value)
    if isinstance(value, np.bool_):
        return bool(value)
    if value is pd.NA or value is pd.NaT:
        return None
    return value


def plain_geojson(frame: pd.DataFrame, layer: str) -> bytes:
    """The definition the vectorised exporter must match: two ``json.dumps`` per feature."""
    spec = get_spec(layer)
    fields = [c for c in frame.columns if c != "geometry"]
    geo_json: list[str | None] = [None] * len(frame)
    if spec.is_spatial and len(frame):
        oriented = shapely.orient_polygons(np.asarray(frame.geometry.values), exterior_cw=False)
        rounded = shapely.transform(oriented, lambda xy: np.round(xy, 7))
        geo_json = list(shapely.to_geojson(rounded))
    parts = []
    for values, geom in zip(frame[fields].astype("object").to_numpy(), geo_json, strict=True):
        props = {f: _plain_value(v) for f, v in zip(fields, values, strict=True)}
        feature: dict[str, object] = {"type": "Feature"}
        if spec.id_field and props.get(spec.id_field) is not None:
            feature["id"] = props[spec.id_field]
        head = json.dumps(feature, ensure_ascii=False)[:-1]
        body = json.dumps(props, ensure_ascii=False)
        parts.append(f'{head}, "properties": {body}, "geometry": {geom or "null"}}}')
    name = json.dumps(spec.name, ensure_ascii=False)
    text = f'{{"type": "FeatureCollection", "name": {name}, "features": [\n' + ",\n".join(parts)
    return (text + "\n]}\n").encode("utf-8")


def tricky_outlets() -> gpd.GeoDataFrame:
    """Eight rows of awkward values, one column per dtype the exporter treats on its own."""
    cw_square = Polygon([(112, 30), (112, 30.1), (112.1, 30.1), (112.1, 30)])
    frame = gpd.GeoDataFrame(
        {
            "code": ['A"1', None, "C\\3", "中文编码", "tab\tnew\nline", "ctl\x01\x1f", "😀", ""],
            "name": pd.array(["一", None, "三", "四", "五", "六", "七", "八"], dtype="string"),
            "district": ["江岸区"] * 7 + [None],  # repeats: encoded once per distinct value
            "stage": pd.Categorical(["整治完成", None, "已排查", "整治完成"] * 2),
            "deadline": np.array(
                [
                    "2023-06-30T12:00",
                    "NaT",
                    "1969-12-31T23:00",
                    "0999-03-04",
                    "2024-02-29",
                    "1970-01-01",
                    "2262-04-12",
                    "2000-01-01T23:59:59",
                ],
                dtype="datetime64[s]",
            ),
            "traced_date": pd.to_datetime(["2023-06-30 23:30"] * 8).tz_localize("Asia/Shanghai"),
            "sign_installed": pd.array([True, None, False] + [True] * 5, dtype="boolean"),
            "flag": np.array([True, False] * 4),
            "count": pd.array([1, None, -3, 0, 2**40, 5, 6, 7], dtype="Int64"),
            "big": np.array([2**62, -(2**62), 0, 1, 2, 3, 4, 5], dtype=np.int64),
            "unsigned": np.array([2**64 - 1, 0, 1, 2, 3, 4, 5, 6], dtype=np.uint64),
            "ratio": [np.nan, np.inf, -np.inf, -0.0, 3.0, 1e-7, 1e20, 0.1],
            "single": np.array([0.1, 1.5, np.nan, 3, 4, 5, 6, 7], dtype=np.float32),
            "masked": pd.array([1.5, None, 3.0, 4, 5, 6, 7, 8], dtype="Float64"),
            "mixed": [1, "x", None, np.float64("nan"), True, 2.5, np.int64(7), pd.NA],
            'k"ey %s\\': ["a", "b", "c", "d", "e", "f", "g", "h"],
        },
        geometry=[
            Point(112.8961234567, 30.4021),  # rounded to 7 decimals
            shapely.MultiPolygon([cw_square, shapely.affinity.translate(cw_square, 1)]),
            None,
            LineString([(112.0, 30.0), (112.123456789, 30.5)]),
            CW_WITH_HOLE,
            Point(),
            shapely.GeometryCollection([cw_square, Point(1, 2)]),
            Point(112.5, 30.3, 25.0),
        ],
        crs=4326,
    )
    frame[5] = ["int label"] * 8  # a non-string column name becomes the key "5"
    return frame


@pytest.mark.parametrize("chunk_rows", [20_000, 3, 1])
def test_geojson_equals_the_json_dumps_definition(
    chunk_rows: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(export, "_CHUNK_ROWS", chunk_rows)
    frame = tricky_outlets()

    data = export.export_bytes(frame, "outlets", "geojson")

    assert data == plain_geojson(frame, "outlets")
    features = json.loads(data)["features"]
    assert [f.get("id") for f in features] == [
        'A"1',
        None,
        "C\\3",
        "中文编码",
        "tab\tnew\nline",
        "ctl\x01\x1f",
        "😀",
        "",
    ]
    first, second = features[0]["properties"], features[1]["properties"]
    assert first["deadline"] == "2023-06-30" and second["deadline"] is None
    assert features[2]["properties"]["deadline"] == "1969-12-31"
    assert features[3]["properties"]["deadline"] == "0999-03-04"
    assert first["traced_date"] == "2023-06-30"
    assert [f["properties"]["ratio"] for f in features[:5]] == [None, None, None, -0.0, 3.0]
    assert first["unsigned"] == 2**64 - 1 and first["single"] == pytest.approx(0.1)
    assert [f["properties"]["mixed"] for f in features[:5]] == [1, "x", None, None, True]
    assert first["5"] == "int label" and first['k"ey %s\\'] == "a"
    assert features[0]["geometry"] == {"type": "Point", "coordinates": [112.8961235, 30.4021]}
    assert features[2]["geometry"] is None
    outer = features[1]["geometry"]["coordinates"][0][0]
    assert shapely.LinearRing(outer).is_ccw


def test_geojson_of_no_rows_and_of_a_layer_without_geometry() -> None:
    frame = tricky_outlets()
    assert export.export_bytes(frame.iloc[:0], "outlets", "geojson") == plain_geojson(
        frame.iloc[:0], "outlets"
    )
    table = pd.DataFrame(
        {"section_code": ["S1", None], "date": pd.to_datetime(["2024-01-31", None]),
         "COD": [15.5, np.nan]}
    )  # fmt: skip
    data = export.export_bytes(table, "monitoring", "geojson")
    assert data == plain_geojson(table, "monitoring")
    assert json.loads(data)["features"][1] == {
        "type": "Feature",
        "properties": {"section_code": None, "date": None, "COD": None},
        "geometry": None,
    }
