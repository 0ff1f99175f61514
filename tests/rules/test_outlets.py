"""Tests for geomon.rules.outlets.

The ledger below has ten outlets; every expected count was worked out by hand from the table in
`_ledger` (stages per DOMAIN.md §2.4: traced = 已溯源 or later, rectified = 整治完成 or later,
closed = 已销号, overdue = deadline strictly before the day and not rectified). Codes follow the
layout in geomon/rules/outlets.toml: water 6 + district 6 + type 2 + serial 4 = 18 characters.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from geomon.errors import LayerSpecError
from geomon.rules import outlet_codes
from geomon.rules import outlets as ro
from geomon.store import open_store

T = pd.Timestamp


def _ledger() -> pd.DataFrame:
    #      stage        deadline      completed     traced        district category
    rows = [
        ("已排查", None, None, None, "甲区", None),  # 1
        ("已监测", None, None, None, "甲区", None),  # 2
        ("已溯源", None, None, "2023-01-15", "乙区", None),  # 3
        ("已命名编码", "2023-03-31", None, "2023-02-10", "甲区", "合并"),  # 4 overdue
        ("整治中", "2023-06-30", None, "2023-01-05", "乙区", "规范"),  # 5 due on the day
        ("整治中", "2023-05-31", None, "2022-12-20", "乙区", "取缔"),  # 6 overdue
        ("整治完成", "2023-03-31", "2023-04-20", "2023-01-10", "甲区", "规范"),  # 7 late, done
        ("已销号", "2023-06-30", "2023-02-28", None, "甲区", "合并"),  # 8 no traced_date
        ("已销号", None, "2023-05-10", "2023-03-01", None, "无需整治"),  # 9 no district
        (None, None, None, None, None, None),  # 10 blank stage
    ]
    frame = pd.DataFrame(
        rows,
        columns=["stage", "deadline", "completed_date", "traced_date", "district", "category"],
        index=pd.RangeIndex(1, 11, name="row"),
    )
    for col in ("deadline", "completed_date", "traced_date"):
        frame[col] = pd.to_datetime(frame[col])
    return frame


# ------------------------------------------------------------------------------ stages


def test_stage_predicates() -> None:
    ledger = _ledger()
    assert ro.is_traced(ledger["stage"]).tolist() == [0, 0, 1, 1, 1, 1, 1, 1, 1, 0]
    assert ro.is_rectified(ledger["stage"]).tolist() == [0, 0, 0, 0, 0, 0, 1, 1, 1, 0]
    assert ro.is_closed(ledger["stage"]).tolist() == [0, 0, 0, 0, 0, 0, 0, 1, 1, 0]


def test_stage_predicates_accept_categorical_and_unknown() -> None:
    stages = pd.Series(["已销号", "不明", None, "已溯源"], dtype="category")
    assert ro.is_traced(stages).tolist() == [True, False, False, True]


@pytest.mark.parametrize(
    ("as_of", "overdue_rows"),
    [
        pytest.param("2023-06-30", [4, 6], id="deadline-day-is-not-late"),
        pytest.param("2023-07-01", [4, 5, 6], id="day-after"),
        pytest.param("2023-03-31", [], id="before-any"),
        pytest.param("2023-04-01", [4], id="rectified-late-is-not-overdue"),
    ],
)
def test_is_overdue(as_of: str, overdue_rows: list[int]) -> None:
    ledger = _ledger()
    result = ro.is_overdue(ledger, as_of)
    assert result.name == "overdue"
    assert result.index.equals(ledger.index)
    assert result[result].index.tolist() == overdue_rows


def test_progress_total() -> None:
    total = ro.progress(_ledger(), as_of="2023-06-30").loc["合计"]
    assert total[["total", "traced", "rectified", "closed", "overdue"]].tolist() == [
        10,
        7,
        3,
        2,
        2,
    ]
    assert total[["traced_pct", "rectified_pct", "closed_pct"]].tolist() == [70.0, 30.0, 20.0]


def test_progress_by_district() -> None:
    table = ro.progress(_ledger(), by="district", as_of="2023-06-30")
    assert table.index.tolist() == ["乙区", "甲区", "（未填）", "合计"]
    counts = table[["total", "traced", "rectified", "closed", "overdue"]]
    assert counts.loc["甲区"].tolist() == [5, 3, 2, 1, 1]
    assert counts.loc["乙区"].tolist() == [3, 3, 0, 0, 1]
    assert counts.loc["（未填）"].tolist() == [2, 1, 1, 1, 0]
    assert table.loc["甲区", "traced_pct"] == 60.0
    assert table.loc["甲区", "rectified_pct"] == 40.0
    assert table.loc["乙区", "traced_pct"] == 100.0


def test_progress_by_category() -> None:
    table = ro.progress(_ledger(), by="category", as_of="2023-06-30")
    assert table.loc["合并", ["total", "rectified"]].tolist() == [2, 1]
    assert table.loc["取缔", ["total", "overdue"]].tolist() == [1, 1]


def test_progress_by_month_is_cumulative() -> None:
    months = ["2023-01", "2023-02", "2023-03", "2023-04", "2023-05", "2023-06"]
    table = ro.progress_by_month(_ledger(), months)
    assert table["month"].tolist() == months
    # row 6 traced in Dec 2022 counts from January; row 8 has no traced_date: from its completion
    assert table["traced"].tolist() == [4, 6, 7, 7, 7, 7]
    assert table["rectified"].tolist() == [0, 1, 1, 2, 3, 3]
    assert table["traced_pct"].tolist() == [40.0, 60.0, 70.0, 70.0, 70.0, 70.0]
    assert table["rectified_pct"].tolist() == [0.0, 10.0, 10.0, 20.0, 30.0, 30.0]


def test_milestone_status() -> None:
    first, last = ro.milestone_status(_ledger(), as_of="2023-06-30")
    assert first["date"] == "2023-12-31"
    assert (first["traced_target"], first["rectified_target"]) == (80.0, 30.0)
    assert (first["traced_pct"], first["rectified_pct"]) == (70.0, 30.0)
    assert first["met"] is False  # 70 % traced < 80 %
    assert first["due"] is False
    assert last["date"] == "2025-12-31"
    assert "17号" in first["citation"]


def test_milestone_met() -> None:
    ledger = _ledger()
    ledger["stage"] = ["已溯源"] * 7 + ["整治完成"] * 3  # 100 % traced, 30 % rectified
    first, _ = ro.milestone_status(ledger, as_of="2024-01-01")
    assert first["met"] is True
    assert first["due"] is True


def test_pct_rounds_half_even_on_the_exact_fraction() -> None:
    assert ro.pct(110, 113) == 97.3  # 97.345 → 97.3
    assert ro.pct(1, 8) == 12.5
    assert ro.pct(1, 16) == 6.2  # 6.25 → 6.2 (half to even)
    assert ro.pct(0, 0) is None


# ------------------------------------------------------------------------------ vocabularies


def test_rules_match_the_layer_spec() -> None:
    rules = ro.load_rules()
    assert rules.stages[0] == "已排查"
    assert rules.stages[-1] == "已销号"
    assert list(rules.categories) == ["取缔", "合并", "规范", "无需整治"]
    assert rules.types["工业排污口"]["工矿企业排污口"] == (
        "工业企业排污口",
        "矿山排污口",
        "尾矿库排污口",
    )
    assert rules.code_width == 18


def test_rules_file_with_a_wrong_stage_is_refused(tmp_path) -> None:
    text = ro.RULES_FILE.read_text(encoding="utf-8").replace('"已监测", ', "")
    bad = tmp_path / "outlets.toml"
    bad.write_text(text, encoding="utf-8")
    with pytest.raises(LayerSpecError, match=r"stages\.order"):
        ro.load_rules(bad)


# ------------------------------------------------------------------------------ codes

GOOD = "CJ9001429902GS0001"


@pytest.mark.parametrize(
    "code", [GOOD, "CJ9301429981CY0123", " CJ9001429902GS0001 ", "000001429924QT0001"]
)
def test_parse_good_codes(code: str) -> None:
    parts, problems = ro.parse_code(code)
    assert problems == []
    assert list(parts) == ["water_body", "district", "type", "serial"]
    assert "".join(parts.values()) == code.strip()


def test_parse_code_segments() -> None:
    parts, _ = ro.parse_code(GOOD)
    assert parts == {"water_body": "CJ9001", "district": "429902", "type": "GS", "serial": "0001"}


@pytest.mark.parametrize(
    ("code", "segment", "positions", "kind", "severity", "says"),
    [
        pytest.param(
            "CJ9001029902GS0001", "district", (7, 12), "pattern", "error", "029902", id="district-0"
        ),
        pytest.param(
            "CJ9001929902GS0001", "district", (7, 12), "pattern", "error", "GB/T 2260", id="dist-9"
        ),
        pytest.param(
            "CJ90014299O2GS0001", "district", (7, 12), "chars", "error", "“O”", id="letter-O"
        ),
        pytest.param(
            "cj9001429902GS0001", "water_body", (1, 6), "chars", "warning", "受纳水体", id="lower"
        ),
        pytest.param(
            "CJ9001429902ZZ0001", "type", (13, 14), "lookup", "warning", "代码表", id="type-unknown"
        ),
        pytest.param(
            "CJ9001429902G10001", "type", (13, 14), "chars", "warning", "[A-Z]", id="type-digit"
        ),
        pytest.param(
            "CJ9001429902GS00A1", "serial", (15, 18), "chars", "warning", "顺序码", id="serial"
        ),
    ],
)
def test_parse_bad_codes_name_the_segment(
    code: str, segment: str, positions: tuple[int, int], kind: str, severity: str, says: str
) -> None:
    _, problems = ro.parse_code(code)
    assert len(problems) == 1
    p = problems[0]
    assert (p.segment, (p.start, p.end), p.kind, p.severity) == (segment, positions, kind, severity)
    assert f"第 {positions[0]}–{positions[1]} 位" in p.message
    assert says in p.message


def test_short_code_reports_length_and_only_warns() -> None:
    # one character dropped from the water-body code shifts every later segment
    _, problems = ro.parse_code("CJ901429902GS0001")
    assert problems[0].kind == "length"
    assert "17 位，应为 18 位" in problems[0].message
    assert {p.severity for p in problems} == {"warning"}


CODES = [
    GOOD,
    " CJ9001429902GS0001\u3000",  # padding, ideographic space included, is stripped
    "CJ9001029902GS0001",  # district 029902: error
    "CJ901429902GS0001",  # 17 characters: everything shifts, warnings only
    "CJ9001429902GS00011",  # 19 characters
    "CJ90014299",  # 10 characters: type and serial are not reached
    "cj9001429902zz0001",  # lower case water body, unknown type
    "",
]


@pytest.mark.parametrize("dtype", ["str", object])
def test_parse_codes_is_parse_code_row_by_row(dtype: object) -> None:
    parsed = outlet_codes.parse_codes(pd.Series(CODES, dtype=dtype, index=range(3, 11)))
    assert parsed.parts.index.tolist() == list(range(3, 11))
    for i, code in enumerate(CODES):
        parts, problems = ro.parse_code(code)
        reached = parsed.parts.iloc[i].dropna().to_dict()
        found = [parsed.length.iloc[i], *parsed.problems.iloc[i]]
        assert reached == parts
        assert [p for p in found if p is not None] == problems
    assert parsed.problems.iloc[2]["district"].severity == "error"
    assert parsed.parts.iloc[5].isna().tolist() == [False, True, True, True]


def test_bad_code_issues_come_row_by_row() -> None:
    # row 1: the district segment 029902 is wrong (error: a verified segment);
    # row 2: 17 characters (warning); the segments after the length are not certain, so nothing
    #        else is reported; row 3 has no code (validation's business, not a bad code).
    frame = pd.DataFrame(
        {"code": ["CJ9101029902GS0001", "CJ9001429902GS001", None]}, index=[1, 2, 3]
    )
    issues = outlet_codes.bad_code_issues(frame)
    assert [(i.row, i.code, i.severity) for i in issues] == [
        (1, "bad_code", "error"),
        (2, "bad_code", "warning"),
    ]
    assert "17 位，应为 18 位" in issues[1].message


def test_demo_codes_follow_the_configured_layout() -> None:
    """outlets.toml's layout is the one geomon/demo/ writes (data/README.md)."""
    demo = Path(__file__).resolve().parents[2] / "data" / "demo.gpkg"
    assert demo.exists(), "build the demo first: geomon demo (writes data/demo.gpkg)"
    store = open_store(demo)
    outlets = store.read("outlets")
    assert len(outlets) == 129
    assert outlet_codes.bad_code_issues(outlets) == []
