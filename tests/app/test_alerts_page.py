"""The 预警 page under AppTest on a copy of the demo store, evaluated on 2023-06-30.

On that day (see tests/monitoring/test_alerts_demo.py): 3 overdue outlets (high), 3 section
exceedances and 1 worsening trend (medium), 1 outlet due that very day (low): 8 open alerts.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from apphelp import metrics, no_exception
from streamlit.testing.v1 import AppTest

from geomon.app.present import alerts_view
from geomon.monitoring import alerts
from geomon.store import open_store


def test_page_lists_the_open_alerts_with_links(
    app: Callable[..., AppTest], demo_store: Path
) -> None:
    at = app(demo_store, "alerts", as_of="2023-06-30").run()
    no_exception(at)
    assert at.title[0].value == "预警"
    assert metrics(at) == {"待处理预警": "16", "高": "7", "中": "8", "低": "1"}
    table = at.dataframe[0].value
    assert len(table) == 16
    # high first: the four station runs of days, then the three overdue outlets
    assert table["kind"].tolist()[:7] == ["持续超标"] * 4 + ["逾期未整治"] * 3
    overdue = table.iloc[4]
    assert overdue["record"] == f"/outlet?outlet={overdue['feature_id']}"
    assert overdue["map"] == f"/map?q={overdue['feature_id']}"
    sections = table[table["layer"] == "水质监测断面"]
    assert sorted(set(sections["feature_id"])) == ["JHGK05", "JHSK07", "JHSK08"]
    assert set(sections["record"]) == {f"/section?code={c}" for c in ("JHGK05", "JHSK07", "JHSK08")}
    assert all("GB 3838-2002 表1" in r for r in table[table["kind"] == "超标"]["rule"])


def test_filters_narrow_the_list(app: Callable[..., AppTest], demo_store: Path) -> None:
    at = app(demo_store, "alerts", as_of="2023-06-30").run()
    at.multiselect(key="alerts.kinds").set_value(["exceedance"]).run()
    no_exception(at)
    assert metrics(at)["待处理预警"] == "7"  # 3 from the lab's June means, 4 station hours
    at.multiselect(key="alerts.kinds").set_value([]).run()
    at.multiselect(key="alerts.severities").set_value(["low"]).run()
    assert at.dataframe[0].value["kind"].tolist() == ["整治时限临近"]
    at.multiselect(key="alerts.severities").set_value([]).run()
    at.multiselect(key="alerts.layers").set_value(["outlets"]).run()
    assert metrics(at)["待处理预警"] == "4"


def test_english(app: Callable[..., AppTest], demo_store: Path) -> None:
    at = app(demo_store, "alerts", as_of="2023-06-30", lang="en").run()
    no_exception(at)
    assert at.title[0].value == "Early warnings"
    assert metrics(at)["High"] == "7"
    assert at.dataframe[0].value["record"].iloc[0].endswith("&lang=en")


def test_acknowledging_leaves_the_open_list_and_lands_in_the_history(
    app: Callable[..., AppTest], demo_copy: Path
) -> None:
    at = app(demo_copy, "alerts", as_of="2023-06-30").run()
    first = at.selectbox(key="alerts.ack_id").value
    assert first == "persistent_exceedance/sections/JHGK05/TP/4299JHGK05/2023-06-01"
    # an empty note is refused and nothing is written
    at.text_area(key="alerts.ack_note").input("   ")
    at.button(key="FormSubmitter:alerts.ack-确认").click().run()
    no_exception(at)
    assert "needs a note" in at.error[0].value
    assert open_store(demo_copy).layer_names().count("alert_acks") == 0

    at.text_area(key="alerts.ack_note").input("已约谈责任单位")
    at.button(key="FormSubmitter:alerts.ack-确认").click().run()
    no_exception(at)
    assert metrics(at)["待处理预警"] == "15"
    assert metrics(at)["高"] == "6"
    # the flash message names the alert (as text: Markdown's _ escaped)
    assert at.success[0].value.endswith(first.replace("_", "\\_"))
    acked = at.dataframe[1].value
    assert acked["预警编号"].tolist() == [first]
    assert acked["确认说明"].tolist() == ["已约谈责任单位"]

    store = open_store(demo_copy)
    (event,) = store.history("alert_acks").to_dict("records")
    assert (event["op"], event["source"], event["key"]) == ("insert", "app", first)
    assert alerts.read_acks(store)["note"].tolist() == ["已约谈责任单位"]


def test_beijing_times_to_the_minute() -> None:
    assert alerts_view.beijing("2023-06-30T06:00Z") == "2023-06-30 14:00"
    assert alerts_view.beijing("2023-06-01") == "2023-06-01"


def test_map_link_opens_the_map_searched_for_the_code(
    app: Callable[..., AppTest], demo_store: Path
) -> None:
    code = "CJ9102429922NS0001"  # an overdue outlet's map link: /map?q=<code>
    at = app(demo_store, "map", q=code).run()
    no_exception(at)
    assert at.text_input(key="map_search").value == code
    (link,) = at.page_link
    assert link.label.endswith(code)  # the map found it and offers its record page


def test_an_alert_becomes_a_problem_in_one_step(
    app: Callable[..., AppTest], demo_copy: Path
) -> None:
    at = app(demo_copy, "alerts", as_of="2023-06-30").run()
    first = at.selectbox(key="alerts.ack_id").value  # JHGK05's 30-day TP run (high, listed first)
    before = open_store(demo_copy).read("problems")
    button = "FormSubmitter:alerts.ack-登记为问题（问题清单）"

    at.button(key=button).click().run()  # no responsible unit: refused, nothing written
    assert "责任单位" in at.error[0].value
    assert len(open_store(demo_copy).read("problems")) == len(before)

    at.text_input(key="alerts.problem_unit").input("江汉市生态环境局湖区分局")
    at.button(key=button).click().run()

    no_exception(at)
    after = open_store(demo_copy).read("problems")
    (made,) = after[~after["id"].isin(before["id"])].to_dict("records")
    assert first.startswith("persistent_exceedance/sections/JHGK05/TP/")
    assert (made["feature_layer"], made["feature_id"]) == ("sections", "JHGK05")
    assert (made["source"], made["status"]) == ("监测预警", "待整改")
    assert made["unit"] == "江汉市生态环境局湖区分局"
    assert open_store(demo_copy).read("alert_acks").empty  # registering does not acknowledge
