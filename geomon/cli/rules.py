"""The rule commands of ``geomon``: classify (GB 3838 water quality) and check (siting).

Each command has a ``cmd_*`` function (what it does) and an ``add_*`` function (its parser), which
`geomon.cli.build_parser` calls in the order ``geomon --help`` lists the commands.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from geomon import config, validate
from geomon import io as gio
from geomon.cli import users as auth_cli
from geomon.cli._args import crs_arg
from geomon.cli._output import INVALID, OK, USAGE, print_json, print_report, read_error
from geomon.errors import GeomonError, ReadError, ValidationError


def cmd_classify(args: argparse.Namespace) -> int:
    """Classify monitoring results (GB 3838-2002, single-factor) per section and period."""
    from geomon.analysis import stats  # noqa: PLC0415

    try:
        read = gio.read(args.path, "monitoring")
    except ReadError as exc:
        return read_error(args.path, "monitoring", exc, args.json)
    checked = validate.validate(read.frame, "monitoring", report=read.report)
    if not checked.report.valid:
        checked.report.path = args.path
        if args.json:
            print_json(checked.report.to_dict())
        else:
            print_report(checked.report)
        return INVALID
    sections = auth_cli.store_for(args, "view").read("sections")
    results = stats.classify_file(
        checked.frame,
        water_body=args.water_body,
        period=args.period,
        sections=sections if len(sections) else None,
        rounded=not args.raw,
    )
    doc = stats.classify_json(results)
    if args.json:
        print_json(doc)
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


def cmd_check(args: argparse.Namespace) -> int:
    """Check projects against red lines, protection zones and control units (三线一单)."""
    from geomon import reports, siting  # noqa: PLC0415  (keeps `geomon --help` fast)

    try:
        checked = siting.load_projects(args.path, crs=args.crs)
    except ReadError as exc:
        return read_error(args.path, "projects", exc, args.json)
    try:  # the app's siting page keeps the same rule
        projects = siting.checkable(checked, path=args.path)
    except ValidationError:
        print_report(checked.report)
        return USAGE
    result = siting.check(projects, auth_cli.store_for(args, "view"), buffer_m=args.buffer_m)
    if args.report:
        try:
            written = reports.write_siting_report(result, args.report)
        except GeomonError as exc:
            print(f"geomon: {exc}", file=sys.stderr)
            return USAGE
        print(f"报告已生成 / report written: {written}", file=sys.stderr)
    doc = siting.check_json(result)
    if args.json:
        print_json(doc)
    else:
        print("\n".join(check_text(doc, args.lang or config.from_env().lang)))
    return siting.exit_code(result)


_CHECK_WORDS = {
    "zh": {"count": "相关要素 {n} 个", "area": "重叠 {v:,.0f} m²", "length": "重叠长度 {v:,.0f} m",
           "distance": "距离 {v:,.0f} m", "basis": "依据：{v}"},
    "en": {"count": "features involved: {n}", "area": "overlap {v:,.0f} m²",
           "length": "overlap length {v:,.0f} m", "distance": "distance {v:,.0f} m",
           "basis": "basis: {v}"},
}  # fmt: skip


def _figures(c: dict[str, Any], words: dict[str, str]) -> list[str]:
    """A conflict's measures that mean something for its project: the overlap area of a
    polygon, the overlap length of a line (a point has neither), the distance when near."""
    out = []
    if (c.get("overlap_area_m2") or 0) > 0:
        out.append(words["area"].format(v=c["overlap_area_m2"]))
    elif (c.get("overlap_length_m") or 0) > 0:
        out.append(words["length"].format(v=c["overlap_length_m"]))
    if c["relation"] == "near":
        out.append(words["distance"].format(v=c["distance_m"]))
    return out


def check_text(doc: dict[str, Any], lang: str) -> list[str]:
    """The lines ``geomon check`` prints for people (`siting.check_json`'s `doc`), in `lang`:
    a project's verdict and how many features it involves, then per feature its layer, level,
    relation, measures and own verdict with the rule it cites; names, not codes (the JSON
    keeps the codes).
    """
    from geomon.rules import zones  # noqa: PLC0415
    from geomon.specs import get_spec  # noqa: PLC0415

    def name(labels: dict[str, Any], key: str) -> str:
        return labels[key].get(lang) if key in labels else key

    words = _CHECK_WORDS["en" if lang == "en" else "zh"]
    lines = []
    for p in doc["projects"]:
        verdict = name(zones.VERDICT_LABELS, p["verdict"])
        lines.append(
            f"{p['id']}  {p['name']}  {verdict}  {words['count'].format(n=len(p['conflicts']))}"
        )
        for c in p["conflicts"]:
            spec = get_spec(c["layer"])
            about = [
                spec.title.get(lang),
                c["feature_id"],
                c["name"],
                spec.level_label(c["level"], lang),
            ]
            parts = [
                " ".join(str(w) for w in about if w),
                name(zones.RELATION_LABELS, c["relation"]),
            ]
            parts += _figures(c, words)
            parts.append(name(zones.VERDICT_LABELS, c["verdict"]))
            if c["rule"]:
                parts.append(words["basis"].format(v=c["rule"]))
            lines.append("    " + "  ".join(parts))
    return lines


def add_classify(sub: Any) -> None:
    """Add ``geomon classify`` to the command's subparsers."""
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
    auth_cli.login_options(p)
    p.set_defaults(func=cmd_classify)


def add_check(sub: Any) -> None:
    """Add ``geomon check``."""
    p = sub.add_parser("check", help="选址比对 / check projects against red lines and zones")
    p.add_argument("path")
    p.add_argument("--crs", type=crs_arg)
    p.add_argument("--store")
    p.add_argument("--buffer-m", type=float, default=500.0, help="attention distance (m)")
    p.add_argument("--json", action="store_true")
    p.add_argument("--report", type=Path, help="write OUT.html or OUT.xlsx")
    p.add_argument(
        "--lang",
        choices=["zh", "en"],
        help="language of the text output (default: GEOMON_LANG, zh)",
    )
    auth_cli.login_options(p)
    p.set_defaults(func=cmd_check)
