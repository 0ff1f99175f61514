"""The tile map component: the page sends the map's shell and style, the browser fetches data.

`tile_map` draws the layers of a filtered view as vector tiles served by the app's own routes
(`geomon.app.server`, `geomon.app.mapdata`). What it sends to the browser on each rerun is small
(tile URLs with a filter key per layer, a signed token, palettes, the legend, the initial
bounds): a filter change alters only the keys of the layers it touches, and the mounted map
refetches just those, keeping its view. The frontend (``tilemap_web/``) is plain JavaScript with a
small MVT decoder; Leaflet comes from the vendored assets.
"""

from __future__ import annotations

import base64
import datetime as dt
import time
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import pandas as pd
import streamlit as st
import streamlit.components.v1 as components

from geomon import config, mapview, times
from geomon.access import tokens
from geomon.app import data, i18n, mapdata, urls
from geomon.app.components import login, widgets
from geomon.errors import MapError
from geomon.mapview import printing, tiles

_FRONTEND = Path(__file__).with_name("tilemap_web")
_component = components.declare_component("geomon_tilemap", path=str(_FRONTEND))
_TOKEN = "map.token"  # session state: (claims digest, token, expiry)
_EXPIRED = "map.expired"  # session state: the last expiry notice the map sent
_REFRESH_S = 3600  # a token with less left than this is renewed on the next rerun
_PDF = "map.pdf"  # session state: (print id, paper, PDF bytes) of the last printed sheet
_TEXT = {
    "zh": {
        "full": "全屏",
        "exit": "退出全屏",
        "loading": "正在加载地图数据…",
        "fromZoom": "放大至级别",
        "print": "打印",
        "printTitle": "标题",
        "paper": "纸张",
        "landscape": "横向",
        "format": "格式",
        "make": "生成",
        "making": "正在生成打印图…",
        "pdfSent": "PDF 已生成：请点地图下方的“下载 PDF”",
        "failed": "打印失败",
        "noBasemap": "底图不允许导出，已不含底图打印",
        "legend": "图例",
        "north": "北",
        "made": "制图日期",
    },
    "en": {
        "full": "Full screen",
        "exit": "Exit full screen",
        "loading": "Loading map data…",
        "fromZoom": "from zoom",
        "print": "Print",
        "printTitle": "Title",
        "paper": "Paper",
        "landscape": "landscape",
        "format": "Format",
        "make": "Make",
        "making": "Composing the printed map…",
        "pdfSent": "PDF ready: use “Download PDF” below the map",
        "failed": "Printing failed",
        "noBasemap": "The basemap may not be exported: printed without it",
        "legend": "Legend",
        "north": "N",
        "made": "Made on",
    },
}


def token(claims: Mapping[str, Any], settings: config.Settings, *, renew: bool = False) -> str:
    """This session's token for `claims`: reused while it has an hour left, else signed anew."""
    digest = tokens.digest(claims)
    entry = st.session_state.get(_TOKEN)
    now = time.time()
    if not renew and entry and entry[0] == digest and entry[2] - now > _REFRESH_S:
        return entry[1]
    signed = tokens.sign(claims, mapdata.signing_key(settings), now=now)
    st.session_state[_TOKEN] = (digest, signed, now + tokens.TTL_S)
    return signed


def tile_map(
    frames: Mapping[str, pd.DataFrame],
    *,
    selection: Mapping[str, Sequence[str]],
    period: str | None,
    past: dt.date | None,
    legend_styles: Mapping[str, mapview.LayerStyle],
    settings: config.Settings,
    lang: str,
    focus: widgets.Focus | None = None,
    tianditu_key: str | None = None,
    height: int = 700,
    print_title: str = "",
    print_notes: Sequence[str] = (),
    key: str = "map",
) -> None:
    """
    Draw the filtered `frames` (layer → rows, bottom to top) as a tile map.

    `selection`, `period` and `past` are the view the frames came from: they go into the token,
    and the data routes rebuild the same frames from them. `legend_styles` colour the legend
    (with the period in its titles); the tiles use the same colours. The map's print control
    puts `print_title` and the lines of `print_notes` (data date, filters) above the printed
    map; a PDF print comes back as a PNG and is offered for download below the map.
    """
    gcj = settings.basemap == "amap"
    user = login.current()
    claims = mapdata.claims(
        layers=list(frames), selection=selection, period=period, past=past, lang=lang,
        areas=login.areas(), user=user.name if user else None, gcj=gcj,
        store_url=settings.store_url,
    )  # fmt: skip
    value = st.session_state.get(key) or {}
    expired = value.get("expired")
    renew = bool(expired) and expired != st.session_state.get(_EXPIRED)
    st.session_state[_EXPIRED] = expired
    shown = {name: mapdata.map_frame(frame, gcj) for name, frame in frames.items()}
    box = tiles.bounds(shown)
    try:
        basemap = mapview.basemap_tiles(settings.basemap, tianditu_key)
    except mapview.MapError as exc:
        st.warning(i18n.t("map.basemap_error", lang).format(error=exc))
        basemap = []
    args = {
        "layers": [
            {"name": n, "key": mapdata.layer_key(claims, n), "style": mapdata.layer_styles(n, lang)}
            for n in frames
        ],
        "token": token(claims, settings, renew=renew),
        "revision": "-".join(map(str, data.revision(settings.store_url))),
        "data_base": urls.base(),
        "legend": mapview.legend_html(shown, lang, legend_styles, shapes=True) if shown else "",
        "legend_layers": mapview.legend_layers(shown, lang, legend_styles, shapes=True),
        "print": {
            "title": print_title,
            "notes": list(print_notes),
            "dpi": printing.PRINT_DPI,
            "papers": {p: printing.sheet_pixels(p) for p in printing.PAPERS},
        },
        "bounds": [[box[0], box[1]], [box[2], box[3]]] if box else None,
        "basemap": basemap,
        "focus": {"layer": focus.layer, "id": focus.code, "lat": focus.lat, "lon": focus.lon}
        if focus is not None
        else None,
        "labels": _TEXT[lang],
        "css": mapview.MAP_CSS,
        "height": height,
    }
    if not widgets.assets_installed():
        st.error(i18n.t("map.assets_missing", lang))
    _component(**args, key=key, default=None)
    if value.get("print"):
        _offer_pdf(value["print"], lang)


def _offer_pdf(printed: Mapping[str, Any], lang: str) -> None:
    """A download button for the PDF of the sheet the map printed (made once per print)."""
    made = st.session_state.get(_PDF)
    if made is None or made[0] != printed.get("id"):
        try:
            png = base64.b64decode(str(printed.get("png", "")), validate=True)
            pdf = printing.pdf_from_png(png, str(printed.get("paper")))
        except (ValueError, MapError) as exc:  # binascii.Error is a ValueError
            st.error(i18n.t("map.print_error", lang).format(error=exc))
            return
        made = (printed.get("id"), printed["paper"], pdf, dt.datetime.now(times.CHINA_TZ))
        st.session_state[_PDF] = made
    _, paper, pdf, when = made
    st.download_button(
        i18n.t("map.print_pdf", lang).format(paper=paper, time=when.strftime("%H:%M")), pdf,
        file_name=f"geomon-map-{paper}-{when:%Y%m%d-%H%M}.pdf", mime="application/pdf",
        icon=":material/picture_as_pdf:", on_click="ignore", key=f"{_PDF}.download",
    )  # fmt: skip
