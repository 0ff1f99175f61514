"""Headless Chromium opens the demo's H1-2023 period report from disk (issue 9): nothing is
fetched, nothing runs, the charts and the map have a size, the Chinese headings are drawn.
Needs Debian's chromium and python playwright; missing tools skip locally, fail on CI."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from reporthelp import open_offline

from geomon.reports import period, period_html
from geomon.store import open_store

pytestmark = pytest.mark.browser
DEMO = Path(__file__).parents[2] / "data" / "demo.gpkg"


def test_demo_h1_report_renders_offline(chromium, tmp_path: Path) -> None:
    shutil.copyfile(DEMO, tmp_path / "demo.gpkg")
    report = period.period_report(open_store(tmp_path / "demo.gpkg"), "2023-01-01", "2023-06-30")
    path = period_html.write(report, tmp_path / "period.html")
    with open_offline(chromium, path, height=3000) as seen:
        sizes = seen.svg_sizes()
        headings = seen.page.eval_on_selector_all("h2", "els => els.map(e => e.innerText)")
        tables = seen.page.eval_on_selector_all("table", "els => els.length")
        shot = seen.page.screenshot(full_page=True)
    assert seen.fetched_outside == []
    assert not seen.errors
    assert len(sizes) == 4  # monthly progress, districts, section classes, the map
    assert all(w > 400 and h > 150 for w, h in sizes), sizes
    assert headings == ["一、总体情况", "二、入河排污口排查整治", "三、地表水环境质量",
                        "四、断面水质与排污口分布", "五、数据版本与说明"]  # fmt: skip
    assert tables == 10
    assert len(shot) > 200_000  # a drawn page, not a blank one
