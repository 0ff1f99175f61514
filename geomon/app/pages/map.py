"""一张图 (the monitoring map): every spatial layer, filtered in the sidebar, searchable."""

import datetime as dt

import pandas as pd
import streamlit as st

from geomon import times
from geomon.analysis import compliance
from geomon.app import data, i18n
from geomon.app.components import filterbar, login, tilemap, widgets
from geomon.app.present import styles, view
from geomon.errors import GeomonError
from geomon.specs import get_spec

lang = i18n.current()
settings = data.settings()
st.title(i18n.t("map.title", lang))
login.sidebar(lang, "view")

try:
    names = data.map_layer_names(settings.store_url)
except GeomonError as exc:
    st.error(i18n.t("map.store_error", lang).format(error=exc))
    st.stop()
if not names:
    st.warning(i18n.t("map.no_data", lang).format(url=settings.store_url))
    st.stop()


def past_outlets(v: filterbar.View, when: dt.date) -> pd.DataFrame:
    """The outlets as they were at the end of day `when`, with the sidebar filters applied."""
    stored = data.as_of(settings.store_url, "outlets", when)
    past = compliance.with_status("outlets", stored, as_of=when)  # overdue on that day
    return view.filter_layers({"outlets": past}, v.selection)["outlets"]


if "map_search" not in st.session_state and st.query_params.get("q"):
    st.session_state["map_search"] = st.query_params["q"]  # a link to one feature (urls.map_url)


@st.fragment
def map_view() -> None:
    """Filters, search, map and counts: a filter change reruns only this part."""
    v = filterbar.sidebar(settings.store_url, lang)
    chosen = widgets.layer_picker(names, lang=lang, key="map_layers")
    caption = v.caption(lang)
    st.caption(caption)
    if not chosen:
        st.info(i18n.t("map.none_selected", lang))
        return
    frames = {name: v.filtered[name] for name in chosen}
    selection = v.selection
    notes = [caption]
    if "problems" in frames and not st.checkbox(
        i18n.t("map.show_closed", lang), value=False, key="map_closed",
        help=i18n.t("map.show_closed_help", lang),
    ):  # fmt: skip
        selection = view.open_problems(selection)  # in the token too: the tiles follow
        frames["problems"] = view.filter_layers({"problems": frames["problems"]}, selection)[
            "problems"
        ]
        notes.append(i18n.t("map.open_only_caption", lang))
    when = st.date_input(
        i18n.t("map.as_of", lang), value=None, key="map_as_of", max_value=times.today(),
        help=i18n.t("map.as_of_help", lang),
    )  # fmt: skip
    if when is not None and "outlets" in frames:
        frames["outlets"] = past_outlets(v, when)
        notes.append(i18n.t("map.as_of_caption", lang).format(date=when.isoformat()))
        st.caption(notes[-1])
        start = data.history_start(settings.store_url, "outlets")
        if start is not None and when < start:  # nothing stored yet: an empty map, explained
            st.info(i18n.tf("map.before_history", lang, date=when.isoformat(), start=start))
    focus = widgets.map_search(frames, lang=lang, key="map_search")
    if focus is not None and focus.layer == "outlets":
        st.page_link(
            "geomon/app/pages/outlet.py",
            label=f"{i18n.t('map.open_record', lang)}：{focus.code}",
            query_params={"outlet": focus.code},
            icon=":material/description:",
        )
    if focus is not None and focus.layer == "sections":  # 一断面一档
        st.page_link(
            "geomon/app/pages/section.py",
            label=f"{i18n.t('map.open_section', lang)}：{focus.code}",
            query_params={"code": focus.code},
            icon=":material/water_drop:",
        )
    if not any(len(f) for f in frames.values()):
        st.info(i18n.t("map.empty_filtered", lang))
    legend = styles.map_styles(filterbar.period_labels(v.period or ""))
    tilemap.tile_map(
        frames, selection=selection, period=v.period, past=when, legend_styles=legend,
        settings=settings, lang=lang, focus=focus,
        tianditu_key=settings.tianditu_key, print_title=i18n.t("map.title", lang),
        print_notes=notes,
    )  # fmt: skip

    st.subheader(i18n.t("map.counts", lang))
    for row in range(0, len(chosen), 5):
        for col, name in zip(st.columns(5), chosen[row : row + 5], strict=False):
            total = len(v.layers[name])
            shown = len(frames[name])
            col.metric(get_spec(name).title.get(lang), f"{shown:,}", help=f"{shown:,} / {total:,}")


map_view()
