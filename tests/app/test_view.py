"""The app's pure helpers: the filter view, status columns, search, outlet record, sheet."""

from __future__ import annotations

import datetime as dt
import html

import geopandas as gpd
import pandas as pd
import pytest
from shapely import LineString, Point, box

from geomon.analysis import compliance
from geomon.app.present import outlet_view, sheet, view
from geomon.specs import get_spec
from geomon.validate import apply_dtypes

EVIL = "<script>alert(1)</script>"


def _layer(name: str, rows: list[dict], geoms: list) -> gpd.GeoDataFrame:
    return apply_dtypes(gpd.GeoDataFrame(rows, geometry=geoms, crs=4326), name)


@pytest.fixture
def layers() -> dict[str, pd.DataFrame]:
    """Two districts, one river, two sections with Jan/Feb samples, three outlets."""
    outlet = {"type_l1": "工业排污口", "receiving_water": "汉江", "district_code": "420102"}
    return {
        "districts": _layer(
            "districts",
            [{"code": "420102", "name": "江岸区"}, {"code": "420103", "name": "江汉区"}],
            [box(114.0, 30.0, 114.1, 30.1), box(114.1, 30.0, 114.2, 30.1)],
        ),
        "rivers": _layer(
            "rivers",
            [{"code": "R1", "name": "汉江"}],
            [LineString([(114.0, 30.05), (114.2, 30.05)])],
        ),
        "sections": _layer(
            "sections",
            [
                {
                    "code": "S1",
                    "name": "上游",
                    "river": "汉江",
                    "control_level": "国控",
                    "target_class": "III",
                    "district": "江岸区",
                },
                {
                    "code": "S2",
                    "name": "下游",
                    "river": "汉江",
                    "control_level": "省控",
                    "target_class": "II",
                    "district": "江汉区",
                },
            ],
            [Point(114.05, 30.05), Point(114.15, 30.05)],
        ),
        "monitoring": pd.DataFrame(
            {
                "section_code": ["S1", "S1", "S2"],
                "date": pd.to_datetime(["2023-01-10", "2023-02-10", "2023-01-10"]),
                # S1: NH3-N 1.2 mg/L is class IV (III ≤ 1.0 < 1.2 ≤ 1.5), target III: fails.
                # S2: DO 7.0 (II), CODMn 3 (II), NH3-N 0.4 (II), TP 0.05 (II): class II, meets II.
                "DO": [7.0, 7.0, 7.0],
                "CODMn": [3.0, 3.0, 3.0],
                "NH3N": [1.2, 1.2, 0.4],
                "TP": [0.1, 0.1, 0.05],
            }
        ),
        "outlets": _layer(
            "outlets",
            [
                {
                    **outlet,
                    "code": "O1",
                    "name": "一号口",
                    "district": "江岸区",
                    "stage": "整治中",
                    "deadline": "2023-01-31",
                },
                {
                    **outlet,
                    "code": "O2",
                    "name": EVIL,
                    "district": "江岸区",
                    "stage": "整治完成",
                    "deadline": "2023-01-31",
                },
                {
                    **outlet,
                    "code": "O3",
                    "name": "三号口",
                    "district": "江汉区",
                    "stage": "已排查",
                    "deadline": "2023-12-31",
                },
            ],
            [Point(114.02, 30.0502), Point(114.03, 30.0502), Point(114.12, 30.0502)],
        ),
    }


def test_with_status_adds_overdue_and_classes(layers) -> None:
    out = view.with_status(layers, period=("2023-01-01", "2023-06-30"))

    # overdue as of the period's end: O1 is past its deadline and not rectified
    assert out["outlets"]["overdue"].tolist() == [True, False, False]
    sections = out["sections"]
    assert sections["class"].tolist() == ["IV", "II"]
    assert sections["meets_target"].tolist() == [False, True]
    assert "overdue" not in layers["outlets"].columns  # inputs untouched


def test_status_follows_the_period(layers) -> None:
    february = view.with_status(layers, period="2023-02")

    assert february["sections"]["class"].tolist() == ["IV", None]  # S2 has no February sample
    assert february["outlets"]["overdue"].tolist() == [True, False, False]
    january = view.with_status(layers, period="2023-01")
    assert january["outlets"]["overdue"].tolist() == [False, False, False]  # due on the 31st


@pytest.mark.parametrize(
    ("selection", "counts"),
    [
        pytest.param({}, {"outlets": 3, "sections": 2, "districts": 2, "monitoring": 3}, id="none"),
        pytest.param(
            {"district": ["江岸区"]},
            {"outlets": 2, "sections": 1, "districts": 1, "monitoring": 2},
            id="district-applies-to-every-layer",
        ),
        pytest.param(
            {"meets": ["0"]}, {"outlets": 3, "sections": 1, "monitoring": 2}, id="fails-target"
        ),
        pytest.param({"class": ["II"]}, {"sections": 1, "monitoring": 1}, id="class"),
        pytest.param(
            {"overdue": ["1"], "stage": ["整治中"]}, {"outlets": 1}, id="overdue-and-stage"
        ),
        pytest.param({"river": ["长江"]}, {"outlets": 0, "sections": 0, "rivers": 0}, id="river"),
    ],
)
def test_filter_layers(layers, selection: dict, counts: dict[str, int]) -> None:
    status = view.with_status(layers, period="2023")

    out = view.filter_layers(status, selection)

    assert {name: len(out[name]) for name in counts} == counts


def test_monitoring_follows_the_period(layers) -> None:
    status = view.with_status(layers, period="2023-02")

    out = view.filter_layers(status, {}, period="2023-02")

    assert out["monitoring"]["date"].dt.month.tolist() == [2]


def test_every_filter_is_a_spec_filter_field_or_a_status_column() -> None:
    for dim in view.ALL_DIMS:
        for layer, column in dim.targets.items():
            spec = get_spec(layer)
            status = compliance.STATUS_COLUMNS.get(layer, ())
            assert column in (*spec.filter_fields, *status, spec.name_field), (dim.key, layer)


def test_extra_dims_cover_the_other_spec_filter_fields() -> None:
    keys = {d.key for d in view.extra_dims()}

    assert {"outlets.water_body_kind", "outlets.sign_installed", "sections.basin"} <= keys
    assert "outlets.district" not in keys  # already the shared district filter


def test_allowed_lists_values_of_present_layers(layers) -> None:
    allowed = view.allowed(view.with_status(layers, period="2023"), ["2023"])

    assert allowed["district"] == ["江岸区", "江汉区"]
    assert allowed["stage"][0] == "已排查"
    assert allowed["meets"] == ["1", "0"]
    assert allowed["overdue"] == ["1"]
    assert allowed[view.PERIOD] == ["2023"]
    assert "outlets.sign_installed" in allowed
    assert "projects.kind" not in allowed


@pytest.mark.parametrize(
    ("key", "value", "lang", "shown"),
    [
        ("class", "劣V", "zh", "劣Ⅴ类"),
        ("class", "IV", "en", "Class IV"),
        ("meets", "0", "zh", "未达标"),
        ("stage", "整治完成", "en", "Rectified"),
        ("outlets.sign_installed", "1", "zh", "是"),
        ("district", "江岸区", "en", "江岸区"),
    ],
)
def test_option_label(key: str, value: str, lang: str, shown: str) -> None:
    dim = next(d for d in view.ALL_DIMS if d.key == key)

    assert view.option_label(dim, value, lang) == shown


@pytest.mark.parametrize(
    ("text", "codes"),
    [
        pytest.param("s1", ["S1"], id="code-case-insensitive"),
        pytest.param("口", ["O1", "O3"], id="name"),
        pytest.param("O", ["O1", "O2", "O3"], id="many"),
        pytest.param("  ", [], id="blank"),
        pytest.param("zzz", [], id="none"),
    ],
)
def test_search(layers, text: str, codes: list[str]) -> None:
    hits = view.search(layers, text)

    assert hits["code"].tolist() == codes
    assert list(hits.columns) == list(view.SEARCH_COLUMNS)


def test_search_puts_exact_codes_first(layers) -> None:
    layers["outlets"].loc[0, "name"] = "通往S2的排口"

    hits = view.search(layers, "S2")

    assert hits["code"].tolist() == ["S2", "O1"]
    assert hits.loc[0, ["lat", "lon"]].tolist() == pytest.approx([30.05, 114.15])


def test_stored_rows_drop_status_columns(layers) -> None:
    status = view.with_status(layers, period="2023")
    kept = view.filter_layers(status, {"district": ["江汉区"]})["outlets"]

    rows = view.stored_rows(layers["outlets"], kept)

    assert rows["code"].tolist() == ["O3"]
    assert list(rows.columns) == list(layers["outlets"].columns)


def test_monthly_classes(layers) -> None:
    monthly = view.monthly_classes(layers["sections"], layers["monitoring"])

    keys = zip(monthly["section_code"], monthly["month"], strict=True)
    got = dict(zip(keys, monthly["class"], strict=True))
    assert got == {("S1", "2023-01"): "IV", ("S2", "2023-01"): "II",
                   ("S1", "2023-02"): "IV", ("S2", "2023-02"): None}  # fmt: skip


def test_downstream_sections_along_the_river(layers) -> None:
    table = outlet_view.downstream_sections(layers["rivers"], layers["sections"], layers["outlets"])

    o1 = table[table["outlet_code"] == "O1"]
    assert o1["section_code"].tolist() == ["S1"]  # S2 is 12.5 km down: beyond 10 km
    # 0.03° of longitude at 30.05°N is about 2.89 km; allow for the GK plane
    assert o1["distance_m"].iloc[0] == pytest.approx(2890, rel=0.01)
    assert table[table["outlet_code"] == "O3"]["section_code"].tolist() == ["S2"]
    wider = outlet_view.downstream_sections(
        layers["rivers"], layers["sections"], layers["outlets"], km=15
    )
    assert wider[wider["outlet_code"] == "O1"]["section_code"].tolist() == ["S1", "S2"]


def test_zone_rows(layers) -> None:
    zones = apply_dtypes(
        gpd.GeoDataFrame(
            [{"code": "Z1", "source_name": "一水厂", "level": "一级"}],
            geometry=[box(114.0, 30.04, 114.025, 30.06)],
            crs=4326,
        ),
        "protection_zones",
    )
    outlet = layers["outlets"].iloc[[0]]

    rows = outlet_view.zone_rows(outlet, {"protection_zones": zones})

    assert rows == [("饮用水水源保护区", "Z1", "一水厂 一级", "水污染防治法 第六十四条")]
    assert outlet_view.zone_rows(layers["outlets"].iloc[[2]], {"protection_zones": zones}) == []


@pytest.mark.parametrize(
    ("page_url", "public", "expected"),
    [
        ("http://h/geomon/", None, "http://h/geomon/outlet?outlet=A%20B"),
        (None, "https://gis.example.gov.cn/geomon/", "https://gis.example.gov.cn/geomon/outlet?outlet=A%20B"),
        # no public address and a page on this machine (or none): no link, the sheet says so
        ("http://127.0.0.1:8501/dashboard?x=1", None, None),
        ("http://localhost:8501/outlet?outlet=X", None, None),
        ("http://[::1]:8501/", None, None),
        (None, None, None),
        ("http://10.1.2.3:8501/geomon/outlet?outlet=X", None,
         "http://10.1.2.3:8501/geomon/outlet?outlet=A%20B"),
        ("http://localhost:8501/", "https://gis.example.gov.cn",
         "https://gis.example.gov.cn/outlet?outlet=A%20B"),
    ],
)  # fmt: skip
def test_record_link(page_url: str | None, public: str | None, expected: str | None) -> None:
    assert outlet_view.record_link("A B", page_url=page_url, public_url=public) == expected


def test_sheet_escapes_and_links(layers) -> None:
    record = layers["outlets"].iloc[1].to_dict()
    page = sheet.outlet_sheet(
        record,
        link="http://h/outlet?outlet=O2&x=<b>",
        zones=[("饮用水水源保护区", "Z1", EVIL, "")],
        downstream=[("S1", "上游", "国控", "1.00")],
        overdue=True,
        generated=dt.date(2024, 1, 2),
    )

    assert EVIL not in page
    assert html.escape(EVIL) in page
    assert "<svg" in page and "<?xml" not in page  # inline QR code
    assert "http://h/outlet?outlet=O2&amp;x=&lt;b&gt;" in page
    assert "逾期未完成整治" in page
    assert "整治完成" in page  # stage label
    assert "2024-01-02" in page
    assert "114.030000" in page  # longitude


def test_sheet_without_a_public_address_says_so(layers) -> None:
    page = sheet.outlet_sheet(layers["outlets"].iloc[1].to_dict(), link=None)

    assert "<svg" not in page and "localhost" not in page
    assert page.count("未设置应用的公开地址（GEOMON_PUBLIC_URL），未生成二维码") == 2  # box, footer


@pytest.mark.parametrize(
    ("field", "value", "lang", "text"),
    [
        ("stage", "整治完成", "en", "Rectified"),
        ("sign_installed", False, "zh", "否"),
        ("deadline", pd.Timestamp("2023-06-30"), "zh", "2023-06-30"),
        ("name", None, "zh", ""),
        ("name", float("nan"), "zh", ""),
    ],
)
def test_field_text(field: str, value: object, lang: str, text: str) -> None:
    assert sheet.field_text(get_spec("outlets").field(field), value, lang) == text


def test_qr_svg_is_a_bare_svg_element() -> None:
    svg = sheet.qr_svg("http://h/outlet?outlet=A")

    assert svg.startswith("<svg") and svg.rstrip().endswith("</svg>")


def test_worst_sections_keeps_the_worst_classes_first() -> None:
    # A: II, IV (worst IV); B: 劣V; C: III; D: IV (ties with A: by code); E: no class
    monthly = pd.DataFrame({
        "section_code": ["A", "A", "B", "C", "D", "E"],
        "month": ["2023-05", "2023-06", "2023-06", "2023-06", "2023-06", "2023-06"],
        "class": ["II", "IV", "劣V", "III", "IV", None],
    })  # fmt: skip

    kept = view.worst_sections(monthly, limit=3)

    assert list(kept["section_code"]) == ["A", "A", "B", "D"]  # B 劣V, A IV, D IV; table order
    assert view.worst_sections(monthly, limit=5) is monthly  # five sections: all shown


def test_largest_keeps_the_biggest_groups_in_their_order() -> None:
    rows = [{"g": "a", "total": 5}, {"g": "b", "total": 9}, {"g": "c", "total": 1},
            {"g": "d", "total": 9}]  # fmt: skip

    assert [r["g"] for r in view.largest(rows, "total", limit=2)] == ["b", "d"]
    assert [r["g"] for r in view.largest(rows, "total", limit=3)] == ["a", "b", "d"]
    assert view.largest(rows, "total", limit=4) == rows
