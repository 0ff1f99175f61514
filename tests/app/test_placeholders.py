"""Select boxes speak the page's language: no Streamlit "Choose an option" / "Choose options"
on a Chinese page (every st.selectbox and st.multiselect passes ``placeholder=``)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from geomon.app import PAGES

STREAMLIT_DEFAULTS = {"Choose an option", "Choose options", "Select...", ""}


def _placeholders(at: AppTest) -> dict[str, str]:
    boxes = [*at.selectbox, *at.multiselect]
    return {str(w.key or w.label): w.proto.placeholder for w in boxes}


@pytest.mark.parametrize("page", PAGES, ids=[p.url_path for p in PAGES])
def test_no_page_shows_streamlit_english_placeholders(
    app: Callable[..., AppTest], demo_store: Path, page
) -> None:
    at = app(demo_store).switch_page(page.path).run()
    assert not at.exception, [e.message for e in at.exception]
    shown = _placeholders(at)
    assert not {k: v for k, v in shown.items() if v in STREAMLIT_DEFAULTS}


@pytest.mark.parametrize(
    ("lang", "all_", "one", "many"),
    [
        ("zh", "全部", "请选择", "请选择（可多选）"),
        ("en", "All", "Choose an option", "Choose options"),
    ],
)
def test_placeholders_named_by_the_reviewer(
    app: Callable[..., AppTest], demo_store: Path, lang: str, all_: str, one: str, many: str
) -> None:
    query = {"lang": lang} if lang == "en" else {}
    problems = _placeholders(app(demo_store, "problems", **query).run())
    assert problems["problems.status"] == all_  # a filter: nothing chosen keeps every problem
    assert problems["problems.source"] == all_
    assert problems["problems.pick"] == one  # 打开问题

    at = app(demo_store, "siting", **query).run()
    at.radio(key="siting.source").set_value("stored").run()
    assert _placeholders(at)["siting.stored"] == many  # 已入库项目

    inspection = _placeholders(app(demo_store, "inspection", **query).run())
    assert [v for k, v in inspection.items() if k.startswith("inspection.feature.")] == [one]
