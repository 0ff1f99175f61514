"""一张图 (the monitoring map): every spatial layer in the store, a layer picker, counts."""

import os

import streamlit as st

from geomon import mapview
from geomon.app import data, i18n, widgets
from geomon.errors import GeomonError
from geomon.specs import get_spec

lang = i18n.current()
settings = data.settings()
st.title(i18n.t("map.title", lang))

try:
    names = data.map_layer_names(settings.store_url)
except GeomonError as exc:
    st.error(i18n.t("map.store_error", lang).format(error=exc))
    st.stop()
if not names:
    st.warning(i18n.t("map.no_data", lang).format(url=settings.store_url))
    st.stop()

chosen = widgets.layer_picker(names, lang=lang, key="map_layers")
if not chosen:
    st.info(i18n.t("map.none_selected", lang))
    st.stop()
frames = {name: data.layer(settings.store_url, name) for name in chosen}

options = {"lang": lang, "asset_base": widgets.asset_base()}
tianditu_key = os.environ.get("GEOMON_TIANDITU_KEY")
try:
    m = mapview.build_map(frames, basemap=settings.basemap, tianditu_key=tianditu_key, **options)
except mapview.MapError as exc:
    st.warning(i18n.t("map.basemap_error", lang).format(error=exc))
    m = mapview.build_map(frames, **options)
widgets.show_map(m, lang=lang, key="map")

st.subheader(i18n.t("map.counts", lang))
for row in range(0, len(chosen), 5):
    for col, name in zip(st.columns(5), chosen[row : row + 5], strict=False):
        col.metric(get_spec(name).title.get(lang), f"{len(frames[name]):,}")
