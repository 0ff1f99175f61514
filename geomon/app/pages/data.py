"""数据管理: import a file (validation report first, then an all-or-nothing write), edit outlets
and section targets in a table, export."""

import functools
from dataclasses import asdict

import pandas as pd
import streamlit as st

from geomon import times
from geomon.access import auth
from geomon.app import data, i18n
from geomon.app.components import editing, filterbar, login, project_input, widgets
from geomon.app.present import tables, view
from geomon.errors import GeomonError
from geomon.io import READABLE_SUFFIXES, export
from geomon.specs import get_spec, layer_names

EAGER_ROWS = 50_000  # larger exports are built only when the button is clicked
FORMAT_NAMES = {"geojson": "GeoJSON", "gpkg": "GeoPackage", "shp": "Shapefile (ZIP)",
                "csv": "CSV", "xlsx": "Excel (XLSX)"}  # fmt: skip
REPORT_COLUMNS = ["row", "field", "code", "message", "severity"]

lang = i18n.current()
url = data.settings().store_url
st.title(i18n.t("data.title", lang))
login.sidebar(lang, "import")
editing.flash()
importer_user = login.who("import")
editor = login.who("edit")
try:
    v = filterbar.sidebar(url, lang)
except GeomonError as exc:
    st.error(i18n.tf("common.store_error", lang, error=exc))
    st.stop()


title = functools.partial(widgets.layer_label, lang=lang)


tab_import, tab_edit, tab_export, tab_versions = st.tabs(
    [i18n.t("data.import", lang), i18n.t("edit.table", lang), i18n.t("data.export", lang),
     i18n.t("data.versions", lang)]
)  # fmt: skip


def import_tab(who: auth.User) -> None:
    """Choose a layer and file, see the validation report and the diff, then import as `who`."""
    c1, c2, c3 = st.columns([2, 2, 3])
    names = layer_names()
    first = names.index("outlets") if "outlets" in names else 0
    layer = c1.selectbox(
        i18n.t("data.layer", lang),
        names,
        index=first,
        format_func=title,
        key="data.layer",
        placeholder=i18n.t("common.choose_one", lang),
    )
    crs = c2.selectbox(
        i18n.t("siting.crs", lang), list(project_input.CRS_CHOICES), key="data.crs",
        format_func=functools.partial(project_input.crs_label, lang=lang),
        placeholder=i18n.t("common.choose_one", lang),
    )  # fmt: skip
    if crs == "custom":
        crs = c2.text_input(i18n.t("siting.crs_custom", lang), key="data.crs_text").strip()
    modes = ["upsert", "append", "replace"]
    mode = c3.radio(
        i18n.t("data.mode", lang), modes, horizontal=True, key="data.mode",
        format_func=functools.partial(i18n.keyed, "data.mode", lang),
        help=i18n.t("data.mode_help", lang),
    )  # fmt: skip
    upload = st.file_uploader(i18n.t("data.file", lang), type=READABLE_SUFFIXES, key="data.file")
    if upload is None:
        st.info(i18n.t("data.waiting", lang))
    else:
        raw = upload.getvalue()
        try:
            result = data.dry_run(url, layer, raw, upload.name, crs=crs, mode=mode)
        except GeomonError as exc:
            st.error(i18n.tf("data.read_error", lang, error=exc))
            result = None
        if result is not None:
            report, diff = result.report, result.diff
            m = st.columns(7)
            m[0].metric(i18n.t("data.rows", lang), result.rows_read)
            m[1].metric(i18n.t("data.errors", lang), len(report.errors))
            m[2].metric(i18n.t("data.warnings", lang), len(report.warnings))
            m[3].metric(i18n.t("data.bad_rows", lang), len(report.invalid_rows))
            if diff is not None:
                m[4].metric(i18n.t("data.added", lang), len(diff.added))
                m[5].metric(i18n.t("data.changed", lang), len(diff.changed_keys))
                m[6].metric(i18n.t("data.removed", lang), len(diff.removed))
            if report.errors:
                st.error(
                    i18n.tf(
                        "data.invalid", lang, n=len(report.errors), rows=len(report.invalid_rows)
                    )
                )
            else:
                st.success(i18n.tf("data.valid", lang, rows=result.rows_read))
            if len(report):
                st.subheader(i18n.t("data.report", lang))
                issues = pd.DataFrame([i.to_dict() for i in report], columns=REPORT_COLUMNS)
                issues["message"] = [i18n.one_language(m, lang) for m in issues["message"]]
                table = issues.rename(
                    columns={c: i18n.t(f"data.col.{c}", lang) for c in REPORT_COLUMNS}
                )
                st.dataframe(table, hide_index=True, width="stretch")
                widgets.csv_download(
                    table, f"{layer}_validation.csv", lang=lang, key="data.dl_report"
                )
            version = st.text_input(i18n.t("data.version_label", lang), key="data.version")
            if st.button(
                i18n.t("data.import_button", lang),
                type="primary",
                disabled=not report.valid,
                key="data.go",
            ):
                bar = st.progress(0.0)
                try:
                    done = data.import_now(
                        url, layer, raw, upload.name, crs=crs, mode=mode,
                        version=version or None, who=who, progress=bar.progress,
                    )  # fmt: skip
                except GeomonError as exc:
                    st.error(i18n.tf("data.import_error", lang, error=exc))
                else:
                    s = done.stats
                    text = i18n.tf(
                        "data.imported", lang, layer=title(layer), added=s.added,
                        updated=s.updated, after=s.rows_after,
                    )  # fmt: skip
                    st.success(text)


with tab_import:
    if importer_user is None:
        st.info(i18n.t("login.edit_needed", lang))
    else:
        import_tab(importer_user)

with tab_export:
    present = [n for n in v.filtered if n in data.store(url).layer_names()]
    if not present:
        st.info(i18n.t("data.no_layers", lang))
    else:
        e1, e2, e3 = st.columns([2, 2, 3], vertical_alignment="bottom")
        name = e1.selectbox(
            i18n.t("data.export_layer", lang),
            present,
            index=present.index("outlets") if "outlets" in present else 0,  # what is asked for most
            format_func=title,
            key="data.export_layer",
            placeholder=i18n.t("common.choose_one", lang),
        )
        spec = get_spec(name)
        formats = [f for f in export.FORMATS if spec.is_spatial or f in ("csv", "xlsx")]
        fmt = e2.selectbox(
            i18n.t("data.format", lang),
            formats,
            format_func=FORMAT_NAMES.__getitem__,
            key="data.format",
            placeholder=i18n.t("common.choose_one", lang),
        )
        rows = view.stored_rows(data.layer(url, name), v.filtered[name])
        st.caption(v.caption(lang))
        e3.markdown(
            i18n.tf("data.export_count", lang, n=f"{len(rows):,}", total=f"{len(v.layers[name]):,}")
        )
        if rows.empty:
            st.info(i18n.t("data.empty_layer", lang))
        else:
            payload = functools.partial(export.export_bytes, rows, name, fmt)
            file_name = f"{name}{export.SUFFIX[fmt]}"
            st.download_button(
                i18n.tf("data.download", lang, name=file_name),
                payload() if len(rows) <= EAGER_ROWS else payload,
                file_name=file_name, mime=export.MEDIA_TYPE[fmt], on_click="ignore",
                key="data.dl_export", type="primary", icon=":material/download:",
            )  # fmt: skip
            st.dataframe(
                tables.labelled(
                    rows.drop(columns="geometry", errors="ignore"),
                    list(rows.columns),
                    lang=lang,
                    layer=name,
                ),
                hide_index=True,
                width="stretch",
                height=min(38 + 35 * len(rows), 320),
            )

with tab_versions:
    store = data.store(url)
    infos = [store.info(n) for n in store.layer_names() if n in layer_names()]
    cols = ["layer", "rows", "source", "imported_at", "version", "revision"]
    table = pd.DataFrame([{**asdict(i), "layer": title(i.name)} for i in infos if i], columns=cols)
    table["imported_at"] = table["imported_at"].map(times.beijing)
    table = table.astype(dict.fromkeys(("source", "version"), object)).fillna("")  # blank, not None
    table = table.rename(columns={c: i18n.t(f"data.info.{c}", lang) for c in cols})
    st.dataframe(table, hide_index=True, width="stretch")

EDITORS = {"outlets": editing.outlets_table, "sections": editing.sections_table}


def edit_tab(who: auth.User) -> None:
    """Table editors as `who`: outlets' rectification fields, or sections' target classes."""
    layer = st.radio(
        i18n.t("edit.layer", lang), list(EDITORS), horizontal=True, key="edit.layer",
        format_func=functools.partial(i18n.keyed, "edit.layer", lang),
    )  # fmt: skip
    rows = v.filtered.get(layer)
    if rows is None or rows.empty:
        st.info(i18n.t("data.empty_layer", lang))
        return
    EDITORS[layer](url, rows["code"].astype(str).tolist(), who, lang)


with tab_edit:
    if editor is None:
        st.info(i18n.t("login.edit_needed", lang))
    else:
        edit_tab(editor)
