"""The Streamlit app: the only package that imports streamlit (ruff TID251 enforces it).

`PAGES` is the one page registry, used by ``streamlit_app.py`` and by the tests.
"""

from __future__ import annotations

from typing import NamedTuple


class PageRef(NamedTuple):
    """A page script (path relative to ``streamlit_app.py``), its title key, icon, URL and the
    menu group it is listed under (a ``nav.*`` string key)."""

    path: str
    title: str  # key into geomon.app.i18n, e.g. "page.map"
    icon: str
    url_path: str  # stable URL whatever the language of the title
    group: str = "nav.map"


def _page(name: str, icon: str, group: str, title: str | None = None) -> PageRef:
    return PageRef(f"geomon/app/pages/{name}.py", f"page.{title or name}", icon, name, group)


# In the menu's order; the first page is the home page ("/" forwards to it). Grouped by the
# work they serve, in the top bar: the sidebar is left to the filters (twelve page links there
# pushed the filters below the fold of a laptop screen).
PAGES: tuple[PageRef, ...] = (
    _page("map", ":material/map:", "nav.map"),
    _page("dashboard", ":material/monitoring:", "nav.map"),
    _page("section", ":material/water_drop:", "nav.monitor"),
    _page("alerts", ":material/notifications:", "nav.monitor"),
    _page("problems", ":material/assignment_late:", "nav.supervise"),
    _page("problem", ":material/assignment:", "nav.supervise"),
    _page("inspection", ":material/photo_camera:", "nav.supervise"),
    _page("outlet", ":material/description:", "nav.supervise"),
    _page("siting", ":material/fact_check:", "nav.analyse"),
    _page("reports", ":material/summarize:", "nav.analyse"),
    _page("data", ":material/database:", "nav.data"),
)

__all__ = ["PAGES", "PageRef"]
