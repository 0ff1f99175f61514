"""Export a layer (or a filtered subset) to GeoJSON, GeoPackage, zipped Shapefile, CSV or XLSX.

GeoJSON follows RFC 7946: WGS84 lon/lat, no ``crs`` member, counter-clockwise exterior rings,
feature ``id`` from the layer's id field, Chinese text as UTF-8 (never ``\\u`` escapes).
CSV and XLSX carry Chinese column headers (the spec's labels), which `geomon.io.read` maps back,
so an exported ledger can be edited in Excel and imported again.
"""

from __future__ import annotations

import io
import json
import math
import re
import tempfile
import zipfile
from collections.abc import Iterable
from pathlib import Path
from typing import IO, Literal

import geopandas as gpd
import numpy as np
import pandas as pd
import pyarrow as pa
import pyogrio
import shapely

from geomon.errors import ExportError
from geomon.io import cells
from geomon.messages import message
from geomon.specs import LayerSpec, get_spec

Format = Literal["geojson", "gpkg", "shp", "csv", "xlsx"]
FORMATS: tuple[str, ...] = ("geojson", "gpkg", "shp", "csv", "xlsx")
SUFFIX = {"geojson": ".geojson", "gpkg": ".gpkg", "shp": ".zip", "csv": ".csv", "xlsx": ".xlsx"}
MEDIA_TYPE = {
    "geojson": "application/geo+json",
    "gpkg": "application/geopackage+sqlite3",
    "shp": "application/zip",
    "csv": "text/csv",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}
DECIMALS = 7  # ~1 cm in longitude/latitude
_XLSX_DATE = "YYYY-MM-DD"


def _json_value(value: object) -> object:
    """The JSON value of one property (what `geojson_text` writes for it)."""
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


_HAS_RINGS = (3, 6, 7)  # shapely type ids of Polygon, MultiPolygon, GeometryCollection


def _ccw_rounded(geoms: np.ndarray) -> np.ndarray:
    """Counter-clockwise exterior rings (clockwise holes), coordinates rounded to ~1 cm."""
    oriented = np.array(geoms, dtype=object, copy=True)
    rings = np.isin(shapely.get_type_id(oriented), _HAS_RINGS)  # the rest has nothing to orient
    if rings.any():
        oriented[rings] = shapely.orient_polygons(oriented[rings], exterior_cw=False)
    dims = shapely.get_coordinate_dimension(oriented)
    if np.isin(dims, (2, -1)).all():  # 2-D or missing: rounding is all the transform changes
        xy = shapely.get_coordinates(oriented)
        if np.array_equal(np.round(xy, DECIMALS), xy):  # already on the grid (stored data is)
            return oriented
    return shapely.transform(oriented, lambda xy: np.round(xy, DECIMALS))


# ------------------------------------------------------------------------------ GeoJSON text
#
# Every property is written as ``json.dumps(..., ensure_ascii=False)`` writes `_json_value` of
# it (separators ", " and ": ", floats as ``repr``), but a column at a time, with C functions
# doing the per-value work, instead of two ``json.dumps`` per feature (issue 7: 200k outlets
# took 7 s and 1.5 GiB). A column that repeats its values (codes, districts, dates) is encoded
# once per distinct value. A chunk of rows is joined with one ``str.join`` and encoded at once,
# so only one chunk of pieces is alive next to the output.

_CHUNK_ROWS = 20_000
_ENCODER = json.JSONEncoder(ensure_ascii=False)  # encodes like json.dumps(..., ensure_ascii=False)
_quote = json.encoder.encode_basestring  # a str as a JSON string, non-ASCII kept (C function)
_SAMPLE = 1_000  # rows looked at to guess whether a text column repeats its values


def _encode_generic(values: Iterable[object]) -> list[str]:
    """JSON of each value, one at a time (object columns and other rare dtypes)."""
    encode = _ENCODER.encode
    return [encode(_json_value(v)) for v in values]


def _with_nulls(texts: list[str], missing: np.ndarray) -> list[str]:
    """`texts` with ``null`` where `missing`."""
    for i in np.flatnonzero(missing).tolist():
        texts[i] = "null"
    return texts


def _by_code(texts: list[str], codes: np.ndarray) -> list[str]:
    """``texts[code]`` for every code; code -1 (missing) gives ``null``."""
    table = np.array([*texts, "null"], dtype=object)
    return table[codes].tolist()


def _encode_strings(column: pd.Series) -> list[str]:
    """A text column: each distinct value is quoted once when values repeat."""
    head = column.iloc[:_SAMPLE]
    if head.nunique() * 4 < len(head):
        codes, uniques = pd.factorize(column)  # missing → -1
        return _by_code(list(map(_quote, uniques.to_numpy(dtype=object))), codes)
    values = column.to_numpy(dtype=object, na_value="")
    return _with_nulls(list(map(_quote, values)), column.isna().to_numpy())


def _encode_dates(column: pd.Series) -> list[str]:
    """Naive datetimes as their ISO date (what ``Timestamp.date().isoformat()`` gives)."""
    days = column.to_numpy().astype("datetime64[D]")
    codes, uniques = pd.factorize(days.view(np.int64))
    iso = np.datetime_as_string(uniques.view("datetime64[D]"), unit="D")
    return _with_nulls(_by_code([f'"{d}"' for d in iso], codes), column.isna().to_numpy())


def _encode_column(column: pd.Series) -> list[str]:
    """JSON of every value of `column`, as `_json_value` + ``json.dumps`` would write it."""
    dtype = column.dtype
    if isinstance(dtype, pd.StringDtype):
        return _encode_strings(column)
    if isinstance(dtype, pd.CategoricalDtype):
        categories = _encode_generic(column.cat.categories.astype(object))
        return _by_code(categories, column.cat.codes.to_numpy())
    if isinstance(dtype, np.dtype) and dtype.kind == "b":
        return np.where(column.to_numpy(), "true", "false").tolist()
    if isinstance(dtype, pd.BooleanDtype):
        values = column.to_numpy(dtype=bool, na_value=False)
        return _with_nulls(np.where(values, "true", "false").tolist(), column.isna().to_numpy())
    if isinstance(dtype, np.dtype) and dtype.kind in "iu":
        return list(map(int.__repr__, column.to_numpy().tolist()))
    if isinstance(dtype, pd.api.extensions.ExtensionDtype) and dtype.kind in "iu":
        values = column.to_numpy(dtype=np.int64 if dtype.kind == "i" else np.uint64, na_value=0)
        return _with_nulls(list(map(int.__repr__, values.tolist())), column.isna().to_numpy())
    if dtype.kind == "f":
        values = column.to_numpy(dtype=np.float64, na_value=np.nan)
        return _with_nulls(list(map(float.__repr__, values.tolist())), ~np.isfinite(values))
    if isinstance(dtype, np.dtype) and dtype.kind == "M":
        return _encode_dates(column)
    return _encode_generic(column.astype("object").tolist())


def _key(name: object) -> str:
    """A property name as JSON writes an object key (non-strings as json.dumps converts them)."""
    return json.dumps({name: 0}, ensure_ascii=False)[1:-4]


def _interleave(columns: list[list[str] | str], n: int) -> str:
    """Row by row, the concatenation of `columns` (a list of texts, or one constant text)."""
    m = len(columns)
    flat = [""] * (n * m)
    for j, column in enumerate(columns):
        flat[j::m] = [column] * n if isinstance(column, str) else column
    return "".join(flat)


def _feature_rows(frame: pd.DataFrame, spec: LayerSpec, start: int, stop: int) -> bytes:
    """Features `start`:`stop` of `frame` as ``",\n"``-joined UTF-8 JSON objects."""
    # a repeated column name is one key (the last value wins, at the first place), like a dict
    last = {f: i for i, f in enumerate(frame.columns) if f != "geometry"}
    part = frame.iloc[start:stop]
    n = len(part)
    values = [_encode_column(part.iloc[:, i]) for i in last.values()]
    if spec.is_spatial:
        geoms = _ccw_rounded(np.asarray(part.geometry.values))
        geometry = [g or "null" for g in shapely.to_geojson(geoms).tolist()]
    else:
        geometry = ["null"] * n
    # {"type": "Feature", "id": <id>, "properties": {<key>: <value>, ...}, "geometry": <g>}
    columns: list[list[str] | str] = ['{"type": "Feature", ', "", '"properties": {']
    if spec.id_field and spec.id_field in last:
        ids = values[list(last).index(spec.id_field)]
        has = [i != "null" for i in ids]
        columns[0] = ['{"type": "Feature", "id": ' if h else columns[0] for h in has]
        columns[1] = [i if h else "" for i, h in zip(ids, has, strict=True)]
        columns[2] = [', "properties": {' if h else columns[2] for h in has]
    for j, (key, value) in enumerate(zip(last, values, strict=True)):
        columns += [f"{', ' if j else ''}{_key(key)}: ", value]
    columns += ['}, "geometry": ', geometry, ["},\n"] * (n - 1) + ["}"]]
    return _interleave(columns, n).encode("utf-8")


def geojson_bytes(frame: pd.DataFrame, layer: str | LayerSpec) -> bytes:
    """
    Return an RFC 7946 FeatureCollection for `frame` (geometry in EPSG:4326), UTF-8 encoded.

    Each feature is ``{"type": "Feature", "id": …, "properties": {…}, "geometry": …}`` (no
    ``id`` when the layer's id is missing), written exactly as ``json.dumps`` with
    ``ensure_ascii=False`` writes `_json_value` of every property.
    """
    spec = get_spec(layer)
    name = json.dumps(spec.name, ensure_ascii=False)
    chunks = [f'{{"type": "FeatureCollection", "name": {name}, "features": [\n'.encode()]
    for start in range(0, len(frame), _CHUNK_ROWS):
        if start:
            chunks.append(b",\n")
        chunks.append(_feature_rows(frame, spec, start, start + _CHUNK_ROWS))
    chunks.append(b"\n]}\n")
    return b"".join(chunks)


def geojson_text(frame: pd.DataFrame, layer: str | LayerSpec) -> str:
    """Return an RFC 7946 FeatureCollection for `frame` (geometry in EPSG:4326)."""
    return geojson_bytes(frame, layer).decode("utf-8")


def _dates(col: pd.Series) -> pd.Series:
    """Datetimes as `datetime.date` objects (written as Excel date cells), None where missing."""
    days = col.dt.date.astype(object)
    return days.where(col.notna(), None)


def _labelled(frame: pd.DataFrame, spec: LayerSpec, *, dates_as_text: bool = True) -> pd.DataFrame:
    """A flat table with Chinese headers; points as 经度/纬度, other geometry as WKT.

    Dates are ISO text (CSV) or, with `dates_as_text` false, dates (XLSX date cells).
    """
    out = pd.DataFrame(index=frame.index)
    for f in spec.fields:
        if f.name in frame.columns:
            col = frame[f.name]
            if f.type == "date":
                col = col.dt.strftime("%Y-%m-%d") if dates_as_text else _dates(col)
            elif f.type == "bool":
                col = col.map(lambda v: None if pd.isna(v) else ("是" if v else "否"))
            out[f.label.zh] = col
    if spec.is_spatial and "geometry" in frame.columns:
        geoms = np.asarray(frame.geometry.values)
        if spec.geometry_type == "Point":
            out["经度"] = np.round(shapely.get_x(geoms), DECIMALS)
            out["纬度"] = np.round(shapely.get_y(geoms), DECIMALS)
        else:
            out["WKT"] = shapely.to_wkt(geoms, rounding_precision=DECIMALS)
    return out.reset_index(drop=True)


def _shapefile_names(columns: list[str], spec: LayerSpec) -> dict[str, str]:
    """DBF field names for `columns`: a spec field's declared ``shp`` name (``layers/*.toml``),
    any other column cut to a unique name of at most 10 characters."""
    names = {c: spec.field(c).shp_name for c in columns if c in spec.field_names}
    used = {n.lower() for n in names.values()}
    for col in (c for c in columns if c not in names):
        base = re.sub(r"[^0-9A-Za-z_]", "_", col)[:10] or "field"
        name, i = base, 1
        while name.lower() in used:
            suffix = f"_{i}"
            name, i = base[: 10 - len(suffix)] + suffix, i + 1
        used.add(name.lower())
        names[col] = name
    return {c: names[c] for c in columns}


_FAMILIES = {
    "point": ("Point", "MultiPoint"),
    "line": ("LineString", "MultiLineString"),
    "polygon": ("Polygon", "MultiPolygon"),
}


def _typed_for_gdal(frame: pd.DataFrame, spec: LayerSpec) -> pd.DataFrame:
    """Date fields as calendar dates (GDAL ``Date``: DBF ``D``, GeoPackage DATE) and boolean
    fields as nullable booleans (DBF ``L``, GeoPackage BOOLEAN); write with ``use_arrow``."""
    out = frame.copy()
    for f in spec.fields:
        if f.name not in out.columns:
            continue
        col = out[f.name]
        if f.type == "date" and pd.api.types.is_datetime64_any_dtype(col):
            days = col.to_numpy().astype("datetime64[D]")
            out[f.name] = pd.array(days, dtype=pd.ArrowDtype(pa.date32()))
        elif f.type == "bool":
            out[f.name] = col.astype("boolean")
    return out


def write_shapefile(frame: pd.DataFrame, layer: str | LayerSpec, path: str | Path) -> list[Path]:
    """Write `frame` as a Shapefile beside `path` (``NAME.shp`` with .shx, .dbf, .prj, .cpg).

    Field names are the spec's DBF names (`geomon.specs.FieldSpec.shp_name`), dates are DBF
    dates and booleans DBF logicals, text is UTF-8 (declared in the .cpg). A layer holding more
    than one kind of geometry (points, lines, polygons) is one Shapefile per kind, named
    ``NAME_point.shp``, ``NAME_line.shp``, ``NAME_polygon.shp``. Returns the files written.
    """
    spec = get_spec(layer)
    if not spec.is_spatial:
        msg = f"layer {spec.name!r} has no geometry; export it as csv or xlsx"
        raise ExportError(msg)
    path = Path(path)
    gdf = gpd.GeoDataFrame(frame, geometry="geometry", crs=4326)
    names = _shapefile_names([c for c in gdf.columns if c != "geometry"], spec)
    renamed = _typed_for_gdal(gdf, spec).rename(columns=names)
    kinds = renamed.geometry.geom_type
    groups = [(k, t) for k, t in _FAMILIES.items() if kinds.isin(t).any()] or [("point", ())]
    written: list[Path] = []
    for kind, types in groups:
        part = renamed[kinds.isin(types)] if types else renamed
        stem = path.stem if len(groups) == 1 else f"{path.stem}_{kind}"
        target = path.with_name(f"{stem}.shp")
        for old in (target.with_suffix(e) for e in (".shp", ".shx", ".dbf", ".prj", ".cpg")):
            old.unlink(missing_ok=True)  # GDAL will not overwrite a Shapefile's parts
        pyogrio.write_dataframe(
            part, target, driver="ESRI Shapefile", encoding="UTF-8", layer=stem, use_arrow=True
        )
        written += sorted(p for p in path.parent.glob(f"{stem}.*") if p.suffix != ".xml")
    return written


def _shapefile_zip(frame: gpd.GeoDataFrame, spec: LayerSpec) -> bytes:
    """The Shapefile(s) of `write_shapefile` and a ``fields.csv`` (DBF name → field, label)."""
    names = _shapefile_names([c for c in frame.columns if c != "geometry"], spec)
    buf = io.BytesIO()
    with (
        tempfile.TemporaryDirectory() as tmp,
        zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf,
    ):
        for file in write_shapefile(frame, spec, Path(tmp) / f"{spec.name}.shp"):
            zf.write(file, file.name)
        fields = pd.DataFrame(
            {
                "shapefile_field": list(names.values()),
                "field": list(names),
                "label_zh": [spec.field(c).label.zh if c in spec.field_names else c for c in names],
            }
        )
        zf.writestr("fields.csv", fields.to_csv(index=False).encode("utf-8-sig"))
    return buf.getvalue()


def export_bytes(frame: pd.DataFrame, layer: str | LayerSpec, fmt: Format) -> bytes:
    """Return `frame` (a stored layer or a filtered subset) encoded as `fmt`.

    An unknown `fmt`, or ``"shp"`` for a layer without geometry, raises `ExportError`.
    """
    spec = get_spec(layer)
    if fmt not in FORMATS:
        msg = f"unknown export format {fmt!r}; use one of {', '.join(FORMATS)}"
        raise ExportError(msg)
    if fmt == "geojson":
        return geojson_bytes(frame, spec)
    if fmt == "csv":  # formula-like text gets a leading ' (OWASP CSV injection)
        table = cells.neutralised_for_csv(_labelled(frame, spec))
        return table.to_csv(index=False).encode("utf-8-sig")
    if fmt == "xlsx":
        buf = io.BytesIO()
        table = _labelled(frame, spec, dates_as_text=False)
        # dates as Excel dates (filterable by year and month), shown as 2023-05-31
        with pd.ExcelWriter(buf, engine="openpyxl", date_format=_XLSX_DATE) as writer:
            table.to_excel(writer, sheet_name=spec.title.zh[:31], index=False)
            cells.force_text_cells(writer.sheets[spec.title.zh[:31]], table)  # never a formula
        return buf.getvalue()
    if fmt == "shp":
        if not spec.is_spatial:
            msg = f"layer {spec.name!r} has no geometry; export it as csv or xlsx"
            raise ExportError(msg)
        return _shapefile_zip(gpd.GeoDataFrame(frame, geometry="geometry", crs=4326), spec)
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / f"{spec.name}.gpkg"
        options = {}
        if spec.is_spatial:
            declared, promote = gpkg_geometry_type(spec, frame["geometry"])
            options = {"geometry_type": declared, "promote_to_multi": promote}
        typed = _typed_for_gdal(frame, spec)
        pyogrio.write_dataframe(
            typed, path, layer=spec.name, driver="GPKG", use_arrow=True, **options
        )
        return path.read_bytes()


def gpkg_geometry_type(spec: LayerSpec, geometry: Iterable[object]) -> tuple[str, bool]:
    """The GeoPackage geometry type to declare for a layer holding `geometry`, and whether to
    promote single parts to multi: what the layer holds (``POLYGON`` if every shape is one
    polygon, ``MULTIPOLYGON`` with the single ones promoted as soon as one has several parts),
    ``GEOMETRY`` (``Unknown``) for a layer of mixed kinds (``geometry_type = "Any"``)."""
    if spec.geometry_type not in ("Point", "LineString", "Polygon"):
        return "Unknown", False
    kinds = set(shapely.get_type_id(np.asarray(geometry, dtype=object)).tolist()) - {-1}
    single = spec.geometry_type
    if kinds <= {shapely.GeometryType[single.upper()].value}:
        return single, False
    return f"Multi{single}", True


def export(
    frame: pd.DataFrame, layer: str | LayerSpec, fmt: Format, out: str | Path | IO[bytes]
) -> None:
    """Write `frame` as `fmt` to a path or a binary file object.

    A Shapefile goes to ``NAME.zip`` (zipped) or ``NAME.shp`` (the parts side by side, see
    `write_shapefile`); any other name, or a file object, gets the zip only when it is not a
    path: a path with another suffix raises `ExportError`.
    """
    if fmt == "shp" and isinstance(out, str | Path):
        suffix = Path(out).suffix.lower()
        if suffix == ".shp":
            write_shapefile(frame, layer, out)
            return
        if suffix != ".zip":
            msg = message(
                f"{out}：Shapefile 只能导出为 NAME.zip（压缩包）或 NAME.shp（各组成文件并列）",
                f"{out}: a Shapefile export is written to NAME.zip (zipped) or NAME.shp",
            )
            raise ExportError(msg)
    data = export_bytes(frame, layer, fmt)
    if isinstance(out, str | Path):
        Path(out).write_bytes(data)
    else:
        out.write(data)
