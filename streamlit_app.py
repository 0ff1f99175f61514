"""Entry point: page config, the language switch and navigation; and the app's own routes.

Streamlit runs this file as the app's script on every rerun (``__name__ == "__main__"``).
Every page has a stable URL (``/map``, ``/dashboard``, …, `geomon.app.PAGES`); ``/`` forwards to
``/map``.
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
    if css := i18n.uploader_css(lang, max_mb=st.get_option("server.maxUploadSize")):
        st.html(css)  # a <style> only: takes no room on the page
    pages = [
        st.Page(p.path, title=i18n.t(p.title, lang), icon=p.icon, url_path=p.url_path)
        for p in PAGES
    ]

    def _home() -> None:
        """The root URL opens the first page at its own URL (``/`` → ``/map``, query kept)."""
        query = {k: st.query_params.get_all(k) for k in st.query_params}  # every value of a key
        st.switch_page(pages[0], query_params=query)

    # Streamlit serves a `default=True` page only at "/", so "/map" would be "Page not found";
    # every page keeps its own URL and the root is a hidden page that forwards to the map.
    home = st.Page(_home, title=pages[0].title, url_path="home", default=True, visibility="hidden")
    menu: dict[str, list[st.Page]] = {"": [home]}
    for ref, page in zip(PAGES, pages, strict=True):
        menu.setdefault(i18n.t(ref.group, lang), []).append(page)
    st.navigation(menu, position="top").run()
else:
    app = st.App(Path(__file__).name, routes=server.routes(), lifespan=server.lifespan)
