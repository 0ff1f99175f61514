"""One input rule for project files, in the library (`geomon.siting.checkable`), used by
``geomon check``, ``geomon recheck`` and the app's siting page (GH issue 18, item 11).

tests/data/project_without_id.geojson: row 1 has a name but no id (项目编号), row 2 is complete.
The page accepted such a file and called the project "0"; the CLI refused it. Now both refuse it,
naming the file, row 1 and field ``id``.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from geomon import siting
from geomon.cli import main
from geomon.errors import ValidationError

NO_ID = Path(__file__).parents[1] / "data" / "project_without_id.geojson"
DEMO = Path(__file__).parents[2] / "data" / "demo.gpkg"


def test_a_project_without_id_is_refused_naming_row_and_field() -> None:
    checked = siting.load_projects(NO_ID)
    with pytest.raises(ValidationError) as caught:
        siting.checkable(checked, path=NO_ID.name)
    assert str(caught.value).startswith(
        "project_without_id.geojson: 1 problem(s) in 1 row(s); first at row 1, field 'id':"
    )
    (issue,) = caught.value.report.errors
    assert (issue.row, issue.field, issue.code) == (1, "id", "missing_value")


def test_a_complete_file_is_checkable() -> None:
    checked = siting.load_projects(NO_ID)
    frame = siting.checkable(
        type(checked)(checked.frame.iloc[[1]], type(checked.report)(layer="projects"))
    )
    assert frame["id"].tolist() == ["XM-OK"]


def test_check_refuses_it(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["check", str(NO_ID), "--store", str(DEMO)]) == 2
    out = capsys.readouterr().out
    assert "第 1 行 [id] missing_value" in out


def test_recheck_refuses_it(capsys: pytest.CaptureFixture[str]) -> None:
    argv = ["recheck", str(NO_ID), "--against", "current", "--to", "current", "--store", str(DEMO)]
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert "first at row 1, field 'id'" in err and "project_without_id.geojson" in err
