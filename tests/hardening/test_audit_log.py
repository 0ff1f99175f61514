"""The operator's log (``GEOMON_LOG_FILE``, `geomon.audit`): imports, edits and logins with who,
what and when, one line each, in a file logrotate may move away (GH issue 18, item 4)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from hardhelp import BAD, seed

from geomon import audit
from geomon.access import auth
from geomon.access.scoped import ScopedStore
from geomon.cli import main
from geomon.errors import LoginError
from geomon.store import Edit, open_store

OWN = str(BAD / "scope_own_county.geojson")  # one new outlet of 沙洲区 (429903)
STAMP = r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d[+-]\d{4}"


@pytest.fixture
def logged(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Logins in force (a 沙洲区 editor) and the log file set."""
    users = tmp_path / "users.toml"
    auth.add_user(users, "shazhou", "shazhou-pass", role="editor", areas="429903")
    log = tmp_path / "log" / "geomon.log"
    log.parent.mkdir()
    monkeypatch.setenv("GEOMON_USERS", str(users))
    monkeypatch.setenv("GEOMON_LOG_FILE", str(log))
    monkeypatch.delenv("GEOMON_USER", raising=False)
    return log


def lines(path: Path) -> list[str]:
    """The log's lines without their time stamps (checked to be there)."""
    out = []
    for text in path.read_text("utf-8").splitlines():
        assert re.match(STAMP + " ", text), text
        out.append(text.split(" ", 1)[1])
    return out


def test_a_value_stays_on_its_line() -> None:
    assert audit.line("login", user="a\nb", rows=["X 1"]) == 'login user="a\\nb" rows=["X 1"]'


def test_import_and_login_are_logged(logged: Path, tmp_path, monkeypatch) -> None:
    store = seed(tmp_path / "store.gpkg")
    monkeypatch.setenv("GEOMON_PASSWORD", "shazhou-pass")
    argv = ["import", OWN, "--layer", "outlets", "--store", str(store), "--user", "shazhou"]
    assert main(argv) == 0
    assert lines(logged) == [
        'login user="shazhou" role="editor"',
        f'import user="shazhou" layer="outlets" file="scope_own_county.geojson" mode="upsert" '
        f'rows=1 added=1 updated=0 skipped=0 version=null store="{store}"',
    ]


def test_edit_is_logged(logged: Path, tmp_path) -> None:
    store = open_store(seed(tmp_path / "store.gpkg"))
    user = auth.load_users(Path(auth.users_path()))["shazhou"]
    version = int(store.read("outlets", with_versions=True)["_version"].iloc[1])
    edit = Edit(("CJ9001429903GS0001",), {"stage": "已溯源"}, version)
    result = ScopedStore(store, user).edit("outlets", [edit], user="shazhou", source="app")
    assert lines(logged) == [
        f'edit user="shazhou" layer="outlets" source="app" store="{store.url}" '
        f'rows=["CJ9001429903GS0001"] fields=["stage"] revision={result.revision}'
    ]


def test_failed_logins_and_rotation(logged: Path) -> None:
    with pytest.raises(LoginError):
        auth.authenticate("shazhou", "wrong")
    logged.rename(logged.with_suffix(".log.1"))  # what logrotate does (no copytruncate)
    with pytest.raises(LoginError):
        auth.authenticate("nobody", "wrong")
    assert lines(logged.with_suffix(".log.1")) == [
        'login_failed user="shazhou" reason="bad_credentials"'
    ]
    assert lines(logged) == ['login_failed user="nobody" reason="bad_credentials"']


def test_no_log_file_writes_nothing_and_a_bad_one_stops_nothing(tmp_path, monkeypatch) -> None:
    users = tmp_path / "users.toml"
    auth.add_user(users, "guest", "guest-pass", role="viewer", areas="*")
    monkeypatch.setenv("GEOMON_USERS", str(users))
    monkeypatch.delenv("GEOMON_LOG_FILE", raising=False)
    assert auth.authenticate("guest", "guest-pass").name == "guest"
    monkeypatch.setenv("GEOMON_LOG_FILE", str(tmp_path / "missing" / "dir" / "geomon.log"))
    assert auth.authenticate("guest", "guest-pass").name == "guest"  # logged nowhere, but in
    assert not (tmp_path / "missing").exists()
