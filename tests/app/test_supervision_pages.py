"""The supervision pages under AppTest on a copy of the demo store (its five problems)."""

from __future__ import annotations

import datetime as dt
import io
import json
import zipfile
from pathlib import Path

from apphelp import metrics, no_exception

from geomon.store import open_store
from geomon.supervision import problems as sp

AS_OF = dt.date(2026, 12, 1)  # the demo's red card (P2023-002) holds from 2023-09-02 to 2027-06


def test_problem_list_cards_filters_and_dispatch_sheet(app, demo_copy: Path, downloads) -> None:
    at = app(demo_copy, "problems").run()
    at.sidebar.date_input(key="problems.as_of").set_value(AS_OF).run()
    no_exception(at)
    assert metrics(at) == {"未销号": "3", "逾期": "1", "红牌": "1", "黄牌": "0"}
    table = at.dataframe[0].value
    assert next(iter(table["问题编号"])) == "P2023-002" and next(iter(table["警示"])) == "红牌"
    assert len(table) == 5
    at.sidebar.multiselect(key="problems.card").set_value(["red"]).run()
    assert list(at.dataframe[0].value["问题编号"]) == ["P2023-002"]
    at.text_input(key="problems.month").set_value("2023-09")
    at.button(key="problems.make").click().run()
    no_exception(at)
    html = downloads.files["调度表-2023-09.html"].decode("utf-8")
    assert "督办〔2023〕09-01号" in html and "2023-09-30 23:59" in html
    assert downloads.files["调度表-2023-09.xlsx"][:2] == b"PK"


def test_problem_page_history_evidence_and_files(app, demo_copy: Path, downloads) -> None:
    at = app(demo_copy, "problem", problem="P2023-003").run()
    no_exception(at)
    assert at.header[0].value == "雨洪排口晴天有污水排出"
    steps = at.dataframe[1].value
    assert list(steps["新状态"]) == ["待整改", "整改中", "待核查", "整改中", "待核查", "已销号"]
    assert list(steps["办理人"])[-1] == "李娜"
    assert steps["时间"].iloc[-1] == "2023-09-15 10:00"  # Beijing time, to the minute
    assert len(at.get("image")) == 3  # the three photos' thumbnails
    photo = open_store(demo_copy).files("problems", "P2023-003")
    assert downloads.files["巡查发现.jpg"] == open_store(demo_copy).file_data(
        "problems", "P2023-003", photo["file_id"].iloc[0]
    )
    assert at.info[0].value == "该问题已销号。"
    with zipfile.ZipFile(io.BytesIO(downloads.files["P2023-003.zip"])) as archive:
        names = sorted(archive.namelist())
        assert json.loads(archive.read("record.json"))["verified_by"] == "李娜"
    assert names[-2:] == ["manifest.csv", "record.json"] and len(names) == 5


def test_problem_page_takes_a_step_and_keeps_the_four_eyes(app, demo_copy: Path) -> None:
    at = app(demo_copy, "problem", problem="P2023-005").run()
    at.selectbox(key="problem.next").set_value("整改中")
    at.text_area(key="problem.note").set_value("已约谈码头运营单位")
    at.text_input(key="problem.acting").set_value("王明")
    next(b for b in at.button if b.label == "提交").click().run()
    no_exception(at)
    assert at.success[0].value == "已办理：P2023-005 → 整改中"
    store = open_store(demo_copy)
    assert sp.problem_record(store, "P2023-005")["status"] == "整改中"
    assert store.history("problems", "P2023-005")["user"].iloc[-1] == "王明"
    # reported done by 王明 from the command line's library, then 王明 tries to close it here
    from suphelp_app import photo

    sp.update_problem(store, "P2023-005", status="待核查", user="王明", evidence=[photo()])
    at = app(demo_copy, "problem", problem="P2023-005").run()
    at.selectbox(key="problem.next").set_value("已销号")
    at.text_area(key="problem.note").set_value("同意")
    at.text_input(key="problem.acting").set_value("王明")
    next(b for b in at.button if b.label == "提交").click().run()
    assert "不能自己销号" in at.error[0].value
    assert sp.problem_record(open_store(demo_copy), "P2023-005")["status"] == "待核查"


def test_inspection_page_records_a_visit_and_opens_a_problem(app, demo_copy: Path) -> None:
    at = app(demo_copy, "inspection").run()
    no_exception(at)
    at.selectbox(key="inspection.feature.outlets").set_value("CJ9001429902CS0030")
    at.text_area(key="inspection.findings.0").set_value("排口旁堆放垃圾")
    at.toggle(key="inspection.open.0").set_value(True).run()
    at.text_input(key="inspection.ptitle.0").set_value("排口旁堆放垃圾")
    at.text_input(key="inspection.inspector").set_value("王明")
    at.button(key="inspection.save").click().run()
    no_exception(at)
    today = dt.date.today()
    new = f"P{today.year}-001"  # found today: the first of this year's numbers
    visit_id = f"XC{today:%Y%m%d}-001"
    assert [s.value for s in at.success] == [f"已保存巡查记录 {visit_id}", f"已登记问题 {new}"]
    store = open_store(demo_copy)
    visit = store.read("inspections").set_index("id").loc[visit_id]  # the demo has one, too
    assert (visit["inspector"], visit["feature_id"], visit["problems"]) == (
        "王明", "CJ9001429902CS0030", new,
    )  # fmt: skip
    assert visit["position_source"] == "要素位置"  # no device position, no photo
    made = sp.problem_record(store, new)
    assert (made["source"], made["unit"], made["reporter"]) == ("巡查", "东门街道办事处", "王明")


def test_outlet_record_shows_its_problems_with_thumbnails(app, demo_copy: Path) -> None:
    at = app(demo_copy, "outlet", outlet="CJ9301429924CY0010").run()
    no_exception(at)
    assert "相关问题（问题清单）" in [s.value for s in at.subheader]
    tables = [d.value for d in at.dataframe if "问题编号" in d.value.columns]
    assert [list(t["问题编号"]) for t in tables] == [["P2023-003"]]
    (images,) = at.get("image")  # one row of thumbnails
    assert len(images.proto.imgs) == 3  # 巡查发现, 整改后1, 整改后2


def test_an_overdue_outlet_becomes_a_problem_in_one_click(app, demo_copy: Path) -> None:
    at = app(demo_copy, "outlet", outlet="CJ9301429924GM0007").run()  # due 2023-03-31, 整治中
    no_exception(at)
    at.button(key="outlet.problem").click().run()
    no_exception(at)
    made = open_store(demo_copy).read("problems")
    row = made[made["feature_id"] == "CJ9301429924GM0007"]
    assert sorted(row["source"]) == ["信访投诉", "排查"]  # the demo's complaint, and this one
    assert at.query_params["problem"] == f"P{dt.date.today().year}-001"


def test_the_red_card_says_why(app, demo_copy: Path) -> None:
    at = app(demo_copy, "problem", problem="P2023-002").run()
    no_exception(at)
    days = (dt.date.today() - dt.date(2023, 8, 2)).days
    assert at.error[0].value == f"红牌警示：已逾期 {days} 天（超过 30 天）"
    fields = dict(
        zip(at.dataframe[0].value.iloc[:, 0], at.dataframe[0].value.iloc[:, 1], strict=True)
    )
    assert fields["关联图层"] == "入河排污口"  # the layer's title, not its name


def test_inspection_page_takes_a_step_on_an_open_problem(app, demo_copy: Path) -> None:
    at = app(demo_copy, "inspection").run()
    at.selectbox(key="inspection.feature.outlets").set_value("CJ9301429924GM0007").run()
    at.selectbox(key="inspection.upd.0").set_value("P2023-005").run()  # the demo's complaint
    at.selectbox(key="inspection.to.0").set_value("整改中")
    at.text_input(key="inspection.unote.0").set_value("运营单位已整改油污收集")
    at.text_input(key="inspection.inspector").set_value("王明")
    at.button(key="inspection.save").click().run()
    no_exception(at)
    made = sp.problem_record(open_store(demo_copy), "P2023-005")
    visit = f"XC{dt.date.today():%Y%m%d}-001"
    assert (made["status"], made["note"]) == ("整改中", f"运营单位已整改油污收集（巡查 {visit}）")
    visits = open_store(demo_copy).read("inspections").set_index("id")
    assert visits.at[visit, "problems"] == "P2023-005"
