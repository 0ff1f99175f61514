"""A store that does not exist is an error for every command that reads one (issue 17 item 7).

Before: ``export`` wrote 0 rows with exit 0, ``stats`` crashed with an AttributeError and
printed ``{"outlets": null}`` with ``--json``, ``trace`` called the rivers layer empty. Now:
exit 2, a message naming the path, and nothing created. Only ``import`` (and ``demo``) create a
store, and ``import`` says so.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from geomon import cli
from geomon.errors import StoreNotFoundError
from geomon.store import open_store

READERS = {
    "export": ["export", "--layer", "outlets", "--format", "csv", "-o", "{out}/x.csv"],
    "stats": ["stats"],
    "stats-json": ["stats", "--json"],
    "trace": ["trace", "JHGK02", "--json"],
    "alerts": ["alerts", "--json"],
    "report": ["report", "--from", "2023-01-01", "--to", "2023-06-30", "-o", "{out}/r.html"],
    "recheck": ["recheck", "projects", "--against", "a", "--to", "b"],
}
LEDGER = (
    "排污口编码,排污口名称,排污口类型,受纳水体,所在区县,行政区划代码,整治进度,经度,纬度\n"
    "A001,东城区一号排污口,工业排污口,汉江,东城区,429005,整治完成,112.896,30.402\n"
)


@pytest.mark.parametrize("case", sorted(READERS))
def test_reading_a_missing_store_exits_2_naming_it_and_creates_nothing(
    case: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    store = tmp_path / "nothere.gpkg"
    argv = [a.format(out=tmp_path) for a in READERS[case]] + ["--store", str(store)]

    code = cli.main(argv)

    out, err = capsys.readouterr()
    assert code == 2
    assert out == ""
    assert f"no such store: {store}" in err
    assert "存储不存在" in err
    assert sorted(p.name for p in tmp_path.iterdir()) == []  # no store, lock or output file


def test_open_store_must_exist_refuses_a_missing_file(tmp_path: Path) -> None:
    with pytest.raises(StoreNotFoundError, match="only geomon import and geomon demo"):
        open_store(tmp_path / "a.gpkg", must_exist=True)
    assert list(tmp_path.iterdir()) == []


def test_import_creates_the_store_and_says_so(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    ledger = tmp_path / "ledger.csv"
    ledger.write_text(LEDGER, encoding="utf-8")
    store = tmp_path / "new.gpkg"

    code = cli.main(["import", str(ledger), "--layer", "outlets", "--store", str(store), "--json"])

    out, err = capsys.readouterr()
    assert code == 0
    assert json.loads(out)["rows_written"] == 1
    assert f"created a new store: {store}" in err
    assert open_store(store, must_exist=True).read("outlets")["code"].tolist() == ["A001"]
    # a second import into it says nothing about creating
    assert cli.main(["import", str(ledger), "--layer", "outlets", "--store", str(store)]) == 0
    assert "created" not in capsys.readouterr().err
