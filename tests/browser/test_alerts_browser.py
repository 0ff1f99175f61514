"""The 预警 page in headless Chromium: the open alerts on the demo for 2023-06-30, an editor's
acknowledgement through the form, and the alert leaving the open list (a copy of the demo)."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest

from geomon.config import DEMO_STORE
from geomon.store import open_store

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def alerts_app(
    app_url: str, app_server_session, tmp_path_factory: pytest.TempPathFactory
) -> tuple[str, Path]:
    """The app on a private copy of the demo store (the test writes an acknowledgement)."""
    del app_url  # asked for its checks that the browser and the vendored assets are there
    path = tmp_path_factory.mktemp("alerts") / "demo.gpkg"
    shutil.copyfile(DEMO_STORE, path)
    return app_server_session(path, GEOMON_LANG=None), path


def metric(page, label: str) -> str:
    card = page.locator('[data-testid="stMetric"]').filter(has_text=re.compile(f"^{label}"))
    return card.first.locator('[data-testid="stMetricValue"]').inner_text()


def test_alerts_page_acknowledges_an_alert(alerts_app: tuple[str, Path], watched) -> None:
    alerts_url, path = alerts_app
    page, watch = watched
    page.goto(f"{alerts_url}/alerts?as_of=2023-06-30", wait_until="domcontentloaded")
    page.get_by_role("heading", name="预警").first.wait_for(timeout=60_000)
    page.locator('[data-testid="stMetric"]').first.wait_for(timeout=60_000)
    assert metric(page, "待处理预警") == "16"
    assert metric(page, "高") == "7"
    page.locator('[data-testid="stDataFrame"]').first.wait_for(timeout=60_000)
    assert page.locator('[data-testid="stDataFrame"]').count() == 1  # the open alerts (no acks)

    page.get_by_label("确认说明（必填，如处置情况）").fill("已约谈责任单位，限期整改")
    page.get_by_role("textbox", name="确认人").fill(
        "张科员"
    )  # no logins: who acknowledges, by name
    page.get_by_role("button", name="确认", exact=True).click()
    page.get_by_text(
        "张科员 已确认预警：鸳鸯湖湖心（JHGK05） 总磷 持续超标，自 2023-06-01 起"
    ).wait_for(timeout=60_000)
    for _ in range(300):  # the rerun streams its elements top down: wait for the counts
        if metric(page, "待处理预警") == "15":
            break
        page.wait_for_timeout(100)
    assert metric(page, "待处理预警") == "15"
    assert metric(page, "高") == "6"

    assert watch.unexpected() == []
    assert watch.outside() == []
    (event,) = open_store(path).history("alert_acks").to_dict("records")
    assert (event["op"], event["source"], event["user"]) == ("insert", "app", "张科员")
    assert event["key"].startswith("persistent_exceedance/sections/JHGK05/")
