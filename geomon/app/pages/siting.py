"""选址分析: a project (uploaded, drawn or stored) against red lines, zones and control units."""

import functools

import streamlit as st

from geomon import mapview
from geomon.app import data, i18n, urls
from geomon.app.components import login, project_input, widgets
from geomon.app.present import siting_view
from geomon.errors import GeomonError, ValidationError

lang = i18n.current()
url = data.settings().store_url
st.title(i18n.t("siting.title", lang))
login.sidebar(lang, "view")
st.caption(i18n.t("siting.intro", lang))

if "siting.source" not in st.session_state and st.query_params.get_all("project"):
    st.session_state["siting.source"] = "stored"  # a shared link to stored projects
left, right = st.columns([4, 1], vertical_alignment="bottom")
source = left.radio(
    i18n.t("siting.source", lang), ["upload", "draw", "stored"],
    format_func=functools.partial(i18n.keyed, "siting.source", lang),
    horizontal=True, key="siting.source",
)  # fmt: skip
buffer_m = right.number_input(
    i18n.t("siting.buffer", lang), min_value=0.0, max_value=10_000.0, value=500.0, step=100.0,
    format="%.0f",
    key="siting.buffer",
)  # fmt: skip

if source != "stored":
    st.query_params.pop("project", None)
try:
    if source == "upload":
        projects = project_input.from_upload(lang)
    elif source == "draw":
        projects = project_input.from_drawing(url, lang)
    else:
        projects = project_input.from_store(url, lang)
except ValidationError as exc:  # the library's rule (`siting.checkable`), as in geomon check
    st.error(i18n.tf("siting.invalid", lang, error=exc), icon=":material/block:")
    st.dataframe(siting_view.issue_rows(exc.report, lang), hide_index=True, width="stretch")
    st.stop()
except GeomonError as exc:
    st.error(i18n.tf("siting.read_error", lang, error=exc))
    st.stop()
if projects is not None and projects.report is not None and len(projects.report):
    with st.expander(i18n.tf("siting.file_issues", lang, n=len(projects.report))):
        rows = siting_view.issue_rows(projects.report, lang)
        st.dataframe(rows, hide_index=True, width="stretch")
if projects is None or projects.frame.empty:
    st.info(i18n.t("siting.waiting", lang))
    st.stop()

try:
    result = data.siting_check(url, projects.key, projects.frame, buffer_m=buffer_m)
except GeomonError as exc:
    st.error(i18n.tf("siting.check_error", lang, error=exc))
    st.stop()

st.subheader(i18n.t("siting.result", lang))
for _, row in result.projects.iterrows():
    alert = getattr(st, siting_view.ALERT.get(row["verdict"], "info"))
    reason = row["reason_zh"] if lang == "zh" else row["reason_en"]
    reason = reason[:1].upper() + reason[1:]  # "nothing prohibited …" starts a sentence
    verdict = siting_view.verdict_label(row["verdict"], lang)
    title = i18n.md(f"{row['id'] or ''} {row['name'] or ''}")
    alert(f"**{title}：{i18n.md(verdict)}**\n\n{i18n.md(reason)}")

d1, d2, _ = st.columns([1, 1, 2])
d1.download_button(
    i18n.t("siting.report_html", lang),
    siting_view.html_report(result),
    file_name="siting_report.html",
    mime="text/html",
    on_click="ignore",
    key="siting.dl_html",
    icon=":material/download:",
)
d2.download_button(
    i18n.t("siting.report_xlsx", lang),
    siting_view.xlsx_report(result),
    file_name="siting_report.xlsx",
    mime="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    on_click="ignore",
    key="siting.dl_xlsx",
    icon=":material/download:",
)

st.subheader(i18n.t("siting.conflicts", lang))
if result.conflicts.empty:
    st.success(i18n.tf("siting.no_conflicts", lang, buffer=f"{buffer_m:g}"))
else:
    table = siting_view.conflict_table(result, lang)
    formats = {siting_view.header(k, lang): f for k, f in siting_view.NUMBER_FORMATS.items()}
    st.dataframe(table.style.format(formats), hide_index=True, width="stretch")
    st.caption(i18n.t("siting.plane_note", lang))

st.subheader(i18n.t("siting.map", lang))
stored = {n: data.layer(url, n) for n in result.layers}
layers = siting_view.result_layers(result, projects.frame, stored)
m = mapview.build_map(layers, lang=lang, asset_base=urls.asset_base())
widgets.show_map(m, lang=lang, key="siting.result_map", height=520)
