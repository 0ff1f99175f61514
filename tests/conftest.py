"""Shared fixtures: Streamlit cache isolation and a tiny hand-made GeoPackage store."""

from __future__ import annotations

from pathlib import Path

import geopandas as gpd
import pytest
import streamlit as st
from shapely import LineString, Point, box

from geomon.store import open_store
from geomon.validate import apply_dtypes


@pytest.fixture(autouse=True)
def _clear_streamlit_caches():
    """Clear Streamlit caches: they live in the test process and leak between tests."""
    st.cache_data.clear()
    st.cache_resource.clear()
    yield
    st.cache_data.clear()
    st.cache_resource.clear()


def _layer(name: str, rows: list[dict], geoms: list) -> gpd.GeoDataFrame:
    return apply_dtypes(gpd.GeoDataFrame(rows, geometry=geoms, crs=4326), name)


@pytest.fixture(scope="session")
def tiny_store(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A GeoPackage with one district, one river, one section and two outlets (Wuhan area)."""
    path = tmp_path_factory.mktemp("store") / "tiny.gpkg"
    outlet = {
        "type_l1": "工业排污口",
        "receiving_water": "汉江",
        "district": "江岸区",
        "district_code": "420102",
    }
    open_store(path).write(
        {
            "districts": _layer(
                "districts",
                [{"code": "420102", "name": "江岸区", "level": "区县"}],
                [box(114.20, 30.55, 114.40, 30.70)],
            ),
            "rivers": _layer(
                "rivers",
                [{"code": "R1", "name": "汉江", "kind": "干流"}],
                [LineString([(114.22, 30.57), (114.38, 30.68)])],
            ),
            "sections": _layer(
                "sections",
                [
                    {
                        "code": "S1",
                        "name": "宗关",
                        "river": "汉江",
                        "control_level": "国控",
                        "target_class": "III",
                    }
                ],
                [Point(114.30, 30.62)],
            ),
            "outlets": _layer(
                "outlets",
                [
                    {"code": "O1", "name": "一号排污口", "stage": "整治完成", **outlet},
                    {
                        "code": "O2",
                        "name": "<script>alert(1)</script>",
                        "stage": "已排查",
                        **outlet,
                    },
                ],
                [Point(114.25, 30.60), Point(114.35, 30.65)],
            ),
        }
    )
    return path
