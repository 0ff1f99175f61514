"""The problems workflow on both store backends: make, step, send back, four-eyes close.

Every step is dated (``at``) so the history and the cards are known by hand.
"""

from __future__ import annotations

import io

import pytest
from suphelp import jpeg

from geomon.errors import ValidationError, WorkflowError
from geomon.store import Store
from geomon.supervision import evidence, problems

ALERT = {
    "kind": "exceedance",
    "severity": "high",
    "layer": "sections",
    "id": "S1",
    "name": "宗关",
    "parameter": "氨氮",
    "value": 2.4,
    "limit": 1.0,
    "since": "2023-07-03",
    "message": "宗关 氨氮 2.4 mg/L 超过 III 类限值 1.0",
    "rule": "GB 3838-2002 表1",
}


def _add(store: Store, **extra: object) -> dict:
    args = {
        "layer": "outlets",
        "feature_id": "O2",
        "title": "二号排污口 雨污混排",
        "source": "巡查",
        "unit": "江岸区水务局",
        "deadline": "2023-08-31",
        "user": "alice",
        "at": "2023-07-05",
    }
    return problems.add_problem(store, **(args | extra))


def _photo(color: tuple[int, int, int] = (10, 120, 10)) -> evidence.Evidence:
    return evidence.check_evidence("整改后.jpg", jpeg(color))


def test_a_problem_takes_the_feature_s_point_district_and_a_yearly_id(store: Store) -> None:
    first = _add(store, measures="截污纳管", steps="2023-07-20 完成管网接驳")
    second = _add(store, title="二号排污口 标志牌缺失", at="2023-07-06")
    assert (first["id"], second["id"]) == ("P2023-001", "P2023-002")
    assert (first["lon"], first["lat"]) == (114.35, 30.65)  # outlet O2's point
    assert (first["district"], first["district_code"]) == ("江岸区", "420102")
    assert first["status"] == "待整改" and first["reporter"] == "alice"
    assert first["found_date"] == "2023-07-05" and first["sent_back"] == 0
    assert first["measures"] == "截污纳管" and first["steps"] == "2023-07-20 完成管网接驳"
    events = store.history("problems", "P2023-001")
    assert list(events["op"]) == ["insert"] and events["user"].iloc[0] == "alice"


def test_full_loop_with_send_back_and_four_eyes_close(store: Store) -> None:
    pid = _add(store)["id"]
    problems.update_problem(
        store, pid, status="整改中", user="alice", note="已开工", at="2023-07-10"
    )
    photo = _photo()
    done = problems.update_problem(
        store, pid, status="待核查", user="alice", evidence=[photo], at="2023-07-20"
    )
    assert (done["done_by"], done["done_date"]) == ("alice", "2023-07-20")
    back = problems.update_problem(
        store, pid, status="整改中", user="bob", note="现场仍有污水直排", at="2023-07-22"
    )
    assert back["status"] == "整改中" and back["sent_back"] == 1
    problems.update_problem(
        store, pid, status="待核查", user="alice", evidence=[_photo((5, 5, 200))], at="2023-07-28"
    )
    with pytest.raises(WorkflowError, match="alice reported it done and cannot close it"):
        problems.update_problem(
            store, pid, status="已销号", user="alice", note="ok", at="2023-07-29"
        )
    closed = problems.update_problem(
        store, pid, status="已销号", user="bob", note="复核通过", at="2023-07-30"
    )
    assert (closed["status"], closed["verified_by"], closed["closed_date"]) == (
        "已销号",
        "bob",
        "2023-07-30",
    )
    assert closed["card"] is None and closed["sent_back"] == 1
    steps = problems.steps_of(store.history("problems", pid))
    assert list(zip(steps["user"], steps["from"], steps["to"], steps["note"], strict=True)) == [
        ("alice", None, "待整改", None),
        ("alice", "待整改", "整改中", "已开工"),
        ("alice", "整改中", "待核查", None),
        ("bob", "待核查", "整改中", "现场仍有污水直排"),
        ("alice", "整改中", "待核查", None),
        ("bob", "待核查", "已销号", "复核通过"),
    ]
    files = store.files("problems", pid)
    assert list(files["caption"]) == ["待核查", "待核查"]
    assert list(files["user"]) == ["alice", "alice"]
    assert store.file_data("problems", pid, files["file_id"].iloc[0]) == photo.data
    from PIL import Image

    with Image.open(io.BytesIO(files["thumbnail"].iloc[0])) as thumb:
        assert thumb.format == "JPEG" and thumb.size == (64, 48)  # smaller than 320: as is


@pytest.mark.parametrize(
    ("steps", "status", "user", "note", "files", "match"),
    [
        ([], "已销号", "bob", "ok", 1, "does not allow 待整改 → 已销号"),
        ([], "待核查", "alice", None, 0, "needs evidence"),
        ([("待核查", "alice", 1)], "整改中", "bob", None, 1, "needs a note"),
        ([("待核查", "alice", 1)], "已销号", "bob", "  ", 1, "needs a note"),
        ([("待核查", "alice", 1)], "已销号", "alice", "ok", 1, "cannot close it"),
        ([("待核查", "alice", 1)], "待核查", "alice", None, 1, "does not allow 待核查 → 待核查"),
    ],
)
def test_a_forbidden_step_writes_nothing(
    store: Store,
    steps: list[tuple[str, str, int]],
    status: str,
    user: str,
    note: str | None,
    files: int,
    match: str,
) -> None:
    pid = _add(store)["id"]
    for to, who, n in steps:
        photos = [_photo((n, 0, 0))] if n else []
        problems.update_problem(store, pid, status=to, user=who, evidence=photos, at="2023-07-10")
    before = (
        store.revision(),
        store.read("problems", with_versions=True).astype(str).to_dict("records"),
        len(store.files("problems")),
    )
    with pytest.raises(WorkflowError, match=match):
        problems.update_problem(
            store, pid, status=status, user=user, note=note, evidence=[_photo((9, 9, 9))] * files
        )
    after = (
        store.revision(),
        store.read("problems", with_versions=True).astype(str).to_dict("records"),
        len(store.files("problems")),
    )
    assert after == before


def test_sent_back_twice_is_a_red_card_before_the_deadline(store: Store) -> None:
    pid = _add(store)["id"]
    for day in ("10", "12"):
        problems.update_problem(
            store,
            pid,
            status="待核查",
            user="alice",
            evidence=[_photo()],
            at=f"2023-07-{day}T09:00",
        )
        back = problems.update_problem(
            store, pid, status="整改中", user="bob", note="未整改到位", at=f"2023-07-{day}T10:00"
        )
    assert back["sent_back"] == 2 and back["card"] == "red" and back["days_overdue"] == 0


def test_an_alert_becomes_a_problem_in_one_step(store: Store) -> None:
    made = problems.problem_from_alert(
        store, ALERT, user="alice", unit="江岸区政府", at="2023-07-04"
    )
    assert made["source"] == "监测预警" and made["title"] == ALERT["message"]
    assert (made["feature_layer"], made["feature_id"]) == ("sections", "S1")
    assert (made["lon"], made["lat"]) == (114.3, 30.62)
    # the section has no district code: the district polygon holding its point gives it
    assert (made["district"], made["district_code"]) == ("江岸区", "420102")
    assert made["deadline"] == "2023-08-03"  # found + 30 days (rules/supervision.toml)
    assert "parameter: 氨氮" in made["description"] and "limit: 1.0" in made["description"]


def test_an_alert_without_a_unit_is_refused(store: Store) -> None:
    with pytest.raises(WorkflowError, match="responsible unit"):
        problems.problem_from_alert(store, ALERT, user="alice", at="2023-07-04")
    assert "problems" not in store.layer_names()


def test_an_overdue_outlet_becomes_a_problem_in_one_step(store: Store) -> None:
    with pytest.raises(WorkflowError, match="not overdue on 2023-06-30"):
        problems.problem_from_overdue_outlet(store, "O2", user="alice", at="2023-06-30")
    made = problems.problem_from_overdue_outlet(store, "O2", user="alice", at="2023-07-01")
    assert (made["source"], made["unit"], made["title"]) == (
        "排查",
        "江岸区水务局",
        "二号排污口 整治逾期",
    )
    assert made["description"] == "整治时限 2023-06-30，当前进度 已排查"
    with pytest.raises(WorkflowError, match="not overdue"):
        problems.problem_from_overdue_outlet(store, "O1", user="alice", at="2023-07-01")


def test_unknown_feature_and_unknown_source_are_refused(store: Store) -> None:
    with pytest.raises(WorkflowError, match="no feature with id O9"):
        _add(store, feature_id="O9")
    with pytest.raises(ValidationError, match="source"):
        _add(store, source="路过")
    assert "problems" not in store.layer_names()


def test_the_list_carries_cards_and_filters(store: Store) -> None:
    _add(store, deadline="2023-08-31")
    _add(store, deadline="2023-07-31", at="2023-07-06")
    _add(store, deadline="2023-06-30", at="2023-07-07")
    table = problems.problem_list(store.read("problems"), as_of="2023-08-01")
    assert list(table.columns) == list(problems.LIST_COLUMNS)
    got = list(zip(table["id"], table["card"], table["days_overdue"], strict=True))
    assert got == [("P2023-003", "red", 32), ("P2023-002", "yellow", 1), ("P2023-001", None, 0)]
    overdue = problems.problem_list(store.read("problems"), as_of="2023-08-01", overdue=True)
    assert list(overdue["id"]) == ["P2023-003", "P2023-002"]
    assert problems.problem_list(store.read("problems"), status="已销号").empty


def test_files_are_scoped_by_area(store: Store) -> None:
    from geomon.access.auth import User
    from geomon.access.scoped import ScopedStore
    from geomon.errors import AccessDeniedError

    pid = _add(store)["id"]
    problems.update_problem(
        store, pid, status="待核查", user="alice", evidence=[_photo()], at="2023-07-10"
    )
    file_id = store.files("problems", pid)["file_id"].iloc[0]
    county = ScopedStore(store, User("jiangan", "editor", ("420102",)))
    other = ScopedStore(store, User("other", "editor", ("420103",)))
    assert list(county.files("problems")["key"]) == [pid]
    assert county.file_data("problems", pid, file_id) == _photo().data
    assert other.files("problems").empty
    with pytest.raises(AccessDeniedError, match="outside your areas"):
        other.file_data("problems", pid, file_id)
