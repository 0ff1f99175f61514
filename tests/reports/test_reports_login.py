"""``geomon report`` / ``geomon recheck`` with logins in force (GH issue 18, item 6).

With ``GEOMON_LOGIN_REQUIRED_FOR_VIEW=1`` both refuse to run without a login (exit 2, nothing
written); a county user's report and re-check cover that county only, exactly the figures the
whole report gives for the county, and a city-wide user sees every county.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from geomon import cli
from geomon.access import auth

DEMO = Path(__file__).parents[2] / "data" / "demo.gpkg"
H1 = ["--from", "2023-01-01", "--to", "2023-06-30"]


@pytest.fixture
def demo(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A copy of the demo store; view logins required; a 沙洲区 viewer and a city viewer."""
    path = tmp_path / "demo.gpkg"
    shutil.copyfile(DEMO, path)
    users = tmp_path / "users.toml"
    auth.add_user(users, "shazhou", "shazhou-pass", role="viewer", areas="429903")
    auth.add_user(users, "city", "city-pass", role="viewer", areas="*")
    monkeypatch.setenv("GEOMON_USERS", str(users))
    monkeypatch.setenv("GEOMON_LOGIN_REQUIRED_FOR_VIEW", "1")
    monkeypatch.delenv("GEOMON_USER", raising=False)
    monkeypatch.delenv("GEOMON_PASSWORD", raising=False)
    return path


def report(store: Path, out: Path, *extra: str) -> tuple[int, dict | None]:
    code = cli.main(["report", *H1, "--store", str(store), "-o", str(out), *extra])
    return code, json.loads(out.read_text("utf-8")) if out.exists() else None


def test_report_refuses_without_a_login(demo: Path, tmp_path: Path, capsys) -> None:
    code, doc = report(demo, tmp_path / "h1.json")
    assert (code, doc) == (2, None)
    assert "--user" in capsys.readouterr().err


def test_county_user_gets_the_county_report(demo: Path, tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setenv("GEOMON_PASSWORD", "city-pass")
    code, whole = report(demo, tmp_path / "all.json", "--user", "city")
    assert code == 0
    monkeypatch.setenv("GEOMON_PASSWORD", "shazhou-pass")
    code, county = report(demo, tmp_path / "sz.json", "--user", "shazhou")
    assert code == 0
    # the demo has 20 outlets in 沙洲区 (429903) of 129 in all
    assert whole["outlets"]["cumulative"]["total"] == 129
    assert county["outlets"]["cumulative"]["total"] == 20
    assert [r["district"] for r in county["outlets"]["by_district"]] == ["沙洲区"]
    row = next(r for r in whole["outlets"]["by_district"] if r["district"] == "沙洲区")
    assert {k: row[k] for k in county["outlets"]["cumulative"]} == county["outlets"]["cumulative"]
    assert {s["district"] for s in county["sections"]} == {"沙洲区"}


def test_recheck_refuses_without_a_login_and_scopes_projects(demo: Path, capsys, monkeypatch):
    argv = ["recheck", "store:projects", "--against", "current", "--to", "current",
            "--store", str(demo), "--json"]  # fmt: skip
    assert cli.main(argv) == 2
    assert "--user" in capsys.readouterr().err
    monkeypatch.setenv("GEOMON_PASSWORD", "shazhou-pass")
    assert cli.main([*argv, "--user", "shazhou"]) == 0
    doc = json.loads(capsys.readouterr().out)
    # the demo's projects in 沙洲区: XM2023-003 and XM2023-004 (of 11)
    assert sorted(p["id"] for p in doc["projects"]) == ["XM2023-003", "XM2023-004"]
