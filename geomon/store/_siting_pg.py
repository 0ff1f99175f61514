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
CROSS JOIN LATERAL (SELECT ST_Transform(t.{geom}, p.e) AS g OFFSET 0) f0
CROSS JOIN LATERAL (SELECT CASE WHEN ST_IsValid(f0.g) THEN f0.g ELSE ST_MakeValid(f0.g) END
                    AS gk OFFSET 0) f
WHERE {keep}"""

# Every lateral ends in OFFSET 0 so the planner keeps it apart and computes each geometry once
# (inlined, a projected feature or an intersection is recomputed wherever it is used). One
# ST_Relate gives what the in-memory measure asks three predicates: interiors meet (II is not
# F: intersects and does not merely touch) and covered-by (IE and BE are F).
_MEASURE = """
SELECT q.layer, q.i, q.fid, q.attrs, q.wkb, r.meeting,
       r.meeting AND substr(r.m, 3, 1) = 'F' AND substr(r.m, 6, 1) = 'F' AS inside,
       d.distance, ST_Area(x.inter) AS area, ST_Length(x.inter) AS length,
       coalesce(ST_NumGeometries(x.inter), 0) AS parts,
       CASE WHEN q.d = 2 THEN ST_Area(ST_Transform(x.inter, 4326)::geography) END AS area_geo,
       CASE WHEN q.d = 1 THEN ST_Length(ST_Transform(x.inter, 4326)::geography) END AS length_geo,
       CASE WHEN d.distance > 0 THEN
            ST_Length(ST_Transform(ST_ShortestLine(q.pg, q.fg), 4326)::geography) END AS dist_geo
FROM pairs q
CROSS JOIN LATERAL (SELECT m, left(m, 1) <> 'F' AS meeting
                    FROM (SELECT ST_Relate(q.pg, q.fg) AS m OFFSET 0) s OFFSET 0) r
CROSS JOIN LATERAL (SELECT CASE WHEN r.meeting THEN 0 ELSE ST_Distance(q.pg, q.fg) END
                    AS distance OFFSET 0) d
CROSS JOIN LATERAL (SELECT CASE WHEN r.meeting THEN ST_Intersection(q.pg, q.fg) END
                    AS inter OFFSET 0) x"""

# the layers' version records ride along as rows of layer -1 (one round trip less)
_INFO = """
UNION ALL
SELECT -1, NULL, NULL, jsonb_build_array(layer, rows, source, imported_at, version, revision),
       NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL
FROM geomon_layers WHERE layer = ANY(%(names)s::text[])"""

_CATALOG = """
SELECT n, (SELECT array_agg(a.attname::text) FROM pg_attribute a
           WHERE a.attrelid = to_regclass(n) AND a.attnum > 0 AND NOT a.attisdropped)
FROM unnest(%(names)s::text[]) AS n WHERE to_regclass(n) IS NOT NULL"""


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
    stored = [name for name in layers if name in have]
    asked = {
        name: [f for f in fields.get(name, ()) if f in get_spec(name).field_names]
        for name in layers
    }
    rows: list[Any] = []
    plane = _on_plane(geoms, epsg)
    info = _INFO if "geomon_layers" in have else ""
    if stored and len(geoms):
        sql = _sql(stored, asked, have, near) + info
        rows = driver(sql, {**_params(geoms, plane, epsg, buffer_m), "names": list(layers)}).all()
    elif info:
        rows = driver(info.removeprefix("\nUNION ALL"), {"names": list(layers)}).all()
    infos = {
        r[3][0]: LayerInfo(r[3][0], int(r[3][1]), *r[3][2:5], revision=int(r[3][5]))
        for r in rows
        if r[0] == -1
    }
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
    pairs = "pairs AS MATERIALIZED (" + " UNION ALL ".join(parts) + ")"
    return "WITH " + _PROJECTS + ",\n" + pairs + _MEASURE


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
