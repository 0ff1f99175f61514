"""Outlet attachments (附件): split into references, only http(s) URLs become links, all escaped.

The pure functions of `geomon.app.present.outlet_view` are checked case by case; the record page and
the edit form, on the demo store and on a store written before the field existed, below them.
"""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pandas as pd
import pytest
import streamlit as st
from apphelp import no_exception

from geomon.access import auth
from geomon.app.present.outlet_view import (
    Attachment,
    attachments,
    attachments_html,
    readable_history,
)
from geomon.store import open_store

A = Attachment


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (None, []),
        (float("nan"), []),  # a missing value as pandas gives it
        ("", []),
        (" ；\n ", []),
        ("整治方案.pdf", [A("整治方案.pdf")]),
        ("整治方案.pdf；监测报告 JHJC-2023-041", [A("整治方案.pdf"), A("监测报告 JHJC-2023-041")]),
        ("a.pdf\nb.pdf\r\n c ", [A("a.pdf"), A("b.pdf"), A("c")]),
        (
            "https://hb.example.cn/a.pdf",
            [A("https://hb.example.cn/a.pdf", "https://hb.example.cn/a.pdf")],
        ),
        ("HTTP://HB.EXAMPLE.CN/A", [A("HTTP://HB.EXAMPLE.CN/A", "HTTP://HB.EXAMPLE.CN/A")]),
        # the URL ends where the ASCII URL characters end, and loses sentence punctuation
        (
            "见 https://hb.example.cn/r?id=7。",
            [A("见 https://hb.example.cn/r?id=7。", "https://hb.example.cn/r?id=7")],
        ),
        (
            "报告（https://hb.example.cn/r.pdf）",
            [A("报告（https://hb.example.cn/r.pdf）", "https://hb.example.cn/r.pdf")],
        ),
        (
            "see https://hb.example.cn/r.pdf.",
            [A("see https://hb.example.cn/r.pdf.", "https://hb.example.cn/r.pdf")],
        ),
        (
            'https://x.example/a"onmouseover=alert(1)',
            [A('https://x.example/a"onmouseover=alert(1)', "https://x.example/a")],
        ),
        # never links: other schemes, no host
        ("javascript:alert(1)", [A("javascript:alert(1)")]),
        ("file:///etc/passwd", [A("file:///etc/passwd")]),
        ("ftp://hb.example.cn/a.pdf", [A("ftp://hb.example.cn/a.pdf")]),
        ("https://", [A("https://")]),
        ("https:///etc/passwd", [A("https:///etc/passwd")]),
    ],
)
def test_attachments(value: object, expected: list[Attachment]) -> None:
    assert attachments(value) == expected


def test_attachments_html_escapes_everything() -> None:
    items = [
        A("<script>alert(1)</script>"),
        A("javascript:alert(1)"),
        A('方案 "A" & B https://x.example/a?b=1&c=<2>', "https://x.example/a?b=1&c="),
    ]
    assert attachments_html(items) == (
        '<ul class="geomon-attachments">'
        "<li>&lt;script&gt;alert(1)&lt;/script&gt;</li>"
        "<li>javascript:alert(1)</li>"
        '<li><a href="https://x.example/a?b=1&amp;c=" target="_blank" rel="noopener noreferrer">'
        "方案 &quot;A&quot; &amp; B https://x.example/a?b=1&amp;c=&lt;2&gt;</a></li>"
        "</ul>"
    )


def _texts(column: pd.Series) -> list[str | None]:
    """The column's values with every kind of missing value as None."""
    return [None if pd.isna(v) else v for v in column]


def test_readable_history() -> None:
    history = pd.DataFrame(
        {
            "revision": [1, 2, 3],
            "at": [
                "2023-06-30T04:00:00.123456+00:00",
                "2024-03-01T16:00:00+00:00",
                "2024-03-02T00:00:00",
            ],
            "user": ["geomon demo", "张三", "李四"],
            "source": ["demo", "app", "台账.csv"],
            "op": ["insert", "update", "delete"],
            "field": [None, "attachments", None],
            "old": [None, None, '{"code": "A1"}'],
            "new": ['{"code": "A1"}', "方案.pdf", None],
        }
    )
    zh = readable_history(history, "outlets")
    assert _texts(zh["op"]) == ["新增", "修改", "删除"]
    assert _texts(zh["field"]) == [None, "附件", None]
    assert _texts(zh["old"]) == [None, None, None]  # a whole row (JSON) is not shown
    assert _texts(zh["new"]) == [None, "方案.pdf", None]
    # Beijing time (UTC+8) to the minute; the next day after 16:00 UTC; naive times are UTC
    assert _texts(zh["at"]) == ["2023-06-30 12:00", "2024-03-02 00:00", "2024-03-02 08:00"]
    en = readable_history(history, "outlets", "en")
    assert en[["op", "field"]].values.tolist()[1] == ["Changed", "Attachments"]


# ----------------------------------------------------------------------------- in the app

IN_ZONE = "CJ9001429902GM0001"  # demo outlet with a rectification plan and its URL
CLOSED = "CJ9001429902CS0030"  # the first 已销号 demo outlet: two documents and a URL
BARE = "CJ9001429902CY0011"  # a demo outlet without attachments
PLAN_URL = f"https://hbj.jianghan.example/pwk/{IN_ZONE}/plan.pdf"


def _html(at) -> list[str]:
    bodies = [e.proto.body for e in at.get("html")]
    return [b for b in bodies if not b.startswith("<style>")]  # the uploaders' words (i18n)


def _fields(at) -> dict[str, str]:
    table = at.dataframe[0].value
    return dict(zip(table["项目"], table["内容"], strict=True))


@pytest.mark.parametrize(
    ("code", "links", "texts"),
    [
        (IN_ZONE, [PLAN_URL], ["整治方案 江汉环整〔2023〕7号"]),
        (
            CLOSED,
            [f"https://hbj.jianghan.example/pwk/{CLOSED}/closure.pdf"],
            ["销号申请表.pdf", "监测报告 JHJC-2023-041"],
        ),
    ],
)
def test_record_lists_the_demo_attachments(
    app, demo_store: Path, code: str, links: list[str], texts: list[str]
) -> None:
    at = app(demo_store, "outlet", outlet=code).run()

    no_exception(at)
    (body,) = _html(at)
    assert body.count("<a href=") == len(links)
    for url in links:
        assert f'<a href="{url}" target="_blank"' in body
    for text in texts:
        assert f"<li>{text}</li>" in body
    assert "附件" not in _fields(at)  # listed once, as links, not in the field table


def test_record_without_attachments(app, demo_store: Path) -> None:
    at = app(demo_store, "outlet", outlet=BARE).run()

    no_exception(at)
    assert _html(at) == []
    assert "暂无附件。" in [c.value for c in at.caption]


PASSWORD = "correct horse"


@pytest.fixture
def editor(app, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> dict:
    """An editor for everywhere, as the session-state entry `geomon.app.components.login` keeps."""
    path = tmp_path / "users.toml"
    auth.add_user(path, "zhang", PASSWORD, role="editor", areas="*")
    monkeypatch.setenv("GEOMON_USERS", str(path))
    return {"name": "zhang", "role": "editor", "areas": ["*"]}


HOSTILE = '<img src=x onerror=alert(1)>；javascript:alert(1)\nhttps://hb.example.cn/a.pdf?x="y"'


def test_edit_form_saves_attachments_and_the_record_escapes_them(
    app, demo_copy: Path, editor: dict
) -> None:
    at = app(demo_copy, "outlet", outlet=BARE)
    at.session_state["auth.user"] = editor
    at.run()
    at.text_area(key=f"edit.{BARE}.attachments").input(f"  {HOSTILE}  ")
    next(b for b in at.button if b.label == "保存修改").click().run()

    no_exception(at)
    assert at.success[0].value == "已保存 1 项修改（操作人：zhang）。"
    store = open_store(demo_copy)
    assert store.read("outlets").set_index("code").loc[BARE, "attachments"] == HOSTILE
    history = store.history("outlets", BARE)
    last = history.iloc[-1]
    assert (last["user"], last["source"], last["field"]) == ("zhang", "app", "attachments")
    assert (last["old"], last["new"]) == (None, HOSTILE)
    (body,) = _html(at)
    assert body == (
        '<ul class="geomon-attachments">'
        "<li>&lt;img src=x onerror=alert(1)&gt;</li>"
        "<li>javascript:alert(1)</li>"
        '<li><a href="https://hb.example.cn/a.pdf?x=" target="_blank" rel="noopener noreferrer">'
        "https://hb.example.cn/a.pdf?x=&quot;y&quot;</a></li>"
        "</ul>"
    )


def test_clearing_the_box_removes_the_attachments(app, demo_copy: Path, editor: dict) -> None:
    at = app(demo_copy, "outlet", outlet=IN_ZONE)
    at.session_state["auth.user"] = editor
    at.run()
    assert at.text_area(key=f"edit.{IN_ZONE}.attachments").value.endswith("/plan.pdf")
    at.text_area(key=f"edit.{IN_ZONE}.attachments").input("   ")
    next(b for b in at.button if b.label == "保存修改").click().run()

    no_exception(at)
    store = open_store(demo_copy)
    assert pd.isna(store.read("outlets").set_index("code").loc[IN_ZONE, "attachments"])
    last = store.history("outlets", IN_ZONE).iloc[-1]
    assert last["old"].endswith("/plan.pdf") and last["new"] is None
    assert "暂无附件。" in [c.value for c in at.caption]


@pytest.fixture
def older_store(demo_copy: Path) -> Path:
    """The demo store as written before outlets had an ``attachments`` field (no such column)."""
    with sqlite3.connect(demo_copy) as db:
        db.execute("ALTER TABLE outlets DROP COLUMN attachments")
    with sqlite3.connect(demo_copy) as db:
        columns = [row[1] for row in db.execute("PRAGMA table_info(outlets)")]
    assert "attachments" not in columns and "notes" in columns
    return demo_copy


def test_a_store_without_the_column_shows_and_edits(app, older_store: Path, editor: dict) -> None:
    assert open_store(older_store).read("outlets")["attachments"].isna().all()
    at = app(older_store, "outlet", outlet=IN_ZONE)
    at.session_state["auth.user"] = editor
    at.run()

    no_exception(at)
    assert _html(at) == []
    assert "暂无附件。" in [c.value for c in at.caption]
    at.text_area(key=f"edit.{IN_ZONE}.attachments").input("整治方案.pdf")
    next(b for b in at.button if b.label == "保存修改").click().run()

    no_exception(at)
    outlets = open_store(older_store).read("outlets").set_index("code")
    assert outlets.loc[IN_ZONE, "attachments"] == "整治方案.pdf"
    assert outlets["attachments"].notna().sum() == 1  # the column now exists, empty elsewhere
    assert _html(at) == ['<ul class="geomon-attachments"><li>整治方案.pdf</li></ul>']


def test_table_editor_saves_attachments_of_two_outlets_in_one_edit(
    app, demo_copy: Path, editor: dict, monkeypatch: pytest.MonkeyPatch
) -> None:
    real = st.data_editor
    new = {BARE: "监测报告 JC-2024-01", IN_ZONE: "整治方案.pdf"}

    def edited(frame: pd.DataFrame, **kwargs) -> pd.DataFrame:  # AppTest cannot type in it
        real(frame, **kwargs)
        assert kwargs["column_config"]["attachments"]["label"] == "附件"
        out = frame.copy()
        for code, text in new.items():
            out.loc[out["code"] == code, "attachments"] = f" {text} "
        return out

    monkeypatch.setattr(st, "data_editor", edited)
    demo_revision = open_store(demo_copy).revision()  # the demo's layers, then its problems
    at = app(demo_copy, "data")
    at.session_state["auth.user"] = editor
    at.run()
    at.button(key="edit.table.go").click().run()

    no_exception(at)
    assert at.success[0].value == "已保存 2 项修改（操作人：zhang）。"
    store = open_store(demo_copy)
    stored = store.read("outlets").set_index("code")["attachments"]
    assert stored[list(new)].tolist() == list(new.values())  # blanks around the text dropped
    history = store.history("outlets")
    edits = history[history["revision"] > 1]
    assert set(edits["revision"]) == {demo_revision + 1}  # one edit
    assert sorted(edits[["key", "field", "source"]].values.tolist()) == [
        [BARE, "attachments", "app"],
        [IN_ZONE, "attachments", "app"],
    ]
