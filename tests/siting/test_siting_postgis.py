"""On a PostGIS store the siting check measures in the database (`PostGISStore.measure_near`,
geomon/store/_siting_pg.py) and gives what the in-memory check gives; a GeoPackage store (no
`measure_near`) is read near the projects and measured in memory. Geometry is built in metres
on EPSG:4547 (see test_siting.py), so every figure below is worked out on paper.
"""

from __future__ import annotations

from pathlib import Path

import geopandas as gpd
import pandas as pd
import pytest
from shapely import LineString, Point

from geomon import siting
from geomon.siting import _check
from geomon.store import open_store
from tests.siting.test_siting import WAREHOUSE, gk, projects, red_lines, sq, units, zones

# The projects: P1 the square (0, 0)–(1000, 1000); P2 a point at (1700, 100); P3 a line from
# (-500, 500) to (450, 500), 950 m long, ending 50 m short of Z1's west edge.
PROJECTS = projects(
    (sq(0, 0, 1000, 1000), WAREHOUSE),
    (Point(gk(1700, 100)), WAREHOUSE),
    (LineString([gk(-500, 500), gk(450, 500)]), WAREHOUSE),
)
LAYERS = {
    # R1 covers every project
    "red_lines": red_lines(sq(-2000, -2000, 3000, 3000)),
    # Z1 covers P1's east half (500,000 m²) and P2; Z2 lies 400 m east of P1, 100 m west of P2
    "protection_zones": zones(("二级", sq(500, -1000, 2000, 2000)),
                              ("一级", sq(1400, 0, 1600, 200))),
    # U1 covers P1's west 300 m (300,000 m²) and 800 m of P3; U2 lies 200 m from P1, but control
    # units report no near features
    "control_units": units(("重点管控单元", sq(-5000, -5000, 300, 5000)),
                           ("一般管控单元", sq(1200, 1200, 1300, 1300))),
}  # fmt: skip

# (project, layer, feature): relation, GK overlap (m² for P1, m for P3), share, GK distance (m)
EXPECTED = {
    (0, "red_lines", "R1"): ("inside", 1_000_000.0, 1.0, 0.0),
    (0, "protection_zones", "Z1"): ("overlaps", 500_000.0, 0.5, 0.0),
    (0, "protection_zones", "Z2"): ("near", 0.0, 0.0, 400.0),
    (0, "control_units", "U1"): ("overlaps", 300_000.0, 0.3, 0.0),
    (1, "red_lines", "R1"): ("inside", 0.0, 1.0, 0.0),
    (1, "protection_zones", "Z1"): ("inside", 0.0, 1.0, 0.0),
    (1, "protection_zones", "Z2"): ("near", 0.0, 0.0, 100.0),
    (2, "red_lines", "R1"): ("inside", 950.0, 1.0, 0.0),
    (2, "protection_zones", "Z1"): ("near", 0.0, 0.0, 50.0),
    (2, "control_units", "U1"): ("overlaps", 800.0, 800 / 950, 0.0),
}


def found(result: siting.SitingResult) -> dict[tuple, tuple]:
    out = {}
    for c in result.conflicts.itertuples():
        overlap = c.overlap_area_m2 if c.project == 0 else c.overlap_length_m
        out[(c.project, c.layer, c.feature_id)] = (
            c.relation,
            round(overlap, 1),
            round(c.overlap_ratio, 4),
            round(c.distance_m, 1),
        )
    return out


def assert_same_result(got: siting.SitingResult, memory: siting.SitingResult) -> None:
    """Everything the in-memory check says, to a thousandth of a metre or square metre: the
    database's geodesic figures are on the WGS 84 spheroid, pyproj's on CGCS2000's, whose
    flattening differs in the 9th digit (feature_row numbers the features read from the store,
    not the whole layer)."""
    columns = [c for c in memory.conflicts.columns if c != "feature_row"]
    pd.testing.assert_frame_equal(
        got.conflicts[columns], memory.conflicts[columns], rtol=1e-9, atol=1e-3, check_exact=False
    )
    pd.testing.assert_frame_equal(got.projects, memory.projects)
    pd.testing.assert_frame_equal(
        got.features.drop(columns=["feature_row", "geometry"]),
        memory.features.drop(columns=["feature_row", "geometry"]),
    )
    assert got.features.geometry.geom_equals_exact(memory.features.geometry, 1e-9).all()


def test_the_hand_made_layers_give_the_figures_worked_out_by_hand() -> None:
    result = siting.check(PROJECTS, LAYERS)

    got = found(result)
    assert got.keys() == EXPECTED.keys()
    for key, (relation, overlap, ratio, distance) in EXPECTED.items():
        assert got[key][0] == relation, key
        assert got[key][1] == pytest.approx(overlap, rel=1e-4, abs=0.1), key
        assert got[key][2] == pytest.approx(ratio, rel=1e-4), key
        assert got[key][3] == pytest.approx(distance, abs=0.5), key
    assert list(result.projects["verdict"]) == ["prohibited", "prohibited", "prohibited"]


def test_the_conflicting_features_frame() -> None:
    """One row per feature, layers in the rule table's order; a red line has no level, so that
    column mixes missing values and texts (object), the others are texts."""
    features = siting.check(PROJECTS, LAYERS).features

    assert list(zip(features["layer"], features["feature_id"], strict=True)) == [
        ("red_lines", "R1"), ("protection_zones", "Z1"), ("protection_zones", "Z2"),
        ("control_units", "U1"),
    ]  # fmt: skip
    assert features["level"].tolist()[1:] == ["二级", "一级", "重点管控单元"]
    assert features["level"].isna().tolist() == [True, False, False, False]
    assert [str(t) for t in features.dtypes.iloc[:5]] == ["str", "int64", "str", "str", "object"]
    assert features.crs.to_epsg() == 4326


@pytest.mark.postgis
def test_postgis_measures_in_the_database_and_agrees_with_memory(postgis_url: str) -> None:
    store = open_store(postgis_url)
    try:
        store.write(LAYERS, source="手工图层.gpkg", version="v1")
        memory = siting.check(PROJECTS, LAYERS)

        got = siting.check(PROJECTS, store)

        assert_same_result(got, memory)
        assert found(got).keys() == EXPECTED.keys()
        assert got.conflicts["overlap_area_geodesic_m2"].max() == pytest.approx(1e6, rel=0.005)
        assert {s.layer: (s.rows, s.source, s.version) for s in got.sources} == {
            "red_lines": (1, "手工图层.gpkg", "v1"),
            "protection_zones": (2, "手工图层.gpkg", "v1"),
            "control_units": (2, "手工图层.gpkg", "v1"),
        }
    finally:
        store.dispose()


@pytest.mark.postgis
def test_postgis_measure_near_gives_the_raw_pairs(postgis_url: str) -> None:
    """The store's own answer for the square: the features within 500 m, measured in SQL."""
    store = open_store(postgis_url)
    try:
        store.write(LAYERS)
        geoms = PROJECTS.geometry.to_numpy()[:1]
        epsg = siting.measure.zone_epsg(geoms)

        out = store.measure_near(
            geoms,
            epsg,
            ["protection_zones", "control_units", "lakes"],
            buffer_m=500.0,
            near={"protection_zones": True, "control_units": False, "lakes": True},
            fields={"protection_zones": ("code", "level"), "control_units": ("code",)},
        )

        zones_found, info = out["protection_zones"]
        assert info is not None and info.rows == 2
        codes = zones_found.fields["code"][zones_found.columns["feature"]]
        assert dict(zip(codes, zones_found.columns["relation"], strict=True)) == {
            "Z1": "overlaps",
            "Z2": "near",
        }
        assert list(zones_found.fields["level"]) == ["二级", "一级"]  # stored order
        assert sorted(zones_found.columns["distance_m"]) == pytest.approx([0.0, 400.0], abs=0.5)
        assert sorted(zones_found.columns["overlap_area_m2"]) == pytest.approx(
            [0.0, 500_000.0], rel=1e-4
        )
        units_found, _ = out["control_units"]
        assert list(units_found.fields["code"]) == ["U1"]  # U2 is only near
        assert out["lakes"] == (None, None)  # not stored
    finally:
        store.dispose()


@pytest.mark.postgis
def test_many_projects_are_read_near_and_measured_in_memory_alike(
    postgis_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Above `STORE_MEASURES_UP_TO` projects the store is read near them (`read_bbox`) and
    measured in memory: the same result either way."""
    store = open_store(postgis_url)
    try:
        store.write(LAYERS)
        in_database = siting.check(PROJECTS, store)
        monkeypatch.setattr(_check, "STORE_MEASURES_UP_TO", 2)

        read_near = siting.check(PROJECTS, store)

        assert_same_result(in_database, read_near)
        assert in_database.sources == read_near.sources
    finally:
        store.dispose()


def test_geopackage_store_is_read_near_and_measured_in_memory(tmp_path: Path) -> None:
    store = open_store(tmp_path / "s.gpkg")
    store.write(LAYERS)
    assert not hasattr(store, "measure_near")

    got = siting.check(PROJECTS, store)

    assert_same_result(got, siting.check(PROJECTS, LAYERS))
    assert isinstance(got.features, gpd.GeoDataFrame)
