"""The supervision commands: ``geomon problems add|list|update`` and ``geomon dispatch``.

Exit codes as for every geomon command: 0 ok; 1 invalid data (a step the workflow forbids, a
value the problems layer refuses, an evidence file refused, an unknown feature): nothing is
written; 2 bad usage or unreadable input (no such store, an unreadable evidence file path, a
required login missing or failing, a bad date or month, an unknown ``--status``, an ``update ID``
that names no problem: nothing to act on). With logins in force the store is read and changed
through the login's areas, and the step is recorded under the login's name; without them
``--user`` names who acts (default: the system user), which is what the four-eyes close compares.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from geomon.cli import users as auth_cli
from geomon.cli._args import date_arg, month_arg
from geomon.cli._output import INVALID, OK, USAGE, print_json

DISPATCH_SUFFIXES = (".html", ".htm", ".xlsx")


def _fail(message: object, code: int) -> int:
    print(f"geomon: {message}", file=sys.stderr)
    return code


def _store_and_user(args: argparse.Namespace, action: str) -> tuple[Any, str]:
    """The store (scoped when logins are in force) and the name steps are recorded under."""
    from geomon.store import history  # noqa: PLC0415  (keeps `geomon --help` fast)

    store = auth_cli.store_for(args, action)
    login = getattr(store, "user", None)
    return store, (login.name if login is not None else args.user or history.default_user())


def _evidence(paths: list[str] | None) -> list[Any]:
    from geomon.supervision import evidence  # noqa: PLC0415

    return evidence.check_files(evidence.read_paths(paths or []))


def statuses() -> list[str]:
    """The problems' statuses in workflow order, from ``geomon/rules/supervision.toml``."""
    from geomon.rules import supervision as flow  # noqa: PLC0415

    rules = flow.rules()
    names = [rules.start, *(n for s in rules.steps for n in (*s.sources, s.target)), rules.closed]
    return list(dict.fromkeys(names))


def _status(value: str) -> str:
    """`value` as a status (its value, label or alias), or `UsageError` listing the statuses."""
    from geomon.errors import UsageError  # noqa: PLC0415
    from geomon.messages import message  # noqa: PLC0415
    from geomon.specs import get_spec  # noqa: PLC0415
    from geomon.supervision import problems  # noqa: PLC0415

    known = statuses()
    status = get_spec(problems.LAYER).field("status").canonical(value) or value
    if status not in known:
        msg = message(
            f"--status {value!r}：未知状态；可用：{'、'.join(known)}",
            f"--status {value!r}: unknown status; use one of {', '.join(known)}",
        )
        raise UsageError(msg)
    return status


def _say(problem: dict[str, Any]) -> None:
    card = {"red": "红牌", "yellow": "黄牌"}.get(problem.get("card") or "", "")
    print(
        f"{problem['id']}  {problem['status']}  {problem['title']}  "
        f"{problem.get('layer') or problem.get('feature_layer')}/{problem['feature_id']}  "
        f"{problem['unit']}  时限 {problem['deadline']}  {card}".rstrip()
    )


def _run(args: argparse.Namespace, action: str, work: Any) -> int:
    """Run `work(store, user)`; map errors to exit codes (1 invalid data, 2 usage/unreadable)."""
    from geomon.errors import (  # noqa: PLC0415
        AccessDeniedError,
        EvidenceError,
        GeomonError,
        StoreError,
        ValidationError,
        WorkflowError,
    )

    try:
        store, user = _store_and_user(args, action)
        return int(work(store, user))
    except (WorkflowError, ValidationError, EvidenceError) as exc:
        if isinstance(exc, EvidenceError) and "cannot be read" in str(exc):
            return _fail(exc, USAGE)
        return _fail(exc, INVALID)
    except AccessDeniedError as exc:
        return _fail(exc, INVALID if getattr(exc, "code", "") == "outside_area" else USAGE)
    except (StoreError, GeomonError) as exc:
        return _fail(exc, USAGE)


def cmd_problems_add(args: argparse.Namespace) -> int:
    """Make a problem about a stored feature (status 待整改) and print it."""
    from geomon import supervision  # noqa: PLC0415

    def work(store: Any, user: str) -> int:
        problem = supervision.add_problem(
            store,
            layer=args.layer,
            feature_id=args.id,
            title=args.title,
            source=args.source,
            unit=args.unit,
            deadline=args.deadline,
            measures=args.measures,
            steps=args.steps,
            description=args.description,
            user=user,
            evidence=_evidence(args.evidence),
        )
        print_json(problem) if args.json else _say(problem)
        return OK

    return _run(args, "edit", work)


def cmd_problems_list(args: argparse.Namespace) -> int:
    """Print the problems with their cards and days overdue."""
    from geomon.supervision import problems  # noqa: PLC0415

    def work(store: Any, user: str) -> int:
        status = None if args.status is None else _status(args.status)
        table = problems.problem_list(
            store.read(problems.LAYER), as_of=args.as_of, status=status, overdue=args.overdue
        )
        records = problems.list_records(table)
        if args.json:
            print_json({"problems": records})
        else:
            for r in records:
                _say(r)
            print(f"共 {len(records)} 个问题 / {len(records)} problems")
        return OK

    return _run(args, "view", work)


def cmd_problems_update(args: argparse.Namespace) -> int:
    """Take one workflow step on a problem; exit 1 (nothing written) if the workflow forbids it."""
    from geomon import supervision  # noqa: PLC0415
    from geomon.errors import UsageError  # noqa: PLC0415
    from geomon.messages import message  # noqa: PLC0415

    def work(store: Any, user: str) -> int:
        status = _status(args.status)
        ids = store.read(supervision.problems.LAYER)["id"].astype(str)
        if args.problem_id not in set(ids):  # nothing to act on: bad usage, not bad data
            pid = args.problem_id
            raise UsageError(message(f"ID：没有问题 {pid!r}", f"ID: no problem {pid!r}"))
        problem = supervision.update_problem(
            store,
            args.problem_id,
            status=status,
            note=args.note,
            evidence=_evidence(args.evidence),
            user=user,
        )
        print_json(problem) if args.json else _say(problem)
        return OK

    return _run(args, "edit", work)


def cmd_dispatch(args: argparse.Namespace) -> int:
    """Write the monthly dispatch sheet (按月调度督办), HTML or XLSX by the suffix of ``-o``."""
    from geomon.reports import dispatch, dispatch_report  # noqa: PLC0415

    suffix = args.output.suffix.lower()
    if suffix not in DISPATCH_SUFFIXES:
        return _fail(f"-o {str(args.output)!r}: use a name ending in .html or .xlsx", USAGE)

    def work(store: Any, user: str) -> int:
        sheet = dispatch.dispatch_sheet(store, args.month, district=args.district)
        if suffix == ".xlsx":
            dispatch_report.write_xlsx(sheet, args.output)
        else:
            dispatch_report.write_html(sheet, args.output)
        print(
            f"调度表已生成 / dispatch sheet written: {args.output}（数据截至 {sheet.as_of_text}）"
        )
        return OK

    return _run(args, "view", work)


def register(subparsers: Any) -> None:
    """Add ``problems`` (add, list, update) and ``dispatch`` to the ``geomon`` parser."""
    from geomon.specs import layer_names  # noqa: PLC0415

    p = subparsers.add_parser("problems", help="问题清单 / problems to rectify")
    sub = p.add_subparsers(dest="problems_command", required=True)

    def common(q: argparse.ArgumentParser) -> None:
        q.add_argument("--store", help="store URL (default: $GEOMON_STORE or data/demo.gpkg)")
        q.add_argument("--json", action="store_true")
        auth_cli.login_options(q)

    q = sub.add_parser("add", help="登记问题 / make a problem about a stored feature")
    q.add_argument("--layer", required=True, choices=layer_names())
    q.add_argument("--id", required=True, help="the feature's id in --layer")
    q.add_argument("--title", required=True)
    q.add_argument("--source", required=True, help="督察反馈, 巡查, 信访投诉, 监测预警, 排查, 其他")
    q.add_argument("--unit", required=True, help="responsible unit (责任单位)")
    q.add_argument("--deadline", required=True, type=date_arg, help="e.g. 2023-09-30")
    q.add_argument("--measures", help="the plan (一点一策), free text")
    q.add_argument("--steps", help='dated steps, one per line: "2023-07-15 完成截污"')
    q.add_argument("--description")
    q.add_argument("--evidence", action="append", metavar="FILE", help="JPEG, PNG or PDF")
    common(q)
    q.set_defaults(func=cmd_problems_add)

    q = sub.add_parser("list", help="问题清单 / list problems with their cards")
    q.add_argument("--status", help="待整改, 整改中, 待核查 or 已销号")
    q.add_argument("--overdue", action="store_true", help="only problems past their deadline")
    q.add_argument(
        "--as-of", type=date_arg, help="date for cards and days overdue (default: today)"
    )
    common(q)
    q.set_defaults(func=cmd_problems_list)

    q = sub.add_parser("update", help="办理 / one workflow step on a problem")
    q.add_argument("problem_id", metavar="ID")
    q.add_argument("--status", required=True)
    q.add_argument("--note", help="progress, the reason for a send-back, the verification note")
    q.add_argument("--evidence", action="append", metavar="FILE", help="JPEG, PNG or PDF")
    common(q)
    q.set_defaults(func=cmd_problems_update)

    p = subparsers.add_parser("dispatch", help="按月调度督办 / the monthly dispatch sheet")
    p.add_argument("--month", required=True, type=month_arg, help="e.g. 2023-06")
    p.add_argument("--district", help="district code (区划代码) or name")
    p.add_argument("--store", help="store URL (default: $GEOMON_STORE or data/demo.gpkg)")
    p.add_argument("-o", "--output", required=True, type=Path, help="OUT.html or OUT.xlsx")
    auth_cli.login_options(p)
    p.set_defaults(func=cmd_dispatch)
