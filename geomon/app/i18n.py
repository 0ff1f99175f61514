"""UI strings in Chinese and English, and the sidebar language switch.

Layer titles, field labels and enum labels come from the layer specs (``Label.get(lang)``);
``strings.toml`` beside this file holds only the app's own words. The chosen language lives in
``st.session_state["lang"]`` and in the URL (``?lang=en``), so a shared link keeps it.

Streamlit reads titles, captions, alerts, labels and ``st.markdown`` as Markdown, so a name like
``[点此重新登录](http://…)`` would become a link and ``![x](http://…)`` an outside image. Every
value that did not come from this code (a stored name, a URL parameter, a file name, an error
that quotes a cell) goes into such text through `md` (or `tf`, which applies it to each value),
and then reads as the text it is.
"""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

import streamlit as st

from geomon import config

LANGS = ("zh", "en")
LANG_NAMES = {"zh": "中文", "en": "English"}
KEY = "lang"

STRINGS: dict[str, dict[str, str]] = tomllib.loads(
    (Path(__file__).with_name("strings.toml")).read_text(encoding="utf-8")
)


def t(key: str, lang: str = "zh") -> str:
    """Return the text for `key` in `lang` (Chinese if `lang` is unknown).

    An unknown `key` raises `KeyError`: a missing string is a bug to catch in tests.
    """
    entry = STRINGS[key]
    return entry.get(lang) or entry["zh"]


_SYNTAX = re.compile(r"[\\`*_{}\[\]()<>#!|~$&]|:(?=[A-Za-z/])")
"""Characters that start Markdown (and Streamlit's ``:red[…]``, ``:material/…:``) anywhere."""
_LINE_START = re.compile(r"^(\s*)([-+=]|\d+[.)])", re.MULTILINE)
"""Lists, setext underlines, ordered lists: only at the start of a line."""
_AUTOLINK = re.compile(r"\\:|www(?=\.)|@", re.IGNORECASE)
JOINER = "\u2060"
"""U+2060 WORD JOINER: invisible, keeps a bare URL in user text from becoming a link."""


def md(value: object) -> str:
    r"""`value` as literal text inside Streamlit Markdown.

    Every character that can start Markdown syntax is backslash-escaped (CommonMark allows it
    for all ASCII punctuation), so no link, image, emphasis, heading, HTML, LaTeX, colour or
    icon can start; characters without meaning inside a line (``-``, ``.``, ``,``, ``/``…) are
    left alone except at the start of a line. GFM turns bare URLs, ``www.`` names and e-mail
    addresses into links, and Streamlit ``:material/…:`` into icons, after escapes are read, so
    an invisible `JOINER` breaks each trigger.
    Line breaks stay line breaks.

    >>> md("![x](a.png) **b** XM2023-001 12:30")
    '\\!\\[x\\]\\(a.png\\) \\*\\*b\\*\\* XM2023-001 12:30'
    >>> md("http://t.example") == "http\\:\u2060//t.example"
    True
    >>> md("- 1. item")
    '\\- 1. item'
    """
    text = str(value).replace("\r\n", "\n").replace("\r", "\n")
    text = _SYNTAX.sub(lambda m: "\\" + m.group(0), text)
    text = _LINE_START.sub(lambda m: m.group(1) + _escape_last(m.group(2)), text)
    text = _AUTOLINK.sub(lambda m: m.group(0) + JOINER, text)
    return text.replace("\n", "  \n")


def _escape_last(mark: str) -> str:
    return mark[:-1] + "\\" + mark[-1]


def tf(key: str, lang: str, /, **values: object) -> str:
    """`t` of `key` with ``{name}`` fields filled by `values`, each as literal text (`md`);
    numbers stay numbers, so format specs such as ``{km:g}`` apply."""
    safe = {k: v if _number(v) else md(v) for k, v in values.items()}  # "{km:g}" keeps working
    return t(key, lang).format(**safe)


def _number(value: object) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def keyed(prefix: str, lang: str, value: str) -> str:
    """The text of ``<prefix>.<value>``: a picklable `format_func` with `functools.partial`."""
    return t(f"{prefix}.{value}", lang)


def one_language(message: str, lang: str) -> str:
    """The `lang` half of a bilingual library message ``"中文 / English"`` (`geomon.messages`).

    Split only when the message holds exactly one ``" / "``: a quoted value with its own
    " / " makes the halves ambiguous, and then the whole message is shown.

    >>> one_language("缺少几何/坐标 / no geometry", "zh"), one_language("a / b / c", "en")
    ('缺少几何/坐标', 'a / b / c')
    """
    halves = message.split(" / ")
    if len(halves) != 2 or not all(h.strip() for h in halves):
        return message
    return halves[1] if lang == "en" else halves[0]


def uploader_css(lang: str, *, max_mb: int) -> str:
    """A ``<style>`` that puts `lang`'s words on every file uploader ("" for English).

    The button's "Upload", the "200MB per file • CSV, …" line and the "Drag and drop a file
    here" shown while a file is dragged over are drawn by Streamlit's
    frontend in English, with no argument to change them (``st.file_uploader`` takes a label
    and help only), so their text is hidden and the words are drawn by ``::after`` instead.
    The accepted types are in each uploader's label.
    """
    if lang == "en":
        return ""
    button = t("upload.button", lang).replace("\\", "").replace('"', "")
    limit = t("upload.limit", lang).format(mb=int(max_mb)).replace('"', "")
    drop = t("upload.drop", lang).replace('"', "")
    zone = '[data-testid="stFileUploaderDropzone"]'
    return (
        "<style>"
        f'{zone} button [data-testid="stMarkdownContainer"] p{{font-size:0}}'
        f'{zone} button [data-testid="stMarkdownContainer"] p::after'
        f'{{content:"{button}";font-size:0.875rem}}'
        f'{zone} [data-testid="stFileUploaderDropzoneInstructions"] span{{font-size:0}}'
        f'{zone} [data-testid="stFileUploaderDropzoneInstructions"] span::after'
        f'{{content:"{limit}";font-size:0.875rem}}'
        # while a file is dragged over it: "Drag and drop a file here" (an unnamed div > span)
        f"{zone} > div:not([data-testid]) > span{{font-size:0}}"
        f'{zone} > div:not([data-testid]) > span::after{{content:"{drop}";font-size:1rem}}'
        "</style>"
    )


def current() -> str:
    """The language chosen in this session (the env default until the switch has run)."""
    lang = st.session_state.get(KEY)
    return lang if lang in LANGS else config.from_env().lang


def language_switch() -> str:
    """Show the 中文/English switch in the sidebar; keep it in session state and ``?lang=``."""
    default = config.from_env().lang
    if KEY not in st.session_state:
        wanted = st.query_params.get(KEY)
        st.session_state[KEY] = wanted if wanted in LANGS else default
    lang = st.sidebar.radio(
        f"{t('lang.label', 'zh')} / {t('lang.label', 'en')}",
        LANGS,
        format_func=LANG_NAMES.__getitem__,
        horizontal=True,
        key=KEY,
    )
    if lang == default:
        st.query_params.pop(KEY, None)
    else:
        st.query_params[KEY] = lang
    return lang
