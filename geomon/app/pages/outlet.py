"""一口一档 (outlet record): fields, attachments, zones, sections downstream, history, sheet."""

import functools

import pandas as pd
import streamlit as st

from geomon import mapview
from geomon.analysis import tracing
from geomon.app import data, i18n, urls
from geomon.app.components import editing, filterbar, login, widgets
from geomon.app.present import outlet_view, problem_view, sheet, styles, tables
from geomon.errors import GeomonError
from geomon.specs import get_spec
from geomon.supervision.problems import problem_from_overdue_outlet, problem_list

lang = i18n.current()
settings = data.settings()
url = settings.store_url
st.title(i18n.t("outlet.title", lang))
login.sidebar(lang, "edit")
editing.flash()
try:
    v = filterbar.sidebar(url, lang)
except GeomonError as exc:
    st.error(i18n.tf("common.store_error", lang, error=exc))
    st.stop()
outlets = v.layers.get("outlets")
if outlets is None or outlets.empty:
    st.info(i18n.t("outlet.none", lang))
    st.stop()

codes = v.filtered["outlets"]["code"].astype(str).tolist()
names = dict(zip(outlets["code"].astype(str), outlets["name"].astype(str), strict=False))
code = widgets.record_picker(
    i18n.t("outlet.choose", lang), codes, names, key="outlet.code", param="outlet", lang=lang
)  # a shared link outside the filters stays selectable
if code is None:
    st.stop()
match = outlets[outlets["code"].astype(str) == code]
if match.empty:
    st.warning(i18n.tf("outlet.unknown", lang, code=code))
    st.stop()
record = match.iloc[0]
spec = get_spec("outlets")

st.header(i18n.md(record["name"]))  # stored and URL values read as text, never as Markdown
stage = spec.field("stage").value_label(record["stage"], lang)
stage_label = spec.field("stage").label.get(lang)
st.markdown(f"{i18n.md(code)} · **{i18n.md(stage_label)}**：{i18n.md(stage)}")
if bool(record.get("overdue")):
    deadline = sheet.field_text(spec.field("deadline"), record["deadline"], lang)
    st.error(i18n.tf("outlet.overdue", lang, deadline=deadline))
    # issue #20: an overdue outlet becomes a problem (问题清单) in one step
    maker = login.who("edit")
    if maker is not None and st.button(i18n.t("outlet.make_problem", lang), key="outlet.problem"):
        viewer = login.current()
        target = data.store(url) if viewer is None else data.scoped(url, viewer)
        try:
            made = problem_from_overdue_outlet(target, code, user=maker.name)
        except GeomonError as exc:
            st.error(str(exc))
        else:
            st.switch_page("geomon/app/pages/problem.py", query_params={"problem": made["id"]})

left, right = st.columns([5, 4])
with left:
    st.subheader(i18n.t("outlet.fields", lang))
    attached = spec.field("attachments").label.get(lang)  # shown as links below, not here
    rows = [(k, val) for k, val in sheet.record_rows(record.to_dict(), lang) if val]
    rows = [(k, val) for k, val in rows if k != attached]
    fields = pd.DataFrame(
        rows, columns=[i18n.t("outlet.field", lang), i18n.t("outlet.value", lang)]
    )
    st.dataframe(
        fields, hide_index=True, width="stretch", height=min(38 + 35 * len(rows), 640),
        column_config={fields.columns[0]: st.column_config.TextColumn(width="medium")},
    )  # fmt: skip
with right:
    point = record.geometry
    focus = widgets.Focus("outlets", code, record["name"], point.y, point.x)
    shown = ("districts", "rivers", "lakes", "protection_zones", "red_lines", "sections", "outlets")
    near = {n: v.layers[n] for n in data.map_layer_names(url) if n in shown}
    m = mapview.build_map(
        near, lang=lang, center=(point.y, point.x), zoom=14, asset_base=urls.asset_base(),
        styles=styles.map_styles(
            filterbar.period_labels(v.period or ""), outlet_url=urls.record_url(lang),
            section_url=urls.section_record_url(lang),
        ), compact=True,
    )  # fmt: skip
    widgets.show_map(m, lang=lang, key="outlet.map", height=420, focus=focus)

st.subheader(i18n.t("outlet.attachments", lang))
items = outlet_view.attachments(record.get("attachments"))
if items:
    st.html(outlet_view.attachments_html(items))  # escaped; only http(s) URLs become links
else:
    st.caption(i18n.t("outlet.no_attachments", lang))

# ---- problems about this outlet, with their evidence thumbnails (issue #20, supervision loop)
if "problems" in data.store(url).layer_names():
    related = data.layer(url, "problems")
    related = related[
        (related["feature_layer"].astype("object") == "outlets")
        & (related["feature_id"].astype("object") == code)
    ]
    if len(related):
        st.subheader(i18n.t("outlet.problems", lang))
        listed = problem_list(related)
        st.dataframe(
            problem_view.list_table(listed, related, lang, functools.partial(i18n.t, lang=lang)),
            hide_index=True, width="stretch",
        )  # fmt: skip
        reader = data.store(url) if login.current() is None else data.scoped(url, login.current())
        for pid in listed["id"].astype(str):
            thumbs = [f for f in problem_view.file_rows(reader.files("problems", pid))
                      if f["thumbnail"]]  # fmt: skip
            if thumbs:
                st.image([f["thumbnail"] for f in thumbs], width=160,
                         caption=[f"{pid} · {f['name']}" for f in thumbs])  # fmt: skip
            st.page_link("geomon/app/pages/problem.py", label=i18n.tf("outlet.open_problem", lang,
                         id=pid), query_params={"problem": pid})  # fmt: skip

st.subheader(i18n.t("outlet.zones", lang))
zones = outlet_view.zone_rows(match, v.layers, lang)
columns = [i18n.t(k, lang) for k in ("outlet.kind", "outlet.code", "outlet.name", "col.note")]
if zones:
    st.dataframe(pd.DataFrame(zones, columns=columns), hide_index=True, width="stretch")
else:
    st.success(i18n.t("outlet.no_zones", lang))

km = tracing.DEFAULT_KM
st.subheader(i18n.tf("outlet.downstream", lang, km=km))
below = data.downstream(url, km)
below = below[below["outlet_code"].astype(str) == code]
down_rows = [
    (
        r.section_code,
        r.section_name,
        tables.value_text("control_level", r.control_level, lang),
        f"{r.distance_m / 1000:.2f}",
    )
    for r in below.itertuples()
]
if down_rows:
    cols = [
        i18n.t(f"col.{c}", lang) for c in ("section_code", "name", "control_level", "distance_km")
    ]
    st.dataframe(pd.DataFrame(down_rows, columns=cols), hide_index=True, width="stretch")
else:
    st.info(i18n.tf("outlet.no_downstream", lang, km=km))

editor = login.who("edit")
if editor is not None:
    editing.outlet_form(url, code, editor, lang)
else:
    st.info(i18n.t("login.edit_needed", lang))

viewer = login.current()
store = data.store(url) if viewer is None else data.scoped(url, viewer)
if hasattr(store, "history"):  # the change history, where the store keeps one
    st.subheader(i18n.t("outlet.history", lang))
    history = store.history("outlets", key=code)
    if history.empty:
        st.caption(i18n.t("outlet.no_history", lang))
    else:
        readable = outlet_view.readable_history(history, "outlets", lang)
        shown = tables.labelled(readable, list(outlet_view.HISTORY_COLUMNS), lang=lang)
        st.dataframe(shown, hide_index=True, width="stretch")

st.subheader(i18n.t("outlet.sheet", lang))
link = outlet_view.record_link(code, page_url=st.context.url, public_url=settings.public_url)
if link is None:  # a code to localhost on paper opens nothing
    st.warning(i18n.t("outlet.no_public_url", lang), icon=":material/qr_code:")
page = sheet.outlet_sheet(
    record.to_dict(),
    link=link,
    zones=zones,
    downstream=down_rows,
    overdue=bool(record.get("overdue")),
)
st.download_button(
    i18n.t("outlet.sheet_download", lang), page.encode("utf-8"), file_name=f"{code}.html",
    mime="text/html", on_click="ignore", key="outlet.dl_sheet", icon=":material/print:",
)  # fmt: skip
with st.expander(i18n.t("outlet.sheet", lang), expanded=False):
    st.iframe(page, height=900)
