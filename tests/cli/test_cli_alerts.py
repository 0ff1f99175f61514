"""``geomon alerts`` on the demo store and on a small store made in the test."""

from __future__ import annotations

import json
from pathlib import Path

import geopandas as gpd
import pandas as pd
import pytest
from shapely import Point

from geomon import cli, validate
from geomon.config import DEMO_STORE
from geomon.monitoring import alerts
from geomon.store import open_store


def run(argv: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    code = cli.main(argv)
    out, err = capsys.readouterr()
    return code, out, err


def test_alerts_json_on_the_demo_for_june_2023(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(
        ["alerts", "--store", str(DEMO_STORE), "--as-of", "2023-06-30", "--json"], capsys
    )
    assert code == 0
    doc = json.loads(out)
    assert doc["as_of"] == "2023-06-30"
    assert all(tuple(a) == alerts.JSON_KEYS for a in doc["alerts"])
    by_kind: dict[str, list[str]] = {}
    for a in doc["alerts"]:
        by_kind.setdefault(a["kind"], []).append(a["name"])
    # 3 overdue (deadline 2023-03-31), 3 exceedances (JHGK05 TP; JHSK08 NH3-N and TP), JHSK07
    # II → III (one level), and one outlet due on 2023-06-30 itself (0 days left)
    assert {k: len(v) for k, v in by_kind.items()} == {
        "persistent_exceedance": 4, "overdue": 3, "exceedance": 7, "trend_worsening": 1,
        "deadline_near": 1,
    }  # fmt: skip
    # station runs of 30 days are high, like overdue outlets (see test_alerts_demo.py)
    assert [a["severity"] for a in doc["alerts"]] == ["high"] * 7 + ["medium"] * 8 + ["low"]


def test_alerts_text_and_a_bad_date(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(["alerts", "--store", str(DEMO_STORE), "--as-of", "2023-06-30"], capsys)
    assert code == 0
    assert out.splitlines()[0] == "预警 2023-06-30：16 条 / alerts"
    code, out, err = run(["alerts", "--store", str(DEMO_STORE), "--as-of", "2023-02-30"], capsys)
    assert (code, out) == (2, "")
    assert "argument --as-of: 无法识别的日期或时间：'2023-02-30'" in err
    assert "not a date or time: '2023-02-30'" in err


def test_acknowledged_alerts_leave_the_list_unless_all(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    outlets = gpd.GeoDataFrame(
        {
            "code": ["A1", "A2"],
            "name": ["一号口", "二号口"],
            "type_l1": "工业排污口",
            "receiving_water": "汉江",
            "district": "东城区",
            "district_code": "429005",
            "stage": "整治中",
            "deadline": pd.to_datetime(["2023-01-31", "2023-02-28"]),
        },
        geometry=[Point(112.8, 30.4), Point(112.81, 30.4)],
        crs=4326,
    )
    store = open_store(tmp_path / "s.gpkg")
    store.write({"outlets": validate.apply_dtypes(outlets, "outlets")})
    (first, _second) = alerts.store_alerts(store, as_of="2023-06-30")
    alerts.acknowledge(store, first, "已督办", user="张三")

    argv = ["alerts", "--store", str(tmp_path / "s.gpkg"), "--as-of", "2023-06-30", "--json"]
    _, out, _ = run(argv, capsys)
    assert [a["name"] for a in json.loads(out)["alerts"]] == ["二号口"]
    _, out, _ = run([*argv, "--all"], capsys)
    assert [a["name"] for a in json.loads(out)["alerts"]] == ["一号口", "二号口"]


def test_rules_file_changes_a_threshold(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    text = (Path(alerts.__file__).parents[1] / "rules" / "alerts.toml").read_text("utf-8")
    rules = tmp_path / "alerts.toml"
    rules.write_text(text.replace("days = 30 ", "days = 0 "), encoding="utf-8")
    argv = ["alerts", "--store", str(DEMO_STORE), "--as-of", "2023-06-29", "--json"]
    _, out, _ = run(argv, capsys)
    assert any(a["kind"] == "deadline_near" for a in json.loads(out)["alerts"])  # 1 day left
    code, out, _ = run([*argv, "--rules", str(rules)], capsys)
    assert code == 0
    assert not any(a["kind"] == "deadline_near" for a in json.loads(out)["alerts"])
