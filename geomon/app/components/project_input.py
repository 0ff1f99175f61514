"""Where the siting page gets its projects: an uploaded file, a drawing, or the store."""

from __future__ import annotations

import functools
import hashlib
import json
from collections.abc import Mapping
from typing import Any, NamedTuple

import geopandas as gpd
import pandas as pd
import shapely
import streamlit as st

from geomon import mapview, siting
from geomon.app import data, i18n, urls
from geomon.app.components import widgets
from geomon.io import READABLE_SUFFIXES
from geomon.messages import ValidationReport
from geomon.specs import get_spec
from geomon.validate import apply_dtypes

CRS_CHOICES: dict[str, tuple[str, str]] = {  # value for geomon.crs.resolve → (zh, en)
    "": ("文件自带 / 自动识别", "From the file / detect"),
    "wgs84": ("WGS84 经纬度（GPS）", "WGS84 lon/lat (GPS)"),
    "cgcs2000": ("CGCS2000 经纬度", "CGCS2000 lon/lat"),
    "gcj02": ("GCJ-02（高德、腾讯地图）", "GCJ-02 (AMap, Tencent)"),
    "bd09": ("BD-09（百度地图）", "BD-09 (Baidu)"),
    "gk3": ("CGCS2000 3度带高斯投影（按坐标带号识别）", "CGCS2000 3° Gauss–Krüger (zone prefix)"),
    "gk6": ("CGCS2000 6度带高斯投影（按坐标带号识别）", "CGCS2000 6° Gauss–Krüger (zone prefix)"),
    "xian80-gk3": ("西安80 3度带高斯投影", "Xian 1980 3° Gauss–Krüger"),
    "beijing54-gk3": ("北京54 3度带高斯投影", "Beijing 1954 3° Gauss–Krüger"),
    "custom": ("其他…", "Other…"),
}
DRAW_LAYERS = ("districts", "rivers", "lakes", "control_units", "red_lines", "protection_zones")


class Projects(NamedTuple):
    """Projects to check, a key that identifies them (cache), and the file's report if any."""

    key: str
    frame: gpd.GeoDataFrame
    report: ValidationReport | None = None


def crs_label(value: str, lang: str) -> str:
    """The name of a `CRS_CHOICES` entry in `lang`."""
    return CRS_CHOICES[value][lang == "en"]


def from_upload(lang: str) -> Projects | None:
    """A file uploader with a CRS choice; the projects read from the file.

    Raises `geomon.errors.ValidationError` (its report attached) when `siting.checkable` refuses
    the file, `geomon.errors.ReadError` when it cannot be read.
    """
    left, right = st.columns([3, 2])
    upload = left.file_uploader(
        i18n.t("siting.upload", lang), type=READABLE_SUFFIXES, key="siting.file"
    )
    crs = right.selectbox(
        i18n.t("siting.crs", lang),
        list(CRS_CHOICES),
        format_func=functools.partial(crs_label, lang=lang),
        key="siting.crs",
        placeholder=i18n.t("common.choose_one", lang),
    )
    if crs == "custom":
        crs = right.text_input(i18n.t("siting.crs_custom", lang), key="siting.crs_text").strip()
    if upload is None:
        return None
    raw = upload.getvalue()
    read = siting.load_projects(raw, crs=crs or None, filename=upload.name)
    frame = siting.checkable(read, path=upload.name)  # as `geomon check`: ValidationError
    key = f"file:{hashlib.sha256(raw).hexdigest()}:{upload.name}:{crs}"
    return Projects(key, frame.reset_index(drop=True), read.report)


def _drawn_frame(drawings: list[dict[str, Any]], attrs: Mapping[str, Any]) -> gpd.GeoDataFrame:
    geoms = [shapely.geometry.shape(f["geometry"]) for f in drawings if f.get("geometry")]
    rows = [
        {
            **attrs,
            "id": f"DRAW-{i}",
            "name": f"{attrs['name']}（{i}）" if len(geoms) > 1 else attrs["name"],
        }
        for i in range(1, len(geoms) + 1)
    ]
    return apply_dtypes(gpd.GeoDataFrame(rows, geometry=geoms, crs=4326), "projects")


def from_drawing(url: str, lang: str) -> Projects | None:
    """A map of the constraint layers with drawing tools, and the attributes of the project."""
    spec = get_spec("projects")
    st.caption(i18n.t("siting.draw_help", lang))
    c1, c2, c3, c4 = st.columns([3, 2, 2, 1], vertical_alignment="bottom")
    kind = spec.field("kind")
    label = functools.partial(kind.value_label, lang=lang)
    name = c1.text_input(
        i18n.t("siting.draw_name", lang), i18n.t("siting.drawn_default", lang), key="siting.d_name"
    )
    attrs = {
        "name": name,
        "kind": c2.selectbox(
            i18n.t("siting.draw_kind", lang),
            [v.value for v in kind.values],
            format_func=label,
            key="siting.d_kind",
            placeholder=i18n.t("common.choose_one", lang),
        ),
        "activity": c3.text_input(i18n.t("siting.draw_activity", lang), key="siting.d_act") or None,
        "discharges_wastewater": c4.checkbox(
            i18n.t("siting.draw_discharges", lang), True, key="siting.d_dis"
        ),
    }
    names = [n for n in data.map_layer_names(url) if n in DRAW_LAYERS]
    frames = {n: data.layer(url, n) for n in names}
    m = mapview.build_map(frames, lang=lang, asset_base=urls.asset_base())
    mapview.add_draw(m, lang=lang, asset_base=urls.asset_base())
    back = widgets.show_map(
        m, lang=lang, key="siting.draw_map", height=520, returned_objects=["all_drawings"]
    )
    drawings = (back or {}).get("all_drawings") or []
    if not drawings:
        return None
    key = "draw:" + json.dumps([drawings, attrs], sort_keys=True, ensure_ascii=False, default=str)
    return Projects(key, _drawn_frame(drawings, attrs))


def _project_label(names: dict[str, str], pid: str) -> str:
    return f"{pid}  {names.get(pid) or ''}"


def _names(projects: pd.DataFrame) -> dict[str, str]:
    """Project id → name, once: a label per option must not scan the layer (20k projects)."""
    ids = projects["id"].astype(str).tolist()
    names = projects["name"].astype(object).where(projects["name"].notna(), "").tolist()
    return dict(zip(ids, names, strict=True))


def from_store(url: str, lang: str) -> Projects | None:
    """A choice of the projects already in the store."""
    stored = data.layer(url, "projects")
    if stored.empty:
        st.info(i18n.t("siting.waiting", lang))
        return None
    ids = stored["id"].astype(str).tolist()
    if "siting.stored" not in st.session_state:  # a shared link: ?project=XM2023-001
        st.session_state["siting.stored"] = [
            p for p in st.query_params.get_all("project") if p in ids
        ]
    chosen = st.multiselect(
        i18n.t("siting.stored", lang),
        ids,
        format_func=functools.partial(_project_label, _names(stored)),
        key="siting.stored",
        placeholder=i18n.t("common.choose_many", lang),
    )
    if st.query_params.get_all("project") != chosen:
        if chosen:
            st.query_params["project"] = chosen
        else:
            st.query_params.pop("project", None)
    if not chosen:
        return None
    frame = stored[stored["id"].astype(str).isin(chosen)].reset_index(drop=True)
    return Projects("store:" + ",".join(chosen), frame)
