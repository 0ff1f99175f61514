"""Alerts through the daily readings rollup are exactly the alerts of reading every reading.

`store_alerts` reads the readings only of the sections the rollup names as possibly alerting
(`geomon.monitoring.alert_candidates`); given `read_readings` it reads every section's, as
before the rollup. Both ways must give the same alerts (kind, id, since, value, limit,
message…), on the demo store and on hand-made readings, on GeoPackage and PostGIS.
"""

from __future__ import annotations

import shutil
import sqlite3
from pathlib import Path

import geopandas as gpd
import pandas as pd
import pytest
from shapely import Point

from geomon import config, validate
from geomon.access.auth import User
from geomon.access.scoped import ScopedStore
from geomon.monitoring import alerts
from geomon.monitoring.alert_candidates import candidate_sections
from geomon.store import open_store
from geomon.store import rollup as ru

BACKENDS = ["gpkg", pytest.param("postgis", marks=pytest.mark.postgis)]


def both_ways(store, as_of) -> list[alerts.Alert]:
    """The alerts through the rollup, after checking they equal those of reading everything."""
    fast = alerts.store_alerts(store, as_of=as_of)
    slow = alerts.store_alerts(store, as_of=as_of, read_readings=alerts._readings_for)
    assert fast == slow, as_of
    return fast


@pytest.fixture
def demo_copy(tmp_path: Path) -> Path:
    path = tmp_path / "demo.gpkg"
    shutil.copyfile(config.DEMO_STORE, path)
    return path


def test_demo_store_same_alerts_every_few_days_of_june(demo_copy: Path) -> None:
    store = open_store(demo_copy)
    found = both_ways(store, "2023-06-30")
    assert len(found) == 16
    for as_of in ("2023-06-01", "2023-06-14", "2023-06-14 13:30", "2023-06-20", "2023-07-03"):
        both_ways(store, as_of)


def test_demo_store_without_a_rollup_builds_it_and_gives_the_same_alerts(demo_copy) -> None:
    with sqlite3.connect(demo_copy) as conn:
        conn.execute(f'DROP TABLE "{ru.DAILY_TABLE}"')
    store = open_store(demo_copy)
    assert len(both_ways(store, "2023-06-30")) == 16
    with sqlite3.connect(demo_copy) as conn:
        assert conn.execute(f'SELECT count(*) FROM "{ru.DAILY_TABLE}"').fetchone()[0] == 1385


@pytest.mark.postgis
def test_demo_store_in_postgis_same_alerts(postgis_url: str) -> None:
    demo = open_store(config.DEMO_STORE, must_exist=True)
    store = open_store(postgis_url)
    store.write({n: demo.read(n) for n in ("sections", "outlets", "monitoring")})
    store.write_readings(demo.read_readings())
    assert len(both_ways(store, "2023-06-30")) == 16
    both_ways(store, "2023-06-14 13:30")
    store.dispose()


def hourly(section: str, first: str, last: str, value, flag: str = "N", parameter="NH3N"):
    """Hourly readings of `section`'s station from `first` to `last` (Beijing time)."""
    times = pd.date_range(first, last, freq="h", tz="Asia/Shanghai").tz_convert("UTC")
    return pd.DataFrame(
        {
            "section_code": section,
            "station_mn": f"MN-{section}",
            "parameter": parameter,
            "time": times,
            "step": "hour",
            "value": value,
            "flag": flag,
        }
    )


@pytest.fixture(params=BACKENDS)
def hand_store(request: pytest.FixtureRequest, tmp_path: Path):
    """Four sections (target III, rivers) and their stations' readings, 2023-06 (Beijing):

    - S1: NH3N 0.5 until 06-29 21:00, then only "B" (communication failure) to 06-30 23:00:
      a gap since 06-29 22:00 Beijing (14:00Z) across midnight;
    - S2: pH 5.5 from 00:00 to 11:00 and 9.0 from 12:00 to 23:00 on 06-28, 06-29 and 06-30:
      arithmetic mean 7.25, but the mean by [H+] is −log10((12·10^−5.5 + 12·10^−9)/24) = 5.80
      < 6: three days worse than III, no hourly value worse (the last is 9.0, limits
      inclusive);
    - S3: NH3N 0.5 from 05-25, 1.5 (> 1.0) from 06-05 00:00: a run reaching back 26 days,
      past the 7-day window; DO 7.0, then 3.0 (< 5) from 06-30 21:00: a run within it;
    - S4: NH3N 0.5 throughout: nothing;
    - S5: DO 7.0 until 06-15 23:00 and no DO after; NH3N only "B" from 06-10: a gap since
      06-16 00:00 Beijing set by a parameter the 7-day window does not hold (360 hours);
    - S6: pH 9.5 and 7.0 by turns every hour from 06-20, 7.0 last: beyond class III (6–9) every
      hour of two, but the last value meets it and the daily mean by [H+] is
      −log10((10^−9.5 + 10^−7)/2) = 7.29: no alert, and not even a candidate;
    - S7: NH3N 1.5 from 06-27 to 06-29, only fault-flagged (D) on 06-30; DO 7.0 throughout:
      three days worse up to yesterday and a last valid hour within 24 h, no gap (DO is
      valid), though NH3N alone, which is all the alerts read of S7, has none for 24 hours.
    """
    sections = gpd.GeoDataFrame(
        {
            "code": ["S1", "S2", "S3", "S4", "S5", "S6", "S7"],
            "name": ["一号", "二号", "三号", "四号", "五号", "六号", "七号"],
            "river": "汉江",
            "control_level": "国控",
            "target_class": "III",
            "water_body_type": "河流",
        },
        geometry=[Point(112.8 + i / 10, 30.4) for i in range(7)],
        crs=4326,
    )
    ph = [
        hourly("S2", f"2023-06-{d} {a}", f"2023-06-{d} {b}", v, parameter="pH")
        for d in ("28", "29", "30")
        for a, b, v in (("00:00", "11:00", 5.5), ("12:00", "23:00", 9.0))
    ]
    frame = pd.concat(
        [
            hourly("S1", "2023-06-20 00:00", "2023-06-29 21:00", 0.5),
            hourly("S1", "2023-06-29 22:00", "2023-06-30 23:00", 0.5, "B"),
            *ph,
            hourly("S3", "2023-05-25 00:00", "2023-06-04 23:00", 0.5),
            hourly("S3", "2023-06-05 00:00", "2023-06-30 23:00", 1.5),
            hourly("S3", "2023-05-25 00:00", "2023-06-30 20:00", 7.0, parameter="DO"),
            hourly("S3", "2023-06-30 21:00", "2023-06-30 23:00", 3.0, parameter="DO"),
            hourly("S4", "2023-05-25 00:00", "2023-06-30 23:00", 0.5),
            hourly("S5", "2023-06-01 00:00", "2023-06-15 23:00", 7.0, parameter="DO"),
            hourly("S5", "2023-06-10 00:00", "2023-06-30 23:00", 0.5, "B"),
            hourly("S6", "2023-06-20 00:00", "2023-06-30 23:00", [9.5, 7.0] * 132, parameter="pH"),
            hourly("S7", "2023-06-20 00:00", "2023-06-26 23:00", 0.5),
            hourly("S7", "2023-06-27 00:00", "2023-06-29 23:00", 1.5),
            hourly("S7", "2023-06-30 00:00", "2023-06-30 23:00", 1.5, "D"),
            hourly("S7", "2023-06-20 00:00", "2023-06-30 23:00", 7.0, parameter="DO"),
        ],
        ignore_index=True,
    )
    if request.param == "gpkg":
        store = open_store(tmp_path / "s.gpkg")
    else:
        store = open_store(request.getfixturevalue("postgis_url"))
    store.write({"sections": validate.apply_dtypes(sections, "sections")})
    store.write_readings(frame)
    yield store
    if hasattr(store, "dispose"):
        store.dispose()


def test_hand_made_readings_same_alerts_worked_out_by_hand(hand_store) -> None:
    found = both_ways(hand_store, "2023-06-30")
    got = {(a.kind, a.feature_id, a.parameter, a.since, a.value) for a in found}
    assert got == {
        ("data_gap", "S1", None, "2023-06-29T14:00Z", 26),  # 06-29 22:00 → 07-01 00:00
        ("persistent_exceedance", "S2", "pH", "2023-06-28", 3),
        ("exceedance", "S3", "NH3N", "2023-06-04T16:00Z", 1.5),  # 06-05 00:00 Beijing
        ("persistent_exceedance", "S3", "NH3N", "2023-06-05", 26),
        ("exceedance", "S3", "DO", "2023-06-30T13:00Z", 3.0),  # 21:00 Beijing
        ("data_gap", "S5", None, "2023-06-15T16:00Z", 360),  # 06-16 00:00 → 07-01 00:00
        ("exceedance", "S7", "NH3N", "2023-06-26T16:00Z", 1.5),
        ("persistent_exceedance", "S7", "NH3N", "2023-06-27", 3),
    }
    daily = hand_store.read_readings_daily(pd.Timestamp("2023-06-23"), pd.Timestamp("2023-06-30"))
    rules = alerts.load_rules()
    instant = alerts.as_of_instant("2023-06-30")
    assert candidate_sections(daily, hand_store.read("sections"), rules, instant) == [
        "S1",
        "S2",
        "S3",
        "S5",
        "S7",
    ]


@pytest.mark.parametrize(
    ("as_of", "gap"),
    [
        ("2023-06-30 03:59", None),  # 5 h 59 min since 06-29 22:00: below 6 hours
        ("2023-06-30 04:00", 6),
        ("2023-06-30 12:30", 14),
        ("2023-06-29", None),  # the evening of 06-29: still sending
    ],
)
def test_gap_across_midnight_at_moments_inside_a_day(hand_store, as_of, gap) -> None:
    found = both_ways(hand_store, as_of)
    gaps = [a.value for a in found if a.kind == "data_gap" and a.feature_id == "S1"]
    assert gaps == ([] if gap is None else [gap])


def test_days_before_and_after_the_runs(hand_store) -> None:
    for as_of in ("2023-06-06", "2023-06-07", "2023-06-27", "2023-06-29", "2023-07-02"):
        both_ways(hand_store, as_of)
    assert both_ways(hand_store, "2023-06-04") == []


def test_a_scoped_store_reads_only_its_sections_rollup_and_alerts(demo_copy: Path) -> None:
    """An editor of 429903 (潜江) sees JHSK08's eight alerts (3 runs, 5 exceedances), none else."""
    scoped = ScopedStore(open_store(demo_copy), User("ed", "editor", ("429903",)))
    found = both_ways(scoped, "2023-06-30")
    assert sorted({a.feature_id for a in found}) == ["JHSK08"]
    assert len(found) == 8
    daily = scoped.read_readings_daily("2023-06-01", "2023-06-30")
    mine = set(scoped.read("sections")["code"].astype(str))
    assert len(daily) and set(daily["section_code"]) <= mine
