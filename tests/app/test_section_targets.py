"""Editing sections' water-quality targets (水质目标) in the data page's table editor.

The same edit path as outlets (`geomon.app.components.editing`): versions read with the rows, a
stale edit
refused showing the newer value, one all-or-nothing `Store.edit`, history with source "app".
AppTest cannot type into an `st.data_editor`, so `edited_table` wraps it: the page's own editor
runs and the wrapper returns the frame with the test's changes, as a person would leave it.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
import streamlit as st
from apphelp import no_exception, open_tab, shown

from geomon.access import auth
from geomon.store import Edit, open_store

KEY = "edit.sections"  # prefix of the sections editor's widget keys; its save button: KEY.go
EDITOR = {"name": "zhang", "role": "editor", "areas": ["*"]}
COLUMNS = ["code", "name", "river", "control_level", "target_class"]


@pytest.fixture
def users(app, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A users file with the editor zhang (requests `app` to override its "no users file")."""
    path = tmp_path / "users.toml"
    auth.add_user(path, "zhang", "correct horse", role="editor", areas="*")
    monkeypatch.setenv("GEOMON_USERS", str(path))
    return path


@pytest.fixture
def edited_table(monkeypatch: pytest.MonkeyPatch) -> Callable[[dict], dict[str, Any]]:
    """`edited_table({code: {field: value}})`: the sections editor returns those changes.

    Returns what the page passed to the editor (``frame``, ``config``) on its latest run.
    """
    real = st.data_editor
    seen: dict[str, Any] = {}

    def install(changes: dict[str, dict[str, Any]]) -> dict[str, Any]:
        def data_editor(frame: pd.DataFrame, **kwargs: Any) -> pd.DataFrame:
            shown = real(frame, **kwargs)
            if not str(kwargs.get("key")).startswith(f"{KEY}."):  # KEY.<read number>
                return shown
            seen.update(frame=frame.copy(), config=kwargs["column_config"])
            out = frame.copy()
            for code, values in changes.items():
                for name, value in values.items():
                    out.loc[out["code"] == code, name] = value
            return out

        monkeypatch.setattr(st, "data_editor", data_editor)
        return seen

    return install


def _open(app, store: Path):
    """The data page as the editor, on the sections editor."""
    at = app(store, "data")
    at.session_state["auth.user"] = EDITOR
    at.run()
    at.radio(key="edit.layer").set_value("sections").run()
    return at


def _sections(store: Path) -> pd.DataFrame:
    return open_store(store).read("sections", with_versions=True).set_index("code")


def _edits(store: Path) -> list[list[Any]]:
    """History of sections after the demo's own import (revision 1)."""
    h = open_store(store).history("sections")
    h = h[h["revision"] > 1]
    return h[["key", "field", "old", "new", "user", "source"]].values.tolist()


def test_only_the_target_is_editable(app, demo_copy: Path, users: Path, edited_table) -> None:
    seen = edited_table({})
    at = _open(app, demo_copy)

    no_exception(at)
    frame = seen["frame"]
    assert list(frame.columns) == COLUMNS
    assert len(frame) == 18  # every demo section: no filter set
    assert pd.isna(frame.set_index("code").loc["JHMK02", "target_class"])  # the planted gap
    disabled = {name: cfg.get("disabled") for name, cfg in seen["config"].items()}
    assert disabled == {
        "code": True,
        "name": True,
        "river": True,
        "control_level": True,
        "target_class": False,
    }
    assert seen["config"]["target_class"]["type_config"]["options"] == [
        {"value": v, "label": f"{c}类"}
        for v, c in zip(["I", "II", "III", "IV", "V"], "ⅠⅡⅢⅣⅤ", strict=True)
    ]


def test_editor_sets_a_target_and_the_dashboard_follows(
    app, demo_copy: Path, users: Path, edited_table
) -> None:
    edited_table({"JHMK02": {"target_class": "II"}})  # the section without a target: class Ⅲ
    demo_revision = open_store(demo_copy).revision()  # the demo's layers, then its problems
    at = _open(app, demo_copy)
    at.button(key=f"{KEY}.go").click().run()

    no_exception(at)
    assert at.success[0].value == "已保存 1 项修改（操作人：zhang）。"
    stored = _sections(demo_copy)
    assert stored.loc["JHMK02", "target_class"] == "II"
    assert stored.loc["JHMK02", "_version"] == demo_revision + 1
    assert set(stored.drop(index="JHMK02")["_version"]) == {1}  # no other row was touched
    assert _edits(demo_copy) == [["JHMK02", "target_class", None, "II", "zhang", "app"]]

    at.switch_page("geomon/app/pages/dashboard.py").run()
    open_tab(at, "dash_tab", "断面水质")
    no_exception(at)
    meets = next(m for m in at.metric if m.label == "达标比例")
    # 15 of 17 sections met their target; JHMK02 (class Ⅲ, now aiming at Ⅱ) fails: 15 / 18
    assert (meets.value, meets.delta) == ("83.3%", "15 / 18")


def test_a_stale_target_edit_is_refused_showing_the_newer_value(
    app, demo_copy: Path, users: Path, edited_table
) -> None:
    seen = edited_table({"JHGK02": {"target_class": "II"}})
    at = _open(app, demo_copy)  # zhang reads JHGK02 (target Ⅲ) at version 1
    store = open_store(demo_copy)
    store.edit("sections", [Edit("JHGK02", {"target_class": "I"}, 1)], user="li")  # meanwhile
    newer = store.revision()  # the demo's layers and problems, then li's edit

    at.button(key=f"{KEY}.go").click().run()

    no_exception(at)
    error = shown(at.error[0].value)
    assert error.startswith(
        f"保存失败：sections JHGK02：你的修改基于版本 1，该行已被修改（当前版本 {newer}）"
    )
    assert "target_class: 你的值 your value 'II', 当前值 stored value 'I' (由 li 于" in error
    assert _sections(demo_copy).loc["JHGK02", "target_class"] == "I"
    assert _edits(demo_copy) == [["JHGK02", "target_class", "III", "I", "li", None]]
    at.run()  # the refused edit is dropped: the editor shows the newer value to start again
    assert seen["frame"].set_index("code").loc["JHGK02", "target_class"] == "I"


def test_one_bad_row_saves_nothing(app, demo_copy: Path, users: Path, edited_table) -> None:
    # a blank target is allowed (a section without an assessment target); "VI" is no class
    edited_table({"JHGK01": {"target_class": "III"}, "JHGK02": {"target_class": "VI"}})
    at = _open(app, demo_copy)
    at.button(key=f"{KEY}.go").click().run()

    no_exception(at)
    assert shown(at.error[0].value).startswith("保存失败：layer 'sections', row ['JHGK02']")
    stored = _sections(demo_copy)
    assert stored.loc[["JHGK01", "JHGK02"], "target_class"].tolist() == ["II", "III"]
    assert _edits(demo_copy) == []


def test_english_labels(app, demo_copy: Path, users: Path, edited_table) -> None:
    seen = edited_table({})
    at = app(demo_copy, "data", lang="en")
    at.session_state["auth.user"] = EDITOR
    at.run()
    at.radio(key="edit.layer").set_value("sections").run()

    no_exception(at)
    assert at.radio(key="edit.layer").options == [
        "Outlets: rectification and attachments",
        "Sections: target classes",
    ]
    assert seen["config"]["target_class"]["label"] == "Target class"
