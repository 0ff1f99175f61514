"""The sidebar filters, shared by every page, and their round trip through the URL.

The chosen filters live in ``st.session_state[STATE]`` as ``{parameter: [values]}`` (plain
lists of text: serialisable, and kept when the user switches page, unlike widget state) and in
the URL's query parameters, so a view can be shared as a link. A link is untrusted: only the
parameters and values of `geomon.app.present.view.allowed` survive
(`geomon.filters.selection_from_params`).
"""

from __future__ import annotations

import datetime as dt
import functools
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import pandas as pd
import streamlit as st

from geomon import filters
from geomon.analysis import compliance
from geomon.app import data, i18n
from geomon.app.present import view
from geomon.specs import Label

STATE = "view"  # session_state: the chosen filters as {parameter: [values]}
_PREFIX = "f."  # widget keys: "f.district", "f.period", …
_GROUPS = (  # sidebar sections: (caption key, filter parameters)
    (None, ("district", "river")),
    ("filters.outlets", ("type", "category", "stage", "overdue")),
    ("filters.sections", ("level", "class", "meets")),
)


@dataclass(frozen=True)
class View:
    """What the sidebar filters select: every layer with status columns, and the filtered ones."""

    selection: dict[str, list[str]]
    period: str | None  # URL text, e.g. "2023-01..2023-06"; None = all monitoring data
    layers: dict[str, pd.DataFrame]  # shared cache: read-only
    filtered: dict[str, pd.DataFrame]
    as_of: dt.date

    def period_label(self, lang: str) -> str:
        """The period in words ("2023年1–6月累计")."""
        return period_label(self.period or "", lang)

    def caption(self, lang: str) -> str:
        """One line saying what the page shows: period, overdue date, filters."""
        chosen = [
            f"{d.label.get(lang)}: "
            + "、".join(view.option_label(d, v, lang) for v in self.selection[d.key])
            for d in view.ALL_DIMS
            if self.selection.get(d.key)
        ]
        return i18n.tf(  # filter values are data: literal text in the caption's Markdown
            "common.view_caption",
            lang,
            period=self.period_label(lang),
            as_of=self.as_of.isoformat(),
            filters="；".join(chosen) or i18n.t("common.no_filters", lang),
        )


def period_label(text: str, lang: str) -> str:
    """A period parameter in words: all data, a year, a month or cumulative months."""
    if not text:
        return i18n.t("filters.period_all", lang)
    if ".." in text:
        first, last = text.split("..")
        return i18n.t("filters.period_cumulative", lang).format(
            year=first[:4], first=int(first[5:]), last=int(last[5:])
        )
    if len(text) == 7:
        return i18n.t("filters.period_month", lang).format(year=text[:4], month=int(text[5:]))
    return i18n.t("filters.period_year", lang).format(year=text)


def period_labels(text: str) -> Label:
    """`period_label` in both languages (for map legends)."""
    return Label(period_label(text, "zh"), period_label(text, "en"))


def _initial() -> dict[str, list[str]]:
    """The filters of this session: kept from an earlier page, else the URL's (checked later)."""
    if STATE in st.session_state:
        return dict(st.session_state[STATE])
    return {k: st.query_params.get_all(k) for k in st.query_params}


def _sync_url(selection: Mapping[str, list[str]], keys: Sequence[str]) -> None:
    for key in keys:
        wanted = selection.get(key) or []
        if st.query_params.get_all(key) != wanted:
            if wanted:
                st.query_params[key] = wanted
            else:
                st.query_params.pop(key, None)


def _reset(keys: Sequence[str]) -> None:
    st.session_state[STATE] = {}
    for key in keys:
        st.session_state.pop(_PREFIX + key, None)


def _widget(
    where: Any, dim: view.Dim, options: list[str], wanted: list[str], lang: str
) -> list[str]:
    """One filter widget in `where` (the sidebar or an expander in it), seeded from `wanted`."""
    key = _PREFIX + dim.key
    if dim.flag:
        st.session_state[key] = bool(st.session_state.get(key, bool(wanted)))
        return ["1"] if where.checkbox(dim.label.get(lang), key=key) else []
    current = st.session_state.get(key, wanted)
    st.session_state[key] = [v for v in current if v in options]
    return where.multiselect(
        dim.label.get(lang),
        options,
        format_func=functools.partial(view.option_label, dim, lang=lang),
        placeholder=i18n.t("filters.placeholder", lang),
        key=key,
    )


def sidebar(url: str, lang: str) -> View:
    """Draw the filters in the sidebar and return the filtered view of the store at `url`."""
    periods = data.period_choices(url)
    state = _initial()
    st.sidebar.header(i18n.t("filters.header", lang))
    key = _PREFIX + view.PERIOD
    if key not in st.session_state or st.session_state[key] not in ["", *periods]:
        chosen = (state.get(view.PERIOD) or [""])[0]
        st.session_state[key] = chosen if chosen in periods else ""
    period = st.sidebar.selectbox(
        i18n.t("filters.period", lang),
        ["", *periods],
        format_func=functools.partial(period_label, lang=lang),
        key=key,
        placeholder=i18n.t("common.choose_one", lang),
    )
    layers = data.status_layers(url, period or None)
    allowed = data.allowed(url, period or None)
    wanted = filters.selection_from_params(state, allowed)
    selection: dict[str, list[str]] = {view.PERIOD: [period]} if period else {}
    by_key = {d.key: d for d in view.DIMS}
    for title, keys in _GROUPS:
        dims = [by_key[k] for k in keys if k in allowed]
        if title and dims:
            st.sidebar.caption(i18n.t(title, lang))
        for dim in dims:
            selection[dim.key] = _widget(
                st.sidebar, dim, allowed[dim.key], wanted.get(dim.key, []), lang
            )
    extra = [d for d in view.extra_dims() if d.key in allowed]
    if extra:
        more = st.sidebar.expander(i18n.t("filters.more", lang))
        for dim in extra:
            selection[dim.key] = _widget(more, dim, allowed[dim.key], wanted.get(dim.key, []), lang)
    selection = {k: v for k, v in selection.items() if v}
    st.sidebar.button(
        i18n.t("filters.reset", lang), on_click=_reset, args=(list(allowed),), key="f.reset"
    )
    st.session_state[STATE] = selection
    _sync_url(selection, list(allowed))
    parsed = filters.parse_period(period or None)
    return View(
        selection={k: v for k, v in selection.items() if k != view.PERIOD},
        period=period or None,
        layers=layers,
        filtered=view.filter_layers(layers, selection, period=parsed),
        as_of=compliance.status_date(parsed),
    )
