"""UI strings in Chinese and English, and the sidebar language switch.

Layer titles, field labels and enum labels come from the layer specs (``Label.get(lang)``);
``strings.toml`` beside this file holds only the app's own words. The chosen language lives in
``st.session_state["lang"]`` and in the URL (``?lang=en``), so a shared link keeps it.
"""

from __future__ import annotations

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


def keyed(prefix: str, lang: str, value: str) -> str:
    """The text of ``<prefix>.<value>``: a picklable `format_func` with `functools.partial`."""
    return t(f"{prefix}.{value}", lang)


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
