"""The monthly dispatch sheet against hand counts on a known history, on both backends.

History (all 江岸区; units A and B):
  06-01 P3 found (B, due 06-25)         06-10 P1 found (A, due 06-30, title with markup)
  07-03 P2 found (A, due 07-20)         07-04 P2 → 整改中
  07-05 P1 → 整改中, P4 found (B, due 09-30)
  07-06..07-09 P4 reported done twice, sent back twice (red before its deadline)
  07-10 P1 reported done (alice)        07-15 P1 closed (bob)
  07-25 outlet O2 rectified             08-02 P5 found (A)      08-05 P2 reported done

July at its end: new P2, P4 (2); closed P1 (1); open P2, P3, P4 (3); overdue P2 (11 days,
yellow), P3 (36 days, red) (2); red P3, P4 (2); yellow P2 (1). P5 and P2's August step are
after the month: not seen. June: new P1, P3; open 2; P3 5 days overdue (yellow); P1 due 06-30,
no card on its deadline day.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from openpyxl import load_workbook
from suphelp import jpeg, seed

from geomon.cli import main
from geomon.reports import dispatch, dispatch_report
from geomon.store import Edit, Store, open_store
from geomon.supervision import evidence, problems

MARKUP = "<b>P1</b> 雨污混排"


def _history(store: Store) -> Store:
    def add(pid: str, unit: str, deadline: str, at: str, title: str | None = None) -> None:
        problems.add_problem(
            store, layer="outlets", feature_id="O2", title=title or f"{pid} 问题", source="巡查",
            unit=unit, deadline=deadline, user="alice", at=at, problem_id=pid,
        )  # fmt: skip

    def step(pid: str, status: str, user: str, at: str, photo: int = 0) -> None:
        files = [evidence.check_evidence("p.jpg", jpeg((photo, 1, 1)))] if photo else []
        problems.update_problem(
            store, pid, status=status, user=user, note="说明", evidence=files, at=at
        )

    add("P3", "B", "2023-06-25", "2023-06-01")
    add("P1", "A", "2023-06-30", "2023-06-10", MARKUP)
    add("P2", "A", "2023-07-20", "2023-07-03")
    step("P2", "整改中", "alice", "2023-07-04")
    step("P1", "整改中", "alice", "2023-07-05T09:00")
    add("P4", "B", "2023-09-30", "2023-07-05T10:00")
    step("P4", "待核查", "alice", "2023-07-06", photo=1)
    step("P4", "整改中", "bob", "2023-07-07")
    step("P4", "待核查", "alice", "2023-07-08", photo=2)
    step("P4", "整改中", "bob", "2023-07-09")
    step("P1", "待核查", "alice", "2023-07-10", photo=3)
    step("P1", "已销号", "bob", "2023-07-15")
    version = int(store.read("outlets", with_versions=True).set_index("code").at["O2", "_version"])
    store.edit(
        "outlets",
        [Edit(("O2",), {"stage": "整治完成", "completed_date": "2023-07-25"}, version)],
        user="carol",
        at="2023-07-25",
    )
    add("P5", "A", "2023-09-30", "2023-08-02")
    step("P2", "待核查", "alice", "2023-08-05", photo=4)
    return store


COUNTS = ["new", "closed", "open", "overdue", "red", "yellow"]


def test_july_and_june_against_hand_counts(store: Store) -> None:
    july = dispatch.dispatch_sheet(_history(store), "2023-07").figures
    assert july.totals == {"new": 2, "closed": 1, "open": 3, "overdue": 2, "red": 2, "yellow": 1}
    by_unit = july.by_unit.set_index("unit")[COUNTS].astype(int).to_dict("index")
    assert by_unit == {
        "A": {"new": 1, "closed": 1, "open": 1, "overdue": 1, "red": 0, "yellow": 1},
        "B": {"new": 1, "closed": 0, "open": 2, "overdue": 1, "red": 2, "yellow": 0},
        "合计": {"new": 2, "closed": 1, "open": 3, "overdue": 2, "red": 2, "yellow": 1},
    }
    assert list(july.by_district["district"]) == ["江岸区", "合计"]
    late = list(
        zip(july.overdue["id"], july.overdue["card"], july.overdue["days_overdue"], strict=True)
    )
    assert late == [("P3", "red", 36), ("P2", "yellow", 11)]
    notices = list(
        zip(july.notices["number"], july.notices["id"], july.notices["card"], strict=True)
    )
    assert notices == [
        ("督办〔2023〕07-01号", "P3", "red"),
        ("督办〔2023〕07-02号", "P4", "red"),
        ("督办〔2023〕07-03号", "P2", "yellow"),
    ]
    outlets = july.outlets.set_index("district").astype(int).to_dict("index")
    assert outlets["江岸区"] == {
        "total": 2, "rectified": 2, "rectified_before": 1, "rectified_in_month": 1, "overdue": 0,
    }  # fmt: skip
    june = dispatch.dispatch_sheet(store, "2023-06").figures
    assert june.totals == {"new": 2, "closed": 0, "open": 2, "overdue": 1, "red": 0, "yellow": 1}
    assert list(june.overdue["id"]) == ["P3"] and june.overdue["days_overdue"].iloc[0] == 5
    assert june.outlets.set_index("district").at["江岸区", "overdue"] == 0  # O2 due 06-30


def test_district_filter_and_an_empty_month(store: Store) -> None:
    _history(store)
    assert dispatch.dispatch_sheet(store, "2023-07", district="420102").figures.totals["open"] == 3
    assert dispatch.dispatch_sheet(store, "2023-07", district="江岸区").figures.totals["open"] == 3
    other = dispatch.dispatch_sheet(store, "2023-07", district="420103").figures
    assert other.totals == dict.fromkeys(COUNTS, 0) and other.notices.empty
    early = dispatch.dispatch_sheet(store, "2023-05").figures  # before any problem
    assert early.totals == dict.fromkeys(COUNTS, 0)


def test_html_and_xlsx_carry_the_figures_escaped(store: Store, tmp_path: Path) -> None:
    sheet = dispatch.dispatch_sheet(_history(store), "2023-06")
    page = dispatch_report.html(sheet)
    assert "&lt;b&gt;P1&lt;/b&gt; 雨污混排" not in page  # P1 is not overdue in June
    july = dispatch.dispatch_sheet(store, "2023-07")
    page = dispatch_report.html(july)
    assert "<script" not in page and "<b>P1</b>" not in page
    assert "督办〔2023〕07-03号" in page and "2023年7月 生态环境问题整改调度表" in page
    assert "数据截至 2023-07-31 23:59" in page
    dispatch_report.write_xlsx(july, tmp_path / "d.xlsx")
    wb = load_workbook(tmp_path / "d.xlsx")
    assert wb.sheetnames == ["概况", "按责任单位", "按区县", "逾期问题", "排污口整治", "督办通知"]
    assert [c.value for c in wb["概况"][2]][3:] == [2, 1, 3, 2, 2, 1]
    assert [c.value for c in wb["督办通知"]["B"]][1:] == ["B", "B", "A"]


def test_cli_dispatch_writes_html_and_xlsx(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("GEOMON_USERS", str(tmp_path / "no-users.toml"))
    path = tmp_path / "s.gpkg"
    _history(seed(open_store(path)))
    for suffix in ("html", "xlsx"):
        out = tmp_path / f"d.{suffix}"
        assert main(["dispatch", "--month", "2023-07", "--store", str(path), "-o", str(out)]) == 0
        assert out.stat().st_size > 1000
    assert "2023-07-31 23:59" in capsys.readouterr().out
    assert main(["dispatch", "--month", "2023-7x", "--store", str(path), "-o", "x.html"]) == 2
    assert main(["dispatch", "--month", "2023-07", "--store", str(path), "-o", "x.pdf"]) == 2
