"""Data versions and dated changes on every backend (issue 9): `Store.versions`, ``at=``.

A labelled write is kept as a version (label, source, user, rows, revision, time), so two versions
of a red-line layer can each be rebuilt with `Store.as_of`; ``at=`` dates a write or an edit in
the past (loading dated snapshots, building a known history), never before a recorded change and
never in the future.
"""

from __future__ import annotations

import datetime as dt
import shutil
from pathlib import Path

import geopandas as gpd
import pytest
from geopandas.testing import assert_geodataframe_equal
from shapely import box

from geomon import validate
from geomon.errors import StoreError
from geomon.store import VERSIONS_COLUMNS, Edit, Store, open_store

DEMO = Path(__file__).parents[2] / "data" / "demo.gpkg"


def red_lines(*rows: tuple[str, float]) -> gpd.GeoDataFrame:
    """Red lines (code, east edge in km) as 1 km tall boxes on the GK plane, in EPSG:4326."""
    frame = gpd.GeoDataFrame(
        {"code": [r[0] for r in rows], "name": [f"红线{r[0]}" for r in rows]},
        geometry=[box(400_000, 3_365_000, 400_000 + 1000 * r[1], 3_366_000) for r in rows],
        crs=4547,
    ).to_crs(4326)
    return validate.apply_dtypes(frame, "red_lines")


V2023 = red_lines(("R1", 1.0), ("R2", 2.0))
V2024 = red_lines(("R1", 1.5), ("R3", 3.0))  # R1 enlarged, R2 dropped, R3 added


def test_labelled_writes_are_versions_rebuilt_with_as_of(store: Store) -> None:
    store.write({"red_lines": V2023}, source="批复.shp", version="红线 2023 批复版", user="甲",
                at="2023-03-01T02:00:00+00:00")  # fmt: skip
    store.write({"red_lines": V2024}, source="调整.shp", version="红线 2024 调整版", user="乙",
                at="2024-05-01T02:00:00+00:00")  # fmt: skip
    store.edit("red_lines", [Edit("R3", {"name": "改名"}, 2)], user="丙",
               at="2024-06-01T00:00:00+00:00")  # fmt: skip
    store.write({"red_lines": V2024.iloc[:1]}, mode="upsert", user="丁")  # unlabelled: no record

    versions = store.versions("red_lines")
    assert list(versions.columns) == list(VERSIONS_COLUMNS)
    assert versions.drop(columns="layer").to_dict("records") == [
        {"revision": 1, "at": "2023-03-01T02:00:00.000000+00:00", "version": "红线 2023 批复版",
         "source": "批复.shp", "user": "甲", "rows": 2},
        {"revision": 2, "at": "2024-05-01T02:00:00.000000+00:00", "version": "红线 2024 调整版",
         "source": "调整.shp", "user": "乙", "rows": 2},
    ]  # fmt: skip
    for row, expected in zip(versions.itertuples(), (V2023, V2024), strict=True):
        assert_geodataframe_equal(store.as_of("red_lines", row.at), expected)
    assert store.read("red_lines")["name"].tolist() == ["红线R1", "改名"]
    assert len(store.versions("protection_zones")) == 0  # not stored: no version


def test_at_dates_writes_edits_and_import_time(store: Store) -> None:
    store.write({"red_lines": V2023}, version="v1", at=dt.date(2023, 3, 1))
    beijing = dt.timezone(dt.timedelta(hours=8))
    store.edit("red_lines", [Edit("R1", {"name": "甲"}, 1)], user="u",
               at=dt.datetime(2023, 3, 2, 8, 0, tzinfo=beijing))  # fmt: skip
    history = store.history("red_lines")
    assert history["at"].tolist() == [
        "2023-03-01T23:59:59.999999+00:00",  # a date is the end of that day (UTC), as in as_of
        "2023-03-01T23:59:59.999999+00:00",
        "2023-03-02T00:00:00.000000+00:00",  # 08:00 Beijing time
    ]
    assert store.info("red_lines").imported_at == "2023-03-01T23:59:59+00:00"
    assert store.as_of("red_lines", "2023-03-01")["name"].tolist() == ["红线R1", "红线R2"]


@pytest.mark.parametrize(
    ("at", "match"),
    [
        pytest.param("2023-03-01T02:00:00+00:00", "not after the latest", id="same-time"),
        pytest.param("2022-01-01", "not after the latest", id="earlier"),
        pytest.param(dt.datetime.now(dt.UTC) + dt.timedelta(days=1), "in the future", id="future"),
        pytest.param("01/03/2024", "not an ISO date", id="unreadable"),
    ],
)
def test_at_refused_out_of_order_and_nothing_changes(store: Store, at: object, match: str) -> None:
    store.write({"red_lines": V2023}, version="v1", at="2023-03-01T02:00:00+00:00")
    with pytest.raises(StoreError, match=match):
        store.write({"red_lines": V2024}, version="v2", at=at)
    with pytest.raises(StoreError, match=match):
        store.edit("red_lines", [Edit("R1", {"name": "甲"}, 1)], user="u", at=at)
    assert store.revision() == 1
    assert len(store.versions("red_lines")) == 1
    assert_geodataframe_equal(store.read("red_lines"), V2023)


def test_unlabelled_layer_has_its_info_as_version_and_keeps_it_when_labelled(
    store: Store,
) -> None:
    store.write({"red_lines": V2023}, source="旧.shp", at="2023-03-01T02:00:00+00:00")
    only = store.versions("red_lines")
    assert only[["revision", "version", "source", "rows"]].to_dict("records") == [
        {"revision": 1, "version": None, "source": "旧.shp", "rows": 2}
    ]
    store.write({"red_lines": V2024}, version="v2", at="2024-05-01T02:00:00+00:00")
    versions = store.versions("red_lines")
    # the state before the first labelled write is kept, dated at its last change
    assert versions[["revision", "at", "version"]].to_dict("records") == [
        {"revision": 1, "at": "2023-03-01T02:00:00.000000+00:00", "version": None},
        {"revision": 2, "at": "2024-05-01T02:00:00.000000+00:00", "version": "v2"},
    ]
    assert_geodataframe_equal(store.as_of("red_lines", versions["at"].iloc[0]), V2023)


def test_store_from_before_versions_keeps_its_version(tmp_path: Path) -> None:
    """The demo file has no history and no version table: its label survives a new version."""
    path = tmp_path / "demo.gpkg"
    shutil.copyfile(DEMO, path)
    store = open_store(path)
    original = store.read("red_lines")
    before = store.versions("red_lines")
    assert before[["revision", "version", "rows"]].to_dict("records") == [
        {"revision": 1, "version": "演示数据 2023H1", "rows": 4}
    ]
    revised = original.copy()
    revised.loc[0, "geometry"] = revised.geometry.iloc[0].buffer(0.001)
    store.write({"red_lines": revised}, version="红线 2024 调整版")
    versions = store.versions("red_lines")
    assert versions["version"].tolist() == ["演示数据 2023H1", "红线 2024 调整版"]
    assert versions["at"].iloc[0] == before["at"].iloc[0]  # the import time, as history text
    assert_geodataframe_equal(store.as_of("red_lines", versions["at"].iloc[0]), original)
    assert_geodataframe_equal(store.as_of("red_lines", versions["at"].iloc[1]), revised)
