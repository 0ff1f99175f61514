"""Users, roles, areas and logins: who may view, edit and import.

Users live in a TOML file (``GEOMON_USERS``, default ``config/users.toml``, never committed),
written by ``geomon user add``::

    [users."zhang.san"]
    role = "editor"                      # viewer | editor | admin
    areas = ["429902", "429903"]         # GB/T 2260 codes, or ["*"] for everywhere
    password = "scrypt$16384$8$1$<salt>$<hash>"

Passwords are stored as salted `hashlib.scrypt` hashes and compared in constant time. An area is
a province (2 digits), city (4), county (6) or township (9) code; ``420100`` is read as the city
``4201`` and ``420000`` as the province ``42``. `geomon.access.scoped.ScopedStore` limits what a
user reads and writes to their areas.

When login is needed (`login_required`): as soon as the users file exists (or
``GEOMON_REQUIRE_LOGIN=1``), editing and importing need a login; viewing needs one only with
``GEOMON_LOGIN_REQUIRED_FOR_VIEW=1``. Without a users file geomon runs as a single-user desktop
tool and every action is done by the local user (`local_user`).

Failed logins are rate-limited per user name (`geomon.access.lockout.LoginLimiter`): after 5
failures in a row the name is locked for 30 s, doubling with every further failure up to 15 min;
a success resets it. The state is kept in a small JSON file next to the users file, so it is
shared by every app session and survives restarts.
"""

from __future__ import annotations

import base64
import functools
import getpass
import hashlib
import hmac
import json
import os
import re
import secrets
import tomllib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

from geomon import audit, config
from geomon.access.lockout import LoginLimiter
from geomon.errors import AccessDeniedError, AuthConfigError, LoginError
from geomon.messages import message

Action = Literal["view", "edit", "import", "manage_users"]
ROLES = ("viewer", "editor", "admin")
PERMISSIONS: Mapping[str, frozenset[str]] = {
    "viewer": frozenset({"view"}),
    "editor": frozenset({"view", "edit", "import"}),
    "admin": frozenset({"view", "edit", "import", "manage_users"}),
}
"""What each role may do."""
ALL_AREAS = "*"
MIN_PASSWORD_LENGTH = 8
_NAME = re.compile(r"^[\w.@-]{1,64}$")
_AREA_LENGTHS = (2, 4, 6, 9)
_SCRYPT = {"n": 2**14, "r": 8, "p": 1}


@dataclass(frozen=True, slots=True)
class User:
    """A person who may log in: role and the areas (GB/T 2260 codes) they work on."""

    name: str
    role: str
    areas: tuple[str, ...] = (ALL_AREAS,)
    password_hash: str = field(default="", repr=False, compare=False)

    def can(self, action: Action) -> bool:
        """Whether the role allows `action` (``view``, ``edit``, ``import``, ``manage_users``)."""
        return action in PERMISSIONS.get(self.role, frozenset())

    @property
    def sees_all(self) -> bool:
        """Whether the user's areas cover everywhere (``*``)."""
        return ALL_AREAS in self.areas


ANONYMOUS = User("anonymous", "viewer", (ALL_AREAS,))
"""Who views when viewing needs no login: sees everything, changes nothing."""


def local_user() -> User:
    """The single user of a desktop install without a users file: may do everything."""
    try:
        name = os.environ.get("USER") or getpass.getuser()
    except (KeyError, OSError):  # no passwd entry for this uid
        name = "local"
    return User(name, "admin", (ALL_AREAS,))


# --- areas -------------------------------------------------------------------------------------


def normalise_area(code: object) -> str:
    """
    An area code as geomon compares it: ``*``, or 2/4/6/9 digits without trailing ``00`` levels.

    Examples
    --------
    >>> normalise_area("429902"), normalise_area("420100"), normalise_area(" 420000 ")
    ('429902', '4201', '42')
    """
    text = str(code).strip()
    if text == ALL_AREAS:
        return text
    if not text.isascii() or not text.isdigit() or len(text) not in _AREA_LENGTHS:
        msg = message(
            f"区域代码“{text}”无效：应为 2/4/6/9 位行政区划代码或 *",
            f"area {text!r} is not a 2-, 4-, 6- or 9-digit GB/T 2260 code or '*'",
        )
        raise AuthConfigError(msg)
    if len(text) == 6:  # 420100 is the city 4201, 420000 the province 42
        while len(text) > 2 and text.endswith("00"):
            text = text[:-2]
    return text


def parse_areas(text: str | Iterable[str]) -> tuple[str, ...]:
    """Areas from ``"429902,429903"`` or a list; ``*`` alone means everywhere."""
    items = text.split(",") if isinstance(text, str) else list(text)
    areas = tuple(dict.fromkeys(normalise_area(a) for a in items if str(a).strip()))
    if not areas:
        msg = message("至少需要一个区域（或 *）", "at least one area (or '*') is needed")
        raise AuthConfigError(msg)
    return (ALL_AREAS,) if ALL_AREAS in areas else areas


# --- passwords ---------------------------------------------------------------------------------


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


def hash_password(password: str, *, n: int = _SCRYPT["n"], r: int = 8, p: int = 1) -> str:
    """A salted scrypt hash of `password`: ``scrypt$n$r$p$<salt>$<hash>`` (base64)."""
    salt = secrets.token_bytes(16)
    digest = hashlib.scrypt(password.encode("utf-8"), salt=salt, n=n, r=r, p=p, dklen=32)
    return f"scrypt${n}${r}${p}${_b64(salt)}${_b64(digest)}"


def verify_password(password: str, stored: str) -> bool:
    """Whether `password` matches the `hash_password` result `stored` (constant-time compare)."""
    try:
        scheme, n, r, p, salt, digest = stored.split("$")
        if scheme != "scrypt":
            return False
        expected = base64.b64decode(digest, validate=True)
        got = hashlib.scrypt(
            password.encode("utf-8"),
            salt=base64.b64decode(salt, validate=True),
            n=int(n),
            r=int(r),
            p=int(p),
            dklen=len(expected),
            maxmem=128 * 1024**2,
        )
    except (ValueError, TypeError):  # malformed hash, bad base64, scrypt parameters
        return False
    return hmac.compare_digest(got, expected)


@functools.cache
def _dummy_hash() -> str:
    """A hash to check unknown names against, so they take as long as known ones."""
    return hash_password(secrets.token_hex(8))


# --- the users file ----------------------------------------------------------------------------


def users_path(settings: config.Settings | None = None) -> Path:
    """Where the users file is (``GEOMON_USERS``)."""
    return Path((settings or config.from_env()).users_file)


def _check_name(name: str) -> str:
    if not _NAME.match(name):
        msg = message(
            f"用户名“{name}”无效：1–64 个字母、数字、汉字或 . _ @ -",
            f"user name {name!r} is invalid: 1-64 letters, digits, '.', '_', '@' or '-'",
        )
        raise AuthConfigError(msg)
    return name


def _check_role(role: str) -> str:
    if role not in ROLES:
        msg = message(
            f"角色“{role}”无效（{'、'.join(ROLES)}）",
            f"role {role!r} is not one of {', '.join(ROLES)}",
        )
        raise AuthConfigError(msg)
    return role


def load_users(path: str | Path) -> dict[str, User]:
    """Every user in the users file at `path` (empty if the file does not exist)."""
    path = Path(path)
    if not path.exists():
        return {}
    try:
        with path.open("rb") as fh:
            raw = tomllib.load(fh)
    except (OSError, tomllib.TOMLDecodeError) as exc:
        msg = f"{path}: cannot read the users file: {exc}"
        raise AuthConfigError(msg) from exc
    users = {}
    for name, entry in (raw.get("users") or {}).items():
        where = f"{path}: user {name!r}"
        if not isinstance(entry, dict) or not isinstance(entry.get("password"), str):
            msg = f"{where} needs role, areas and password"
            raise AuthConfigError(msg)
        try:
            users[name] = User(
                _check_name(name),
                _check_role(str(entry.get("role", ""))),
                parse_areas(entry.get("areas", [])),
                entry["password"],
            )
        except AuthConfigError as exc:
            msg = f"{where}: {exc}"
            raise AuthConfigError(msg) from exc
    return users


def _toml_string(text: str) -> str:
    return json.dumps(text, ensure_ascii=False)  # JSON string escapes are valid TOML


def save_users(users: Mapping[str, User], path: str | Path) -> None:
    """Write the users file atomically, readable by its owner only."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    lines = [
        "# geomon users (geomon user add/passwd/remove). Passwords are salted scrypt hashes.",
        "# Keep this file out of version control.",
    ]
    for user in sorted(users.values(), key=lambda u: u.name):
        lines += [
            "",
            f"[users.{_toml_string(user.name)}]",
            f"role = {_toml_string(user.role)}",
            f"areas = [{', '.join(_toml_string(a) for a in user.areas)}]",
            f"password = {_toml_string(user.password_hash)}",
        ]
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as fh:
        fh.write("\n".join(lines) + "\n")
    tmp.replace(path)


def _check_password(password: str) -> None:
    if len(password) < MIN_PASSWORD_LENGTH:
        msg = message(
            f"密码至少 {MIN_PASSWORD_LENGTH} 位", f"a password needs {MIN_PASSWORD_LENGTH}+ chars"
        )
        raise AuthConfigError(msg)


def add_user(
    path: str | Path, name: str, password: str, *, role: str, areas: str | Iterable[str]
) -> User:
    """Add a user to the users file (created if missing); refuse an existing name."""
    users = load_users(path)
    if name in users:
        msg = message(
            f"用户“{name}”已存在（改密码用 geomon user passwd）",
            f"user {name!r} exists; use `geomon user passwd` to change the password",
        )
        raise AuthConfigError(msg)
    _check_password(password)
    user = User(_check_name(name), _check_role(role), parse_areas(areas), hash_password(password))
    save_users({**users, name: user}, path)
    return user


def set_password(path: str | Path, name: str, password: str) -> User:
    """Give an existing user a new password."""
    users = load_users(path)
    if name not in users:
        msg = f"no user {name!r} in {path}"
        raise AuthConfigError(msg)
    _check_password(password)
    old = users[name]
    users[name] = User(old.name, old.role, old.areas, hash_password(password))
    save_users(users, path)
    return users[name]


def remove_user(path: str | Path, name: str) -> None:
    """Remove a user from the users file."""
    users = load_users(path)
    if users.pop(name, None) is None:
        msg = f"no user {name!r} in {path}"
        raise AuthConfigError(msg)
    save_users(users, path)


# --- rate limiting -----------------------------------------------------------------------------


def default_limiter(settings: config.Settings | None = None) -> LoginLimiter:
    """The limiter whose state sits next to the users file (``users.toml.logins.json``)."""
    path = users_path(settings)
    return LoginLimiter(path.with_name(path.name + ".logins.json"))


# --- logging in and permissions ----------------------------------------------------------------


def login_enabled(settings: config.Settings | None = None) -> bool:
    """Whether logins are in force: a users file exists, or ``GEOMON_REQUIRE_LOGIN=1``."""
    settings = settings or config.from_env()
    return settings.require_login or Path(settings.users_file).exists()


def login_required(action: Action, settings: config.Settings | None = None) -> bool:
    """Whether `action` needs a logged-in user under `settings`."""
    settings = settings or config.from_env()
    if not login_enabled(settings):
        return False
    return settings.login_required_for_view if action == "view" else True


def authenticate(
    name: str,
    password: str,
    *,
    settings: config.Settings | None = None,
    users: Mapping[str, User] | None = None,
    limiter: LoginLimiter | None = None,
) -> User:
    """
    Log `name` in with `password`; return the `User`.

    Parameters
    ----------
    name, password
        What the person typed.
    settings
        Where the users file is (default: the environment's).
    users
        The users to check against (default: `load_users` of the users file).
    limiter
        Failed-login counter (default: `default_limiter`, shared through a JSON file).

    Raises
    ------
    LoginError
        ``locked`` while the name is locked out (the password is not even checked),
        ``bad_credentials`` for an unknown name or a wrong password (one message for both),
        ``no_users`` if no user is configured.
    """
    settings = settings or config.from_env()
    if users is None:
        users = load_users(users_path(settings))
    if not users:
        msg = message(
            "尚未配置用户：请先运行 geomon user add", "no users configured: run `geomon user add`"
        )
        raise LoginError(msg, code="no_users")
    limiter = limiter or default_limiter(settings)
    try:
        limiter.check(name)
    except LoginError as exc:
        audit.record("login_failed", user=name, reason=exc.code, settings=settings)
        raise
    user = users.get(name)
    ok = verify_password(password, user.password_hash if user else _dummy_hash())
    if user is None or not ok:
        lock = limiter.failed(name)
        audit.record("login_failed", user=name, reason="bad_credentials", settings=settings)
        extra_zh = f"；已锁定 {lock:.0f} 秒" if lock else ""
        extra_en = f"; locked for {lock:.0f} s" if lock else ""
        msg = message(f"用户名或密码错误{extra_zh}", f"unknown user or wrong password{extra_en}")
        raise LoginError(msg, code="bad_credentials", retry_after=lock or None)
    limiter.succeeded(name)
    audit.record("login", user=name, role=user.role, settings=settings)
    return user


def require(user: User | None, action: Action, settings: config.Settings | None = None) -> User:
    """
    Return who does `action`: `user` if their role allows it, else raise `AccessDeniedError`.

    With no `user` (nobody logged in): `ANONYMOUS` may view and, while login is not in force,
    `local_user` may do anything; otherwise ``login_required``. A role that does not allow the
    action raises ``role``.
    """
    settings = settings or config.from_env()
    if user is None:
        if login_required(action, settings):
            msg = message("请先登录", f"log in to {action.replace('_', ' ')}")
            raise AccessDeniedError(msg, code="login_required")
        return ANONYMOUS if action == "view" and login_enabled(settings) else local_user()
    if not user.can(action):
        msg = message(
            f"用户 {user.name}（{user.role}）无权执行此操作",
            f"user {user.name!r} ({user.role}) may not {action.replace('_', ' ')}",
        )
        raise AccessDeniedError(msg, code="role")
    return user
