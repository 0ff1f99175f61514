"""Helpers shared by the hardening tests: the corpus folder, seeded store rows, test users."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import geopandas as gpd
from shapely import Point, box

from geomon.access.auth import User
from geomon.store import open_store
from geomon.validate import apply_dtypes

BAD = Path(__file__).parents[1] / "data" / "bad"
SHAZHOU = box(113.05, 30.29, 113.24, 30.51)  # 沙洲区 429903
MINGZHU = box(112.81, 30.32, 113.04, 30.48)  # 明珠区 429902
USERS = {
    "shazhou_editor": User("shazhou", "editor", ("429903",)),
    "mingzhu_editor": User("mingzhu", "editor", ("429902",)),
    "city_editor": User("city", "editor", ("4299",)),
    "viewer": User("guest", "viewer", ("*",)),
}
"""Users the corpus and the scoping tests act as (no passwords: they never log in)."""


def _make_corpus_module():
    spec = importlib.util.spec_from_file_location("make_corpus", BAD / "make_corpus.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


make_corpus = _make_corpus_module()


def outlet_rows() -> gpd.GeoDataFrame:
    """One outlet in each of 明珠区 (429902) and 沙洲区 (429903)."""
    common = {"type_l1": "工业排污口", "receiving_water": "玉带河", "stage": "已排查"}
    rows = [
        {"code": "CJ9001429902GS0001", "name": "明珠一号", "district": "明珠区",
         "district_code": "429902", **common},
        {"code": "CJ9001429903GS0001", "name": "沙洲一号", "district": "沙洲区",
         "district_code": "429903", **common},
    ]  # fmt: skip
    frame = gpd.GeoDataFrame(rows, geometry=[Point(112.95, 30.40), Point(113.15, 30.40)], crs=4326)
    return apply_dtypes(frame, "outlets")


def district_rows() -> gpd.GeoDataFrame:
    """明珠区 and 沙洲区 as boxes (they do not touch)."""
    frame = gpd.GeoDataFrame(
        {"code": ["429902", "429903"], "name": ["明珠区", "沙洲区"], "level": ["区县", "区县"]},
        geometry=[MINGZHU, SHAZHOU],
        crs=4326,
    )
    return apply_dtypes(frame, "districts")


def seed(path: Path) -> Path:
    """Write districts and outlets to a new GeoPackage at `path`."""
    open_store(path).write(
        {"districts": district_rows(), "outlets": outlet_rows()}, user="seed", source="seed"
    )
    return path
