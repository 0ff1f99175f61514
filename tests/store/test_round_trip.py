"""Issue 17, "done when": the ledger loop is lossless for every demo layer, format and backend.

Each case exports a demo layer with ``geomon export``, opens the file with GDAL's own reader
(pyogrio: field names, field types, CRS), then imports it back into the same store with
``geomon import --mode upsert --dry-run --json``: exit 0, nothing added, nothing changed, every
row unchanged. Both backends hold the demo data once per module (a dry run writes nothing).
"""

from __future__ import annotations

import json
import shutil
from collections.abc import Iterator
from pathlib import Path

import pyogrio
import pytest

from geomon import cli
from geomon.config import DEMO_STORE
from geomon.io import export
from geomon.specs import LayerSpec, get_spec
from geomon.store import open_store

LAYERS = open_store(DEMO_STORE).layer_names()
FORMATS = ["geojson", "gpkg", "shp.zip", "shp", "csv", "xlsx"]
# what GDAL reports for each spec type: (OGR type, subtype); None: any (a text-only format)
TYPES = {
    "date": ("OFTDate", "OFSTNone"),
    "bool": ("OFTInteger", "OFSTBoolean"),
    "float": ("OFTReal", "OFSTNone"),
    "str": ("OFTString", "OFSTNone"),
    "enum": ("OFTString", "OFSTNone"),
}


def cases() -> Iterator[object]:
    for layer in LAYERS:
        spec = get_spec(layer)
        for fmt in FORMATS:
            if fmt.startswith("shp") and not spec.is_spatial:
                continue  # a table has no Shapefile (refused, tests/io/test_export.py)
            if fmt in ("csv", "xlsx") and spec.geometry_type not in ("Point", "None"):
                continue  # ledgers hold points (经度/纬度) or no geometry
            yield pytest.param(layer, fmt, id=f"{layer}-{fmt}")


@pytest.fixture(scope="module", params=["gpkg", pytest.param("postgis", marks=pytest.mark.postgis)])
def demo_url(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> str:
    """A store holding the demo data: a copy of data/demo.gpkg, or a PostGIS database."""
    if request.param == "gpkg":
        path = tmp_path_factory.mktemp("demo") / "demo.gpkg"
        shutil.copyfile(DEMO_STORE, path)
        return str(path)
    url = request.getfixturevalue("postgis_url_module")
    demo = open_store(DEMO_STORE)
    store = open_store(url)
    store.write({name: demo.read(name) for name in LAYERS}, source="demo.gpkg")
    store.dispose()
    return url


def expected_columns(spec: LayerSpec, fmt: str) -> list[str]:
    """Column names of the file, in order, as the format writes a stored layer."""
    if fmt.startswith("shp"):
        return [f.shp_name for f in spec.fields]
    if fmt in ("csv", "xlsx"):
        coords = ["经度", "纬度"] if spec.is_spatial else []
        return [f.label.zh for f in spec.fields] + coords
    if fmt == "geojson" and spec.id_field and spec.id_field != "id":
        return ["id", *spec.field_names]  # GDAL shows the feature id member as a field "id"
    return list(spec.field_names)


def check_with_gdal(path: Path, spec: LayerSpec, fmt: str, empty: set[str]) -> None:
    """Field names, field types and CRS of every file written, as GDAL reads them.

    A column with no values at all (`empty`) has no type in GeoJSON or XLSX (GDAL: String).
    """
    info = pyogrio.read_info(path)
    assert list(info["fields"]) == expected_columns(spec, fmt)
    if fmt in ("csv", "xlsx"):
        assert info["crs"] is None  # WGS84 lon/lat by the column names (README)
    elif spec.is_spatial:
        assert info["crs"] == "EPSG:4326"
    kinds = dict(
        zip(info["fields"], zip(info["ogr_types"], info["ogr_subtypes"], strict=True), strict=True)
    )
    columns = info["fields"][1:] if info["fields"][0] == "id" != spec.id_field else info["fields"]
    for f, column in zip(spec.fields, columns, strict=False):
        want = TYPES.get(f.type)
        if fmt == "csv" or (fmt == "xlsx" and f.type not in ("date", "float")):
            continue  # text (CSV) and text cells: 是/否, codes kept as written
        if fmt in ("geojson", "xlsx") and f.name in empty:
            continue
        if fmt == "xlsx" and f.type == "float":  # Excel has numbers; whole ones read as integers
            assert kinds[column][0] in ("OFTInteger", "OFTInteger64", "OFTReal"), f.name
        elif f.type == "int":
            assert kinds[column][0] in ("OFTInteger", "OFTInteger64"), f.name
        elif want is not None:
            assert kinds[column] == want, f.name


def written_files(out: Path, fmt: str) -> list[Path]:
    """The file(s) an export wrote: one per geometry kind for a mixed plain Shapefile."""
    if fmt == "shp" and not out.exists():
        return sorted(out.parent.glob(f"{out.stem}_*.shp"))
    return [out]


@pytest.mark.parametrize(("layer", "fmt"), list(cases()))
def test_export_import_round_trip(
    demo_url: str, layer: str, fmt: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    spec = get_spec(layer)
    kind = "shp" if fmt.startswith("shp") else fmt
    suffix = ".shp" if fmt == "shp" else export.SUFFIX[kind]
    out = tmp_path / f"{layer}{suffix}"
    argv = ["export", "--layer", layer, "--store", demo_url, "--format", kind, "-o", str(out)]
    assert cli.main(argv) == 0
    frame = open_store(demo_url).read(layer)
    stored, empty = len(frame), {c for c in frame.columns if frame[c].isna().all()}
    files = written_files(out, fmt)
    rows = 0
    for path in files:
        if fmt == "shp.zip":  # the first Shapefile of the zip (geomon reads that one)
            check_with_gdal(next(iter(_zip_members(path))), spec, "shp", empty)
        else:
            check_with_gdal(path, spec, fmt, empty)
        capsys.readouterr()
        argv = ["import", str(path), "--layer", layer, "--store", demo_url]
        code = cli.main([*argv, "--mode", "upsert", "--dry-run", "--json"])
        doc = json.loads(capsys.readouterr().out)
        assert (code, doc["errors"], doc["diff"]["added"], doc["diff"]["changed"]) == (
            0,
            [],
            [],
            [],
        )
        assert [w["code"] for w in doc["warnings"]] in ([], ["multiple_shapefiles"])
        assert doc["diff"]["unchanged"] == doc["rows"]
        rows += doc["rows"]
    whole = fmt != "shp.zip" or (len(files) == 1 and spec.geometry_type != "Any")
    assert rows == stored if whole else 0 < rows <= stored


def _zip_members(path: Path) -> list[str]:
    """``/vsizip/`` paths of the Shapefiles in a zip, in the order geomon picks them."""
    layers = sorted(str(name) for name in pyogrio.list_layers(f"/vsizip/{path}")[:, 0])
    same = [n for n in layers if n == path.stem]
    return [f"/vsizip/{path}/{n}.shp" for n in same + [n for n in layers if n not in same]]
