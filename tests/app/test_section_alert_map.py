"""The map marks sections with an open alert, and a section's popup links to its record.

On the demo for June 2023 (as of 2023-06-30, the period's end) the open section alerts are those
of JHGK05 (TP), JHSK08 (NH3-N, TP, DO) and JHSK07 (trend worsening): data/README.md and
tests/monitoring (16 alerts on 2023-06-30). Served by the real app (`streamlit run`); tiles
decoded with mapbox_vector_tile, tile numbers from mercantile.
"""

from __future__ import annotations

import json
import shutil
import time
import urllib.request

import mapbox_vector_tile
import mercantile
import pytest

from geomon.access import tokens
from geomon.app import mapdata
from geomon.app.present import styles
from geomon.config import DEMO_STORE
from geomon.mapview import legend_layers
from geomon.monitoring import alerts
from geomon.specs import Label
from geomon.store import open_store

SECRET = "test-secret-for-the-section-map"
Z = 9


def _claims(store: str) -> dict:
    return mapdata.claims(layers=["sections"], selection={}, period="2023-06", past=None,
                          lang="zh", areas=["*"], user=None, gcj=False,
                          store_url=store)  # fmt: skip


def _get(url: str) -> bytes:
    with urllib.request.urlopen(url, timeout=60) as r:
        return r.read()


def _flagged(base: str, store: str) -> set[str]:
    """Ids of the section features the tiles send with ``a`` = 1 (an open alert)."""
    claims = _claims(store)
    token, key = tokens.sign(claims, SECRET.encode()), mapdata.layer_key(claims, "sections")
    sections = open_store(store).read("sections")
    seen = {mercantile.tile(p.x, p.y, Z) for p in sections.geometry}
    out, ids = set(), set()
    for t in seen:
        body = _get(f"{base}/tiles/sections/{t.z}/{t.x}/{t.y}.mvt?k={key}&t={token}")
        decoded = mapbox_vector_tile.decode(body, default_options={"y_coord_down": True})
        for f in decoded.get("sections", {}).get("features", []):
            ids.add(f["properties"]["i"])
            if f["properties"].get("a") == 1:
                out.add(f["properties"]["i"])
    assert ids == set(sections["code"])  # every section was seen, one at a time
    return out


@pytest.fixture(scope="module")
def served(app_server, tmp_path_factory) -> tuple[str, str]:
    if not DEMO_STORE.is_file():
        pytest.skip("data/demo.gpkg is missing: run `geomon demo`")
    store = tmp_path_factory.mktemp("alertmap") / "demo.gpkg"
    shutil.copyfile(DEMO_STORE, store)
    return app_server(str(store), GEOMON_SECRET=SECRET), str(store)


def test_sections_with_open_alerts_are_flagged_until_acknowledged(served) -> None:
    base, store = served
    assert _flagged(base, store) == {"JHGK05", "JHSK07", "JHSK08"}

    found = alerts.store_alerts(open_store(store), as_of="2023-06-30")
    (trend,) = [a for a in found if a.feature_id == "JHSK07"]  # its only alert
    alerts.acknowledge(open_store(store), trend, "已核实", user="张三")
    time.sleep(1.1)  # tiles read the store's revision at most once a second (mapdata)

    assert _flagged(base, store) == {"JHGK05", "JHSK08"}  # the store's revision moved on


def test_section_popup_links_to_its_record(served) -> None:
    base, store = served
    claims = _claims(store)
    token, key = tokens.sign(claims, SECRET.encode()), mapdata.layer_key(claims, "sections")

    html = json.loads(_get(f"{base}/feature/sections/JHSK08?k={key}&t={token}"))["html"]

    assert '/section?code=JHSK08"' in html
    assert "打开断面档案" in html


def test_legend_names_the_alert_halo(served) -> None:
    _, store = served
    sections = open_store(store).read("sections")
    frame = sections.assign(
        alert=sections["code"].isin(["JHGK05", "JHSK08"]), fails_target=False, **{"class": None}
    )
    (layer,) = legend_layers({"sections": frame}, "zh", styles.map_styles(Label("", "")))
    halo = [r for r in layer["rows"] if r["label"] == "橙色虚线圈：有待处理预警"]
    assert halo == [{"kind": "ring", "color": "#ff6f00", "label": "橙色虚线圈：有待处理预警",
                     "count": 2}]  # fmt: skip
