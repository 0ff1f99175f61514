"""The dashboard: KPI cards and charts from geomon.analysis.stats, following the filters."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pyarrow as pa
import pytest
from apphelp import metrics, no_exception, open_tab

from geomon.analysis import compliance, stats
from geomon.rules import outlets as ro
from geomon.store import open_store


@pytest.fixture(scope="module")
def demo_layers(demo_store: Path) -> dict:
    store = open_store(demo_store)
    return {n: store.read(n) for n in ("outlets", "sections", "monitoring")}


def _charts(at) -> int:
    return len(at.get("vega_lite_chart"))


@pytest.mark.parametrize("district", [None, "明珠区"], ids=["all", "one-district"])
def test_outlet_kpis_follow_the_rules(app, demo_store: Path, demo_layers, district) -> None:
    outlets = demo_layers["outlets"]
    query = {"period": "2023"} | ({"district": district} if district else {})
    if district:
        outlets = outlets[outlets["district"] == district]
    total = ro.progress(outlets, as_of="2023-12-31").iloc[0]

    at = app(demo_store, "dashboard", **query).run()

    no_exception(at)
    got = metrics(at)
    assert got["排污口总数"] == f"{int(total['total']):,}"
    assert got["已完成整治"] == f"{int(total['rectified']):,}"
    assert got["逾期未完成"] == f"{int(total['overdue']):,}"
    assert got["已溯源"] == f"{int(total['traced']):,}"


def test_section_kpis_and_charts(app, demo_store: Path, demo_layers) -> None:
    sections, monitoring = demo_layers["sections"], demo_layers["monitoring"]
    results = compliance.section_results(sections, monitoring, period=("2023-01-01", "2023-06-30"))
    overall = stats.network_table(results)[0]
    by_level = {r["control_level"]: r for r in stats.network_table(results, by="control_level")}

    at = app(demo_store, "dashboard", period="2023-01..2023-06").run()
    assert "总体优良比例" not in metrics(at)  # the sections tab runs only when opened
    open_tab(at, "dash_tab", "断面水质")

    no_exception(at)
    got = metrics(at)
    assert got["总体优良比例"] == f"{overall['good_pct']}%"
    assert got["国控优良比例"] == f"{by_level['国控']['good_pct']}%"
    assert got["已评价断面"] == f"{overall['assessed']} / {overall['sections']}"
    assert got["达标比例"] == f"{overall['meets_target_pct']}%"
    assert _charts(at) == 2  # classes, monthly (the outlet tab's three are not sent)
    assert len(at.get("download_button")) == 2  # levels, sections


def test_dashboard_in_english(app, demo_store: Path) -> None:
    at = app(demo_store, "dashboard", lang="en").run()

    no_exception(at)
    assert at.title[0].value == "Supervision dashboard"
    by_type = at.dataframe[1].value
    assert set(by_type.iloc[:, 0]) == {"Industrial", "Agricultural", "Other", "Municipal WWTP"}
    open_tab(at, "dash_tab", "Section water quality")
    assert "National: good" in metrics(at)


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_dashboard_cites_standards_with_rates_to_one_decimal(app, demo_store: Path, lang) -> None:
    at = app(demo_store, "dashboard", period="2023", **({"lang": lang} if lang == "en" else {}))
    at.run()

    no_exception(at)
    captions = " ".join(c.value for c in at.caption)
    assert "国办函〔2022〕17号" in captions
    assert "DOMAIN" not in captions and ".md" not in captions
    # rectified share per district: 明珠区 rectified 30 of 32 ⇒ 93.8 (one decimal, not 93.75)
    shown = _display(at.dataframe[0])
    mingzhu = shown.loc[shown.iloc[:, 0] == "明珠区"].iloc[0]
    assert mingzhu.iloc[-1] == "93.8"
    assert "100.0" in shown.iloc[:, -1].tolist()  # a whole rate keeps its decimal
    milestones = _display(at.dataframe[2])  # end 2023: 80% traced, 30% rectified (17号)
    assert milestones.iloc[0, [3, 5]].tolist() == ["80.0", "30.0"]


def _display(element) -> pd.DataFrame:
    """The texts the browser shows for a Styler-formatted ``st.dataframe``."""
    data = element.proto.arrow_data.styler.display_values
    return pa.ipc.open_stream(data).read_all().to_pandas()


def test_empty_states(app, tiny_store: Path, demo_store: Path) -> None:
    at = app(tiny_store, "dashboard").run()  # no monitoring data in the tiny store

    no_exception(at)
    assert metrics(at)["排污口总数"] == "2"
    open_tab(at, "dash_tab", "断面水质")
    assert any("没有监测数据" in i.value for i in at.info)

    at = app(demo_store, "dashboard", district="明珠区", stage="已排查", type="农业排口").run()
    no_exception(at)
    assert any("没有排污口" in i.value for i in at.info)
