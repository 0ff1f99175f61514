"""UI strings in Chinese and English, and the sidebar language switch.

Layer titles, field labels and enum labels come from the layer specs (``Label.get(lang)``);
this table holds only the app's own words. The chosen language lives in
``st.session_state["lang"]`` and in the URL (``?lang=en``), so a shared link keeps it.
"""

from __future__ import annotations

import streamlit as st

from geomon import config

LANGS = ("zh", "en")
LANG_NAMES = {"zh": "中文", "en": "English"}
KEY = "lang"

STRINGS: dict[str, dict[str, str]] = {
    "lang.label": {"zh": "语言", "en": "Language"},
    "page.map": {"zh": "一张图", "en": "Map"},
    "map.title": {"zh": "水环境监管一张图", "en": "Water-environment supervision map"},
    "map.layers": {"zh": "显示图层", "en": "Layers shown"},
    "map.counts": {"zh": "要素数量", "en": "Features per layer"},
    "map.none_selected": {
        "zh": "请在左侧选择至少一个图层。",
        "en": "Choose at least one layer in the sidebar.",
    },
    "map.no_data": {
        "zh": (
            "数据库 `{url}` 中还没有图层。请在项目根目录运行 `geomon demo` 生成演示数据，"
            "或设置环境变量 `GEOMON_STORE` 指向已有的 GeoPackage / PostGIS 数据库。"
        ),
        "en": (
            "The store `{url}` holds no layers yet. Run `geomon demo` in the project folder "
            "to create the demo data, or point `GEOMON_STORE` at an existing GeoPackage or "
            "PostGIS database."
        ),
    },
    "map.store_error": {"zh": "无法读取数据库：{error}", "en": "Cannot read the store: {error}"},
    "map.basemap_error": {
        "zh": "底图设置有误（{error}），已改用无底图模式。",
        "en": "Basemap setting is invalid ({error}); showing the map without a basemap.",
    },
    "map.assets_missing": {
        "zh": ("地图脚本未安装（缺少 `static/vendor`）。请在项目根目录运行 `npm ci` 后刷新页面。"),
        "en": (
            "The map scripts are not installed (`static/vendor` is missing). Run `npm ci` in "
            "the project folder, then reload."
        ),
    },
}


def t(key: str, lang: str = "zh") -> str:
    """Return the text for `key` in `lang` (Chinese if `lang` is unknown).

    An unknown `key` raises `KeyError`: a missing string is a bug to catch in tests.
    """
    entry = STRINGS[key]
    return entry.get(lang) or entry["zh"]


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
