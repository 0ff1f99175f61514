"""``geomon serve`` (the app under a service manager) and ``geomon health`` (an operator's probe).

``geomon serve`` runs Streamlit as a child process on ``--address`` (default ``GEOMON_ADDRESS``,
else ``localhost``) and ``--port``. SIGTERM and SIGINT sent to ``geomon serve`` are passed on to
the child, which is then waited for (`STOP_WAIT` seconds, then killed), so systemd, a container
runtime or Ctrl-C stop the whole app and a restart finds the port free.

``geomon health [--url URL]`` asks the running app's ``/healthz`` (see `geomon.app.server`) and
exits 0 when it answers ``{"status": "ok"}``, 1 when the app answers that its store cannot be
read, 2 when nothing answers.
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import subprocess
import sys
import urllib.error
import urllib.request
from types import FrameType
from typing import Any

from geomon import config
from geomon.cli._output import INVALID, OK, USAGE, print_json

STOP_WAIT = 15.0
"""Seconds the child has to stop after SIGTERM/SIGINT before it is killed."""
_FORWARDED = (signal.SIGTERM, signal.SIGINT)


def streamlit_command(address: str, port: int) -> list[str]:
    """The ``streamlit run`` command line of the app on `address`:`port`.

    The rest comes from ``.streamlit/config.toml`` (headless: no browser, no first-run prompt).
    A served app does not watch its source files: Streamlit's watcher walks the path of every
    loaded module on the event loop after each script run (measured: ~0.3 s of a national-store
    map visit, blocking every session), which only a developer's ``streamlit run`` wants.
    """
    app = config.PROJECT_DIR / "streamlit_app.py"
    return [
        sys.executable, "-m", "streamlit", "run", str(app),
        f"--server.port={port}", f"--server.address={address}",
        "--browser.gatherUsageStats=false", "--server.fileWatcherType=none",
        "--server.runOnSave=false",
    ]  # fmt: skip


def run_child(cmd: list[str], *, env: dict[str, str], cwd: str | os.PathLike[str]) -> int:
    """Run `cmd`, passing SIGTERM/SIGINT on to it and waiting for it; return its exit code.

    The child gets its own process group, so a terminal's Ctrl-C reaches it once (from here),
    not twice. A child that stops on the signal passed on to it ends a requested stop: 0. A
    child killed otherwise gives ``128 + signal`` (the shell's convention).
    """
    proc = subprocess.Popen(cmd, env=env, cwd=cwd, start_new_session=True)
    stopping: list[int] = []

    def forward(signum: int, frame: FrameType | None) -> None:
        del frame
        stopping.append(signum)
        if proc.poll() is None:
            proc.send_signal(signum)

    previous = {s: signal.signal(s, forward) for s in _FORWARDED}
    try:
        while True:
            try:
                code = proc.wait(timeout=STOP_WAIT if stopping else None)
                break
            except subprocess.TimeoutExpired:
                proc.kill()  # it had STOP_WAIT seconds after the signal
    finally:
        for s, handler in previous.items():
            signal.signal(s, handler)
    if code < 0 and -code in stopping:
        return OK
    return 128 - code if code < 0 else code


MALLOC_ARENA_MAX = "2"


def cmd_serve(args: argparse.Namespace) -> int:
    """Start the Streamlit app and stay in front of it until it stops."""
    settings = config.from_env()
    env = dict(os.environ)
    if args.store:
        env["GEOMON_STORE"] = str(args.store)
    # Streamlit runs each page in a thread; glibc gives threads their own heaps (8 per core), and
    # freed layer copies stay scattered over them: at national scale one user's peak RSS was
    # 1.18 GiB with the default and 0.91 GiB with two heaps (benchmarks/app.py). An operator's
    # own setting wins.
    env.setdefault("MALLOC_ARENA_MAX", MALLOC_ARENA_MAX)
    address = args.address or settings.address
    cmd = streamlit_command(address, args.port)
    return run_child(cmd, env=env, cwd=config.PROJECT_DIR)


def probe(url: str, *, timeout: float = 10.0) -> tuple[int, dict[str, Any]]:
    """GET ``{url}/healthz``; (HTTP status, JSON body), status 0 when nothing answered."""
    target = url.rstrip("/") + "/healthz"
    try:
        with urllib.request.urlopen(target, timeout=timeout) as r:
            return r.status, json.loads(r.read().decode("utf-8"))
    except urllib.error.HTTPError as exc:
        try:
            return exc.code, json.loads(exc.read().decode("utf-8"))
        except ValueError:
            return exc.code, {"status": "error", "message": str(exc)}
    except (OSError, ValueError) as exc:
        return 0, {"status": "unreachable", "message": f"{target}: {exc}"}


def cmd_health(args: argparse.Namespace) -> int:
    """Probe the running app; exit 0 healthy, 1 store unreadable, 2 no answer."""
    if not args.url.lower().startswith(("http://", "https://")):
        print(f"geomon: --url {args.url!r}: use an http:// or https:// address", file=sys.stderr)
        return USAGE
    status, body = probe(args.url, timeout=args.timeout)
    if args.json:
        print_json({"http_status": status, **body})
    elif body.get("status") == "ok":
        print(f"正常 / ok: {body.get('store')} revision {body.get('revision')}")
    else:
        print(f"异常 / {body.get('status')}: {body.get('message')}", file=sys.stderr)
    if status == 200 and body.get("status") == "ok":
        return OK
    return INVALID if status else USAGE


def add_serve(sub: Any) -> None:
    """Add ``geomon serve``."""
    p = sub.add_parser("serve", help="启动应用 / start the app")
    p.add_argument("--store")
    p.add_argument("--port", type=int, default=8501)
    p.add_argument(
        "--address",
        help="address to listen on: 0.0.0.0 for every interface (default: $GEOMON_ADDRESS or "
        "localhost, reachable from this machine only)",
    )
    p.set_defaults(func=cmd_serve)


def add_health(sub: Any) -> None:
    """Add ``geomon health``."""
    p = sub.add_parser("health", help="检查运行状态 / probe the running app's /healthz")
    p.add_argument(
        "--url", default="http://localhost:8501", help="the app's base URL (default %(default)s)"
    )
    p.add_argument("--timeout", type=float, default=10.0, help="seconds (default %(default)s)")
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=cmd_health)
