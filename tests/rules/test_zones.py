"""Tests for geomon.rules.zones: the siting rule table as data, its checks and how it is applied.

Expected verdicts come from shared/DOMAIN.md §3.1 (水污染防治法 第六十四–六十七条) and §4.1
(自然资发〔2022〕142号: 10 allowed limited activities, items 8–10 from memory [M]).
"""

from __future__ import annotations

import tomllib
from pathlib import Path

import pandas as pd
import pytest

from geomon.errors import LayerSpecError
from geomon.rules import zones


@pytest.fixture(scope="module")
def rules() -> zones.ZoneRules:
    return zones.load_rules()


def conflict(**overrides: object) -> dict[str, object]:
    row: dict[str, object] = {
        "layer": "protection_zones", "level": "二级", "relation": "inside", "kind": "工业",
        "activity": "食品加工", "discharges_wastewater": True, "name": "某水源地",
        "distance_m": 0.0, "feature.core_zone": pd.NA, "admission": pd.NA,
        "layer_title": "饮用水水源保护区",
    }  # fmt: skip
    row.update(overrides)
    return row


def test_default_table_loads_and_cites_every_rule(rules: zones.ZoneRules) -> None:
    assert rules.rules, "no rules"
    for rule in rules.rules:
        assert rule.verdict in zones.VERDICTS
        assert rule.citation, rule.id
        assert rule.reason.zh and rule.reason.en, rule.id
    cited = " ".join(r.citation for r in rules.rules)
    for article in ("第六十四条", "第六十五条", "第六十六条", "第六十七条", "142号"):
        assert article in cited
    assert "第六十七条（待核实）" in cited  # DOMAIN §3.1 marks 第六十七条 [M], from memory


def test_allowed_activities_are_the_ten_items_with_their_marks(rules: zones.ZoneRules) -> None:
    items = rules.allowed_activities
    assert [a.item for a in items] == list(range(1, 11))
    assert {a.item for a in items if a.mark == "M"} == {8, 9, 10}  # DOMAIN §4.1
    assert "142号" in rules.allowed_activities_citation


@pytest.mark.parametrize(
    ("kind", "activity", "item"),
    [
        pytest.param("线性基础设施", None, 6, id="linear-infrastructure-by-kind"),
        pytest.param("供水设施", "供水设施改造", 6, id="water-supply"),
        pytest.param("其他", "科普宣教", 5, id="science-education"),
        pytest.param("其他", " 生态修复 ", 8, id="restoration-stripped"),
        pytest.param("矿山", "采矿", None, id="quarry-is-not-item-7"),
        pytest.param("工业", None, None, id="factory"),
        pytest.param(None, None, None, id="unknown"),
    ],
)
def test_allowed_items(
    rules: zones.ZoneRules, kind: str | None, activity: str | None, item: int | None
) -> None:
    got = zones.allowed_items(pd.Series([kind]), pd.Series([activity]), rules)
    assert (None if pd.isna(got.iloc[0]) else int(got.iloc[0])) == item
    found = rules.allowed_item(kind, activity)
    assert (found.item if found else None) == item


@pytest.mark.parametrize(
    ("overrides", "verdict", "rule_id"),
    [
        pytest.param({}, "prohibited", "water_source.level2_discharge", id="level2-discharging"),
        pytest.param({"discharges_wastewater": False}, "restricted", "water_source.level2",
                     id="level2-clean"),
        pytest.param({"discharges_wastewater": pd.NA}, "prohibited",
                     "water_source.level2_discharge", id="unknown-is-discharging"),
        pytest.param({"level": "一级", "kind": "供水设施", "discharges_wastewater": False},
                     "restricted", "water_source.level1_water_supply", id="level1-water-supply"),
        pytest.param({"relation": "near", "distance_m": 123.4}, "attention",
                     "water_source.near_discharge", id="near"),
        pytest.param({"layer": "red_lines", "level": pd.NA, "feature.core_zone": True},
                     "prohibited", "red_line.core_zone", id="core-zone"),
        pytest.param({"layer": "red_lines", "level": pd.NA, "kind": "线性基础设施"},
                     "restricted", "red_line.allowed_activity", id="red-line-item-6"),
        pytest.param({"layer": "lakes", "level": pd.NA}, "attention", "constraint.inside",
                     id="other-layer-fallback"),
    ],
)  # fmt: skip
def test_first_matching_row_wins(
    rules: zones.ZoneRules, overrides: dict, verdict: str, rule_id: str
) -> None:
    frame = pd.DataFrame([conflict(**overrides)], index=[7])
    out = zones.apply_rules(frame, rules)
    assert out.index.tolist() == [7]
    assert (out.loc[7, "verdict"], out.loc[7, "rule_id"]) == (verdict, rule_id)


def test_reasons_fill_their_placeholders(rules: zones.ZoneRules) -> None:
    frame = pd.DataFrame(
        [
            conflict(relation="near", distance_m=299.6, discharges_wastewater=False),
            conflict(layer="red_lines", level=pd.NA, kind="线性基础设施"),
        ]
    )
    out = zones.apply_rules(frame, rules, buffer_m=1000.0)
    near, item6 = out.iloc[0], out.iloc[1]
    assert "300 m" in near["reason_zh"] and "1,000 m" in near["reason_zh"]
    assert "二级" in near["reason_zh"] and "Level 2" in near["reason_en"]
    assert "第6项" in item6["reason_zh"] and "no. 6" in item6["reason_en"]
    assert item6["citation"] == "自然资发〔2022〕142号 有限人为活动第6项"
    assert "{" not in "".join(out["reason_zh"]) + "".join(out["reason_en"])


@pytest.mark.parametrize(
    ("verdicts", "expected"),
    [
        pytest.param([], "clear", id="none"),
        pytest.param(["clear", "attention"], "attention", id="attention"),
        pytest.param(["restricted", "prohibited", "clear"], "prohibited", id="prohibited"),
    ],
)
def test_worst(verdicts: list[str], expected: str) -> None:
    assert zones.worst(verdicts) == expected


def _copy_with(tmp_path: Path, edit: str, replacement: str) -> Path:
    text = zones.RULES_FILE.read_text(encoding="utf-8")
    assert edit in text
    path = tmp_path / "province.toml"
    path.write_text(text.replace(edit, replacement, 1), encoding="utf-8")
    return path


def test_a_province_can_replace_the_allowed_activity_list(tmp_path: Path) -> None:
    """A province that does not list linear infrastructure: the road becomes prohibited."""
    path = _copy_with(tmp_path, 'kinds = ["线性基础设施", "供水设施"]', "kinds = []")
    province = zones.load_rules(path)
    frame = pd.DataFrame([conflict(layer="red_lines", level=pd.NA, kind="线性基础设施",
                                   activity="某路")])  # fmt: skip
    assert zones.apply_rules(frame, province).iloc[0]["verdict"] == "prohibited"
    assert zones.apply_rules(frame).iloc[0]["verdict"] == "restricted"


@pytest.mark.parametrize(
    ("edit", "replacement", "match"),
    [
        pytest.param('level = ["二级"]\ndischarges = true', 'level = ["三级"]\ndischarges = true',
                     r"\['三级'\] are not values of protection_zones.level", id="bad-level"),
        pytest.param('verdict = "attention"', 'verdict = "maybe"', "verdict", id="bad-verdict"),
        pytest.param('relation = ["near"]', 'relation = ["adjacent"]', "relation",
                     id="bad-relation"),
        pytest.param('layer = "red_lines"', 'layer = "red_line"', "unknown layer",
                     id="bad-layer"),
        pytest.param("{distance_m} m", "{metres} m", "unknown placeholder", id="bad-placeholder"),
        pytest.param('kinds = ["供水设施"]', 'kinds = ["水厂"]', "not project kinds",
                     id="bad-kind"),
        pytest.param('mark = "M"', 'mark = "?"', "mark", id="bad-mark"),
        pytest.param("feature = { core_zone = true }", "feature = { core = true }",
                     "has no field", id="bad-feature-field"),
    ],
)  # fmt: skip
def test_broken_tables_name_the_problem(
    tmp_path: Path, edit: str, replacement: str, match: str
) -> None:
    path = _copy_with(tmp_path, edit, replacement)
    with pytest.raises(LayerSpecError, match=match):
        zones.load_rules(path)


def test_unknown_rule_key_is_refused() -> None:
    raw = tomllib.loads(zones.RULES_FILE.read_text(encoding="utf-8"))
    raw["rules"][0]["severity"] = "high"
    with pytest.raises(LayerSpecError, match=r"unknown key\(s\) \['severity'\]"):
        zones.parse_rules(raw)


def test_records_get_what_the_frame_gets(rules: zones.ZoneRules) -> None:
    """`apply_rules_to_records` (a one-project check) judges every situation the rule table
    tells apart exactly as `apply_rules` (batches): each layer with each of its levels, every
    relation, discharging or not or unknown, each project kind and activity the table names
    (with stray spaces, as files have them), core zone or not."""
    levels: dict[str, set[object]] = {"lakes": {pd.NA}}
    for rule in rules.rules:
        if rule.layer != zones.ANY_LAYER:
            levels.setdefault(rule.layer, {pd.NA}).update(rule.levels or ())
    kinds = {k for r in rules.rules for k in r.kinds or ()}
    kinds |= {k for a in rules.allowed_activities for k in a.kinds}
    acts = {f" {a} " for r in rules.rules for a in r.activities or ()}
    acts |= {a for item in rules.allowed_activities for a in item.activities}
    rows = [
        conflict(layer=layer, level=level, relation=relation, discharges_wastewater=discharges,
                 kind=kind, activity=activity, **{"feature.core_zone": core},
                 distance_m=0.0 if relation != "near" else 321.0)
        for layer, their_levels in sorted(levels.items())
        for level in sorted(their_levels, key=str)
        for relation in zones.RELATIONS
        for discharges in (True, False, pd.NA)
        for kind, activity in [(k, pd.NA) for k in sorted(kinds)]
                               + [(pd.NA, a) for a in sorted(acts)]
        for core in ((True, False, pd.NA) if layer == "red_lines" else (pd.NA,))
    ]  # fmt: skip
    frame = zones.apply_rules(pd.DataFrame(rows), rules, buffer_m=500.0)

    records = zones.apply_rules_to_records(rows, rules, buffer_m=500.0)

    assert len(rows) > 1000
    assert len(set(frame["rule_id"])) == len({r.id for r in rules.rules})  # every row is reached
    columns = ["verdict", "rule_id", "citation", "reason_zh", "reason_en", "allowed_item"]
    got = pd.DataFrame(records, columns=columns).astype({"allowed_item": "Int64"})
    pd.testing.assert_frame_equal(got, frame[columns], check_dtype=False)
