"""The app's own HTTP routes, served by Streamlit's server beside the pages (``st.App``).

- ``GET /tiles/{layers}/{z}/{x}/{y}.mvt?k=KEYS&r=REV&t=TOKEN``: one Mapbox Vector Tile of one
  or more layers (``outlets,sections``) as the map view signed into TOKEN shows them
  (`geomon.app.mapdata`); KEYS are the layers' filter keys in the same order (``K1,K2``). The map
  asks once per tile position for all its layers (a browser opens six connections per host).
- ``GET /feature/{layer}/{id}?k=KEY&t=TOKEN``: one feature's popup as ``{"html": …}``.
- ``GET /healthz``: ``{"status": "ok", "store": …, "revision": …, "warm": …}`` for an
  operator's probe (503 with the reason when the store cannot be read); ``warm`` says whether the
  start-up warm-up (`lifespan`) has finished.

`lifespan` warms the caches in a background thread when the server starts (`data.warm`): at
national scale the first visitor would otherwise wait seconds for layers, filter choices,
statistics and spatial indexes that every later visitor gets from the caches.

A request without a valid token, or for a layer, filter, store or areas the token does not
cover, gets 403 and no data. The routes keep no session: several app processes behind one
reverse proxy, sharing ``GEOMON_SECRET``, serve the same maps.
"""

from __future__ import annotations

import logging
import re
import threading
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from geomon import config
from geomon.app import data, mapdata, urls
from geomon.errors import GeomonError, TokenError
from geomon.mapview import tiles
from geomon.specs import get_spec, layer_names

log = logging.getLogger("geomon.server")
MVT = "application/vnd.mapbox-vector-tile"
_NO_STORE = {"Cache-Control": "no-store"}


def _denied(exc: TokenError) -> Response:
    return JSONResponse({"error": "forbidden", "reason": exc.reason}, 403, headers=_NO_STORE)


def _layer(request: Request) -> str | None:
    name = request.path_params["layer"]
    return name if name in layer_names() and get_spec(name).is_spatial else None


def _tile_layers(request: Request) -> list[tuple[str, str | None]] | None:
    """The (layer, key) pairs of a tile request: ``outlets,sections`` with ``k=K1,K2``."""
    names = request.path_params["layer"].split(",")
    keys = (request.query_params.get("k") or "").split(",")
    if len(keys) != len(names) or len(set(names)) != len(names):
        return None
    if not all(n in layer_names() and get_spec(n).is_spatial for n in names):
        return None
    return [(n, k or None) for n, k in zip(names, keys, strict=True)]


def tile(request: Request) -> Response:
    """One vector tile of one or more layers (see the module docstring)."""
    settings = config.from_env()
    wanted = _tile_layers(request)
    z, x, y = (request.path_params[k] for k in ("z", "x", "y"))
    if wanted is None or not tiles.valid_tile(z, x, y):
        return JSONResponse({"error": "not_found"}, 404, headers=_NO_STORE)
    try:
        c = mapdata.check_layers(request.query_params.get("t"), wanted, settings)
        # an MVT is a list of layers: the layers' own tiles, joined, are one tile of them all
        body = b"".join(mapdata.tile(settings.store_url, c, n, z, x, y) for n, _ in wanted)
    except TokenError as exc:
        return _denied(exc)
    except GeomonError as exc:
        log.warning("tile %s/%s/%s/%s: %s", request.path_params["layer"], z, x, y, exc)
        return JSONResponse({"error": "unavailable", "message": str(exc)}, 503)
    # the URL names the filters (k) and store revision (r): a cached tile is never stale
    return Response(body, media_type=MVT, headers={"Cache-Control": "private, max-age=3600"})


def feature(request: Request) -> Response:
    """One feature's popup HTML (see the module docstring)."""
    settings = config.from_env()
    layer = _layer(request)
    if layer is None:
        return JSONResponse({"error": "not_found"}, 404, headers=_NO_STORE)
    try:
        c = mapdata.check(request.query_params.get("t"), layer, request.query_params.get("k"),
                          settings)  # fmt: skip
        url = urls.record_url(c["l"])
        html = mapdata.popup(settings.store_url, c, layer, request.path_params["fid"], url,
                             urls.section_record_url(c["l"]),
                             urls.problem_record_url(c["l"]))  # fmt: skip
    except TokenError as exc:
        return _denied(exc)
    if html is None:
        return JSONResponse({"error": "not_found"}, 404, headers=_NO_STORE)
    return JSONResponse({"html": html}, headers=_NO_STORE)


def health(request: Request) -> Response:
    """The store answers: its URL (without password) and revision."""
    del request
    settings = config.from_env()
    shown = re.sub(r"//[^@/]*@", "//***@", settings.store_url)
    try:
        revision = data.store(settings.store_url).revision()
    except GeomonError as exc:
        return JSONResponse({"status": "error", "store": shown, "message": str(exc)}, 503)
    answer = {"status": "ok", "store": shown, "revision": revision, "warm": _warm.is_set()}
    return JSONResponse(answer, headers=_NO_STORE)


_warm = threading.Event()


def _warm_up() -> None:
    started = time.perf_counter()
    url = config.from_env().store_url
    try:
        if "://" in url or Path(url).is_file():  # never create a missing GeoPackage here
            data.warm(url)
            mapdata.warm(url, config.from_env())
        log.info("warm-up of %s done in %.1f s", url, time.perf_counter() - started)
    except Exception:  # a store that cannot be read: pages say so themselves
        log.exception("warm-up of %s failed", url)
    finally:
        _warm.set()


@asynccontextmanager
async def lifespan(app: Any) -> AsyncIterator[None]:
    """Start the warm-up beside the server (it never delays start-up or requests)."""
    del app
    threading.Thread(target=_warm_up, name="geomon-warm-up", daemon=True).start()
    yield


def routes() -> list[Route]:
    """The routes to mount beside the Streamlit app."""
    return [
        Route("/tiles/{layer}/{z:int}/{x:int}/{y:int}.mvt", tile),
        Route("/feature/{layer}/{fid:path}", feature),
        Route("/healthz", health),
    ]
