"""Entry point: page config, the language switch and navigation; and the app's own routes.

Streamlit runs this file as the app's script on every rerun (``__name__ == "__main__"``).
``streamlit run streamlit_app.py`` (what ``geomon serve`` starts) first imports it as a module to
find `app`, an ``st.App`` that serves these pages plus the map's data routes
(`geomon.app.server`: vector tiles, popups by id, a health probe) on the same server and origin.
"""

from pathlib import Path

import streamlit as st

from geomon.app import PAGES, i18n, server

if __name__ == "__main__":
    # a local icon: ":material/...:" page icons are fetched from fonts.gstatic.com
    ICON = Path(__file__).parent / "geomon" / "app" / "favicon.svg"
    st.set_page_config(page_title="geomon 水环境监管一张图", page_icon=str(ICON), layout="wide")
    lang = i18n.language_switch()
    pages = [
        st.Page(p.path, title=i18n.t(p.title, lang), icon=p.icon, url_path=p.url_path,
                default=i == 0)
        for i, p in enumerate(PAGES)
    ]  # fmt: skip
    st.navigation(pages).run()
else:
    app = st.App(Path(__file__).name, routes=server.routes(), lifespan=server.lifespan)
