"""Headless Chromium opens the HTML siting report from disk: no request leaves the file, the
maps have a size, and Chinese text is drawn. Needs Debian's chromium and python playwright;
missing tools skip locally and fail on CI (CI=true)."""

from __future__ import annotations

from pathlib import Path

import pytest
from reporthelp import open_offline

from geomon import siting
from geomon.reports import siting_html

pytestmark = pytest.mark.browser


def test_report_renders_offline(chromium, result: siting.SitingResult, tmp_path: Path) -> None:
    path = siting_html.write(result, tmp_path / "report.html")
    with open_offline(chromium, path, height=1800) as seen:
        sizes = seen.svg_sizes()
        heading = seen.page.inner_text("h1")
        shot = seen.page.screenshot(full_page=True)
    assert seen.fetched_outside == []
    assert not seen.errors
    assert len(sizes) == 1 + len(result.projects)
    assert all(w > 300 and h > 150 for w, h in sizes), sizes
    assert heading == "建设项目选址“三线一单”分析比对报告"
    assert len(shot) > 50_000  # a drawn page, not a blank one
