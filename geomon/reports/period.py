"""Period reports (阶段工作报告): outlet work and surface-water quality for a period, as data.

`period_report` gathers what a bureau's monthly, half-year or yearly work report states: outlets
found / traced / rectified / closed in the period and cumulatively, by district, type and
category, the overdue list; each section's class in the period against the previous period of
the same length and against its target, the 优良 and 劣Ⅴ shares per network level with their
trend, the sections that changed class and the items above their limits. The HTML and XLSX
writers (`geomon.reports.period_html`, `geomon.reports.period_xlsx`) only lay these out.

Reproducible periods: the figures come from the store *as it was* at a cutoff moment, rebuilt
from its change history (`geomon.reports.versions.StoreAsOf`), by default the end of the period's
last day (midnight, Beijing time). Edits and imports made after that moment do not change the
report, so a past period gives the same figures whenever it is run. A report written some days
after the period, with late ledger entries, passes that date as `as_of` (which it states).

The figures equal those of ``geomon stats`` (`geomon.analysis.stats.stats_json`) for the same
period on
the same data: ``PeriodReport.stats`` is exactly that document, computed on the cutoff view.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

import pandas as pd

from geomon.analysis import compliance, stats
from geomon.errors import ReportError
from geomon.reports import _period_outlets, _period_sections
from geomon.reports import versions as gv
from geomon.rules import outlets as ro
from geomon.siting import LayerSource
from geomon.specs import get_spec
from geomon.store import Store

LAYERS = ("outlets", "sections", "monitoring", "districts", "rivers", "lakes")
"""The layers a period report reads (and whose data versions it states)."""


@dataclass(frozen=True)
class PeriodReport:
    """The figures of a period report (JSON-ready values; see `period_report`)."""

    start: dt.date
    end: dt.date
    previous: tuple[dt.date, dt.date]
    district: str | None
    as_of: gv.Moment  # the store moment every figure is taken at
    stats: dict[str, Any]  # `geomon.analysis.stats.stats_json` for the period at that moment
    outlets: dict[str, Any] | None  # see `geomon.reports._period_outlets.outlet_figures`
    sections: list[dict[str, Any]]  # one per section, see `_period_sections.section_rows`
    networks: list[dict[str, Any]]  # per network level and 合计, now vs before, trend
    changed: list[dict[str, Any]]  # sections whose class changed since the previous period
    exceedances: list[dict[str, Any]]  # section × item above class Ⅲ
    rivers: list[dict[str, Any]]  # river status (2011 method), from the stats
    versions: tuple[LayerSource, ...]  # the data versions used
    notes: tuple[str, ...] = ()
    frames: dict[str, pd.DataFrame] = field(default_factory=dict, repr=False, compare=False)

    @property
    def label(self) -> str:
        """The period as a report names it: 2023年上半年, 2023年第二季度, 2023年3月 …"""
        return period_label(self.start, self.end)

    @property
    def previous_label(self) -> str:
        """The previous period's name."""
        return period_label(*self.previous)

    def to_json(self) -> dict[str, Any]:
        """Everything as plain JSON values (``geomon report -o x.json``)."""
        return {
            "period": {"start": self.start.isoformat(), "end": self.end.isoformat()},
            "label": self.label,
            "previous": {
                "start": self.previous[0].isoformat(),
                "end": self.previous[1].isoformat(),
                "label": self.previous_label,
            },
            "district": self.district,
            "as_of": {
                "at": self.as_of.at,
                "label": self.as_of.label,
                "revision": self.as_of.revision,
            },
            "outlets": self.outlets,
            "sections": self.sections,
            "networks": self.networks,
            "changed": self.changed,
            "exceedances": self.exceedances,
            "rivers": self.rivers,
            "versions": [_source_json(s) for s in self.versions],
            "notes": list(self.notes),
            "stats": self.stats,
        }


def _source_json(s: LayerSource) -> dict[str, Any]:
    return {
        "layer": s.layer,
        "title": s.title,
        "rows": s.rows,
        "source": s.source,
        "imported_at": s.imported_at,
        "version": s.version,
        "revision": s.revision,
        "stored": s.stored,
    }


# ------------------------------------------------------------------------------ periods


def _as_date(value: str | dt.date, what: str) -> dt.date:
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    try:
        return dt.date.fromisoformat(str(value).strip())
    except ValueError:
        msg = f"`{what}` {value!r} is not a date; write it as YYYY-MM-DD (e.g. 2023-06-30)"
        raise ReportError(msg) from None


def _whole_months(start: dt.date, end: dt.date) -> int | None:
    """The number of calendar months `start`…`end` spans exactly, else None."""
    if start.day != 1 or (end + dt.timedelta(days=1)).day != 1:
        return None
    return (end.year - start.year) * 12 + end.month - start.month + 1


def previous_period(start: dt.date, end: dt.date) -> tuple[dt.date, dt.date]:
    """The period of the same length just before `start`…`end` (inclusive dates).

    Whole calendar months give the same number of months before (H1 2023 → H2 2022, a quarter
    → the quarter before); other periods the same number of days.

    Examples
    --------
    >>> [d.isoformat() for d in previous_period(dt.date(2023, 1, 1), dt.date(2023, 6, 30))]
    ['2022-07-01', '2022-12-31']
    >>> [d.isoformat() for d in previous_period(dt.date(2023, 3, 10), dt.date(2023, 3, 19))]
    ['2023-02-28', '2023-03-09']
    """
    months = _whole_months(start, end)
    last = start - dt.timedelta(days=1)
    if months is None:
        return last - (end - start), last
    index = start.year * 12 + start.month - 1 - months
    return dt.date(index // 12, index % 12 + 1, 1), last


_QUARTERS = ("第一季度", "第二季度", "第三季度", "第四季度")


def period_label(start: dt.date, end: dt.date) -> str:
    """Name a period as Chinese reports do.

    Examples
    --------
    >>> period_label(dt.date(2023, 1, 1), dt.date(2023, 6, 30))
    '2023年上半年'
    >>> period_label(dt.date(2023, 4, 1), dt.date(2023, 6, 30))
    '2023年第二季度'
    >>> period_label(dt.date(2023, 1, 1), dt.date(2023, 5, 31))
    '2023年1–5月'
    >>> period_label(dt.date(2023, 3, 5), dt.date(2023, 3, 20))
    '2023年3月5日至2023年3月20日'
    """
    months = _whole_months(start, end)
    if months is not None and start.year == end.year:
        y, m1, m2 = start.year, start.month, end.month
        if months == 12:
            return f"{y}年"
        if (m1, m2) == (1, 6):
            return f"{y}年上半年"
        if (m1, m2) == (7, 12):
            return f"{y}年下半年"
        if months == 3 and m1 % 3 == 1:
            return f"{y}年{_QUARTERS[m1 // 3]}"
        return f"{y}年{m1}月" if months == 1 else f"{y}年{m1}–{m2}月"

    def day(d: dt.date) -> str:
        return f"{d.year}年{d.month}月{d.day}日"

    return f"{day(start)}至{day(end)}"


# ------------------------------------------------------------------------------ the report


def _has_data(monitoring: pd.DataFrame, span: tuple[dt.date, dt.date]) -> bool:
    return bool(len(monitoring)) and bool(len(compliance.select_period(monitoring, span)))


def _closed_before(
    store: Store, view: gv.StoreAsOf, start: dt.date, notes: list[str]
) -> set[str] | None:
    """Codes of the outlets 已销号 when the period began; None when history cannot tell."""
    cutoff = gv.end_of_day(start - dt.timedelta(days=1))
    if view.moment.at is not None:
        cutoff = min(cutoff, view.moment.at)
    events = store.history("outlets")
    if events.empty or str(events["at"].min()) > cutoff:
        notes.append(
            "排污口台账在本期开始前没有变更记录（或于期内首次入库），台账又无销号日期，"
            "故“本期销号”无法统计，表中记为“—”；累计销号数不受影响。"
        )
        return None
    before = gv.StoreAsOf(store, gv.Moment(cutoff), view.district).read("outlets")
    if before.empty:
        return set()
    return set(before.loc[ro.is_closed(before["stage"]).to_numpy(), "code"].astype(object))


def _check_district(view: gv.StoreAsOf, district: str) -> None:
    """Raise `ReportError` unless some outlet or section lies in `district`."""
    known = set()
    for name in ("outlets", "sections"):
        frame = view.store.read(name) if view.store.info(name) is not None else None
        if frame is not None and "district" in frame.columns:
            known |= set(frame["district"].dropna().astype(str))
    if district not in known:
        msg = f"no outlet or section lies in district {district!r}; known: {sorted(known)}"
        raise ReportError(msg)


def period_report(
    store: Store,
    start: str | dt.date,
    end: str | dt.date,
    *,
    district: str | None = None,
    as_of: str | dt.date | dt.datetime | None = None,
) -> PeriodReport:
    """
    Gather the figures of a period report from `store` (see the module docstring).

    Parameters
    ----------
    store
        A geomon store with (some of) outlets, sections and monitoring.
    start, end
        The period, inclusive dates (``"2023-01-01"``, ``"2023-06-30"``).
    district
        Only this district's outlets and sections (field ``district``); None for all.
    as_of
        The store moment to take the data at: a date (its end, Beijing time), a date-time, a
        data version label, or ``"current"``. Default: the end of `end`, so re-running a past
        period gives the same figures.

    Raises
    ------
    ReportError
        For a date that cannot be read or a period ending before it starts.
    VersionError
        For an `as_of` that is neither a date nor a known version label.
    """
    first, last = _as_date(start, "start"), _as_date(end, "end")
    if last < first:
        msg = f"the period ends ({last}) before it starts ({first})"
        raise ReportError(msg)
    moment = gv.Moment(gv.end_of_day(last)) if as_of is None else gv.resolve(store, as_of, LAYERS)
    view = gv.StoreAsOf(store, moment, district)
    if district is not None:
        _check_district(view, district)
    before = previous_period(first, last)
    span = (pd.Timestamp(first), pd.Timestamp(last))
    notes: list[str] = []
    sections, monitoring, outlets = (view.read(n) for n in ("sections", "monitoring", "outlets"))
    has_data = _has_data(monitoring, (first, last))
    # stats.section_statistics cannot classify a period without monitoring data (KeyError):
    # leave the sections out of the stats then, as stats_json does for a missing layer
    doc = stats.stats_json(view if has_data else view.without("sections"), period=span)
    outlet_part = None
    if doc["outlets"] is not None:
        closed = _closed_before(store, view, first, notes)
        outlet_part = _period_outlets.outlet_figures(doc["outlets"], outlets, first, last, closed)
    section_rows: list[dict[str, Any]] = []
    networks: list[dict[str, Any]] = []
    exceed: list[dict[str, Any]] = []
    if len(sections):
        now = compliance.section_results(sections, monitoring, period=span)
        prev_span = (pd.Timestamp(before[0]), pd.Timestamp(before[1]))
        prev = compliance.section_results(sections, monitoring, period=prev_span)
        section_rows = _period_sections.section_rows(now, prev)
        exceed = _period_sections.exceedance_rows(now)
        prev_doc = None
        if _has_data(monitoring, before):
            prev_doc = stats.section_statistics(sections, monitoring, period=prev_span)
        else:
            notes.append(f"上期（{period_label(*before)}）无监测数据，断面水质不作环比。")
        if doc["sections"] is not None:
            networks = _period_sections.network_rows(doc["sections"], prev_doc)
        else:
            notes.append(f"本期（{period_label(first, last)}）无监测数据，断面水质未评价。")
    for name in ("outlets", "sections", "monitoring"):
        info = store.info(name)
        if info is not None and moment.at is not None and len(view.read(name)) == 0:
            notes.append(
                f"图层“{name}”在数据截止时间（{gv.beijing(moment.at)}）尚未入库，"
                "报告中该部分为空；如需纳入其后补录的数据，请指定较晚的数据截止时间。"
            )
    present = [n for n in LAYERS if store.info(n) is not None]
    untracked = [n for n in present if len(view.read(n)) and store.history(n).empty]
    if untracked and moment.at is not None:
        names = "、".join(get_spec(n).title.zh for n in untracked)
        notes.append(
            f"{names}在启用变更历史之前入库，无法还原其更早的状态，按库中现有数据计；"
            "此后的修改均有记录，不影响本报告。"
        )
    return PeriodReport(
        start=first,
        end=last,
        previous=before,
        district=district,
        as_of=moment,
        stats=doc,
        outlets=outlet_part,
        sections=section_rows,
        networks=networks,
        changed=_period_sections.changed_rows(section_rows),
        exceedances=exceed,
        rivers=list((doc["sections"] or {}).get("rivers", [])),
        versions=gv.layer_sources(view, present),
        notes=tuple(notes),
        frames={n: view.read(n) for n in LAYERS if n in present},
    )
