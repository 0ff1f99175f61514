"""The map's data routes on the real app server (`streamlit run streamlit_app.py`), both backends.

Tokens are signed here with the server's secret (``GEOMON_SECRET``) from claims built as the
map page builds them; expected tiles come from mercantile (an independent tile implementation).
The tiny store: outlets O1 (114.25, 30.60, 整治完成) and O2 (114.35, 30.65, 已排查, named
``<script>alert(1)</script>``), both in 江岸区 420102.
"""

from __future__ import annotations

import json
import shutil
import time
import urllib.error
import urllib.request
from pathlib import Path

import mapbox_vector_tile
import mercantile
import pytest

from geomon.access import auth, tokens
from geomon.app import mapdata
from geomon.store import open_store

SECRET = "test-secret-for-the-map"
Z = 12
O1, O2 = (114.25, 30.60), (114.35, 30.65)


def _claims(store: str, **kw) -> dict:
    base = {"layers": ["districts", "rivers", "sections", "outlets"], "selection": {},
            "period": None, "past": None, "lang": "zh", "areas": ["*"], "user": None,
            "gcj": False, "store_url": store}  # fmt: skip
    return mapdata.claims(**{**base, **kw})


def _get(url: str) -> tuple[int, bytes, str]:
    try:
        with urllib.request.urlopen(url, timeout=30) as r:
            return r.status, r.read(), r.headers.get("Content-Type", "")
    except urllib.error.HTTPError as err:
        return err.code, err.read(), err.headers.get("Content-Type", "")


def _tile_url(base: str, claims: dict, layer: str, tile, token: str | None = None) -> str:
    token = token or tokens.sign(claims, SECRET.encode())
    key = mapdata.layer_key(claims, layer)
    return f"{base}/tiles/{layer}/{tile.z}/{tile.x}/{tile.y}.mvt?k={key}&t={token}"


def _local(lon: float, lat: float, tile) -> tuple[int, int]:
    """Where (lon, lat) falls in `tile`, in tile units (0–4096, y down), by mercantile."""
    x, y = mercantile.xy(lon, lat)
    b = mercantile.xy_bounds(tile)
    return (round((x - b.left) / (b.right - b.left) * 4096),
            round((b.top - y) / (b.top - b.bottom) * 4096))  # fmt: skip


@pytest.fixture(scope="module", params=["gpkg", pytest.param("postgis", marks=pytest.mark.postgis)])
def served(request, app_server, tiny_store: Path, tmp_path_factory) -> tuple[str, str]:
    """(base URL, store URL) of the app serving the tiny store on each backend."""
    if request.param == "gpkg":
        store = tmp_path_factory.mktemp("routes") / "tiny.gpkg"
        shutil.copyfile(tiny_store, store)
        url = str(store)
    else:
        url = request.getfixturevalue("postgis_url_module")
        target = open_store(url)
        source = open_store(tiny_store)
        target.write({n: source.read(n) for n in source.layer_names()})
        target.dispose()
    users = tmp_path_factory.mktemp("users") / "users.toml"
    auth.add_user(users, "county", "correct horse", role="viewer", areas="420103")
    auth.add_user(users, "city", "correct horse", role="viewer", areas="4201")
    return app_server(url, GEOMON_SECRET=SECRET, GEOMON_USERS=str(users)), url


def test_tile_holds_the_outlets_where_mercantile_puts_them(served) -> None:
    base, store = served
    claims = _claims(store)
    tile = mercantile.tile(*O1, Z)
    assert mercantile.tile(*O2, Z) != tile  # the two outlets are ~11 km apart: two tiles at z12

    status, body, kind = _get(_tile_url(base, claims, "outlets", tile))

    assert status == 200
    assert kind == "application/vnd.mapbox-vector-tile"
    (feature,) = mapbox_vector_tile.decode(body, default_options={"y_coord_down": True})["outlets"][
        "features"
    ]
    assert feature["properties"]["i"] == "O1"
    # 整治完成 is the outlet spec's 6th stage colour (#1a9850; palette index 6), not overdue: 12
    assert feature["properties"]["s"] == 12
    x, y = feature["geometry"]["coordinates"]
    ex, ey = _local(*O1, tile)
    assert abs(x - ex) <= 1 and abs(y - ey) <= 1


def test_filter_key_selects_rows(served) -> None:
    base, store = served
    claims = _claims(store, selection={"stage": ["已排查"]})
    o1, o2 = mercantile.tile(*O1, Z), mercantile.tile(*O2, Z)

    _, empty, _ = _get(_tile_url(base, claims, "outlets", o1))
    _, one, _ = _get(_tile_url(base, claims, "outlets", o2))

    assert mapbox_vector_tile.decode(empty).get("outlets", {}).get("features", []) == []
    ids = [f["properties"]["i"] for f in mapbox_vector_tile.decode(one)["outlets"]["features"]]
    assert ids == ["O2"]
    # the stage filter leaves the districts' key alone: their tiles stay cached in the browser
    assert mapdata.layer_key(claims, "districts") == mapdata.layer_key(_claims(store), "districts")
    assert mapdata.layer_key(claims, "outlets") != mapdata.layer_key(_claims(store), "outlets")


def test_one_request_serves_several_layers_or_none(served) -> None:
    """The map asks once per tile position for all its layers: the answer is one MVT holding
    each layer's own tile; a key that does not match any one layer refuses the whole request."""
    base, store = served
    claims = _claims(store, selection={"stage": ["整治完成"]})
    tile = mercantile.tile(*O1, Z)
    token = tokens.sign(claims, SECRET.encode())
    keys = [mapdata.layer_key(claims, n) for n in ("outlets", "districts")]
    url = f"{base}/tiles/outlets,districts/{tile.z}/{tile.x}/{tile.y}.mvt?t={token}&k="

    status, body, _ = _get(url + ",".join(keys))

    assert status == 200
    both = mapbox_vector_tile.decode(body)
    assert [f["properties"]["i"] for f in both["outlets"]["features"]] == ["O1"]
    alone = mapbox_vector_tile.decode(_get(_tile_url(base, claims, "districts", tile))[1])
    assert both["districts"] == alone["districts"]  # the same district, cut the same way
    assert _get(url + f"{keys[0]},0000000000000000")[0] == 403  # districts' key is wrong
    assert _get(url + keys[0])[0] == 404  # two layers, one key
    assert _get(url.replace("outlets,districts", "outlets,outlets") + ",".join(keys))[0] == 404


def test_popup_by_id_is_escaped(served) -> None:
    base, store = served
    claims = _claims(store)
    token = tokens.sign(claims, SECRET.encode())
    key = mapdata.layer_key(claims, "outlets")

    status, body, _ = _get(f"{base}/feature/outlets/O2?k={key}&t={token}")

    html = json.loads(body)["html"]
    assert status == 200
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert "<script>" not in html
    assert "已排查" in html
    assert "/outlet?outlet=O2" in html  # the link to the outlet's record
    status, _, _ = _get(f"{base}/feature/outlets/NOPE?k={key}&t={token}")
    assert status == 404


def _tampered(token: str) -> str:
    body, sig = token.split(".")
    claims = json.loads(tokens._unb64(body))
    claims["a"] = ["*"]  # widen the areas without the secret
    text = json.dumps(claims, sort_keys=True, separators=(",", ":")).encode()
    return f"{tokens._b64(text)}.{sig}"


@pytest.mark.parametrize(
    "case", ["none", "expired", "tampered", "other_secret", "other_layer", "other_key"]
)
def test_bad_tokens_get_403_and_no_data(served, case: str) -> None:
    base, store = served
    claims = _claims(store, layers=["districts"], areas=["420102"])
    tile = mercantile.tile(*O1, Z)
    token = {
        "none": "",
        "expired": tokens.sign(claims, SECRET.encode(), now=time.time() - tokens.TTL_S - 1),
        "tampered": _tampered(tokens.sign(claims, SECRET.encode())),
        "other_secret": tokens.sign(claims, b"another server"),
        "other_layer": tokens.sign(claims, SECRET.encode()),
        "other_key": tokens.sign(claims, SECRET.encode()),
    }[case]
    layer = "outlets" if case == "other_layer" else "districts"
    url = _tile_url(base, claims, layer, tile, token=token or "x")
    if case == "none":
        url = url.split("&t=")[0]
    if case == "other_key":
        url = url.replace(f"k={mapdata.layer_key(claims, 'districts')}", "k=0000000000000000")

    status, body, _ = _get(url)

    assert status == 403
    assert json.loads(body)["error"] == "forbidden"


def test_token_for_areas_the_user_does_not_have_is_refused(served) -> None:
    base, store = served
    tile = mercantile.tile(*O1, Z)
    # county works on 420103: a token naming 420102 for them is refused even though it is signed
    mine = _claims(store, areas=["420103"], user="county")
    theirs = _claims(store, areas=["420102"], user="county")
    city = _claims(store, areas=["420102"], user="city")  # 4201 covers 420102

    assert _get(_tile_url(base, mine, "outlets", tile))[0] == 200
    assert _get(_tile_url(base, theirs, "outlets", tile))[0] == 403
    status, body, _ = _get(_tile_url(base, city, "outlets", tile))
    assert status == 200
    assert len(mapbox_vector_tile.decode(body)["outlets"]["features"]) == 1


def test_health_names_the_store_and_revision_and_warm_up(served) -> None:
    base, _ = served
    deadline = time.monotonic() + 60
    while True:
        status, body, _ = _get(f"{base}/healthz")
        answer = json.loads(body)
        if answer["warm"] or time.monotonic() > deadline:
            break
        time.sleep(0.2)
    assert status == 200
    assert answer["status"] == "ok"
    assert answer["revision"] >= 1
    assert answer["warm"] is True  # the start-up warm-up finished (data.warm)


def test_district_tile_is_the_same_on_both_backends(served) -> None:
    """On PostGIS the database cuts unfiltered shape layers (ST_AsMVT), in memory otherwise;
    either way the district box 114.20–114.40°E, 30.55–30.70°N lands where mercantile says."""
    base, store = served
    claims = _claims(store)
    tile = mercantile.tile(114.3, 30.62, 9)
    assert mercantile.tile(114.2, 30.55, 9) == mercantile.tile(114.4, 30.7, 9) == tile

    status, body, _ = _get(_tile_url(base, claims, "districts", tile))

    (feature,) = mapbox_vector_tile.decode(body, default_options={"y_coord_down": True})[
        "districts"
    ]["features"]
    assert status == 200
    assert feature["properties"]["i"] == "420102"
    assert feature["properties"]["s"] == 0  # layers/districts.toml: one colour, palette index 0
    ring = feature["geometry"]["coordinates"][0]
    xs, ys = [p[0] for p in ring], [p[1] for p in ring]
    left, top = _local(114.2, 30.7, tile)
    right, bottom = _local(114.4, 30.55, tile)
    assert abs(min(xs) - left) <= 1 and abs(max(xs) - right) <= 1
    assert abs(min(ys) - top) <= 1 and abs(max(ys) - bottom) <= 1
    assert mapdata.in_database(store, claims, "districts") == ("://" in store)
    assert not mapdata.in_database(store, claims, "outlets")  # status columns: in memory
