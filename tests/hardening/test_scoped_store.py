"""Jurisdiction scoping in the store layer, on GeoPackage and PostGIS (GH issue 8).

A county user reads and changes only their county's rows (by district code, else by location,
monitoring through its section); a city-level user sees all; every refusal leaves the store
exactly as it was and names the rows and the areas.

Hand-made layout (EPSG:4326): 明珠区 429902 is the box 112.81–113.04 E, 沙洲区 429903 the box
113.05–113.24 E (both 30.29–30.51 N), and the township 429903001 the box 113.10–113.20 E,
30.35–30.45 N inside 沙洲区. Outlet A lies in 明珠区; B in the township; C in 沙洲区 outside it.
"""

from __future__ import annotations

from typing import Any

import geopandas as gpd
import pandas as pd
import pytest
from hardhelp import MINGZHU, SHAZHOU, USERS
from pandas.testing import assert_frame_equal
from shapely import LineString, Point, box

from geomon import importer
from geomon.access.auth import User
from geomon.access.scoped import ScopedStore, scope_mask
from geomon.errors import AccessDeniedError
from geomon.store import Edit, Store
from geomon.validate import apply_dtypes

TOWNSHIP = box(113.10, 30.35, 113.20, 30.45)
CITY, SHAZHOU_USER, MINGZHU_USER = (
    USERS["city_editor"],
    USERS["shazhou_editor"],
    USERS["mingzhu_editor"],
)
TOWNSHIP_USER = User("town", "editor", ("429903001",))


def _outlet(code: str, district_code: str, **kw: Any) -> dict[str, Any]:
    return {"code": code, "name": f"排口{code}", "type_l1": "工业排污口",
            "receiving_water": "玉带河", "district": "区", "district_code": district_code,
            "stage": "已排查", **kw}  # fmt: skip


def outlets(*rows: tuple[str, str, Point]) -> gpd.GeoDataFrame:
    frame = gpd.GeoDataFrame(
        [_outlet(code, dc) for code, dc, _ in rows], geometry=[p for *_, p in rows], crs=4326
    )
    return apply_dtypes(frame, "outlets")


def layers() -> dict[str, pd.DataFrame]:
    districts = gpd.GeoDataFrame(
        {"code": ["429902", "429903", "429903001"], "name": ["明珠区", "沙洲区", "东门街道"]},
        geometry=[MINGZHU, SHAZHOU, TOWNSHIP],
        crs=4326,
    )
    sections = gpd.GeoDataFrame(
        {"code": ["S2", "S3"], "name": ["明珠断面", "沙洲断面"], "river": ["玉带河"] * 2,
         "control_level": ["市控"] * 2, "target_class": ["III"] * 2,
         "district_code": ["429902", "429903"]},
        geometry=[Point(112.9, 30.4), Point(113.22, 30.48)],
        crs=4326,
    )  # fmt: skip
    monitoring = pd.DataFrame(
        {"section_code": ["S2", "S3", "S3"], "date": pd.to_datetime(["2023-01-10"] * 3)}
    )
    monitoring.loc[2, "date"] = pd.Timestamp("2023-02-10")
    zones = gpd.GeoDataFrame(
        {"code": ["Z2", "Z3"], "source_name": ["明珠水源", "沙洲水源"], "level": ["一级"] * 2},
        geometry=[box(112.9, 30.35, 112.95, 30.4), box(113.1, 30.3, 113.15, 30.34)],
        crs=4326,
    )
    rivers = gpd.GeoDataFrame(
        {"code": ["R1", "R2"], "name": ["玉带河", "明珠小河"]},
        geometry=[LineString([(112.9, 30.4), (113.2, 30.4)]),
                  LineString([(112.85, 30.35), (112.9, 30.45)])],
        crs=4326,
    )  # fmt: skip
    return {
        "districts": apply_dtypes(districts, "districts"),
        "outlets": outlets(
            ("A", "429902", Point(112.95, 30.40)),
            ("B", "429903", Point(113.15, 30.40)),
            ("C", "429903", Point(113.07, 30.30)),
        ),
        "sections": apply_dtypes(sections, "sections"),
        "monitoring": apply_dtypes(monitoring, "monitoring"),
        "protection_zones": apply_dtypes(zones, "protection_zones"),
        "rivers": apply_dtypes(rivers, "rivers"),
    }


@pytest.fixture
def store(empty_store: Store) -> Store:
    empty_store.write(layers(), user="seed", source="seed")
    return empty_store


def snapshot(store: Store) -> dict[str, Any]:
    names = sorted(store.layer_names())
    return {
        "revision": store.revision(),
        "frames": {n: store.read(n, with_versions=True) for n in names},
        "history": {n: store.history(n) for n in names},
    }


def assert_unchanged(store: Store, before: dict[str, Any]) -> None:
    after = snapshot(store)
    assert after["revision"] == before["revision"]
    for name, frame in before["frames"].items():
        assert_frame_equal(after["frames"][name], frame)
        assert_frame_equal(after["history"][name], before["history"][name])


# --- reading -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("areas", "expected"),
    [
        pytest.param(("429903",), ["B", "C"], id="county"),
        pytest.param(("429902",), ["A"], id="other-county"),
        pytest.param(("429903001",), ["B"], id="township-by-location"),
        pytest.param(("4299",), ["A", "B", "C"], id="city"),
        pytest.param(("42",), ["A", "B", "C"], id="province"),
        pytest.param(("43",), [], id="other-province"),
        pytest.param(("*",), ["A", "B", "C"], id="everywhere"),
        pytest.param(("429902", "429903001"), ["A", "B"], id="two-areas"),
    ],
)
def test_read_returns_only_the_users_outlets(
    store: Store, areas: tuple[str, ...], expected: list[str]
) -> None:
    scoped = ScopedStore(store, User("u", "viewer", areas))
    assert scoped.read("outlets")["code"].tolist() == expected


def test_read_bbox_is_scoped_too(store: Store) -> None:
    # the box holds 沙洲区 east of 113.0 E: B and C are in it, A (112.95 E, 明珠区) is not
    inside = (113.0, 30.29, 113.24, 30.51)
    everyone = ScopedStore(store, User("u", "viewer", ("*",)))
    county = ScopedStore(store, User("u", "viewer", ("429903001",)))

    assert sorted(everyone.read_bbox("outlets", inside)["code"]) == ["B", "C"]
    assert county.read_bbox("outlets", inside)["code"].tolist() == ["B"]


def test_other_layers_by_code_location_and_section(store: Store) -> None:
    scoped = ScopedStore(store, SHAZHOU_USER)
    assert isinstance(scoped, Store)  # a drop-in for the app, the importer and the CLI
    assert scoped.read("districts")["code"].tolist() == ["429903", "429903001"]
    assert scoped.read("sections")["code"].tolist() == ["S3"]
    assert scoped.read("protection_zones")["code"].tolist() == ["Z3"]  # no code: location
    assert scoped.read("rivers")["code"].tolist() == ["R1"]  # R1 crosses both counties
    assert scoped.read("monitoring")["section_code"].tolist() == ["S3", "S3"]
    town = ScopedStore(store, TOWNSHIP_USER)
    assert town.read("protection_zones")["code"].tolist() == []
    assert town.read("sections")["code"].tolist() == []  # S3 lies outside the township


def test_scope_fails_closed_without_district_polygons() -> None:
    frame = outlets(("X", "429903", Point(113.15, 30.40)))
    frame.loc[0, "district_code"] = None
    no_districts = gpd.GeoDataFrame({"code": []}, geometry=[], crs=4326)
    assert scope_mask(frame, "outlets", ("429903",), no_districts).tolist() == [False]
    assert scope_mask(frame, "outlets", ("*",), no_districts).tolist() == [True]


# --- writing -----------------------------------------------------------------------------------


def test_county_editor_imports_own_rows_under_own_name(store: Store) -> None:
    scoped = ScopedStore(store, SHAZHOU_USER)
    new = outlets(("D", "429903", Point(113.2, 30.5)))
    scoped.write({"outlets": new}, mode="upsert", source="d.geojson")
    assert store.read("outlets")["code"].tolist() == ["A", "B", "C", "D"]
    last = store.history("outlets").iloc[-1]
    assert (last["user"], last["key"], last["op"]) == ("shazhou", "D", "insert")


def test_writing_as_someone_else_is_refused(store: Store) -> None:
    before = snapshot(store)
    with pytest.raises(AccessDeniedError, match="as another user") as info:
        ScopedStore(store, SHAZHOU_USER).write({"outlets": outlets()}, mode="upsert", user="boss")
    assert info.value.code == "wrong_user"
    assert_unchanged(store, before)


@pytest.mark.parametrize(
    ("rows", "fragment"),
    [
        pytest.param(
            [("D", "429902", Point(113.2, 30.5))],
            r"imported rows: outlets row 0 \['D'\] \(district_code 429902\) outside your areas "
            r"\(429903\); nothing was saved",
            id="other-county-code",
        ),
        pytest.param(
            [("B", "429903", Point(113.15, 30.40)), ("A", "429903", Point(113.15, 30.4))],
            r"would overwrite rows: outlets row 1 \['A'\]",
            id="hijack-another-countys-key",
        ),
    ],
)
def test_county_editor_cannot_change_another_county(
    store: Store, rows: list[tuple[str, str, Point]], fragment: str
) -> None:
    before = snapshot(store)
    with pytest.raises(AccessDeniedError, match=fragment) as info:
        ScopedStore(store, SHAZHOU_USER).write({"outlets": outlets(*rows)}, mode="upsert")
    assert info.value.code == "outside_area"
    assert_unchanged(store, before)


def test_zone_without_code_is_judged_by_location(store: Store) -> None:
    zone = apply_dtypes(
        gpd.GeoDataFrame(
            {"code": ["Z9"], "source_name": ["新水源"], "level": ["二级"]},
            geometry=[box(112.9, 30.3, 112.92, 30.32)],  # in 明珠区
            crs=4326,
        ),
        "protection_zones",
    )
    before = snapshot(store)
    with pytest.raises(AccessDeniedError, match=r"protection_zones row 0 \['Z9'\] outside"):
        ScopedStore(store, SHAZHOU_USER).write({"protection_zones": zone}, mode="upsert")
    assert_unchanged(store, before)
    ScopedStore(store, MINGZHU_USER).write({"protection_zones": zone}, mode="upsert")
    assert "Z9" in store.read("protection_zones")["code"].tolist()


def test_replace_is_refused_while_other_areas_have_rows(store: Store) -> None:
    before = snapshot(store)
    mine = outlets(("B", "429903", Point(113.15, 30.40)))
    with pytest.raises(AccessDeniedError, match="replace would delete 1 outlets rows outside"):
        ScopedStore(store, SHAZHOU_USER).write({"outlets": mine}, mode="replace")
    assert_unchanged(store, before)
    ScopedStore(store, CITY).write({"outlets": mine}, mode="replace")
    assert store.read("outlets")["code"].tolist() == ["B"]


def test_viewer_cannot_write_or_edit(store: Store) -> None:
    before = snapshot(store)
    viewer = ScopedStore(store, USERS["viewer"])
    with pytest.raises(AccessDeniedError, match=r"'guest' \(viewer\) may not change data"):
        viewer.write({"outlets": outlets()}, mode="upsert")
    with pytest.raises(AccessDeniedError) as info:
        viewer.edit("outlets", [Edit("B", {"stage": "已监测"}, 1)], user="guest")
    assert info.value.code == "role"
    assert_unchanged(store, before)


# --- editing -----------------------------------------------------------------------------------


def _version(store: Store, layer: str, code: str) -> int:
    frame = store.read(layer, with_versions=True)
    return int(frame.loc[frame["code"] == code, "_version"].iloc[0])


def test_county_editor_edits_own_row(store: Store) -> None:
    scoped = ScopedStore(store, SHAZHOU_USER)
    scoped.edit("outlets", [Edit("B", {"stage": "已监测"}, _version(store, "outlets", "B"))],
                user="shazhou", source="app")  # fmt: skip
    assert store.read("outlets").set_index("code").loc["B", "stage"] == "已监测"
    last = store.history("outlets").iloc[-1]
    assert (last["user"], last["key"], last["field"], last["new"]) == (
        "shazhou", "B", "stage", "已监测"
    )  # fmt: skip


@pytest.mark.parametrize(
    ("layer", "key", "values", "fragment"),
    [
        pytest.param("outlets", "A", {"stage": "已监测"}, r"edited rows: outlets row 0 \['A'\]",
                     id="another-countys-row"),
        pytest.param("outlets", "B", {"district_code": "429902"},
                     r"rows as edited: outlets row 1 \['B'\] \(district_code 429902\)",
                     id="move-code-out"),
        pytest.param("protection_zones", "Z3", {"geometry": box(112.9, 30.3, 112.92, 30.32)},
                     r"rows as edited: protection_zones row 1 \['Z3'\]", id="move-shape-out"),
    ],
)  # fmt: skip
def test_county_editor_cannot_edit_into_or_out_of_another_county(
    store: Store, layer: str, key: str, values: dict[str, Any], fragment: str
) -> None:
    before = snapshot(store)
    change = Edit(key, values, _version(store, layer, key))
    with pytest.raises(AccessDeniedError, match=fragment) as info:
        ScopedStore(store, SHAZHOU_USER).edit(layer, [change], user="shazhou")
    assert info.value.code == "outside_area"
    assert_unchanged(store, before)


# --- history, as_of, imports ----------------------------------------------------------------


def test_history_shows_only_the_users_rows_including_deleted_ones(store: Store) -> None:
    city = ScopedStore(store, CITY)
    city.write({"outlets": outlets(("B", "429903", Point(113.15, 30.40)))}, mode="replace")
    seen = ScopedStore(store, SHAZHOU_USER).history("outlets")
    assert sorted(set(seen["key"])) == ["B", "C"]  # C deleted, but it was in 沙洲区
    assert "A" not in set(seen["key"])
    assert set(store.history("outlets")["key"]) == {"A", "B", "C"}


def test_as_of_is_scoped(store: Store) -> None:
    scoped = ScopedStore(store, SHAZHOU_USER)
    assert scoped.as_of("outlets", "2999-01-01")["code"].tolist() == ["B", "C"]


def test_import_through_scoped_store(store: Store, tmp_path) -> None:
    path = tmp_path / "o.geojson"
    mine = outlets(("E", "429903", Point(113.2, 30.45)))
    mine.to_file(path, driver="GeoJSON")
    result = importer.import_file(path, "outlets", ScopedStore(store, SHAZHOU_USER), user="shazhou")
    assert result.written
    assert result.diff.added == [("E",)]
    assert store.history("outlets").iloc[-1]["user"] == "shazhou"


def test_only_an_admin_may_date_a_change_in_the_past(store: Store) -> None:
    before = snapshot(store)
    new = outlets(("D", "429903", Point(113.2, 30.5)))
    with pytest.raises(AccessDeniedError, match="only an admin may date a change") as info:
        ScopedStore(store, SHAZHOU_USER).write({"outlets": new}, mode="upsert", at="2020-01-01")
    assert info.value.code == "role"
    assert_unchanged(store, before)
    assert len(ScopedStore(store, SHAZHOU_USER).versions("outlets")) == len(
        store.versions("outlets")
    )


def _readings(*sections: str) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "section_code": list(sections),
            "station_mn": [f"MN{s}" for s in sections],
            "parameter": "NH3N",
            "time": pd.to_datetime(["2023-06-01 00:00"] * len(sections), utc=True),
            "step": "hour",
            "value": 0.5,
            "flag": "N",
        }
    )


def test_station_readings_are_scoped_by_section(store: Store) -> None:
    store.write_readings(_readings("S2", "S3"))
    mingzhu = ScopedStore(store, MINGZHU_USER)
    assert list(mingzhu.read_readings()["section_code"]) == ["S2"]
    assert mingzhu.read_readings(sections=["S3"]).empty  # asking for S3 does not reveal it
    assert list(ScopedStore(store, CITY).read_readings()["section_code"]) == ["S2", "S3"]

    before = store.read_readings()
    with pytest.raises(AccessDeniedError, match="S3"):
        mingzhu.write_readings(_readings("S2", "S3").assign(value=0.9))
    assert_frame_equal(store.read_readings(), before)  # nothing of S2 written either
    stats = mingzhu.write_readings(_readings("S2").assign(value=0.9))
    assert (stats.added, stats.updated) == (0, 1)
    with pytest.raises(AccessDeniedError):
        ScopedStore(store, USERS["viewer"]).write_readings(_readings("S2"))
