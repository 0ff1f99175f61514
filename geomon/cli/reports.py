"""The ``geomon report`` and ``geomon recheck`` commands (registered by `geomon.cli`).

Exit codes, as for every geomon command: 0 ok; 1 (recheck) some project's verdict, conflicts or
overlap changed; 2 bad usage or unreadable input (a bad date, an unknown version label, an
unknown output suffix, a project file that cannot be read), or a login that is required and
missing or fails. With logins in force (`geomon.cli.users.store_for`) both read the store through
the login's areas: a county user's report covers that county only.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

from geomon.cli import users as auth_cli
from geomon.cli._args import check_period, crs_arg, date_arg

OK, CHANGED, USAGE = 0, 1, 2
REPORT_SUFFIXES = (".html", ".htm", ".xlsx", ".json")
RECHECK_SUFFIXES = (".html", ".htm", ".xlsx")
STORED_PROJECTS = "store:projects"
"""`PROJECTS` value that re-checks the projects layer of the store itself."""


def _fail(message: object) -> int:
    print(f"geomon: {message}", file=sys.stderr)
    return USAGE


def _suffix(path: Path, allowed: tuple[str, ...], flag: str) -> str | None:
    suffix = path.suffix.lower()
    if suffix not in allowed:
        _fail(f"{flag} {str(path)!r}: use a file name ending in {', '.join(allowed)}")
        return None
    return suffix


def cmd_report(args: argparse.Namespace) -> int:
    """Write the period report (HTML, XLSX or JSON by the suffix of ``-o``)."""
    from geomon.errors import GeomonError  # noqa: PLC0415  (keeps `geomon --help` fast)
    from geomon.reports import period, period_html, period_xlsx  # noqa: PLC0415  (same)

    suffix = _suffix(args.output, REPORT_SUFFIXES, "-o")
    if suffix is None:
        return USAGE
    try:
        check_period(args.date_from, args.date_to)
        store = auth_cli.store_for(args, "view")  # a county login sees its county only
        report = period.period_report(
            store, args.date_from, args.date_to, district=args.district, as_of=args.as_of
        )
    except GeomonError as exc:
        return _fail(exc)
    if suffix == ".xlsx":
        period_xlsx.write(report, args.output)
    elif suffix == ".json":
        text = json.dumps(report.to_json(), ensure_ascii=False, indent=2, default=str)
        args.output.write_text(text, encoding="utf-8")
    else:
        period_html.write(report, args.output)
    print(f"报告已生成 / report written: {args.output}（数据截至 {report.as_of.text}）")
    return OK


def _projects(args: argparse.Namespace, store: Any) -> Any:
    """The projects to re-check: a file (any format `geomon check` reads) or the stored layer."""
    from geomon import siting  # noqa: PLC0415  (keeps `geomon --help` fast)
    from geomon.errors import ReadError  # noqa: PLC0415  (same)

    if args.projects == STORED_PROJECTS:
        frame = store.read("projects")
        if frame.empty:
            msg = "the store has no projects layer to re-check"
            raise ReadError(msg)
        return frame
    checked = siting.load_projects(args.projects, crs=args.crs)
    return siting.checkable(checked, path=args.projects)  # ValidationError: exit 2


def cmd_recheck(args: argparse.Namespace) -> int:
    """Re-check projects under two versions of the constraint layers."""
    from geomon.errors import GeomonError  # noqa: PLC0415  (keeps `geomon --help` fast)
    from geomon.reports import recheck, recheck_report  # noqa: PLC0415  (same)

    suffix = None
    if args.output is not None:
        suffix = _suffix(args.output, RECHECK_SUFFIXES, "-o")
        if suffix is None:
            return USAGE
    try:
        store = auth_cli.store_for(args, "view")
        projects = _projects(args, store)
        result = recheck.recheck(
            projects, store, before=args.against, after=args.to, buffer_m=args.buffer_m
        )
    except GeomonError as exc:
        return _fail(exc)
    if suffix == ".xlsx":
        recheck_report.write_xlsx(result, args.output)
    elif suffix is not None:
        recheck_report.write_html(result, args.output)
    if args.json:
        print(json.dumps(result.to_json(), ensure_ascii=False, indent=2, default=str))
    else:
        changed = result.changed
        print(
            f"复核 {len(result.projects)} 个项目（{result.before.text} → {result.after.text}）："
            f"{len(changed)} 个有变化 / {len(changed)} changed"
        )
        for p in changed.to_dict("records"):
            verdicts = f"{p['verdict_before']} → {p['verdict_after']}"
            print(f"  {p['id']}  {p['name']}  {verdicts}  {p['what']}")
    if args.output is not None:
        print(f"报告已生成 / report written: {args.output}", file=sys.stderr)
    return recheck.exit_code(result)


def register(subparsers: Any) -> None:
    """Add the ``report`` and ``recheck`` commands to the ``geomon`` parser's subparsers."""
    p = subparsers.add_parser("report", help="阶段工作报告 / period report (HTML, XLSX)")
    p.add_argument(
        "--from",
        dest="date_from",
        required=True,
        type=date_arg,
        help="period start, e.g. 2023-01-01",
    )
    p.add_argument(
        "--to", dest="date_to", required=True, type=date_arg, help="period end, e.g. 2023-06-30"
    )
    p.add_argument("--district", help="only this district (区县)")
    p.add_argument("--store", help="store URL (default: $GEOMON_STORE or data/demo.gpkg)")
    p.add_argument(
        "--as-of",
        help="data cutoff: a date, date-time or version label (default: end of --to, Beijing "
        "time, so a past period always gives the same figures)",
    )
    p.add_argument(
        "-o", "--output", required=True, type=Path, help="OUT.html, OUT.xlsx or OUT.json"
    )
    auth_cli.login_options(p)
    p.set_defaults(func=cmd_report)

    p = subparsers.add_parser(
        "recheck", help="调整后复核 / re-check projects after a red-line or zone revision"
    )
    p.add_argument("projects", help=f"project file (as for `geomon check`), or {STORED_PROJECTS!r}")
    p.add_argument("--against", required=True, help="before: version label, date or 'current'")
    p.add_argument("--to", required=True, help="after: version label, date or 'current'")
    p.add_argument("--crs", type=crs_arg, help="CRS of the project file if it does not say")
    p.add_argument("--store", help="store URL (default: $GEOMON_STORE or data/demo.gpkg)")
    p.add_argument("--buffer-m", type=float, default=500.0, help="attention distance (m)")
    p.add_argument("--json", action="store_true")
    p.add_argument("-o", "--output", type=Path, help="OUT.html or OUT.xlsx")
    auth_cli.login_options(p)
    p.set_defaults(func=cmd_recheck)
