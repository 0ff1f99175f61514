"""``geomon alerts``: the early warnings (预警) at a date, and the optional daily e-mail digest.

Prints ``{"as_of", "alerts": [{"kind", "severity", "layer", "id", "name", "parameter", "value",
"limit", "since", "message", "rule"}]}`` with ``--json`` (`geomon.monitoring.alerts.JSON_KEYS`).
Acknowledged alerts are left out unless ``--all``. ``--email`` sends the same alerts as the
digest through the SMTP server of the settings (`geomon.monitoring.digest`).
"""

from __future__ import annotations

import argparse
import sys
from typing import Any

from geomon import config
from geomon.cli import users as auth_cli
from geomon.cli._args import date_arg
from geomon.cli._output import OK, USAGE, print_json


def cmd_alerts(args: argparse.Namespace) -> int:
    """Evaluate the alert rules on the store; print (and optionally mail) the open alerts."""
    from geomon.monitoring import alerts, digest  # noqa: PLC0415  (keeps `geomon --help` fast)

    store = auth_cli.store_for(args, "view")
    rules = alerts.load_rules(args.rules)
    found = alerts.store_alerts(store, as_of=args.as_of, rules=rules)
    if not args.all:
        found = alerts.open_alerts(found, alerts.read_acks(store)["alert_id"].astype(str))
    doc = alerts.alerts_json(found, args.as_of)
    if args.json:
        print_json(doc)
    else:
        _print_alerts(doc)
    if args.email:
        settings = config.from_env()
        link = f"{settings.public_url.rstrip('/')}/alerts" if settings.public_url else None
        sent = digest.send_digest(found, doc["as_of"], settings, link=link)
        print(f"预警日报已发送 / digest sent to {', '.join(sent['to'])}", file=sys.stderr)
    return OK


def _print_alerts(doc: dict[str, Any]) -> None:
    """The alerts for people: severity, kind and layer in words (高 持续超标 监测断面), the
    words of the digest and the 预警 page; ``--json`` keeps the codes."""
    from geomon.monitoring import alerts, digest  # noqa: PLC0415
    from geomon.specs import get_spec  # noqa: PLC0415

    kinds = get_spec(alerts.ACK_LAYER).field("kind")
    print(f"预警 {doc['as_of']}：{len(doc['alerts'])} 条 / alerts")
    for a in doc["alerts"]:
        severity = digest.SEVERITY_WORDS.get(a["severity"], a["severity"])
        kind = kinds.value_label(a["kind"], "zh")
        layer = get_spec(a["layer"]).title.get("zh")
        print(f"  [{severity}] {kind} {layer} {a['name']}：{a['message']}")
    print("（完整数据请用 --json / full figures: --json）")


def add_alerts(sub: Any) -> None:
    """Add ``geomon alerts``."""
    p = sub.add_parser("alerts", help="预警 / early warnings at a date")
    p.add_argument(
        "--as-of", type=date_arg, help="date (end of that Beijing day) or time; default now"
    )
    p.add_argument("--store")
    p.add_argument("--json", action="store_true")
    p.add_argument("--all", action="store_true", help="include acknowledged alerts")
    p.add_argument("--rules", help="alert rules TOML (default geomon/rules/alerts.toml)")
    p.add_argument(
        "--email", action="store_true", help="also mail them as the digest (GEOMON_SMTP_HOST …)"
    )
    auth_cli.login_options(p)
    p.set_defaults(func=cmd_alerts)


__all__ = ["USAGE", "add_alerts", "cmd_alerts"]
