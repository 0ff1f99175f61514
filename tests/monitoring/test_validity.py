"""Which readings count (geomon.monitoring.valid) and time bounds in Beijing time (to_utc)."""

from __future__ import annotations

import datetime as dt

import pandas as pd

from geomon.monitoring import VALID_FLAGS, to_utc, valid


def test_only_valid_flags_with_a_value_count() -> None:
    frame = pd.DataFrame({"flag": ["N", "M", "S", "N", "D"], "value": [0.5, 0.5, 0.5, None, 0.5]})
    assert frozenset({"N"}) == VALID_FLAGS  # stations.toml default
    assert list(valid(frame)) == [True, False, False, False, False]
    # a province that counts manual input (S) says so
    assert list(valid(frame, frozenset({"N", "S"}))) == [True, False, True, False, False]


def test_bounds_are_beijing_time_and_a_bare_end_date_includes_its_day() -> None:
    assert to_utc("2023-06-01") == pd.Timestamp("2023-05-31 16:00", tz="UTC")
    assert to_utc("2023-06-30", end_of_day=True) == pd.Timestamp("2023-06-30 16:00", tz="UTC")
    assert to_utc(dt.date(2023, 6, 30), end_of_day=True) == pd.Timestamp(
        "2023-06-30 16:00", tz="UTC"
    )
    assert to_utc("2023-06-01 09:00", end_of_day=True) == pd.Timestamp("2023-06-01 01:00", tz="UTC")
    aware = pd.Timestamp("2023-06-01 09:00", tz="UTC")
    assert to_utc(aware) == aware
    assert to_utc(None) is None
