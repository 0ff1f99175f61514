"""Logins, editing from the app, jurisdiction scoping and the map "as of" a past date."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pandas as pd
import pytest
import streamlit as st
from apphelp import no_exception, sha256
from test_data_page import GOOD, HEADER

from geomon.access import auth, tokens
from geomon.app import mapdata
from geomon.app.components import tilemap
from geomon.store import Edit, open_store

OUTLET = "CJ9001429902GM0001"  # demo outlet in 明珠区 (429902), stage 整治中
DEMO_USER = "geomon demo"  # who the demo store's history says imported every row
PASSWORD = "correct horse"


@pytest.fixture
def users(app, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A users file with an editor (everywhere), a county editor (429903) and a viewer.

    (Requests `app` so that it overrides the fixture's "no users file".)
    """
    path = tmp_path / "users.toml"
    auth.add_user(path, "zhang", PASSWORD, role="editor", areas="*")
    auth.add_user(path, "li", PASSWORD, role="editor", areas="429903")
    auth.add_user(path, "wang", PASSWORD, role="viewer", areas="*")
    monkeypatch.setenv("GEOMON_USERS", str(path))
    return path


def _log_in(at, name: str):
    """Log `name` in through the sidebar form."""
    at.sidebar.text_input(key="login.name").input(name)
    at.sidebar.text_input(key="login.password").input(PASSWORD)
    next(b for b in at.sidebar.button if b.label == "登录").click()
    return at.run()


def _as(at, name: str, users: Path):
    """Log `name` in directly (the form is tested once, in the editor test)."""
    user = auth.load_users(users)[name]
    at.session_state["auth.user"] = {"name": name, "role": user.role, "areas": list(user.areas)}
    return at


def _stored(path: Path, code: str = OUTLET) -> pd.Series:
    return open_store(path).read("outlets", with_versions=True).set_index("code").loc[code]


def _edits(path: Path, code: str | None = OUTLET, layer: str = "outlets") -> pd.DataFrame:
    """The history of `code` (every row if None) after the demo's own import (revision 1)."""
    history = open_store(path).history(layer, code)
    return history[history["revision"] > 1].reset_index(drop=True)


def test_anonymous_visitor_cannot_import(app, demo_copy: Path, users: Path) -> None:
    at = app(demo_copy, "data").run()

    no_exception(at)
    assert any("登录后可导入/编辑" in i.value for i in at.info)
    assert not [b for b in at.button if b.key == "data.go"]
    assert not at.get("file_uploader")
    assert at.sidebar.text_input(key="login.name")  # the login form is offered


def test_viewer_cannot_edit(app, demo_copy: Path, users: Path) -> None:
    at = _as(app(demo_copy, "outlet", outlet=OUTLET), "wang", users).run()

    no_exception(at)
    assert not _has(at, OUTLET)
    assert any("登录后可导入/编辑" in i.value for i in at.info)


def _has(at, code: str) -> bool:
    return any(s.key == f"edit.{code}.stage" for s in at.selectbox)


def test_wrong_password_is_refused(app, demo_copy: Path, users: Path) -> None:
    at = app(demo_copy, "outlet", outlet=OUTLET).run()
    at.sidebar.text_input(key="login.name").input("zhang")
    at.sidebar.text_input(key="login.password").input("wrong password")
    next(b for b in at.sidebar.button if b.label == "登录").click().run()

    no_exception(at)
    assert at.sidebar.error[0].value == "用户名或密码错误"
    assert not _has(at, OUTLET)


def test_editor_logs_in_and_edits_the_stage(app, demo_copy: Path, users: Path) -> None:
    at = _log_in(app(demo_copy, "outlet", outlet=OUTLET).run(), "zhang")
    no_exception(at)
    assert "zhang" in at.sidebar.markdown[0].value

    at.selectbox(key=f"edit.{OUTLET}.stage").set_value("整治完成")
    at.text_area(key=f"edit.{OUTLET}.notes").input("已完成封堵")
    next(b for b in at.button if b.label == "保存修改").click().run()

    no_exception(at)
    assert at.success[0].value.startswith("已保存 2 项修改")
    row = _stored(demo_copy)
    assert row["stage"] == "整治完成"
    assert row["notes"] == "已完成封堵"
    history = _edits(demo_copy)
    assert set(history["user"]) == {"zhang"}
    assert set(history["source"]) == {"app"}
    assert set(history["field"]) == {"stage", "notes"}
    shown = next(d.value for d in at.dataframe if "操作人" in d.value.columns)
    assert shown["操作人"].tolist() == [DEMO_USER, "zhang", "zhang"]  # the demo import, then us
    assert at.selectbox(key=f"edit.{OUTLET}.stage").value == "整治完成"  # the form reloaded


def test_stale_edit_is_refused(app, demo_copy: Path, users: Path) -> None:
    at = _as(app(demo_copy, "outlet", outlet=OUTLET), "zhang", users).run()
    no_exception(at)
    store = open_store(demo_copy)  # someone else saves the outlet meanwhile
    row = _stored(demo_copy)
    store.edit("outlets", [Edit(OUTLET, {"stage": "已销号"}, int(row["_version"]))], user="li")
    before = _stored(demo_copy)

    at.selectbox(key=f"edit.{OUTLET}.stage").set_value("整治完成")
    next(b for b in at.button if b.label == "保存修改").click().run()

    no_exception(at)
    assert at.error[0].value.startswith("保存失败")
    assert "已销号" in at.error[0].value  # the newer value
    after = _stored(demo_copy)
    assert after["stage"] == "已销号"
    assert after["_version"] == before["_version"]
    assert _edits(demo_copy)["user"].tolist() == ["li"]


def test_county_user_sees_only_their_outlets(app, demo_copy: Path, users: Path) -> None:
    outlets = open_store(demo_copy).read("outlets")
    theirs = set(outlets.loc[outlets["district_code"] == "429903", "code"])
    at = _as(app(demo_copy, "outlet"), "li", users).run()

    no_exception(at)
    codes = set(at.selectbox(key="outlet.code").options)
    shown = {c.split()[0] for c in codes}
    assert shown == theirs

    other = _as(app(demo_copy, "outlet", outlet=OUTLET), "li", users).run()  # another county
    no_exception(other)
    assert other.warning[0].value == f"没有编码为“{OUTLET}”的排污口。"


def test_map_as_of_a_date_shows_the_earlier_stage(
    app, demo_copy: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    row = _stored(demo_copy)
    open_store(demo_copy).edit(
        "outlets", [Edit(OUTLET, {"stage": "整治完成"}, int(row["_version"]))], user="admin",
        at="2024-03-01",
    )  # fmt: skip
    drawn: list[pd.DataFrame] = []
    real = tilemap.tile_map

    def spy(frames, **kwargs):
        drawn.append(frames["outlets"])
        return real(frames, **kwargs)

    monkeypatch.setattr(tilemap, "tile_map", spy)
    at = app(demo_copy).run()
    no_exception(at)
    assert drawn[-1].set_index("code").loc[OUTLET, "stage"] == "整治完成"

    at.date_input(key="map_as_of").set_value(dt.date(2024, 2, 15)).run()

    no_exception(at)
    assert drawn[-1].set_index("code").loc[OUTLET, "stage"] == "整治中"
    assert len(drawn[-1]) == len(drawn[0])
    # the tiles are cut from the same past state: the token names the date
    (map_args,) = [json.loads(e.proto.json_args) for e in at.get("component_instance")
                   if e.proto.component_name.endswith("geomon_tilemap")]  # fmt: skip
    claims = json.loads(tokens._unb64(map_args["token"].split(".")[0]))
    assert claims["d"] == "2024-02-15"
    past = mapdata.frames(str(demo_copy), claims)["outlets"]
    assert past.set_index("code").loc[OUTLET, "stage"] == "整治中"


def test_map_as_of_a_day_before_the_history_says_where_it_starts(app, demo_store: Path) -> None:
    # the demo's outlets were first written on 2023-06-30 12:00 Beijing (data/README.md)
    at = app(demo_store).run()
    at.date_input(key="map_as_of").set_value(dt.date(2022, 12, 31)).run()

    no_exception(at)
    assert [i.value for i in at.info if "始于" in i.value] == [
        "2022-12-31 时库中还没有排污口：排污口图层的历史记录始于 2023-06-30（首次入库）。"
        "请选择该日及以后的日期。"
    ]
    assert "排污口为 2022-12-31 日终时的状态（逾期按当日判定）" in [c.value for c in at.caption]
    at.date_input(key="map_as_of").set_value(dt.date(2023, 6, 30)).run()
    assert not [i.value for i in at.info if "始于" in i.value]  # the day it was written


def test_editor_may_import(app, demo_copy: Path, users: Path) -> None:
    at = _as(app(demo_copy, "data"), "zhang", users).run()

    no_exception(at)
    assert at.get("file_uploader")
    assert not any("登录后可导入/编辑" in i.value for i in at.info)


def test_viewing_may_need_a_login(
    app, demo_copy: Path, users: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("GEOMON_LOGIN_REQUIRED_FOR_VIEW", "1")
    at = app(demo_copy).run()

    no_exception(at)
    assert at.info[0].value.startswith("请先在侧栏登录")
    assert not at.get("component_instance")  # no map

    at = _log_in(at, "wang")
    no_exception(at)
    assert not any(i.value.startswith("请先在侧栏登录") for i in at.info)


def test_repeated_failures_lock_the_name(app, demo_copy: Path, users: Path) -> None:
    at = app(demo_copy, "outlet", outlet=OUTLET).run()
    for _ in range(5):
        at.sidebar.text_input(key="login.name").input("zhang")
        at.sidebar.text_input(key="login.password").input("wrong password")
        next(b for b in at.sidebar.button if b.label == "登录").click().run()

    no_exception(at)
    assert at.sidebar.error[0].value.startswith("登录失败次数过多，请 30 秒后再试")
    at = _log_in(at, "zhang")  # even the right password waits
    assert at.sidebar.error[0].value.startswith("登录失败次数过多")
    assert not _has(at, OUTLET)


def test_table_editor_saves_the_edited_rows(
    app, demo_copy: Path, users: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    real = st.data_editor

    def edited(frame, **kwargs):  # AppTest cannot type into a data editor: edit what it returns
        real(frame, **kwargs)
        out = frame.copy()
        out.loc[out["code"] == OUTLET, "stage"] = "整治完成"
        return out

    monkeypatch.setattr(st, "data_editor", edited)
    at = _as(app(demo_copy, "data"), "zhang", users).run()
    no_exception(at)
    at.button(key="edit.table.go").click().run()

    no_exception(at)
    assert at.success[0].value.startswith("已保存 1 项修改")
    assert _stored(demo_copy)["stage"] == "整治完成"
    history = _edits(demo_copy, None)
    assert history[["key", "field", "user"]].values.tolist() == [[OUTLET, "stage", "zhang"]]


def test_county_user_cannot_import_another_countys_outlet(
    app, demo_copy: Path, users: Path
) -> None:
    before = sha256(demo_copy)
    at = _as(app(demo_copy, "data"), "li", users).run()
    at.selectbox(key="data.layer").set_value("outlets")
    at.file_uploader(key="data.file").set_value(("x.csv", (HEADER + GOOD).encode(), "text/csv"))
    at.run()
    at.button(key="data.go").click().run()

    no_exception(at)
    assert at.error[0].value.startswith("导入失败")  # GOOD: an outlet of 明珠区 (429902)
    assert "429903" in at.error[0].value
    assert sha256(demo_copy) == before
