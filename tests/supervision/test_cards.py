"""The red/yellow card rule at its boundaries (rules/supervision.toml: 0, 30 days; sent back 2)."""

from __future__ import annotations

import pandas as pd
import pytest

from geomon.rules import supervision as rules


def _one(deadline: str, status: str = "整改中", sent_back: int = 0) -> pd.DataFrame:
    return pd.DataFrame(
        {"deadline": pd.to_datetime([deadline]), "status": [status], "sent_back": [sent_back]}
    )


@pytest.mark.parametrize(
    ("as_of", "card", "days"),
    [
        ("2023-06-29", None, 0),
        ("2023-06-30", None, 0),  # the deadline day itself: no card
        ("2023-07-01", "yellow", 1),  # deadline + 1
        ("2023-07-30", "yellow", 30),  # deadline + 30: still yellow
        ("2023-07-31", "red", 31),  # deadline + 31: "more than 30 days past"
    ],
)
def test_cards_by_days_past_the_deadline(as_of: str, card: str | None, days: int) -> None:
    frame = _one("2023-06-30")
    assert rules.cards(frame, as_of).iloc[0] == card
    assert rules.days_overdue(frame, as_of).iloc[0] == days


@pytest.mark.parametrize(("sent_back", "card"), [(0, None), (1, None), (2, "red"), (3, "red")])
def test_sent_back_twice_is_red_whatever_the_deadline(sent_back: int, card: str | None) -> None:
    assert rules.cards(_one("2023-12-31", sent_back=sent_back), "2023-07-01").iloc[0] == card


@pytest.mark.parametrize("status", ["待整改", "整改中", "待核查"])
def test_every_open_status_can_carry_a_card(status: str) -> None:
    assert rules.cards(_one("2023-06-30", status), "2023-07-01").iloc[0] == "yellow"


def test_a_closed_problem_carries_no_card_and_no_days() -> None:
    frame = _one("2023-06-30", "已销号", sent_back=2)
    assert rules.cards(frame, "2023-09-30").iloc[0] is None
    assert rules.days_overdue(frame, "2023-09-30").iloc[0] == 0


def test_the_rule_is_data(tmp_path) -> None:
    text = rules.RULES_FILE.read_text(encoding="utf-8").replace(
        "red_after_days = 30", "red_after_days = 10"
    )
    path = tmp_path / "supervision.toml"
    path.write_text(text, encoding="utf-8")
    loaded = rules.load_rules(path)
    assert loaded.cards == rules.CardRule(yellow_after_days=0, red_after_days=10, red_sent_back=2)
    assert rules.cards(_one("2023-06-30"), "2023-07-11", rule=loaded.cards).iloc[0] == "red"
    assert [s.target for s in loaded.steps] == ["整改中", "待核查", "整改中", "已销号"]


def test_status_filter_takes_labels_and_aliases() -> None:
    from geomon.supervision import problems

    frame = pd.DataFrame(
        {
            "id": ["P1", "P2"], "title": ["a", "b"], "feature_layer": ["outlets"] * 2,
            "feature_id": ["O1", "O2"], "source": ["巡查"] * 2, "unit": ["u"] * 2,
            "deadline": pd.to_datetime(["2023-06-30"] * 2), "status": ["已销号", "整改中"],
            "sent_back": [0, 0],
        }
    )  # fmt: skip
    for name in ("已销号", "销号", "Closed"):
        assert list(problems.problem_list(frame, as_of="2023-07-01", status=name)["id"]) == ["P1"]
