"""Siting benchmark: `geomon.siting.check` against 5,000 red-line polygons, vs `geopandas.overlay`.

Synthetic, deterministic (seed 20240501) data on the CGCS2000 3° GK plane CM 114°E (EPSG:4547),
converted to EPSG:4326 like stored layers: 5,000 red-line polygons of 200 vertices (noisy
circles, radius 200–1,500 m) scattered over ~180 km × 200 km around 113.5°E 30.5°N; one project
of 5,000 vertices (~16 km across) in the middle; a batch of 1,000 projects (boxes, roads,
points). Both tools start from EPSG:4326 frames; the peer projects to EPSG:4547, runs
``geopandas.overlay(how="intersection")`` and takes areas. `check` also finds "near" features
(500 m buffer) and geodesic figures, which the overlay does not.

Run: ``python benchmarks/siting.py`` → prints a table and writes
``benchmarks/results_siting.json`` (rows: figure, value, unit, target, meets_target, peer,
peer_value). Not a test.
"""

from __future__ import annotations

import json
import platform
import statistics
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import shapely

from geomon import siting

SEED = 20240501
GK = 4547
CENTRE = np.array([450_000.0, 3_375_000.0])  # ≈ 113.48°E 30.50°N on EPSG:4547
N_RED_LINES = 5_000
RED_LINE_VERTICES = 200
PROJECT_VERTICES = 5_000
N_BATCH = 1_000
REPEAT = 3
OUT = Path(__file__).with_name("results_siting.json")


def _noisy_rings(
    rng: np.random.Generator, centres: np.ndarray, radii: np.ndarray, n: int, noise: float
) -> np.ndarray:
    """Closed rings (k, n + 1, 2): circles with smooth radial noise (a few harmonics)."""
    t = np.linspace(0.0, 2 * np.pi, n, endpoint=False)
    k = len(centres)
    wobble = np.zeros((k, n))
    for h in (2, 3, 5, 7):
        amp = rng.uniform(0, noise / h, size=(k, 1))
        phase = rng.uniform(0, 2 * np.pi, size=(k, 1))
        wobble += amp * np.sin(h * t + phase)
    r = radii[:, None] * (1.0 + wobble)
    xy = np.stack([centres[:, :1] + r * np.cos(t), centres[:, 1:] + r * np.sin(t)], axis=-1)
    return np.concatenate([xy, xy[:, :1]], axis=1)


def build_inputs() -> tuple[gpd.GeoDataFrame, gpd.GeoDataFrame, gpd.GeoDataFrame]:
    """Red lines, the one big project, the batch: all EPSG:4326, deterministic."""
    rng = np.random.default_rng(SEED)
    centres = CENTRE + rng.uniform([-90_000, -100_000], [90_000, 100_000], size=(N_RED_LINES, 2))
    radii = rng.uniform(200.0, 1_500.0, size=N_RED_LINES)
    rings = _noisy_rings(rng, centres, radii, RED_LINE_VERTICES, noise=0.25)
    red = gpd.GeoDataFrame(
        {"code": [f"HX{i:05d}" for i in range(N_RED_LINES)], "name": "红线", "core_zone": False},
        geometry=shapely.make_valid(shapely.polygons(rings)),
        crs=GK,
    )
    big_ring = _noisy_rings(rng, CENTRE[None, :], np.array([8_000.0]), PROJECT_VERTICES, 0.3)
    big = gpd.GeoDataFrame(
        {"id": ["BIG"], "name": ["大型园区"], "kind": ["工业园区"], "activity": ["园区开发"],
         "discharges_wastewater": [True]},
        geometry=shapely.make_valid(shapely.polygons(big_ring)),
        crs=GK,
    )  # fmt: skip
    at = CENTRE + rng.uniform([-90_000, -100_000], [90_000, 100_000], size=(N_BATCH, 2))
    size = rng.uniform(200.0, 2_000.0, size=(N_BATCH, 2))
    kind = rng.integers(0, 3, size=N_BATCH)  # 0 box, 1 road, 2 point
    geoms = np.where(
        kind == 0,
        shapely.box(at[:, 0], at[:, 1], at[:, 0] + size[:, 0], at[:, 1] + size[:, 1]),
        np.where(
            kind == 1,
            shapely.linestrings(
                np.stack([at, at + size * [1.0, 0.3], at + size * [2.0, -0.2]], axis=1)
            ),
            shapely.points(at),
        ),
    )
    batch = gpd.GeoDataFrame(
        {"id": [f"XM{i:04d}" for i in range(N_BATCH)], "name": "项目",
         "kind": np.where(kind == 1, "线性基础设施", "工业"), "activity": None,
         "discharges_wastewater": kind != 1},
        geometry=geoms,
        crs=GK,
    )  # fmt: skip
    return red.to_crs(4326), big.to_crs(4326), batch.to_crs(4326)


def _best(fn: Callable[[], Any]) -> tuple[float, float, Any]:
    times, out = [], None
    for _ in range(REPEAT):
        t0 = time.perf_counter()
        out = fn()
        times.append(time.perf_counter() - t0)
    return min(times), statistics.median(times), out


def _overlay(projects: gpd.GeoDataFrame, red: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    polys = projects[projects.geom_type.isin(["Polygon", "MultiPolygon"])]
    out = gpd.overlay(polys.to_crs(GK), red.to_crs(GK), how="intersection", keep_geom_type=True)
    out["area"] = out.area
    return out


def _row(figure: str, value: float, unit: str, target: str, meets: bool, peer: str,
         peer_value: float | None) -> dict[str, Any]:  # fmt: skip
    return {
        "figure": figure,
        "value": round(value, 4),
        "unit": unit,
        "target": target,
        "meets_target": bool(meets),
        "peer": peer,
        "peer_value": None if peer_value is None else round(peer_value, 4),
    }


def main() -> list[dict[str, Any]]:
    t0 = time.perf_counter()
    red, big, batch = build_inputs()
    print(f"inputs built in {time.perf_counter() - t0:.1f} s: {len(red)} red lines × "
          f"{RED_LINE_VERTICES} vertices, project of {PROJECT_VERTICES} vertices, "
          f"batch of {len(batch)}")  # fmt: skip
    layers = {"red_lines": red}
    siting.check(big, layers)  # warm-up: transformer and rule-table caches

    ours_big, ours_big_med, res_big = _best(lambda: siting.check(big, layers))
    peer_big, peer_big_med, ov_big = _best(lambda: _overlay(big, red))
    ours_batch, ours_batch_med, res_batch = _best(lambda: siting.check(batch, layers))
    peer_batch, peer_batch_med, ov_batch = _best(lambda: _overlay(batch, red))

    ours_area = float(res_big.conflicts["overlap_area_m2"].sum())
    peer_area = float(ov_big["area"].sum())
    poly_ids = set(batch.loc[batch.geom_type == "Polygon", "id"])
    ours_batch_area = float(
        res_batch.conflicts.loc[res_batch.conflicts["project_id"].isin(poly_ids),
                                "overlap_area_m2"].sum()
    )  # fmt: skip
    peer_batch_area = float(ov_batch["area"].sum())
    agree = max(
        abs(ours_area - peer_area) / peer_area,
        abs(ours_batch_area - peer_batch_area) / peer_batch_area,
    )
    peer = "geopandas.overlay (to_crs EPSG:4547 + overlay + area)"
    rows = [
        _row(f"one project ({PROJECT_VERTICES:,} vertices) vs {N_RED_LINES:,} red lines "
             f"({RED_LINE_VERTICES} vertices each): geomon.siting.check, best of {REPEAT}",
             ours_big, "s", "<= 1.0 s (interactive)", ours_big <= 1.0, peer, peer_big),
        _row(f"batch of {N_BATCH:,} projects vs {N_RED_LINES:,} red lines: "
             f"geomon.siting.check, best of {REPEAT}",
             ours_batch, "s", "<= 10 s", ours_batch <= 10.0, peer + " (polygons only)",
             peer_batch),
        _row("one project: conflicts found (overlaps + within 500 m)",
             float(len(res_big.conflicts)), "features", "overlaps >= peer's count",
             (res_big.conflicts["relation"] != "near").sum() >= len(ov_big), peer,
             float(len(ov_big))),
        _row("one project: total overlap area (GK plane)", ours_area, "m2",
             "equal to the peer within 1e-6", abs(ours_area - peer_area) <= 1e-6 * peer_area,
             peer, peer_area),
        _row("largest relative difference in overlap area vs the peer", agree, "ratio",
             "<= 1e-6", agree <= 1e-6, peer, 0.0),
        _row("one project: median of repeats", ours_big_med, "s", "<= 1.0 s",
             ours_big_med <= 1.0, peer, peer_big_med),
        _row("batch: median of repeats", ours_batch_med, "s", "<= 10 s",
             ours_batch_med <= 10.0, peer, peer_batch_med),
    ]  # fmt: skip
    OUT.write_text(json.dumps(rows, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    width = max(len(r["figure"]) for r in rows)
    for r in rows:
        print(f"{r['figure']:<{width}}  {r['value']:>14,.4f} {r['unit']:<8} "
              f"peer {r['peer_value']!s:>14}  target {r['target']} "
              f"{'OK' if r['meets_target'] else 'MISSED'}")  # fmt: skip
    print(f"python {platform.python_version()}, shapely {shapely.__version__}, "
          f"geopandas {gpd.__version__}; wrote {OUT}")  # fmt: skip
    return rows


if __name__ == "__main__":
    main()
