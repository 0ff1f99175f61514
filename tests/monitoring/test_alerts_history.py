"""Station alerts that began before the readings first read keep their ``since`` (and id).

`store_alerts` reads `readings_window` (7 days by default); a run or gap reaching back to its
start is read again over twice the span until its start is found. The readings come from an
in-memory frame through `read_readings` (the store has no readings layer until the readings
branch is merged); every read is recorded, so the test also shows how far back it went.
"""

from __future__ import annotations

from pathlib import Path

import geopandas as gpd
import pandas as pd
import pytest
from shapely import Point

from geomon import validate
from geomon.monitoring import alerts
from geomon.store import open_store


@pytest.fixture
def store(tmp_path: Path):
    frame = gpd.GeoDataFrame(
        {
            "code": ["S1", "S2"],
            "name": ["一号断面", "二号断面"],
            "river": "汉江",
            "control_level": "国控",
            "target_class": "III",
            "water_body_type": "河流",
        },
        geometry=[Point(112.8, 30.4), Point(112.9, 30.4)],
        crs=4326,
    )
    opened = open_store(tmp_path / "s.gpkg")
    opened.write({"sections": validate.apply_dtypes(frame, "sections")})
    return opened


def hourly(section: str, first: str, last: str, value: float, flag: str) -> pd.DataFrame:
    times = pd.date_range(first, last, freq="h", tz="UTC")
    return pd.DataFrame(
        {
            "section_code": section,
            "station_mn": f"MN-{section}",
            "parameter": "NH3N",
            "time": times,
            "step": "hour",
            "value": value,
            "flag": flag,
        }
    )


class Reader:
    """Reads the readings of a frame between two times, as the store will; records each read."""

    def __init__(self, frame: pd.DataFrame) -> None:
        self.frame, self.reads = frame, []

    def __call__(self, store, start, end, *, sections=None) -> pd.DataFrame:
        self.reads.append(((end - start).days, None if sections is None else list(sections)))
        f = self.frame
        keep = (f["time"] >= start) & (f["time"] < end)
        if sections is not None:
            keep &= f["section_code"].isin(sections)
        return f[keep]


def test_a_gap_older_than_the_window_keeps_its_start(store) -> None:
    # S1: valid until 2023-06-09T23:00Z, then only "B" (communication failure) hourly: a gap
    # since 06-10T00:00Z, 20+ days before 2023-06-30; S2 is fine throughout
    frame = pd.concat(
        [
            hourly("S1", "2023-05-20T00:00Z", "2023-06-09T23:00Z", 0.5, "N"),
            hourly("S1", "2023-06-10T00:00Z", "2023-07-01T11:00Z", 0.0, "B"),
            hourly("S2", "2023-05-20T00:00Z", "2023-07-01T11:00Z", 0.5, "N"),
        ],
        ignore_index=True,
    )
    read = Reader(frame)
    found = alerts.store_alerts(store, as_of="2023-06-30T20:00+08:00", read_readings=read)
    (gap,) = found
    assert (gap.kind, gap.feature_id, gap.since) == ("data_gap", "S1", "2023-06-10T00:00Z")
    assert gap.value == 20 * 24 + 12  # 06-10T00:00Z to 06-30T12:00Z
    assert read.reads == [(7, None), (14, ["S1"]), (28, ["S1"])]  # S2 is never read again

    # a day later: the same gap, the same id (an acknowledgement sticks)
    (later,) = alerts.store_alerts(store, as_of="2023-07-01T20:00+08:00", read_readings=read)
    assert later.id == gap.id == "data_gap/sections/S1/MN-S1/2023-06-10T00:00Z"


def test_a_long_run_of_bad_days_keeps_its_first_day(store) -> None:
    # S1 NH3-N 1.5 (> 1.0, class III) every hour from Beijing 2023-06-11 00:00 on: 20 days
    frame = pd.concat(
        [
            hourly("S1", "2023-05-20T00:00Z", "2023-06-10T15:00Z", 0.5, "N"),
            hourly("S1", "2023-06-10T16:00Z", "2023-06-30T11:00Z", 1.5, "N"),
        ],
        ignore_index=True,
    )
    found = alerts.store_alerts(store, as_of="2023-06-30T20:00+08:00", read_readings=Reader(frame))
    persistent = [a for a in found if a.kind == "persistent_exceedance"]
    (run,) = persistent
    assert (run.since, run.value) == ("2023-06-11", 20)
    (hour,) = [a for a in found if a.kind == "exceedance"]
    assert hour.since == "2023-06-10T16:00Z"
