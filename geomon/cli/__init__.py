"""The ``geomon`` command: validate, import, export, demo data, serve the app.

Exit codes (a contract scripts rely on): 0 ok / valid, 1 invalid data, 2 unreadable input or bad
usage. ``--json`` output shapes are documented per command in README.md and kept stable.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pandas as pd

from geomon import config, importer, validate
from geomon import io as gio
from geomon.cli import reports as reports_cli
from geomon.cli import users as auth_cli
from geomon.errors import AccessDeniedError, GeomonError, ReadError
from geomon.io import export as gexport
from geomon.messages import ValidationReport
from geomon.specs import get_spec, layer_names

OK, INVALID, USAGE = 0, 1, 2


def _print_json(data: Any) -> None:
    print(json.dumps(data, ensure_ascii=False, indent=2, default=str))


def _print_report(report: ValidationReport) -> None:
    print(report.summary())
    for issue in report.issues:
        where = f"第 {issue.row} 行" if issue.row is not None else "文件"
        fld = f" [{issue.field}]" if issue.field else ""
        tag = "警告" if issue.severity == "warning" else "错误"
        print(f"  {tag} {where}{fld} {issue.code}: {issue.message}")


def _read_error(path: str, layer: str, exc: GeomonError, as_json: bool) -> int:
    code = getattr(exc, "code", "unreadable")
    if as_json:
        _print_json(
            {
                "layer": layer,
                "path": path,
                "rows": 0,
                "valid": False,
                "errors": [{"row": None, "field": None, "code": code, "message": str(exc)}],
            }
        )
    else:
        print(f"geomon: {exc}", file=sys.stderr)
    return USAGE


def _store_for(args: argparse.Namespace, action: str) -> Any:
    """Open ``--store`` for `action`; with logins in force, log in and scope to the user's areas.

    Raises `AccessDeniedError` / `LoginError` (exit 2) when a required login fails.
    """
    from geomon.store import open_store  # noqa: PLC0415  (keeps `geomon --help` fast)

    login = auth_cli.cli_login(
        getattr(args, "user", None), action, password_stdin=getattr(args, "password_stdin", False)
    )
    store = open_store(args.store)
    if login is None:
        return store
    from geomon.access.scoped import ScopedStore  # noqa: PLC0415  (as open_store)

    return ScopedStore(store, login)


def cmd_validate(args: argparse.Namespace) -> int:
    """Read and validate a file; print the report."""
    try:
        read = gio.read(args.path, args.layer, args.crs)
        report = validate.validate(read.frame, args.layer, report=read.report).report
    except ReadError as exc:
        return _read_error(args.path, args.layer, exc, args.json)
    report.path = args.path
    if args.json:
        _print_json(report.to_dict())
    else:
        _print_report(report)
    return OK if report.valid else INVALID


def cmd_import(args: argparse.Namespace) -> int:
    """Import a file into a store layer, all or nothing."""
    from geomon.store import open_store  # noqa: PLC0415  (keeps `geomon --help` fast)

    try:
        login = auth_cli.cli_login(args.user, "import", password_stdin=args.password_stdin)
        store = open_store(args.store)
        if login is not None:  # only the login's areas, recorded under the login's name
            from geomon.access.scoped import ScopedStore  # noqa: PLC0415  (as open_store)

            store = ScopedStore(store, login)
        result = importer.import_file(
            args.path,
            args.layer,
            store,
            crs=args.crs,
            mode=args.mode,
            skip_invalid=args.skip_invalid,
            dry_run=args.dry_run,
            make_valid=args.make_valid,
            version=args.version_label,
            user=login.name if login else args.user or os.environ.get("USER"),
        )
    except (ReadError, AccessDeniedError) as exc:
        return _read_error(args.path, args.layer, exc, args.json)
    result.report.path = args.path
    if args.json:
        _print_json(result.to_dict())
    else:
        _print_report(result.report)
        if result.written:
            n = result.rows_written
            print(f"已写入 {n} 行到 {store!r} / wrote {n} rows")
        elif args.dry_run and result.diff is not None:
            d = result.diff
            print(
                f"试运行，未写入 / dry run, nothing written: 新增 added {len(d.added)}, "
                f"修改 changed {len(d.changed_keys)}, 未变 unchanged {len(d.unchanged)}"
            )
        else:
            print("未写入任何数据 / nothing was written", file=sys.stderr)
    return OK if result.report.valid else INVALID


def _parse_where(spec_name: str, clauses: Sequence[str]) -> dict[str, list[str]]:
    spec = get_spec(spec_name)
    wanted: dict[str, list[str]] = {}
    for clause in clauses:
        field, sep, value = clause.partition("=")
        field = field.strip()
        if not sep or field not in spec.field_names:
            msg = (
                f"--where {clause!r}: expected FIELD=VALUE with FIELD one of "
                f"{', '.join(spec.field_names)}"
            )
            raise ValueError(msg)
        fspec = spec.field(field)
        value = value.strip()
        if fspec.type == "enum":
            value = fspec.canonical(value) or value
        wanted.setdefault(field, []).append(value)
    return wanted


def filter_rows(frame: pd.DataFrame, wanted: dict[str, list[str]]) -> pd.DataFrame:
    """Rows where every field equals one of its wanted values (compared as text)."""
    mask = pd.Series(True, index=frame.index)
    for field, values in wanted.items():
        col = frame[field]
        if pd.api.types.is_datetime64_any_dtype(col):
            text = col.dt.strftime("%Y-%m-%d")
        elif pd.api.types.is_bool_dtype(col):
            text = col.map(lambda v: None if pd.isna(v) else ("true" if v else "false"))
            values = [
                "true" if v.lower() in ("true", "1", "yes", "是") else "false" for v in values
            ]
        else:
            text = col.astype("str")
        mask &= text.isin(values).fillna(False).astype(bool)
    return frame[mask.to_numpy()]


def cmd_export(args: argparse.Namespace) -> int:
    """Export a stored layer (optionally filtered) to a file."""

    try:
        wanted = _parse_where(args.layer, args.where or [])
    except ValueError as exc:
        print(f"geomon: {exc}", file=sys.stderr)
        return USAGE
    frame = _store_for(args, "view").read(args.layer)
    subset = filter_rows(frame, wanted)
    try:
        gexport.export(subset, args.layer, args.format, args.output)
    except GeomonError as exc:
        print(f"geomon: {exc}", file=sys.stderr)
        return USAGE
    print(f"已导出 {len(subset)} 行 → {args.output} / exported {len(subset)} rows")
    return OK


def cmd_classify(args: argparse.Namespace) -> int:
    """Classify monitoring results (GB 3838-2002, single-factor) per section and period."""
    from geomon.analysis import stats  # noqa: PLC0415

    try:
        read = gio.read(args.path, "monitoring")
    except ReadError as exc:
        return _read_error(args.path, "monitoring", exc, args.json)
    checked = validate.validate(read.frame, "monitoring", report=read.report)
    if not checked.report.valid:
        checked.report.path = args.path
        if args.json:
            _print_json(checked.report.to_dict())
        else:
            _print_report(checked.report)
        return INVALID
    sections = _store_for(args, "view").read("sections")
    results = stats.classify_file(
        checked.frame,
        water_body=args.water_body,
        period=args.period,
        sections=sections if len(sections) else None,
        rounded=not args.raw,
    )
    doc = stats.classify_json(results)
    if args.json:
        _print_json(doc)
    else:
        for r in doc["results"]:
            target = r["target"] or "—"
            meets = {True: "达标", False: "未达标", None: "无目标"}[r["meets_target"]]
            worst = "、".join(r["limiting"])
            print(
                f"{r['section_code']}  {r['period']}  {r['class'] or '—'}类  目标 {target}  "
                f"{meets}  定类项目 {worst}"
            )
    return OK


def cmd_stats(args: argparse.Namespace) -> int:
    """Print outlet progress and section statistics."""
    from geomon.analysis import stats  # noqa: PLC0415

    period = (args.date_from, args.date_to) if args.date_from and args.date_to else None
    doc = stats.stats_json(_store_for(args, "view"), period=period, as_of=args.as_of)
    _print_json(doc) if args.json else _print_stats(doc)
    return OK


def _pct(value: float | None) -> str:
    return "—" if value is None else f"{value}%"


def _print_stats(doc: dict[str, Any]) -> None:
    """Human-readable summary of `stats_json`; the full figures are in ``--json``."""
    outlets = doc.get("outlets", {})
    total = outlets.get("total", {})
    if total:
        print(
            f"入河排污口 {total.get('total')} 个：已溯源 {total.get('traced')}，"
            f"已完成整治 {total.get('rectified')}，已销号 {total.get('closed')}，"
            f"逾期 {total.get('overdue')}"
        )
    for row in outlets.get("by_water_body_kind", []):
        print(f"  {row['water_body_kind']}：{row['total']} 个，已完成整治 {row['rectified']} 个")
    sections = doc.get("sections", {})
    for row in sections.get("by_control_level", []):
        print(
            f"{row['control_level']}断面 {row['assessed']} 个：优良（Ⅰ–Ⅲ类）比例 "
            f"{_pct(row['good_pct'])}，劣Ⅴ类 {_pct(row['worst_pct'])}，达标 "
            f"{row['meets_target']}/{row['with_target']}"
        )
    for row in sections.get("failing", []):
        print(
            f"  未达标 {row['section_code']} {row['name']}：{row['class']}类（目标 "
            f"{row['target']}类）{row['exceedances']}"
        )
    print("（完整数据请用 --json / full figures: --json）")


def cmd_trace(args: argparse.Namespace) -> int:
    """List the outlets upstream of a section along the river network."""
    from geomon.analysis import tracing  # noqa: PLC0415

    result = tracing.trace_store(_store_for(args, "view"), args.section_code, km=args.km)
    doc = tracing.trace_json(result)
    if args.json:
        _print_json(doc)
    else:
        print(f"断面 {args.section_code} 上游 {args.km:g} km 内排污口 {doc['count']} 个：")
        for o in doc["outlets"]:
            print(f"  {o['distance_km']:>6.2f} km  {o['code']}  {o['name']}  {o['stage']}")
    return OK


def cmd_check(args: argparse.Namespace) -> int:
    """Check projects against red lines, protection zones and control units (三线一单)."""
    from geomon import reports, siting  # noqa: PLC0415  (keeps `geomon --help` fast)

    try:
        checked = siting.load_projects(args.path, crs=args.crs)
    except ReadError as exc:
        return _read_error(args.path, "projects", exc, args.json)
    if not checked.report.valid:  # a project we cannot read cannot be checked
        checked.report.path = args.path
        _print_report(checked.report)
        return USAGE
    result = siting.check(checked.frame, _store_for(args, "view"), buffer_m=args.buffer_m)
    if args.report:
        try:
            written = reports.write_siting_report(result, args.report)
        except GeomonError as exc:
            print(f"geomon: {exc}", file=sys.stderr)
            return USAGE
        print(f"报告已生成 / report written: {written}", file=sys.stderr)
    doc = siting.check_json(result)
    if args.json:
        _print_json(doc)
    else:
        for p in doc["projects"]:
            print(f"{p['id']}  {p['name']}  {p['verdict']}  冲突 {len(p['conflicts'])} 处")
            for c in p["conflicts"]:
                print(
                    f"    {c['layer']} {c['feature_id']} {c['name']} {c['level'] or ''} "
                    f"{c['relation']} 重叠 {c['overlap_area_m2']:.0f} m² 距离 "
                    f"{c['distance_m']:.0f} m  {c['rule']}"
                )
    return siting.exit_code(result)


def cmd_demo(args: argparse.Namespace) -> int:
    """Regenerate the synthetic demo dataset."""
    from geomon import demo  # noqa: PLC0415  (keeps `geomon --help` fast)

    demo.write_demo(args.out)
    print(f"演示数据已生成 / demo data written: {args.out}")
    return OK


def cmd_serve(args: argparse.Namespace) -> int:
    """Start the Streamlit app."""
    env = dict(os.environ)
    if args.store:
        env["GEOMON_STORE"] = str(args.store)
    app = config.PROJECT_DIR / "streamlit_app.py"
    cmd = [
        sys.executable,
        "-m",
        "streamlit",
        "run",
        str(app),
        f"--server.port={args.port}",
        f"--server.address={args.address}",
        "--browser.gatherUsageStats=false",
    ]
    return subprocess.call(cmd, cwd=config.PROJECT_DIR, env=env)


def _login_options(p: argparse.ArgumentParser) -> None:
    """``--user`` / ``--password-stdin`` for commands that read the store (see README, Logins)."""
    p.add_argument(
        "--user",
        help="login name when logins are in force (password: "
        "$GEOMON_PASSWORD, --password-stdin or a prompt)",
    )
    p.add_argument("--password-stdin", action="store_true", help="read the password from stdin")


def build_parser() -> argparse.ArgumentParser:
    """The argument parser of the ``geomon`` command."""
    parser = argparse.ArgumentParser(
        prog="geomon", description="geomon 水环境监管一张图 / water-environment monitoring map"
    )
    sub = parser.add_subparsers(dest="command", required=True)
    layers = layer_names()

    p = sub.add_parser("validate", help="校验文件 / validate a file against a layer spec")
    p.add_argument("path")
    p.add_argument("--layer", required=True, choices=layers)
    p.add_argument("--crs", help="source CRS: EPSG code, wgs84, cgcs2000, gk3[:zone], gcj02, bd09…")
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=cmd_validate)

    p = sub.add_parser("import", help="导入文件 / import a file into the store")
    p.add_argument("path")
    p.add_argument("--layer", required=True, choices=layers)
    p.add_argument("--crs")
    p.add_argument("--store", help="store URL (default: $GEOMON_STORE or data/demo.gpkg)")
    p.add_argument("--mode", choices=["upsert", "replace"], default="upsert")
    p.add_argument("--skip-invalid", action="store_true", help="write valid rows, skip the rest")
    p.add_argument("--dry-run", action="store_true", help="show what would change; write nothing")
    p.add_argument("--make-valid", action="store_true", help="repair invalid geometries")
    p.add_argument("--version-label", help="data version label, e.g. '红线 2023 批复版'")
    p.add_argument(
        "--user",
        help="who imports, for the change history (default: $USER); with logins in force the "
        "login name (password: $GEOMON_PASSWORD, --password-stdin or a prompt)",
    )
    p.add_argument("--password-stdin", action="store_true", help="read the password from stdin")
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=cmd_import)

    p = sub.add_parser("export", help="导出图层 / export a layer")
    p.add_argument("--layer", required=True, choices=layers)
    p.add_argument("--store")
    p.add_argument("--where", action="append", metavar="FIELD=VALUE")
    p.add_argument("--format", required=True, choices=list(gexport.FORMATS))
    p.add_argument("-o", "--output", required=True, type=Path)
    _login_options(p)
    p.set_defaults(func=cmd_export)

    p = sub.add_parser("classify", help="水质类别评价 / classify monitoring results (GB 3838)")
    p.add_argument("path")
    p.add_argument(
        "--water-body",
        choices=["river", "lake"],
        default=None,
        help="default: per section from the sections layer, else river",
    )
    p.add_argument("--period", choices=["month", "all"], default="month")
    p.add_argument(
        "--raw",
        action="store_true",
        help="classify raw period means (default: rounded per 环办监测函〔2020〕82号)",
    )
    p.add_argument("--store", help="store with the sections layer (targets, lake/river)")
    p.add_argument("--json", action="store_true")
    _login_options(p)
    p.set_defaults(func=cmd_classify)

    p = sub.add_parser("stats", help="统计 / outlet progress and section statistics")
    p.add_argument("--store")
    p.add_argument("--from", dest="date_from", help="period start, e.g. 2023-01-01")
    p.add_argument("--to", dest="date_to", help="period end, e.g. 2023-06-30")
    p.add_argument("--as-of", help="date for overdue and milestones (default: period end/today)")
    p.add_argument("--json", action="store_true")
    _login_options(p)
    p.set_defaults(func=cmd_stats)

    p = sub.add_parser("trace", help="溯源 / outlets upstream of a section")
    p.add_argument("section_code")
    p.add_argument("--store")
    p.add_argument("--km", type=float, default=10.0)
    p.add_argument("--json", action="store_true")
    _login_options(p)
    p.set_defaults(func=cmd_trace)

    p = sub.add_parser("check", help="选址比对 / check projects against red lines and zones")
    p.add_argument("path")
    p.add_argument("--crs")
    p.add_argument("--store")
    p.add_argument("--buffer-m", type=float, default=500.0, help="attention distance (m)")
    p.add_argument("--json", action="store_true")
    p.add_argument("--report", type=Path, help="write OUT.html or OUT.xlsx")
    _login_options(p)
    p.set_defaults(func=cmd_check)

    auth_cli.register(sub)
    reports_cli.register(sub)
    p = sub.add_parser("demo", help="生成演示数据 / regenerate the demo dataset")
    p.add_argument("--out", type=Path, default=config.DEMO_STORE)
    p.set_defaults(func=cmd_demo)

    p = sub.add_parser("serve", help="启动应用 / start the app")
    p.add_argument("--store")
    p.add_argument("--port", type=int, default=8501)
    p.add_argument("--address", default="localhost")
    p.set_defaults(func=cmd_serve)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the ``geomon`` command; return its exit code."""
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        return int(args.func(args))
    except GeomonError as exc:
        print(f"geomon: {exc}", file=sys.stderr)
        return USAGE


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
