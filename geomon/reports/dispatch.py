"""The monthly dispatch sheet (按月调度督办) from the store as of the month's end.

Like the period report, every figure comes from the layers rebuilt from the change history at
the end of the month's last day, Beijing time (`geomon.reports.versions.end_of_day`), so a past
month gives the same sheet whenever it is made; the figures are `geomon.supervision.dispatch`'s.
``district`` keeps one district: a 2/4/6-digit code (the problems' and outlets' ``district_code``
starts with it) or a district name.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import pandas as pd

from geomon.errors import ReportError
from geomon.reports import versions as gv
from geomon.store import Store
from geomon.supervision import dispatch as figures

PROBLEMS, OUTLETS = "problems", "outlets"


@dataclass(frozen=True, slots=True)
class DispatchSheet:
    """The month's figures, the moment they were taken at, and the district kept (if any)."""

    figures: figures.DispatchFigures
    as_of: gv.Moment
    district: str | None

    @property
    def as_of_text(self) -> str:
        """The data cutoff as people read it (Beijing time)."""
        return self.as_of.text


def _layer(store: Store, name: str, at: str) -> pd.DataFrame:
    from geomon.store.merge import empty_layer  # noqa: PLC0415

    if name not in store.layer_names():
        return empty_layer(name)
    return store.as_of(name, at)


def _district(frame: pd.DataFrame, district: str | None) -> pd.DataFrame:
    if district is None or frame.empty:
        return frame
    code = frame.get("district_code")
    by_code = (
        code.astype("object").fillna("").astype(str).str.startswith(district)
        if district.isdigit() and code is not None
        else pd.Series(False, index=frame.index)
    )
    by_name = frame["district"].astype("object").eq(district).fillna(False).astype(bool)
    return frame[(by_code | by_name).to_numpy(dtype=bool)]


def dispatch_sheet(store: Store, month: str, *, district: str | None = None) -> DispatchSheet:
    """Gather the sheet of `month` (``YYYY-MM``) from `store` as of the month's end.

    Raises `ReportError` for a month that is not ``YYYY-MM``.
    """
    try:
        first, last = figures.month_span(month)
    except ValueError as exc:
        raise ReportError(str(exc)) from exc
    at = gv.end_of_day(last)
    before = gv.end_of_day(first - dt.timedelta(days=1))
    problems = _district(_layer(store, PROBLEMS, at), district)
    outlets = _district(_layer(store, OUTLETS, at), district)
    outlets_before = _district(_layer(store, OUTLETS, before), district)
    made = figures.dispatch_figures(problems, outlets, outlets_before, month)
    return DispatchSheet(made, gv.Moment(at), district)
