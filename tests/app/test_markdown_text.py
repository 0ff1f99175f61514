"""`geomon.app.i18n.md` / `tf`: user text put into Streamlit Markdown reads as text (GH issue 18,
item 5). The browser test (tests/browser/test_markdown_injection_browser.py) shows the result in
Chromium; these pin the escapes worked out by hand."""

from __future__ import annotations

import pytest

from geomon.app import i18n

J = i18n.JOINER


@pytest.mark.parametrize(
    ("text", "escaped"),
    [
        ("[登录](http://phish.example)", f"\\[登录\\]\\(http\\:{J}//phish.example\\)"),
        ("![x](a.png)", "\\!\\[x\\]\\(a.png\\)"),
        ("**粗** _斜_ ~删~ `代码`", "\\*\\*粗\\*\\* \\_斜\\_ \\~删\\~ \\`代码\\`"),
        ("<b>x</b> &amp; $x$ a|b #1", "\\<b\\>x\\</b\\> \\&amp; \\$x\\$ a\\|b \\#1"),
        (":red[红] :material/home:", f"\\:{J}red\\[红\\] \\:{J}material/home:"),
        ("www.evil.cn a@b.cn", f"www{J}.evil.cn a@{J}b.cn"),
        ("XM2023-001 12:30 1.5 km, 50%", "XM2023-001 12:30 1.5 km, 50%"),  # nothing to escape
        ("- a\n2. b\n=", "\\- a  \n2\\. b  \n\\="),  # list, ordered list, setext: line starts
    ],
)  # fmt: skip
def test_md_escapes_what_starts_markdown(text: str, escaped: str) -> None:
    assert i18n.md(text) == escaped


def test_tf_escapes_text_and_keeps_numbers() -> None:
    assert i18n.tf("outlet.unknown", "en", code="[a](b)") == i18n.t("outlet.unknown", "en").format(
        code="\\[a\\]\\(b\\)"
    )
    assert "10 km" in i18n.tf("outlet.no_downstream", "en", km=10.0)  # "{km:g}" still formats
