"""The app unchanged on PostGIS (GEOMON_STORE=postgresql://…): pages, numbers and one edit.

The demo's layers are written into a throwaway PostGIS database through the store API, as
`geomon demo` writes them into a GeoPackage (one write, dated the ledgers' date), so the pages
must show the numbers the GeoPackage-based tests and data/README.md give.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest
from apphelp import metrics, no_exception, open_tab

from geomon import demo
from geomon.access import auth
from geomon.store import Store, open_store

pytestmark = pytest.mark.postgis

OUTLET = "CJ9001429902GM0001"  # demo river outlet in 明珠区, stage 整治中
EDITOR = {"name": "zhang", "role": "editor", "areas": ["*"]}


@pytest.fixture(scope="module")
def demo_frames() -> dict[str, pd.DataFrame]:
    """The demo's layers, built once for the module."""
    return demo.build_demo()


@pytest.fixture
def pg_demo(postgis_url: str, demo_frames: dict[str, pd.DataFrame]) -> Store:
    """A fresh PostGIS database holding the demo, written like `geomon.demo.write_demo`."""
    store = open_store(postgis_url)
    store.write(
        demo_frames, source=demo.SOURCE, version=demo.VERSION, user="geomon demo", at=demo.AS_OF
    )
    yield store
    store.dispose()


@pytest.fixture
def editor(app, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> dict:
    """A users file with the editor zhang; the session entry that logs them in."""
    path = tmp_path / "users.toml"
    auth.add_user(path, "zhang", "correct horse", role="editor", areas="*")
    monkeypatch.setenv("GEOMON_USERS", str(path))
    return EDITOR


def _changes_since_import(store: Store) -> pd.DataFrame:
    """Every history record of every layer after the demo's import (revision 1)."""
    frames = [store.history(name) for name in store.layer_names()]
    history = pd.concat(frames, ignore_index=True)
    return history[history["revision"] > 1].reset_index(drop=True)


def test_map_and_dashboard_show_the_demo_numbers(app, pg_demo: Store) -> None:
    at = app(pg_demo.url).run()  # the map is the default page

    no_exception(at)
    shown = metrics(at)
    assert (shown["入河排污口"], shown["水质监测断面"]) == ("129", "18")
    assert at.get("component_instance"), "the map is drawn"

    dash = app(pg_demo.url, "dashboard", period="2023").run()

    no_exception(dash)
    got = metrics(dash)
    # data/README.md: 129 outlets; 110 river + 2 lake outlets rectified; at the end of 2023 the
    # overdue river outlet, the planted one (due 2023-06-30) and two lake outlets are overdue
    assert (got["排污口总数"], got["已完成整治"], got["逾期未完成"]) == ("129", "112", "4")
    assert metrics(open_tab(dash, "dash_tab", "断面水质"))["已评价断面"] == "18 / 18"


def test_edit_through_the_form_is_recorded_once(app, pg_demo: Store, editor: dict) -> None:
    at = app(pg_demo.url, "outlet", outlet=OUTLET)
    at.session_state["auth.user"] = editor
    at.run()
    no_exception(at)
    assert at.selectbox(key=f"edit.{OUTLET}.stage").value == "整治中"

    at.selectbox(key=f"edit.{OUTLET}.stage").set_value("整治完成")
    next(b for b in at.button if b.label == "保存修改").click().run()

    no_exception(at)
    assert at.success[0].value == "已保存 1 项修改（操作人：zhang）。"
    assert pg_demo.read("outlets").set_index("code").loc[OUTLET, "stage"] == "整治完成"
    changes = _changes_since_import(pg_demo)
    columns = ["layer", "key", "op", "field", "old", "new", "user", "source"]
    assert changes[columns].values.tolist() == [
        ["outlets", OUTLET, "update", "stage", "整治中", "整治完成", "zhang", "app"]
    ]
    assert at.selectbox(key=f"edit.{OUTLET}.stage").value == "整治完成"  # the form reloaded
