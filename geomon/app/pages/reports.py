"""报告 (Reports): the period work report and the re-check after a red-line or zone revision.

A top-to-bottom page: pick a period and a district, build the report (`geomon.reports.period`)
and download it as HTML or XLSX; pick two data versions of the constraint layers and re-check
the stored (or an uploaded) set of projects (`geomon.reports.recheck`). The generated files are
kept in session state (bytes) until the inputs change. Strings are ``reports.*`` in
``strings.toml`` (`geomon.app.i18n`).
"""

import datetime as dt
import io

import pandas as pd
import streamlit as st

from geomon import siting, times
from geomon.app import data, i18n
from geomon.app.components import login
from geomon.app.present import tables
from geomon.errors import GeomonError
from geomon.io import READABLE_SUFFIXES
from geomon.reports import period, period_html, period_xlsx, recheck, recheck_report
from geomon.reports import versions as gv


def _default_period(monitoring: pd.DataFrame) -> tuple[dt.date, dt.date]:
    """The half-year holding the latest monitoring date (else the current half-year)."""
    latest = pd.to_datetime(monitoring["date"]).max() if len(monitoring) else pd.NaT
    day = times.today() if pd.isna(latest) else latest.date()
    first = dt.date(day.year, 1 if day.month <= 6 else 7, 1)
    last = dt.date(day.year, 6, 30) if day.month <= 6 else dt.date(day.year, 12, 31)
    return first, last


def _districts(store: object) -> list[str]:
    names: set[str] = set()
    for layer in ("outlets", "sections"):
        frame = store.read(layer)  # type: ignore[attr-defined]
        if "district" in frame.columns:
            names |= set(frame["district"].dropna().astype(str))
    return sorted(names)


lang = i18n.current()
url = data.settings().store_url
st.title(i18n.t("reports.title", lang))
login.sidebar(lang, "view")
viewer = login.current()
store = data.store(url) if viewer is None else data.scoped(url, viewer)
tab_period, tab_recheck = st.tabs(
    [i18n.t("reports.period_tab", lang), i18n.t("reports.recheck_tab", lang)]
)

with tab_period:
    first, last = _default_period(store.read("monitoring"))
    c1, c2, c3, c4 = st.columns([1, 1, 1, 2])
    start = c1.date_input(i18n.t("reports.start", lang), value=first, key="reports.start")
    end = c2.date_input(i18n.t("reports.end", lang), value=last, key="reports.end")
    districts = {"": i18n.t("reports.all", lang), **{d: d for d in _districts(store)}}
    district = c3.selectbox(
        i18n.t("reports.district", lang), list(districts), format_func=districts.__getitem__,
        key="reports.district",
        placeholder=i18n.t("common.choose_one", lang),
    )  # fmt: skip
    as_of = c4.text_input(i18n.t("reports.as_of", lang), key="reports.as_of").strip()
    wanted = (str(start), str(end), district, as_of, store.revision())
    if st.button(i18n.t("reports.build", lang), type="primary", key="reports.build"):
        try:
            report = period.period_report(
                store, start, end, district=district or None, as_of=as_of or None
            )
        except GeomonError as exc:
            st.error(i18n.tf("reports.error", lang, error=exc))
        else:
            xlsx = io.BytesIO()
            period_xlsx.workbook(report).save(xlsx)
            st.session_state["reports.period"] = {
                "key": wanted,
                "html": period_html.render(report).encode("utf-8"),
                "xlsx": xlsx.getvalue(),
                "report": report.to_json(),
            }
    built = st.session_state.get("reports.period")
    if built and built["key"] == wanted:
        doc = built["report"]
        at = doc["as_of"]["at"]
        cut = times.beijing(at) if at else i18n.t("reports.cut_now", lang)
        if doc["as_of"].get("label"):
            cut = f"{doc['as_of']['label']}（{cut}）"
        period_ = doc["period"]
        st.caption(
            i18n.tf("reports.caption", lang, label=doc["label"], start=period_["start"],
                    end=period_["end"], cut=cut)
        )  # fmt: skip
        o = doc["outlets"] or {}
        total = next((r for r in doc["networks"] if r["control_level"] == "合计"), None)
        k1, k2, k3, k4 = st.columns(4)
        k1.metric(
            i18n.t("reports.outlets", lang),
            (o.get("cumulative") or {}).get("total", "—"),
            border=True,
        )
        k2.metric(
            i18n.t("reports.rectified", lang),
            (o.get("in_period") or {}).get("rectified", "—"),
            border=True,
        )
        good = tables.percent(total["good_pct"] if total else None)
        k3.metric(i18n.t("reports.good", lang), good, border=True)
        k4.metric(
            i18n.t("reports.overdue", lang),
            (o.get("cumulative") or {}).get("overdue", "—"),
            border=True,
        )
        d1, d2, _ = st.columns([1, 1, 2])
        name = f"report_{start}_{end}{'_' + district if district else ''}"
        d1.download_button(
            i18n.t("reports.html", lang), built["html"], file_name=f"{name}.html", mime="text/html",
            on_click="ignore", key="reports.dl_html", icon=":material/download:",
        )  # fmt: skip
        d2.download_button(
            i18n.t("reports.xlsx", lang), built["xlsx"], file_name=f"{name}.xlsx",
            mime="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
            on_click="ignore", key="reports.dl_xlsx", icon=":material/download:",
        )  # fmt: skip
        if doc["networks"]:
            st.subheader(i18n.t("reports.networks", lang))
            cols = ["control_level", "assessed", "good_pct", "worst_pct", "delta_good", "trend"]
            table = tables.labelled(doc["networks"], cols, lang=lang)
            st.dataframe(tables.styled(table, cols, lang=lang), hide_index=True, width="stretch")
        # the notes are the (Chinese) report's own sentences; may quote names: text, not Markdown
        notes = st.container() if lang == "zh" else st.expander(i18n.t("reports.notes_zh", lang))
        for note in doc["notes"]:
            notes.info(i18n.md(note))

with tab_recheck:
    layers = recheck.constraint_layers()
    table = gv.version_table(store, layers)
    labels = [v for v in dict.fromkeys(table["version"]) if v]
    names = {**{v: v for v in labels}, "current": i18n.t("reports.current", lang)}
    options = list(names)
    c1, c2, c3 = st.columns([2, 2, 1])
    before = c1.selectbox(
        i18n.t("reports.before", lang),
        options,
        index=0,
        format_func=names.__getitem__,
        key="reports.before",
        placeholder=i18n.t("common.choose_one", lang),
    )
    after = c2.selectbox(
        i18n.t("reports.after", lang),
        options,
        index=len(options) - 1,
        format_func=names.__getitem__,
        key="reports.after",
        placeholder=i18n.t("common.choose_one", lang),
    )
    buffer_m = c3.number_input(
        i18n.t("reports.buffer", lang), min_value=0.0, max_value=10_000.0,
        value=siting.DEFAULT_BUFFER_M, step=100.0, format="%.0f", key="reports.buffer",
    )  # fmt: skip
    sources = {"stored": i18n.t("reports.stored", lang), "upload": i18n.t("reports.upload", lang)}
    source = st.radio(
        i18n.t("reports.projects", lang), list(sources), format_func=sources.__getitem__,
        horizontal=True, key="reports.projects",
    )  # fmt: skip
    projects = store.read("projects") if source == "stored" else None
    upload_key = ""
    if source == "upload":
        upload = st.file_uploader(
            i18n.t("reports.upload", lang),
            type=READABLE_SUFFIXES,
            key="reports.file",
        )
        if upload is not None:
            try:
                projects = siting.load_projects(upload.getvalue(), filename=upload.name).frame
                upload_key = upload.name
            except GeomonError as exc:
                st.error(i18n.tf("reports.error", lang, error=exc))
    wanted = (before, after, float(buffer_m), source, upload_key, store.revision())
    if projects is None or projects.empty:
        st.info(i18n.t("reports.no_projects", lang))
    elif st.button(i18n.t("reports.run", lang), type="primary", key="reports.run"):
        try:
            result = recheck.recheck(
                projects.reset_index(drop=True), store, before=before, after=after,
                buffer_m=buffer_m,
            )  # fmt: skip
        except GeomonError as exc:
            st.error(i18n.tf("reports.error", lang, error=exc))
        else:
            workbook = io.BytesIO()
            recheck_report.workbook(result).save(workbook)
            st.session_state["reports.recheck"] = {
                "key": wanted,
                "html": recheck_report.render(result).encode("utf-8"),
                "xlsx": workbook.getvalue(),
                "changed": result.changed.drop(columns=["overlap_before", "overlap_after"])
                .astype(object)
                .to_dict("records"),
                "total": len(result.projects),
            }
    done = st.session_state.get("reports.recheck")
    if done and done["key"] == wanted:
        changed = pd.DataFrame(done["changed"])
        if changed.empty:
            st.success(i18n.t("reports.none_changed", lang))
        else:
            st.warning(i18n.tf("reports.changed", lang, n=len(changed), total=done["total"]))
            cols = ["id", "name", "verdict_before", "verdict_after", "conflicts_before",
                    "conflicts_after", "what"]  # fmt: skip
            table = tables.labelled(changed, cols, lang=lang)
            st.dataframe(tables.styled(table, cols, lang=lang), hide_index=True, width="stretch")
        d1, d2, _ = st.columns([1, 1, 2])
        d1.download_button(
            i18n.t("reports.html", lang), done["html"], file_name="recheck.html", mime="text/html",
            on_click="ignore", key="reports.rc_html", icon=":material/download:",
        )  # fmt: skip
        d2.download_button(
            i18n.t("reports.xlsx", lang), done["xlsx"], file_name="recheck.xlsx",
            mime="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
            on_click="ignore", key="reports.rc_xlsx", icon=":material/download:",
        )  # fmt: skip
