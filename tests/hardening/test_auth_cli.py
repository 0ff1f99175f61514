"""``geomon user …`` and logging in for ``geomon import``, in-process through `geomon.cli.main`.

Exit codes: 0 ok, 1 invalid data, 2 unreadable input, bad usage, failed login or access
refused (the JSON error names the code). GH issue 8.
"""

from __future__ import annotations

import hashlib
import io
import json
import sys
from pathlib import Path

import pytest
from hardhelp import BAD, seed

from geomon.access import auth
from geomon.cli import main
from geomon.store import open_store

OWN = str(BAD / "scope_own_county.geojson")  # one outlet of 沙洲区 (429903)
OTHER = str(BAD / "scope_other_county.geojson")  # one outlet of 明珠区 (429902)


@pytest.fixture
def users(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A users file in force (GEOMON_USERS): a 沙洲区 editor, a viewer and a city admin."""
    path = tmp_path / "users.toml"
    monkeypatch.setenv("GEOMON_USERS", str(path))
    monkeypatch.delenv("GEOMON_PASSWORD", raising=False)
    monkeypatch.delenv("GEOMON_USER", raising=False)
    auth.add_user(path, "shazhou", "shazhou-pass", role="editor", areas="429903")
    auth.add_user(path, "guest", "guest-pass", role="viewer", areas="*")
    auth.add_user(path, "city", "city-admin-pass", role="admin", areas="4299")
    return path


@pytest.fixture
def store(tmp_path: Path) -> Path:
    return seed(tmp_path / "store.gpkg")


def stdin(monkeypatch: pytest.MonkeyPatch, text: str) -> None:
    monkeypatch.setattr(sys, "stdin", io.StringIO(text))


def digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def run_json(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, dict]:
    code = main([*argv, "--json"])
    return code, json.loads(capsys.readouterr().out)


# --- geomon user -------------------------------------------------------------------------------


def test_user_add_list_passwd_remove(tmp_path: Path, monkeypatch, capsys) -> None:
    path = tmp_path / "config" / "users.toml"
    stdin(monkeypatch, "a long password\n")
    assert main(["user", "add", "zhang.san", "--role", "editor", "--areas", "429902,420100",
                 "--password-stdin", "--users", str(path)]) == 0  # fmt: skip
    assert "added user zhang.san" in capsys.readouterr().out

    assert main(["user", "list", "--json", "--users", str(path)]) == 0
    assert json.loads(capsys.readouterr().out) == [
        {"name": "zhang.san", "role": "editor", "areas": ["429902", "4201"]}
    ]
    assert "a long password" not in path.read_text("utf-8")

    stdin(monkeypatch, "another password\n")
    assert main(["user", "passwd", "zhang.san", "--password-stdin", "--users", str(path)]) == 0
    user = auth.load_users(path)["zhang.san"]
    assert auth.verify_password("another password", user.password_hash)

    assert main(["user", "remove", "zhang.san", "--users", str(path)]) == 0
    assert auth.load_users(path) == {}


@pytest.mark.parametrize(
    ("argv", "text", "message"),
    [
        pytest.param(["--areas", "42990X"], "long enough\n", "GB/T 2260", id="bad-area"),
        pytest.param(["--areas", "*"], "short\n", "8+ chars", id="short-password"),
    ],
)
def test_user_add_errors_exit_2(
    tmp_path: Path, monkeypatch, capsys, argv: list[str], text: str, message: str
) -> None:
    stdin(monkeypatch, text)
    path = tmp_path / "users.toml"
    code = main(["user", "add", "x", "--role", "editor", *argv, "--password-stdin",
                 "--users", str(path)])  # fmt: skip
    assert code == 2
    assert message in capsys.readouterr().err
    assert not path.exists()


def test_user_add_without_terminal_needs_password_stdin(tmp_path: Path, monkeypatch, capsys):
    stdin(monkeypatch, "")  # not a terminal
    code = main(["user", "add", "x", "--role", "viewer", "--areas", "*",
                 "--users", str(tmp_path / "u.toml")])  # fmt: skip
    assert code == 2
    assert "--password-stdin" in capsys.readouterr().err


# --- geomon import with logins in force ----------------------------------------------------------


def test_import_without_users_file_needs_no_login(tmp_path: Path, store: Path, monkeypatch):
    monkeypatch.setenv("GEOMON_USERS", str(tmp_path / "none.toml"))
    assert main(["import", OTHER, "--layer", "outlets", "--store", str(store), "--user", "li"]) == 0
    assert open_store(store).history("outlets").iloc[-1]["user"] == "li"


def test_import_needs_a_login(users: Path, store: Path, capsys) -> None:
    before = digest(store)
    code, doc = run_json(capsys, "import", OWN, "--layer", "outlets", "--store", str(store))
    assert code == 2
    assert doc["errors"][0]["code"] == "login_required"
    assert "--user" in doc["errors"][0]["message"]
    assert digest(store) == before


def test_editor_imports_own_county_with_password_from_env(
    users: Path, store: Path, monkeypatch, capsys
) -> None:
    monkeypatch.setenv("GEOMON_PASSWORD", "shazhou-pass")
    code, doc = run_json(
        capsys, "import", OWN, "--layer", "outlets", "--store", str(store), "--user", "shazhou"
    )
    assert (code, doc["written"], doc["rows_written"]) == (0, True, 1)
    last = open_store(store).history("outlets").iloc[-1]
    assert (last["user"], last["key"], last["source"]) == (
        "shazhou", "CJ9001429903GS0201", "scope_own_county.geojson"
    )  # fmt: skip


def test_password_from_stdin(users: Path, store: Path, monkeypatch) -> None:
    stdin(monkeypatch, "shazhou-pass\n")
    argv = ["import", OWN, "--layer", "outlets", "--store", str(store), "--user", "shazhou",
            "--password-stdin"]  # fmt: skip
    assert main(argv) == 0


@pytest.mark.parametrize(
    ("user", "password", "path", "code", "fragment"),
    [
        pytest.param("shazhou", "wrong", OWN, "bad_credentials", "wrong password", id="password"),
        pytest.param("nobody", "x", OWN, "bad_credentials", "unknown user", id="unknown-user"),
        pytest.param("guest", "guest-pass", OWN, "role", "(viewer) may not import", id="viewer"),
        pytest.param("shazhou", "shazhou-pass", OTHER, "outside_area",
                     "outside your areas (429903)", id="other-county"),
    ],
)  # fmt: skip
def test_import_refusals_change_nothing(
    users: Path, store: Path, monkeypatch, capsys, user, password, path, code, fragment
) -> None:
    monkeypatch.setenv("GEOMON_PASSWORD", password)
    before = digest(store)
    exit_code, doc = run_json(
        capsys, "import", path, "--layer", "outlets", "--store", str(store), "--user", user
    )
    assert exit_code == 2
    assert doc["errors"][0]["code"] == code
    assert fragment in doc["errors"][0]["message"]
    assert digest(store) == before


def test_city_admin_imports_any_county(users: Path, store: Path, monkeypatch) -> None:
    monkeypatch.setenv("GEOMON_PASSWORD", "city-admin-pass")
    argv = ["import", OTHER, "--layer", "outlets", "--store", str(store), "--user", "city"]
    assert main(argv) == 0
    assert open_store(store).history("outlets").iloc[-1]["user"] == "city"


def test_repeated_failures_lock_the_cli_login(users: Path, store: Path, monkeypatch, capsys):
    monkeypatch.setenv("GEOMON_PASSWORD", "guess")
    argv = ["import", OWN, "--layer", "outlets", "--store", str(store), "--user", "shazhou"]
    for _ in range(5):
        assert run_json(capsys, *argv)[1]["errors"][0]["code"] == "bad_credentials"
    monkeypatch.setenv("GEOMON_PASSWORD", "shazhou-pass")
    code, doc = run_json(capsys, *argv)
    assert (code, doc["errors"][0]["code"]) == (2, "locked")
    assert users.with_name("users.toml.logins.json").is_file()  # shared with the app


def test_require_login_without_users_file(tmp_path: Path, store: Path, monkeypatch, capsys):
    monkeypatch.setenv("GEOMON_USERS", str(tmp_path / "none.toml"))
    monkeypatch.setenv("GEOMON_REQUIRE_LOGIN", "1")
    monkeypatch.setenv("GEOMON_PASSWORD", "x")
    code, doc = run_json(
        capsys, "import", OWN, "--layer", "outlets", "--store", str(store), "--user", "a"
    )
    assert (code, doc["errors"][0]["code"]) == (2, "no_users")


# --- reading commands: export / stats / trace / check -----------------------------------------


def test_export_with_login_for_view_shows_only_own_areas(
    users: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys
) -> None:
    monkeypatch.setenv("GEOMON_LOGIN_REQUIRED_FOR_VIEW", "1")
    demo = tmp_path / "demo.gpkg"
    demo.write_bytes((Path(__file__).parents[2] / "data" / "demo.gpkg").read_bytes())
    out = tmp_path / "o.csv"
    argv = ["export", "--layer", "outlets", "--store", str(demo), "--format", "csv", "-o", str(out)]
    assert main(argv) == 2  # no login: refused
    assert "--user" in capsys.readouterr().err
    assert not out.exists()
    monkeypatch.setenv("GEOMON_PASSWORD", "shazhou-pass")
    assert main([*argv, "--user", "shazhou"]) == 0
    codes = out.read_text(encoding="utf-8-sig").splitlines()[1:]
    everyone = open_store(demo).read("outlets")
    expected = int((everyone["district_code"] == "429903").sum())  # 沙洲区 only
    assert 0 < len(codes) == expected < len(everyone)


def test_stats_open_to_anonymous_when_viewing_is_open(users: Path, capsys) -> None:
    demo = Path(__file__).parents[2] / "data" / "demo.gpkg"
    assert main(["stats", "--store", str(demo), "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["outlets"]["total"]["total"] == 129
