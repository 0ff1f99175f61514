"""Reusable, keyed app components: layer picker, map frame, map search, table downloads."""

from __future__ import annotations

import functools
from collections.abc import Callable, Mapping, Sequence
from typing import Any, NamedTuple

import altair as alt
import folium
import pandas as pd
import streamlit as st
from streamlit_folium import st_folium

from geomon import mapview
from geomon.app import i18n
from geomon.app.present import view
from geomon.specs import get_spec


def _layer_title(name: str, lang: str) -> str:
    return get_spec(name).title.get(lang)


def layer_label(name: str, lang: str) -> str:
    """A layer as people know it, with its name: 入河排污口 (outlets)."""
    return f"{_layer_title(name, lang)} ({name})"


def code_name(names: Mapping[str, str], code: str) -> str:
    """``CODE  name`` for a selectbox of features (`names`: code → name)."""
    return f"{code}  {names.get(code, '')}"


def record_picker(
    label: str, codes: list[str], names: Mapping[str, str], *, key: str, param: str, lang: str
) -> str | None:
    """A record page's chooser of one feature by code (``CODE  name``), bound to the URL's
    `param`: a shared link opens its feature, and the URL follows the choice. A requested code
    not among `codes` stays selectable, so the page can say it does not exist (or lies outside
    the filters) instead of silently showing another."""
    wanted = st.query_params.get(param)
    if key not in st.session_state and wanted:
        st.session_state[key] = wanted
    if st.session_state.get(key) and st.session_state[key] not in codes:
        codes = [st.session_state[key], *codes]
    code = st.selectbox(
        label, codes, key=key, format_func=functools.partial(code_name, names),
        placeholder=i18n.t("common.choose_one", lang),
    )  # fmt: skip
    if code is not None and st.query_params.get(param) != code:
        st.query_params[param] = code
    return code


def layer_picker(names: Sequence[str], *, lang: str, key: str = "layers") -> list[str]:
    """Sidebar multiselect of `names` (all chosen at first); return the chosen, in `names` order.

    The choice lives in ``st.session_state[key]`` across reruns; layers that disappeared from
    the store are dropped from it.
    """
    if key in st.session_state:
        st.session_state[key] = [n for n in st.session_state[key] if n in names]
    else:
        st.session_state[key] = list(names)
    chosen = st.sidebar.multiselect(
        i18n.t("map.layers", lang),
        list(names),
        format_func=functools.partial(_layer_title, lang=lang),  # picklable, unlike a lambda
        key=key,
        placeholder=i18n.t("common.choose_many", lang),
    )
    return [n for n in names if n in chosen]


def assets_installed() -> bool:
    """Whether ``npm ci`` has copied Leaflet to ``static/vendor`` (else the map stays blank)."""
    return (mapview.STATIC_VENDOR_DIR / mapview.ASSETS["leaflet"]).is_file()


class Focus(NamedTuple):
    """A feature to zoom the map to: its layer, code, name and a point on it."""

    layer: str
    code: str
    name: str | None
    lat: float
    lon: float


def _focus_ring(focus: Focus) -> folium.FeatureGroup:
    group = folium.FeatureGroup(name="focus", control=False)
    folium.CircleMarker(
        (focus.lat, focus.lon), radius=14, color="#ff00ff", weight=3, fill=False
    ).add_to(group)
    return group


def show_map(
    m: folium.Map,
    *,
    lang: str,
    key: str = "map",
    height: int = 700,
    focus: Focus | None = None,
    returned_objects: Sequence[str] = (),
) -> dict[str, Any]:
    """
    Draw `m` full width and return what the map sends back (only `returned_objects`).

    By default the map sends nothing, so panning never reruns the page. A `focus` pans and
    zooms the mounted map to a feature and rings it, without rebuilding the map.
    """
    if not assets_installed():
        st.error(i18n.t("map.assets_missing", lang))
    extra: dict[str, Any] = {}
    if focus is not None:
        extra = {"center": (focus.lat, focus.lon), "zoom": 15,
                 "feature_group_to_add": _focus_ring(focus)}  # fmt: skip
    return st_folium(
        m,
        key=key,
        height=height,
        use_container_width=True,
        returned_objects=list(returned_objects),
        **extra,
    )


def _hit_label(hits: pd.DataFrame, lang: str, i: int) -> str:
    row = hits.iloc[i]
    title = get_spec(row["layer"]).title.get(lang)
    return f"{row['code']}  {row['name'] or ''}（{title}）"


def map_search(
    frames: Mapping[str, pd.DataFrame], *, lang: str, key: str = "search"
) -> Focus | None:
    """A search box over outlets and sections (code or name); return the feature chosen."""
    left, right = st.columns([2, 3], vertical_alignment="bottom")
    text = left.text_input(
        i18n.t("map.search", lang), placeholder=i18n.t("map.search_placeholder", lang), key=key
    )
    if not text.strip():
        return None
    hits = view.search(frames, text)
    if hits.empty:
        right.info(i18n.tf("map.search_none", lang, q=text.strip()))
        return None
    i = right.selectbox(
        i18n.tf("map.search_results", lang, n=len(hits)),
        range(len(hits)),
        format_func=functools.partial(_hit_label, hits, lang),
        key=f"{key}.hit",
        placeholder=i18n.t("common.choose_one", lang),
    )
    row = hits.iloc[i]
    return Focus(row["layer"], str(row["code"]), row["name"], float(row["lat"]), float(row["lon"]))


def _csv_bytes(frame: pd.DataFrame | Callable[[], pd.DataFrame]) -> bytes:
    table = frame() if callable(frame) else frame
    return table.to_csv(index=False).encode("utf-8-sig")


def csv_download(
    frame: pd.DataFrame | Callable[[], pd.DataFrame], file_name: str, *, lang: str, key: str
) -> None:
    """A button that downloads `frame` (or what the callable makes) as CSV (UTF-8 with BOM, so
    Excel reads Chinese). The CSV is written when the button is clicked, not on every run."""
    st.download_button(
        i18n.t("common.download_csv", lang),
        functools.partial(_csv_bytes, frame if callable(frame) else frame.copy()),
        file_name=file_name,
        mime="text/csv",
        key=key,
        on_click="ignore",
        icon=":material/download:",
    )


def kpi(where: Any, label: str, value: str, note: str | None = None) -> None:
    """A KPI card: a bordered metric, with an optional grey note (a share) under the value."""
    where.metric(label, value, note, delta_color="off", delta_arrow="off", border=True, height=128)


def chart(figure: alt.TopLevelMixin) -> None:
    """Show an Altair chart across the page's width.

    ``st.altair_chart`` validates the whole spec against Vega-Lite's JSON schema on every run:
    ~0.3 s of the dashboard's 2.1 s at national scale, for charts built by our own code. The spec
    is taken without that validation (our charts are tested) and shown as Vega-Lite."""
    spec = figure.to_dict(validate=False)
    view_config = spec.get("config", {}).get("view", {})
    for size in ("continuousWidth", "continuousHeight"):  # Altair's default theme; Streamlit's none
        view_config.pop(size, None)
    st.vega_lite_chart(spec, width="stretch")
