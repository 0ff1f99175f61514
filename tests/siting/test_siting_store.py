"""A siting check against a store reads only the features near its projects (`Store.read_bbox`,
the store's spatial index) and finds what a check against the whole layers finds, on both
backends. Geometry is built in metres on EPSG:4547 (see test_siting.py)."""

from __future__ import annotations

from pathlib import Path

import geopandas as gpd
import pandas as pd
import pytest

from geomon import siting
from geomon.store import Store, open_store
from tests.siting.test_siting import WAREHOUSE, frame, projects, sq, zones


@pytest.fixture(params=["gpkg", pytest.param("postgis", marks=pytest.mark.postgis)])
def store(request: pytest.FixtureRequest, tmp_path: Path) -> Store:
    if request.param == "gpkg":
        yield open_store(tmp_path / "s.gpkg")
        return
    opened = open_store(request.getfixturevalue("postgis_url"))
    yield opened
    opened.dispose()


# the project is the square (0, 0)–(1000, 1000); Z1 overlaps half of it (500,000 m²), Z2 lies
# 400 m east of it (near, inside the 500 m buffer), Z3 is 4 km away
Z = zones(("二级", sq(500, -1000, 2000, 2000)), ("一级", sq(1400, 0, 1600, 200)),
          ("二级", sq(5000, 5000, 6000, 6000)))  # fmt: skip


def test_read_bbox_returns_the_features_whose_box_meets(store: Store) -> None:
    store.write({"protection_zones": Z})
    around = frame([{}], [sq(-1000, -1000, 2000, 2000)]).total_bounds  # lon/lat of that box

    near = store.read_bbox("protection_zones", tuple(around))

    assert sorted(near["code"]) == ["Z1", "Z2"]
    assert list(near.columns) == list(store.read("protection_zones").columns)
    assert near.crs.to_epsg() == 4326
    assert store.read_bbox("protection_zones", (0.0, 0.0, 1.0, 1.0)).empty  # the Gulf of Guinea


def test_check_against_the_store_reads_near_features_and_agrees(store: Store) -> None:
    store.write({"protection_zones": Z}, source="水源地批复.shp")
    project = projects((sq(0, 0, 1000, 1000), WAREHOUSE))

    stored = siting.check(project, store)
    whole = siting.check(project, {"protection_zones": Z})

    conflicts = stored.conflicts.set_index("feature_id")
    assert sorted(conflicts.index) == ["Z1", "Z2"]
    assert conflicts.loc["Z1", "overlap_area_m2"] == pytest.approx(500_000.0, rel=1e-4)
    assert conflicts.loc["Z2", "relation"] == "near"
    assert conflicts.loc["Z2", "distance_m"] == pytest.approx(400.0, abs=0.5)
    columns = ["feature_id", "relation", "overlap_area_m2", "distance_m", "verdict"]
    pd.testing.assert_frame_equal(
        stored.conflicts[columns].reset_index(drop=True),
        whole.conflicts[columns].reset_index(drop=True),
    )
    zones_source = {s.layer: s for s in stored.sources}["protection_zones"]
    assert zones_source.rows == 3  # the stored layer's rows, not the two read near the project


def test_check_of_projects_far_apart_reads_what_lies_between(store: Store) -> None:
    store.write({"protection_zones": Z})
    # one project at each end: the box spans both, Z3 included
    both = projects((sq(0, 0, 1000, 1000), WAREHOUSE), (sq(5200, 5200, 5400, 5400), WAREHOUSE))

    result = siting.check(both, store)

    hit = result.conflicts.groupby("project")["feature_id"].apply(sorted).to_dict()
    assert hit == {0: ["Z1", "Z2"], 1: ["Z3"]}
    assert isinstance(result.features, gpd.GeoDataFrame)
