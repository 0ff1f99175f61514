"""The data commands of ``geomon``: validate, import, export, stats, trace, demo.

Each command has a ``cmd_*`` function (what it does) and an ``add_*`` function (its parser), which
`geomon.cli.build_parser` calls in the order ``geomon --help`` lists the commands.
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path
from typing import Any

import pandas as pd

from geomon import config, filters, importer, validate
from geomon import io as gio
from geomon.cli import users as auth_cli
from geomon.cli._args import check_period, crs_arg, date_arg, km_arg
from geomon.cli._output import INVALID, OK, USAGE, print_json, print_report, read_error
from geomon.errors import AccessDeniedError, GeomonError, ReadError, UnknownFieldError
from geomon.io import export as gexport
from geomon.specs import get_spec, layer_names


def cmd_validate(args: argparse.Namespace) -> int:
    """Read and validate a file; print the report."""
    try:
        read = gio.read(args.path, args.layer, args.crs)
        report = validate.validate(read.frame, args.layer, report=read.report).report
    except ReadError as exc:
        return read_error(args.path, args.layer, exc, args.json)
    report.path = args.path
    if args.json:
        print_json(report.to_dict())
    else:
        print_report(report)
    return OK if report.valid else INVALID


def cmd_import(args: argparse.Namespace) -> int:
    """Import a file into a store layer, all or nothing."""
    from geomon.store import open_store  # noqa: PLC0415  (keeps `geomon --help` fast)

    try:
        login = auth_cli.cli_login(args.user, "import", password_stdin=args.password_stdin)
        store = open_store(args.store)
        new_file = _new_gpkg(store)
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
        return read_error(args.path, args.layer, exc, args.json)
    result.report.path = args.path
    if new_file is not None and result.written:  # import may create a store, and says so
        print(f"已新建存储 {new_file} / created a new store: {new_file}", file=sys.stderr)
    if args.json:
        print_json(result.to_dict())
    else:
        print_report(result.report)
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


def _new_gpkg(store: Any) -> Path | None:
    """The GeoPackage file `store` will create on its first write (None if it exists)."""
    path = getattr(store, "path", None)
    return Path(path) if path is not None and not Path(path).exists() else None


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
    try:  # fields by name, label or alias; enum values by value, label or alias
        wanted = filters.parse_where(args.layer, args.where or [])
    except UnknownFieldError as exc:
        print(f"geomon: --where: {exc.args[0]}", file=sys.stderr)
        return USAGE
    store = auth_cli.store_for(args, "view")
    frame = store.read(args.layer)
    subset = filter_rows(frame, wanted)
    try:
        gexport.export(subset, args.layer, args.format, args.output)
    except GeomonError as exc:
        print(f"geomon: {exc}", file=sys.stderr)
        return USAGE
    print(f"已导出 {len(subset)} 行 → {args.output} / exported {len(subset)} rows")
    if args.files:  # issue #20: the rows' stored files (evidence, photos) beside the export
        from geomon.store import files as stored_files  # noqa: PLC0415
        from geomon.store import history_text  # noqa: PLC0415

        spec = get_spec(args.layer)
        keys = history_text.key_texts(history_text.keys_of(subset, spec))
        target = Path(f"{args.output}.files.zip")
        n = stored_files.write_zip(store, args.layer, keys, target)
        print(f"已导出 {n} 个附件 → {target} / exported {n} stored files")
    return OK


def cmd_stats(args: argparse.Namespace) -> int:
    """Print outlet progress and section statistics."""
    from geomon.analysis import stats  # noqa: PLC0415

    check_period(args.date_from, args.date_to, both=True)  # a period needs both ends
    period = (args.date_from, args.date_to) if args.date_from and args.date_to else None
    doc = stats.stats_json(auth_cli.store_for(args, "view"), period=period, as_of=args.as_of)
    print_json(doc) if args.json else _print_stats(doc)
    return OK


def _pct(value: float | None) -> str:
    return "—" if value is None else f"{value}%"


def _class(klass: object) -> str:
    """A class as the app writes it (``Ⅳ类``, ``劣Ⅴ类``; `CLASS_LABELS`), else as given."""
    from geomon.rules import water_quality as wq  # noqa: PLC0415

    label = wq.CLASS_LABELS.get(str(klass))
    return label.zh if label is not None else str(klass or "—")


def _print_stats(doc: dict[str, Any]) -> None:
    """Human-readable summary of `stats_json`; the full figures are in ``--json``."""
    outlets = doc.get("outlets", {})
    total = outlets.get("total", {})
    if total:
        print(
            f"入河排污口 {total.get('total')} 个（截至 {outlets.get('as_of')}）：已溯源 "
            f"{total.get('traced')}，已完成整治 {total.get('rectified')}，已销号 "
            f"{total.get('closed')}，逾期 {total.get('overdue')}"
        )
    for row in outlets.get("by_water_body_kind", []):
        print(f"  {row['water_body_kind']}：{row['total']} 个，已完成整治 {row['rectified']} 个")
    sections = doc.get("sections", {})
    if span := sections.get("period"):
        print(f"断面水质（监测数据 {span.get('start')} 至 {span.get('end')}）：")
    for row in sections.get("by_control_level", []):
        print(
            f"{row['control_level']}断面 {row['assessed']} 个：优良（Ⅰ–Ⅲ类）比例 "
            f"{_pct(row['good_pct'])}，劣Ⅴ类 {_pct(row['worst_pct'])}，达标 "
            f"{row['meets_target']}/{row['with_target']}（有水质目标的断面）"
        )
    for row in sections.get("failing", []):
        print(
            f"  未达标 {row['section_code']} {row['name']}：{_class(row['class'])}（目标 "
            f"{_class(row['target'])}）{row['exceedances']}"
        )
    print("（完整数据请用 --json / full figures: --json）")


def cmd_trace(args: argparse.Namespace) -> int:
    """List the outlets upstream of a section along the river network."""
    from geomon.analysis import tracing  # noqa: PLC0415

    result = tracing.trace_store(auth_cli.store_for(args, "view"), args.section_code, km=args.km)
    doc = tracing.trace_json(result)
    if args.json:
        print_json(doc)
    else:
        print(f"断面 {args.section_code} 上游 {args.km:g} km 内排污口 {doc['count']} 个：")
        for o in doc["outlets"]:
            print(f"  {o['distance_km']:>6.2f} km  {o['code']}  {o['name']}  {o['stage']}")
    return OK


def cmd_demo(args: argparse.Namespace) -> int:
    """Regenerate the synthetic demo dataset."""
    from geomon import demo  # noqa: PLC0415  (keeps `geomon --help` fast)

    demo.write_demo(args.out)
    print(f"演示数据已生成 / demo data written: {args.out}")
    return OK


def add_validate(sub: Any) -> None:
    """Add ``geomon validate`` to the command's subparsers."""
    p = sub.add_parser("validate", help="校验文件 / validate a file against a layer spec")
    p.add_argument("path")
    p.add_argument("--layer", required=True, choices=layer_names())
    p.add_argument(
        "--crs",
        type=crs_arg,
        help="source CRS: EPSG code, wgs84, cgcs2000, gk3[:zone], gcj02, bd09…",
    )
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=cmd_validate)


def add_import(sub: Any) -> None:
    """Add ``geomon import``."""
    p = sub.add_parser("import", help="导入文件 / import a file into the store")
    p.add_argument("path")
    p.add_argument("--layer", required=True, choices=layer_names())
    p.add_argument("--crs", type=crs_arg)
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


def add_export(sub: Any) -> None:
    """Add ``geomon export``."""
    p = sub.add_parser("export", help="导出图层 / export a layer")
    p.add_argument("--layer", required=True, choices=layer_names())
    p.add_argument("--store")
    p.add_argument("--where", action="append", metavar="FIELD=VALUE")
    p.add_argument("--format", required=True, choices=list(gexport.FORMATS))
    p.add_argument("-o", "--output", required=True, type=Path)
    p.add_argument(
        "--files", action="store_true",
        help="also write the rows' stored files (evidence, photos) to OUT.files.zip",
    )  # fmt: skip
    auth_cli.login_options(p)
    p.set_defaults(func=cmd_export)


def add_stats(sub: Any) -> None:
    """Add ``geomon stats``."""
    p = sub.add_parser("stats", help="统计 / outlet progress and section statistics")
    p.add_argument("--store")
    p.add_argument(
        "--from", dest="date_from", type=date_arg, help="period start, e.g. 2023-01-01 (with --to)"
    )
    p.add_argument(
        "--to", dest="date_to", type=date_arg, help="period end, e.g. 2023-06-30 (with --from)"
    )
    p.add_argument(
        "--as-of", type=date_arg, help="date for overdue and milestones (default: period end/today)"
    )
    p.add_argument("--json", action="store_true")
    auth_cli.login_options(p)
    p.set_defaults(func=cmd_stats)


def add_trace(sub: Any) -> None:
    """Add ``geomon trace``."""
    p = sub.add_parser("trace", help="溯源 / outlets upstream of a section")
    p.add_argument("section_code")
    p.add_argument("--store")
    p.add_argument("--km", type=km_arg, default=10.0, help="upstream distance, km > 0")
    p.add_argument("--json", action="store_true")
    auth_cli.login_options(p)
    p.set_defaults(func=cmd_trace)


def add_demo(sub: Any) -> None:
    """Add ``geomon demo``."""
    p = sub.add_parser("demo", help="生成演示数据 / regenerate the demo dataset")
    p.add_argument("--out", type=Path, default=config.DEMO_STORE)
    p.set_defaults(func=cmd_demo)
