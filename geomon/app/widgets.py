"""Reusable, keyed app components: the layer picker and the map frame."""

from __future__ import annotations

import functools
from collections.abc import Sequence

import folium
import streamlit as st
from streamlit_folium import st_folium

from geomon import mapview
from geomon.app import i18n
from geomon.specs import get_spec


def _layer_title(name: str, lang: str) -> str:
    return get_spec(name).title.get(lang)


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
    )
    return [n for n in names if n in chosen]


def asset_base() -> str:
    """URL prefix of the vendored map scripts, honouring ``server.baseUrlPath`` behind a proxy."""
    prefix = str(st.get_option("server.baseUrlPath") or "").strip("/")
    return ("/" + prefix if prefix else "") + mapview.ASSET_BASE


def assets_installed() -> bool:
    """Whether ``npm ci`` has copied Leaflet to ``static/vendor`` (else the map stays blank)."""
    return (mapview.STATIC_VENDOR_DIR / mapview.ASSETS["leaflet"]).is_file()


def show_map(m: folium.Map, *, lang: str, key: str = "map", height: int = 700) -> None:
    """Draw `m` full width; the map sends nothing back, so panning never reruns the page."""
    if not assets_installed():
        st.error(i18n.t("map.assets_missing", lang))
    st_folium(m, key=key, height=height, use_container_width=True, returned_objects=[])
