"""一断面一档 (section record): facts, latest class, per-parameter chart with the target limit,
monthly classes, exceedances, data completeness, trend, printable sheet."""

import functools

import pandas as pd
import streamlit as st

from geomon import frames
from geomon.analysis import sections as secs
from geomon.app import data, i18n
from geomon.app.components import login, widgets
from geomon.app.present import outlet_view, section_sheet, section_view, view
from geomon.errors import GeomonError
from geomon.monitoring import months
from geomon.monitoring import series as ms
from geomon.rules import water_quality as wq
from geomon.specs import get_spec

lang = i18n.current()
settings = data.settings()
url = settings.store_url
st.title(i18n.t("section.title", lang))
login.sidebar(lang, "edit")
try:
    layers = set(data.map_layer_names(url)) | set(data.store(url).layer_names())
    sections = data.layer(url, "sections") if "sections" in layers else None
except GeomonError as exc:
    st.error(i18n.tf("common.store_error", lang, error=exc))
    st.stop()
if sections is None or sections.empty:
    st.info(i18n.t("section.none", lang))
    st.stop()

codes = sections["code"].astype(str).tolist()
names = dict(zip(codes, sections["name"].astype(str), strict=False))
code = widgets.record_picker(
    i18n.t("section.choose", lang), codes, names, key="section.code", param="code", lang=lang
)  # an unknown code is said below
if code is None:
    st.stop()
match = sections[sections["code"].astype(str) == code]
if match.empty:
    st.warning(i18n.tf("section.unknown", lang, code=code))
    st.stop()
record = match.iloc[0]
spec = get_spec("sections")
targets, bodies = secs.section_settings(match)
auto = record.get("auto_station")
station = frames.text(record.get("station_mn")) if pd.notna(auto) and bool(auto) else None
target = wq.parse_class(targets[code]) if code in targets else None
water_body = bodies.get(code, "river")

monitoring = data.layer(url, "monitoring") if "monitoring" in layers else None
readings = data.section_readings(url, code)
station_months = months.station_months(readings, code, water_body=water_body)
classes = months.section_months(
    readings, monitoring, code, water_body=water_body, station=station_months
)

st.header(i18n.md(record["name"]))
facts = section_view.facts(record, target, station, lang)
latest = section_view.latest_class(classes)
cards = st.columns(3)
if latest is None:
    widgets.kpi(cards[0], i18n.t("section.latest", lang), "—")
else:
    month, klass = latest
    basis = section_view.source_text(classes.loc[classes["month"] == month, "source"].iloc[0], lang)
    widgets.kpi(cards[0], i18n.tf("section.latest_in", lang, month=month),
                section_view.class_label(klass, lang),
                f"{wq.STATUS[klass]} · {basis}" if lang == "zh" else basis)  # fmt: skip
    meets = None if target is None else wq.meets(klass, target)
    verdict = {None: "section.no_target", True: "section.meets", False: "section.fails"}[meets]
    widgets.kpi(cards[1], i18n.t("section.verdict", lang), i18n.t(verdict, lang))
change = section_view.trend(classes)
if change is not None:
    first_m, first_c, last_m, last_c, word = change
    widgets.kpi(cards[2], i18n.t("section.trend", lang), i18n.t(word, lang),
                f"{first_m} {section_view.class_label(first_c, lang)} → "
                f"{last_m} {section_view.class_label(last_c, lang)}")  # fmt: skip
st.dataframe(
    pd.DataFrame(facts, columns=[i18n.t("section.field", lang), i18n.t("section.value", lang)]),
    hide_index=True, width="stretch",
)  # fmt: skip

# ---------------------------------------------------------------- the chart
st.subheader(i18n.t("section.chart", lang))
parameters = section_view.parameters_of(readings, monitoring, code)
over_keys = section_view.exceedances(readings, monitoring, code, target, water_body, lang="key")
if not parameters:
    st.info(i18n.t("section.no_data", lang))
else:
    left, right = st.columns([3, 2])
    asked = st.query_params.get("parameter")
    if st.session_state.get("section.parameter") not in parameters:  # first visit, new section
        worst = over_keys["parameter"].value_counts() if len(over_keys) else None
        first = worst.index[0] if worst is not None else parameters[0]
        first = first if first in parameters else parameters[0]
        st.session_state["section.parameter"] = asked if asked in parameters else first
    parameter = left.selectbox(
        i18n.t("section.parameter", lang), parameters, key="section.parameter",
        format_func=functools.partial(section_view.parameter_label, lang=lang),
        placeholder=i18n.t("common.choose_one", lang),
    )  # fmt: skip
    if st.query_params.get("parameter") != parameter:  # a link opens the same chart
        st.query_params["parameter"] = parameter
    step = right.segmented_control(
        i18n.t("section.step", lang), list(ms.SERIES_STEPS), key="section.step",
        default=section_view.default_step(readings["time"]),
        format_func=functools.partial(i18n.keyed, "section.step", lang),
    ) or "day"  # fmt: skip
    series = ms.section_series(
        readings, code, parameter, step=step, target=target, water_body=water_body
    )
    lab = section_view.lab_points(monitoring, code, parameter, water_body)
    frame = section_view.chart_frame(series, lab, lang)
    unit = f" ({series.unit})" if series.unit else ""
    title = section_view.parameter_label(parameter, lang) + unit
    if series.limit is None:
        st.caption(i18n.t("section.no_limit", lang))
    else:
        shown = series.limit if not isinstance(series.limit, list) else "–".join(
            f"{v:g}" for v in series.limit
        )  # fmt: skip
        st.caption(
            i18n.tf("section.limit_caption", lang, klass=section_view.class_label(target, lang),
                    limit=f"{shown:g}" if isinstance(shown, float) else shown, unit=series.unit)
        )  # fmt: skip
    if frame.empty:
        st.info(i18n.t("section.no_points", lang))
    else:
        widgets.chart(
            section_view.series_chart(frame, series.limit, title=title, lang=lang, step=step)
        )

# ---------------------------------------------------------------- monthly classes
st.subheader(i18n.t("section.monthly", lang))
if classes.empty:
    st.caption(i18n.t("section.no_monthly", lang))
else:
    st.dataframe(section_view.month_table(classes, target, lang), hide_index=True, width="stretch")
st.caption(section_view.month_rule_text(lang))

# ---------------------------------------------------------------- exceedances
st.subheader(i18n.t("section.exceedances", lang))
over = section_view.exceedances(readings, monitoring, code, target, water_body, lang=lang)

if target is None:
    st.caption(i18n.t("section.no_target", lang))
elif over.empty:
    st.success(i18n.t("section.no_exceedances", lang))
else:
    st.caption(i18n.tf("section.exceedance_count", lang, n=len(over)))
    table = over.assign(multiple=[section_view.multiple_text(m, lang) for m in over["multiple"]])
    table = table.rename(columns={c: i18n.t(f"section.col.{c}", lang) for c in table.columns})
    shown_rows = table.head(view.LIST_ROWS)  # a year of hours can hold thousands: CSV has all
    st.dataframe(
        shown_rows, hide_index=True, width="stretch", height=min(38 + 35 * len(shown_rows), 420)
    )
    widgets.csv_download(table, f"{code}-exceedances.csv", lang=lang, key="section.csv")

# ---------------------------------------------------------------- completeness
st.subheader(i18n.t("section.completeness", lang))
complete = section_view.completeness(readings, code, station_months)
if complete.empty:
    st.caption(i18n.t("section.no_readings", lang))
else:
    table = complete.assign(
        parameter=[section_view.parameter_label(p, lang) for p in complete["parameter"]],
        valid_hours=pd.array(complete["valid_hours"].astype(float), dtype="Int64"),
        share=["—" if pd.isna(v) else f"{v:.1%}" for v in complete["share"]],
        complete=[section_view.completeness_text(c, lang) for c in complete["complete"]],
    ).rename(columns={c: i18n.t(f"section.col.{c}", lang) for c in complete.columns})
    st.dataframe(table, hide_index=True, width="stretch")
    st.caption(section_view.completeness_rule_text(lang))

# ---------------------------------------------------------------- the printable sheet
st.subheader(i18n.t("section.sheet", lang))
link = outlet_view.record_link(
    code, page_url=st.context.url, public_url=settings.public_url, page="section", param="code"
)
if link is None:
    st.warning(i18n.t("outlet.no_public_url", lang), icon=":material/qr_code:")
page = section_sheet.section_sheet(
    facts=section_view.facts(record, target, station, "zh"),
    name=str(record["name"]),
    code=code,
    link=link,
    latest=latest,
    target=target,
    classes=classes,
    exceedances=over if lang == "zh" else section_view.exceedances(
        readings, monitoring, code, target, water_body
    ),
    completeness=complete,
    trend=change,
    charts=section_sheet.parameter_charts(
        readings, monitoring, code, target, water_body, exceeded=over_keys["parameter"].unique()
    ),
)  # fmt: skip
st.download_button(
    i18n.t("section.sheet_download", lang), page.encode("utf-8"), file_name=f"{code}.html",
    mime="text/html", on_click="ignore", key="section.dl_sheet", icon=":material/print:",
)  # fmt: skip
with st.expander(i18n.t("section.sheet", lang), expanded=False):
    st.iframe(page, height=900)
