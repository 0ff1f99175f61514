"""The section record (一断面一档) in headless Chromium on a copy of the demo: JHSK08 renders,
its NH3-N chart is drawn (Vega, bundled by Streamlit), the URL keeps the section and parameter,
and no request leaves the server."""

from __future__ import annotations

import shutil

import pytest

from geomon.config import DEMO_STORE

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def demo_app(app_url: str, app_server_session, tmp_path_factory: pytest.TempPathFactory) -> str:
    """The app on a copy of the demo store (it has station readings; the tiny store has none)."""
    del app_url  # asked for its checks that the browser and the vendored assets are there
    path = tmp_path_factory.mktemp("section") / "demo.gpkg"
    shutil.copyfile(DEMO_STORE, path)
    return app_server_session(path, GEOMON_LANG=None)


def test_section_record_draws_its_chart_offline(demo_app: str, watched) -> None:
    page, watch = watched
    page.goto(f"{demo_app}/section?code=JHSK08", wait_until="domcontentloaded")
    page.get_by_role("heading", name="兴农运河入河口").wait_for(timeout=60_000)
    chart = page.locator(
        '[data-testid="stVegaLiteChart"] canvas, [data-testid="stVegaLiteChart"] svg'
    )
    chart.first.wait_for(timeout=60_000)
    page.get_by_text("红色虚线：水质目标Ⅲ类限值 1 mg/L", exact=False).wait_for(timeout=30_000)
    page.wait_for_function("() => location.search.includes('parameter=NH3N')", timeout=30_000)

    assert "code=JHSK08" in page.url
    box = chart.first.bounding_box()
    assert box is not None and box["width"] > 600 and box["height"] > 200
    assert page.locator('[data-testid="stException"]').count() == 0
    assert watch.outside() == []
    assert watch.unexpected() == []


def test_printable_sheet_draws_its_svg_charts_offline(demo_app: str, watched) -> None:
    """The sheet's preview (an iframe of the same HTML as the download): one inline-SVG chart
    per charted parameter (JHSK08: pH, DO, CODMn, NH3-N, TP from the station, COD from the lab),
    each with its red limit line, drawn with no request leaving the server."""
    page, watch = watched
    page.goto(f"{demo_app}/section?code=JHSK08", wait_until="domcontentloaded")
    page.get_by_role("heading", name="兴农运河入河口").wait_for(timeout=60_000)
    page.locator('[data-testid="stExpander"] summary').click()
    sheet = page.frame_locator('[data-testid="stExpander"] iframe').first
    charts = sheet.locator("svg.series")
    charts.first.wait_for(timeout=30_000)

    assert charts.count() == 6
    box = charts.first.bounding_box()
    assert box is not None and box["width"] > 200 and box["height"] > 80
    assert sheet.locator("svg.series line.limit").count() == 7  # pH's range has two
    assert page.locator('[data-testid="stException"]').count() == 0
    assert watch.outside() == []
    assert watch.unexpected() == []
