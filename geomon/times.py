"""Times for people: Beijing time to the minute, the one way every page, report and CLI shows one.

The store keeps times as UTC ISO text with microseconds (`geomon.store.history`); a bureau reads
``2023-06-30 23:59``. Naive times are UTC (as the history writes them). Dates stay dates.
"""

from __future__ import annotations

import datetime as dt

import pandas as pd

CHINA_TZ = dt.timezone(dt.timedelta(hours=8), "北京时间")
"""Beijing time (UTC+8, no daylight saving); bureaus close a day at midnight here."""
MINUTE = "%Y-%m-%d %H:%M"


def beijing(value: object) -> str:
    """`value` (ISO text, datetime, Timestamp or date) as Beijing time to the minute; "" if empty.

    >>> beijing("2023-06-30T15:59:59.999999+00:00")
    '2023-06-30 23:59'
    >>> beijing(dt.datetime(2024, 1, 1, 0, 0))  # naive: UTC
    '2024-01-01 08:00'
    >>> beijing(dt.date(2024, 3, 1)), beijing(None), beijing(float("nan"))
    ('2024-03-01', '', '')
    """
    if value is None or value == "" or (not isinstance(value, str) and pd.isna(value)):
        return ""
    if isinstance(value, str):
        text = value.strip()
        if len(text) == 10:
            return dt.date.fromisoformat(text).isoformat()
        value = dt.datetime.fromisoformat(text)
    if isinstance(value, pd.Timestamp):
        value = value.to_pydatetime()
    if not isinstance(value, dt.datetime):
        return value.isoformat() if isinstance(value, dt.date) else str(value)
    if value.tzinfo is None:
        value = value.replace(tzinfo=dt.UTC)
    return value.astimezone(CHINA_TZ).strftime(MINUTE)


def now_beijing() -> str:
    """The current time, Beijing, to the minute."""
    return beijing(dt.datetime.now(dt.UTC))


def today() -> dt.date:
    """Today's date in Beijing (what "overdue as of today" means to a bureau), whatever the
    server's own time zone: between 00:00 and 08:00 Beijing a UTC server is still on yesterday."""
    return dt.datetime.now(CHINA_TZ).date()
