"""Editing outlets in the app: the rectification form of the record page, and the table editor.

Every edit goes through `geomon.store.scoped.ScopedStore` as the logged-in user (so the history
names them and they change only their areas) and is based on the ``_version`` read with the row:
an edit of a row someone changed since is refused (`ConflictError`) and nothing is written.
"""

from __future__ import annotations

import datetime as dt
import functools
from typing import Any

import pandas as pd
import streamlit as st

from geomon import auth
from geomon.app import data, i18n
from geomon.errors import ConflictError, GeomonError
from geomon.specs import get_spec
from geomon.store import Edit
from geomon.store.editing import edits_between

LAYER = "outlets"
FIELDS = ("stage", "traced_date", "deadline", "completed_date", "sign_installed", "category",
          "notes")  # fmt: skip
"""The rectification fields an editor may change in the app."""
FLASH = "edit.flash"


def _plain(value: Any) -> Any:
    """`value` as a widget holds it: None for missing, a date for a timestamp."""
    if value is None or (not isinstance(value, str) and pd.isna(value)):
        return None
    if isinstance(value, pd.Timestamp):
        return value.date()
    if isinstance(value, dt.datetime):
        return value.date()
    if hasattr(value, "item"):  # numpy scalars
        return value.item()
    return value


def _option_label(field: str, lang: str, value: Any) -> str:
    if value is None:
        return i18n.t("edit.none", lang)
    if isinstance(value, bool):
        return i18n.t("common.yes" if value else "common.no", lang)
    return get_spec(LAYER).field(field).value_label(value, lang)


def _keys(code: str) -> list[str]:
    return [f"edit.{code}.{f}" for f in FIELDS] + [f"edit.{code}.base"]


def _forget(code: str) -> None:
    for key in _keys(code):
        st.session_state.pop(key, None)


def flash() -> None:
    """Show the message of the edit saved on the previous run (the page reran to show it)."""
    text = st.session_state.pop(FLASH, None)
    if text:
        st.success(text)


def outlet_form(url: str, code: str, who: auth.User, lang: str) -> None:
    """The form that edits outlet `code`'s rectification fields as `who`."""
    rows = data.versioned(url, LAYER)
    match = rows[rows["code"].astype(str) == code]
    if match.empty:
        return
    row = match.iloc[0]
    base_key = f"edit.{code}.base"
    if base_key not in st.session_state:  # the version this form's values were read at
        st.session_state[base_key] = int(row["_version"])
    spec = get_spec(LAYER)
    old = {f: _plain(row[f]) for f in FIELDS}
    new: dict[str, Any] = {}
    with st.form(f"edit.{code}", border=True):
        st.markdown(f"**{i18n.t('edit.title', lang)}**")
        c1, c2, c3 = st.columns(3)
        for col, name in zip((c1, c2, c3), ("stage", "category", "sign_installed"), strict=True):
            f = spec.field(name)
            options = [True, False] if name == "sign_installed" else [e.value for e in f.values]
            options = [None, *options]
            current = old[name] if old[name] in options else None
            new[name] = col.selectbox(
                f.label.get(lang), options, index=options.index(current), key=f"edit.{code}.{name}",
                format_func=functools.partial(_option_label, name, lang),
            )  # fmt: skip
        d1, d2, d3 = st.columns(3)
        for col, name in zip((d1, d2, d3), ("traced_date", "deadline", "completed_date"),
                             strict=True):  # fmt: skip
            new[name] = col.date_input(
                spec.field(name).label.get(lang), value=old[name], key=f"edit.{code}.{name}",
                min_value=dt.date(1990, 1, 1), max_value=dt.date(2100, 12, 31),
            )  # fmt: skip
        new["notes"] = st.text_area(
            spec.field("notes").label.get(lang), value=old["notes"] or "", key=f"edit.{code}.notes"
        )
        submitted = st.form_submit_button(i18n.t("edit.submit", lang), type="primary")
    if not submitted:
        return
    if (new["notes"] or None) is None and old["notes"] is None:
        new["notes"] = None
    changed = {k: val for k, val in new.items() if val != old[k]}
    if not changed:
        st.info(i18n.t("edit.nothing", lang))
        return
    edit = Edit((code,), changed, st.session_state[base_key])
    _save(url, [edit], who, lang, forget=functools.partial(_forget, code))


def _save(url: str, edits: list[Edit], who: auth.User, lang: str, *, forget: Any) -> None:
    try:
        result = data.scoped(url, who).edit(LAYER, edits, user=who.name, source="app")
    except ConflictError as exc:
        st.error(i18n.t("edit.conflict", lang).format(error=exc))
        forget()  # the form reloads the newer values and version on the next run
        return
    except GeomonError as exc:
        st.error(i18n.t("edit.error", lang).format(error=exc))
        return
    forget()
    text = i18n.t("edit.saved", lang).format(n=len(result.changes), user=who.name)
    st.session_state[FLASH] = text
    st.rerun()


def outlets_table(url: str, codes: list[str], who: auth.User, lang: str) -> None:
    """An `st.data_editor` of the rectification fields of outlets `codes`, saved in one edit.

    The rows are kept as first read (with their versions) until saved, so an edit of a row
    someone changed since is refused like the form's.
    """
    snap_key, key = "edit.table.read", "edit.table"
    snap = st.session_state.get(snap_key)
    if not isinstance(snap, dict) or snap.get("codes") != codes:
        rows = data.versioned(url, LAYER)
        columns = ["code", "name", *FIELDS, "geometry", "_version"]
        read = rows[rows["code"].astype(str).isin(codes)][columns]
        snap = {"codes": codes, "rows": pd.DataFrame(read).reset_index(drop=True)}
        st.session_state[snap_key] = snap
        st.session_state.pop(key, None)
    before: pd.DataFrame = snap["rows"]
    if before.empty:
        return
    spec = get_spec(LAYER)

    def label(name: str) -> str:
        return spec.field(name).label.get(lang)

    config: dict[str, Any] = {
        "code": st.column_config.TextColumn(label("code"), disabled=True),
        "name": st.column_config.TextColumn(label("name"), disabled=True),
        "sign_installed": st.column_config.CheckboxColumn(label("sign_installed")),
        "notes": st.column_config.TextColumn(label("notes")),
    }
    for name in ("stage", "category"):
        options = [e.value for e in spec.field(name).values]
        config[name] = st.column_config.SelectboxColumn(label(name), options=options)
    for name in ("traced_date", "deadline", "completed_date"):
        config[name] = st.column_config.DateColumn(label(name))
    st.caption(i18n.t("edit.table_help", lang))
    after = st.data_editor(
        before.drop(columns=["_version", "geometry"]), column_config=config, hide_index=True,
        width="stretch", num_rows="fixed", key=key,
    )  # fmt: skip
    if not st.button(i18n.t("edit.submit", lang), key="edit.table.go", type="primary"):
        return
    after = after.assign(geometry=before["geometry"].to_numpy())  # rows are fixed: same order
    edits = edits_between(before, after, spec)
    if not edits:
        st.info(i18n.t("edit.nothing", lang))
        return

    def forget() -> None:
        for k in (key, snap_key):
            st.session_state.pop(k, None)

    _save(url, edits, who, lang, forget=forget)
