"""问题清单: the problems with their red/yellow cards, filters, the map of open ones, dispatch."""

import datetime as dt
import functools
import io

import streamlit as st

from geomon import mapview
from geomon.app import data, i18n, urls
from geomon.app.components import login, widgets
from geomon.app.present import problem_view
from geomon.errors import GeomonError
from geomon.reports import dispatch, dispatch_report
from geomon.specs import get_spec
from geomon.supervision import problems as sp

lang = i18n.current()
url = data.settings().store_url
st.title(i18n.t("problems.title", lang))
login.sidebar(lang, "view")


def t(key: str) -> str:
    return i18n.t(key, lang)


try:
    layer = data.layer(url, "problems") if "problems" in data.store(url).layer_names() else None
except GeomonError as exc:
    st.error(i18n.tf("common.store_error", lang, error=exc))
    st.stop()
if layer is None or layer.empty:
    st.info(t("problems.none"))
    st.stop()

spec = get_spec("problems")
as_of = st.sidebar.date_input(t("problems.as_of"), value=dt.date.today(), key="problems.as_of")
statuses = [v.value for v in spec.field("status").values]
open_only = st.sidebar.toggle(t("problems.open_only"), value=False, key="problems.open_only")
chosen = st.sidebar.multiselect(
    t("problems.status"), statuses, key="problems.status",
    format_func=functools.partial(problem_view.enum_label, "problems", "status", lang),
    placeholder=i18n.t("filters.placeholder", lang),
)  # fmt: skip
sources = st.sidebar.multiselect(
    t("problems.source"), [v.value for v in spec.field("source").values], key="problems.source",
    format_func=functools.partial(problem_view.enum_label, "problems", "source", lang),
    placeholder=i18n.t("filters.placeholder", lang),
)  # fmt: skip
cards = st.sidebar.multiselect(
    t("problems.card"), ["red", "yellow"], key="problems.card",
    format_func=functools.partial(problem_view.card_label, lang),
    placeholder=i18n.t("filters.placeholder", lang),
)  # fmt: skip
units = st.sidebar.multiselect(
    t("problems.unit"),
    sorted(layer["unit"].dropna().astype(str).unique()),
    key="problems.unit",
    placeholder=i18n.t("filters.placeholder", lang),
)

listed = sp.problem_list(layer, as_of=as_of)
keep = listed["id"].notna()
if open_only:
    keep &= listed["status"].astype("object") != "已销号"
if chosen:
    keep &= listed["status"].astype("object").isin(chosen)
if sources:
    keep &= listed["source"].astype("object").isin(sources)
if cards:
    keep &= listed["card"].isin(cards)
if units:
    keep &= listed["unit"].astype("object").isin(units)
shown = listed[keep.to_numpy(dtype=bool)].reset_index(drop=True)

k1, k2, k3, k4 = st.columns(4)
is_open = listed["status"].astype("object") != "已销号"
widgets.kpi(k1, t("problems.kpi_open"), str(int(is_open.sum())))
widgets.kpi(k2, t("problems.kpi_overdue"), str(int((listed["days_overdue"] > 0).sum())))
widgets.kpi(k3, t("problems.kpi_red"), str(int((listed["card"] == "red").sum())))
widgets.kpi(k4, t("problems.kpi_yellow"), str(int((listed["card"] == "yellow").sum())))

table = problem_view.list_table(shown, layer, lang, t)
st.dataframe(table, hide_index=True, width="stretch", key="problems.table")

ids = shown["id"].astype(str).tolist()
titles = dict(zip(shown["id"].astype(str), shown["title"].astype(str), strict=True))
left, right = st.columns([3, 1], vertical_alignment="bottom")
pick = left.selectbox(
    t("problems.open"), ids, index=None, key="problems.pick",
    format_func=functools.partial(widgets.code_name, titles),
    placeholder=i18n.t("common.choose_one", lang),
)  # fmt: skip
if right.button(t("problems.open"), key="problems.go", disabled=pick is None, width="stretch"):
    st.query_params.clear()
    st.switch_page("geomon/app/pages/problem.py", query_params={"problem": pick})

st.subheader(t("problems.map"))
open_ids = set(shown.loc[shown["status"].astype("object") != "已销号", "id"].astype(str))
drawn = layer[layer["id"].astype(str).isin(open_ids)].copy()
carded = sp.problem_list(drawn, as_of=as_of).set_index("id")
drawn["card"] = drawn["id"].map(carded["card"]).astype("object")
drawn["days_overdue"] = drawn["id"].map(carded["days_overdue"])
on_map = {"problems": drawn}
for name in ("districts", "rivers"):
    if name in data.map_layer_names(url):
        on_map = {name: data.layer(url, name), **on_map}
card_style = problem_view.card_style(problem_view.problem_url(urls.base(), lang))
m = mapview.build_map(
    on_map, lang=lang, asset_base=urls.asset_base(), compact=True,
    styles={"problems": card_style},
)  # fmt: skip
widgets.show_map(m, lang=lang, key="problems.map", height=420)

st.subheader(t("problems.dispatch"))
c1, c2, c3 = st.columns([1, 1, 1], vertical_alignment="bottom")
month = c1.text_input(
    t("problems.month"), value=problem_view.default_month(dt.date.today()), key="problems.month"
)
district = c2.text_input(t("problems.district"), key="problems.district").strip() or None
if c3.button(t("problems.make_sheet"), key="problems.make", width="stretch"):
    viewer = login.current()
    store = data.store(url) if viewer is None else data.scoped(url, viewer)
    try:
        st.session_state["problems.sheet"] = dispatch.dispatch_sheet(
            store, month.strip(), district=district
        )
    except GeomonError as exc:
        st.error(str(exc))
sheet = st.session_state.get("problems.sheet")
if sheet is not None:
    st.caption(i18n.tf("problems.sheet_made", lang, month=sheet.figures.month,
                       as_of=sheet.as_of_text))  # fmt: skip
    d1, d2 = st.columns(2)
    name = f"调度表-{sheet.figures.month}"
    d1.download_button(
        t("problems.sheet_html"), dispatch_report.html(sheet).encode("utf-8"),
        file_name=f"{name}.html", mime="text/html", key="problems.dl_html", on_click="ignore",
    )  # fmt: skip
    buffer = io.BytesIO()
    dispatch_report.write_xlsx(sheet, buffer)
    d2.download_button(
        t("problems.sheet_xlsx"), buffer.getvalue(), file_name=f"{name}.xlsx",
        mime="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        key="problems.dl_xlsx", on_click="ignore",
    )  # fmt: skip
