"""geomon.io.read: every format and encoding, coordinates, CRS handling and read errors.

Coordinates use the DOMAIN §5.1 worked example (Qianjiang): 112.896°E 30.402°N, which is
112°53'45.6"E 30°24'07.2"N, and in CGCS2000 3° zone 38 E 38,393,907.86 N 3,365,194.74
(CM 114°E without prefix: E 393,907.86). Files are built in tmp_path by each test; only the
Google Earth KML sits in tests/data/io/ (see its README).
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
import shapely
from shapely import Point

from geomon import crs as gcrs
from geomon.errors import ReadError
from geomon.io import READABLE_SUFFIXES, ReadResult, read

DATA = Path(__file__).parents[1] / "data" / "io"
LON, LAT = 112.896, 30.402
GK38_E, GK38_N = 38_393_907.86, 3_365_194.74  # zone-prefixed easting, northing
CM114_E = 393_907.86  # the same easting without the zone prefix (EPSG:4547)
GK_TOL = 1e-6  # degrees; the worked example is rounded to centimetres (~1e-7°)


def _outlets(crs: int = 4326, xy: tuple[float, float] = (LON, LAT)) -> gpd.GeoDataFrame:
    # DBF field names hold 10 bytes: 名称 is 4 bytes in GBK and 6 in UTF-8
    return gpd.GeoDataFrame(
        {"code": ["HJ001"], "名称": ["汉江排口"]}, geometry=[Point(*xy)], crs=crs
    )


def _xy(result: ReadResult, row: int) -> tuple[float, float]:
    geom = result.frame.geometry.loc[row]
    return geom.x, geom.y


def _codes(result: ReadResult) -> list[str]:
    return [i.code for i in result.report.issues]


def _assert_canonical(result: ReadResult, rows: list[int]) -> None:
    """EPSG:4326, index "row" = the 1-based source records."""
    assert isinstance(result.frame, gpd.GeoDataFrame)
    assert result.frame.crs.equals(gcrs.WGS84)
    assert result.frame.index.name == "row"
    assert result.frame.index.tolist() == rows
    assert result.report.rows == len(rows)


# --- GeoJSON, GeoPackage, KML --------------------------------------------------------------------

GEOJSON = """{"type": "FeatureCollection", "features": [
 {"type": "Feature",
  "properties": {"排污口编码（国家统一赋码）": "HJ001", "Outlet name": "汉江排口",
                 "备注": "岸边", "自定义": 7},
  "geometry": {"type": "Point", "coordinates": [112.896, 30.402]}},
 {"type": "Feature",
  "properties": {"排污口编码（国家统一赋码）": "HJ002", "Outlet name": "二号",
                 "备注": null, "自定义": 8},
  "geometry": {"type": "Point", "coordinates": [112.75, 30.25]}}
]}"""


def test_geojson_renames_headers_and_keeps_unknown_columns(tmp_path: Path) -> None:
    path = tmp_path / "outlets.geojson"
    path.write_text(GEOJSON, encoding="utf-8")

    result = read(path, "outlets")

    _assert_canonical(result, [1, 2])
    assert list(result.frame.columns) == ["code", "name", "notes", "自定义", "geometry"]
    assert result.frame.loc[1, "code"] == "HJ001"
    assert result.frame.loc[2, "name"] == "二号"
    assert _xy(result, 1) == (LON, LAT)
    assert _xy(result, 2) == (112.75, 30.25)
    assert result.report.issues == []
    assert result.report.layer == "outlets"
    assert result.report.path == str(path)


@pytest.mark.parametrize(
    "make_source",
    [
        pytest.param(lambda p: p, id="path"),
        pytest.param(lambda p: str(p), id="str-path"),
        pytest.param(lambda p: p.read_bytes(), id="bytes"),
        pytest.param(lambda p: bytearray(p.read_bytes()), id="bytearray"),
        pytest.param(lambda p: io.BytesIO(p.read_bytes()), id="file-like"),
    ],
)
def test_source_kinds(tmp_path: Path, make_source) -> None:
    path = tmp_path / "upload.geojson"
    path.write_text(GEOJSON, encoding="utf-8")

    result = read(make_source(path), "outlets", filename="outlets.geojson")

    _assert_canonical(result, [1, 2])
    assert _xy(result, 1) == (LON, LAT)


def test_upload_object_name_gives_the_format(tmp_path: Path) -> None:
    """A Streamlit UploadedFile is a BytesIO with a ``name``: no filename= needed."""
    upload = io.BytesIO(GEOJSON.encode())
    upload.name = "上传.geojson"

    result = read(upload, "outlets")

    assert result.report.path == "上传.geojson"
    assert _xy(result, 1) == (LON, LAT)


def test_geopackage_picks_layer_named_like_spec_and_converts_crs(tmp_path: Path) -> None:
    path = tmp_path / "data.gpkg"
    pyogrio.write_dataframe(_outlets(xy=(0.0, 0.0)), path, layer="other")
    pyogrio.write_dataframe(_outlets(4547, (CM114_E, GK38_N)), path, layer="outlets")

    result = read(path, "outlets")

    _assert_canonical(result, [1])
    lon, lat = _xy(result, 1)
    assert lon == pytest.approx(LON, abs=GK_TOL)
    assert lat == pytest.approx(LAT, abs=GK_TOL)
    assert result.frame.loc[1, "code"] == "HJ001"


def test_geopackage_falls_back_to_first_layer(tmp_path: Path) -> None:
    path = tmp_path / "data.gpkg"
    pyogrio.write_dataframe(_outlets(), path, layer="排污口")

    result = read(path, "outlets")

    assert _xy(result, 1) == (LON, LAT)


def test_kml_from_google_earth_folders() -> None:
    result = read(DATA / "outlets_google_earth.kml", "outlets")

    _assert_canonical(result, [1, 2])
    # <Data name="排污口编码"> must not be laundered to "_____"; LIBKML's style columns dropped
    assert list(result.frame.columns) == ["name", "code", "receiving_water", "geometry"]
    assert result.frame["code"].tolist() == ["HJ001", "DJ002"]
    assert result.frame["name"].tolist() == ["汉江一号排口", "东荆河二号排口"]
    assert _xy(result, 1) == (LON, LAT)  # Z dropped: the canonical frame is 2-D
    assert not result.frame.geometry.has_z.any()
    assert result.report.issues == []


def test_kmz_upload() -> None:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        zf.write(DATA / "outlets_google_earth.kml", "doc.kml")

    result = read(buf.getvalue(), "outlets", filename="排污口.kmz")

    assert result.frame["code"].tolist() == ["HJ001", "DJ002"]
    assert _xy(result, 1) == (LON, LAT)


def test_kml_without_driver_says_so(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(pyogrio, "list_drivers", lambda *a, **k: {"GeoJSON": "rw"})

    with pytest.raises(ReadError, match="no KML driver") as info:
        read(DATA / "outlets_google_earth.kml", "outlets")
    assert info.value.code == "driver_missing"


# --- Shapefiles and their encodings --------------------------------------------------------------


def _shapefile_dir(tmp_path: Path, encoding: str, keep_cpg: bool, crs: int = 4326) -> Path:
    folder = tmp_path / "shp"
    folder.mkdir()
    xy = (LON, LAT) if crs == 4326 else (CM114_E, GK38_N)
    pyogrio.write_dataframe(_outlets(crs, xy), folder / "outlets.shp", encoding=encoding)
    if not keep_cpg:
        (folder / "outlets.cpg").unlink()
    return folder


def _zip(folder: Path, prefix: str = "排污口/") -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        for part in sorted(folder.iterdir()):
            zf.write(part, prefix + part.name)
    return buf.getvalue()


@pytest.mark.parametrize(
    ("encoding", "keep_cpg"),
    [
        pytest.param("UTF-8", True, id="utf8-with-cpg"),
        pytest.param("UTF-8", False, id="utf8-without-cpg"),
        pytest.param("GBK", True, id="gbk-with-cpg"),
        pytest.param("GBK", False, id="gbk-without-cpg"),
    ],
)
def test_zipped_shapefile_encodings(tmp_path: Path, encoding: str, keep_cpg: bool) -> None:
    folder = _shapefile_dir(tmp_path, encoding, keep_cpg)
    dbf = (folder / "outlets.dbf").read_bytes()
    assert "汉江排口".encode(encoding) in dbf  # the fixture really is in that encoding

    result = read(_zip(folder), "outlets", filename="排污口.zip")

    _assert_canonical(result, [1])
    assert result.frame.loc[1, "name"] == "汉江排口"  # DBF field 名称 → name
    assert result.frame.loc[1, "code"] == "HJ001"
    assert _xy(result, 1) == (LON, LAT)
    assert result.report.issues == []


def test_loose_gbk_shapefile_path_without_cpg(tmp_path: Path) -> None:
    folder = _shapefile_dir(tmp_path, "GBK", keep_cpg=False)

    result = read(folder / "outlets.shp", "outlets")

    assert result.frame.loc[1, "name"] == "汉江排口"


def test_utf8_field_name_cut_inside_a_character(tmp_path: Path) -> None:
    """GDAL cuts 排污口编码 (15 bytes in UTF-8) to 10 bytes: "排污口" plus half a 编."""
    folder = tmp_path / "shp"
    folder.mkdir()
    frame = gpd.GeoDataFrame({"aaaaaaaaaa": ["HJ001"]}, geometry=[Point(LON, LAT)], crs=4326)
    pyogrio.write_dataframe(frame, folder / "outlets.shp", encoding="UTF-8")
    dbf = folder / "outlets.dbf"
    dbf.write_bytes(dbf.read_bytes().replace(b"aaaaaaaaaa", "排污口".encode() + b"\xe7"))

    result = read(_zip(folder), "outlets", filename="a.zip")

    assert result.frame.loc[1, "排污口"] == "HJ001"  # kept as an unknown column, not a crash
    assert _xy(result, 1) == (LON, LAT)


def test_shapefile_missing_dbf(tmp_path: Path) -> None:
    folder = _shapefile_dir(tmp_path, "UTF-8", keep_cpg=True)
    (folder / "outlets.dbf").unlink()

    with pytest.raises(ReadError, match=r"lacks the Shapefile part\(s\) \.dbf") as info:
        read(folder / "outlets.shp", "outlets")
    assert info.value.code == "incomplete_shapefile"


def test_lone_shp_bytes_ask_for_a_zip(tmp_path: Path) -> None:
    folder = _shapefile_dir(tmp_path, "UTF-8", keep_cpg=True)

    with pytest.raises(ReadError, match=r"upload a \.zip") as info:
        read((folder / "outlets.shp").read_bytes(), "outlets", filename="outlets.shp")
    assert info.value.code == "incomplete_shapefile"


def test_shapefile_without_prj_is_assumed_wgs84_with_warning(tmp_path: Path) -> None:
    folder = _shapefile_dir(tmp_path, "UTF-8", keep_cpg=True)
    (folder / "outlets.prj").unlink()

    result = read(_zip(folder), "outlets", filename="a.zip")

    assert _xy(result, 1) == (LON, LAT)
    assert _codes(result) == ["crs_missing"]
    assert result.report.issues[0].severity == "warning"
    assert result.report.valid


def test_projected_shapefile_without_prj_needs_crs(tmp_path: Path) -> None:
    folder = _shapefile_dir(tmp_path, "UTF-8", keep_cpg=True, crs=4547)
    (folder / "outlets.prj").unlink()
    data = _zip(folder)

    without = read(data, "outlets", filename="a.zip")
    given = read(data, "outlets", "EPSG:4547", filename="a.zip")

    assert _codes(without) == ["crs_required"]
    assert not without.report.valid
    assert without.frame.geometry.loc[1] is None  # never metres labelled as degrees
    assert given.report.issues == []
    assert _xy(given, 1) == pytest.approx((LON, LAT), abs=GK_TOL)


def test_crs_argument_overrides_a_wrong_prj(tmp_path: Path) -> None:
    """A .prj claiming WGS84 over GK metres: the crs argument wins."""
    path = tmp_path / "wrong.gpkg"
    pyogrio.write_dataframe(_outlets(4326, (CM114_E, GK38_N)), path)

    result = read(path, "outlets", "gk3:38")

    assert _xy(result, 1) == pytest.approx((LON, LAT), abs=GK_TOL)


@pytest.mark.parametrize(
    ("members", "match", "code"),
    [
        pytest.param({"readme.txt": b"hello"}, r"contains no \.shp", "no_shapefile", id="no-shp"),
        pytest.param({"../evil.shp": b"x", "/abs/evil.shp": b"x"}, "unsafe member path",
                     "unsafe_path", id="unsafe"),
        pytest.param({"__MACOSX/._a.shp": b"x"}, r"contains no \.shp", "no_shapefile",
                     id="macos-fork"),
    ],
)  # fmt: skip
def test_zip_without_usable_shapefile(members: dict[str, bytes], match: str, code: str) -> None:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        for name, data in members.items():
            zf.writestr(name, data)

    with pytest.raises(ReadError, match=rf"bundle\.zip .*{match}") as info:
        read(buf.getvalue(), "outlets", filename="bundle.zip")
    assert info.value.code == code


def test_zip_with_an_unsafe_member_is_refused_whole(tmp_path: Path) -> None:
    data = _zip(_shapefile_dir(tmp_path, "UTF-8", keep_cpg=True))
    buf = io.BytesIO(data)
    with zipfile.ZipFile(buf, "a") as zf:
        zf.writestr("../../escaped.shp", b"not a shapefile")

    with pytest.raises(ReadError, match=r"'\.\./\.\./escaped\.shp'") as info:
        read(buf.getvalue(), "outlets", filename="a.zip")

    assert info.value.code == "unsafe_path"
    assert not list(tmp_path.parent.glob("escaped*"))


# --- CSV and XLSX ledgers ------------------------------------------------------------------------

LEDGER_CSV = (
    "排污口编码,排污口名称,经度,纬度\nHJ001,汉江一号排口,112.896,30.402\nHJ002,二号,112.75,30.25\n"
)


@pytest.mark.parametrize(
    "encoding",
    [
        pytest.param("utf-8", id="utf8"),
        pytest.param("utf-8-sig", id="utf8-bom"),
        pytest.param("gbk", id="gbk"),
        pytest.param("gb18030", id="gb18030"),
    ],
)
def test_csv_encodings(tmp_path: Path, encoding: str) -> None:
    path = tmp_path / "台账.csv"
    path.write_bytes(LEDGER_CSV.encode(encoding))

    result = read(path, "outlets")

    _assert_canonical(result, [1, 2])
    assert list(result.frame.columns) == ["code", "name", "geometry"]  # 经度/纬度 consumed
    assert result.frame["name"].tolist() == ["汉江一号排口", "二号"]
    assert result.frame.loc[1, "code"] == "HJ001"  # raw text, typing is validation's job
    assert _xy(result, 1) == (LON, LAT)
    assert _xy(result, 2) == (112.75, 30.25)
    assert result.report.issues == []


def test_csv_given_encoding_and_tabs() -> None:
    data = LEDGER_CSV.replace(",", "\t").encode("utf-16")

    result = read(data, "outlets", filename="ledger.txt", encoding="utf-16")

    assert result.frame["name"].tolist() == ["汉江一号排口", "二号"]


def test_csv_undecodable_names_the_file() -> None:
    data = "排污口编码,经度,纬度\n".encode() + b"\x80\x80\xff,1,2\n"

    with pytest.raises(ReadError, match=r"bad\.csv") as info:
        read(data, "outlets", filename="bad.csv")
    assert info.value.code == "bad_encoding"


def test_unparseable_coordinate_is_an_issue_on_its_row() -> None:
    data = (
        "排污口编码,经度,纬度\n"
        "HJ001,112.896,30.402\n"
        "HJ002,11x.5,30.25\n"
        "HJ003,112.75,95\n"
        "HJ004,,30.1\n"
        "HJ005,,\n"
    ).encode()

    result = read(data, "outlets", filename="a.csv")

    geoms = result.frame.geometry
    assert _xy(result, 1) == (LON, LAT)
    assert geoms.loc[[2, 3, 4, 5]].isna().all()
    issues = [(i.row, i.field, i.code) for i in result.report.issues]
    assert issues == [
        (2, "lon", "bad_coordinate"),
        (3, "lat", "bad_coordinate"),
        (4, "lon", "bad_coordinate"),  # latitude given without longitude
    ]  # row 5 has no coordinates at all: validation reports missing_geometry
    first, beyond, half = result.report.issues
    assert "11x.5" in first.message
    assert "cannot read 'x.5' as a number" in first.message
    assert "beyond ±90" in beyond.message
    assert half.message == "有纬度但经度为空 / latitude given but longitude is empty"


def test_missing_coordinate_columns() -> None:
    data = "排污口编码,排污口名称\nHJ001,a\n".encode()

    with pytest.raises(ReadError, match=r"no coordinate columns found.*经度") as info:
        read(data, "outlets", filename="a.csv")
    assert info.value.code == "missing_coordinates"


def _xlsx(tmp_path: Path, rows: list[list[object]], merges: tuple[str, ...] = ()) -> Path:
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.title = "台账"
    for row in rows:
        sheet.append(row)
    for cells in merges:
        sheet.merge_cells(cells)
    path = tmp_path / "ledger.xlsx"
    book.save(path)
    return path


def test_xlsx_title_row_chinese_headers_and_dms(tmp_path: Path) -> None:
    path = _xlsx(
        tmp_path,
        [
            ["潜江市入河排污口台账"],
            ["序号", "排污口编码", "排污口名称", "经度", "纬度", "排查日期"],
            [
                1,
                "HJ001",
                "汉江一号排口",
                "东经112°53'45.6\"",
                "北纬30°24'07.2\"",
                dt.date(2024, 5, 6),
            ],
            [None] * 6,  # a blank line: record 2 is skipped, the numbering stays
            [3, "HJ003", "三号", "112度61分", "30.25", dt.date(2024, 5, 7)],
            [4, 4200, "四号", 112.75, 30.25, None],
        ],
        merges=("A1:F1",),
    )

    result = read(path, "outlets")

    _assert_canonical(result, [1, 3, 4])
    assert list(result.frame.columns) == ["序号", "code", "name", "survey_date", "geometry"]
    assert result.frame.loc[1, "survey_date"] == dt.datetime(2024, 5, 6)  # dates stay dates
    assert result.frame.loc[4, "code"] == 4200  # raw cell value, not text
    assert _xy(result, 1) == (LON, LAT)
    assert result.frame.geometry.loc[3] is None
    assert _xy(result, 4) == (112.75, 30.25)
    (issue,) = result.report.issues
    assert (issue.row, issue.field, issue.code) == (3, "lon", "bad_coordinate")
    assert "112度61分" in issue.message
    assert "minutes 61 ≥ 60" in issue.message


def test_xlsx_two_row_merged_header(tmp_path: Path) -> None:
    path = _xlsx(
        tmp_path,
        [
            ["序号", "排污口编码", "排污口名称", "坐标", None],
            [None, None, None, "经度", "纬度"],
            [1, "HJ001", "汉江一号排口", LON, LAT],
        ],
        merges=("A1:A2", "B1:B2", "C1:C2", "D1:E1"),
    )

    result = read(path, "outlets")

    _assert_canonical(result, [1])
    assert list(result.frame.columns) == ["序号", "code", "name", "geometry"]
    assert _xy(result, 1) == (LON, LAT)


def test_xlsx_merged_data_cells_fill_every_row(tmp_path: Path) -> None:
    """A district merged down over two outlets belongs to both of them."""
    path = _xlsx(
        tmp_path,
        [
            ["排污口编码", "所在区县", "经度", "纬度"],
            ["HJ001", "潜江市", LON, LAT],
            ["HJ002", None, 112.75, 30.25],
        ],
        merges=("B2:B3",),
    )

    result = read(path, "outlets")

    assert result.frame["district"].tolist() == ["潜江市", "潜江市"]


def test_xlsx_separate_dms_columns(tmp_path: Path) -> None:
    header = ["排污口编码", "经度度", "经度分", "经度秒", "纬度度", "纬度分", "纬度秒"]
    path = _xlsx(
        tmp_path,
        [header, ["HJ001", 112, 53, 45.6, 30, 24, 7.2], ["HJ002", 112, 61, 0, 30, 24, 0]],
    )

    result = read(path, "outlets")

    assert list(result.frame.columns) == ["code", "geometry"]
    assert _xy(result, 1) == pytest.approx((LON, LAT), abs=1e-12)
    assert result.frame.geometry.loc[2] is None
    (issue,) = result.report.issues
    assert (issue.row, issue.field, issue.code) == (2, "lon", "bad_coordinate")
    assert "minutes 61 not in [0, 60)" in issue.message


def test_xlsx_named_sheet_and_bytes(tmp_path: Path) -> None:
    path = _xlsx(tmp_path, [["排污口编码", "经度", "纬度"], ["HJ001", LON, LAT]])
    book = openpyxl.load_workbook(path)
    book.create_sheet("空白", 0)  # the first sheet is now an empty one
    book.save(path)

    result = read(path.read_bytes(), "outlets", filename="a.xlsx", sheet="台账")

    assert _xy(result, 1) == (LON, LAT)
    with pytest.raises(ReadError, match="has no sheet '其他'") as info:
        read(path, "outlets", sheet="其他")
    assert info.value.code == "missing_sheet"


@pytest.mark.parametrize(
    ("header", "x", "y", "crs"),
    [
        pytest.param("X,Y", GK38_N, GK38_E, None, id="prefixed-zone-38-auto"),
        pytest.param("北坐标,东坐标", GK38_N, GK38_E, "gk3:38", id="prefixed-zone-given"),
        pytest.param("X坐标,Y坐标", GK38_N, CM114_E, "gk3:38", id="unprefixed-zone"),
        pytest.param("x,y", GK38_N, CM114_E, "EPSG:4547", id="unprefixed-epsg"),
        pytest.param("X,Y", "3,365,194.74", "38,393,907.86", None, id="thousands-separators"),
    ],
)
def test_csv_gauss_kruger_x_is_northing(header: str, x: object, y: object, crs: str | None) -> None:
    data = f'排污口编码,{header}\nHJ001,"{x}","{y}"\n'.encode()

    result = read(data, "outlets", crs, filename="gk.csv")

    assert list(result.frame.columns) == ["code", "geometry"]
    assert _xy(result, 1) == pytest.approx((LON, LAT), abs=GK_TOL)
    assert result.report.issues == []


def test_csv_gauss_kruger_swapped_columns_are_fixed_with_warning() -> None:
    data = f"排污口编码,X,Y\nHJ001,{GK38_E},{GK38_N}\n".encode()

    result = read(data, "outlets", filename="gk.csv")

    assert _xy(result, 1) == pytest.approx((LON, LAT), abs=GK_TOL)
    assert [(i.row, i.code, i.severity) for i in result.report.issues] == [
        (1, "swapped_xy", "warning")
    ]


def test_csv_unprefixed_gauss_kruger_needs_crs() -> None:
    data = f"排污口编码,X,Y\nHJ001,{GK38_N},{CM114_E}\n".encode()

    result = read(data, "outlets", filename="gk.csv")

    assert result.frame.geometry.loc[1] is None
    (issue,) = result.report.issues
    assert (issue.row, issue.code, issue.severity) == (None, "crs_required", "error")
    assert "no zone prefix" in issue.message


def test_csv_gcj02_ledger_with_crs_argument() -> None:
    lon, lat = gcrs.wgs84_to_gcj02(LON, LAT)  # what an AMap pick would show
    data = f"排污口编码,经度,纬度\nHJ001,{float(lon)!r},{float(lat)!r}\n".encode()

    result = read(data, "outlets", "gcj02", filename="amap.csv")

    assert _xy(result, 1) == pytest.approx((LON, LAT), abs=GK_TOL)


def test_csv_wkt_projects() -> None:
    square = "POLYGON ((112 30, 112.01 30, 112.01 30.01, 112 30.01, 112 30))"
    data = f'项目编号,项目名称,范围\nP1,新厂,"{square}"\nP2,坏,POLYGON ((oops\n'.encode()

    assumed = read(data, "projects", filename="projects.csv")
    given = read(data, "projects", "wgs84", filename="projects.csv")

    assert list(assumed.frame.columns) == ["id", "name", "geometry"]
    assert assumed.frame.geometry.loc[1].equals(shapely.from_wkt(square))
    assert assumed.frame.geometry.loc[2] is None
    assert [(i.row, i.field, i.code) for i in assumed.report.issues] == [
        (2, "wkt", "bad_coordinate"),
        (None, None, "crs_missing"),
    ]
    assert [i.code for i in given.report.issues] == ["bad_coordinate"]


def test_monitoring_ledger_is_a_plain_frame() -> None:
    data = "断面编码,采样日期,氨氮(NH3-N),pH值,溶解氧\nS01,2024-05-06,0.52,7.6,\n".encode()

    result = read(data, "monitoring", filename="monitoring.csv")

    assert type(result.frame) is pd.DataFrame
    assert list(result.frame.columns) == ["section_code", "date", "NH3N", "pH", "DO"]
    assert result.frame.loc[1].tolist() == ["S01", "2024-05-06", "0.52", "7.6", None]
    assert result.frame.index.name == "row"


def test_geopackage_attribute_table(tmp_path: Path) -> None:
    path = tmp_path / "monitoring.gpkg"
    table = pd.DataFrame({"断面编码": ["S01"], "氨氮": [0.52]})
    pyogrio.write_dataframe(table, path, layer="monitoring")

    result = read(path, "monitoring")

    assert type(result.frame) is pd.DataFrame
    assert result.frame.loc[1].tolist() == ["S01", 0.52]
    assert list(result.frame.columns) == ["section_code", "NH3N"]
    with pytest.raises(ReadError, match="has no geometry") as info:
        read(path, "outlets")
    assert info.value.code == "missing_coordinates"


def test_duplicate_columns_keep_the_first() -> None:
    data = "排污口编码,国家编码,经度,纬度\nHJ001,X9,112.896,30.402\n".encode()

    result = read(data, "outlets", filename="a.csv")

    assert result.frame.loc[1, "code"] == "HJ001"
    assert result.frame.loc[1, "国家编码"] == "X9"
    assert [(i.field, i.code, i.severity) for i in result.report.issues] == [
        ("code", "duplicate_column", "warning")
    ]


# --- files that cannot be read -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("source", "filename"),
    [
        pytest.param(b"AC1015", "drawing.dwg", id="dwg"),
        pytest.param(b"\xd0\xcf\x11\xe0", "old.xls", id="xls"),
        pytest.param(b"data", "noextension", id="no-extension"),
        pytest.param(b"data", None, id="bytes-without-filename"),
    ],
)
def test_unsupported_format(source: bytes, filename: str | None) -> None:
    with pytest.raises(ReadError) as info:
        read(source, "outlets", filename=filename)
    assert info.value.code == "unsupported_format"


@pytest.mark.parametrize("suffix", READABLE_SUFFIXES)
def test_every_readable_suffix_reaches_its_reader(suffix: str) -> None:
    # four junk bytes: a ledger has no coordinate columns, a lone .shp lacks its parts, every
    # other reader cannot parse them; none calls the format unsupported (upper case too)
    junk = {".csv": "missing_coordinates", ".txt": "missing_coordinates"}
    junk[".shp"] = "incomplete_shapefile"
    with pytest.raises(ReadError) as info:
        read(b"junk", "outlets", filename=f"f{suffix.upper()}")
    assert info.value.code == junk.get(suffix, "unreadable")


@pytest.mark.parametrize(
    ("filename", "data"),
    [
        pytest.param("cut.geojson", GEOJSON[:150].encode(), id="truncated-geojson"),
        pytest.param("cut.gpkg", b"SQLite format 3\x00" + b"\x00" * 50, id="truncated-gpkg"),
        pytest.param("cut.zip", b"PK\x03\x04broken", id="corrupt-zip"),
        pytest.param("cut.xlsx", b"PK\x03\x04broken", id="corrupt-xlsx"),
        pytest.param("cut.kml", b"<kml><Document><Placemark>", id="truncated-kml"),
    ],
)
def test_corrupt_file_is_unreadable_not_a_traceback(filename: str, data: bytes) -> None:
    with pytest.raises(ReadError, match=f"cannot read {filename}") as info:
        read(data, "outlets", filename=filename)
    assert info.value.code == "unreadable"
    assert info.value.path == filename
    assert "/tmp/" not in str(info.value)  # the temporary copy is not named


def test_missing_file(tmp_path: Path) -> None:
    with pytest.raises(ReadError, match="no such file") as info:
        read(tmp_path / "nope.geojson", "outlets")
    assert info.value.code == "not_found"


def test_empty_csv() -> None:
    with pytest.raises(ReadError, match="is empty") as info:
        read(b"\n\n", "outlets", filename="empty.csv")
    assert info.value.code == "empty"
