"""Entry point: page config, the language switch and navigation only."""

from pathlib import Path

import streamlit as st

from geomon.app import PAGES, i18n

# a local icon: ":material/...:" page icons are fetched from fonts.gstatic.com
ICON = Path(__file__).parent / "geomon" / "app" / "favicon.svg"
st.set_page_config(page_title="geomon 水环境监管一张图", page_icon=str(ICON), layout="wide")
lang = i18n.language_switch()
pages = [
    st.Page(p.path, title=i18n.t(p.title, lang), icon=p.icon, url_path=p.url_path, default=i == 0)
    for i, p in enumerate(PAGES)
]
st.navigation(pages).run()
