"""The ``geomon user`` commands and the command line's login (for ``geomon import``).

``geomon user add NAME --role editor --areas 429902,429903`` asks for the password twice (or
reads one line from stdin with ``--password-stdin``); ``geomon user passwd|remove NAME`` and
``geomon user list`` manage the rest. The users file is ``--users PATH``, else ``GEOMON_USERS``,
else ``config/users.toml``; whoever may write that file manages the users.

Logging in on the command line (`cli_login`): while login is in force (`geomon.access.auth`), a
command
that changes data needs ``--user NAME`` (or ``GEOMON_USER``) and the password from
``GEOMON_PASSWORD``, from stdin with ``--password-stdin``, or typed at a prompt. Failed logins
count towards the same lock-out as the app's. `login_options` adds ``--user`` and
``--password-stdin`` to a command that reads the store, and `store_for` opens ``--store`` through
that login.
"""

from __future__ import annotations

import argparse
import getpass
import json
import os
import sys
from pathlib import Path
from typing import Any

from geomon import config
from geomon.access import auth
from geomon.errors import AccessDeniedError, AuthConfigError
from geomon.messages import message

OK = 0


def _users_file(args: argparse.Namespace) -> Path:
    return Path(args.users) if args.users else auth.users_path()


def _read_password(args: argparse.Namespace, *, confirm: bool) -> str:
    if args.password_stdin:
        return sys.stdin.readline().rstrip("\r\n")
    if not sys.stdin.isatty():
        msg = "no terminal to ask for the password: use --password-stdin"
        raise AuthConfigError(msg)
    password = getpass.getpass("密码 / password: ")
    if confirm and getpass.getpass("再次输入 / again: ") != password:
        raise AuthConfigError(message("两次输入的密码不一致", "the passwords differ"))
    return password


def cmd_user_add(args: argparse.Namespace) -> int:
    """Add a user to the users file."""
    path = _users_file(args)
    password = _read_password(args, confirm=True)
    user = auth.add_user(path, args.name, password, role=args.role, areas=args.areas)
    print(
        f"已添加用户 {user.name}（{user.role}，{'、'.join(user.areas)}）→ {path} / "
        f"added user {user.name}"
    )
    return OK


def cmd_user_passwd(args: argparse.Namespace) -> int:
    """Set a user's password."""
    path = _users_file(args)
    auth.set_password(path, args.name, _read_password(args, confirm=True))
    print(f"已修改 {args.name} 的密码 / password changed")
    return OK


def cmd_user_remove(args: argparse.Namespace) -> int:
    """Remove a user."""
    path = _users_file(args)
    auth.remove_user(path, args.name)
    print(f"已删除用户 {args.name} / removed user {args.name}")
    return OK


def cmd_user_list(args: argparse.Namespace) -> int:
    """List users (never their hashes)."""
    users = auth.load_users(_users_file(args))
    rows: list[dict[str, Any]] = [
        {"name": u.name, "role": u.role, "areas": list(u.areas)} for u in users.values()
    ]
    if args.json:
        print(json.dumps(rows, ensure_ascii=False, indent=2))
    else:
        for r in rows:
            print(f"{r['name']}\t{r['role']}\t{','.join(r['areas'])}")
    return OK


def register(subparsers: Any) -> None:
    """Add the ``user`` command (add, passwd, remove, list) to the ``geomon`` parser."""
    p = subparsers.add_parser("user", help="用户与权限 / manage users, roles and areas")
    sub = p.add_subparsers(dest="user_command", required=True)

    def common(q: argparse.ArgumentParser) -> None:
        q.add_argument("--users", help="users file (default: $GEOMON_USERS or config/users.toml)")

    q = sub.add_parser("add", help="添加用户 / add a user")
    q.add_argument("name")
    q.add_argument("--role", choices=auth.ROLES, required=True)
    q.add_argument(
        "--areas",
        required=True,
        help="comma-separated GB/T 2260 codes (2/4/6/9 digits), or '*' for everywhere",
    )
    q.add_argument("--password-stdin", action="store_true", help="read the password from stdin")
    common(q)
    q.set_defaults(func=cmd_user_add)

    q = sub.add_parser("passwd", help="修改密码 / set a user's password")
    q.add_argument("name")
    q.add_argument("--password-stdin", action="store_true", help="read the password from stdin")
    common(q)
    q.set_defaults(func=cmd_user_passwd)

    q = sub.add_parser("remove", help="删除用户 / remove a user")
    q.add_argument("name")
    common(q)
    q.set_defaults(func=cmd_user_remove)

    q = sub.add_parser("list", help="列出用户 / list users")
    q.add_argument("--json", action="store_true")
    common(q)
    q.set_defaults(func=cmd_user_list)


def cli_login(
    name: str | None,
    action: auth.Action,
    *,
    password_stdin: bool = False,
    settings: config.Settings | None = None,
) -> auth.User | None:
    """
    Log in for a command that does `action`; None while login is not in force.

    The name comes from `name` (``--user``) or ``GEOMON_USER``; the password from
    ``GEOMON_PASSWORD``, stdin (`password_stdin`) or a prompt on a terminal.

    Raises
    ------
    AccessDeniedError
        ``login_required`` without a name or a password, ``role`` if the role does not allow
        `action`.
    LoginError
        If the name or password is wrong, or the name is locked out.
    """
    settings = settings or config.from_env()
    if not auth.login_required(action, settings):
        return None
    name = name or os.environ.get("GEOMON_USER")
    if not name:
        msg = message("需要登录：请用 --user 指定用户", f"{action} needs a login: pass --user NAME")
        raise AccessDeniedError(msg, code="login_required")
    password = os.environ.get("GEOMON_PASSWORD")
    if password is None and password_stdin:
        password = sys.stdin.readline().rstrip("\r\n")
    if password is None and sys.stdin.isatty():
        password = getpass.getpass(f"{name} 的密码 / password: ")
    if password is None:
        msg = message(
            "需要密码：设置 GEOMON_PASSWORD 或使用 --password-stdin",
            "a password is needed: set GEOMON_PASSWORD or use --password-stdin",
        )
        raise AccessDeniedError(msg, code="login_required")
    user = auth.authenticate(name, password, settings=settings)
    return auth.require(user, action, settings)


def login_options(p: argparse.ArgumentParser) -> None:
    """``--user`` / ``--password-stdin`` for commands that read the store (see README, Logins)."""
    p.add_argument(
        "--user",
        help="login name when logins are in force (password: "
        "$GEOMON_PASSWORD, --password-stdin or a prompt)",
    )
    p.add_argument("--password-stdin", action="store_true", help="read the password from stdin")


def store_for(args: argparse.Namespace, action: auth.Action) -> Any:
    """Open ``--store`` for `action`; with logins in force, log in and scope to the user's areas.

    Raises `AccessDeniedError` / `LoginError` (exit 2) when a required login fails.
    """
    from geomon.store import open_store  # noqa: PLC0415  (keeps `geomon --help` fast)

    login = cli_login(
        getattr(args, "user", None), action, password_stdin=getattr(args, "password_stdin", False)
    )
    store = open_store(args.store, must_exist=True)  # reading never creates a store
    if login is None:
        return store
    from geomon.access.scoped import ScopedStore  # noqa: PLC0415  (as open_store)

    return ScopedStore(store, login)
