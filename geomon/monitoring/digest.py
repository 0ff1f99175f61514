"""The daily alert digest (预警日报) by e-mail through the bureau's intranet SMTP server.

`digest_message` writes the open alerts of one day as a plain-text mail (Chinese first, one line
per alert, most severe first, each with its rule); `send_digest` hands it to the server named in
`geomon.config.Settings` (``GEOMON_SMTP_HOST`` …; STARTTLS and a login when set). Plain text on
purpose: alert names and notes are data, and a text mail cannot run or link anything.
"""

from __future__ import annotations

import smtplib
import ssl
from collections import Counter
from collections.abc import Sequence
from email.message import EmailMessage
from email.utils import formatdate, make_msgid
from typing import Any

from geomon.config import Settings
from geomon.errors import DigestError
from geomon.messages import message
from geomon.monitoring.alerts import SEVERITIES, Alert

SEVERITY_WORDS = {"high": "高", "medium": "中", "low": "低"}
_KIND_WORDS = {
    "exceedance": "超标",
    "persistent_exceedance": "持续超标",
    "data_gap": "数据缺失",
    "trend_worsening": "水质变差",
    "deadline_near": "整治时限临近",
    "overdue": "逾期未整治",
}


def digest_text(alerts: Sequence[Alert], as_of: str, *, link: str | None = None) -> str:
    """The digest's body: counts by severity, then one block per alert."""
    counts = Counter(a.severity for a in alerts)
    summary = "，".join(f"{SEVERITY_WORDS[s]} {counts.get(s, 0)} 条" for s in SEVERITIES)
    lines = [
        f"geomon 预警日报 {as_of}（未确认预警 {len(alerts)} 条：{summary}）",
        f"geomon alert digest {as_of}: {len(alerts)} open alerts",
        "",
    ]
    if not alerts:
        lines.append("今日无未确认预警。/ No open alerts today.")
    for i, a in enumerate(alerts, start=1):
        what = f"{a.name or a.feature_id}（{a.feature_id}）"
        lines += [
            f"{i}. [{SEVERITY_WORDS[a.severity]}] {_KIND_WORDS.get(a.kind, a.kind)} {what}",
            f"   {a.message}",
            f"   依据 rule: {a.rule}",
            f"   编号 id: {a.id}",
        ]
    if link:
        lines += ["", f"在 geomon 中查看与确认 / view and acknowledge: {link}"]
    return "\n".join(lines) + "\n"


def digest_message(
    alerts: Sequence[Alert], as_of: str, settings: Settings, *, link: str | None = None
) -> EmailMessage:
    """The digest as a mail from ``settings.digest_from`` to ``settings.digest_to``."""
    if not settings.digest_to:
        msg = message(
            "未设置预警日报收件人（GEOMON_DIGEST_TO）", "no digest recipients (GEOMON_DIGEST_TO)"
        )
        raise DigestError(msg)
    high = sum(a.severity == "high" for a in alerts)
    mail = EmailMessage()
    mail["Subject"] = f"geomon 预警日报 {as_of}：{len(alerts)} 条（高 {high} 条）"
    mail["From"] = settings.digest_from
    mail["To"] = ", ".join(settings.digest_to)
    mail["Date"] = formatdate(localtime=False)
    mail["Message-ID"] = make_msgid(domain="geomon")
    mail.set_content(digest_text(alerts, as_of, link=link), charset="utf-8")
    return mail


def send_digest(
    alerts: Sequence[Alert], as_of: str, settings: Settings, *, link: str | None = None
) -> dict[str, Any]:
    """Send the digest through ``settings.smtp_host``; return ``{"to", "alerts", "subject"}``.

    Raises `DigestError` naming the server when none is set or it refuses the mail.
    """
    if not settings.smtp_host:
        msg = message("未设置邮件服务器（GEOMON_SMTP_HOST）", "no mail server (GEOMON_SMTP_HOST)")
        raise DigestError(msg)
    mail = digest_message(alerts, as_of, settings, link=link)
    where = f"{settings.smtp_host}:{settings.smtp_port}"
    try:
        with smtplib.SMTP(settings.smtp_host, settings.smtp_port, timeout=30) as server:
            if settings.smtp_starttls:
                server.starttls(context=ssl.create_default_context())
            if settings.smtp_user:
                server.login(settings.smtp_user, settings.smtp_password or "")
            server.send_message(mail)
    except (OSError, smtplib.SMTPException) as exc:
        msg = message(
            f"预警日报无法通过 {where} 发送：{exc}",
            f"cannot send the digest through {where}: {exc}",
        )
        raise DigestError(msg) from exc
    return {"to": list(settings.digest_to), "alerts": len(alerts), "subject": mail["Subject"]}
