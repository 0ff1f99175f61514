"""Synthetic demo dataset: 江汉市, a fictional city shaped after a real bureau's H1-2023 report.

Everything here is invented: the city, its districts, rivers, outlets, monitoring sections,
values, zones and projects. Only the *shape* of the numbers follows the 潜江市 H1-2023 work
report (DOMAIN.md §6.2): 113 river outlets of which 110 are rectified, 16 lake outlets, and
6 national + 9 provincial sections of which 5 and 8 are class Ⅰ–Ⅲ on the Jan–Jun cumulative
mean (83.3 % and 88.9 %). The outlet type mix follows the 2023 Yellow River survey (DOMAIN §2.2).

Geometry is built in metres on the CGCS2000 3° Gauss–Krüger plane (EPSG:4547, CM 114°E) and
returned in EPSG:4326. The generator is deterministic: one seeded `numpy.random.Generator`
drawn from in a fixed order, and no use of the clock. ``data/README.md`` describes the data and
its planted problems (an outlet inside a 二级 zone, a section without a target class).

The package: `tables` holds the fixed data tables, `geometry` the drawing helpers and the base
map (city, districts, rivers, lake), `constraints` the protection zones, red lines, control units
and projects, `records` the outlets, sections and monitoring samples; this module assembles the
layers (`build_demo`) and writes them (`write_demo`).
"""

from __future__ import annotations

from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pyogrio
import shapely

from geomon.demo import constraints, geometry, records, stations
from geomon.demo.geometry import METRIC_CRS
from geomon.demo.tables import (
    BASIN,
    CANAL,
    CITY,
    LAKE,
    MAIN,
    PLANTED_OUTLET_CODE,
    PLANTED_SECTION_CODE,
    SEED,
    TRIB_N,
    TRIB_S,
)
from geomon.monitoring import hj212, readings
from geomon.specs import get_spec
from geomon.store import Store, WriteStats, open_store
from geomon.validate import apply_dtypes

__all__ = [
    "BASIN",
    "CANAL",
    "CITY",
    "GDAL_DATE",
    "LAKE",
    "MAIN",
    "METRIC_CRS",
    "PLANTED_OUTLET_CODE",
    "PLANTED_SECTION_CODE",
    "SEED",
    "SOURCE",
    "TRIB_N",
    "TRIB_S",
    "VERSION",
    "build_demo",
    "write_demo",
    "write_station_data",
]

SOURCE = "geomon demo (synthetic)"
VERSION = "演示数据 2023H1"
GDAL_DATE = "2023-07-01T00:00:00Z"  # OGR_CURRENT_DATE while writing: stable GPKG timestamps
_PRECISION = 1e-7  # output grid in degrees (~1 cm)


def _finish(layer: str, frame: pd.DataFrame) -> pd.DataFrame:
    """Reproject to EPSG:4326 on a 1e-7° grid; exactly the spec's columns, typed per the spec."""
    if isinstance(frame, gpd.GeoDataFrame):
        frame = frame.to_crs(4326)
        frame = frame.set_geometry(shapely.set_precision(frame.geometry.values, _PRECISION))
    spec = get_spec(layer)
    typed = apply_dtypes(frame.reset_index(drop=True), spec)
    return typed[[*spec.field_names, *(["geometry"] if spec.is_spatial else [])]]


def build_demo() -> dict[str, pd.DataFrame]:
    """
    Build the synthetic demo dataset: one typed frame per layer.

    Spatial layers are GeoDataFrames in EPSG:4326; ``monitoring`` is a plain DataFrame. Columns
    are exactly the layer spec's fields (plus ``geometry``), enum values canonical, dates
    pandas Timestamps. Every call returns the same data (fixed seed, no clock).

    Examples
    --------
    >>> frames = build_demo()
    >>> int((frames["outlets"]["water_body_kind"] == "河流").sum())
    113
    """
    rng = np.random.default_rng(SEED)
    w = geometry.world(rng)
    zones = constraints.protection_zones(w)
    red = constraints.red_lines(w)
    outlets = records.outlets(w, zones, red, rng)
    sections = records.sections(w)
    frames: dict[str, pd.DataFrame] = {
        **geometry.base_layers(w),
        "outlets": outlets,
        "sections": sections,
        "monitoring": records.monitoring(sections, rng),
        "protection_zones": zones,
        "red_lines": red,
        "control_units": constraints.control_units(w, zones, red),
        "projects": constraints.projects(w, red),
    }
    return {name: _finish(name, frame) for name, frame in frames.items()}


AS_OF = "2023-06-30T12:00:00+08:00"


def write_demo(path: str | Path) -> dict[str, WriteStats]:
    """
    Write the demo dataset to a fresh GeoPackage at `path`, all layers in one store write.

    An existing file is deleted first. GDAL's ``OGR_CURRENT_DATE`` is pinned while writing so
    the GeoPackage's own timestamps do not change between runs (the store's ``imported_at``
    still records the real time). Returns the store's `WriteStats` per layer.
    """
    path = Path(path)
    path.unlink(missing_ok=True)
    frames = build_demo()
    before = pyogrio.get_gdal_config_option("OGR_CURRENT_DATE")
    pyogrio.set_gdal_config_options({"OGR_CURRENT_DATE": GDAL_DATE})
    try:
        store = open_store(path)
        stats = store.write(
            frames,
            mode="replace",
            source=SOURCE,
            version=VERSION,
            user="geomon demo",
            at=AS_OF,  # the ledgers' date, so "as of" reports for H1 2023 see the demo data
        )
        # issue #20: problems with their history (dated after AS_OF) and evidence files
        from geomon.demo import problems  # noqa: PLC0415  (imports the supervision package)

        problems.write_problems(store)
        write_station_data(store, frames["sections"], path.parent / stations.LOG_NAME)
        return stats
    finally:
        pyogrio.set_gdal_config_options({"OGR_CURRENT_DATE": before})


def write_station_data(store: Store, sections: pd.DataFrame, log_path: Path) -> int:
    """
    Write the June 2023 HJ 212 log (`geomon.demo.stations`) to `log_path` and its readings to
    `store`, as ``geomon readings import --skip-invalid`` would: the CRC-broken packet is left
    out. Returns the number of readings written.
    """
    log = stations.packet_log(np.random.default_rng(SEED + 212))
    log_path.write_bytes(log.encode("ascii"))
    parsed = hj212.parse(log.encode("ascii"))
    frame, _ = readings.match_sections(parsed, sections)
    result = store.write_readings(
        frame.drop(columns="line"), mode="replace", user="geomon demo", source=log_path.name
    )
    return result.rows
