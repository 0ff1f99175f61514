"""Issue 17 items 1, 2, 4, 5: Shapefile files and names, GeoPackage geometry types, typed fields.

Every file is checked with GDAL's own reader (pyogrio), then read back with `geomon.io.read`.
"""

from __future__ import annotations

import datetime as dt
import io
import zipfile
from pathlib import Path

import geopandas as gpd
import openpyxl
import pandas as pd
import pyogrio
import pytest
from shapely import MultiPolygon, Point, box

from geomon import cli, validate
from geomon import io as gio
from geomon.errors import ExportError
from geomon.io import export
from geomon.store import open_store

SHAPEFILE_PARTS = {".shp", ".shx", ".dbf", ".prj", ".cpg"}


def outlets() -> gpd.GeoDataFrame:
    frame = gpd.GeoDataFrame(
        {
            "code": ["A1", "A2"],
            "name": ["东城区一号排污口", "西城区二号排污口"],
            "stage": ["整治完成", "已排查"],
            "type_l1": ["工业排污口", "其他排口"],
            "district": ["东城区", "西城区"],
            "district_code": ["429005", "429006"],
            "receiving_water": ["汉江", "汉江"],
            "receiving_water_code": ["HJ01", "HJ02"],
            "deadline": pd.to_datetime(["2023-06-30", None]),
            "sign_installed": pd.array([True, None], dtype="boolean"),
        },
        geometry=[Point(112.8961235, 30.4021), Point(112.5, 30.3)],
        crs=4326,
    )
    return validate.apply_dtypes(frame, "outlets")


def dbf_types(dbf: bytes) -> dict[str, str]:
    """Field name → DBF type letter, from the 32-byte field descriptors (dBase III layout)."""
    out = {}
    for i in range(32, len(dbf), 32):
        if dbf[i] == 0x0D:
            break
        out[dbf[i : i + 11].split(b"\0")[0].decode("ascii")] = chr(dbf[i + 11])
    return out


def test_plain_shapefile_writes_parts_side_by_side(tmp_path: Path) -> None:
    written = export.write_shapefile(outlets(), "outlets", tmp_path / "out.shp")
    assert {p.name for p in written} == {f"out{e}" for e in SHAPEFILE_PARTS}
    info = pyogrio.read_info(tmp_path / "out.shp")
    assert info["crs"] == "EPSG:4326"
    assert info["encoding"] == "UTF-8"
    back = pyogrio.read_dataframe(tmp_path / "out.shp")
    assert back.loc[0, "dist_code"] == "429005" and back.loc[1, "recv_code"] == "HJ02"
    # and geomon maps the declared DBF names back to its fields
    read = gio.read(tmp_path / "out.shp", "outlets")
    assert read.report.issues == []
    assert read.frame["district_code"].tolist() == ["429005", "429006"]
    assert read.frame["receiving_water_code"].tolist() == ["HJ01", "HJ02"]


def test_shapefile_dates_are_dbf_dates_and_booleans_logicals(tmp_path: Path) -> None:
    export.write_shapefile(outlets(), "outlets", tmp_path / "out.shp")
    types = dbf_types((tmp_path / "out.dbf").read_bytes())
    assert types["deadline"] == "D" and types["sign"] == "L" and types["code"] == "C"
    back = pyogrio.read_dataframe(tmp_path / "out.shp")
    assert back.loc[0, "deadline"] == pd.Timestamp("2023-06-30") and pd.isna(
        back.loc[1, "deadline"]
    )
    assert back.loc[0, "sign"] == 1 and pd.isna(back.loc[1, "sign"])


def test_edited_shapefile_comes_back_by_dbf_names(tmp_path: Path) -> None:
    """As ArcGIS saves it: upper-case DBF names, a changed stage, a .cpg."""
    path = tmp_path / "edited.shp"
    frame = pyogrio.read_dataframe(_zip_of(outlets(), tmp_path) + "/outlets.shp")
    frame = frame.rename(columns=str.upper).rename(columns={"GEOMETRY": "geometry"})
    frame = frame.set_geometry("geometry")
    frame.loc[1, "STAGE"] = "整治中"
    frame["DEADLINE"] = [d.date() if pd.notna(d) else None for d in frame["DEADLINE"]]
    pyogrio.write_dataframe(frame, path, encoding="UTF-8", use_arrow=True)
    read = gio.read(path, "outlets")
    assert [i.code for i in read.report.issues] == []
    checked = validate.validate(read.frame, "outlets")
    assert checked.report.valid
    assert checked.frame["stage"].tolist() == ["整治完成", "整治中"]
    assert checked.frame["district_code"].tolist() == ["429005", "429006"]


def _zip_of(frame: gpd.GeoDataFrame, tmp_path: Path) -> str:
    path = tmp_path / "o.zip"
    export.export(frame, "outlets", "shp", path)
    return f"/vsizip/{path}"


@pytest.mark.parametrize("name", ["out.geojson", "out", "out.shp.txt"])
def test_shapefile_to_another_suffix_is_refused(tmp_path: Path, name: str) -> None:
    with pytest.raises(ExportError, match=r"NAME\.zip"):
        export.export(outlets(), "outlets", "shp", tmp_path / name)
    assert list(tmp_path.iterdir()) == []


@pytest.fixture
def small_store(tmp_path: Path) -> Path:
    path = tmp_path / "s.gpkg"
    open_store(path).write({"outlets": outlets()})
    return path


def test_cli_shp_and_zip_outputs(
    small_store: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    base = ["export", "--layer", "outlets", "--store", str(small_store), "--format", "shp"]
    assert cli.main([*base, "-o", str(tmp_path / "o.shp")]) == 0
    assert {p.suffix for p in tmp_path.glob("o.*")} >= SHAPEFILE_PARTS
    assert len(pyogrio.read_dataframe(tmp_path / "o.shp")) == 2  # GDAL opens it
    assert cli.main([*base, "-o", str(tmp_path / "o.zip")]) == 0
    assert zipfile.is_zipfile(tmp_path / "o.zip")
    assert len(pyogrio.read_dataframe(f"/vsizip/{tmp_path / 'o.zip'}/outlets.shp")) == 2
    capsys.readouterr()
    assert cli.main([*base, "-o", str(tmp_path / "o.dat")]) == 2
    assert "NAME.zip" in capsys.readouterr().err
    assert not (tmp_path / "o.dat").exists()


def test_gpkg_dates_are_dates_and_booleans_booleans(tmp_path: Path) -> None:
    path = tmp_path / "o.gpkg"
    path.write_bytes(export.export_bytes(outlets(), "outlets", "gpkg"))
    info = pyogrio.read_info(path, layer="outlets")
    kinds = zip(info["ogr_types"], info["ogr_subtypes"], strict=True)
    types = dict(zip(info["fields"], kinds, strict=True))
    assert types["deadline"] == ("OFTDate", "OFSTNone")
    assert types["sign_installed"] == ("OFTInteger", "OFSTBoolean")
    assert info["geometry_type"] == "Point"


def test_xlsx_dates_are_date_cells(tmp_path: Path) -> None:
    book = openpyxl.load_workbook(io.BytesIO(export.export_bytes(outlets(), "outlets", "xlsx")))
    sheet = book.active
    header = [c.value for c in sheet[1]]
    cell = sheet.cell(2, header.index("整治时限") + 1)
    assert cell.is_date and cell.value == dt.datetime(2023, 6, 30)
    assert cell.number_format == "YYYY-MM-DD"
    assert sheet.cell(3, header.index("整治时限") + 1).value is None


# one polygon of two parts (two 0.1° squares) among single polygons
TWO_PARTS = MultiPolygon([box(112.0, 30.0, 112.1, 30.1), box(112.2, 30.0, 112.3, 30.1)])


def zones(geoms: list) -> gpd.GeoDataFrame:
    rows = [{"code": f"Z{i}", "name": f"保护区{i}"} for i in range(len(geoms))]
    return validate.apply_dtypes(gpd.GeoDataFrame(rows, geometry=geoms, crs=4326), "red_lines")


@pytest.mark.parametrize(
    ("geoms", "declared"),
    [
        ([box(112, 30, 112.1, 30.1), box(113, 30, 113.1, 30.1)], "Polygon"),
        ([box(112, 30, 112.1, 30.1), TWO_PARTS], "MultiPolygon"),
    ],
)
def test_gpkg_declares_what_the_layer_holds(tmp_path: Path, geoms: list, declared: str) -> None:
    exported = tmp_path / "e.gpkg"
    exported.write_bytes(export.export_bytes(zones(geoms), "red_lines", "gpkg"))
    stored = tmp_path / "s.gpkg"
    open_store(stored).write({"red_lines": zones(geoms)})
    for path in (exported, stored):
        info = pyogrio.read_info(path, layer="red_lines")
        assert info["geometry_type"] == declared
        kinds = set(pyogrio.read_dataframe(path, layer="red_lines").geom_type)
        assert kinds == {declared}  # single polygons promoted along with the multi one


def test_geojson_id_member_is_not_an_unknown_column(tmp_path: Path) -> None:
    path = tmp_path / "o.geojson"
    path.write_bytes(export.export_bytes(outlets(), "outlets", "geojson"))
    read = gio.read(path, "outlets")
    assert "id" not in read.frame.columns
    assert validate.validate(read.frame, "outlets").report.warnings == []
    # a feature id with no id property is the layer's id
    text = '{"type": "Feature", "id": "B7", "properties": {"name": "七号"}, "geometry": null}'
    path.write_text(f'{{"type": "FeatureCollection", "features": [{text}]}}', encoding="utf-8")
    assert gio.read(path, "outlets").frame["code"].tolist() == ["B7"]
