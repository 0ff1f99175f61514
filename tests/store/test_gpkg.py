"""What only the GeoPackage store does: its file stays byte-identical after a failed write, it
reports an unreadable file clearly, and it reads files written before versions and history.

The backend-neutral store tests (round trips, upserts, edits, history, as_of) are in
test_store.py and run on this backend too.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

import geopandas as gpd
import pandas as pd
import pyogrio
import pytest
from shapely import Point, box

from geomon import validate
from geomon.errors import StoreError
from geomon.store import Edit, GeoPackageStore, open_store


def outlets(*codes: str) -> gpd.GeoDataFrame:
    frame = gpd.GeoDataFrame(
        {
            "code": list(codes),
            "name": [f"排污口{c}" for c in codes],
            "type_l1": "工业排污口",
            "receiving_water": "汉江",
            "district": "东城区",
            "district_code": "429005",
            "stage": "已排查",
        },
        geometry=[Point(112.8 + i / 100, 30.4) for i in range(len(codes))],
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


def test_failed_write_leaves_the_file_byte_identical(store: GeoPackageStore) -> None:
    store.write({"outlets": outlets("A1")})
    before = digest(store.path)
    districts = gpd.GeoDataFrame(
        {"code": ["429005", "429005"], "name": ["东城区", "西城区"]},
        geometry=[box(112, 30, 113, 31), box(113, 30, 114, 31)],
        crs=4326,
    )
    with pytest.raises(StoreError, match=r"duplicate key"):
        store.write({"outlets": outlets("A9"), "districts": districts}, mode="append")
    with pytest.raises(StoreError, match=r"no row with key"):
        store.edit("outlets", [Edit("A9", {"stage": "已溯源"}, 1)], user="u")
    assert digest(store.path) == before
    assert not list(store.path.parent.glob(".*.tmp.gpkg"))


def test_history_and_meta_tables_are_not_layers(store: GeoPackageStore) -> None:
    store.write({"outlets": outlets("A1")})
    store.edit("outlets", [Edit("A1", {"stage": "已溯源"}, 1)], user="u")
    assert store.layer_names() == ["outlets"]
    assert {name for name, _ in pyogrio.list_layers(store.path)} == {
        "outlets",
        "geomon_layers",
        "geomon_history",
    }


def test_file_written_before_versions_and_history_is_read_and_edited(
    store: GeoPackageStore,
) -> None:
    # a layer as older geomon versions wrote it: no _version column, no history table
    pyogrio.write_dataframe(outlets("A1", "A2"), store.path, layer="outlets", driver="GPKG")
    back = store.read("outlets", with_versions=True)
    assert back["_version"].tolist() == [0, 0]
    assert len(store.history("outlets")) == 0
    result = store.edit("outlets", [Edit("A2", {"stage": "整治中"}, 0)], user="u")
    assert result.versions == {("A2",): 1}
    assert store.read("outlets", with_versions=True)["_version"].tolist() == [0, 1]
    # rows stored before history was kept count as always present
    assert store.as_of("outlets", "2000-01-01")["stage"].tolist() == ["已排查", "已排查"]
    assert list(store.read("outlets").columns) == list(store.as_of("outlets", "2000-01-01").columns)


def test_read_types_every_column_and_keeps_missing_values(store: GeoPackageStore) -> None:
    """A file another program wrote (columns in its own order, some missing, empty cells) reads
    as the spec types it; the store reads through Arrow (issue 7)."""
    raw = gpd.GeoDataFrame(
        {
            "name": ["甲", None],
            "code": ["A1", "A2"],
            "stage": ["已排查", None],
            "deadline": pd.to_datetime(["2023-06-30", None]),
            "sign_installed": pd.array([True, None], dtype="boolean"),
        },
        geometry=[Point(112.8, 30.4), None],
        crs=4326,
    )
    pyogrio.write_dataframe(raw, store.path, layer="outlets", driver="GPKG")
    monitoring = pd.DataFrame(
        {
            "section_code": ["S1", "S2"],
            "date": pd.to_datetime(["2023-01-10", "2023-02-10"]),
            "pH": [7.2, None],
        }
    )
    pyogrio.write_dataframe(monitoring, store.path, layer="monitoring", driver="GPKG")

    back = store.read("outlets")
    assert list(back.columns) == [*validate.get_spec("outlets").field_names, "geometry"]
    assert back.crs.to_epsg() == 4326
    assert [str(back[c].dtype) for c in ("code", "stage", "deadline", "sign_installed")] == [
        "str",
        "str",
        "datetime64[ms]",
        "boolean",
    ]
    assert back["code"].tolist() == ["A1", "A2"]
    assert back["name"].iloc[0] == "甲" and pd.isna(back["name"].iloc[1])
    assert back["stage"].iloc[0] == "已排查" and pd.isna(back["stage"].iloc[1])
    assert back["deadline"].iloc[0] == pd.Timestamp("2023-06-30")
    assert pd.isna(back["deadline"].iloc[1])
    assert back["sign_installed"].tolist()[0] is True
    assert pd.isna(back["sign_installed"].tolist()[1])
    assert back["local_code"].isna().all()  # not in the file
    assert back.geometry.iloc[0].equals(Point(112.8, 30.4))
    assert back.geometry.iloc[1] is None

    table = store.read("monitoring")
    assert not isinstance(table, gpd.GeoDataFrame)
    assert [str(table[c].dtype) for c in ("section_code", "date", "pH", "DO")] == [
        "str",
        "datetime64[ms]",
        "float64",
        "float64",
    ]
    assert table["date"].tolist() == [pd.Timestamp("2023-01-10"), pd.Timestamp("2023-02-10")]
    assert table["pH"].iloc[0] == 7.2 and pd.isna(table["pH"].iloc[1])
    assert table["DO"].isna().all()


def test_not_a_geopackage_is_a_clear_error(tmp_path: Path) -> None:
    bad = tmp_path / "bad.gpkg"
    bad.write_text("not sqlite", encoding="utf-8")
    with pytest.raises(StoreError, match=r"bad.gpkg: not a readable GeoPackage"):
        open_store(bad).layer_names()
