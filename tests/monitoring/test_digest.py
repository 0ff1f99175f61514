"""The daily alert digest, sent to a real SMTP server (aiosmtpd) the test starts on localhost."""

from __future__ import annotations

import dataclasses
import email
import email.policy
import socket
from collections.abc import Iterator
from pathlib import Path

import pytest
from aiosmtpd.controller import Controller

from geomon import cli, config
from geomon.config import DEMO_STORE
from geomon.errors import DigestError
from geomon.monitoring import alerts, digest
from geomon.store import open_store


class Inbox:
    """An aiosmtpd handler that keeps every mail it receives."""

    def __init__(self) -> None:
        self.mails: list[tuple[str, list[str], email.message.EmailMessage]] = []

    async def handle_DATA(self, server, session, envelope) -> str:  # noqa: N802 (aiosmtpd API)
        parsed = email.message_from_bytes(envelope.content, policy=email.policy.default)
        self.mails.append((envelope.mail_from, list(envelope.rcpt_tos), parsed))
        return "250 OK"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def smtp() -> Iterator[tuple[Inbox, int]]:
    inbox, port = Inbox(), _free_port()
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        yield inbox, port
    finally:
        controller.stop()


def test_digest_reaches_the_server_with_every_alert(smtp: tuple[Inbox, int]) -> None:
    inbox, port = smtp
    settings = config.from_env(
        {
            "GEOMON_SMTP_HOST": "127.0.0.1",
            "GEOMON_SMTP_PORT": str(port),
            "GEOMON_DIGEST_FROM": "geomon@hbj.example",
            "GEOMON_DIGEST_TO": "a@hbj.example, b@hbj.example",
        }
    )
    found = alerts.store_alerts(open_store(DEMO_STORE, must_exist=True), as_of="2023-06-30")
    sent = digest.send_digest(found, "2023-06-30", settings, link="https://gis.example/alerts")

    assert sent["to"] == ["a@hbj.example", "b@hbj.example"]
    ((sender, rcpts, mail),) = inbox.mails
    assert sender == "geomon@hbj.example"
    assert rcpts == ["a@hbj.example", "b@hbj.example"]
    assert mail["Subject"] == "geomon 预警日报 2023-06-30：16 条（高 7 条）"
    body = mail.get_content()
    assert body.splitlines()[0] == (
        "geomon 预警日报 2023-06-30（未确认预警 16 条：高 7 条，中 8 条，低 1 条）"
    )
    assert body.count("编号 id: ") == 16
    assert "编号 id: overdue/outlets/CJ9102429922NS0001/-/2023-04-01" in body
    assert "https://gis.example/alerts" in body


def test_cli_email_sends_the_open_alerts(
    smtp: tuple[Inbox, int], monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    inbox, port = smtp
    monkeypatch.setenv("GEOMON_SMTP_HOST", "127.0.0.1")
    monkeypatch.setenv("GEOMON_SMTP_PORT", str(port))
    monkeypatch.setenv("GEOMON_DIGEST_TO", "duty@hbj.example")
    code = cli.main(["alerts", "--store", str(DEMO_STORE), "--as-of", "2023-06-30", "--email"])
    assert code == 0
    assert "digest sent to duty@hbj.example" in capsys.readouterr().err
    ((_, rcpts, mail),) = inbox.mails
    assert rcpts == ["duty@hbj.example"]
    assert mail["From"] == "geomon@localhost"
    assert mail.get_content().count("编号 id: ") == 16


def test_a_refused_or_missing_server_is_an_error_naming_it(tmp_path: Path) -> None:
    port = _free_port()  # nothing listens there
    settings = config.Settings(smtp_host="127.0.0.1", smtp_port=port, digest_to=("a@b.c",))
    with pytest.raises(DigestError, match=rf"cannot send the digest through 127.0.0.1:{port}"):
        digest.send_digest([], "2023-06-30", settings)
    with pytest.raises(DigestError, match=r"GEOMON_SMTP_HOST"):
        digest.send_digest([], "2023-06-30", dataclasses.replace(settings, smtp_host=None))
    with pytest.raises(DigestError, match=r"GEOMON_DIGEST_TO"):
        digest.send_digest([], "2023-06-30", dataclasses.replace(settings, digest_to=()))


def test_the_password_never_shows_in_the_settings() -> None:
    settings = config.from_env({"GEOMON_SMTP_PASSWORD": "s3cret"})
    assert settings.smtp_password == "s3cret"
    assert "s3cret" not in repr(settings)
