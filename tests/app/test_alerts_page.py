"""The 预警 page under AppTest on a copy of the demo store, evaluated on 2023-06-30.

On that day (see tests/monitoring/test_alerts_demo.py): 3 overdue outlets (high), 3 section
exceedances and 1 worsening trend (medium), 1 outlet due that very day (low): 8 open alerts.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from apphelp import metrics, no_exception, shown
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
    at.text_input(key="alerts.acting").input("张科员")  # no logins: who acknowledges, by name
    at.button(key="FormSubmitter:alerts.ack-确认").click().run()
    no_exception(at)
    assert metrics(at)["待处理预警"] == "15"
    assert metrics(at)["高"] == "6"
    # the flash message names who and the alert as people name it, not its id
    assert (
        shown(at.success[0].value)
        == "张科员 已确认预警：鸳鸯湖湖心（JHGK05） 总磷 持续超标，自 2023-06-01 起"
    )
    acked = at.dataframe[1].value
    assert acked["预警编号"].tolist() == [first]
    assert acked["确认说明"].tolist() == ["已约谈责任单位"]
    assert acked["确认人"].tolist() == ["张科员"]
    assert acked["项目"].tolist() == ["总磷"]  # the label, as in the open alerts table
    assert at.text_input(key="alerts.acting").value == "张科员"  # kept for the next one

    store = open_store(demo_copy)
    (event,) = store.history("alert_acks").to_dict("records")
    assert (event["op"], event["source"], event["key"]) == ("insert", "app", first)
    assert event["user"] == "张科员"
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


COLUMNS = ["kind", "name", "parameter", "source", "value", "limit", "since"]
ZH_ROWS = [
    ["持续超标", "鸳鸯湖湖心", "总磷", "自动站 日均值", "连续 30 天", "0.05 mg/L", "2023-06-01"],
    ["持续超标", "兴农运河入河口", "溶解氧", "自动站 日均值", "连续 13 天", "5 mg/L", "2023-06-18"],
    ["持续超标", "兴农运河入河口", "氨氮", "自动站 日均值", "连续 30 天", "1 mg/L", "2023-06-01"],
    ["持续超标", "兴农运河入河口", "总磷", "自动站 日均值", "连续 30 天", "0.2 mg/L", "2023-06-01"],
    *[["逾期未整治", name, "", "排污口台账", "逾期 91 天", "整治时限 2023-03-31", "2023-04-01"]
      for name in ("江汉市柳溪县柳溪刘垸村生活污水散排口", "江汉市芦荡县湖滨路2号雨洪排口",
                   "江汉市芦荡县芦荡镇码头排口")],
    ["超标", "鸳鸯湖湖心", "总磷", "自动站 小时值", "0.086 mg/L", "0.05 mg/L", "2023-06-01 00:00"],
    ["超标", "鸳鸯湖湖心", "总磷", "人工监测 月均值", "0.086 mg/L", "0.05 mg/L", "2023-06-01"],
    ["超标", "兴农运河入河口", "溶解氧", "自动站 小时值", "4.9 mg/L", "5 mg/L", "2023-06-30 20:00"],
    ["超标", "兴农运河入河口", "氨氮", "自动站 小时值", "1.41 mg/L", "1 mg/L", "2023-06-01 00:00"],
    ["超标", "兴农运河入河口", "氨氮", "人工监测 月均值", "1.60 mg/L", "1 mg/L", "2023-06-01"],
    ["超标", "兴农运河入河口", "总磷", "自动站 小时值", "0.204 mg/L", "0.2 mg/L",
     "2023-06-30 22:00"],
    ["超标", "兴农运河入河口", "总磷", "人工监测 月均值", "0.205 mg/L", "0.2 mg/L", "2023-06-01"],
    ["水质变差", "兴农运河上游", "", "人工监测 月均值", "Ⅲ类", "上月 Ⅱ类", "2023-06-01"],
    ["整治时限临近", "江汉市明珠区西门街道码头排口", "", "排污口台账", "剩余 0 天",
     "整治时限 2023-06-30", "2023-05-31"],
]  # fmt: skip


def test_table_shows_units_sources_rounded_values_and_beijing_times(
    app: Callable[..., AppTest], demo_store: Path
) -> None:
    """The 16 open alerts of 2023-06-30 as shown: a station's hourly TP and the lab's monthly
    mean (both 0.086) told apart by their source; since in Beijing time (a UTC instant
    2023-05-31T16:00Z as 2023-06-01 00:00, a date as itself); values to their 82号 decimals."""
    at = app(demo_store, "alerts", as_of="2023-06-30").run()
    no_exception(at)
    table = at.dataframe[0].value
    assert table[COLUMNS].to_numpy().tolist() == ZH_ROWS
    assert table["message"].tolist()[:2] == [
        "自动站 4299JHGK05 总磷日均值连续 30 天劣于水质目标Ⅲ类（限值 0.05，最近 0.089）",
        "自动站 4299JHSK08 溶解氧日均值连续 13 天劣于水质目标Ⅲ类（限值 5，最近 4.9）",
    ]
    assert table["message"].iloc[14] == "2023年06月水质Ⅲ类（良好），较上月Ⅱ类（优）有所变差"
    # the CLI's JSON keeps the exact numbers and instants (an interface)
    found = alerts.store_alerts(open_store(demo_store), as_of="2023-06-30")
    dumped = alerts.alerts_json(found, "2023-06-30")["alerts"]
    assert [(a["value"], a["since"]) for a in dumped if a["parameter"] == "DO"] == [
        (13, "2023-06-18"), (4.94, "2023-06-30T12:00Z")
    ]  # fmt: skip
    assert dumped[0]["message"].endswith("latest 0.089)")  # the text rounds, value stays 30


def test_english_texts_are_all_english(app: Callable[..., AppTest], demo_store: Path) -> None:
    at = app(demo_store, "alerts", as_of="2023-06-30", lang="en").run()
    no_exception(at)
    table = at.dataframe[0].value
    assert table[COLUMNS].iloc[[0, 4, 7, 8, 14, 15]].to_numpy().tolist() == [
        ["Persistent exceedance", "鸳鸯湖湖心", "Total phosphorus", "Station, daily mean",
         "30 days running", "0.05 mg/L", "2023-06-01"],
        ["Overdue", "江汉市柳溪县柳溪刘垸村生活污水散排口", "", "Outlet ledger", "91 days overdue",
         "Deadline 2023-03-31", "2023-04-01"],
        ["Exceedance", "鸳鸯湖湖心", "Total phosphorus", "Station, hourly", "0.086 mg/L",
         "0.05 mg/L", "2023-06-01 00:00"],
        ["Exceedance", "鸳鸯湖湖心", "Total phosphorus", "Lab, monthly mean", "0.086 mg/L",
         "0.05 mg/L", "2023-06-01"],
        ["Worsening trend", "兴农运河上游", "", "Lab, monthly mean", "Class III",
         "Month before: Class II", "2023-06-01"],
        ["Deadline near", "江汉市明珠区西门街道码头排口", "", "Outlet ledger", "0 days left",
         "Deadline 2023-06-30", "2023-05-31"],
    ]  # fmt: skip
    assert table["message"].iloc[14] == (
        "2023-06 Class III (good), worse than Class II (excellent) the month before"
    )
    assert table["message"].iloc[1] == (
        "station 4299JHSK08 DO daily mean worse than the target Class III for 13 consecutive "
        "days (limit 5, latest 4.9)"
    )


def test_a_day_long_after_the_data_offers_the_latest_day(
    app: Callable[..., AppTest], demo_store: Path
) -> None:
    """The demo's lab results end 2023-06-30: a day months later says so and offers that day."""
    at = app(demo_store, "alerts", as_of="2023-12-31").run()
    no_exception(at)
    assert (
        shown(at.info[0].value)
        == "最新监测数据为 2023-06-30，远早于 2023-12-31：该日预警可能很少。"
    )
    at.button(key="alerts.to_latest").click().run()
    no_exception(at)
    assert at.date_input(key="alerts.as_of").value.isoformat() == "2023-06-30"
    assert metrics(at)["待处理预警"] == "16"
    assert not [i for i in at.info if "最新监测数据" in i.value]  # the note is gone
