"""The inspection page on a phone-sized screen (390 px) in Chromium: geolocation, a photo, save.

The browser is given a position (granted geolocation at 114.2612, 30.6011) and a photo made here
with EXIF at another place: the device's position must win, the photo must land in the store.
"""

from __future__ import annotations

import io
import shutil
from pathlib import Path

import pytest

from geomon.store import open_store

pytestmark = pytest.mark.browser
PHONE = {"width": 390, "height": 844}


def _photo(path: Path) -> Path:
    from PIL import Image

    exif = Image.Exif()
    exif.get_ifd(0x8769)[0x9003] = "2023:07:20 09:14:30"
    gps = exif.get_ifd(0x8825)
    gps[1], gps[2], gps[3], gps[4] = "N", (30.0, 36.0, 36.0), "E", (114.0, 18.0, 0.0)
    out = io.BytesIO()
    Image.new("RGB", (1200, 900), (60, 120, 160)).save(out, format="JPEG", exif=exif)
    path.write_bytes(out.getvalue())
    return path


@pytest.fixture
def store_copy(tiny_store: Path, tmp_path: Path) -> Path:
    path = tmp_path / "tiny.gpkg"
    shutil.copyfile(tiny_store, path)
    return path


def test_inspection_at_phone_width_with_location_and_photo(
    chromium, app_server, store_copy: Path, tmp_path: Path
) -> None:
    base = app_server(store_copy, GEOMON_USERS=str(tmp_path / "no-users.toml"), GEOMON_LANG=None)
    context = chromium.new_context(
        viewport=PHONE, device_scale_factor=2, is_mobile=True, has_touch=True,
        geolocation={"latitude": 30.6011, "longitude": 114.2612}, permissions=["geolocation"],
    )  # fmt: skip
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    try:
        page.goto(f"{base}/inspection", wait_until="domcontentloaded", timeout=60_000)
        page.locator("h1").first.wait_for(timeout=60_000)
        page.get_by_text("现场巡查").first.wait_for(timeout=30_000)
        box = page.locator('[data-testid="stSelectbox"]').first
        box.click()
        page.keyboard.type("O2")
        page.keyboard.press("Enter")
        page.get_by_label("巡查发现").fill("晴天排口有污水")
        frame = page.frame_locator('iframe[title*="geomon_geolocate"]')
        frame.locator("button").click()
        page.get_by_text("已定位：114.261200, 30.601100").wait_for(timeout=30_000)
        page.locator('input[type="file"]').first.set_input_files(str(_photo(tmp_path / "现场.jpg")))
        page.get_by_text("现场.jpg：拍摄时间 2023-07-20T09:14:30").wait_for(timeout=30_000)
        page.get_by_label("办理人").fill("王明")
        page.screenshot(path=str(tmp_path / "inspection-390.png"))  # looked at while writing it
        save = page.get_by_role("button", name="保存巡查记录")
        assert save.bounding_box()["height"] >= 44  # a large control, thumb-sized
        save.click()
        page.get_by_text("已保存巡查记录 XC").wait_for(timeout=30_000)
        width = page.evaluate("document.documentElement.scrollWidth")
        assert width <= PHONE["width"]  # nothing wider than the phone
        from playwright.sync_api import expect

        expect(page.get_by_label("巡查发现")).to_have_count(1, timeout=30_000)
        assert page.get_by_label("巡查发现").input_value() == ""  # a fresh form for the next one
        page.screenshot(path=str(tmp_path / "inspection-390-saved.png"))
    finally:
        context.close()
    assert errors == []
    store = open_store(store_copy)
    visit = store.read("inspections").iloc[0]
    assert (visit["feature_id"], visit["inspector"], visit["findings"]) == (
        "O2",
        "王明",
        "晴天排口有污水",
    )
    assert visit["position_source"] == "定位"
    assert (round(visit.geometry.x, 4), round(visit.geometry.y, 4)) == (114.2612, 30.6011)
    files = store.files("inspections", visit["id"])
    assert list(files["name"]) == ["现场.jpg"] and list(files["media_type"]) == ["image/jpeg"]
    assert files["lat"].iloc[0] == pytest.approx(30.61)
