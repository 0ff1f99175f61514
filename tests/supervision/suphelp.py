"""Helpers for the supervision tests: a small hand-made store (one district, one section,
two outlets) and photos.

Outlet O1 is rectified; O2 (already surveyed only) was due on 2023-06-30, so it is overdue from
2023-07-01. The section S1 has no district code: a problem about it takes the district polygon's.
"""

from __future__ import annotations

import io

import geopandas as gpd
from shapely.geometry import Point, box

from geomon.store import Store
from geomon.validate import apply_dtypes


def _layer(name: str, rows: list[dict], geoms: list) -> gpd.GeoDataFrame:
    return apply_dtypes(gpd.GeoDataFrame(rows, geometry=geoms, crs=4326), name)


def seed(store: Store) -> Store:
    """Write the small layers into `store` (dated 2023-01-01) and return it."""
    outlet = {
        "type_l1": "工业排污口",
        "receiving_water": "汉江",
        "district": "江岸区",
        "district_code": "420102",
        "responsible_unit": "江岸区水务局",
    }
    store.write(
        {
            "districts": _layer(
                "districts",
                [{"code": "420102", "name": "江岸区", "level": "区县"}],
                [box(114.20, 30.55, 114.40, 30.70)],
            ),
            "sections": _layer(
                "sections",
                [{"code": "S1", "name": "宗关", "river": "汉江", "control_level": "国控"}],
                [Point(114.30, 30.62)],
            ),
            "outlets": _layer(
                "outlets",
                [
                    {"code": "O1", "name": "一号排污口", "stage": "整治完成", **outlet},
                    {
                        "code": "O2",
                        "name": "二号排污口",
                        "stage": "已排查",
                        "deadline": "2023-06-30",
                        **outlet,
                    },
                ],
                [Point(114.25, 30.60), Point(114.35, 30.65)],
            ),
        },
        at="2023-01-01",
    )
    return store


def jpeg(color: tuple[int, int, int] = (200, 30, 30), size: tuple[int, int] = (64, 48)) -> bytes:
    """A small JPEG without EXIF."""
    from PIL import Image

    out = io.BytesIO()
    Image.new("RGB", size, color).save(out, format="JPEG")
    return out.getvalue()
