"""Times for people: Beijing time to the minute, whatever the store or the server keeps."""

from __future__ import annotations

import datetime as dt

import pandas as pd
import pytest

from geomon.times import beijing


@pytest.mark.parametrize(
    ("value", "shown"),
    [
        ("2023-06-30T15:59:59.999999+00:00", "2023-06-30 23:59"),  # history text: +8 h, cut
        ("2023-12-31T16:00:00+00:00", "2024-01-01 00:00"),  # the day and year turn over
        ("2024-02-29T23:30:00+08:00", "2024-02-29 23:30"),  # already Beijing
        (dt.datetime(2024, 5, 6, 7, 8, 59, 999_999, tzinfo=dt.UTC), "2024-05-06 15:08"),
        (dt.datetime(2024, 5, 6, 7, 8), "2024-05-06 15:08"),  # naive: UTC, as the history
        (pd.Timestamp("2024-05-06T07:08:00Z"), "2024-05-06 15:08"),
        (dt.date(2024, 3, 1), "2024-03-01"),
        ("2024-03-01", "2024-03-01"),
        (None, ""),
        (pd.NaT, ""),
        ("", ""),
    ],
)
def test_beijing_minute(value: object, shown: str) -> None:
    assert beijing(value) == shown


def test_today_is_the_beijing_date() -> None:
    from geomon.times import today

    before = (dt.datetime.now(dt.UTC) + dt.timedelta(hours=8)).date()  # UTC+8, no DST
    got = today()
    after = (dt.datetime.now(dt.UTC) + dt.timedelta(hours=8)).date()
    assert got in {before, after}  # the same day unless midnight passed between the calls
