"""What the tile map shows, for the page that draws it and for the routes that serve its data.

The map page (`geomon.app.pages.map`) describes its view as *claims*: the layers, the sidebar
selection, the period, the past date of the outlets, the language, the user's areas and name, and
whether geometries are shifted to GCJ-02. It signs them into a token (`geomon.access.tokens`) and
hands the browser one tile URL per layer carrying that token and the layer's *key* (a digest of
the claims that matter to that layer). The data routes (`geomon.app.server`) verify the token,
check the key and rebuild the same filtered frames from the same caches (`geomon.app.data`,
keyed by store revision), so the page and its tiles always agree, and a filter change alters only
the keys, hence the URLs, of the layers it touches.
"""

from __future__ import annotations

import datetime as dt
import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Hashable, Mapping, Sequence
from typing import Any

import geopandas as gpd
import pandas as pd

from geomon import config, filters, mapview, times
from geomon.access import auth, tokens
from geomon.analysis import compliance
from geomon.app import data
from geomon.app.present import styles, view
from geomon.errors import TokenError
from geomon.mapview import tiles
from geomon.specs import Label, get_spec

VERSION = 1
_SOURCES = 24  # TileSources kept (one per layer and filter)
_TILES = 4_000  # encoded tiles kept


class _LRU:
    """A small thread-safe least-recently-used cache that makes each value once.

    The browser asks for a dozen tiles of a layer at once; the first request builds the layer's
    `TileSource` while the others wait for it, instead of each building its own.
    """

    def __init__(self, size: int) -> None:
        self._items: OrderedDict[Hashable, Any] = OrderedDict()
        self._making: dict[Hashable, threading.Lock] = {}
        self._size = size
        self._lock = threading.Lock()

    def get(self, key: Hashable, make: Callable[[], Any]) -> Any:
        with self._lock:
            if key in self._items:
                self._items.move_to_end(key)
                return self._items[key]
            making = self._making.setdefault(key, threading.Lock())
        with making:
            with self._lock:
                if key in self._items:
                    return self._items[key]
            value = make()
            with self._lock:
                self._items[key] = value
                self._making.pop(key, None)
                while len(self._items) > self._size:
                    self._items.popitem(last=False)
        return value


_REVISION_TTL_S = 1.0  # tiles ask the store for its revision at most once a second
_revisions: dict[str, tuple[float, tuple[int, int]]] = {}


def revision(url: str) -> tuple[int, int]:
    """`data.revision`, remembered for a second: a map asks for a hundred tiles at once and a
    GeoPackage's revision costs ~8 ms to read; an edit reaches the tiles within the second."""
    now = time.monotonic()
    hit = _revisions.get(url)
    if hit is not None and now - hit[0] < _REVISION_TTL_S:
        return hit[1]
    current = data.revision(url)
    _revisions[url] = (now, current)
    return current


_sources = _LRU(_SOURCES)
_tiles = _LRU(_TILES)


def signing_key(settings: config.Settings) -> bytes:
    """The secret that signs map tokens (``GEOMON_SECRET``, else a key file beside the users)."""
    return tokens.secret(settings.secret, auth.users_path(settings).with_name("map.key"))


def claims(
    *,
    layers: Sequence[str],
    selection: Mapping[str, Sequence[str]],
    period: str | None,
    past: dt.date | None,
    lang: str,
    areas: Sequence[str],
    user: str | None,
    gcj: bool,
    store_url: str,
) -> dict[str, Any]:
    """The claims of one map view (see the module docstring); JSON-able."""
    return {
        "v": VERSION,
        "st": tokens.digest(store_url),
        "L": list(layers),
        "q": {k: list(v) for k, v in sorted(selection.items()) if v},
        "p": period,
        "d": past.isoformat() if past else None,
        "l": lang,
        "a": list(areas),
        "u": user,
        "g": gcj,
    }


def layer_key(c: Mapping[str, Any], layer: str) -> str:
    """The digest of what decides `layer`'s features and colours in the view `c`."""
    status = layer in compliance.STATUS_COLUMNS
    return tokens.digest({
        "layer": layer,
        "q": view.layer_selection(layer, c["q"]),
        "p": c["p"] if status else None,
        "d": c["d"] if layer == "outlets" else None,
        "today": times.today().isoformat() if status and not c["p"] else None,
        "a": c["a"], "g": c["g"], "st": c["st"],
    })  # fmt: skip


def check(
    token: str | None, layer: str, key: str | None, settings: config.Settings
) -> dict[str, Any]:
    """
    The claims of `token` if it may read `layer` under `key` on this server's store.

    Raises `TokenError` (the routes answer 403) for a bad or expired token, a layer or key the
    token was not issued for, another store, or areas the user no longer has.
    """
    return check_layers(token, [(layer, key)], settings)


def check_layers(
    token: str | None, wanted: Sequence[tuple[str, str | None]], settings: config.Settings
) -> dict[str, Any]:
    """`check` for several (layer, key) pairs read under one token (a tile of several layers):
    every pair must be covered, or none is served."""
    c = tokens.verify(token, signing_key(settings))
    if c.get("v") != VERSION or c.get("st") != tokens.digest(settings.store_url):
        raise TokenError("token is for another map", "scope")
    for layer, key in wanted:
        if layer not in c.get("L", []) or key != layer_key(c, layer):
            raise TokenError(f"token does not cover layer {layer!r} with this filter", "scope")
    _check_areas(c, settings)
    return c


def _check_areas(c: Mapping[str, Any], settings: config.Settings) -> None:
    """The token's areas must still be the user's (a user edited since loses the old ones)."""
    path = auth.users_path(settings)
    if not path.is_file():
        return
    user = auth.load_users(path).get(c.get("u") or "")
    if user is None:
        if auth.login_required("view", settings) or c["a"] != [auth.ALL_AREAS]:
            raise TokenError("token's user is unknown here", "scope")
        return
    if user.sees_all:
        return
    if not all(any(a.startswith(mine) for mine in user.areas) for a in c["a"]):
        raise TokenError("token's areas are not the user's", "scope")


def frames(
    url: str, c: Mapping[str, Any], only: Sequence[str] | None = None
) -> dict[str, pd.DataFrame]:
    """The filtered layers (with status columns) of the view `c`, from the shared caches;
    `only` these layers if given."""
    areas = tuple(c["a"])
    names = [n for n in (only or c["L"]) if n in c["L"]]
    layers = data.status_layers_for(url, c["p"], areas)
    wanted = {n: layers[n] for n in names if n in layers}
    if c["d"] and "outlets" in wanted:
        when = dt.date.fromisoformat(c["d"])
        stored = data.as_of_for(url, "outlets", when, areas)
        wanted["outlets"] = compliance.with_status("outlets", stored, as_of=when)  # that day
    selection = {**c["q"], **({view.PERIOD: [c["p"]]} if c["p"] else {})}
    return view.filter_layers(wanted, selection, period=filters.parse_period(c["p"]))


def map_frame(frame: pd.DataFrame, gcj: bool) -> gpd.GeoDataFrame:
    """A layer as the map draws it: no empty geometries, shifted to GCJ-02 for AMap tiles."""
    empty = (frame.geometry.isna() | frame.geometry.is_empty).to_numpy()
    frame = frame[~empty] if empty.any() else frame
    return mapview.to_gcj02(frame) if gcj and len(frame) else frame


def _styles() -> dict[str, mapview.LayerStyle]:
    return styles.map_styles(Label("", ""))


def source(url: str, c: Mapping[str, Any], layer: str) -> tiles.TileSource:
    """The `TileSource` of `layer` in the view `c` (cached per store revision and layer key)."""
    key = (url, revision(url), layer, layer_key(c, layer))

    def make() -> tiles.TileSource:
        frame = map_frame(frames(url, c, [layer])[layer], c["g"])
        return tiles.tile_source(layer, frame, get_spec(layer), _styles().get(layer))

    return _sources.get(key, make)


WARM_WIDTHS = (800, 1600)  # map widths (px) whose opening view's tiles are cut at start
WARM_TILES = 600  # at most this many tiles are cut ahead


def warm(url: str, settings: config.Settings) -> None:
    """Prepare the default view (no filter, every area) for the first visitor: every map layer's
    `TileSource`, and the tiles of the opening view (the whole data fitted to a map between
    `WARM_WIDTHS` pixels wide, as the page opens it), so they are only sent, not cut."""
    names = data.map_layer_names(url)
    c = claims(layers=names, selection={}, period=None, past=None, lang=settings.lang,
               areas=[auth.ALL_AREAS], user=None, gcj=settings.basemap == "amap",
               store_url=url)  # fmt: skip
    for name in names:
        if not in_database(url, c, name):
            source(url, c, name)
    shown = {n: map_frame(f, c["g"]) for n, f in frames(url, c).items()}
    box = tiles.bounds(shown)
    if box is None:
        return
    todo = [(n, *t) for t in tiles.covering(box, WARM_WIDTHS) for n in names]
    for name, z, x, y in todo[:WARM_TILES]:
        tile(url, c, name, z, x, y)


def in_database(url: str, c: Mapping[str, Any], layer: str) -> bool:
    """Whether PostGIS cuts `layer`'s tiles itself (`geomon.store.pgtiles`): a PostGIS store, a
    layer coloured by a stored column (no status column), no filter on it, every area, no
    GCJ-02 shift. Anything else is cut in memory from the same frames the page shows."""
    return (
        "://" in url
        and layer not in compliance.STATUS_COLUMNS
        and not view.layer_selection(layer, c["q"])
        and c["a"] == [auth.ALL_AREAS]
        and not c["g"]
    )


def _database_tile(url: str, layer: str, z: int, x: int, y: int) -> bytes:
    from geomon.store import pgtiles  # noqa: PLC0415  (SQLAlchemy: the optional postgis extra)

    spec = get_spec(layer)
    if z < spec.style.min_zoom:
        return b""  # an MVT without layers
    colors = {c: i for i, c in enumerate(tiles.palette(spec, None))}
    codes = {v: 2 * colors[color] for v, color in spec.style.colors.items()}
    return pgtiles.vector_tile(data.store(url).engine, spec, z, x, y, codes=codes,
                               default_code=0, extent=tiles.EXTENT, buffer=tiles.BUFFER,
                               dot_px=tiles.DOT_PX)  # fmt: skip


def tile(url: str, c: Mapping[str, Any], layer: str, z: int, x: int, y: int) -> bytes:
    """One encoded tile of `layer` in the view `c` (cached)."""
    key = (url, revision(url), layer, layer_key(c, layer), z, x, y)
    if in_database(url, c, layer):
        return _tiles.get(key, lambda: _database_tile(url, layer, z, x, y))
    return _tiles.get(key, lambda: source(url, c, layer).tile(z, x, y))


def popup(
    url: str,
    c: Mapping[str, Any],
    layer: str,
    feature_id: str,
    record_url: str,
    section_url: str | None = None,
    problem_url: str | None = None,
) -> str | None:
    """The popup HTML of feature `feature_id` of `layer` in the view `c`, or None if absent;
    outlets link to `record_url`, sections to `section_url`, problems to `problem_url` (``{id}``
    is the code or id)."""
    rows = tiles.feature_rows(frames(url, c, [layer])[layer], get_spec(layer), feature_id)
    if rows.empty:
        return None
    own = styles.map_styles(
        Label("", ""), outlet_url=record_url, section_url=section_url, problem_url=problem_url
    ).get(layer)
    return mapview.popup_html(rows.iloc[:1], get_spec(layer), c["l"], own)[0]


def layer_styles(layer: str, lang: str) -> dict[str, Any]:
    """How the browser draws `layer`'s features: kind, palette, stroke, ring, sizes, title."""
    spec, own = get_spec(layer), _styles().get(layer)
    kind = {"Point": "point", "LineString": "line"}.get(spec.geometry_type, "polygon")
    if spec.geometry_type == "Any":
        kind = "any"
    return {
        "kind": kind,
        "title": spec.title.get(lang),
        "palette": tiles.palette(spec, own),
        "radius": spec.style.radius,
        "stroke": own.stroke if own else "#ffffff",
        "strokeWeight": own.stroke_weight if own else 1,
        "ring": own.ring_color if own else "#111111",
        "alert": own.alert_color if own and own.alert else None,
        "weight": spec.style.weight,
        "fillOpacity": spec.style.fill_opacity,
        "dash": spec.style.dash_array,
        "shape": spec.style.shape,
        "minZoom": spec.style.min_zoom,
    }
