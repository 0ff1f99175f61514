"""Every registered page runs headless (AppTest) against a tiny store, and fails soft without one.

AppTest cannot look inside the map (a component drawn in the browser), but it sees the args the
page sends it: tests/app/test_tile_map.py checks those, `tests/mapview/` the tiles themselves and
`tests/browser/` that a browser draws them.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from geomon.app import PAGES, i18n
from geomon.store import open_store

ENTRY = str(Path(__file__).parents[2] / "streamlit_app.py")


def _app(monkeypatch: pytest.MonkeyPatch, store: Path) -> AppTest:
    monkeypatch.setenv("GEOMON_STORE", str(store))
    monkeypatch.delenv("GEOMON_LANG", raising=False)
    monkeypatch.delenv("GEOMON_BASEMAP", raising=False)
    monkeypatch.delenv("GEOMON_TIANDITU_KEY", raising=False)
    return AppTest.from_file(ENTRY, default_timeout=60)


def _map_components(at: AppTest) -> list:
    return [
        e for e in at.get("component_instance") if e.proto.component_name.endswith("geomon_tilemap")
    ]


@pytest.mark.parametrize("page", PAGES, ids=[p.url_path for p in PAGES])
def test_page_renders(monkeypatch: pytest.MonkeyPatch, tiny_store: Path, page) -> None:
    at = _app(monkeypatch, tiny_store)
    at.switch_page(page.path).run()

    assert not at.exception, [e.message for e in at.exception]
    assert at.title, "every page has a title"


def test_map_page_shows_map_and_counts(monkeypatch: pytest.MonkeyPatch, tiny_store: Path) -> None:
    at = _app(monkeypatch, tiny_store).run()  # the map is the default page

    assert not at.exception, [e.message for e in at.exception]
    assert at.title[0].value == i18n.t("map.title", "zh")
    assert len(_map_components(at)) == 1
    counts = {m.label: m.value for m in at.metric}
    assert counts == {"行政区划": "1", "河流水系": "1", "水质监测断面": "1", "入河排污口": "2"}
    assert at.sidebar.multiselect(key="map_layers").value == [
        "districts",
        "rivers",
        "sections",
        "outlets",
    ]


def test_map_sends_what_the_printed_map_shows(
    monkeypatch: pytest.MonkeyPatch, tiny_store: Path
) -> None:
    at = _app(monkeypatch, tiny_store).run()
    at.sidebar.multiselect(key="f.stage").set_value(["已排查"]).run()

    assert not at.exception, [e.message for e in at.exception]
    (args,) = [json.loads(e.proto.json_args) for e in _map_components(at)]
    assert args["print"]["title"] == i18n.t("map.title", "zh")
    assert args["print"]["notes"] == [at.caption[0].value]  # period, overdue date, filters
    assert "整治进度: 已排查" in args["print"]["notes"][0]
    assert args["print"]["papers"] == {"A4": [1754, 1240], "A3": [2480, 1754]}
    outlets = args["legend_layers"][0]  # top layer first
    assert [(r["label"], r["color"], r["count"]) for r in outlets["rows"] if r["kind"] == "pt"] == [
        ("已排查", "#d73027", 1)
    ]


def test_layer_picker_limits_layers(monkeypatch: pytest.MonkeyPatch, tiny_store: Path) -> None:
    at = _app(monkeypatch, tiny_store).run()
    at.sidebar.multiselect(key="map_layers").set_value(["outlets"]).run()

    assert not at.exception
    assert [m.label for m in at.metric] == ["入河排污口"]

    at.sidebar.multiselect(key="map_layers").set_value([]).run()
    assert not _map_components(at)
    assert at.info[0].value == i18n.t("map.none_selected", "zh")


def test_english_from_query_param(monkeypatch: pytest.MonkeyPatch, tiny_store: Path) -> None:
    at = _app(monkeypatch, tiny_store)
    at.query_params["lang"] = "en"
    at.run()

    assert not at.exception
    assert at.title[0].value == i18n.t("map.title", "en")
    assert "River discharge outlets" in [m.label for m in at.metric]
    at.sidebar.radio(key="lang").set_value("zh").run()
    assert at.title[0].value == i18n.t("map.title", "zh")


@pytest.mark.parametrize("name", ["missing.gpkg", "no/such/dir/demo.gpkg"], ids=["file", "dir"])
def test_missing_store_warns(monkeypatch: pytest.MonkeyPatch, tmp_path: Path, name: str) -> None:
    store = tmp_path / name
    at = _app(monkeypatch, store).run()

    assert not at.exception, [e.message for e in at.exception]
    assert not _map_components(at)
    assert len(at.warning) == 1
    assert "geomon demo" in at.warning[0].value
    assert str(store) in at.warning[0].value


def test_unreadable_store_shows_error(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    broken = tmp_path / "broken.gpkg"
    broken.write_text("not a geopackage", encoding="utf-8")
    at = _app(monkeypatch, broken).run()

    assert not at.exception, [e.message for e in at.exception]
    assert len(at.error) == 1
    assert not _map_components(at)


def test_bad_basemap_falls_back(monkeypatch: pytest.MonkeyPatch, tiny_store: Path) -> None:
    at = _app(monkeypatch, tiny_store)
    monkeypatch.setenv("GEOMON_BASEMAP", "tianditu")  # no key set
    at.run()

    assert not at.exception
    assert "tianditu" in at.warning[0].value
    assert len(_map_components(at)) == 1


def test_tianditu_basemap_with_a_key(monkeypatch: pytest.MonkeyPatch, tiny_store: Path) -> None:
    at = _app(monkeypatch, tiny_store)
    monkeypatch.setenv("GEOMON_BASEMAP", "tianditu")
    monkeypatch.setenv("GEOMON_TIANDITU_KEY", "k123")  # read through config.Settings
    at.run()

    assert not at.exception
    assert not at.warning
    assert len(_map_components(at)) == 1


def test_every_string_has_both_languages() -> None:
    missing = [k for k, v in i18n.STRINGS.items() if set(v) != set(i18n.LANGS)]
    assert missing == []
    assert all(i18n.t(p.title, lang) for p in PAGES for lang in i18n.LANGS)


def test_store_write_shows_on_next_run(
    monkeypatch: pytest.MonkeyPatch, tiny_store: Path, tmp_path: Path
) -> None:
    store_path = tmp_path / "copy.gpkg"
    shutil.copyfile(tiny_store, store_path)
    at = _app(monkeypatch, store_path).run()
    assert {m.label: m.value for m in at.metric}["入河排污口"] == "2"

    store = open_store(store_path)
    outlets = store.read("outlets")
    store.write({"outlets": outlets.iloc[:1]}, mode="replace")  # revision bump
    at.run()

    assert {m.label: m.value for m in at.metric}["入河排污口"] == "1"


def test_map_search_offers_the_outlet_record(monkeypatch: pytest.MonkeyPatch, tiny_store) -> None:
    at = _app(monkeypatch, tiny_store).run()
    at.text_input(key="map_search").input("一号").run()

    assert not at.exception, [e.message for e in at.exception]
    assert at.selectbox(key="map_search.hit").value == 0
    (link,) = at.page_link
    assert link.label == "打开排污口档案：O1"
    assert len(_map_components(at)) == 1

    at.text_input(key="map_search").input("没有这个").run()
    assert at.info[0].value.startswith("没有找到“没有这个”")


@pytest.mark.parametrize("page", PAGES, ids=[p.url_path for p in PAGES])
def test_page_switches_to_english(monkeypatch: pytest.MonkeyPatch, tiny_store: Path, page) -> None:
    at = _app(monkeypatch, tiny_store)
    at.switch_page(page.path).run()
    chinese = at.title[0].value

    at.sidebar.radio(key="lang").set_value("en").run()

    assert not at.exception, [e.message for e in at.exception]
    assert at.title[0].value != chinese
    assert at.title[0].value[0].isascii()


@pytest.mark.parametrize("page", PAGES[1:], ids=[p.url_path for p in PAGES[1:]])
def test_pages_without_a_store_fail_soft(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, page
) -> None:
    missing = tmp_path / "nothing.gpkg"
    at = _app(monkeypatch, missing)
    at.switch_page(page.path).run()

    assert not at.exception, [e.message for e in at.exception]
    assert at.info or at.warning  # says what is missing
