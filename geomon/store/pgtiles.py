"""Vector tiles cut in PostGIS (``ST_AsMVT``/``ST_AsMVTGeom``) from a layer's table.

The same tiles `geomon.mapview.tiles.TileSource` cuts in memory, for layers whose colours come
from a stored column: one MVT layer named after the layer, features with the id as text (``i``)
and the style code (``s``: 2 × palette index), simplified to half a pixel and clipped to the tile
plus a buffer, and a feature smaller than the dot size drawn as a point at its box's centre (judged
on its box, so a dot costs no reprojection of the whole shape). The table's GiST index on
``geom`` (EPSG:4326) finds the features; the database does the clipping, quantising and encoding.
On a big store this keeps the app process small and lets the database's cores do the work.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import sqlalchemy as sa

from geomon.errors import StoreError
from geomon.specs import LayerSpec
from geomon.store._pgschema import GEOMETRY_COLUMN, layer_table

WORLD_M = 40_075_016.685578488  # Web Mercator's width, metres


def _quoted(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def vector_tile(
    engine: sa.Engine,
    spec: LayerSpec,
    z: int,
    x: int,
    y: int,
    *,
    codes: Mapping[Any, int],
    default_code: int,
    extent: int = 4096,
    buffer: int = 64,
    dot_px: float = 1.5,
) -> bytes:
    """
    The MVT tile (z, x, y) of `spec`'s table.

    `codes` maps each value of the spec's ``color_by`` field to its style code (the others get
    `default_code`); `dot_px` is the size in screen pixels (256 a tile) under which a feature is
    sent as a point.
    """
    table = layer_table(spec)
    id_field = spec.id_field or "fid"
    cases, params = [], {}
    color_by = spec.style.color_by
    for k, (value, code) in enumerate(codes.items()):
        cases.append(f"WHEN t.{_quoted(color_by)}::text = :v{k} THEN {int(code)}")
        params[f"v{k}"] = str(value)
    style = f"CASE {' '.join(cases)} ELSE {int(default_code)} END" if cases else str(default_code)
    margin = buffer / extent
    geom = f"t.{_quoted(GEOMETRY_COLUMN)}"
    sql = f"""
        WITH b AS (
            SELECT ST_TileEnvelope(:z, :x, :y) AS env,
                   ST_Transform(ST_TileEnvelope(:z, :x, :y, margin => :margin), 4326) AS box
        ), f AS (
            SELECT t.{_quoted(id_field)}::text AS i, {style} AS s, {geom} AS g,
                   ST_Transform(ST_Envelope({geom}), 3857) AS e
            FROM {_quoted(table.name)} t, b
            WHERE {geom} && b.box
        ), q AS (
            SELECT f.i, f.s,
                   CASE WHEN GREATEST(ST_XMax(f.e) - ST_XMin(f.e), ST_YMax(f.e) - ST_YMin(f.e))
                             < :dot_m AND GeometryType(f.g) NOT IN ('POINT', 'MULTIPOINT')
                        THEN ST_AsMVTGeom(ST_Centroid(f.e), b.env, :extent, :buffer)
                        ELSE ST_AsMVTGeom(ST_Simplify(ST_Transform(f.g, 3857), :tolerance, true),
                                          b.env, :extent, :buffer)
                   END AS geom
            FROM f, b
        )
        SELECT ST_AsMVT(q.*, :name, :extent, 'geom') FROM q WHERE q.geom IS NOT NULL
    """  # identifiers come from the layer spec (checked names), values are bound
    pixel_m = WORLD_M / (256 * 2**z)  # one screen pixel at this zoom, metres
    params.update(z=z, x=x, y=y, margin=margin, extent=extent, buffer=buffer, name=spec.name,
                  dot_m=dot_px * pixel_m, tolerance=0.5 * pixel_m)  # fmt: skip
    try:
        with engine.connect() as conn:
            body = conn.execute(sa.text(sql), params).scalar()
    except sa.exc.DBAPIError as exc:
        msg = f"tile {spec.name} {z}/{x}/{y} failed: {exc.orig or exc}"
        raise StoreError(msg) from exc
    return bytes(body or b"")
