"""One reader for every source a bureau hands over: ``read(source, layer, crs)``.

GeoJSON, GeoPackage, zipped or loose Shapefiles, KML/KMZ and CSV/XLSX ledgers all come back the same
way: a frame in EPSG:4326 (lon, lat) indexed by the 1-based source record number ("row"), with
columns renamed to the layer's field names and values left raw, plus a `ValidationReport` of the
read-level problems (unparseable coordinates, missing CRS). Typing and enum checks belong to
`geomon.validate`. A file that cannot be read at all raises `ReadError` with a stable code.
"""

from __future__ import annotations

import json
import tempfile
from pathlib import Path
from typing import IO, Any, NamedTuple

import geopandas as gpd
import numpy as np
import pandas as pd
import pyogrio
import pyproj
import shapely

from geomon import crs as gcrs
from geomon.errors import CRSError, ReadError
from geomon.io import columns, tabular
from geomon.io import limits as glimits
from geomon.io.formats import LEDGER_SUFFIXES, READABLE_SUFFIXES, VECTOR_SUFFIXES
from geomon.io.shapefile import (
    _copy_shapefile,
    _shapefile_encoding,
    _unzip_shapefile,
)
from geomon.messages import Issue, ValidationReport, cannot_read, message
from geomon.specs import LayerSpec, get_spec

Source = str | Path | bytes | bytearray | IO[bytes]
CRSLike = str | int | pyproj.CRS | gcrs.SourceCRS

_ARCHIVES = {".zip": True, ".kmz": True, ".xlsx": False, ".xlsm": False}  # value: count members
_RFC7946 = (
    ".geojson",
    ".json",
    ".kml",
    ".kmz",
)  # formats whose coordinates are WGS84 by definition
_LEDGER_DEFAULT_CRS = {"lonlat": "wgs84", "dms": "wgs84", "xy": "gk3"}
# LIBKML adds these style columns to every placemark; dropped when they hold only defaults
_KML_DEFAULTS = {
    "id": (),
    "description": (),
    "timestamp": (),
    "begin": (),
    "end": (),
    "altitudeMode": (),
    "tessellate": (-1, 0),
    "extrude": (0,),
    "visibility": (-1, 1),
    "drawOrder": (),
    "icon": (),
}


class ReadResult(NamedTuple):
    """What `read` returns: the frame (EPSG:4326, index "row" from 1) and the read report."""

    frame: pd.DataFrame
    report: ValidationReport


def read(
    source: Source,
    layer: str | LayerSpec,
    crs: CRSLike | None = None,
    *,
    filename: str | None = None,
    encoding: str | None = None,
    sheet: str | int | None = None,
    limits: glimits.UploadLimits | None = None,
) -> ReadResult:
    """
    Read a file of any supported format as `layer`, in EPSG:4326.

    Parameters
    ----------
    source
        A path, the file's bytes, or a binary file-like object (an upload); for bytes give
        `filename` so the format can be told from its extension.
    layer
        Layer name (``layers/*.toml``) or spec.
    crs
        What the coordinates are in, overriding the file's own CRS (a missing or wrong .prj,
        GCJ-02 ledgers, unprefixed Gauss–Krüger X/Y): anything `geomon.crs.resolve` accepts.
    filename
        The source's file name (for bytes and uploads); also used in messages.
    encoding
        Text encoding of a CSV/TXT ledger (default: UTF-8, then GB18030).
    sheet
        Worksheet name or 0-based index of an XLSX ledger (default: the first sheet).
    limits
        Upload limits (type, size, archive contents; `geomon.io.limits`), checked before the file
        is parsed, for every kind of source, and for an XLSX sheet its used area (at most
        ``max_unzipped_bytes / 32`` cells) before it is loaded; default: those of the
        environment's `Settings`.

    Raises
    ------
    ReadError
        If the file cannot be read at all: ``unsupported_format``, ``not_found``,
        ``unreadable``, ``bad_encoding``, ``missing_coordinates``, ``missing_sheet``, ``empty``,
        ``no_shapefile``, ``incomplete_shapefile``, ``driver_missing``; or if it breaks a limit:
        ``too_large``, ``too_many_files``, ``zip_bomb``, ``unsafe_path``.
    CRSError
        If `crs` is not a CRS `geomon.crs.resolve` understands.
    """
    spec = get_spec(layer)
    limits = limits or glimits.current()
    name, ext, path, data = _open(source, filename, limits)
    if ext in _ARCHIVES:  # inspect the archive's directory before any reader inflates it
        glimits.check_archive_bytes(
            data if data is not None else path, name, limits, count_members=_ARCHIVES[ext]
        )
    issues: list[Issue] = []
    if ext in LEDGER_SUFFIXES:
        frame, kind, issues = tabular.read_ledger(
            data if data is not None else path.read_bytes(),
            spec,
            name=name,
            excel=LEDGER_SUFFIXES[ext],
            encoding=encoding,
            sheet=sheet,
            limits=limits,
        )
        default = _LEDGER_DEFAULT_CRS.get(kind or "")
    elif ext in VECTOR_SUFFIXES:
        frame, issues = _read_vector(path, data, ext, spec, name, limits)
        frame, renamed = columns.rename_to_spec(frame, spec)
        issues += renamed
        if ext in (".geojson", ".json"):
            frame = _feature_ids(frame, spec)
        default = "wgs84" if ext in _RFC7946 else None
    else:
        raise _unsupported(name, ext)
    if spec.is_spatial and not isinstance(frame, gpd.GeoDataFrame):
        msg = message(f"{name} 没有几何", f"{name} has no geometry")
        raise ReadError(msg, code="missing_coordinates", path=name)
    if spec.is_spatial:
        frame, crs_issues = _to_wgs84(frame, crs, default, name)
        issues += crs_issues
    elif isinstance(frame, gpd.GeoDataFrame):
        frame = pd.DataFrame(frame.drop(columns=frame.geometry.name))
    report = ValidationReport(layer=spec.name, path=name, rows=len(frame), issues=issues)
    return ReadResult(frame, report)


def _unsupported(name: str, ext: str) -> ReadError:
    msg = message(
        f"不支持的文件格式：{name}",
        f"unsupported format {ext or '(no extension)'!r} for {name}; use GeoJSON, "
        "GeoPackage, zipped Shapefile, KML, CSV or XLSX",
    )
    return ReadError(msg, code="unsupported_format", path=name)


def _check_type(name: str, ext: str, limits: glimits.UploadLimits) -> None:
    if ext not in READABLE_SUFFIXES:
        raise _unsupported(name, ext)
    glimits.check_type(name, limits)  # a format we read, but not accepted here


def _open(
    source: Source, filename: str | None, limits: glimits.UploadLimits
) -> tuple[str, str, Path, bytes | None]:
    """Name for messages, lower-case extension, path (if any) and bytes (if given as such).

    The type and size limits are checked here, before the file is read.
    """
    if isinstance(source, str | Path):
        path = Path(source)
        if not path.is_file():
            msg = message(f"找不到文件 {source}", f"no such file: {source}")
            raise ReadError(msg, code="not_found", path=str(source))
        ext = Path(filename or path.name).suffix.lower()
        _check_type(str(source), ext, limits)
        glimits.check_size(path.stat().st_size, str(source), limits)
        return str(source), ext, path, None
    name = filename or getattr(source, "name", None)
    if not name:
        msg = message(
            "无法判断文件格式：请提供文件名", "cannot tell the format of bytes: pass filename="
        )
        raise ReadError(msg, code="unsupported_format")
    ext = Path(str(name)).suffix.lower()
    _check_type(str(name), ext, limits)
    if isinstance(source, bytes | bytearray):
        data = bytes(source)
        glimits.check_size(len(data), str(name), limits)
    else:
        data = glimits.read_limited(source, str(name), limits)
    return str(name), ext, Path(str(name)), data


# --- vector formats ----------------------------------------------------------------------------


def _read_vector(
    path: Path,
    data: bytes | None,
    ext: str,
    spec: LayerSpec,
    name: str,
    limits: glimits.UploadLimits,
) -> tuple[gpd.GeoDataFrame, list[Issue]]:
    issues: list[Issue] = []
    with tempfile.TemporaryDirectory(prefix="geomon-read-") as tmp:
        tmpdir = Path(tmp)
        if ext == ".zip":
            raw = data if data is not None else path.read_bytes()
            path, issues = _unzip_shapefile(raw, tmpdir, spec, name, limits)
        elif data is not None:
            if ext == ".shp":
                msg = message(
                    f"{name}：单独的 .shp 无法读取，请上传包含 .shp/.shx/.dbf/.prj 的 zip",
                    f"{name}: a lone .shp cannot be read; upload a .zip with .shp/.shx/.dbf/.prj",
                )
                raise ReadError(msg, code="incomplete_shapefile", path=name)
            path = tmpdir / f"upload{ext}"
            path.write_bytes(data)
        elif ext == ".shp":  # work on a copy: a cut field name may need repair
            path = _copy_shapefile(path, tmpdir)
        if ext in (".zip", ".shp"):
            frame = _ogr(path, name, tmpdir, encoding=_shapefile_encoding(path, name))
        elif ext in (".kml", ".kmz"):
            frame = _read_kml(path, name, tmpdir)
        elif ext == ".gpkg":
            frame = _ogr(path, name, tmpdir, layer=_gpkg_layer(path, spec, name, tmpdir))
        else:
            frame = _json_cells(path, _ogr(path, name, tmpdir))
    frame.index = pd.RangeIndex(1, len(frame) + 1, name="row")
    return frame, issues


def _feature_ids(frame: pd.DataFrame, spec: LayerSpec) -> pd.DataFrame:
    """The GeoJSON feature ``id`` member (GDAL reads it as a column ``id``) is the layer's id:
    dropped where it repeats the id field, the id field where the properties lack it. An ``id``
    that differs from the id field stays a column of its own (and validation reports it)."""
    if "id" not in frame.columns or not spec.id_field or spec.id_field == "id":
        return frame
    if spec.id_field not in frame.columns:
        return frame.rename(columns={"id": spec.id_field})
    ids, own = frame["id"], frame[spec.id_field]
    agree = ids.isna() | (ids.astype("string") == own.astype("string")).fillna(False)
    return frame.drop(columns="id") if bool(agree.all()) else frame


def _json_cells(path: Path, frame: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """GeoJSON properties that were arrays or objects, as lists/dicts (`geomon.validate` calls
    them ``bad_type``). GDAL gives them as JSON text when a property mixes them with plain
    values (``"名称": []`` in one feature, text in the others); never as a name ``"[ ]"``."""
    try:
        info = pyogrio.read_info(path)
    except Exception:  # the frame was read: keep it as it is
        return frame
    subtypes = dict(zip(info.get("fields", []), info.get("ogr_subtypes", []), strict=False))
    for column, subtype in subtypes.items():
        if subtype != "OFSTJSON" or column not in frame.columns:
            continue
        values = frame[column].astype(object)
        text = values.map(lambda v: isinstance(v, str) and v.lstrip()[:1] in ("[", "{"))
        if text.any():
            frame[column] = values.where(~text, values[text].map(_parsed_json))
    return frame


def _parsed_json(text: str) -> object:
    try:
        return json.loads(text)
    except ValueError:
        return text


def _ogr(path: Path, name: str, tmp: Path, **kwargs: Any) -> gpd.GeoDataFrame:
    try:
        return pyogrio.read_dataframe(path, **kwargs)
    except Exception as exc:  # GDAL reports a corrupt file in many ways; all mean unreadable
        raise cannot_read(name, exc, tmp=tmp) from exc


def _gpkg_layer(path: Path, spec: LayerSpec, name: str, tmp: Path) -> str:
    """The layer named like the spec, else the first one."""
    try:
        layers = [str(row[0]) for row in pyogrio.list_layers(path)]
    except Exception as exc:  # not a GeoPackage, truncated, locked
        raise cannot_read(name, exc, tmp=tmp) from exc
    if not layers:
        raise cannot_read(name, ValueError("no layers"), tmp=tmp)
    same = [n for n in layers if n.casefold() == spec.name.casefold()]
    return same[0] if same else layers[0]


def _read_kml(path: Path, name: str, tmp: Path) -> gpd.GeoDataFrame:
    """All placemarks of all folders, without LIBKML's default style columns."""
    drivers = pyogrio.list_drivers()
    if "LIBKML" not in drivers and "KML" not in drivers:
        msg = message(
            "此 GDAL 没有 KML 驱动（LIBKML/KML），请先转换为 GeoJSON",
            "this GDAL build has no KML driver (LIBKML or KML); convert the file to GeoJSON",
        )
        raise ReadError(msg, code="driver_missing", path=name)
    try:
        layers = [str(row[0]) for row in pyogrio.list_layers(path)]
    except Exception as exc:  # malformed XML
        raise cannot_read(name, exc, tmp=tmp) from exc
    # LIBKML launders <Data name="排污口编码"> into "_____" unless told not to
    before = pyogrio.get_gdal_config_option("LIBKML_LAUNDER_FIELD_NAMES")
    pyogrio.set_gdal_config_options({"LIBKML_LAUNDER_FIELD_NAMES": "NO"})
    try:
        frames = [_ogr(path, name, tmp, layer=layer) for layer in layers]
    finally:
        pyogrio.set_gdal_config_options({"LIBKML_LAUNDER_FIELD_NAMES": before})
    frames = [f for f in frames if len(f)] or frames[:1]
    if not frames:
        raise cannot_read(name, ValueError("no placemarks"), tmp=tmp)
    frame = pd.concat(frames, ignore_index=True) if len(frames) > 1 else frames[0]
    idle = [
        c
        for c, defaults in _KML_DEFAULTS.items()
        if c in frame.columns and (frame[c].isna() | frame[c].isin(defaults)).all()
    ]
    return gpd.GeoDataFrame(frame.drop(columns=idle), geometry="geometry", crs=frame.crs)


# --- CRS ---------------------------------------------------------------------------------------


def _is_wgs84(source: CRSLike) -> bool:
    src = gcrs.resolve(source)
    return src.kind == "proj" and src.crs is not None and src.crs.equals(gcrs.WGS84)


def _to_wgs84(
    frame: gpd.GeoDataFrame, crs: CRSLike | None, default: str | None, name: str
) -> tuple[gpd.GeoDataFrame, list[Issue]]:
    """
    Bring geometries to EPSG:4326 (2-D): `crs` if given, else the file's CRS, else `default`.

    With none of them the data are assumed WGS84 with a ``crs_missing`` warning, unless the
    coordinates cannot be degrees: then those rows lose their geometry and ``crs_required``
    (an error) asks for the CRS.
    """
    geoms = frame.geometry.to_numpy()
    source = crs if crs is not None else frame.crs if frame.crs is not None else default
    issues: list[Issue] = []
    if source is None:
        bounds = shapely.bounds(geoms)
        beyond = (np.abs(bounds[:, [0, 2]]) > 180).any(axis=1)
        beyond |= (np.abs(bounds[:, [1, 3]]) > 90).any(axis=1)
        if beyond.any():
            geoms = np.where(beyond, None, geoms)
            text = message(
                "文件没有坐标系，坐标也不是经纬度；请指定坐标系（如 'gk3:38'、'EPSG:4547'）",
                "the file has no CRS and its coordinates are not degrees; pass crs= "
                "(e.g. 'gk3:38', 'EPSG:4547')",
            )
            issues.append(Issue(None, None, "crs_required", text))
        else:
            text = message(
                "文件没有坐标系，按 WGS84 经纬度读取；如不是，请指定坐标系",
                "the file has no CRS; read as WGS84 lon/lat (pass crs= if it is not)",
            )
            issues.append(Issue(None, None, "crs_missing", text, "warning"))
    else:
        try:
            if not _is_wgs84(source):
                geoms = gcrs.geometries_to_wgs84(geoms, source)
        except CRSError as exc:  # e.g. a .prj with a CAD LOCAL_CS: the file must say its CRS
            code = "crs_mismatch" if crs is not None else "crs_required"
            issues.append(Issue(None, None, code, f"{name}: {exc}"))
            geoms = np.full(len(geoms), None, dtype=object)
    geoms = shapely.force_2d(geoms)
    present = ~shapely.is_missing(geoms) & ~shapely.is_empty(geoms)
    failed = present & ~np.isfinite(shapely.bounds(geoms)).all(axis=1)
    for i in np.flatnonzero(failed):
        text = message("坐标无法转换到 WGS84", "coordinates cannot be transformed to WGS84")
        issues.append(Issue(int(frame.index[i]), "geometry", "bad_coordinate", text))
    geoms = np.where(failed, None, geoms)
    out = gpd.GeoDataFrame(
        frame.drop(columns=frame.geometry.name),
        geometry=gpd.GeoSeries(geoms, index=frame.index, crs=gcrs.WGS84),
    )
    return out, issues
