"""Users, password hashes, logins, lock-outs and who needs a login for what (GH issue 8)."""

from __future__ import annotations

import stat
import tomllib
from pathlib import Path

import pytest

from geomon import config
from geomon.access import auth
from geomon.access.auth import User
from geomon.access.lockout import LoginLimiter
from geomon.errors import AccessDeniedError, AuthConfigError, LoginError


class Clock:
    """A clock the test moves by hand."""

    def __init__(self, now: float = 1_000_000.0) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def users_file(tmp_path: Path) -> Path:
    path = tmp_path / "config" / "users.toml"
    auth.add_user(path, "zhang.san", "correct horse", role="editor", areas="429902,429903")
    auth.add_user(path, "张三", "密码密码密码密码", role="viewer", areas="*")
    return path


def settings_for(path: Path, **kw: object) -> config.Settings:
    return config.Settings(users_file=str(path), **kw)


# --- hashes ------------------------------------------------------------------------------------


def test_hashes_are_salted_scrypt_and_verify() -> None:
    a, b = auth.hash_password("s3cret-pass"), auth.hash_password("s3cret-pass")
    assert a != b  # salted
    assert a.startswith("scrypt$16384$8$1$")
    assert "s3cret" not in a
    assert auth.verify_password("s3cret-pass", a)
    assert not auth.verify_password("s3cret-pasS", a)
    assert not auth.verify_password("", a)


@pytest.mark.parametrize(
    "stored",
    [
        "",
        "plain",
        "md5$x$y",
        "scrypt$16384$8$1$!!$!!",
        "scrypt$0$8$1$AAAA$AAAA",
        "scrypt$a$b$c$d$e",
    ],
)
def test_malformed_hashes_never_verify(stored: str) -> None:
    assert auth.verify_password("anything", stored) is False


# --- areas -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "area"),
    [
        ("42", "42"),
        ("4299", "4299"),
        ("429902", "429902"),
        ("429902001", "429902001"),
        ("420100", "4201"),
        ("420000", "42"),
        (" * ", "*"),
    ],
)
def test_normalise_area(raw: str, area: str) -> None:
    assert auth.normalise_area(raw) == area


@pytest.mark.parametrize("raw", ["", "4", "429", "42990", "4299021", "42990X", "４２", "*1"])
def test_bad_areas(raw: str) -> None:
    with pytest.raises(AuthConfigError, match="GB/T 2260"):
        auth.normalise_area(raw)


def test_parse_areas() -> None:
    assert auth.parse_areas("429902, 429903,429902") == ("429902", "429903")
    assert auth.parse_areas(["429902", "*"]) == ("*",)
    with pytest.raises(AuthConfigError, match="at least one area"):
        auth.parse_areas(" , ")


# --- the users file ----------------------------------------------------------------------------


def test_users_file_round_trip_without_plain_passwords(users_file: Path) -> None:
    users = auth.load_users(users_file)
    assert users == {
        "zhang.san": User("zhang.san", "editor", ("429902", "429903")),
        "张三": User("张三", "viewer", ("*",)),
    }
    text = users_file.read_text("utf-8")
    assert "correct horse" not in text and "密码" not in text
    assert tomllib.loads(text)["users"]["张三"]["role"] == "viewer"
    assert stat.S_IMODE(users_file.stat().st_mode) == 0o600


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        pytest.param({"name": "zhang.san"}, "exists", id="duplicate"),
        pytest.param({"password": "short"}, "8", id="short-password"),
        pytest.param({"role": "root"}, "role 'root'", id="bad-role"),
        pytest.param({"areas": "42990X"}, "GB/T 2260", id="bad-area"),
        pytest.param({"name": 'a"]\n[users.x'}, "user name", id="toml-injection"),
        pytest.param({"name": ""}, "user name", id="empty-name"),
    ],
)
def test_add_user_refuses(users_file: Path, kwargs: dict[str, str], match: str) -> None:
    args = {"name": "li.si", "password": "long enough", "role": "editor", "areas": "429902"}
    args |= kwargs
    before = users_file.read_bytes()
    with pytest.raises(AuthConfigError, match=match):
        auth.add_user(users_file, args.pop("name"), args.pop("password"), **args)
    assert users_file.read_bytes() == before


def test_passwd_and_remove(users_file: Path) -> None:
    auth.set_password(users_file, "zhang.san", "a new password")
    users = auth.load_users(users_file)
    assert auth.verify_password("a new password", users["zhang.san"].password_hash)
    assert users["zhang.san"].areas == ("429902", "429903")
    auth.remove_user(users_file, "张三")
    assert list(auth.load_users(users_file)) == ["zhang.san"]
    with pytest.raises(AuthConfigError, match="no user"):
        auth.remove_user(users_file, "张三")


def test_broken_users_file_is_an_error_not_an_open_door(tmp_path: Path) -> None:
    path = tmp_path / "users.toml"
    path.write_text('[users.a]\nrole = "editor"\nareas = ["*"]\n', "utf-8")  # no password
    with pytest.raises(AuthConfigError, match="needs role, areas and password"):
        auth.load_users(path)
    path.write_text("[users.a\n", "utf-8")
    with pytest.raises(AuthConfigError, match="cannot read the users file"):
        auth.load_users(path)


# --- logging in --------------------------------------------------------------------------------


def test_authenticate(users_file: Path) -> None:
    limiter = LoginLimiter(clock=Clock())
    settings = settings_for(users_file)
    user = auth.authenticate("zhang.san", "correct horse", settings=settings, limiter=limiter)
    assert (user.name, user.role, user.areas) == ("zhang.san", "editor", ("429902", "429903"))
    assert user.can("edit") and user.can("import") and not user.can("manage_users")


@pytest.mark.parametrize(("name", "password"), [("zhang.san", "wrong"), ("nobody", "x")])
def test_wrong_password_and_unknown_user_look_the_same(
    users_file: Path, name: str, password: str
) -> None:
    with pytest.raises(LoginError, match=r"unknown user or wrong password$") as info:
        auth.authenticate(name, password, settings=settings_for(users_file), limiter=LoginLimiter())
    assert info.value.code == "bad_credentials"


def test_no_users_configured(tmp_path: Path) -> None:
    with pytest.raises(LoginError, match="geomon user add") as info:
        auth.authenticate("a", "b", settings=settings_for(tmp_path / "none.toml"))
    assert info.value.code == "no_users"


def test_failed_logins_lock_the_name_with_backoff(users_file: Path) -> None:
    clock = Clock()
    limiter = LoginLimiter(clock=clock)
    settings = settings_for(users_file)

    def login(password: str) -> User:
        return auth.authenticate("zhang.san", password, settings=settings, limiter=limiter)

    for _ in range(4):
        with pytest.raises(LoginError, match=r"wrong password$"):
            login("guess")
    with pytest.raises(LoginError, match="locked for 30 s") as info:
        login("guess")  # 5th failure
    assert info.value.retry_after == 30
    with pytest.raises(LoginError, match="try again in 30 s") as info:
        login("correct horse")  # even the right password is not checked while locked
    assert info.value.code == "locked"

    clock.now += 31
    with pytest.raises(LoginError, match="locked for 60 s"):
        login("guess")  # 6th failure doubles the lock
    clock.now += 61
    assert login("correct horse").name == "zhang.san"
    assert limiter.retry_after("zhang.san") == 0
    for _ in range(4):  # the counter was reset by the success
        with pytest.raises(LoginError, match=r"wrong password$"):
            login("guess")


def test_lock_is_per_name_and_capped() -> None:
    clock = Clock()
    limiter = LoginLimiter(clock=clock, max_failures=2, lock_seconds=10, max_lock_seconds=25)
    assert [limiter.failed("a") for _ in range(5)] == [0, 10, 20, 25, 25]
    assert limiter.retry_after("b") == 0
    limiter.check("b")


def test_lock_state_is_shared_through_the_state_file(tmp_path: Path) -> None:
    clock = Clock()
    state = tmp_path / "users.toml.logins.json"
    for _ in range(5):
        LoginLimiter(state, clock=clock).failed("a")  # a new limiter each time: new sessions
    with pytest.raises(LoginError) as info:
        LoginLimiter(state, clock=clock).check("a")
    assert info.value.code == "locked"
    state.write_text("not json", "utf-8")  # a damaged state file resets, never blocks logins
    LoginLimiter(state, clock=clock).check("a")


def test_default_limiter_sits_next_to_the_users_file(users_file: Path) -> None:
    limiter = auth.default_limiter(settings_for(users_file))
    assert limiter.state_file == users_file.with_name("users.toml.logins.json")


# --- who needs a login -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("exists", "kw", "view", "edit"),
    [
        pytest.param(False, {}, False, False, id="desktop-no-users-file"),
        pytest.param(True, {}, False, True, id="users-file"),
        pytest.param(True, {"login_required_for_view": True}, True, True, id="view-too"),
        pytest.param(False, {"require_login": True}, False, True, id="required-no-file"),
    ],
)
def test_login_required(
    users_file: Path, tmp_path: Path, exists: bool, kw: dict, view: bool, edit: bool
) -> None:
    settings = settings_for(users_file if exists else tmp_path / "none.toml", **kw)
    assert auth.login_required("view", settings) is view
    assert auth.login_required("edit", settings) is edit
    assert auth.login_required("import", settings) is edit


def test_require(users_file: Path, tmp_path: Path) -> None:
    on = settings_for(users_file)
    assert auth.require(None, "view", on) is auth.ANONYMOUS
    with pytest.raises(AccessDeniedError, match="log in to edit") as info:
        auth.require(None, "edit", on)
    assert info.value.code == "login_required"
    viewer = User("v", "viewer", ("*",))
    with pytest.raises(AccessDeniedError, match="'v' \\(viewer\\) may not import") as info:
        auth.require(viewer, "import", on)
    assert info.value.code == "role"
    editor = User("e", "editor", ("429902",))
    assert auth.require(editor, "edit", on) is editor

    off = settings_for(tmp_path / "none.toml")
    local = auth.require(None, "edit", off)
    assert (local.role, local.areas) == ("admin", ("*",))


def test_settings_from_env(tmp_path: Path) -> None:
    settings = config.from_env(
        {
            "GEOMON_USERS": str(tmp_path / "u.toml"),
            "GEOMON_REQUIRE_LOGIN": "yes",
            "GEOMON_LOGIN_REQUIRED_FOR_VIEW": "1",
        }
    )
    assert settings.users_file == str(tmp_path / "u.toml")
    assert settings.require_login and settings.login_required_for_view
    default = config.from_env({})
    assert default.users_file.endswith("config/users.toml")
    assert not default.require_login and not default.login_required_for_view
