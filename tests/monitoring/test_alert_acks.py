"""Acknowledging an alert on both store backends: one row of ``alert_acks``, in the history,
all or nothing, scoped to the editor's areas."""

from __future__ import annotations

from pathlib import Path

import geopandas as gpd
import pandas as pd
import pytest
from shapely import Point

from geomon import validate
from geomon.access.auth import User
from geomon.access.scoped import ScopedStore
from geomon.errors import AccessDeniedError, AlertError
from geomon.monitoring import alerts
from geomon.store import Store, open_store


@pytest.fixture(params=["gpkg", pytest.param("postgis", marks=pytest.mark.postgis)])
def store(request: pytest.FixtureRequest, tmp_path: Path) -> Store:
    """An empty store: a new GeoPackage file, or a new PostGIS database (tests/conftest.py)."""
    if request.param == "gpkg":
        yield open_store(tmp_path / "s.gpkg")
        return
    opened = open_store(request.getfixturevalue("postgis_url"))
    yield opened
    opened.dispose()


def _outlets() -> gpd.GeoDataFrame:
    frame = gpd.GeoDataFrame(
        {
            "code": ["A1", "A2"],
            "name": ["一号口", "二号口"],
            "type_l1": "工业排污口",
            "receiving_water": "汉江",
            "district": ["东城区", "西城区"],
            "district_code": ["429005", "429006"],
            "stage": "整治中",
            "deadline": pd.to_datetime(["2023-01-31", "2023-07-10"]),
        },
        geometry=[Point(112.8, 30.4), Point(112.81, 30.4)],
        crs=4326,
    )
    return validate.apply_dtypes(frame, "outlets")


def test_acknowledge_records_the_note_in_the_history(store: Store) -> None:
    store.write({"outlets": _outlets()}, user="导入员")
    overdue, near = alerts.store_alerts(store, as_of="2023-06-30")
    assert (overdue.kind, near.kind) == ("overdue", "deadline_near")
    before = store.revision()

    stats = alerts.acknowledge(store, overdue, "  已约谈责任单位，7月底前完成  ", user="张三")

    assert (stats.rows_before, stats.rows_after, stats.added) == (0, 1, 1)
    assert store.revision() > before
    acks = alerts.read_acks(store)
    assert acks["alert_id"].tolist() == ["overdue/outlets/A1/-/2023-02-01"]
    row = acks.iloc[0]
    assert (row["note"], row["acknowledged_by"], row["district_code"]) == (
        "已约谈责任单位，7月底前完成", "张三", "429005",
    )  # fmt: skip
    (event,) = store.history("alert_acks").to_dict("records")
    assert (event["op"], event["user"], event["source"], event["key"]) == (
        "insert", "张三", "app", "overdue/outlets/A1/-/2023-02-01",
    )  # fmt: skip
    assert "已约谈责任单位" in event["new"]
    # the acknowledged alert leaves the open list; the next run gives the same id
    again = alerts.store_alerts(store, as_of="2023-07-01")
    assert alerts.open_alerts(again, acks["alert_id"]) == [a for a in again if a.feature_id == "A2"]


def test_a_second_acknowledgement_or_an_empty_note_writes_nothing(store: Store) -> None:
    store.write({"outlets": _outlets()})
    overdue, _ = alerts.store_alerts(store, as_of="2023-06-30")
    alerts.acknowledge(store, overdue, "已督办", user="张三")
    revision = store.revision()
    with pytest.raises(AlertError, match=r"acknowledged by 张三 at 20"):
        alerts.acknowledge(store, overdue, "再次确认", user="李四")
    _, near = alerts.store_alerts(store, as_of="2023-06-30")
    with pytest.raises(AlertError, match="needs a note"):
        alerts.acknowledge(store, near, "   ", user="李四")
    assert store.revision() == revision
    assert len(alerts.read_acks(store)) == 1
    assert len(store.history("alert_acks")) == 1


def test_an_editor_acknowledges_only_in_their_areas(store: Store) -> None:
    store.write({"outlets": _outlets()})
    scoped = ScopedStore(store, User("ed", "editor", ("429005",)))
    (overdue,) = alerts.store_alerts(scoped, as_of="2023-06-30")  # A2 (429006) is not theirs
    alerts.acknowledge(scoped, overdue, "已督办", user="ed")
    _, near = alerts.store_alerts(store, as_of="2023-06-30")
    with pytest.raises(AccessDeniedError, match="outside your areas"):
        alerts.acknowledge(scoped, near, "越权确认", user="ed")
    assert alerts.read_acks(store)["acknowledged_by"].tolist() == ["ed"]
