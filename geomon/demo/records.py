"""The demo's outlet ledger, monitoring sections and monthly monitoring samples.

Built in metres (EPSG:4547) on the base map (`geomon.demo.geometry.World`), drawing from the
generator `geomon.demo.build_demo` passes in.
"""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from shapely import ops
from shapely.geometry import LineString, Point

from geomon.demo import geometry, stations, tables
from geomon.demo.tables import BASIN, CANAL, CITY, LAKE, MAIN, TRIB_N, TRIB_S


def _day(s: str) -> pd.Timestamp:
    return pd.Timestamp(s)


# ----------------------------------------------------------------------------- outlets


def _outlet_identity(
    l2: str, l3: str | None, district: str, township: str, rng: np.random.Generator
) -> tuple[str, str, str]:
    """(what the outlet is named after, name ending, responsible unit) for an outlet type."""
    company = (
        f"江汉{rng.choice(tables.COMPANIES)}有限公司"
        if l3 is None or "矿山" not in l3
        else tables.MINE
    )
    town = township.removesuffix("街道").removesuffix("镇").removesuffix("乡")
    village = f"{town}{rng.choice(tables.VILLAGES)}村"
    gov = f"{township}{'办事处' if township.endswith('街道') else '人民政府'}"
    park, road = str(rng.choice(tables.PARKS)), str(rng.choice(tables.ROADS))
    table = {
        "工矿企业排污口": (company, "排污口", company),
        "工矿企业雨洪排口": (company, "雨洪排口", company),
        "工业及其他各类园区污水处理厂排污口": (f"{park}污水处理厂", "排污口", f"{park}管委会"),
        "工业及其他各类园区污水处理厂雨洪排口": (f"{park}污水处理厂", "雨洪排口", f"{park}管委会"),
        "城镇污水处理厂排污口": (f"{township}污水处理厂", "排污口", f"{CITY}水务集团有限公司"),
        "规模化畜禽养殖排污口": (f"{village}生猪养殖场", "排污口", f"{village}生猪养殖合作社"),
        "规模化水产养殖排污口": (f"{village}水产养殖基地", "排污口", f"{village}水产养殖合作社"),
        "大中型灌区排口": (f"{township}灌区退水闸", "排口", f"{CITY}{town}灌区管理所"),
        "港口码头排口": (f"{township}码头", "排口", f"{CITY}港航发展有限公司"),
        "规模以下畜禽养殖排污口": (f"{village}养殖户", "排污口", f"{village}村民委员会"),
        "规模以下水产养殖排污口": (f"{village}鱼塘", "排口", f"{village}村民委员会"),
        "农村污水处理设施排污口": (f"{village}污水处理站", "排污口", gov),
        "农村生活污水散排口": (village, "生活污水散排口", f"{village}村民委员会"),
        "城镇生活污水散排口": (road, "生活污水散排口", gov),
        "城镇雨洪排口": (road, "雨洪排口", f"{district}住房和城乡建设局"),
        "其他": (township, "排口", gov),
    }
    return table[l2]


def _outlet_sites(
    w: geometry.World, zones: gpd.GeoDataFrame, red: gpd.GeoDataFrame, rng: np.random.Generator
) -> list[tuple[str, Point]]:
    """112 river sites ≤ 45 m off a river, 16 lake-shore sites; clear of zones and red lines."""
    keep_out = shapely.union_all(
        [*zones.geometry.buffer(100.0), *red.geometry.buffer(60.0), w.lake.buffer(300.0)]
    )
    borders = shapely.union_all([d.boundary for d in w.districts]).buffer(40.0)
    inner = w.city.buffer(-500.0)
    for g in (keep_out, borders, inner):
        shapely.prepare(g)
    sites: list[tuple[str, Point]] = []

    def free(p: Point) -> bool:
        return (
            not borders.intersects(p)
            and inner.contains(p)
            and all(p.distance(q) > 200.0 for _, q in sites)
        )

    names = (MAIN, TRIB_N, TRIB_S, CANAL)
    while len(sites) < 112:
        river = names[int(rng.choice(4, p=[0.5, 0.17, 0.17, 0.16]))]
        line = w.rivers[river]
        side = rng.choice([-1.0, 1.0]) * rng.uniform(5.0, 45.0)
        p = geometry.on_line(line, rng.uniform(300.0, line.length - 300.0), side)
        if free(p) and not keep_out.intersects(p):
            sites.append((river, p))
    shore, lake_zones = w.lake.exterior, w.lake_intake.buffer(1_900.0)
    while len(sites) < 128:
        q = shore.interpolate(rng.uniform(0.0, shore.length))
        p = ops.nearest_points(w.lake.buffer(rng.uniform(10.0, 40.0)).exterior, q)[0]
        if free(p) and not lake_zones.intersects(p):
            sites.append((LAKE, p))
    return sites


def _progress(
    stage: str,
    category: str | None,
    deadline: pd.Timestamp | None,
    survey: pd.Timestamp,
    rng: np.random.Generator,
) -> tuple[pd.Timestamp | None, pd.Timestamp | None, bool]:
    """Traced date, completed date and sign of an outlet at `stage` (all by 2023-06-30)."""
    if stage in ("已排查", "已监测"):
        return None, None, False
    traced = min(survey + pd.Timedelta(days=int(rng.integers(20, 90))), _day("2023-06-20"))
    if stage not in tables.RECTIFIED:
        return traced, None, bool(stage in ("已命名编码", "整治中") and rng.random() < 0.3)
    due = deadline if deadline is not None else survey + pd.Timedelta(days=40)
    days = int(rng.integers(10, 60)) if rng.random() < 0.08 else -int(rng.integers(0, 120))
    completed = max(due + pd.Timedelta(days=days), traced + pd.Timedelta(days=10))
    sign = category != "取缔" and rng.random() < 0.93  # a closed-down outlet has no sign
    return traced, min(completed, _day("2023-06-30")), bool(sign)


def outlets(
    w: geometry.World, zones: gpd.GeoDataFrame, red: gpd.GeoDataFrame, rng: np.random.Generator
) -> gpd.GeoDataFrame:
    """129 outlets: 113 river (110 rectified, 3 not, one planted in a 二级 zone), 16 lake."""
    kinds = [i for i, t in enumerate(tables.OUTLET_TYPES) for _ in range(t[4])]
    planted_kind = next(i for i, t in enumerate(tables.OUTLET_TYPES) if t[1] == "港口码头排口")
    kinds.remove(planted_kind)
    kinds = [planted_kind, *(kinds[i] for i in rng.permutation(len(kinds)))]
    sites = [(MAIN, geometry.on_line(w.rivers[MAIN], w.intake_s - 1_800.0, 35.0))]
    sites += _outlet_sites(w, zones, red, rng)
    # river outlets 0–2 are the three not rectified (0 = planted, 1 overdue); lake stages fixed
    fixed = {0: ("整治中", "规范", "2023-06-30"), 1: ("整治中", "取缔", "2023-03-31")}
    fixed[2] = ("已命名编码", "合并", "2027-12-31")
    lake_stages = ["已排查"] * 3 + ["已监测"] * 2 + ["已溯源"] * 3 + ["已命名编码"] * 3
    lake_stages += ["整治中"] * 3 + ["整治完成"] * 2
    lake_stages = [lake_stages[i] for i in rng.permutation(16)]
    lake_overdue = 2  # two of the three lake outlets 整治中 are past their deadline
    serial: dict[str, int] = {}
    rows = []
    for n, ((water, p), k) in enumerate(zip(sites, kinds, strict=True)):
        l1, l2, l3, letters, _ = tables.OUTLET_TYPES[k]
        dcode, dname, _, _ = tables.DISTRICTS[w.district_of(p)]
        serial[dcode] = serial.get(dcode, 0) + 1
        township = w.township_of(p)
        what, ending, unit = _outlet_identity(l2, l3, dname, township, rng)
        cats, probs, modes = tables.CATEGORY[l2]
        category: str | None = str(rng.choice(cats, p=probs))
        due: str | None = str(rng.choice(["2022-12-31", "2023-06-30"]))
        survey = _day("2022-02-15") + pd.Timedelta(days=int(rng.integers(0, 258)))
        if water == LAKE:
            stage = lake_stages[n - 113]
            survey = _day("2023-02-01") + pd.Timedelta(days=int(rng.integers(0, 100)))
            due = "2023-06-30" if stage in tables.RECTIFIED else "2027-12-31"
            if stage == "整治中" and lake_overdue:
                due, lake_overdue = "2023-03-31", lake_overdue - 1
        elif n in fixed:
            stage, category, due = fixed[n]
        else:
            stage = "已销号" if rng.random() < 0.6 else "整治完成"
        if stage in ("已排查", "已监测", "已溯源"):
            category, due = None, None  # not yet classified
        deadline = None if due is None or category == "无需整治" else _day(due)
        traced, completed, sign = _progress(stage, category, deadline, survey, rng)
        bank = (
            "沿岸"
            if water == LAKE
            else "左岸"
            if geometry.left_bank(w.rivers[water], p)
            else "右岸"
        )
        rows.append((
            f"{tables.WATER_CODES[water]}{dcode}{letters}{serial[dcode]:04d}",
            f"JHPWK{dcode[-2:]}{serial[dcode]:04d}",
            (f"{CITY}{dname}{what}", ending),
            l1, l2, l3, water, tables.WATER_CODES[water], "湖库" if water == LAKE else "河流",
            str(rng.choice(modes)), dname, dcode, township, f"{dname}{township}{water}{bank}",
            unit, category, stage, traced, deadline, completed, sign, survey,
            "位于饮用水水源二级保护区内（演示数据中的预设问题）" if n == 0 else None,
            p,
        ))  # fmt: skip
    frame = geometry.frame(rows, tables.OUTLET_COLUMNS)
    frame["name"] = _numbered(frame["name"])
    frame = frame.sort_values("code", ignore_index=True)
    frame["attachments"] = _attachments(frame["code"], frame["stage"])
    return frame


def _attachments(codes: pd.Series, stages: pd.Series) -> pd.Series:
    """The demo's few attachment references (`tables.ATTACHMENTS`), None elsewhere.

    Chosen by code and stage, not drawn, so the generator's random sequence is unchanged.
    """
    closed = codes[stages == "已销号"].tolist()
    keyed = {code: tables.ATTACHMENTS.get(code) for code in codes}
    for n, code in enumerate(closed[:2], start=1):
        text = tables.ATTACHMENTS[f"closed:{n}"]
        keyed[code] = text.format(host=tables.ATTACHMENT_HOST, code=code)
    return codes.map(keyed)


def _numbered(names: pd.Series) -> pd.Series:
    """Turn (prefix, ending) pairs into names, numbering repeats: ``…1号雨洪排口``."""
    keys = names.map("|".join)
    total, seen = keys.map(keys.value_counts()), keys.groupby(keys).cumcount() + 1
    return pd.Series(
        [
            f"{a}{f'{i}号' if t > 1 else ''}{b}"
            for (a, b), t, i in zip(names, total, seen, strict=True)
        ],
        index=names.index,
    )


# ----------------------------------------------------------------------------- sections


def _chainage(
    w: geometry.World, line: LineString, where: tuple[str, float]
) -> tuple[float, str | None]:
    """Chainage (m) of a section on `line`, and the handover text for a boundary section."""
    kind, v = where
    simple = {"s": 1000.0 * v, "e": line.length - 1000.0 * v, "f": v * line.length}
    if kind in simple:
        return simple[kind], None
    if kind == "x":
        return line.project(Point(geometry.km(v, 0.0))), None
    if kind == "i":
        return w.intake_s + 1000.0 * v, None
    borders = shapely.union_all([d.boundary for d in w.districts])
    crossings = shapely.get_parts(line.intersection(borders.intersection(w.city.buffer(-1e3))))
    for s in sorted((line.project(p) for p in crossings), key=lambda c: abs(c - v * line.length)):
        up, down = (w.district_of(geometry.on_line(line, s + d)) for d in (-300.0, 300.0))
        if up != down:
            return s + 300.0, f"{tables.DISTRICTS[up][1]}→{tables.DISTRICTS[down][1]}"
    msg = f"no district boundary crossing on a {line.length:.0f} m line"
    raise RuntimeError(msg)


def sections(w: geometry.World) -> gpd.GeoDataFrame:
    """6 国控, 9 省控 and 3 市控 sections on the rivers and the lake."""
    rows = []
    for code, name, water, where, level, target, blevel, handover, auto in tables.SECTIONS:
        p = w.lake.centroid
        if water != LAKE:
            s, crossing = _chainage(w, w.rivers[water], where)
            p, handover = geometry.on_line(w.rivers[water], s), handover or crossing
        dcode, dname, _, _ = tables.DISTRICTS[w.district_of(p)]
        body = "湖库" if water == LAKE else "河流"
        rows.append((
            code, name, water, BASIN, f"{MAIN}水系", level, target, body, blevel is not None,
            blevel, handover, dname, dcode, auto, stations.station_mn(code) if auto else None, p,
        ))  # fmt: skip
    columns = "code name river basin water_system control_level target_class water_body_type"
    return geometry.frame(
        rows,
        f"{columns} cross_boundary boundary_level handover district district_code auto_station "
        "station_mn",
    )


# ----------------------------------------------------------------------------- monitoring


def _monthly(mean: float, item: str, rng: np.random.Generator) -> np.ndarray:
    """Six monthly values on a seasonal pattern, arithmetic mean exactly `mean`, rounded."""
    decimals, noise, season = tables.MODEL[item]
    v = mean * np.asarray(season) * np.exp(rng.normal(0.0, noise, 6))
    out: np.ndarray = np.round(v * mean / v.mean(), decimals)
    return out


def monitoring(sections: gpd.GeoDataFrame, rng: np.random.Generator) -> pd.DataFrame:
    """One sample a month, Jan–Jun 2023, per section: the 5+X items, a few metals, FC, WT."""
    day = {"国控": 10, "省控": 12, "市控": 15}
    frames = []
    for sec in sections.itertuples():
        means = dict(zip(tables.MEAN_ITEMS, tables.MEANS[sec.code], strict=True))
        ph_season = np.array([-0.1, -0.05, 0.0, 0.05, 0.05, 0.05])
        values = {
            "WT": np.round(np.asarray(tables.WT) + rng.normal(0.0, 0.6, 6), 1),
            "pH": np.round(means["pH"] + ph_season + rng.normal(0.0, 0.08, 6), 2),
        }
        values |= {item: _monthly(means[item], item, rng) for item in tables.MEAN_ITEMS[1:]}
        if sec.code == "JHGK02":
            values["NH3N"] = np.asarray(tables.GK02_NH3N)
        for item, base in tables.BASE.items():
            if item != "TN" or sec.river == LAKE:
                values[item] = _monthly(base * rng.uniform(0.8, 1.2), item, rng)
        dates = [pd.Timestamp(2023, m, day[sec.control_level]) for m in range(1, 7)]
        head = {"section_code": sec.code, "date": dates, "target": sec.target_class}
        frames.append(pd.DataFrame(head | values))
    return pd.concat(frames, ignore_index=True)
