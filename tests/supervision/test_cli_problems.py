"""``geomon problems add|list|update``: JSON keys, exit codes, nothing written on a refusal."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from suphelp import jpeg, seed

from geomon.cli import main
from geomon.store import open_store

LIST_KEYS = [
    "id",
    "title",
    "layer",
    "feature_id",
    "source",
    "unit",
    "deadline",
    "status",
    "card",
    "days_overdue",
]


@pytest.fixture
def gpkg(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    monkeypatch.setenv("GEOMON_USERS", str(tmp_path / "no-users.toml"))  # no logins in force
    path = tmp_path / "s.gpkg"
    seed(open_store(path))
    return str(path)


def _run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def _add(capsys: pytest.CaptureFixture[str], store: str, *extra: str) -> dict:
    code, out, _ = _run(
        capsys,
        "problems", "add", "--store", store, "--layer", "outlets", "--id", "O2",
        "--title", "二号排污口 雨污混排", "--source", "巡查", "--unit", "江岸区水务局",
        "--deadline", "2023-06-30", "--measures", "截污纳管", "--user", "alice", "--json", *extra,
    )  # fmt: skip
    assert code == 0
    return json.loads(out)


def test_add_prints_the_new_problem(gpkg: str, capsys: pytest.CaptureFixture[str]) -> None:
    made = _add(capsys, gpkg)
    assert made["id"].startswith("P") and made["status"] == "待整改"
    assert (made["feature_layer"], made["feature_id"], made["unit"]) == (
        "outlets",
        "O2",
        "江岸区水务局",
    )
    assert (made["measures"], made["reporter"], made["deadline"]) == (
        "截污纳管",
        "alice",
        "2023-06-30",
    )


def test_list_json_keys_cards_and_filters(gpkg: str, capsys: pytest.CaptureFixture[str]) -> None:
    pid = _add(capsys, gpkg)["id"]
    code, out, _ = _run(
        capsys, "problems", "list", "--store", gpkg, "--as-of", "2023-07-31", "--json"
    )
    assert code == 0
    listed = json.loads(out)["problems"]
    assert [list(p) for p in listed] == [LIST_KEYS]
    assert (listed[0]["id"], listed[0]["card"], listed[0]["days_overdue"]) == (pid, "red", 31)
    _, out, _ = _run(capsys, "problems", "list", "--store", gpkg, "--as-of", "2023-07-30", "--json")
    assert json.loads(out)["problems"][0]["card"] == "yellow"
    _, out, _ = _run(capsys, "problems", "list", "--store", gpkg, "--as-of", "2023-06-30", "--json")
    assert json.loads(out)["problems"][0]["card"] is None
    _, out, _ = _run(
        capsys, "problems", "list", "--store", gpkg, "--as-of", "2023-06-30", "--overdue", "--json"
    )
    assert json.loads(out) == {"problems": []}
    _, out, _ = _run(capsys, "problems", "list", "--store", gpkg, "--status", "已销号", "--json")
    assert json.loads(out) == {"problems": []}


def test_update_steps_with_evidence_and_the_four_eyes_close(
    gpkg: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    pid = _add(capsys, gpkg)["id"]
    photo = tmp_path / "after.jpg"
    photo.write_bytes(jpeg())
    upd = ("problems", "update", pid, "--store", gpkg, "--json")
    code, out, _ = _run(
        capsys, *upd, "--status", "待核查", "--evidence", str(photo), "--user", "alice"
    )
    assert code == 0 and json.loads(out)["status"] == "待核查"
    revision = open_store(gpkg).revision()
    code, out, err = _run(capsys, *upd, "--status", "已销号", "--note", "ok", "--user", "alice")
    assert (code, out) == (1, "")
    assert "alice reported it done and cannot close it" in err
    assert open_store(gpkg).revision() == revision  # nothing written
    code, out, _ = _run(capsys, *upd, "--status", "已销号", "--note", "复核通过", "--user", "bob")
    assert code == 0 and json.loads(out)["verified_by"] == "bob"
    assert list(open_store(gpkg).files("problems", pid)["name"]) == ["after.jpg"]


@pytest.mark.parametrize(
    ("args", "code", "said"),
    [
        (["--status", "已销号", "--note", "x"], 1, "does not allow 待整改 → 已销号"),
        (["--status", "待核查"], 1, "needs evidence"),
        (["--status", "待核查", "--evidence", "{fake}"], 1, "not an allowed file type"),
        (["--status", "待核查", "--evidence", "{missing}"], 2, "cannot be read"),
    ],
)
def test_update_refusals_exit_with_a_message_and_write_nothing(
    gpkg: str,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    args: list[str],
    code: int,
    said: str,
) -> None:
    pid = _add(capsys, gpkg)["id"]
    fake = tmp_path / "photo.jpg"
    fake.write_text("<script>alert(1)</script>", encoding="utf-8")
    args = [a.format(fake=fake, missing=tmp_path / "none.jpg") for a in args]
    before = Path(gpkg).read_bytes()
    got, out, err = _run(capsys, "problems", "update", pid, "--store", gpkg, *args)
    assert (got, out) == (code, "")
    assert said in err
    assert Path(gpkg).read_bytes() == before


def test_add_about_an_unknown_feature_exits_1(
    gpkg: str, capsys: pytest.CaptureFixture[str]
) -> None:
    code, _, err = _run(
        capsys,
        "problems", "add", "--store", gpkg, "--layer", "outlets", "--id", "O9", "--title", "t",
        "--source", "巡查", "--unit", "u", "--deadline", "2023-06-30",
    )  # fmt: skip
    assert code == 1 and "no feature with id O9" in err
    assert "problems" not in open_store(gpkg).layer_names()


def test_export_with_files_writes_the_evidence_beside_the_record(
    gpkg: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    import csv
    import io
    import zipfile

    pid = _add(capsys, gpkg)["id"]
    photo = tmp_path / "after.jpg"
    photo.write_bytes(jpeg())
    main(
        ["problems", "update", pid, "--store", gpkg, "--status", "待核查", "--evidence", str(photo)]
    )
    out = tmp_path / "problems.geojson"
    code = main(["export", "--layer", "problems", "--store", gpkg, "--format", "geojson",
                 "-o", str(out), "--files"])  # fmt: skip
    assert code == 0
    with zipfile.ZipFile(f"{out}.files.zip") as archive:
        manifest = list(
            csv.DictReader(io.StringIO(archive.read("manifest.csv").decode("utf-8-sig")))
        )
        assert [(m["key"], m["name"], m["media_type"]) for m in manifest] == [
            (pid, "after.jpg", "image/jpeg")
        ]
        assert archive.read(manifest[0]["path"]) == photo.read_bytes()
        assert manifest[0]["path"] == f"{pid}/{manifest[0]['file_id']}_after.jpg"
