"""The siting check's measuring done in PostGIS: one statement for every constraint layer.

`measure_near` is what `PostGISStore.measure_near` runs. The projects go in as their own
Gauss–Krüger plane geometry (projected and repaired in Python exactly as the in-memory measure
does, `geomon.siting.measure.to_plane`) with their search box in EPSG:4326; one statement, a
``UNION ALL`` over the layers' tables, picks each layer's features through its GiST index
(``geom && box``), projects them onto the project's plane (``ST_Transform``, repaired with
``ST_MakeValid`` when projecting made them invalid, as shapely's ``make_valid`` does in memory),
keeps those within the buffer (``ST_DWithin``; ``ST_Intersects`` for layers that report no
near features) and returns per pair the raw figures of `geomon.siting.measure.Overlaps`:
touches / intersects / covered-by, GK distance, the intersection's area, length and parts,
geodesic area and length of the intersection and geodesic length of the shortest line
(``geography``, WGS 84 spheroid: within 1e-9 of CGCS2000's), with the attributes the rules read
(``jsonb``, typed) and the feature's geometry for maps. `geomon.siting.measure.pair_columns`
turns the figures into the same columns the in-memory check gives.

Only the features near the projects cross the wire, and the database's cores do the geometry:
a one-project check is a few small result rows instead of three layers' nearby features.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd
import shapely
import sqlalchemy as sa

from geomon.siting import measure
from geomon.specs import get_spec
from geomon.store import LayerInfo
from geomon.store._pgschema import GEOMETRY_COLUMN

_PROJECTS = """
p AS (
  SELECT u.i, ST_GeomFromWKB(u.w, u.e) AS gk, u.e, u.d,
         ST_MakeEnvelope(u.x0, u.y0, u.x1, u.y1, 4326) AS box
  FROM unnest(%(i)s::int[], %(w)s::bytea[], %(e)s::int[], %(d)s::int[], %(x0)s::float8[],
              %(y0)s::float8[], %(x1)s::float8[], %(y1)s::float8[]) AS u(i, w, e, d, x0, y0, x1, y1)
)"""

_LAYER = """
SELECT {k} AS layer, p.i, p.d, t.fid, jsonb_build_array({fields}) AS attrs,
       ST_AsBinary(t.{geom}) AS wkb, p.gk AS pg, f.gk AS fg
FROM p JOIN {table} t ON t.{geom} && p.box
CROSS JOIN LATERAL (SELECT ST_Transform(t.{geom}, p.e) AS g) f0
CROSS JOIN LATERAL (SELECT CASE WHEN ST_IsValid(f0.g) THEN f0.g ELSE ST_MakeValid(f0.g) END
                    AS gk) f
WHERE {keep}"""

_MEASURE = """
SELECT q.layer, q.i, q.fid, q.attrs, q.wkb, r.meeting,
       r.meeting AND ST_CoveredBy(q.pg, q.fg) AS inside,
       CASE WHEN r.meeting THEN 0 ELSE ST_Distance(q.pg, q.fg) END AS distance,
       ST_Area(x.inter) AS area, ST_Length(x.inter) AS length,
       coalesce(ST_NumGeometries(x.inter), 0) AS parts,
       CASE WHEN q.d = 2 THEN ST_Area(ST_Transform(x.inter, 4326)::geography) END AS area_geo,
       CASE WHEN q.d = 1 THEN ST_Length(ST_Transform(x.inter, 4326)::geography) END AS length_geo,
       CASE WHEN NOT r.meeting AND ST_Distance(q.pg, q.fg) > 0 THEN
            ST_Length(ST_Transform(ST_ShortestLine(q.pg, q.fg), 4326)::geography) END AS dist_geo
FROM ({pairs}) q
CROSS JOIN LATERAL (SELECT ST_Intersects(q.pg, q.fg) AND NOT ST_Touches(q.pg, q.fg) AS meeting) r
CROSS JOIN LATERAL (SELECT CASE WHEN r.meeting THEN ST_Intersection(q.pg, q.fg) END AS inter) x
ORDER BY q.layer, q.i, q.fid"""

_CATALOG = """
SELECT c.relname::text, array_agg(a.attname::text)
FROM pg_class c JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped
WHERE c.oid = ANY(ARRAY(SELECT to_regclass(n) FROM unnest(%(names)s::text[]) AS n))
GROUP BY c.relname"""

_INFO = """
SELECT layer, rows, source, imported_at, version, revision FROM geomon_layers
WHERE layer = ANY(%(names)s::text[])"""


def _quoted(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _missing_to_na(values: list[Any]) -> np.ndarray:
    out = np.empty(len(values), dtype=object)
    out[:] = [pd.NA if v is None else v for v in values]
    return out


def measure_near(
    conn: sa.Connection,
    geoms: np.ndarray,
    epsg: np.ndarray,
    layers: Sequence[str],
    *,
    buffer_m: float,
    near: Mapping[str, bool],
    fields: Mapping[str, Sequence[str]],
) -> dict[str, tuple[measure.MeasuredLayer | None, LayerInfo | None]]:
    """Measure projects `geoms` (EPSG:4326; their GK planes `epsg`) against `layers` in the
    database (see `geomon.store.postgis.PostGISStore.measure_near`)."""
    driver = conn.exec_driver_sql
    have = dict(driver(_CATALOG, {"names": ["geomon_layers", *layers]}).all())
    infos: dict[str, LayerInfo] = {}
    if "geomon_layers" in have:
        for r in driver(_INFO, {"names": list(layers)}).all():
            infos[r[0]] = LayerInfo(r[0], int(r[1]), r[2], r[3], r[4], int(r[5]))
    stored = [name for name in layers if name in have]
    asked = {
        name: [f for f in fields.get(name, ()) if f in get_spec(name).field_names]
        for name in layers
    }
    rows: list[Any] = []
    plane = _on_plane(geoms, epsg)
    if stored and len(geoms):
        params = _params(geoms, plane, epsg, buffer_m)
        rows = driver(_sql(stored, asked, have, near), params).all()
    out: dict[str, tuple[measure.MeasuredLayer | None, LayerInfo | None]] = {}
    for k, name in enumerate(stored):
        mine = [r for r in rows if r[0] == k and (r[5] or near.get(name, True))]
        out[name] = (_layer(mine, asked[name], plane, epsg), infos.get(name))
    return {name: out.get(name, (None, infos.get(name))) for name in layers}


def _sql(
    stored: Sequence[str],
    asked: Mapping[str, Sequence[str]],
    have: Mapping[str, Sequence[str]],
    near: Mapping[str, bool],
) -> str:
    parts = []
    for k, name in enumerate(stored):
        columns = set(have[name])  # a field added to the spec since the table was made is NULL
        fields = ", ".join(f"t.{_quoted(f)}" if f in columns else "NULL" for f in asked[name])
        within = near.get(name, True)
        keep = "ST_DWithin(p.gk, f.gk, %(buffer)s)" if within else "ST_Intersects(p.gk, f.gk)"
        table, geom = _quoted(name), _quoted(GEOMETRY_COLUMN)
        parts.append(_LAYER.format(k=k, fields=fields, table=table, geom=geom, keep=keep))
    return "WITH " + _PROJECTS + _MEASURE.format(pairs=" UNION ALL ".join(parts))


def _on_plane(geoms: np.ndarray, epsg: np.ndarray) -> np.ndarray:
    """The projects on their own GK planes, repaired as the in-memory measure repairs them."""
    plane = np.empty(len(geoms), dtype=object)
    for code in np.unique(epsg):
        sel = epsg == code
        plane[sel] = measure.to_plane(geoms[sel], int(code))
    bad = ~shapely.is_valid(plane)
    plane[bad] = shapely.make_valid(plane[bad])
    return plane


def _params(
    geoms: np.ndarray, plane: np.ndarray, epsg: np.ndarray, buffer_m: float
) -> dict[str, Any]:
    """The projects on their GK planes and their search boxes (as wide as the in-memory
    candidates' search, `geomon.siting.measure.degree_margin`)."""
    margin = measure.degree_margin(geoms, buffer_m)
    x0, y0, x1, y1 = shapely.bounds(geoms).T
    return {
        "i": list(range(len(geoms))),
        "w": list(shapely.to_wkb(plane)),
        "e": epsg.astype(int).tolist(),
        "d": shapely.get_dimensions(plane).astype(int).tolist(),
        "x0": (x0 - margin).tolist(),
        "y0": (y0 - margin).tolist(),
        "x1": (x1 + margin).tolist(),
        "y1": (y1 + margin).tolist(),
        "buffer": float(buffer_m),
    }


def _layer(
    mine: Sequence[Any], asked: Sequence[str], plane: np.ndarray, epsg: np.ndarray
) -> measure.MeasuredLayer:
    """One layer's rows as the in-memory measure's columns; features numbered by fid order."""
    fids = np.array([r[2] for r in mine], dtype=np.int64)
    uf, first, f_pos = np.unique(fids, return_index=True, return_inverse=True)
    p_pos = np.array([r[1] for r in mine], dtype=np.int64)
    attrs = [mine[j][3] for j in first]
    found = {f: _missing_to_na([a[n] for a in attrs]) for n, f in enumerate(asked)}
    features = shapely.from_wkb([bytes(mine[j][4]) for j in first])

    def floats(col: int) -> np.ndarray:
        return np.array([r[col] if r[col] is not None else 0.0 for r in mine], dtype=float)

    on_plane = plane[p_pos]
    figures = measure.Overlaps(
        dims=shapely.get_dimensions(on_plane),
        project_area=shapely.area(on_plane),
        project_length=shapely.length(on_plane),
        project_parts=shapely.get_num_geometries(on_plane),
        meeting=np.array([bool(r[5]) for r in mine], dtype=bool),
        inside=np.array([bool(r[6]) for r in mine], dtype=bool),
        distance=floats(7),
        area=floats(8),
        length=floats(9),
        parts=np.array([r[10] for r in mine], dtype=np.int64),
        area_geodesic=np.abs(floats(11)),
        length_geodesic=floats(12),
        distance_geodesic=floats(13),
    )
    columns = measure.pair_columns(p_pos, f_pos.astype(np.int64), epsg[p_pos], figures)
    return measure.MeasuredLayer(columns, found, np.asarray(features, dtype=object), uf)
