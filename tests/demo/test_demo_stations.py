"""The demo's automatic-station data (geomon.demo.stations, data/demo_hj212_2023-06.txt).

Counts worked by hand: 9 sections have an automatic station; each sends one packet an hour for
June (720 h) with 5 parameters (6 at the lake, TN added): 46 × 720 = 33,120 readings. JHGK03
misses 4 hours (20 readings) and JHGK04's CRC-broken packet is rejected (5): 33,095 stored.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from geomon.demo import stations
from geomon.monitoring import hj212
from geomon.rules.water_quality import item_class
from geomon.store import open_store

DATA = Path(__file__).resolve().parents[2] / "data"
LOG = DATA / stations.LOG_NAME


def test_automatic_sections_have_a_station_id() -> None:
    sections = open_store(DATA / "demo.gpkg").read("sections")
    auto = sections[sections["auto_station"].astype(bool)]
    assert len(auto) == 9
    assert list(auto["station_mn"]) == ["4299" + c for c in auto["code"]]
    assert sections.loc[~sections["auto_station"].astype(bool), "station_mn"].isna().all()


def test_the_log_reads_as_planted() -> None:
    parsed = hj212.parse(LOG.read_bytes())
    lines = LOG.read_bytes().count(b"\r\n")
    assert lines == 9 * 720 - 4  # one packet a line; JHGK03's 4 missing hours
    assert len(parsed.rejected) == 1
    assert "CRC" in parsed.rejected[0].reason
    broken_line = LOG.read_bytes().split(b"\r\n")[parsed.rejected[0].line - 1]
    assert b"MN=4299JHGK04" in broken_line and b"DataTime=20230618100000" in broken_line
    assert len(parsed.frame) == 33_095
    assert parsed.frame["station_mn"].nunique() == 9


def test_demo_store_holds_the_spike_and_the_maintenance_gap() -> None:
    store = open_store(DATA / "demo.gpkg")
    assert len(store.read_readings()) == 33_095
    spike = store.read_readings(
        sections="JHGK02", parameters="NH3N", start="2023-06-14 02:00", end="2023-06-14 06:00"
    )
    assert list(spike["value"]) == [1.32, 1.62, 1.38, 1.12]
    assert [item_class("NH3N", v) for v in spike["value"]] == ["IV", "V", "IV", "IV"]
    day = store.read_readings(
        sections="JHGK03", parameters="DO", start="2023-06-20", end="2023-06-20"
    )
    hours = day["time"].dt.tz_convert("Asia/Shanghai").dt.hour
    assert list(hours[day["flag"] == "M"]) == [9, 10, 11, 12]
    assert sorted(set(range(24)) - set(hours)) == [13, 14, 15, 16]
    assert pd.api.types.is_float_dtype(day["value"])
