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
from pathlib import Path
from typing import IO, Literal

import geopandas as gpd
import numpy as np
import pandas as pd
import pyogrio
import shapely

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


def _json_value(value: object) -> object:
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


def _ccw_rounded(geoms: np.ndarray) -> np.ndarray:
    """Counter-clockwise exterior rings (clockwise holes), coordinates rounded to ~1 cm."""
    oriented = shapely.orient_polygons(geoms, exterior_cw=False)
    return shapely.transform(oriented, lambda xy: np.round(xy, DECIMALS))


def geojson_text(frame: pd.DataFrame, layer: str | LayerSpec) -> str:
    """Return an RFC 7946 FeatureCollection for `frame` (geometry in EPSG:4326)."""
    spec = get_spec(layer)
    fields = [c for c in frame.columns if c != "geometry"]
    if spec.is_spatial and len(frame):
        geoms = _ccw_rounded(np.asarray(frame.geometry.values))
        geo_json = shapely.to_geojson(geoms)
    else:
        geo_json = np.full(len(frame), None, dtype=object)
    parts = []
    records = frame[fields].astype("object").to_numpy()
    for values, geom in zip(records, geo_json, strict=True):
        props = {f: _json_value(v) for f, v in zip(fields, values, strict=True)}
        feature = {"type": "Feature"}
        if spec.id_field and props.get(spec.id_field) is not None:
            feature["id"] = props[spec.id_field]
        text = json.dumps(feature, ensure_ascii=False)[:-1]
        props_text = json.dumps(props, ensure_ascii=False)
        parts.append(f'{text}, "properties": {props_text}, "geometry": {geom or "null"}}}')
    name = json.dumps(spec.name, ensure_ascii=False)
    return (
        '{"type": "FeatureCollection", "name": '
        + name
        + ', "features": [\n'
        + ",\n".join(parts)
        + "\n]}\n"
    )


def _labelled(frame: pd.DataFrame, spec: LayerSpec) -> pd.DataFrame:
    """A flat table with Chinese headers; points as 经度/纬度, other geometry as WKT."""
    out = pd.DataFrame(index=frame.index)
    for f in spec.fields:
        if f.name in frame.columns:
            col = frame[f.name]
            if f.type == "date":
                col = col.dt.strftime("%Y-%m-%d")
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


def _shapefile_names(columns: list[str]) -> dict[str, str]:
    """Unique DBF field names (≤ 10 characters) for `columns`."""
    names: dict[str, str] = {}
    used: set[str] = set()
    for col in columns:
        base = re.sub(r"[^0-9A-Za-z_]", "_", col)[:10] or "field"
        name, i = base, 1
        while name.lower() in used:
            suffix = f"_{i}"
            name, i = base[: 10 - len(suffix)] + suffix, i + 1
        used.add(name.lower())
        names[col] = name
    return names


def _shapefile_zip(frame: gpd.GeoDataFrame, spec: LayerSpec) -> bytes:
    names = _shapefile_names([c for c in frame.columns if c != "geometry"])
    renamed = frame.rename(columns=names)
    for col in renamed.columns:  # DBF has no date-time type: write dates as ISO text
        if pd.api.types.is_datetime64_any_dtype(renamed[col]):
            renamed[col] = renamed[col].dt.strftime("%Y-%m-%d")
    families = {
        "point": ("Point", "MultiPoint"),
        "line": ("LineString", "MultiLineString"),
        "polygon": ("Polygon", "MultiPolygon"),
    }
    buf = io.BytesIO()
    with (
        tempfile.TemporaryDirectory() as tmp,
        zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf,
    ):
        kinds = renamed.geometry.geom_type
        groups = [(k, t) for k, t in families.items() if kinds.isin(t).any()] or [("point", ())]
        for kind, types in groups:
            part = renamed[kinds.isin(types)] if types else renamed
            stem = spec.name if len(groups) == 1 else f"{spec.name}_{kind}"
            path = Path(tmp) / f"{stem}.shp"
            pyogrio.write_dataframe(part, path, encoding="UTF-8", layer=stem)
            for file in sorted(Path(tmp).glob(f"{stem}.*")):
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
    """Return `frame` (a stored layer or a filtered subset) encoded as `fmt`."""
    spec = get_spec(layer)
    if fmt not in FORMATS:
        msg = f"unknown export format {fmt!r}; use one of {', '.join(FORMATS)}"
        raise ValueError(msg)
    if fmt == "geojson":
        return geojson_text(frame, spec).encode("utf-8")
    if fmt == "csv":
        return _labelled(frame, spec).to_csv(index=False).encode("utf-8-sig")
    if fmt == "xlsx":
        buf = io.BytesIO()
        with pd.ExcelWriter(buf, engine="openpyxl") as writer:
            _labelled(frame, spec).to_excel(writer, sheet_name=spec.title.zh[:31], index=False)
        return buf.getvalue()
    if fmt == "shp":
        if not spec.is_spatial:
            msg = f"layer {spec.name!r} has no geometry; export it as csv or xlsx"
            raise ValueError(msg)
        return _shapefile_zip(gpd.GeoDataFrame(frame, geometry="geometry", crs=4326), spec)
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / f"{spec.name}.gpkg"
        pyogrio.write_dataframe(frame, path, layer=spec.name, driver="GPKG")
        return path.read_bytes()


def export(
    frame: pd.DataFrame, layer: str | LayerSpec, fmt: Format, out: str | Path | IO[bytes]
) -> None:
    """Write `frame` as `fmt` to a path or a binary file object."""
    data = export_bytes(frame, layer, fmt)
    if isinstance(out, str | Path):
        Path(out).write_bytes(data)
    else:
        out.write(data)
