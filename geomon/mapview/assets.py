"""The map's browser assets, served locally: no script or stylesheet comes from a public CDN.

folium's defaults are replaced by the files ``npm ci`` copies to ``static/vendor/``
(``scripts/vendor_assets.mjs``), which Streamlit serves at ``/app/static/vendor``
(``[server] enableStaticServing``). `localize_assets` rewrites every element of a map and refuses
anything it cannot serve locally; `map_html` writes a standalone page, optionally with every
asset inlined so it opens with no server at all.
"""

from __future__ import annotations

import base64
import mimetypes
import re
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

import folium

from geomon.config import PROJECT_DIR
from geomon.errors import MapError
from geomon.mapview.points import SUPERCLUSTER

ASSET_BASE = "/app/static/vendor"
STATIC_VENDOR_DIR = PROJECT_DIR / "static" / "vendor"

# folium asset name -> file under static/vendor ("{lang}" is "cn" or "en" for leaflet-measure)
ASSETS: dict[str, str] = {
    "leaflet": "leaflet/leaflet.js",
    "leaflet_css": "leaflet/leaflet.css",
    "jquery": "jquery/jquery.min.js",
    "markerclusterjs": "leaflet.markercluster/leaflet.markercluster.js",
    "markerclustercss": "leaflet.markercluster/MarkerCluster.css",
    "markerclusterdefaultcss": "leaflet.markercluster/MarkerCluster.Default.css",
    "Control.Fullscreen.js": "leaflet.fullscreen/Control.FullScreen.js",
    "Control.FullScreen.css": "leaflet.fullscreen/Control.FullScreen.css",
    "leaflet_measure_js": "leaflet-measure/leaflet-measure.{lang}.js",
    "leaflet_measure_css": "leaflet-measure/leaflet-measure.css",
    "leaflet_draw_js": "leaflet-draw/leaflet.draw.js",
    "leaflet_draw_css": "leaflet-draw/leaflet.draw.css",
    "supercluster": SUPERCLUSTER,
}


def _walk(element: Any) -> Iterable[Any]:
    yield element
    for child in getattr(element, "_children", {}).values():
        yield from _walk(child)


def localize_assets(m: folium.Map, *, asset_base: str = ASSET_BASE, lang: str = "zh") -> folium.Map:
    """
    Point every script and stylesheet of `m` and its elements at `asset_base` (in place).

    Folium's Map defaults (Bootstrap, Font Awesome, awesome-markers, jQuery) are dropped: geomon
    draws no icon markers, and jQuery is kept only when an element needs it (`folium.Popup`).
    Call again after adding more plugins to a map. Raises `MapError` for an element whose
    assets are not vendored (add them to package.json, scripts/vendor_assets.mjs and `ASSETS`).
    """
    base, measure_lang = asset_base.rstrip("/"), "cn" if lang == "zh" else "en"
    local = {k: f"{base}/{v.format(lang=measure_lang)}" for k, v in ASSETS.items()}
    elements = list(_walk(m))
    if any(isinstance(e, folium.Icon) for e in elements):
        msg = "folium.Icon needs Font Awesome and awesome-markers (not vendored); use CircleMarker"
        raise MapError(msg)
    m.default_js = [("leaflet", local["leaflet"])]
    if m.objects_to_stay_in_front or any(isinstance(e, folium.Popup) for e in elements):
        m.default_js.append(("jquery", local["jquery"]))  # both call jQuery's $()
    m.default_css = [("leaflet_css", local["leaflet_css"])]
    for element in elements[1:]:
        for attr in ("default_js", "default_css"):
            links = getattr(element, attr, None)
            if links:
                setattr(element, attr, [(n, _local_url(n, u, local, base)) for n, u in links])
    return m


def _local_url(name: str, url: str, local: Mapping[str, str], base: str) -> str:
    if name in local:
        return local[name]
    if url.startswith(base) or not re.match(r"^(https?:)?//", url):
        return url
    msg = f"{name} would load {url} from the internet; vendor it (see geomon.mapview.ASSETS)"
    raise MapError(msg)


def map_html(m: folium.Map, *, inline: bool = False, vendor_dir: Path = STATIC_VENDOR_DIR) -> str:
    """
    Return the map as a standalone HTML page.

    With ``inline=True`` the vendored scripts and stylesheets (and the images the stylesheets
    use) are copied into the page, so the file opens offline with no server.
    """
    page = m.get_root().render()
    if not inline:
        return page
    known = {v.format(lang=lg) for v in ASSETS.values() for lg in ("cn", "en")}

    def asset(url: str) -> Path | None:
        rel = next((r for r in known if url.endswith("/" + r)), None)
        return vendor_dir / rel if rel and (vendor_dir / rel).is_file() else None

    def script(match: re.Match[str]) -> str:
        path = asset(match.group(1))
        if path is None:
            return match.group(0)
        return "<script>" + path.read_text("utf-8").replace("</script", "<\\/script") + "</script>"

    def style(match: re.Match[str]) -> str:
        path = asset(match.group(1))
        if path is None:
            return match.group(0)
        css = re.sub(_CSS_URL, lambda u: _data_uri(path.parent, u), path.read_text("utf-8"))
        return f"<style>{css}</style>"

    page = re.sub(r'<script src="([^"]+)"></script>', script, page)
    return re.sub(r'<link rel="stylesheet" href="([^"]+)"/>', style, page)


_CSS_URL = r"url\(['\"]?([^'\")#]+)['\"]?\)"


def _data_uri(folder: Path, match: re.Match[str]) -> str:
    path = folder / match.group(1)
    if not path.is_file():
        return match.group(0)
    mime = mimetypes.guess_type(path.name)[0] or "application/octet-stream"
    return f'url("data:{mime};base64,{base64.b64encode(path.read_bytes()).decode()}")'
