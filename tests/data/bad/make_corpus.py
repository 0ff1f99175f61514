"""Build the binary and big members of the hostile-input corpus (tests/data/bad/).

Text inputs (GeoJSON, CSV, KML) are committed next to this script; archives, spreadsheets,
Shapefiles and anything big are made here, so no zip bomb and no file over 1 MB is committed.
The tests call `make(out_dir)` once per session (tests/hardening/conftest.py); to look at the
files yourself::

    python tests/data/bad/make_corpus.py /tmp/bad

Every generator is deterministic (fixed seeds) and documents what is wrong with its output.
"""

from __future__ import annotations

import io
import random
import stat
import struct
import sys
import tempfile
import warnings
import zipfile
import zlib
from collections.abc import Callable
from pathlib import Path

import geopandas as gpd
import openpyxl
import pyogrio
from shapely import Point

MIB = 1024**2
GK38 = "EPSG:4526"  # CGCS2000 / 3-degree Gauss-Kruger zone 38 (easting prefixed with 38)
OUTLET = {
    "code": "CJ9001429902GS0101",
    "name": "测试排污口",
    "type_l1": "工业排污口",
    "receiving_water": "玉带河",
    "district": "明珠区",
    "district_code": "429902",
    "stage": "已排查",
}
KML_POINT = (
    '<?xml version="1.0" encoding="UTF-8"?>\n<kml xmlns="http://www.opengis.net/kml/2.2">'
    "<Document><Placemark><name>测试排污口</name><Point><coordinates>112.95,30.40</coordinates>"
    "</Point></Placemark></Document></kml>\n"
)

GENERATORS: dict[str, Callable[[], bytes]] = {}


def generator(name: str) -> Callable[[Callable[[], bytes]], Callable[[], bytes]]:
    """Register a function that returns the bytes of corpus file `name`."""

    def register(fn: Callable[[], bytes]) -> Callable[[], bytes]:
        GENERATORS[name] = fn
        return fn

    return register


# --- helpers -----------------------------------------------------------------------------------


def _shapefile_parts(
    point: tuple[float, float] = (112.95, 30.40), crs: str | None = "EPSG:4326"
) -> dict[str, bytes]:
    """The parts (.shp, .shx, .dbf, .prj, .cpg) of a one-outlet Shapefile, by extension.

    The DBF is GBK (as ArcGIS writes it in China) so that the Chinese aliases 受纳水体 and
    区划代码 fit the 10-byte field-name limit.
    """
    row = {**OUTLET, "受纳水体": OUTLET["receiving_water"], "区划代码": OUTLET["district_code"]}
    del row["receiving_water"], row["district_code"]
    frame = gpd.GeoDataFrame([row], geometry=[Point(*point)], crs=crs)
    with tempfile.TemporaryDirectory() as tmp, warnings.catch_warnings():
        warnings.simplefilter("ignore")  # "'crs' was not provided" for the no-.prj case
        path = Path(tmp) / "outlets.shp"
        pyogrio.write_dataframe(frame, path, encoding="GBK")
        return {p.suffix: p.read_bytes() for p in sorted(Path(tmp).iterdir())}


def _zip(members: dict[str, bytes], *, compress: int = zipfile.ZIP_DEFLATED) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", compress) as zf:
        for name, data in members.items():
            zf.writestr(name, data)
    return buf.getvalue()


def _zip_with_zeros(members: dict[str, bytes], big_name: str, size: int) -> bytes:
    """A zip of `members` plus `big_name`: `size` zero bytes, streamed (highly compressible)."""
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as zf:
        for name, data in members.items():
            zf.writestr(name, data)
        info = zipfile.ZipInfo(big_name)
        info.compress_type = zipfile.ZIP_DEFLATED
        with zf.open(info, "w") as fh:
            chunk = bytes(MIB)
            for _ in range(size // MIB):
                fh.write(chunk)
    return buf.getvalue()


def _parts_as(prefix: str, parts: dict[str, bytes]) -> dict[str, bytes]:
    return {f"{prefix}{ext}": data for ext, data in parts.items()}


def _ledger_workbook() -> openpyxl.Workbook:
    """A ledger as bureaus send them: a merged title row, a two-row header with merged cells
    (基本信息 over the text columns, 坐标 over 经度/纬度) and DMS coordinates with typos."""
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "排污口台账"
    ws.append(["江汉市入河排污口台账（2023年）"])
    ws.merge_cells("A1:I1")
    ws.append(["基本信息", None, None, None, None, None, None, "坐标", None])
    ws.append(["排污口编码", "排污口名称", "排污口类型", "受纳水体", "所在区县", "行政区划代码",
               "整治进度", "经度", "纬度"])  # fmt: skip
    ws.merge_cells("A2:G2")
    ws.merge_cells("H2:I2")
    base = ["工业排污口", "玉带河", "明珠区", "429902", "已排查"]
    ws.append(["CJ9001429902GS0101", "一号排口", *base, "112°53'45.6\"", "30°24'00\""])
    ws.append(["CJ9001429902GS0102", "二号排口", *base, "112°53'45.6\"", "30°24'0O\""])  # O for 0
    ws.append(["CJ9001429902GS0103", "三号排口", *base, "112°75'10\"", "30°24'00\""])  # 75'
    ws.append(["CJ9001429902GS0104", "四号排口", *base, "112°53''45\"", "30°24'00\""])  # ''
    return wb


def _xlsx(wb: openpyxl.Workbook) -> bytes:
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


# --- Shapefile zips ----------------------------------------------------------------------------


@generator("shp_missing_dbf.zip")
def shp_missing_dbf() -> bytes:
    """A zipped Shapefile without its attribute table (.dbf)."""
    parts = _shapefile_parts()
    del parts[".dbf"]
    return _zip(_parts_as("outlets", parts))


@generator("shp_missing_shx.zip")
def shp_missing_shx() -> bytes:
    """A zipped Shapefile without its index (.shx)."""
    parts = _shapefile_parts()
    del parts[".shx"]
    return _zip(_parts_as("outlets", parts))


@generator("shp_missing_prj_gk.zip")
def shp_missing_prj_gk() -> bytes:
    """Gauss–Krüger zone-38 metres (38 499 800, 3 364 900) with no .prj: the CRS is unknown."""
    parts = _shapefile_parts(point=(38_499_800.0, 3_364_900.0), crs=None)
    parts.pop(".prj", None)
    return _zip(_parts_as("outlets", parts))


@generator("shp_local_cs_prj.zip")
def shp_local_cs_prj() -> bytes:
    """A CAD drawing's Shapefile: its .prj is a LOCAL_CS (engineering plane, no datum), which
    no transformation can bring to WGS84."""
    parts = _shapefile_parts(point=(500.0, 300.0), crs=None)
    parts[".prj"] = (
        b'LOCAL_CS["Engineering",LOCAL_DATUM["Local",0],UNIT["Meter",1],'
        b'AXIS["X",EAST],AXIS["Y",NORTH]]'
    )
    return _zip(_parts_as("outlets", parts))


@generator("shp_gbk_declared_utf8.zip")
def shp_gbk_declared_utf8() -> bytes:
    """A DBF written in GBK whose .cpg says UTF-8 (GBK text declared as UTF-8)."""
    parts = _shapefile_parts()
    parts[".cpg"] = b"UTF-8"
    return _zip(_parts_as("outlets", parts))


@generator("shp_corrupt_parts.zip")
def shp_corrupt_parts() -> bytes:
    """.shp/.shx/.dbf/.prj names with random bytes inside."""
    rnd = random.Random(8)
    return _zip({f"outlets{e}": rnd.randbytes(700) for e in (".shp", ".shx", ".dbf", ".prj")})


@generator("zip_slip.zip")
def zip_slip() -> bytes:
    """A valid Shapefile whose members climb out of the extraction folder (``../../``)."""
    return _zip(_parts_as("../../outlets", _shapefile_parts()))


@generator("zip_absolute_path.zip")
def zip_absolute_path() -> bytes:
    """Members with absolute paths (``/tmp/geomon-pwned/outlets.shp``)."""
    return _zip(_parts_as("/tmp/geomon-pwned/outlets", _shapefile_parts()))


@generator("zip_windows_drive.zip")
def zip_windows_drive() -> bytes:
    """Members named with a Windows drive and backslashes (``C:\\evil\\outlets.shp``)."""
    return _zip(_parts_as("C:\\evil\\outlets", _shapefile_parts()))


@generator("zip_symlink.zip")
def zip_symlink() -> bytes:
    """A valid Shapefile plus a member that is a symbolic link to /etc/passwd."""
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:
        for name, data in _parts_as("outlets", _shapefile_parts()).items():
            zf.writestr(name, data)
        link = zipfile.ZipInfo("passwd.txt")
        link.create_system = 3  # Unix, so external_attr holds the mode
        link.external_attr = (stat.S_IFLNK | 0o777) << 16
        zf.writestr(link, "/etc/passwd")
    return buf.getvalue()


@generator("zip_bomb.zip")
def zip_bomb() -> bytes:
    """A valid Shapefile plus 64 MiB of zeros that compress about 1000:1 (~64 KB on disk)."""
    return _zip_with_zeros(_parts_as("outlets", _shapefile_parts()), "outlets_pad.dbf", 64 * MIB)


@generator("zip_unzipped_over_limit.zip")
def zip_unzipped_over_limit() -> bytes:
    """An honest zip (barely compressible) that unpacks to 1.5 MiB; run with a 1 MiB limit."""
    rnd = random.Random(8)
    members = _parts_as("outlets", _shapefile_parts())
    members["photo.jpg"] = rnd.randbytes(3 * MIB // 2)
    return _zip(members)


@generator("zip_too_many_files.zip")
def zip_too_many_files() -> bytes:
    """A valid Shapefile among 150 empty members (the limit is 100)."""
    members = _parts_as("outlets", _shapefile_parts())
    members |= {f"junk/{i:03d}.txt": b"" for i in range(150)}
    return _zip(members)


@generator("zip_no_shapefile.zip")
def zip_no_shapefile() -> bytes:
    """A zip of a CSV ledger and a readme: no .shp at all."""
    csv = "排污口编码,经度,纬度\nCJ9001429902GS0101,112.95,30.40\n"
    return _zip({"台账.csv": csv.encode(), "说明.txt": "见台账".encode()})


@generator("zip_nested_zips.zip")
def zip_nested_zips() -> bytes:
    """Zips inside a zip (the 42.zip pattern): geomon never opens inner archives."""
    inner = _zip_with_zeros({}, "zeros.bin", 2 * MIB)
    return _zip({f"layer{i}.zip": inner for i in range(4)})


@generator("zip_not_a_zip.zip")
def zip_not_a_zip() -> bytes:
    """A text file named .zip."""
    return "这不是压缩包 / this is not a zip\n".encode()


@generator("zip_truncated.zip")
def zip_truncated() -> bytes:
    """A valid zipped Shapefile cut in half (interrupted download)."""
    data = _zip(_parts_as("outlets", _shapefile_parts()))
    return data[: len(data) // 2]


@generator("zip_forged_sizes.zip")
def zip_forged_sizes() -> bytes:
    """A bomb that lies: the .dbf is 8 MiB of zeros declared as 1000 bytes in both zip headers."""
    parts = _parts_as("outlets", _shapefile_parts())
    del parts["outlets.dbf"]
    data = bytearray(_zip_with_zeros(parts, "outlets.dbf", 8 * MIB))
    name = b"outlets.dbf"
    local = data.find(b"PK\x03\x04")
    while local != -1:
        n = struct.unpack_from("<H", data, local + 26)[0]
        if data[local + 30 : local + 30 + n] == name:
            struct.pack_into("<I", data, local + 22, 1000)  # uncompressed size
            break
        local = data.find(b"PK\x03\x04", local + 4)
    central = data.find(b"PK\x01\x02")
    while central != -1:
        n = struct.unpack_from("<H", data, central + 28)[0]
        if data[central + 46 : central + 46 + n] == name:
            struct.pack_into("<I", data, central + 24, 1000)
            break
        central = data.find(b"PK\x01\x02", central + 4)
    return bytes(data)


# --- KMZ ---------------------------------------------------------------------------------------


@generator("kmz_bomb.kmz")
def kmz_bomb() -> bytes:
    """A KMZ whose doc.kml is followed by 64 MiB of zeros in a second member."""
    return _zip_with_zeros({"doc.kml": KML_POINT.encode()}, "files/overlay.png", 64 * MIB)


@generator("kmz_zip_slip.kmz")
def kmz_zip_slip() -> bytes:
    """A KMZ whose document sits at ``../../doc.kml``."""
    return _zip({"../../doc.kml": KML_POINT.encode()})


# --- spreadsheets ------------------------------------------------------------------------------


@generator("xlsx_merged_header_dms_typos.xlsx")
def xlsx_merged_header_dms_typos() -> bytes:
    """Merged title and header cells; rows 2–4 have DMS typos (letter O, 75', doubled ')."""
    return _xlsx(_ledger_workbook())


@generator("xlsx_truncated.xlsx")
def xlsx_truncated() -> bytes:
    """A valid workbook cut in half."""
    data = _xlsx(_ledger_workbook())
    return data[: len(data) // 2]


@generator("xlsx_csv_renamed.xlsx")
def xlsx_csv_renamed() -> bytes:
    """A CSV ledger saved with an .xlsx extension."""
    return "排污口编码,经度,纬度\nCJ9001429902GS0101,112.95,30.40\n".encode()


@generator("xlsx_bomb.xlsx")
def xlsx_bomb() -> bytes:
    """A valid workbook with a 64 MiB all-zero media part (compressed ~1000:1)."""
    src = zipfile.ZipFile(io.BytesIO(_xlsx(_ledger_workbook())))
    members = {i.filename: src.read(i) for i in src.infolist()}
    return _zip_with_zeros(members, "xl/media/image1.png", 64 * MIB)


@generator("xlsx_near_limit_far_cell.xlsx")
def xlsx_near_limit_far_cell() -> bytes:
    """The bureau ledger (merged title and header, DMS typos) plus one value in AE1048576: a
    5 KB file whose A1:AE1048576 area (32.5 M cells) is just under the sheet guard; read as a
    dense grid it took 12 s and 1.7 GB."""
    wb = _ledger_workbook()
    wb.active["AE1048576"] = 1
    return _xlsx(wb)


@generator("xls_legacy_binary.xls")
def xls_legacy_binary() -> bytes:
    """An Excel 97–2003 file (OLE2 header): not a format geomon reads."""
    return bytes.fromhex("d0cf11e0a1b11ae1") + bytes(504)


# --- other formats -----------------------------------------------------------------------------


@generator("gpkg_garbage.gpkg")
def gpkg_garbage() -> bytes:
    """An SQLite header followed by random bytes."""
    return b"SQLite format 3\x00" + random.Random(8).randbytes(4080)


@generator("csv_binary_garbage.csv")
def csv_binary_garbage() -> bytes:
    """Random bytes named .csv (a renamed photo)."""
    return bytes.fromhex("ffd8ffe000104a464946") + random.Random(8).randbytes(2000)


@generator("tool.exe")
def tool_exe() -> bytes:
    """A Windows executable."""
    return b"MZ\x90\x00" + bytes(252)


@generator("geojson_over_size_limit.geojson")
def geojson_over_size_limit() -> bytes:
    """A valid GeoJSON of about 1.3 MiB; run with a 1 MiB upload limit."""
    feature = (
        '{"type":"Feature","properties":{"code":"CJ9001429902GS%04d","name":"排口%d"},'
        '"geometry":{"type":"Point","coordinates":[112.95,30.40]}}'
    )
    features = ",".join(feature % (i, i) for i in range(10_000))
    return ('{"type":"FeatureCollection","features":[' + features + "]}").encode()


@generator("csv_deflate_compressed.csv")
def csv_deflate_compressed() -> bytes:
    """A raw zlib stream named .csv (a gzip/deflate 'CSV' from a broken export)."""
    return zlib.compress(("排污口编码,经度,纬度\n" * 2000).encode(), 9)


def make(out: Path) -> dict[str, Path]:
    """Write every generated file into `out`; return them by name."""
    out.mkdir(parents=True, exist_ok=True)
    written = {}
    for name, fn in GENERATORS.items():
        path = out / name
        path.write_bytes(fn())
        written[name] = path
    return written


if __name__ == "__main__":
    target = Path(sys.argv[1] if len(sys.argv) > 1 else "bad-corpus")
    for name, path in make(target).items():
        print(f"{path.stat().st_size:>12,}  {name}")
