"""Vector tiles cut from hand-made layers at known z/x/y (`geomon.mapview.tiles`).

Positions are worked out from the inverse Mercator formula, lat = atan(sinh(π(1 − 2y))), the
other way round from the code's forward formula: the point (45°E, 40.97990°N) is at unit
(0.625, 0.375), the centre of tile z2/2/1 (tile units 2048, 2048).
"""

from __future__ import annotations

import itertools
import math

import geopandas as gpd
import mapbox_vector_tile
import mercantile
import numpy as np
import pytest
from shapely import Point, box

from geomon.mapview import LayerStyle, mvt, tiles
from geomon.specs import get_spec
from geomon.validate import apply_dtypes


def _lat(unit_y: float) -> float:
    return math.degrees(math.atan(math.sinh(math.pi * (1 - 2 * unit_y))))


def _decode(body: bytes, layer: str) -> list[dict]:
    tile = mapbox_vector_tile.decode(body, default_options={"y_coord_down": True})
    return tile.get(layer, {}).get("features", [])


def _outlets(points: list[tuple[float, float]], **columns) -> gpd.GeoDataFrame:
    rows = [{"code": f"O{i}", "stage": "整治中", **{k: v[i] for k, v in columns.items()}}
            for i in range(len(points))]  # fmt: skip
    return apply_dtypes(gpd.GeoDataFrame(rows, geometry=[Point(p) for p in points], crs=4326),
                        "outlets")  # fmt: skip


def test_point_at_the_centre_of_its_tile() -> None:
    src = tiles.tile_source("outlets", _outlets([(45.0, _lat(0.375))]), get_spec("outlets"))

    (feature,) = _decode(src.tile(2, 2, 1), "outlets")
    assert feature["geometry"]["coordinates"] == [2048, 2048]
    assert feature["properties"]["i"] == "O0"
    # 整治中 is the 5th colour of layers/outlets.toml after the default (#888888): index 5
    assert feature["properties"]["s"] == 10
    assert _decode(src.tile(2, 1, 1), "outlets") == []  # the neighbour tile holds nothing
    assert _decode(src.tile(2, 2, 2), "outlets") == []


def test_point_on_an_edge_is_in_both_tiles_within_the_buffer() -> None:
    # unit x 0.5 is the edge between z1 tiles x=0 and x=1
    src = tiles.tile_source("outlets", _outlets([(0.0, _lat(0.75))]), get_spec("outlets"))

    left, right = _decode(src.tile(1, 0, 1), "outlets"), _decode(src.tile(1, 1, 1), "outlets")

    assert left[0]["geometry"]["coordinates"] == [4096, 2048]
    assert right[0]["geometry"]["coordinates"] == [0, 2048]


def test_polygon_is_clipped_to_the_tile_plus_buffer() -> None:
    # lon −90…90, lat 0…40.98° is unit x 0.25…0.75, y 0.375…0.5; tile z1/1/0 spans x 0.5…1,
    # y 0…0.5, so the square lies at tile x −0.5…0.5 → clipped at the buffer −64; y 3072…4096
    square = box(-90.0, 0.0, 90.0, _lat(0.375))
    frame = apply_dtypes(
        gpd.GeoDataFrame([{"code": "Z1", "name": "一级区", "level": "一级保护区"}],
                         geometry=[square], crs=4326), "protection_zones")  # fmt: skip

    src = tiles.tile_source("protection_zones", frame, get_spec("protection_zones"))
    (feature,) = _decode(src.tile(1, 1, 0), "protection_zones")

    ring = np.array(feature["geometry"]["coordinates"][0])
    assert feature["geometry"]["type"] == "Polygon"
    assert ring[:, 0].min() == -tiles.BUFFER
    assert ring[:, 0].max() == 2048
    assert (ring[:, 1].min(), ring[:, 1].max()) == (3072, 4096)
    assert feature["properties"]["i"] == "Z1"


def test_dense_tiles_are_aggregated_and_counts_add_up() -> None:
    rng = np.random.default_rng(7)
    n = 1_000  # > CLUSTER_POINTS, inside tile z5/25/13 (lon 101.25…112.5, lat 27.06…31.95)
    lon, lat = rng.uniform(102, 112, n), rng.uniform(28, 31, n)
    overdue = np.zeros(n, dtype=bool)
    overdue[:37] = True
    frame = _outlets(list(zip(lon, lat, strict=True)))
    frame["overdue"] = overdue
    style = tiles.mv.LayerStyle("stage", get_spec("outlets").style.colors, ring="overdue")
    src = tiles.tile_source("outlets", frame, get_spec("outlets"), style)

    cells = _decode(src.tile(5, 25, 13), "outlets")
    singles = _decode(src.tile(tiles.CLUSTER_MAX_ZOOM, 0, 0), "outlets")  # far away: empty

    counted = sum(f["properties"].get("n", 1) for f in cells)
    ringed = sum(f["properties"].get("r", f["properties"].get("s", 0) % 2) for f in cells)
    assert counted == n
    assert ringed == 37
    assert len(cells) < n / 2
    assert singles == []


def test_palette_is_fixed_by_the_style_not_the_data() -> None:
    spec = get_spec("outlets")
    assert tiles.palette(spec, None) == ["#888888", "#d73027", "#f46d43", "#fdae61", "#fee08b",
                                         "#74add1", "#1a9850", "#006837"]  # fmt: skip
    one = _outlets([(114.0, 30.0)], stage=["已销号"])
    assert tiles.style_codes(one, spec, None).tolist() == [14]


@pytest.mark.parametrize(("z", "x", "y", "ok"), [(0, 0, 0, True), (3, 7, 7, True),
                                                 (3, 8, 0, False), (-1, 0, 0, False)])  # fmt: skip
def test_valid_tile(z: int, x: int, y: int, ok: bool) -> None:
    assert tiles.valid_tile(z, x, y) is ok


def _zone(geom) -> gpd.GeoDataFrame:
    return apply_dtypes(
        gpd.GeoDataFrame([{"code": "Z1", "name": "一级区", "level": "一级保护区"}],
                         geometry=[geom], crs=4326), "protection_zones")  # fmt: skip


def test_a_shape_too_small_to_see_is_sent_as_a_point() -> None:
    # a 0.001° square at the centre of z2/2/1 (45°E, 40.98°N): ~0.7 px at z10 (1 px = 1/262144 of
    # the world = 0.00137° of longitude), so a dot at the box centre (2048, 2048) at z2; at z16 a
    # 0.001° square spans ~190 px, a polygon
    lat = _lat(0.375)
    square = box(45 - 5e-4, lat - 5e-4, 45 + 5e-4, lat + 5e-4)
    src = tiles.tile_source("protection_zones", _zone(square), get_spec("protection_zones"))

    (dot,) = _decode(src.tile(2, 2, 1), "protection_zones")
    x16, y16 = 2 * 2**14 + 2**13, 2**14 + 2**13  # the z16 tile holding unit (0.625, 0.375)
    (shape,) = _decode(src.tile(16, x16, y16), "protection_zones")

    assert dot["geometry"] == {"type": "Point", "coordinates": [2048, 2048]}
    assert dot["properties"]["i"] == "Z1"
    assert shape["geometry"]["type"] == "Polygon"


def test_dense_layers_wait_for_their_min_zoom() -> None:
    spec = get_spec("control_units")
    assert spec.style.min_zoom == 8  # layers/control_units.toml
    row = {"code": "U1", "name": "单元", "unit_type": "优先保护单元"}
    frame = gpd.GeoDataFrame([row], geometry=[box(114.2, 30.5, 114.4, 30.7)], crs=4326)
    frame = apply_dtypes(frame, "control_units")
    src = tiles.tile_source("control_units", frame, spec)
    below, at = (mercantile_tile(114.3, 30.6, z) for z in (7, 8))

    assert _decode(src.tile(*below), "control_units") == []
    assert len(_decode(src.tile(*at), "control_units")) == 1


def mercantile_tile(lon: float, lat: float, z: int) -> tuple[int, int, int]:
    t = mercantile.tile(lon, lat, z)
    return t.z, t.x, t.y


def test_covering_lists_the_opening_view_tiles() -> None:
    # China 73.5–135°E spans 0.1708 of the world: a map 800–1600 px wide fits it at zoom 4
    # (800 / (256 × 0.1708) = 18.3 → 2^4) to 5 (36.6 → 2^5); the tiles are those mercantile gives
    box = (18.0, 73.5, 53.5, 134.9)
    got = tiles.covering(box, (800, 1600))
    for z in (4, 5):
        want = {(t.z, t.x, t.y) for t in mercantile.tiles(73.5, 18.0, 134.9, 53.5, z)}
        assert {t for t in got if t[0] == z} == want
    assert {t[0] for t in got} == {4, 5}


def test_points_flagged_by_the_alert_column_carry_a() -> None:
    """A style's ``alert`` column (sections with an open alert) sends ``a`` = 1 on its points
    only; the style code (colour × ring) is unchanged."""
    frame = _outlets([(45.0, _lat(0.375)), (45.1, _lat(0.375))], flag=[True, False])
    own = LayerStyle(color_by="stage", colors={}, alert="flag")
    src = tiles.tile_source("outlets", frame, get_spec("outlets"), own)

    features = {
        f["properties"]["i"]: f["properties"] for f in _decode(src.tile(2, 2, 1), "outlets")
    }
    assert features["O0"].get("a") == 1
    assert "a" not in features["O1"]
    plain = tiles.tile_source("outlets", frame, get_spec("outlets"))  # no alert column styled
    assert all("a" not in f["properties"] for f in _decode(plain.tile(2, 2, 1), "outlets"))


def test_point_tiles_decode_as_the_reference_encoder_writes_them() -> None:
    """`geomon.mapview.mvt.layer` with points (the outlets' tiles) against the
    `mapbox_vector_tile` encoder: the same features, coordinates and properties, in order; and
    the bytes of a joined tile (points + shapes) decode as both layers."""
    xs, ys = [0, 2048, 4095, -64, 4159], [0, 2048, 1, 4159, -64]  # corners and the buffer
    props = [{"i": "JH-入河-001", "s": 3}, {"i": "O2", "s": 0, "a": 1}, {"n": 12, "r": 5},
             {"i": "", "s": 2}, {"n": 300, "r": 0}]  # fmt: skip
    ours = mvt.layer("outlets", list(zip(zip(xs, ys, strict=True), props, strict=True)))
    reference = mapbox_vector_tile.encode(
        [{"name": "outlets", "features": [
            {"geometry": f"POINT ({x} {y})", "properties": p}
            for x, y, p in zip(xs, ys, props, strict=True)]}],
        default_options={"extents": 4096, "y_coord_down": True},
    )  # fmt: skip

    got, want = _decode(ours, "outlets"), _decode(reference, "outlets")
    where = [f["geometry"]["coordinates"] for f in got]
    assert where == [list(p) for p in zip(xs, ys, strict=True)]
    assert [f["properties"] for f in got] == props
    assert got == want
    joined = ours + mapbox_vector_tile.encode(
        [{"name": "zones", "features": [{"geometry": "POLYGON ((0 0, 10 0, 10 10, 0 0))",
                                         "properties": {"i": "Z1"}}]}])  # fmt: skip
    both = mapbox_vector_tile.decode(joined, default_options={"y_coord_down": True})
    assert set(both) == {"outlets", "zones"} and len(both["outlets"]["features"]) == 5
    assert _decode(mvt.layer("empty", []), "empty") == []


@pytest.mark.parametrize("bad", [{"i": 1.5}, {"i": None}, {"s": -1}, {"s": True}])
def test_tile_layers_refuse_values_they_cannot_write(bad: dict) -> None:
    with pytest.raises((TypeError, ValueError)):
        mvt.layer("outlets", [((1, 1), bad)])


def test_shape_layer_bytes_decode_as_the_reference_encoder_writes_them() -> None:
    """`geomon.mapview.mvt.layer` (lines and polygons of the tiles) against the
    `mapbox_vector_tile` encoder: the same features in order, rings turned as the spec asks
    (exterior positive area in tile units, holes negative) whichever way they were drawn,
    repeated vertices dropped."""
    from shapely import LineString, MultiLineString, MultiPolygon, Polygon

    clockwise = Polygon([(0, 0), (0, 100), (100, 100), (100, 0)])  # drawn the other way round
    holed = Polygon([(200, 200), (400, 200), (400, 400), (200, 400)],
                    [[(250, 250), (350, 250), (350, 350), (250, 350)]])  # fmt: skip
    features = [
        (clockwise, {"i": "RL-1", "s": 0}),
        (holed, {"i": "RL-2", "s": 1}),
        (MultiPolygon([clockwise, Polygon([(500, 500), (600, 500), (600, 600)])]), {"i": "M"}),
        (LineString([(0, 0), (0, 0), (10, 5), (10, 5), (-64, 4159)]), {"i": "R1", "s": 2}),
        (MultiLineString([[(1, 1), (2, 2)], [(3, 3), (4, 9)]]), {"i": "R2"}),
        ((2048, 2048), {"i": "dot", "s": 4}),
    ]
    ours = mvt.layer("zones", features)
    reference = mapbox_vector_tile.encode(
        [{"name": "zones", "features": [
            {"geometry": g if not isinstance(g, tuple) else f"POINT ({g[0]} {g[1]})",
             "properties": p} for g, p in features]}],
        default_options={"extents": 4096, "y_coord_down": True},
    )  # fmt: skip

    got, want = _decode(ours, "zones"), _decode(reference, "zones")
    assert got == want
    assert [f["geometry"]["type"] for f in got] == [
        "Polygon", "Polygon", "MultiPolygon", "LineString", "MultiLineString", "Point"]  # fmt: skip
    assert got[3]["geometry"]["coordinates"] == [[0, 0], [10, 5], [-64, 4159]]  # repeats dropped
    ring = got[0]["geometry"]["coordinates"][0]  # the decoder closes the ring again
    area = sum(x0 * y1 - x1 * y0 for (x0, y0), (x1, y1) in itertools.pairwise(ring))
    assert area > 0  # exterior: positive area in tile units (y down), as MVT 2.1 asks
