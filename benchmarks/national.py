"""National-scale synthetic dataset for `benchmarks/run.py` (issue 7): deterministic, cached.

Sizes follow the 2023 national survey (~195,000 outlets): 200,000 outlets along 600 synthetic
rivers, 10,000 monitoring sections (six monthly samples each), 5,000 red-line polygons of 200
vertices, 2,000 drinking-water source protection zones, 40,000 control units (a 200 × 200 grid
tiling China's extent) and 20,000 projects (boxes, roads, points). Everything is drawn directly
in EPSG:4326 over China's extent (73.5–135°E, 18–53.5°N; rivers mostly in the east, where the
outlets are) with one seeded `numpy.random.Generator` drawn from in a fixed order, and typed per
the layer specs with `geomon.validate.apply_dtypes`.

``build_national()`` returns the frames; ``national_store()`` writes them once to
``benchmarks/out/national-v1.gpkg`` (gitignored) with ``open_store(path).write(..., mode=
"replace")`` and returns the path; later calls reuse the file. Run ``python
benchmarks/national.py`` to (re)build it and print the layer sizes.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from geomon.demo.tables import OUTLET_TYPES
from geomon.specs import get_spec
from geomon.store import open_store
from geomon.validate import apply_dtypes

SEED = 20260701
VERSION = 1
OUT_DIR = Path(__file__).with_name("out")
STORE_PATH = OUT_DIR / f"national-v{VERSION}.gpkg"

N_RIVERS = 600
RIVER_VERTICES = 240
N_OUTLETS = 200_000
N_SECTIONS = 10_000
N_SAMPLES = 6  # monthly, Jan–Jun 2023
N_RED_LINES = 5_000
RED_LINE_VERTICES = 200
N_ZONES = 2_000
ZONE_VERTICES = 64
GRID = 200  # control units: GRID × GRID = 40,000
N_PROJECTS = 20_000
N_DISTRICTS = 2_800  # county-level codes (China has ~2,850)

LON0, LON1, LAT0, LAT1 = 73.5, 135.0, 18.0, 53.5  # China's extent
EAST = (98.0, 122.0, 21.0, 42.0)  # where most rivers and outlets are
PRECISION = 1e-7  # degrees (~1 cm), as the demo

BASINS = ("长江", "黄河", "珠江", "松花江", "淮河", "海河", "辽河", "浙闽片河流")
PROVINCES = (11, 12, 13, 14, 15, 21, 22, 23, 31, 32, 33, 34, 35, 36, 37, 41, 42, 43, 44, 45,
             46, 50, 51, 52, 53, 54, 61, 62, 63, 64, 65)  # fmt: skip


def _districts(rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """(code, name) of `N_DISTRICTS` distinct GB/T 2260-shaped county codes."""
    prov = rng.choice(PROVINCES, size=N_DISTRICTS * 2)
    city = rng.integers(1, 30, size=N_DISTRICTS * 2)
    county = rng.integers(1, 30, size=N_DISTRICTS * 2)
    codes = pd.unique(
        pd.Series([f"{p}{c:02d}{k:02d}" for p, c, k in zip(prov, city, county, strict=True)])
    )[:N_DISTRICTS]
    names = np.array([f"区县{c}" for c in codes], dtype=object)
    return np.asarray(codes, dtype=object), names


def _rivers(rng: np.random.Generator) -> np.ndarray:
    """`N_RIVERS` meandering polylines (random walks with momentum) over China's extent."""
    east = rng.random(N_RIVERS) < 0.8
    lon0 = np.where(east, rng.uniform(EAST[0], EAST[1], N_RIVERS), rng.uniform(80, 100, N_RIVERS))
    lat0 = np.where(east, rng.uniform(EAST[2], EAST[3], N_RIVERS), rng.uniform(28, 45, N_RIVERS))
    heading = rng.uniform(-0.6, 0.6, N_RIVERS)  # mostly eastwards, like China's rivers
    step = rng.uniform(0.005, 0.02, N_RIVERS)  # degrees per vertex: rivers 1–5° long
    turns = rng.normal(0.0, 0.15, size=(N_RIVERS, RIVER_VERTICES - 1))
    angles = heading[:, None] + np.cumsum(turns, axis=1) * 0.3
    angles = np.clip(angles, -1.3, 1.3)
    dx = step[:, None] * np.cos(angles)
    dy = step[:, None] * np.sin(angles)
    x = np.concatenate([lon0[:, None], lon0[:, None] + np.cumsum(dx, axis=1)], axis=1)
    y = np.concatenate([lat0[:, None], lat0[:, None] + np.cumsum(dy, axis=1)], axis=1)
    x, y = np.clip(x, LON0, LON1), np.clip(y, LAT0, LAT1)
    return shapely.linestrings(np.stack([x, y], axis=-1))


def _on_rivers(
    rng: np.random.Generator, rivers: np.ndarray, n: int, offset: float
) -> tuple[np.ndarray, np.ndarray]:
    """(river index, (n, 2) lon/lat) of `n` points along rivers, up to `offset` degrees off."""
    idx = rng.integers(0, len(rivers), size=n)
    pts = shapely.line_interpolate_point(rivers[idx], rng.random(n), normalized=True)
    xy = shapely.get_coordinates(pts) + rng.uniform(-offset, offset, size=(n, 2))
    return idx, xy


def _rings(
    rng: np.random.Generator, centres: np.ndarray, radii: np.ndarray, n: int, noise: float
) -> np.ndarray:
    """Polygons: circles (radius in degrees of latitude) with smooth radial noise."""
    t = np.linspace(0.0, 2 * np.pi, n, endpoint=False)
    k = len(centres)
    wobble = np.zeros((k, n))
    for h in (2, 3, 5, 7):
        amp = rng.uniform(0, noise / h, size=(k, 1))
        phase = rng.uniform(0, 2 * np.pi, size=(k, 1))
        wobble += amp * np.sin(h * t + phase)
    r = radii[:, None] * (1.0 + wobble)
    stretch = 1.0 / np.cos(np.deg2rad(centres[:, 1:]))  # round on the ground
    xy = np.stack([centres[:, :1] + r * stretch * np.cos(t), centres[:, 1:] + r * np.sin(t)], -1)
    return shapely.polygons(np.concatenate([xy, xy[:, :1]], axis=1))


def _pick(rng: np.random.Generator, values: list[str] | tuple[str, ...], n: int) -> np.ndarray:
    return np.asarray(values, dtype=object)[rng.integers(0, len(values), size=n)]


def _values(layer: str, name: str) -> list[str]:
    return [v.value for v in get_spec(layer).field(name).values]


def _dates(rng: np.random.Generator, n: int, start: str, days: int, blank: float) -> pd.Series:
    out = pd.Timestamp(start) + pd.to_timedelta(rng.integers(0, days, size=n), unit="D")
    return pd.Series(out).where(rng.random(n) >= blank)


def _frame(layer: str, columns: dict[str, object], geometry: np.ndarray | None) -> pd.DataFrame:
    frame: pd.DataFrame = pd.DataFrame(columns)
    if geometry is not None:
        geometry = shapely.set_precision(geometry, PRECISION)
        frame = gpd.GeoDataFrame(frame, geometry=geometry, crs=4326)
    spec = get_spec(layer)
    typed = apply_dtypes(frame, spec)
    return typed[[*spec.field_names, *(["geometry"] if spec.is_spatial else [])]]


def build_national() -> dict[str, pd.DataFrame]:
    """Every layer of the national dataset, typed per its spec, EPSG:4326. Deterministic."""
    rng = np.random.default_rng(SEED)
    dcodes, dnames = _districts(rng)
    rivers = _rivers(rng)
    river_names = np.array([f"河流{i:04d}" for i in range(N_RIVERS)], dtype=object)
    river_codes = np.array([f"CJ{i:04d}" for i in range(N_RIVERS)], dtype=object)
    river_basin = _pick(rng, BASINS, N_RIVERS)

    # outlets: along rivers, within ~200 m
    r_idx, xy = _on_rivers(rng, rivers, N_OUTLETS, 0.002)
    weights = np.array([t[4] for t in OUTLET_TYPES], dtype=float)
    kind = rng.choice(len(OUTLET_TYPES), size=N_OUTLETS, p=weights / weights.sum())
    types = np.array([t[:4] for t in OUTLET_TYPES], dtype=object)[kind]
    d_idx = rng.integers(0, N_DISTRICTS, size=N_OUTLETS)
    serial = pd.Series(d_idx).groupby(d_idx).cumcount().to_numpy() + 1
    codes = [
        f"{river_codes[r]}{dcodes[d]}{t}{s:04d}"
        for r, d, t, s in zip(r_idx, d_idx, types[:, 3], serial, strict=True)
    ]
    stages = _values("outlets", "stage")
    stage = _pick(rng, stages, N_OUTLETS)
    done = np.isin(stage, ["整治完成", "已销号"])
    outlets = _frame(
        "outlets",
        {
            "code": codes,
            "local_code": [f"PWK{i:06d}" for i in range(N_OUTLETS)],
            "name": [f"{river_names[r]}{t}{i:06d}号排口" for i, (r, t)
                     in enumerate(zip(r_idx, types[:, 1], strict=True))],
            "type_l1": types[:, 0],
            "type_l2": types[:, 1],
            "type_l3": types[:, 2],
            "receiving_water": river_names[r_idx],
            "receiving_water_code": river_codes[r_idx],
            "water_body_kind": "河流",
            "discharge_mode": _pick(rng, _values("outlets", "discharge_mode"), N_OUTLETS),
            "district": dnames[d_idx],
            "district_code": dcodes[d_idx],
            "township": _pick(rng, [f"乡镇{i:02d}" for i in range(40)], N_OUTLETS),
            "address": None,
            "responsible_unit": _pick(rng, [f"责任单位{i:03d}" for i in range(500)], N_OUTLETS),
            "category": _pick(rng, _values("outlets", "category"), N_OUTLETS),
            "stage": stage,
            "traced_date": _dates(rng, N_OUTLETS, "2022-01-01", 540, 0.3),
            "deadline": _dates(rng, N_OUTLETS, "2023-01-01", 730, 0.1),
            "completed_date": _dates(rng, N_OUTLETS, "2022-06-01", 390, 0.0).where(done),
            "sign_installed": rng.random(N_OUTLETS) < 0.7,
            "survey_date": _dates(rng, N_OUTLETS, "2021-06-01", 365, 0.0),
            "notes": None,
        },
        shapely.points(xy),
    )  # fmt: skip

    # sections and their monitoring
    s_idx, sxy = _on_rivers(rng, rivers, N_SECTIONS, 0.0)
    sd = rng.integers(0, N_DISTRICTS, size=N_SECTIONS)
    level = rng.choice(_values("sections", "control_level"), N_SECTIONS, p=[0.3, 0.3, 0.3, 0.1])
    section_codes = np.array([f"DM{i:05d}" for i in range(N_SECTIONS)], dtype=object)
    sections = _frame(
        "sections",
        {
            "code": section_codes,
            "name": [f"{river_names[r]}断面{i:05d}" for i, r in enumerate(s_idx)],
            "river": river_names[s_idx],
            "basin": river_basin[s_idx],
            "water_system": None,
            "control_level": level,
            "target_class": rng.choice(["II", "III", "IV"], N_SECTIONS, p=[0.3, 0.5, 0.2]),
            "water_body_type": "河流",
            "cross_boundary": rng.random(N_SECTIONS) < 0.1,
            "boundary_level": None,
            "handover": None,
            "district": dnames[sd],
            "district_code": dcodes[sd],
            "auto_station": rng.random(N_SECTIONS) < 0.4,
        },
        shapely.points(sxy),
    )
    m = N_SECTIONS * N_SAMPLES
    quality = rng.lognormal(0.0, 0.45, size=m)  # one factor per sample: all parameters move
    monitoring = _frame(
        "monitoring",
        {
            "section_code": np.repeat(section_codes, N_SAMPLES),
            "date": np.tile(pd.date_range("2023-01-10", periods=N_SAMPLES, freq="MS"), N_SECTIONS)
            + pd.Timedelta(days=9),
            "target": None,
            "WT": rng.uniform(4, 28, m).round(1),
            "pH": rng.uniform(6.8, 8.4, m).round(2),
            "DO": (8.5 / quality).round(2),
            "CODMn": (3.2 * quality).round(1),
            "COD": (14.0 * quality).round(0),
            "BOD5": (2.4 * quality).round(1),
            "NH3N": (0.45 * quality).round(3),
            "TP": (0.12 * quality).round(3),
            "TN": (1.6 * quality).round(2),
        },
        None,
    )

    # red lines: noisy circles 0.5–3 km, many near rivers
    near = rng.random(N_RED_LINES) < 0.6
    _, rxy = _on_rivers(rng, rivers, N_RED_LINES, 0.05)
    anywhere = np.column_stack(
        [rng.uniform(LON0 + 2, LON1 - 2, N_RED_LINES), rng.uniform(LAT0 + 2, LAT1 - 2, N_RED_LINES)]
    )
    centres = np.where(near[:, None], rxy, anywhere)
    red_geoms = _rings(rng, centres, rng.uniform(0.005, 0.03, N_RED_LINES), RED_LINE_VERTICES, 0.25)
    rd = rng.integers(0, N_DISTRICTS, size=N_RED_LINES)
    red_lines = _frame(
        "red_lines",
        {
            "code": [f"HX{i:05d}" for i in range(N_RED_LINES)],
            "name": [f"生态保护红线{i:05d}" for i in range(N_RED_LINES)],
            "eco_function": _pick(rng, _values("red_lines", "eco_function"), N_RED_LINES),
            "eco_type": _pick(rng, _values("red_lines", "eco_type"), N_RED_LINES),
            "core_zone": rng.random(N_RED_LINES) < 0.1,
            "district": dnames[rd],
            "version": "2023",
        },
        red_geoms,
    )

    # drinking-water source protection zones: on rivers, 1–3 km
    _, zxy = _on_rivers(rng, rivers, N_ZONES, 0.0)
    zone_geoms = _rings(rng, zxy, rng.uniform(0.01, 0.03, N_ZONES), ZONE_VERTICES, 0.15)
    zd = rng.integers(0, N_DISTRICTS, size=N_ZONES)
    protection_zones = _frame(
        "protection_zones",
        {
            "code": [f"SY{i:05d}" for i in range(N_ZONES)],
            "source_name": [f"水源地{i // 2:04d}" for i in range(N_ZONES)],
            "source_code": [f"SYD{i // 2:04d}" for i in range(N_ZONES)],
            "level": rng.choice(_values("protection_zones", "level"), N_ZONES, p=[0.3, 0.5, 0.2]),
            "zone_part": _pick(rng, _values("protection_zones", "zone_part"), N_ZONES),
            "source_type": "河流型",
            "source_scale": _pick(rng, _values("protection_zones", "source_scale"), N_ZONES),
            "district": dnames[zd],
            "approval_doc": None,
            "approval_date": _dates(rng, N_ZONES, "2015-01-01", 2000, 0.2),
        },
        zone_geoms,
    )

    # control units: a GRID × GRID tiling of the extent
    gx = np.linspace(LON0, LON1, GRID + 1)
    gy = np.linspace(LAT0, LAT1, GRID + 1)
    x0, y0 = np.meshgrid(gx[:-1], gy[:-1])
    x1, y1 = np.meshgrid(gx[1:], gy[1:])
    n_units = GRID * GRID
    unit_type = rng.choice(_values("control_units", "unit_type"), n_units, p=[0.3, 0.3, 0.4])
    cd = rng.integers(0, N_DISTRICTS, size=n_units)
    digit = {"优先保护单元": 1, "重点管控单元": 2, "一般管控单元": 3}
    control_units = _frame(
        "control_units",
        {
            "code": [f"ZH{dcodes[d]}{digit[t]}{i:05d}" for i, (d, t)
                     in enumerate(zip(cd, unit_type, strict=True))],
            "name": [f"管控单元{i:05d}" for i in range(n_units)],
            "unit_type": unit_type,
            "subtype": None,
            "district": dnames[cd],
            "district_code": dcodes[cd],
            "admission": None,
        },
        shapely.box(x0.ravel(), y0.ravel(), x1.ravel(), y1.ravel()),
    )  # fmt: skip

    # projects: boxes, roads and points near rivers (so some touch zones and red lines)
    _, pxy = _on_rivers(rng, rivers, N_PROJECTS, 0.05)
    size = rng.uniform(0.002, 0.02, size=(N_PROJECTS, 2))
    pk = rng.integers(0, 3, size=N_PROJECTS)  # 0 box, 1 road, 2 point
    geoms = np.where(
        pk == 0,
        shapely.box(pxy[:, 0], pxy[:, 1], pxy[:, 0] + size[:, 0], pxy[:, 1] + size[:, 1]),
        np.where(
            pk == 1,
            shapely.linestrings(
                np.stack([pxy, pxy + size * [1.0, 0.3], pxy + size * [2.0, -0.2]], axis=1)
            ),
            shapely.points(pxy),
        ),
    )
    kinds = _values("projects", "kind")
    pd_idx = rng.integers(0, N_DISTRICTS, size=N_PROJECTS)
    projects = _frame(
        "projects",
        {
            "id": [f"XM{i:05d}" for i in range(N_PROJECTS)],
            "name": [f"建设项目{i:05d}" for i in range(N_PROJECTS)],
            "kind": np.where(pk == 1, "线性基础设施", _pick(rng, kinds, N_PROJECTS)),
            "activity": None,
            "discharges_wastewater": pk != 1,
            "status": _pick(rng, _values("projects", "status"), N_PROJECTS),
            "developer": None,
            "district": dnames[pd_idx],
        },
        geoms,
    )

    rivers_frame = _frame(
        "rivers",
        {"code": river_codes, "name": river_names, "kind": "干流", "basin": river_basin,
         "downstream": None},
        rivers,
    )  # fmt: skip
    return {
        "rivers": rivers_frame,
        "outlets": outlets,
        "sections": sections,
        "monitoring": monitoring,
        "red_lines": red_lines,
        "protection_zones": protection_zones,
        "control_units": control_units,
        "projects": projects,
    }


def national_store(*, rebuild: bool = False) -> Path:
    """The cached national GeoPackage, built (≈ a minute) if missing or `rebuild`."""
    if STORE_PATH.exists() and not rebuild:
        return STORE_PATH
    OUT_DIR.mkdir(parents=True, exist_ok=True)
    tmp = STORE_PATH.with_suffix(".tmp.gpkg")
    tmp.unlink(missing_ok=True)
    frames = build_national()
    open_store(tmp).write(frames, mode="replace", source="benchmarks/national.py",
                          version=f"national v{VERSION}", user="benchmark")  # fmt: skip
    tmp.replace(STORE_PATH)
    return STORE_PATH


if __name__ == "__main__":
    t0 = time.perf_counter()
    path = national_store(rebuild="--rebuild" in sys.argv)
    store = open_store(path)
    for name in store.layer_names():
        print(f"{name:<18} {len(store.read(name)):>8,}")
    print(f"{path} ({path.stat().st_size / 2**20:.0f} MiB) in {time.perf_counter() - t0:.1f} s")
