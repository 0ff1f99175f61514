"""Argument types and checks shared by every ``geomon`` command: dates, months, distances, CRS.

Every date option of every command (``--from``, ``--to``, ``--as-of``, ``--deadline``) is read
by `date_arg`, every month by `month_arg`: a value that is not one is refused by argparse before
the command runs, naming the option and the value in Chinese and English, exit 2 (bad usage).
The types return the text as given (stripped), so the library still gets what the user wrote.
Checks that need two options at once (`check_period`) raise `UsageError`, which
`geomon.cli.main` turns into the same exit 2.
"""

from __future__ import annotations

import argparse
import datetime as dt
import math
import re

from geomon.errors import CRSError, UsageError
from geomon.messages import message

BEIJING = dt.timezone(dt.timedelta(hours=8))
_MONTH = re.compile(r"^(\d{4})-(\d{2})$")


def parse_date_or_time(text: str) -> dt.datetime:
    """`text` as a Beijing wall-clock time: ``2023-06-30`` (its midnight) or an ISO date-time
    (``2023-06-30 08:00``, ``2023-06-30T08:00+08:00``, converted to Beijing time)."""
    value = text.strip()
    if len(value) == 10:
        return dt.datetime.combine(dt.date.fromisoformat(value), dt.time())
    stamp = dt.datetime.fromisoformat(value)
    return stamp.astimezone(BEIJING).replace(tzinfo=None) if stamp.tzinfo else stamp


def date_arg(text: str) -> str:
    """argparse ``type=`` of every date option: a date or date-time, or a bilingual refusal."""
    try:
        parse_date_or_time(text)
    except ValueError:
        msg = message(
            f"无法识别的日期或时间：{text!r}（例如 2023-06-30）",
            f"not a date or time: {text!r} (e.g. 2023-06-30)",
        )
        raise argparse.ArgumentTypeError(msg) from None
    return text.strip()


def month_arg(text: str) -> str:
    """argparse ``type=`` of ``--month``: ``YYYY-MM`` with a month 01–12."""
    match = _MONTH.match(text.strip())
    if match is None or not 1 <= int(match[2]) <= 12:
        msg = message(
            f"无法识别的月份：{text!r}（格式 YYYY-MM，例如 2023-06）",
            f"not a month: {text!r} (use YYYY-MM, e.g. 2023-06)",
        )
        raise argparse.ArgumentTypeError(msg)
    return text.strip()


def km_arg(text: str) -> float:
    """argparse ``type=`` of ``--km``: a distance greater than 0."""
    try:
        km = float(text)
    except ValueError:
        km = math.nan
    if not math.isfinite(km) or km <= 0:
        msg = message(
            f"距离须为大于 0 的公里数：{text!r}",
            f"the distance must be a number of km above 0: {text!r}",
        )
        raise argparse.ArgumentTypeError(msg)
    return km


def crs_arg(text: str) -> str:
    """argparse ``type=`` of ``--crs``: a CRS `geomon.crs.resolve` understands, else its
    message (the value and the accepted forms) once, before any file is read."""
    from geomon import crs  # noqa: PLC0415  (pyproj: only when --crs is given)

    try:
        crs.resolve(text)
    except CRSError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None
    return text


def check_period(date_from: str | None, date_to: str | None, *, both: bool = False) -> None:
    """Refuse ``--from`` after ``--to`` (a date ``--to`` includes that day) and, with `both`,
    one of the two without the other; `UsageError` naming the options and values."""
    if both and (date_from is None) != (date_to is None):
        given, missing = ("--from", "--to") if date_to is None else ("--to", "--from")
        value = date_from if date_to is None else date_to
        msg = message(
            f"{given} {value!r} 需要同时给出 {missing}（统计期为 --from 至 --to）",
            f"{given} {value!r} needs {missing} as well (the period is --from … --to)",
        )
        raise UsageError(msg)
    if date_from is None or date_to is None:
        return
    start, end = parse_date_or_time(date_from), parse_date_or_time(date_to)
    whole_day = len(date_to.strip()) == 10  # a date --to includes that day
    if start >= end + dt.timedelta(days=1) if whole_day else start > end:
        msg = message(
            f"--from {date_from!r} 晚于 --to {date_to!r}",
            f"--from {date_from!r} is after --to {date_to!r}",
        )
        raise UsageError(msg)
