"""A small Mapbox Vector Tile (v2.1) writer for point layers: the hot path of panning a map.

`mapbox_vector_tile.encode` takes each feature as WKT or a shapely geometry plus a property
dict and builds protobuf objects feature by feature; for the thousands of outlet points a
city-zoom tile holds that was most of the tile's time. Points need only a fraction of the
format (one MoveTo per feature, a key/value table shared by the layer), written here straight
to bytes. Lines and polygons still go through `mapbox_vector_tile`.

Spec: https://github.com/mapbox/vector-tile-spec/tree/master/2.1 (Tile.layers = 3; Layer:
name = 1, features = 2, keys = 3, values = 4, extent = 5, version = 15; Feature: tags = 2,
type = 3, geometry = 4; Value: string_value = 1, int_value = 4).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

_POINT = 1  # GeomType.POINT
_MOVE_TO_ONE = (1 << 3) | 1  # command MoveTo, count 1


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


def point_layer(
    name: str,
    xs: Sequence[int],
    ys: Sequence[int],
    properties: Sequence[Mapping[str, Any]],
    extent: int = 4096,
) -> bytes:
    """One MVT tile holding one layer `name` of points at tile units (`xs`, `ys`; y down, as
    slippy-map tiles are numbered) with their `properties` (text or non-negative integers).

    Tiles are lists of layers, so tiles written here and by `mapbox_vector_tile` join by
    concatenation."""
    keys: dict[str, int] = {}
    values: dict[tuple[type, Any], int] = {}
    features = bytearray()
    for x, y, props in zip(xs, ys, properties, strict=True):
        tags = bytearray()
        for key, value in props.items():
            k = keys.setdefault(key, len(keys))
            v = values.setdefault((type(value), value), len(values))
            tags += _varint(k) + _varint(v)
        geometry = (
            _varint(_MOVE_TO_ONE) + _varint(_zigzag(int(x))) + _varint(_zigzag(int(y)))
        )  # fmt: skip
        feature = _field(2, bytes(tags)) + b"\x18" + _varint(_POINT) + _field(4, geometry)
        features += _field(2, feature)
    layer = bytearray(_varint((15 << 3) | 0) + _varint(2))  # version 2
    layer += _field(1, name.encode("utf-8"))
    layer += features
    layer += b"".join(_field(3, key.encode("utf-8")) for key in keys)
    layer += b"".join(_field(4, _value(value)) for _, value in values)
    layer += _varint((5 << 3) | 0) + _varint(extent)
    return _field(3, bytes(layer))
