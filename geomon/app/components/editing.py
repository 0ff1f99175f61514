"""Editing from the app: the outlet form of the record page, and table editors of outlets and
sections (water-quality targets).

Every edit goes through `geomon.access.scoped.ScopedStore` as the logged-in user (so the history
names them, with source ``app``, and they change only their areas) and is based on the
``_version`` read with the row: an edit of a row someone changed since is refused
(`ConflictError`, whose message shows the newer value) and nothing is written. One save is one
`Store.edit` call, so all its rows are saved or none.
"""

from __future__ import annotations

import datetime as dt
import functools
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pandas as pd
import streamlit as st

from geomon.access import auth
from geomon.app import data, i18n
from geomon.errors import ConflictError, GeomonError
from geomon.specs import FieldSpec, LayerSpec, get_spec
from geomon.store import Edit
from geomon.store.editing import edits_between

LAYER = "outlets"
FIELDS = ("stage", "traced_date", "deadline", "completed_date", "sign_installed", "category",
          "notes", "attachments")  # fmt: skip
"""The rectification fields an editor may change in the app (outlets)."""
SECTION_FIELDS = ("target_class",)
"""The fields of a section an editor may change in the app: its water-quality target."""
SOURCE = "app"  # the history's source of every change made here
FLASH = "edit.flash"


@dataclass(frozen=True, slots=True)
class Table:
    """What one table editor shows: the layer, its editable fields, read-only context columns,
    and the prefix of its session-state and widget keys."""

    layer: str
    fields: tuple[str, ...]
    context: tuple[str, ...]
    key: str
    help: str  # strings.toml key of the caption


OUTLETS = Table(LAYER, FIELDS, ("name",), "edit.table", "edit.table_help")
SECTIONS = Table("sections", SECTION_FIELDS, ("name", "river", "control_level"),
                 "edit.sections", "edit.sections_help")  # fmt: skip


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


def _text(value: str | None) -> str | None:
    """Typed text as stored: surrounding blanks dropped, an empty box is no value (None)."""
    text = (value or "").strip()
    return text or None


def _option_label(field: FieldSpec, lang: str, value: Any) -> str:
    """How an option of `field` reads in a select box: its enum label, 是/否, or （空）."""
    if value is None:
        return i18n.t("edit.none", lang)
    if isinstance(value, bool):
        return i18n.t("common.yes" if value else "common.no", lang)
    return field.value_label(value, lang)


def _keys(code: str) -> list[str]:
    return [f"edit.{code}.{f}" for f in FIELDS] + [f"edit.{code}.base"]


def _forget(code: str) -> None:
    for key in _keys(code):
        st.session_state.pop(key, None)


def flash() -> None:
    """Show the message of the edit saved on the previous run (the page reran to show it).

    The slot is there on every run, so what follows keeps its place on the page (tabs stay on
    the tab the editor was using).
    """
    slot = st.empty()
    text = st.session_state.pop(FLASH, None)
    if text:
        slot.success(text)


def outlet_form(url: str, code: str, who: auth.User, lang: str) -> None:
    """The form that edits outlet `code`'s rectification fields and attachments as `who`."""
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
                format_func=functools.partial(_option_label, f, lang),
                placeholder=i18n.t("common.choose_one", lang),
            )  # fmt: skip
        d1, d2, d3 = st.columns(3)
        for col, name in zip((d1, d2, d3), ("traced_date", "deadline", "completed_date"),
                             strict=True):  # fmt: skip
            new[name] = col.date_input(
                spec.field(name).label.get(lang), value=old[name], key=f"edit.{code}.{name}",
                min_value=dt.date(1990, 1, 1), max_value=dt.date(2100, 12, 31),
            )  # fmt: skip
        t1, t2 = st.columns(2)
        for col, name in zip((t1, t2), ("notes", "attachments"), strict=True):
            typed = col.text_area(
                spec.field(name).label.get(lang), value=old[name] or "",
                key=f"edit.{code}.{name}", help=i18n.t(f"edit.help.{name}", lang),
            )  # fmt: skip
            new[name] = _text(typed)
        submitted = st.form_submit_button(i18n.t("edit.submit", lang), type="primary")
    if not submitted:
        return
    changed = {k: val for k, val in new.items() if val != old[k]}
    if not changed:
        st.info(i18n.t("edit.nothing", lang))
        return
    edit = Edit((code,), changed, st.session_state[base_key])
    _save(url, LAYER, [edit], who, lang, forget=functools.partial(_forget, code))


def _save(
    url: str, layer: str, edits: list[Edit], who: auth.User, lang: str,
    *, forget: Callable[[], None],
) -> None:  # fmt: skip
    """Save `edits` of `layer` as `who` in one all-or-nothing edit, then rerun to show it.

    On a conflict `forget` drops what the widgets hold, so the next run shows the newer values.
    """
    try:
        result = data.scoped(url, who).edit(layer, edits, user=who.name, source=SOURCE)
    except ConflictError as exc:
        st.error(i18n.tf("edit.conflict", lang, error=exc))
        forget()  # the form reloads the newer values and version on the next run
        return
    except GeomonError as exc:
        st.error(i18n.tf("edit.error", lang, error=exc))
        return
    forget()
    text = i18n.tf("edit.saved", lang, n=len(result.changes), user=who.name)
    st.session_state[FLASH] = text
    st.rerun()


def _column(spec: LayerSpec, name: str, lang: str, *, disabled: bool) -> Any:
    """The `st.column_config` of field `name`: a select box of labels for an enum, and so on."""
    f = spec.field(name)
    label = f.label.get(lang)
    if f.type == "enum":
        options = [e.value for e in f.values]
        fmt = functools.partial(_option_label, f, lang)
        return st.column_config.SelectboxColumn(
            label, options=options, format_func=fmt, disabled=disabled
        )
    if f.type == "bool":
        return st.column_config.CheckboxColumn(label, disabled=disabled)
    if f.type == "date":
        return st.column_config.DateColumn(label, disabled=disabled)
    if f.type in ("int", "float"):
        return st.column_config.NumberColumn(label, disabled=disabled)
    return st.column_config.TextColumn(label, disabled=disabled)


def _snapshot(url: str, table: Table, codes: list[str]) -> dict[str, Any]:
    """The rows of `codes` as first read (with versions), kept until saved or the codes change.

    Each fresh read gets the next number, part of the editor's widget key: a new read mounts a
    new editor, so the browser does not send back the edits of the old one (which would rerun
    the page and hide the "saved" message).
    """
    snap_key = f"{table.key}.read"
    snap = st.session_state.get(snap_key)
    if not isinstance(snap, dict) or snap.get("codes") != codes:
        spec = get_spec(table.layer)
        rows = data.versioned(url, table.layer)
        geometry = ["geometry"] if spec.is_spatial else []
        columns = [spec.id_field or "code", *table.context, *table.fields, *geometry, "_version"]
        read = rows[rows[columns[0]].astype(str).isin(codes)][columns]
        n = int(st.session_state.get(f"{table.key}.reads", 0)) + 1
        st.session_state[f"{table.key}.reads"] = n
        snap = {"codes": codes, "rows": pd.DataFrame(read).reset_index(drop=True), "n": n}
        st.session_state[snap_key] = snap
    return snap


def table_editor(url: str, table: Table, codes: list[str], who: auth.User, lang: str) -> None:
    """An `st.data_editor` of `table`'s fields for the rows `codes`, saved in one edit as `who`.

    Only `table.fields` are editable. The rows are kept as first read (with their versions) until
    saved, so an edit of a row someone changed since is refused like the form's.
    """
    snap = _snapshot(url, table, codes)
    before: pd.DataFrame = snap["rows"]
    if before.empty:
        return
    spec = get_spec(table.layer)
    shown = [c for c in before.columns if c not in ("_version", "geometry")]
    config = {name: _column(spec, name, lang, disabled=name not in table.fields) for name in shown}
    st.caption(i18n.t(table.help, lang))
    after = st.data_editor(
        before[shown], column_config=config, hide_index=True, width="stretch", num_rows="fixed",
        key=f"{table.key}.{snap['n']}",
    )  # fmt: skip
    if not st.button(i18n.t("edit.submit", lang), key=f"{table.key}.go", type="primary"):
        return
    if "geometry" in before.columns:  # rows are fixed: same order
        after = after.assign(geometry=before["geometry"].to_numpy())
    for name in table.fields:
        if spec.field(name).type == "str":  # a cleared cell is no value, as in the form
            after[name] = after[name].map(lambda v: _text(v) if isinstance(v, str) else v)
    edits = edits_between(before, after, spec)
    if not edits:
        st.info(i18n.t("edit.nothing", lang))
        return

    def forget() -> None:  # the next run reads the rows again, into a new editor
        st.session_state.pop(f"{table.key}.read", None)

    _save(url, table.layer, edits, who, lang, forget=forget)


def outlets_table(url: str, codes: list[str], who: auth.User, lang: str) -> None:
    """The table editor of the rectification fields and attachments of outlets `codes`."""
    table_editor(url, OUTLETS, codes, who, lang)


def sections_table(url: str, codes: list[str], who: auth.User, lang: str) -> None:
    """The table editor of the water-quality targets (水质目标) of sections `codes`."""
    table_editor(url, SECTIONS, codes, who, lang)
