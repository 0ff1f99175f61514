"""The monthly dispatch figures (按月调度督办), pure over the frames as they were at month end.

`dispatch_figures` takes the problems and outlets layers as rebuilt at the end of the month
(`Store.as_of`), the outlets at the end of the month before, and counts:

- problems new in the month (found date in the month), closed in it (closed date in the month,
  status 已销号), open at its end (not 已销号), overdue at its end, red and yellow cards, by
  responsible unit and by district (a total row last);
- the overdue problems with their card and days overdue at the month's last day (worst first);
- outlets' rectification progress by district: total, rectified at the end of the month and of
  the month before, rectified in the month, overdue at the end (`geomon.rules.outlets`);
- a 督办通知 (dispatch notice) per carded problem, numbered in order (red first), with what the
  card asks for (`[dispatch]` in rules/supervision.toml).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

import pandas as pd

from geomon.rules import outlets as outlet_rules
from geomon.rules import supervision as sup_rules

UNFILLED = "（未填）"


@dataclass(frozen=True, slots=True)
class DispatchFigures:
    """What the monthly sheet shows (frames of plain values, ready for HTML and XLSX)."""

    month: str  # "2023-06"
    first: dt.date
    last: dt.date
    totals: dict[str, int]
    by_unit: pd.DataFrame
    by_district: pd.DataFrame
    overdue: pd.DataFrame
    outlets: pd.DataFrame
    notices: pd.DataFrame
    problems: pd.DataFrame = field(repr=False)  # the month-end problems with card and days


def month_span(month: str) -> tuple[dt.date, dt.date]:
    """First and last day of ``YYYY-MM``; `ValueError` for anything else."""
    try:
        first = dt.datetime.strptime(month.strip(), "%Y-%m").date()
    except ValueError as exc:
        msg = f"--month {month!r}: use YYYY-MM, e.g. 2023-06"
        raise ValueError(msg) from exc
    last = (pd.Timestamp(first) + pd.offsets.MonthEnd(0)).date()
    return first, last


def _in(dates: pd.Series, first: dt.date, last: dt.date) -> pd.Series:
    d = pd.to_datetime(dates)
    return ((d >= pd.Timestamp(first)) & (d <= pd.Timestamp(last))).fillna(False).astype(bool)


_COUNTS = ("new", "closed", "open", "overdue", "red", "yellow")


def _flags(problems: pd.DataFrame, first: dt.date, last: dt.date) -> pd.DataFrame:
    closed = sup_rules.rules().closed
    status = problems["status"].astype("object")
    return pd.DataFrame(
        {
            "new": _in(problems["found_date"], first, last).astype(int),
            "closed": (_in(problems["closed_date"], first, last) & status.eq(closed)).astype(int),
            "open": (~status.eq(closed)).astype(int),
            "overdue": (problems["days_overdue"] > 0).astype(int),
            "red": problems["card"].eq("red").astype(int),
            "yellow": problems["card"].eq("yellow").astype(int),
        },
        index=problems.index,
    )


def _grouped(flags: pd.DataFrame, by: pd.Series, name: str) -> pd.DataFrame:
    keys = by.astype("object").where(by.notna(), UNFILLED).fillna(UNFILLED)
    table = flags.groupby(keys.to_numpy(), sort=True).sum().reindex(columns=list(_COUNTS))
    table.index.name = name
    table = table.reset_index()
    total = {name: "合计", **{c: int(flags[c].sum()) for c in _COUNTS}}
    return pd.concat([table, pd.DataFrame([total])], ignore_index=True)


def _outlet_progress(
    now: pd.DataFrame, before: pd.DataFrame, first: dt.date, last: dt.date
) -> pd.DataFrame:
    columns = [
        "district",
        "total",
        "rectified",
        "rectified_before",
        "rectified_in_month",
        "overdue",
    ]
    if now.empty:
        return pd.DataFrame(columns=columns)
    flags = outlet_rules.outlet_flags(now, last)
    district = now["district"].astype("object").fillna(UNFILLED)
    table = flags.groupby(district.to_numpy()).sum()[["total", "rectified", "overdue"]]
    if len(before):
        prev = outlet_rules.outlet_flags(before, first - dt.timedelta(days=1))
        prev_d = before["district"].astype("object").fillna(UNFILLED)
        was = prev.groupby(prev_d.to_numpy()).sum()["rectified"]
    else:
        was = pd.Series(dtype="int64")
    table["rectified_before"] = was.reindex(table.index).fillna(0).astype(int)
    table["rectified_in_month"] = table["rectified"] - table["rectified_before"]
    table.index.name = "district"
    table = table.reset_index()
    total = {"district": "合计", **{c: int(table[c].sum()) for c in columns[1:]}}
    table = pd.concat([table, pd.DataFrame([total])], ignore_index=True)
    return table[columns]


def dispatch_figures(
    problems: pd.DataFrame,
    outlets: pd.DataFrame,
    outlets_before: pd.DataFrame,
    month: str,
) -> DispatchFigures:
    """The month's figures from the layers as they were at its end (see the module docstring)."""
    first, last = month_span(month)
    frame = problems.copy()
    frame["card"] = sup_rules.cards(problems, last)
    frame["days_overdue"] = sup_rules.days_overdue(problems, last)
    flags = _flags(frame, first, last)
    by_unit = _grouped(flags, frame["unit"], "unit")
    by_district = _grouped(flags, frame["district"], "district")
    late = frame[frame["days_overdue"] > 0].copy()
    late["_rank"] = late["card"].map({"red": 0, "yellow": 1}).fillna(2)
    late = late.sort_values(["_rank", "days_overdue", "id"], ascending=[True, False, True])
    overdue = late[
        ["id", "title", "unit", "district", "deadline", "status", "sent_back", "card",
         "days_overdue"]
    ].reset_index(drop=True)  # fmt: skip
    text = sup_rules.rules().notices
    carded = overdue[overdue["card"].notna()]
    # a problem sent back twice is red before its deadline: it is carded but not overdue
    early = frame[frame["card"].notna() & (frame["days_overdue"] == 0)]
    carded = pd.concat([carded, early[list(overdue.columns)]], ignore_index=True).sort_values(
        ["card", "days_overdue"], ascending=[True, False], key=_card_key
    )
    notices = pd.DataFrame(
        {
            "number": [
                text.number.format(year=first.year, month=first.month, n=i + 1)
                for i in range(len(carded))
            ],
            "unit": carded["unit"].to_numpy(),
            "id": carded["id"].to_numpy(),
            "title": carded["title"].to_numpy(),
            "card": carded["card"].to_numpy(),
            "days_overdue": carded["days_overdue"].to_numpy(),
            "asks": [text.red if c == "red" else text.yellow for c in carded["card"]],
        }
    )
    totals = {c: int(flags[c].sum()) for c in _COUNTS}
    return DispatchFigures(
        month=f"{first:%Y-%m}",
        first=first,
        last=last,
        totals=totals,
        by_unit=by_unit,
        by_district=by_district,
        overdue=overdue,
        outlets=_outlet_progress(outlets, outlets_before, first, last),
        notices=notices,
        problems=frame,
    )


def _card_key(column: pd.Series) -> Any:
    if column.name == "card":
        return column.map({"red": 0, "yellow": 1}).fillna(2)
    return column
