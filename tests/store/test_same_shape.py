"""Issue 17 item 3: the same shape written differently is no change, in the diff and the history.

The store-level tests run on GeoPackage and on PostGIS (the `store` fixture in conftest.py).
"""

from __future__ import annotations

from pathlib import Path

import geopandas as gpd
import pytest
import shapely
from shapely import LineString, MultiPolygon, Point, Polygon

from geomon import importer, validate
from geomon.io import export
from geomon.store import Store
from geomon.store.merge import same_shapes

# a 0.1° square, exterior clockwise (as the store keeps it), starting at its south-west corner
CW = Polygon([(112.0, 30.0), (112.0, 30.1), (112.1, 30.1), (112.1, 30.0)])
CCW = Polygon([(112.0, 30.0), (112.1, 30.0), (112.1, 30.1), (112.0, 30.1)])  # RFC 7946 order
FROM_NE = Polygon([(112.1, 30.1), (112.1, 30.0), (112.0, 30.0), (112.0, 30.1)])  # other start
RIVER = LineString([(112.0, 30.0), (112.1, 30.05)])


@pytest.mark.parametrize(
    ("old", "new", "same"),
    [
        (CW, CCW, True),
        (CW, FROM_NE, True),
        (CW, MultiPolygon([CCW]), True),  # a one-part multi polygon is that polygon
        (CW, shapely.affinity.translate(CW, 3e-8), True),  # rounds to the same 1e-7° grid
        (CW, shapely.affinity.translate(CW, 2e-7), False),  # 2 cm further east: a real move
        (CW, MultiPolygon([CW, shapely.affinity.translate(CW, 1)]), False),
        (RIVER, LineString(RIVER.coords[::-1]), False),  # a river reversed flows the other way
        (Point(112, 30), shapely.MultiPoint([(112, 30)]), True),
        (None, None, True),
        (None, Point(112, 30), False),
    ],
)
def test_same_shapes_by_hand(old: object, new: object, same: bool) -> None:
    assert same_shapes([old], [new]).tolist() == [same]


def red_lines(geometry: list) -> gpd.GeoDataFrame:
    rows = [
        {"code": f"HX{i}", "name": f"红线{i}", "eco_type": "湿地"} for i in range(len(geometry))
    ]
    return validate.apply_dtypes(gpd.GeoDataFrame(rows, geometry=geometry, crs=4326), "red_lines")


def test_reimported_geojson_polygons_are_unchanged(store: Store, tmp_path: Path) -> None:
    two_parts = MultiPolygon([CW, shapely.affinity.translate(CW, 0.5)])
    store.write({"red_lines": red_lines([CW, MultiPolygon([CW]), two_parts])}, source="first")
    before = store.read("red_lines")
    path = tmp_path / "red_lines.geojson"
    path.write_bytes(export.export_bytes(before, "red_lines", "geojson"))
    assert "[112.0,30.0],[112.1,30.0],[112.1,30.1]" in path.read_text("utf-8")  # CCW now
    dry = importer.import_file(path, "red_lines", store, dry_run=True)
    assert dry.report.valid and dry.diff is not None
    assert (dry.diff.added, dry.diff.changed, len(dry.diff.unchanged)) == ([], [], 3)
    importer.import_file(path, "red_lines", store)
    assert list(store.history("red_lines")["op"]) == ["insert"] * 3  # no "update" records
    after = store.read("red_lines")
    assert shapely.equals_exact(after.geometry.values, before.geometry.values).all()  # kept as is


def test_a_real_move_is_one_geometry_change(store: Store, tmp_path: Path) -> None:
    store.write({"red_lines": red_lines([CW, CW])}, source="first")
    moved = red_lines([CCW, shapely.affinity.translate(CCW, 0.001)])
    path = tmp_path / "red_lines.geojson"
    path.write_bytes(export.export_bytes(moved, "red_lines", "geojson"))
    result = importer.import_file(path, "red_lines", store)
    assert result.diff is not None
    assert [(c.key, c.field) for c in result.diff.changed] == [(("HX1",), "geometry")]
    updates = store.history("red_lines").query("op == 'update'")
    assert list(updates["key"]) == ["HX1"] and list(updates["field"]) == ["geometry"]
