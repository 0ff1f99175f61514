"""The GeoPackage store: typed round trips, upserts with their diff, all-or-nothing writes."""

from __future__ import annotations

import hashlib
from pathlib import Path

import geopandas as gpd
import pandas as pd
import pytest
from shapely import Point, box

from geomon import validate
from geomon.errors import StoreError
from geomon.store import GeoPackageStore, open_store
from geomon.store.merge import FieldChange


def outlets(*rows: tuple[str, str, str]) -> gpd.GeoDataFrame:
    """Typed outlet rows from (code, stage, deadline)."""
    frame = gpd.GeoDataFrame(
        {
            "code": [r[0] for r in rows],
            "name": [f"排污口{r[0]}" for r in rows],
            "type_l1": "工业排污口",
            "receiving_water": "汉江",
            "district": "东城区",
            "district_code": "429005",
            "stage": [r[1] for r in rows],
            "deadline": pd.to_datetime([r[2] for r in rows]),
            "sign_installed": pd.array([True] * len(rows), dtype="boolean"),
        },
        geometry=[Point(112.8 + i / 100, 30.4) for i in range(len(rows))],
        crs=4326,
    )
    return validate.apply_dtypes(frame, "outlets")


def digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


@pytest.fixture
def store(tmp_path: Path) -> GeoPackageStore:
    return open_store(tmp_path / "s.gpkg")


def test_open_store_defaults_to_geopackage(tmp_path: Path) -> None:
    assert isinstance(open_store(tmp_path / "x.gpkg"), GeoPackageStore)


def test_missing_layer_reads_as_empty_typed_frame(store: GeoPackageStore) -> None:
    frame = store.read("outlets")
    assert len(frame) == 0
    assert frame.crs.to_epsg() == 4326
    assert list(frame.columns) == [*validate.get_spec("outlets").field_names, "geometry"]
    assert store.revision() == 0


def test_round_trip_keeps_types_and_values(store: GeoPackageStore) -> None:
    frame = outlets(("A1", "整治完成", "2023-06-30"), ("A2", "整治中", "2023-12-31"))
    frame.loc[1, "sign_installed"] = pd.NA
    store.write({"outlets": frame}, source="ledger.xlsx", version="v1")
    back = store.read("outlets")
    assert back["code"].tolist() == ["A1", "A2"]
    assert back["deadline"].tolist() == [pd.Timestamp("2023-06-30"), pd.Timestamp("2023-12-31")]
    assert back["sign_installed"].tolist()[0] is True
    assert pd.isna(back["sign_installed"].tolist()[1])
    assert back.geometry.iloc[1].equals(Point(112.81, 30.4))
    info = store.info("outlets")
    assert (info.rows, info.source, info.version, info.revision) == (2, "ledger.xlsx", "v1", 1)


def test_upsert_updates_in_place_and_appends_new(store: GeoPackageStore) -> None:
    store.write({"outlets": outlets(("A1", "已排查", "2023-06-30"), ("A2", "整治中", "2023-12-31"))})
    stats = store.write(
        {"outlets": outlets(("A2", "整治完成", "2023-12-31"), ("A3", "已溯源", "2024-06-30"))},
        mode="upsert",
    )["outlets"]
    back = store.read("outlets")
    assert back["code"].tolist() == ["A1", "A2", "A3"]
    assert back["stage"].tolist() == ["已排查", "整治完成", "已溯源"]
    assert (stats.rows_before, stats.rows_after, stats.added, stats.updated) == (2, 3, 1, 1)
    assert store.revision() == 2


def test_upsert_diff_matches_hand_made_diff(store: GeoPackageStore) -> None:
    from geomon.store import merge

    old = outlets(("A1", "已排查", "2023-06-30"), ("A2", "整治中", "2023-12-31"))
    new = outlets(("A1", "已排查", "2023-06-30"), ("A2", "整治完成", "2024-03-31"),
                  ("A3", "已溯源", "2024-06-30"))
    new.loc[new.index[1], "geometry"] = Point(112.81, 30.4)  # same place as before
    d = merge.diff(old, new, validate.get_spec("outlets"), mode="upsert")
    assert d.added == [("A3",)]
    assert d.unchanged == [("A1",)]
    assert d.changed == [
        FieldChange(("A2",), "stage", "整治中", "整治完成"),
        FieldChange(("A2",), "deadline", "2023-12-31", "2024-03-31"),
    ]


def test_replace_drops_rows_not_in_the_new_data(store: GeoPackageStore) -> None:
    store.write({"outlets": outlets(("A1", "已排查", "2023-06-30"), ("A2", "整治中", "2023-12-31"))})
    store.write({"outlets": outlets(("B1", "已排查", "2023-06-30"))}, mode="replace")
    assert store.read("outlets")["code"].tolist() == ["B1"]


def test_failed_multi_layer_write_changes_nothing(store: GeoPackageStore) -> None:
    store.write({"outlets": outlets(("A1", "已排查", "2023-06-30"))})
    before = digest(store.path)
    districts = gpd.GeoDataFrame(
        {"code": ["429005", "429005"], "name": ["东城区", "西城区"]},
        geometry=[box(112, 30, 113, 31), box(113, 30, 114, 31)],
        crs=4326,
    )
    with pytest.raises(StoreError, match=r"duplicate key\(s\) \[\['429005'\]\]"):
        store.write(
            {"outlets": outlets(("A9", "已排查", "2023-06-30")), "districts": districts},
            mode="append",
        )
    assert digest(store.path) == before
    assert store.layer_names() == ["outlets"]
    assert not list(store.path.parent.glob(".*.tmp.gpkg"))


def test_upsert_needs_a_key(store: GeoPackageStore) -> None:
    frame = pd.DataFrame({"section_code": ["S1"], "date": pd.to_datetime(["2023-01-10"])})
    store.write({"monitoring": frame}, mode="upsert")
    frame2 = pd.DataFrame(
        {"section_code": ["S1", "S1"], "date": pd.to_datetime(["2023-01-10", "2023-02-10"]),
         "pH": [7.1, 7.3]}
    )
    store.write({"monitoring": frame2}, mode="upsert")
    back = store.read("monitoring")
    assert back["pH"].tolist() == [7.1, 7.3]
    assert isinstance(back, pd.DataFrame) and not isinstance(back, gpd.GeoDataFrame)


def test_not_a_geopackage_is_a_clear_error(tmp_path: Path) -> None:
    bad = tmp_path / "bad.gpkg"
    bad.write_text("not sqlite", encoding="utf-8")
    with pytest.raises(StoreError, match=r"bad.gpkg: not a readable GeoPackage"):
        open_store(bad).layer_names()
