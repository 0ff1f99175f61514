"""The station-readings commands of ``geomon``: ``readings import`` and ``series``.

``geomon readings import FILE`` reads an HJ 212 packet log or a CSV/XLSX export, matches each
station to its section and writes the readings all or nothing. JSON: ``{"path", "rows",
"written", "stations", "sections", "from", "to", "rejected": [{"line", "reason"}]}``; exit 0
when everything was read, 1 when some packets or rows were rejected (then nothing is written,
unless ``--skip-invalid`` writes the rest, as ``geomon import`` does), 2 when the file or store
cannot be read.

``geomon series SECTION --param NAME`` prints one section's series of one parameter:
``{"section", "parameter", "unit", "target", "limit", "points": [{"time", "value", "class",
"flag", "valid"}]}`` (means add ``valid_hours``, monthly ones ``valid_days``). Times are
Beijing time to the minute.
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path
from typing import Any

import pandas as pd

from geomon.cli import users as auth_cli
from geomon.cli._args import check_period, date_arg
from geomon.cli._output import INVALID, OK, USAGE, print_json
from geomon.errors import AccessDeniedError, ReadError, ReadingsError
from geomon.messages import message


def _import_doc(path: str, frame: pd.DataFrame | None, written: int, rejected: list) -> dict:
    from geomon.monitoring import beijing_text  # noqa: PLC0415  (keeps `geomon --help` fast)

    rows = 0 if frame is None else len(frame)
    times = beijing_text(frame["time"].agg(["min", "max"])) if rows else [None, None]
    return {
        "path": path,
        "rows": rows,
        "written": written,
        "stations": 0 if frame is None else int(frame["station_mn"].nunique()),
        "sections": 0 if frame is None else int(frame["section_code"].nunique()),
        "from": times[0],
        "to": times[1],
        "rejected": [{"line": r.line, "reason": r.reason} for r in rejected],
    }


def cmd_readings_import(args: argparse.Namespace) -> int:
    """Import station readings from an HJ 212 log or a CSV/XLSX export, all or nothing."""
    from geomon.monitoring import readings  # noqa: PLC0415
    from geomon.store import open_store  # noqa: PLC0415

    try:
        login = auth_cli.cli_login(args.user, "import", password_stdin=args.password_stdin)
        store = open_store(args.store, must_exist=True)  # sections must be there to match
        if login is not None:
            from geomon.access.scoped import ScopedStore  # noqa: PLC0415

            store = ScopedStore(store, login)
        parsed = readings.read_file(args.path)
        frame, unmatched = readings.match_sections(parsed, store.read("sections"))
    except (ReadError, AccessDeniedError) as exc:
        doc = _import_doc(args.path, None, 0, [])
        doc["rejected"] = [{"line": None, "reason": str(exc)}]
        print_json(doc) if args.json else print(f"geomon: {exc}", file=sys.stderr)
        return USAGE
    rejected = sorted([*parsed.rejected, *unmatched], key=lambda r: r.line)
    written = 0
    if not args.dry_run and len(frame) and (not rejected or args.skip_invalid):
        user = login.name if login else args.user or os.environ.get("USER")
        stats = store.write_readings(
            frame.drop(columns="line"), mode=args.mode, user=user, source=Path(args.path).name
        )
        written = stats.rows
    doc = _import_doc(args.path, frame, written, rejected)
    if args.json:
        print_json(doc)
    else:
        _print_import(doc, args, parsed.skipped)
    return OK if not rejected else INVALID


def _print_import(doc: dict[str, Any], args: argparse.Namespace, skipped: int) -> None:
    print(
        f"{doc['path']}：读到 {doc['rows']} 条数据（{doc['stations']} 个站点，{doc['sections']} "
        f"个断面，{doc['from'] or '—'} 至 {doc['to'] or '—'}） / {doc['rows']} readings read"
    )
    if skipped:
        print(f"  跳过 {skipped} 个非小时/日数据包 / skipped {skipped} packets of other commands")
    for r in doc["rejected"]:
        print(f"  错误 第 {r['line']} 行: {r['reason']}")
    if doc["written"]:
        print(f"已写入 {doc['written']} 条 / wrote {doc['written']} readings")
    elif args.dry_run:
        print("试运行，未写入 / dry run, nothing written")
    elif doc["rejected"]:
        print(
            "未写入任何数据（--skip-invalid 可写入其余数据） / nothing was written "
            "(--skip-invalid writes the rest)",
            file=sys.stderr,
        )


def cmd_series(args: argparse.Namespace) -> int:
    """Print one section's series of one parameter."""
    from geomon.monitoring import parameters, series  # noqa: PLC0415

    check_period(args.date_from, args.date_to)
    try:
        key = parameters.resolve(args.param)
    except ReadingsError as exc:
        zh = f"--param：无法识别的监测项目 {args.param!r}（请用字段名、中文名或 HJ 212 编码）"
        print(f"geomon: {message(zh, f'--param: {exc}')}", file=sys.stderr)
        return USAGE
    store = auth_cli.store_for(args, "view")
    sections = store.read("sections")
    hit = sections[sections["code"].astype(str) == args.section_code]
    if hit.empty:
        code = args.section_code
        text = message(f"存储中没有断面“{code}”", f"no section with code {code!r} in the store")
        print(f"geomon: {text}", file=sys.stderr)
        return USAGE
    row = hit.iloc[0]
    target = row.get("target_class")
    target = None if target is None or pd.isna(target) else str(target)
    water_body = "lake" if row.get("water_body_type") == "湖库" else "river"
    frame = store.read_readings(
        sections=[args.section_code], parameters=[key], start=args.date_from, end=args.date_to
    )
    result = series.section_series(
        frame, args.section_code, key, step=args.step, target=target, water_body=water_body
    )
    doc = series.series_json(result)
    if args.json:
        print_json(doc)
        return OK
    print(
        f"{doc['section']} {parameters.label(key)}（{key}，{doc['unit'] or '无量纲'}）"
        f"目标 {doc['target'] or '—'} 限值 {doc['limit'] if doc['limit'] is not None else '—'}"
    )
    for p in doc["points"]:
        mark = "" if p["valid"] else "  (无效 / not valid)"
        hours = f"  有效小时 {p['valid_hours']}" if "valid_hours" in p else ""
        hours += f"  有效天数 {p['valid_days']}" if "valid_days" in p else ""
        print(f"  {p['time']}  {p['value']}  {p['class'] or '—'}  {p['flag'] or ''}{hours}{mark}")
    return OK


def register(sub: Any) -> None:
    """Add ``geomon readings import`` and ``geomon series``."""
    r = sub.add_parser("readings", help="自动站数据 / automatic-station readings")
    rsub = r.add_subparsers(dest="readings_command", required=True)
    p = rsub.add_parser("import", help="导入 HJ 212 日志或 CSV/XLSX / import station readings")
    p.add_argument("path", metavar="FILE")
    p.add_argument("--store", help="store URL (default: $GEOMON_STORE or data/demo.gpkg)")
    p.add_argument("--mode", choices=["upsert", "replace"], default="upsert")
    p.add_argument(
        "--skip-invalid", action="store_true", help="write valid readings, skip the rest"
    )
    p.add_argument("--dry-run", action="store_true", help="read and check; write nothing")
    p.add_argument("--user", help="who imports (default: $USER; with logins in force the login)")
    p.add_argument("--password-stdin", action="store_true", help="read the password from stdin")
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=cmd_readings_import)

    s = sub.add_parser("series", help="断面时间序列 / a section's series of one parameter")
    s.add_argument("section_code", metavar="SECTION_CODE")
    s.add_argument(
        "--param", required=True, metavar="NAME", help="field name, Chinese label or HJ 212 code"
    )
    s.add_argument(
        "--from",
        dest="date_from",
        metavar="D",
        type=date_arg,
        help="start, Beijing time (e.g. 2023-06-01)",
    )
    s.add_argument(
        "--to",
        dest="date_to",
        metavar="D",
        type=date_arg,
        help="end, Beijing time (a date includes that day)",
    )
    s.add_argument("--step", choices=["hour", "day", "month"], default="hour")
    s.add_argument("--store")
    s.add_argument("--json", action="store_true")
    auth_cli.login_options(s)
    s.set_defaults(func=cmd_series)
