"""A small Mapbox Vector Tile (v2.1) writer: the hot path of panning a map.

`mapbox_vector_tile.encode` takes each feature as WKT or a shapely geometry plus a property
dict and builds protobuf objects feature by feature; for the thousands of outlet points a
city-zoom tile holds, and the clipped polygons of red lines and control units, that was most of
a tile's time. Tiles need only a fraction of the format (MoveTo/LineTo/ClosePath commands, a
key/value table shared by the layer), written here straight to bytes by `layer`, for any mix of
points, lines and polygons already in whole tile units (exterior rings
turned to a positive area and holes to a negative one, as the spec asks; repeated vertices
dropped, as `mapbox_vector_tile` drops them).

Spec: https://github.com/mapbox/vector-tile-spec/tree/master/2.1 (Tile.layers = 3; Layer:
name = 1, features = 2, keys = 3, values = 4, extent = 5, version = 15; Feature: tags = 2,
type = 3, geometry = 4; Value: string_value = 1, int_value = 4).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import shapely

_POINT, _LINE, _POLYGON = 1, 2, 3  # GeomType
_MOVE_TO_ONE = (1 << 3) | 1  # command MoveTo, count 1
_CLOSE_PATH = (1 << 3) | 7  # command ClosePath, count 1


def _varint(value: int) -> bytes:
    out = bytearray()
    while value > 0x7F:
        out.append((value & 0x7F) | 0x80)
        value >>= 7
    out.append(value)
    return bytes(out)


def _zigzag(value: int) -> int:
    return (value << 1) ^ (value >> 63)


def _field(tag: int, payload: bytes) -> bytes:
    """A length-delimited field (wire type 2) with number `tag`."""
    return _varint((tag << 3) | 2) + _varint(len(payload)) + payload


def _value(value: Any) -> bytes:
    if isinstance(value, bool) or not isinstance(value, (int, str)):
        raise TypeError(f"mvt: property values are text or whole numbers, not {value!r}")
    if isinstance(value, str):
        return _field(1, value.encode("utf-8"))
    if value < 0:
        raise ValueError(f"mvt: property values are not negative here, not {value}")
    return _varint((4 << 3) | 0) + _varint(value)  # int_value


def _part(xy: np.ndarray, cursor: list[int], ring: int) -> list[int]:
    """Commands of one line or ring (`ring`: 0 a line, 1 an exterior ring, -1 a hole) from
    `cursor` (moved to its last vertex); [] when nothing is left to draw."""
    xy = xy.astype(np.int64)
    if ring:  # turned by its signed area (shoelace over the closed ring), then opened
        x, y = xy[:, 0], xy[:, 1]
        if float(np.dot(x[:-1], y[1:]) - np.dot(x[1:], y[:-1])) * ring < 0:
            xy = xy[::-1]
        xy = xy[:-1]  # a ring's closing vertex: ClosePath draws it
    if len(xy) > 1:
        moved = np.any(xy[1:] != xy[:-1], axis=1)
        xy = xy[np.concatenate([[True], moved])]
    if len(xy) < 2:
        return []
    deltas = np.diff(np.vstack([cursor, xy]), axis=0)
    zig = ((deltas << 1) ^ (deltas >> 63)).ravel().tolist()
    cursor[:] = xy[-1].tolist()
    out = [_MOVE_TO_ONE, zig[0], zig[1], ((len(xy) - 1) << 3) | 2, *zig[2:]]
    return [*out, _CLOSE_PATH] if ring else out


def _geometry(geom: Any) -> tuple[int, list[int]]:
    """(GeomType, commands) of a point ``(x, y)`` or a shapely line or polygon (multi or not)."""
    if isinstance(geom, tuple):
        x, y = int(geom[0]), int(geom[1])
        return _POINT, [_MOVE_TO_ONE, _zigzag(x), _zigzag(y)]
    cursor = [0, 0]
    commands: list[int] = []
    kind = shapely.get_type_id(geom)
    parts = shapely.get_parts(geom) if kind in (5, 6) else [geom]  # Multi… → their parts
    if kind in (1, 5):  # LineString, MultiLineString
        for line in parts:
            commands += _part(shapely.get_coordinates(line), cursor, 0)
        return _LINE, commands
    if kind in (3, 6):  # Polygon, MultiPolygon
        for polygon in parts:
            outer = _part(shapely.get_coordinates(shapely.get_exterior_ring(polygon)), cursor, 1)
            if not outer:
                continue
            commands += outer
            for k in range(shapely.get_num_interior_rings(polygon)):
                hole = shapely.get_interior_ring(polygon, k)
                commands += _part(shapely.get_coordinates(hole), cursor, -1)
        return _POLYGON, commands
    return _POINT, []  # a geometry collection: nothing drawn (as mapbox_vector_tile does)


def layer(
    name: str, features: Sequence[tuple[Any, Mapping[str, Any]]], extent: int = 4096
) -> bytes:
    """One MVT tile holding one layer `name` of `features`: (geometry, properties) pairs, each
    geometry a point ``(x, y)`` or a shapely line or polygon, in whole tile units (y down, as
    slippy-map tiles are numbered), properties text or non-negative integers; features with
    nothing left to draw are left out, as `mapbox_vector_tile` leaves them. Tiles are lists of
    layers, so tiles of several layers join by concatenation."""
    keys: dict[str, int] = {}
    values: dict[tuple[type, Any], int] = {}
    body = bytearray()
    for geom, props in features:
        kind, commands = _geometry(geom)
        if not commands:
            continue
        tags = bytearray()
        for key, value in props.items():
            tags += _varint(keys.setdefault(key, len(keys)))
            tags += _varint(values.setdefault((type(value), value), len(values)))
        packed = b"".join(_varint(c) for c in commands)
        feature = _field(2, bytes(tags)) + b"\x18" + _varint(kind) + _field(4, packed)
        body += _field(2, feature)
    out = bytearray(_varint((15 << 3) | 0) + _varint(2))
    out += _field(1, name.encode("utf-8"))
    out += body
    out += b"".join(_field(3, key.encode("utf-8")) for key in keys)
    out += b"".join(_field(4, _value(value)) for _, value in values)
    out += _varint((5 << 3) | 0) + _varint(extent)
    return _field(3, bytes(out))
