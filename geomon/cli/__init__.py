"""The ``geomon`` command: validate, import, export, demo data, serve the app.

Exit codes (a contract scripts rely on): 0 ok / valid, 1 invalid data, 2 unreadable input or bad
usage. ``--json`` output shapes are documented per command in README.md and kept stable.

This module builds the parser and dispatches; the commands live by family in `data` (validate,
import, export, stats, trace, demo), `rules` (classify, check), `reports` (report, recheck),
`users` (user, and the command line's login), `alerts` (alerts, the e-mail digest),
`monitoring` (readings import, series), `supervision` (problems, dispatch) and `serve` (serve,
health).
"""

from __future__ import annotations

import argparse
import contextlib
import os
import sys
from collections.abc import Sequence

from geomon.cli import alerts as alerts_cli
from geomon.cli import data, rules, serve
from geomon.cli import monitoring as monitoring_cli
from geomon.cli import reports as reports_cli
from geomon.cli import supervision as supervision_cli  # problems, dispatch (issue #20)
from geomon.cli import users as auth_cli
from geomon.cli._output import OK, USAGE
from geomon.errors import GeomonError

# Each adds its command(s) to the subparsers, in the order `geomon --help` lists them.
_COMMANDS = (
    data.add_validate,
    data.add_import,
    data.add_export,
    rules.add_classify,
    data.add_stats,
    data.add_trace,
    alerts_cli.add_alerts,
    rules.add_check,
    auth_cli.register,
    reports_cli.register,
    monitoring_cli.register,
    data.add_demo,
    supervision_cli.register,  # problems add|list|update, dispatch (issue #20)
    serve.add_serve,
    serve.add_health,
)


def build_parser() -> argparse.ArgumentParser:
    """The argument parser of the ``geomon`` command."""
    parser = argparse.ArgumentParser(
        prog="geomon", description="geomon 水环境监管一张图 / water-environment monitoring map"
    )
    sub = parser.add_subparsers(dest="command", required=True)
    for add in _COMMANDS:
        add(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the ``geomon`` command; return its exit code (argparse's refusals too: 2).

    A reader that stops early (``geomon series … --json | head``) closes stdout: every command
    then ends quietly with exit 0 instead of a `BrokenPipeError` traceback.
    """
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as exc:  # --help (0) or bad usage (2): returned like every other code
        return exc.code if isinstance(exc.code, int) else USAGE
    try:
        code = int(args.func(args))
        sys.stdout.flush()  # a closed pipe shows here, not in the interpreter's last flush
    except BrokenPipeError:
        _quiet_stdout()
        return OK
    except GeomonError as exc:
        print(f"geomon: {exc}", file=sys.stderr)
        return USAGE
    return code


def _quiet_stdout() -> None:
    """Point stdout at /dev/null so the interpreter's final flush has nowhere to fail."""
    with contextlib.suppress(OSError, ValueError):  # no descriptor (captured): nothing to flush
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
