"""The sidebar filters: they change every count, live in the URL, and survive a page switch."""

from __future__ import annotations

from pathlib import Path

import pytest
from apphelp import metrics, no_exception, param

from geomon.analysis import compliance
from geomon.app.components import filterbar
from geomon.store import open_store


@pytest.fixture(scope="module")
def demo_layers(demo_store: Path) -> dict:
    store = open_store(demo_store)
    return {n: store.read(n) for n in ("outlets", "sections", "monitoring")}


def test_district_filter_changes_the_counts(app, demo_store: Path, demo_layers) -> None:
    outlets, sections = demo_layers["outlets"], demo_layers["sections"]
    at = app(demo_store).run()
    assert metrics(at)["入河排污口"] == f"{len(outlets):,}"

    at.sidebar.multiselect(key="f.district").set_value(["明珠区"]).run()

    no_exception(at)
    got = metrics(at)
    assert got["入河排污口"] == str((outlets["district"] == "明珠区").sum())
    assert got["水质监测断面"] == str((sections["district"] == "明珠区").sum())
    assert got["行政区划"] == "1"
    assert param(at, "district") == ["明珠区"]


def test_outlet_filters_combine(app, demo_store: Path, demo_layers) -> None:
    outlets = demo_layers["outlets"]
    at = app(demo_store).run()
    at.sidebar.multiselect(key="f.stage").set_value(["整治中", "已排查"])
    at.sidebar.multiselect(key="f.type").set_value(["其他排口"]).run()

    expected = outlets["stage"].isin(["整治中", "已排查"]) & (outlets["type_l1"] == "其他排口")
    assert metrics(at)["入河排污口"] == str(expected.sum())
    assert metrics(at)["水质监测断面"] == str(len(demo_layers["sections"]))  # not an outlet filter


def test_url_fills_the_filters_and_drops_what_it_does_not_know(app, demo_store: Path) -> None:
    at = app(
        demo_store,
        district=["明珠区", "火星区"],
        stage=["不存在"],
        period=["2099"],
        evil=["cos\nsystem\n(S'id'\ntR."],
    ).run()

    no_exception(at)
    assert at.sidebar.multiselect(key="f.district").value == ["明珠区"]
    assert at.sidebar.multiselect(key="f.stage").value == []
    assert at.sidebar.selectbox(key="f.period").value == ""
    assert param(at, "district") == ["明珠区"]
    assert "stage" not in at.query_params
    assert "period" not in at.query_params


def test_period_and_target_filter(app, demo_store: Path, demo_layers) -> None:
    sections, monitoring = demo_layers["sections"], demo_layers["monitoring"]
    results = compliance.section_results(sections, monitoring, period=("2023-01-01", "2023-03-31"))
    meets = compliance.section_flags(sections, results)["meets_target"]
    failing = int((~meets.fillna(True)).sum())
    assert failing > 0  # the demo has sections failing their target

    at = app(demo_store, period="2023-01..2023-03", meets="0").run()

    no_exception(at)
    assert at.sidebar.selectbox(key="f.period").value == "2023-01..2023-03"
    assert metrics(at)["水质监测断面"] == str(failing)
    assert "2023年1–3月累计" in at.caption[0].value
    assert "逾期判定日期：2023-03-31" in at.caption[0].value


def test_overdue_only(app, demo_store: Path) -> None:
    at = app(demo_store, period="2023").run()
    at.sidebar.checkbox(key="f.overdue").check().run()

    no_exception(at)
    assert param(at, "overdue") == ["1"]
    assert metrics(at)["入河排污口"] == "4"  # 4 outlets past their deadline at the end of 2023


def test_filters_follow_the_user_to_another_page(app, demo_store: Path, demo_layers) -> None:
    at = app(demo_store).run()
    at.sidebar.multiselect(key="f.district").set_value(["沙洲区"]).run()

    at.switch_page("geomon/app/pages/dashboard.py").run()

    no_exception(at)
    assert at.sidebar.multiselect(key="f.district").value == ["沙洲区"]
    expected = (demo_layers["outlets"]["district"] == "沙洲区").sum()
    assert metrics(at)["排污口总数"] == str(expected)


def test_clear_filters(app, demo_store: Path) -> None:
    at = app(demo_store, district="明珠区", stage="已销号").run()
    assert metrics(at)["入河排污口"] != "129"

    at.sidebar.button(key="f.reset").click().run()

    assert metrics(at)["入河排污口"] == "129"
    assert at.sidebar.multiselect(key="f.district").value == []
    assert "district" not in at.query_params


def test_more_filters_come_from_the_specs(app, demo_store: Path, demo_layers) -> None:
    at = app(demo_store, **{"outlets.sign_installed": "0"}).run()

    no_exception(at)
    expected = (demo_layers["outlets"]["sign_installed"] == False).sum()  # noqa: E712
    assert metrics(at)["入河排污口"] == str(expected)


@pytest.mark.parametrize(
    ("text", "lang", "label"),
    [
        ("", "zh", "全部监测数据"),
        ("2023", "zh", "2023年"),
        ("2023-03", "zh", "2023年3月"),
        ("2023-01..2023-06", "zh", "2023年1–6月累计"),
        ("2023-03", "en", "2023-03"),
        ("2023-01..2023-06", "en", "2023 months 1–6 (cumulative)"),
    ],
)
def test_period_label(text: str, lang: str, label: str) -> None:
    assert filterbar.period_label(text, lang) == label
