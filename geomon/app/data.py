"""Cached access to the store for the app.

The store is opened once per URL and shared by every session (`st.cache_resource`). Layers are
cached with `st.cache_resource` too, keyed by (url, name, revision): ``st.cache_data`` would
pickle a copy of a large GeoDataFrame on every hit (see DESIGN.md, "Known pitfalls"). The
frames returned here are therefore SHARED and READ-ONLY: never mutate them; ``.copy()`` first.
A write to the store bumps its revision, so the next read misses the cache and rereads.

What the pages derive from the layers is cached the same way, keyed by the revision too: the
layers with their status columns for a period (`status_layers`), section results and monthly
classes, the downstream-section index, siting checks and import dry runs. A filter change then
only selects rows from cached frames; nothing is reread or recomputed.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Callable
from pathlib import Path

import geopandas as gpd
import pandas as pd
import streamlit as st

from geomon import config, filters, importer, siting, times
from geomon.access import auth
from geomon.access.scoped import ScopedStore
from geomon.analysis import compliance, stats
from geomon.app.components import login
from geomon.app.present import outlet_view, view
from geomon.monitoring import alerts
from geomon.specs import get_spec, layer_names, map_order
from geomon.store import Store, open_store

Areas = tuple[str, ...]
EVERYWHERE: Areas = (auth.ALL_AREAS,)


def settings() -> config.Settings:
    """Runtime settings from the environment (cheap; read on every run so tests can set env)."""
    return config.from_env()


@st.cache_resource(show_spinner=False)
def store(url: str) -> Store:
    """Return the store at `url`, opened once and shared by every session."""
    return open_store(url)


def revision(url: str) -> tuple[int, int]:
    """The store's revision, plus the file's mtime for a GeoPackage (part of every cache key).

    The mtime catches a file replaced wholesale (``geomon demo`` starts again at revision 1).
    """
    path = Path(url)
    mtime = path.stat().st_mtime_ns if "://" not in url and path.is_file() else 0
    return store(url).revision(), mtime


def scoped(url: str, who: auth.User) -> ScopedStore:
    """The store at `url` as `who` may see and change it (`geomon.access.scoped`)."""
    return ScopedStore(store(url), who)


def _reader(url: str, areas: Areas) -> Store | ScopedStore:
    if areas == EVERYWHERE:
        return store(url)
    return scoped(url, auth.User("scope", "viewer", areas))


@st.cache_resource(show_spinner=False, max_entries=64)
def _layer(url: str, name: str, revision: tuple[int, int], areas: Areas) -> gpd.GeoDataFrame:
    return _reader(url, areas).read(name)


def layer(url: str, name: str) -> gpd.GeoDataFrame:
    """Return layer `name` at the store's current revision (shared: do not mutate).

    Only the rows in the logged-in user's areas (all rows for everyone else).
    """
    return _layer(url, name, revision(url), login.areas())


@st.cache_resource(show_spinner=False, max_entries=8)
def _versioned(url: str, name: str, revision: tuple[int, int], areas: Areas) -> pd.DataFrame:
    return _reader(url, areas).read(name, with_versions=True)


def versioned(url: str, name: str) -> pd.DataFrame:
    """Layer `name` with each row's ``_version`` (for edits; shared: read-only)."""
    return _versioned(url, name, revision(url), login.areas())


@st.cache_resource(show_spinner=False, max_entries=8)
def _as_of(
    url: str, name: str, when: dt.date, revision: tuple[int, int], areas: Areas
) -> pd.DataFrame:
    end = dt.datetime.combine(when, dt.time.max)  # the whole day counts
    return _reader(url, areas).as_of(name, end)


def as_of(url: str, name: str, when: dt.date) -> pd.DataFrame:
    """Layer `name` as it was at the end of day `when` (`Store.as_of`; read-only)."""
    return _as_of(url, name, when, revision(url), login.areas())


@st.cache_resource(show_spinner=False, max_entries=16)
def _history_start(url: str, name: str, revision: tuple[int, int]) -> dt.date | None:
    versions = store(url).versions(name)
    if not len(versions):
        return None
    first = pd.to_datetime(versions["at"], utc=True, format="ISO8601").min()
    return first.tz_convert(times.CHINA_TZ).date()


def history_start(url: str, name: str) -> dt.date | None:
    """The Beijing day layer `name` was first written to the store: its history (`as_of`)
    starts there; None for a layer never written."""
    return _history_start(url, name, revision(url))


def map_layer_names(url: str) -> list[str]:
    """Spatial geomon layers present in the store, bottom to top as the map draws them."""
    known = set(layer_names())
    present = [n for n in store(url).layer_names() if n in known and get_spec(n).is_spatial]
    rank = {n: i for i, n in enumerate(map_order())}
    return sorted(present, key=lambda n: (rank.get(n, len(rank)), n))


@st.cache_resource(show_spinner=False, max_entries=16)
def _status_layers(
    url: str, period: str | None, revision: tuple[int, int], today: dt.date, areas: Areas
) -> dict[str, pd.DataFrame]:
    del today  # part of the key only: "overdue" and "alert" without a period are judged today
    known = set(layer_names())
    names = [n for n in store(url).layer_names() if n in known]
    layers = {n: _layer(url, n, revision, areas) for n in names}
    out = view.with_status(layers, period=filters.parse_period(period))
    if "sections" in out:  # "alert": at the period's end; without a period now (not the end of
        # today: hours still to come would count as a data gap), once per revision and day
        day = compliance.status_date(filters.parse_period(period)) if period else None
        day = day if day is not None and day < dt.date.today() else None  # a period not over
        when = day.isoformat() if day else pd.Timestamp.now(tz="UTC").floor("5min").isoformat()
        codes = _alert_sections(url, when, revision, areas)
        sections = out["sections"]
        out["sections"] = sections.assign(alert=sections["code"].astype(str).isin(codes))
    return out


@st.cache_resource(show_spinner=False, max_entries=16)
def _alert_sections(
    url: str, as_of: str, revision: tuple[int, int], areas: Areas
) -> frozenset[str]:
    """Codes of the sections with an open (unacknowledged) alert at `as_of` (a Beijing day:
    its end): once per store revision, moment and areas (one day over 2,000 stations takes
    ~2 s), never per tile."""
    reader = _reader(url, areas)
    # section alerts only (no outlets: a nation has ~100k overdue ones), from the cached layers
    layers = {n: _cached(url, n, revision, areas) for n in ("sections", "monitoring")}
    found = alerts.store_alerts(reader, as_of=as_of, layers=layers)
    acks = alerts.read_acks(reader)
    acked = set(acks["alert_id"].astype(str)) if len(acks) else set()
    return frozenset(
        a.feature_id for a in alerts.open_alerts(found, acked) if a.layer == "sections"
    )


def status_layers_for(url: str, period: str | None, areas: Areas) -> dict[str, pd.DataFrame]:
    """`status_layers` for explicit `areas` (the map's data routes, which have no session)."""
    return _status_layers(url, period, revision(url), times.today(), areas)


def as_of_for(url: str, name: str, when: dt.date, areas: Areas) -> pd.DataFrame:
    """`as_of` for explicit `areas` (the map's data routes, which have no session)."""
    return _as_of(url, name, when, revision(url), areas)


@st.cache_resource(show_spinner=False, max_entries=16)
def _allowed(
    url: str, period: str | None, revision: tuple[int, int], today: dt.date, areas: Areas
) -> dict[str, list]:
    layers = _status_layers(url, period, revision, today, areas)
    return view.allowed(layers, period_choices_for(url, revision, areas))


def allowed(url: str, period: str | None = None) -> dict[str, list]:
    """The sidebar's filter choices (`geomon.app.present.view.allowed`), computed once per store
    revision, period and areas: at national scale they take seconds to gather."""
    return _allowed(url, period, revision(url), times.today(), login.areas())


def status_layers(url: str, period: str | None = None) -> dict[str, pd.DataFrame]:
    """Every geomon layer of the store with its status columns for `period` (shared: read-only).

    Outlets carry ``overdue``, sections ``class``/``meets_target``/…
    (`geomon.analysis.compliance.with_status`) and ``alert`` (an open, unacknowledged alert at
    the end of the period, or without one now, when the layers were computed for this revision
    and day: `geomon.monitoring.alerts`);
    the ``monitoring`` table is included as stored.
    """
    return _status_layers(url, period, revision(url), times.today(), login.areas())


@st.cache_resource(show_spinner=False, max_entries=16)
def period_choices_for(url: str, revision: tuple[int, int], areas: Areas) -> list[str]:
    """`period_choices` at a revision, for explicit `areas` (computed once per revision)."""
    if "monitoring" not in store(url).layer_names():
        return []
    monitoring = _layer(url, "monitoring", revision, areas)
    return filters.period_options(monitoring["date"]) if len(monitoring) else []


def period_choices(url: str) -> list[str]:
    """Monitoring periods to offer (years, cumulative months, months), newest first."""
    return period_choices_for(url, revision(url), login.areas())


@st.cache_resource(show_spinner=False, max_entries=16)
def _section_results(
    url: str, period: str | None, revision: tuple[int, int], areas: Areas
) -> pd.DataFrame:
    sections = _layer(url, "sections", revision, areas)
    monitoring = _layer(url, "monitoring", revision, areas)
    return compliance.section_results(sections, monitoring, period=filters.parse_period(period))


def section_results(url: str, period: str | None = None) -> pd.DataFrame:
    """Every section's class over `period` (`geomon.analysis.compliance.section_results`;
    read-only)."""
    return _section_results(url, period, revision(url), login.areas())


@st.cache_resource(show_spinner=False, max_entries=16)
def _monthly(url: str, period: str | None, revision: tuple[int, int], areas: Areas) -> pd.DataFrame:
    sections = _layer(url, "sections", revision, areas)
    monitoring = _layer(url, "monitoring", revision, areas)
    return view.monthly_classes(sections, monitoring, period=filters.parse_period(period))


def monthly_classes(url: str, period: str | None = None) -> pd.DataFrame:
    """Each section's class month by month within `period` (read-only)."""
    return _monthly(url, period, revision(url), login.areas())


@st.cache_resource(show_spinner=False, max_entries=32)
def _siting(
    url: str, key: str, buffer_m: float, revision: tuple[int, int], _projects: gpd.GeoDataFrame
) -> siting.SitingResult:
    del revision  # part of the key: an edit of the constraint layers reruns the check
    return siting.check(_projects, store(url), buffer_m=buffer_m)


def siting_check(
    url: str, key: str, projects: gpd.GeoDataFrame, *, buffer_m: float
) -> siting.SitingResult:
    """`geomon.siting.check` of `projects` against the store, cached by `key` (what identifies
    the projects: a file hash, drawn GeoJSON, stored ids) and the store revision."""
    return _siting(url, key, float(buffer_m), revision(url), projects)


@st.cache_resource(show_spinner=False, max_entries=8)
def _dry_run(
    url: str, layer: str, key: str, crs: str, mode: str, revision: tuple[int, int],
    _raw: bytes, _name: str,
) -> importer.ImportResult:  # fmt: skip
    del key, revision  # cache key only
    return importer.import_file(
        _raw, layer, store(url), crs=crs or None, mode=mode, dry_run=True, filename=_name
    )


def dry_run(
    url: str, layer: str, raw: bytes, name: str, *, crs: str, mode: str
) -> importer.ImportResult:
    """What importing `raw` would do: the validation report and the diff; nothing is written.

    Raises `geomon.errors.ReadError` if the file cannot be read at all.
    """
    key = hashlib.sha256(raw).hexdigest() + ":" + name
    return _dry_run(url, layer, key, crs, mode, revision(url), raw, name)


def import_now(
    url: str,
    layer: str,
    raw: bytes,
    name: str,
    *,
    crs: str,
    mode: str,
    version: str | None,
    who: auth.User,
    progress: Callable[[float, str], object],
) -> importer.ImportResult:
    """Import `raw` as `who` for real (all or nothing, only into their areas); the caches refresh
    by revision, and the history names `who`."""
    return importer.import_file(
        raw, layer, scoped(url, who), crs=crs or None, mode=mode, filename=name,
        version=version, user=who.name, progress=lambda fraction, text: progress(fraction, text),
    )  # fmt: skip


@st.cache_resource(show_spinner=False, max_entries=4)  # nationally ~20 MB each (overdue rows)
def _outlet_statistics(
    url: str,
    period: str | None,
    selection: tuple[tuple[str, tuple[str, ...]], ...],
    as_of: dt.date,
    revision: tuple[int, int],
    areas: Areas,
) -> dict:
    layers = _status_layers(url, period, revision, times.today(), areas)
    wanted = {k: list(v) for k, v in selection}
    outlets = view.filter_layers({"outlets": layers["outlets"]}, wanted)["outlets"]
    return stats.outlet_statistics(outlets, as_of=as_of, overdue_frame=True)


def outlet_statistics(
    url: str, period: str | None, selection: dict[str, list[str]], as_of: dt.date
) -> dict:
    """`geomon.analysis.stats.outlet_statistics` of the outlets the filters select (computed once
    per store revision, period, filters and areas; read-only)."""
    key = tuple(sorted((k, tuple(v)) for k, v in selection.items() if v))
    return _outlet_statistics(url, period, key, as_of, revision(url), login.areas())


def warm(url: str, areas: Areas = EVERYWHERE) -> None:
    """Compute what the first visitor of each page would wait for, for `areas` (all by
    default): the layers with status columns, filter choices, section results and monthly
    classes, outlet statistics, and one siting check (its spatial indexes). Run at server start
    (`geomon.app.server.lifespan`); everything lands in the caches above."""
    rev = revision(url)
    today = times.today()
    layers = _status_layers(url, None, rev, today, areas)
    _allowed(url, None, rev, today, areas)
    if "sections" in layers and "monitoring" in layers:
        _section_results(url, None, rev, areas)
        _monthly(url, None, rev, areas)
    if "outlets" in layers:
        _outlet_statistics(url, None, (), compliance.status_date(None), rev, areas)
    projects = layers.get("projects")
    if projects is not None and len(projects):
        first = projects.iloc[:1]
        _siting(url, f"warm:{first['id'].iloc[0]}", siting.DEFAULT_BUFFER_M, rev, first)


@st.cache_resource(show_spinner=False, max_entries=4)
def _downstream(url: str, km: float, revision: tuple[int, int], areas: Areas) -> pd.DataFrame:
    rivers, sections, outlets = (
        _layer(url, n, revision, areas) for n in ("rivers", "sections", "outlets")
    )
    return outlet_view.downstream_sections(rivers, sections, outlets, km=km)


def downstream(url: str, km: float) -> pd.DataFrame:
    """Every outlet's downstream sections within `km` along the river (read-only)."""
    return _downstream(url, float(km), revision(url), login.areas())


# ---------------------------------------------------------------- alerts (预警)


@st.cache_resource(show_spinner=False, max_entries=16)
def _alerts(
    url: str, as_of: str, revision: tuple[int, int], areas: Areas
) -> tuple[list[alerts.Alert], pd.DataFrame]:
    reader = _reader(url, areas)
    layers = {n: _cached(url, n, revision, areas) for n in ("sections", "outlets", "monitoring")}
    return alerts.store_alerts(reader, as_of=as_of, layers=layers), alerts.read_acks(reader)


def _cached(url: str, name: str, revision: tuple[int, int], areas: Areas) -> pd.DataFrame | None:
    """Layer `name` from the layer cache, None when the store does not hold it (no alerts)."""
    if name not in store(url).layer_names():
        return None
    frame = _layer(url, name, revision, areas)
    return frame if len(frame) else None


def alerts_at(url: str, day: dt.date) -> tuple[list[alerts.Alert], pd.DataFrame]:
    """Every alert at the end of Beijing day `day` (today: now, to 5 minutes) and the
    acknowledgements, in the user's areas (shared: read-only)."""
    when = day.isoformat()
    if day >= dt.datetime.now(dt.UTC).astimezone(dt.timezone(dt.timedelta(hours=8))).date():
        when = pd.Timestamp.now(tz="UTC").floor("5min").isoformat()  # evaluated now
    return _alerts(url, when, revision(url), login.areas())


@st.cache_resource(show_spinner=False, max_entries=16)
def _latest_data_day(
    url: str, day: dt.date, revision: tuple[int, int], areas: Areas
) -> dt.date | None:
    frame = _cached(url, "monitoring", revision, areas)
    lab = None
    if frame is not None and "date" in frame.columns:
        found = pd.to_datetime(frame["date"], errors="coerce").max()
        lab = None if pd.isna(found) else found.date()
    reader = _reader(url, areas)
    if not hasattr(reader, "read_readings_daily"):
        return lab

    def last_reading(start: dt.date, end: dt.date) -> dt.date | None:
        """The last Beijing day in `start` … `end` with a reading, from the daily rollup read
        backwards in doubling spans: a nation's stations give ~16k rollup rows a day, and
        live data are found in the first day read (the raw readings of a month were ~12M)."""
        span = 1
        while end >= start:
            first = max(start, end - dt.timedelta(days=span - 1))
            days = reader.read_readings_daily(first, end)["day"]
            if len(days):
                return days.max().date()
            end, span = first - dt.timedelta(days=1), span * 2
        return None

    recent = last_reading(day - dt.timedelta(days=31), day)
    if recent is not None:
        return max(recent, lab) if lab else recent
    if lab is None:
        return None
    later = last_reading(lab, min(day, lab + dt.timedelta(days=92)))
    return max(later, lab) if later else lab


def latest_data_day(url: str, day: dt.date) -> dt.date | None:
    """The latest day with data up to `day`: the lab's last sampling date, or a station's last
    reading if later (None without either), in the user's areas; for the 预警 page's note on a
    day long after the data. Looks at the month before `day`, else at the 92 days after the
    lab's last date (readings that stopped earlier than that are found), in the daily rollup."""
    return _latest_data_day(url, day, revision(url), login.areas())


# ---------------------------------------------------------------- section record (一断面一档)


@st.cache_resource(show_spinner=False, max_entries=16)
def _section_readings(url: str, code: str, revision: tuple[int, int], areas: Areas) -> pd.DataFrame:
    reader = _reader(url, areas)
    if not hasattr(reader, "read_readings"):
        return alerts.empty_readings()
    return reader.read_readings(sections=[code])


def section_readings(url: str, code: str) -> pd.DataFrame:
    """Every station reading of section `code` (all parameters, hourly and daily; read-only)."""
    return _section_readings(url, code, revision(url), login.areas())
