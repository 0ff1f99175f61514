"""Report fixtures: a small hand-built siting result with hostile names in it, and a store with a
known history of imports and edits (issue 9) on GeoPackage and PostGIS."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from pathlib import Path

import geopandas as gpd
import pandas as pd
import pytest
from shapely import LineString, Point, box

from geomon import siting, validate
from geomon.store import Edit, Store, open_store

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


# --------------------------------------------------------------------------------------------
# A store with a known history (issue 9): imports and edits dated with ``at=``, on GeoPackage
# and on PostGIS. Times are UTC; the reports cut a day at midnight Beijing time (16:00 UTC).
# What each period report must show is worked out by hand in tests/reports/test_period.py.

EAST, WEST = ("东区", "429901"), ("西区", "429902")
OUTLET_AT = {  # outlet code → (x km, y km) on the GK plane (EPSG:4547)
    "O1": (1, 1), "O2": (2, 1), "O3": (-2, 1), "O4": (-3, 1), "O5": (3, 2), "O6": (-1, 2),
}  # fmt: skip


def _outlets(*rows: dict) -> gpd.GeoDataFrame:
    full = []
    for r in rows:
        (district, code) = r.pop("where")
        full.append(
            {"name": f"{r['code']}排污口", "receiving_water": "玉带河", "district": district,
             "district_code": code, **r}
        )  # fmt: skip
    geoms = [Point(E + 1000 * OUTLET_AT[r["code"]][0], N + 1000 * OUTLET_AT[r["code"]][1])
             for r in full]  # fmt: skip
    frame = gpd.GeoDataFrame(full, geometry=geoms, crs=GK).to_crs(4326)
    return validate.apply_dtypes(frame, "outlets")


LEDGER_2022 = [  # imported 2022-12-20
    {"code": "O1", "where": EAST, "type_l1": "工业排污口", "category": "规范", "stage": "整治完成",
     "survey_date": "2022-10-10", "traced_date": "2022-11-01", "completed_date": "2022-12-15",
     "deadline": "2023-06-30"},
    {"code": "O2", "where": EAST, "type_l1": "其他排口", "category": "合并", "stage": "已溯源",
     "survey_date": "2022-11-05", "traced_date": "2022-12-01", "deadline": "2023-03-15"},
    {"code": "O3", "where": WEST, "type_l1": "工业排污口", "stage": "已排查",
     "survey_date": "2022-11-20"},
    {"code": "O4", "where": WEST, "type_l1": "农业排口", "category": "规范", "stage": "已销号",
     "survey_date": "2022-12-01", "traced_date": "2022-12-05", "completed_date": "2022-12-10",
     "deadline": "2023-06-30"},
]  # fmt: skip
SECTIONS = [  # (code, control level, district, target)
    ("S1", "国控", EAST, "III"), ("S2", "省控", WEST, "II"), ("S3", "省控", EAST, "III"),
]  # fmt: skip
NH3N = {  # NH3-N (mg/L) of every monthly sample, per section and quarter
    "S1": {"2022Q4": 0.8, "2023Q1": 0.8, "2023Q2": 1.2},
    "S2": {"2022Q4": 2.5, "2023Q1": 1.8, "2023Q2": 0.4},
    "S3": {"2022Q4": 0.3, "2023Q1": 0.3, "2023Q2": 0.3},
}


def _samples(month: str) -> pd.DataFrame:
    quarter = str(pd.Period(month, "M").asfreq("Q"))
    rows = [{"section_code": s, "date": f"{month}-10", "NH3N": NH3N[s][quarter]} for s in NH3N]
    return validate.apply_dtypes(pd.DataFrame(rows), "monitoring")


def _base_layers() -> dict[str, gpd.GeoDataFrame]:
    districts = gpd.GeoDataFrame(
        {"code": [EAST[1], WEST[1]], "name": [EAST[0], WEST[0]], "level": "区县"},
        geometry=[box(E, N - 2000, E + 5000, N + 4000), box(E - 5000, N - 2000, E, N + 4000)],
        crs=GK,
    ).to_crs(4326)
    rivers = gpd.GeoDataFrame(
        {"code": ["R1"], "name": ["玉带河"], "kind": ["干流"]},
        geometry=[LineString([(E - 5000, N), (E + 5000, N)])],
        crs=GK,
    ).to_crs(4326)
    sections = gpd.GeoDataFrame(
        [{"code": c, "name": f"断面{c}", "river": "玉带河", "control_level": level,
          "district": d[0], "district_code": d[1], "target_class": t}
         for c, level, d, t in SECTIONS],
        geometry=[Point(E + 2500, N), Point(E - 2500, N), Point(E + 500, N)],
        crs=GK,
    ).to_crs(4326)  # fmt: skip
    return {
        "districts": validate.apply_dtypes(districts, "districts"),
        "rivers": validate.apply_dtypes(rivers, "rivers"),
        "sections": validate.apply_dtypes(sections, "sections"),
    }


def _edit(store: Store, at: str, code: str, **values: object) -> None:
    version = int(store.read("outlets", with_versions=True).set_index("code").at[code, "_version"])
    store.edit("outlets", [Edit(code, values, version)], user="科员", at=at)


def _write(layer: str, frame: pd.DataFrame, **kwargs: object) -> Callable[[Store, str], object]:
    return lambda store, at: store.write({layer: frame}, at=at, **kwargs)


def _edit_step(code: str, **values: object) -> Callable[[Store, str], object]:
    return lambda store, at: _edit(store, at, code, **values)


def _fix_sample(store: Store, at: str) -> None:
    fix = Edit(("S1", "2023-06-10"), {"NH3N": 0.3}, _monitoring_version(store))
    store.edit("monitoring", [fix], user="监测站", at=at)


O5 = {"code": "O5", "where": EAST, "type_l1": "城镇污水处理厂排污口", "stage": "已排查",
      "survey_date": "2023-03-01"}  # fmt: skip
O6 = {"code": "O6", "where": WEST, "type_l1": "其他排口", "stage": "已溯源",
      "survey_date": "2023-05-02", "traced_date": "2023-05-08"}  # fmt: skip
Q4_2022 = ("2022-10", "2022-11", "2022-12")
STEPS: list[tuple[str, Callable[[Store, str], object]]] = [  # (UTC time, change), oldest first
    ("2022-12-01T02:00:00Z", lambda store, at: store.write(
        _base_layers(), source="底图.gpkg", version="底图 2022", at=at)),
    ("2022-12-20T02:00:00Z", _write("outlets", _outlets(*[dict(r) for r in LEDGER_2022]),
                                    source="台账2022.xlsx", version="台账 2022-12")),
    ("2022-12-25T02:00:00Z", _write("monitoring", pd.concat([_samples(m) for m in Q4_2022]),
                                    source="监测2022Q4.xlsx")),
    ("2023-01-25T02:00:00Z", _write("monitoring", _samples("2023-01"), mode="upsert")),
    ("2023-02-10T02:00:00Z", _edit_step("O2", stage="整治中")),
    ("2023-02-10T03:00:00Z", _edit_step("O3", stage="已溯源", traced_date="2023-02-08",
                                        category="取缔", deadline="2023-05-31")),
    ("2023-02-25T02:00:00Z", _write("monitoring", _samples("2023-02"), mode="upsert")),
    ("2023-03-15T02:00:00Z", _write("outlets", _outlets(dict(LEDGER_2022[0], stage="已销号"),
                                                        dict(O5)),
                                    mode="upsert", source="台账2023-03.xlsx",
                                    version="台账 2023-03")),
    ("2023-03-25T02:00:00Z", _write("monitoring", _samples("2023-03"), mode="upsert")),
    ("2023-04-20T02:00:00Z", _edit_step("O2", stage="整治完成", completed_date="2023-04-18")),
    ("2023-04-25T02:00:00Z", _write("monitoring", _samples("2023-04"), mode="upsert")),
    ("2023-05-10T02:00:00Z", _write("outlets", _outlets(dict(O6)), mode="upsert")),
    ("2023-05-25T02:00:00Z", _write("monitoring", _samples("2023-05"), mode="upsert")),
    ("2023-06-20T02:00:00Z", _edit_step("O2", stage="已销号")),
    ("2023-06-25T02:00:00Z", _write("monitoring", _samples("2023-06"), mode="upsert")),
    # 2023-07-01 01:00 Beijing time: after the end of Q2 in the report's time zone
    ("2023-06-30T17:00:00Z", _edit_step("O3", stage="整治完成", completed_date="2023-06-30")),
    ("2023-07-15T02:00:00Z", _edit_step("O5", stage="已溯源", traced_date="2023-07-10")),
    ("2023-07-20T02:00:00Z", _fix_sample),  # S1's June NH3-N corrected 1.2 → 0.3
]  # fmt: skip


def build_known_history(store: Store, *, until: str | None = None) -> Store:
    """Write the known history (`STEPS`) into an empty `store`, up to `until` (UTC) if given."""
    for at, step in STEPS:
        if until is not None and pd.Timestamp(at) > pd.Timestamp(until):
            break
        step(store, at)
    return store


def _monitoring_version(store: Store) -> int:
    frame = store.read("monitoring", with_versions=True)
    hit = frame[(frame["section_code"] == "S1") & (frame["date"] == pd.Timestamp("2023-06-10"))]
    return int(hit["_version"].iloc[0])


@pytest.fixture(scope="module", params=["gpkg", pytest.param("postgis", marks=pytest.mark.postgis)])
def known_store(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Store:
    """The known history on each backend, built once per test module (tests must not write)."""
    if request.param == "gpkg":
        yield build_known_history(open_store(tmp_path_factory.mktemp("known") / "h.gpkg"))
        return
    import psycopg

    server = request.getfixturevalue("postgis_server")  # session-scoped (tests/conftest.py)
    admin, name = server["admin"], f"geomon_known_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(dbname="postgres", autocommit=True, **admin) as conn:
        conn.execute(f"CREATE DATABASE {name} TEMPLATE {server['template']}")
    url = (
        f"postgresql://{admin['user']}@/{name}?host={admin['host']}&port={admin['port']}"
        if admin
        else f"postgresql:///{name}"
    )
    opened = open_store(url)
    yield build_known_history(opened)
    opened.dispose()
    with psycopg.connect(dbname="postgres", autocommit=True, **admin) as conn:
        conn.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")


@pytest.fixture
def history_until() -> Callable[[Store, str], Store]:
    """`build_known_history` up to a time: the store as it stood then, built directly."""
    return lambda store, until: build_known_history(store, until=until)


@pytest.fixture(params=["gpkg", pytest.param("postgis", marks=pytest.mark.postgis)])
def fresh_store(request: pytest.FixtureRequest, tmp_path: Path) -> Store:
    """An empty store on each backend (a new GeoPackage, a new PostGIS database)."""
    if request.param == "gpkg":
        yield open_store(tmp_path / "fresh.gpkg")
        return
    opened = open_store(request.getfixturevalue("postgis_url"))
    yield opened
    opened.dispose()
