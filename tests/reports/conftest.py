"""A small hand-built siting result for the report tests, with hostile names in it."""

from __future__ import annotations

from pathlib import Path

import geopandas as gpd
import pytest
from shapely import LineString, Point, box

from geomon import siting
from geomon.store import open_store

GK = 4547  # CGCS2000 / 3-degree Gauss-Kruger CM 114E
E, N = 400_000.0, 3_365_000.0
SCRIPT = "<script>alert('x')</script>"
FORMULA = '=HYPERLINK("http://evil.example","点我")'


def _frame(rows: list[dict], geoms: list) -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame(rows, geometry=geoms, crs=GK).to_crs(4326)


@pytest.fixture(scope="module")
def store(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A GeoPackage with one red line (with a script name) and a 二级 zone, versioned."""
    path = tmp_path_factory.mktemp("siting") / "s.gpkg"
    open_store(path).write(
        {
            "red_lines": _frame(
                [{"code": "R1", "name": f"红线{SCRIPT}", "core_zone": False}],
                [box(E + 1200, N, E + 2000, N + 1000)],
            ),
            "protection_zones": _frame(
                [{"code": "Z1", "source_name": "第一水厂水源地", "level": "二级"}],
                [box(E - 500, N, E + 500, N + 1000)],
            ),
        },
        source="批复矢量 <b>2023</b>.shp",
        version="2023 批复版",
    )
    return path


@pytest.fixture(scope="module")
def result(store: Path) -> siting.SitingResult:
    """Three projects: restricted (+ near a red line), a line clear of everything, a point."""
    projects = _frame(
        [
            {"id": "P1", "name": f"食品厂{SCRIPT}", "kind": "工业", "discharges_wastewater": False},
            {"id": "P2", "name": FORMULA, "kind": "线性基础设施", "discharges_wastewater": False},
            {"id": "P3", "name": "泵站 & 管线", "kind": "供水设施", "discharges_wastewater": False},
        ],
        [
            box(E, N, E + 1000, N + 1000),
            LineString([(E, N + 5000), (E + 2000, N + 5200)]),
            Point(E + 4000, N - 4000),
        ],
    )
    return siting.check(projects, open_store(store))
