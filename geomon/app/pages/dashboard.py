"""监管概览 (dashboard): outlet rectification and section water quality, as filtered."""

import functools

import streamlit as st

from geomon.analysis import stats
from geomon.app import data, i18n
from geomon.app.components import filterbar, login, widgets
from geomon.app.present import charts, tables, view
from geomon.errors import GeomonError
from geomon.specs import get_spec

lang = i18n.current()
settings = data.settings()
url = settings.store_url
st.title(i18n.t("dash.title", lang))
login.sidebar(lang, "view")
try:
    v = filterbar.sidebar(url, lang)
except GeomonError as exc:
    st.error(i18n.tf("common.store_error", lang, error=exc))
    st.stop()
st.caption(v.caption(lang))
outlets = v.filtered.get("outlets")
sections = v.filtered.get("sections")
# Only the open tab runs and is sent (a national store's section table alone is ~1 MB, and the
# browser parsing it held up the first chart); the other tab runs when a user opens it.
TABS = ("dash.outlets", "dash.sections")
tab_outlets, tab_sections = st.tabs(
    [i18n.t(t, lang) for t in TABS], key="dash_tab", on_change="rerun"
)  # fmt: skip

if tab_outlets.open:
    with tab_outlets:
        if outlets is None or outlets.empty:
            st.info(i18n.t("dash.no_outlets", lang))
        else:
            ost = data.outlet_statistics(url, v.period, v.selection, v.as_of)
            total = ost["total"]
            k1, k2, k3, k4 = st.columns(4)
            widgets.kpi(k1, i18n.t("dash.kpi_total", lang), f"{total['total']:,}")
            widgets.kpi(
                k2,
                i18n.t("dash.kpi_traced", lang),
                f"{total['traced']:,}",
                tables.percent(total["traced_pct"]),
            )
            rectified = tables.percent(total["rectified_pct"])
            widgets.kpi(
                k3, i18n.t("dash.kpi_rectified", lang), f"{total['rectified']:,}", rectified
            )
            widgets.kpi(k4, i18n.t("dash.kpi_overdue", lang), f"{total['overdue']:,}")
            progress_cols = ["total", "rectified", "overdue", "rectified_pct"]
            groups = (
                ("dash.by_district", "district", "by_district"),
                ("dash.by_type", "type_l1", "by_type"),
            )
            for col, (key, group, part) in zip(st.columns(2), groups, strict=True):
                with col:
                    st.subheader(i18n.t(key, lang))
                    rows = ost[part]
                    shown = view.largest(rows, "total")
                    widgets.chart(charts.progress_bars(shown, group, lang=lang))
                    if len(shown) < len(rows):
                        st.caption(i18n.tf("dash.largest", lang, shown=len(shown), total=len(rows)))
            # the tables in their own row, the type table wider: its long type names (城镇污水处理厂
            # 排污口) pushed the rate column out of half a page at 1400 px
            for col, (_, group, part) in zip(st.columns([4, 5]), groups, strict=True):
                with col:
                    table = tables.labelled(ost[part], [group, *progress_cols], lang=lang)
                    shown = tables.styled(table, [group, *progress_cols], lang=lang)
                    st.dataframe(shown, hide_index=True, width="stretch")
                    widgets.csv_download(
                        table, f"{group}_progress.csv", lang=lang, key=f"dl.{group}"
                    )
            st.subheader(i18n.t("dash.over_time", lang))
            widgets.chart(charts.over_time(ost["by_month"], lang=lang))
            st.subheader(i18n.t("dash.milestones", lang))
            milestones = [
                {**m, "milestone": m["milestone"] if lang == "zh" else m["milestone_en"]}
                for m in ost["milestones"]
            ]
            cols = [
                "milestone",
                "date",
                "traced_pct",
                "traced_target",
                "rectified_pct",
                "rectified_target",
                "met",
            ]
            table = tables.labelled(milestones, cols, lang=lang)
            st.dataframe(tables.styled(table, cols, lang=lang), hide_index=True, width="stretch")
            st.caption(i18n.tf("dash.citation", lang, citation=ost["citation"]))
            overdue = ost["overdue"]
            if len(overdue):
                st.subheader(i18n.t("dash.overdue_list", lang))
                cols = ["code", "name", "district", "stage", "deadline"]
                shown = overdue.head(view.LIST_ROWS)
                table = tables.labelled(shown, cols, lang=lang, layer="outlets")
                st.dataframe(table, hide_index=True, width="stretch")
                if len(shown) < len(overdue):
                    note = i18n.tf("dash.overdue_first", lang, shown=len(shown), total=len(overdue))
                    st.caption(note)
                every = functools.partial(
                    tables.labelled, overdue, cols, lang=lang, layer="outlets"
                )
                widgets.csv_download(every, "overdue_outlets.csv", lang=lang, key="dl.overdue")

if tab_sections.open:
    with tab_sections:
        results = (
            view.for_sections(data.section_results(url, v.period), sections)
            if sections is not None
            else None
        )
        if results is None or results.empty or results["class"].isna().all():
            st.info(i18n.t("dash.no_sections", lang))
        else:
            overall = stats.network_table(results)[0]
            levels = stats.network_table(results, by="control_level")
            kpis = st.columns(3 + len(levels))
            assessed = f"{overall['assessed']} / {overall['sections']}"
            widgets.kpi(kpis[0], i18n.t("dash.kpi_sections", lang), assessed)
            widgets.kpi(
                kpis[1], i18n.t("dash.kpi_good_all", lang), tables.percent(overall["good_pct"])
            )
            meets = tables.percent(overall["meets_target_pct"])
            widgets.kpi(
                kpis[2],
                i18n.t("dash.kpi_meets", lang),
                meets,
                f"{overall['meets_target']} / {overall['with_target']}",
            )
            level_field = get_spec("sections").field("control_level")
            for col, row in zip(kpis[3:], levels, strict=True):
                level = level_field.value_label(row["control_level"], lang)
                widgets.kpi(
                    col,
                    i18n.tf("dash.kpi_good", lang, level=level),
                    tables.percent(row["good_pct"]),
                )
            left, right = st.columns(2)
            with left:
                st.subheader(i18n.t("dash.class_counts", lang))
                widgets.chart(charts.class_bars(levels, "control_level", lang=lang))
            with right:
                st.subheader(i18n.t("dash.monthly", lang))
                monthly = view.for_sections(data.monthly_classes(url, v.period), sections)
                shown = view.worst_sections(monthly)
                widgets.chart(charts.monthly_heatmap(shown, lang=lang))
                if len(shown) < len(monthly):
                    total, n = monthly["section_code"].nunique(), shown["section_code"].nunique()
                    st.caption(i18n.tf("dash.monthly_worst", lang, shown=n, total=total))
            # the level table under both charts: eight columns do not fit half the page
            cols = [
                "control_level",
                "sections",
                "assessed",
                "good",
                "good_pct",
                "worst",
                "worst_pct",
                "meets_target_pct",
            ]
            table = tables.labelled(levels, cols, lang=lang)
            st.dataframe(tables.styled(table, cols, lang=lang), hide_index=True, width="stretch")
            widgets.csv_download(table, "sections_by_level.csv", lang=lang, key="dl.levels")
            st.subheader(i18n.t("dash.section_table", lang))
            flagged = sections.rename(columns={"code": "section_code"})
            cols = [
                "section_code",
                "name",
                "river",
                "control_level",
                "class",
                "target",
                "meets_target",
                "main_pollutants",
                "exceedances",
            ]
            table = tables.labelled(flagged, cols, lang=lang)
            st.dataframe(table, hide_index=True, width="stretch")
            widgets.csv_download(table, "section_results.csv", lang=lang, key="dl.sections")
