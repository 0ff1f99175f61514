"""The Streamlit app: the only package that imports streamlit (ruff TID251 enforces it).

`PAGES` is the one page registry, used by ``streamlit_app.py`` and by the tests.
"""

from __future__ import annotations

from typing import NamedTuple


class PageRef(NamedTuple):
    """A page script (path relative to ``streamlit_app.py``), its title key and icon."""

    path: str
    title: str  # key into geomon.app.i18n, e.g. "page.map"
    icon: str
    url_path: str  # stable URL whatever the language of the title


PAGES: tuple[PageRef, ...] = (
    PageRef("geomon/app/pages/map.py", "page.map", ":material/map:", "map"),
    PageRef(
        "geomon/app/pages/dashboard.py", "page.dashboard", ":material/monitoring:", "dashboard"
    ),
    PageRef("geomon/app/pages/siting.py", "page.siting", ":material/fact_check:", "siting"),
    PageRef("geomon/app/pages/data.py", "page.data", ":material/database:", "data"),
    PageRef("geomon/app/pages/outlet.py", "page.outlet", ":material/description:", "outlet"),
    PageRef("geomon/app/pages/section.py", "page.section", ":material/water_drop:", "section"),
    PageRef("geomon/app/pages/reports.py", "page.reports", ":material/summarize:", "reports"),
    PageRef("geomon/app/pages/alerts.py", "page.alerts", ":material/notifications:", "alerts"),
    # supervision loop (issue #20)
    PageRef(
        "geomon/app/pages/problems.py", "page.problems", ":material/assignment_late:", "problems"
    ),
    PageRef("geomon/app/pages/problem.py", "page.problem", ":material/assignment:", "problem"),
    PageRef(
        "geomon/app/pages/inspection.py", "page.inspection", ":material/photo_camera:", "inspection"
    ),
)

__all__ = ["PAGES", "PageRef"]
