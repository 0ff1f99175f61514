"""Signed map tokens (`geomon.access.tokens`): what they carry, and every way they are refused."""

from __future__ import annotations

import stat
from pathlib import Path

import pytest

from geomon.access import tokens
from geomon.errors import AccessDeniedError, TokenError

KEY = b"0123456789abcdef"
NOW = 1_780_000_000.0


def test_round_trip_carries_the_claims_and_expiry() -> None:
    token = tokens.sign({"a": ["420102"], "q": {"stage": ["整治中"]}}, KEY, ttl_s=60, now=NOW)
    claims = tokens.verify(token, KEY, now=NOW + 59)
    assert claims == {"a": ["420102"], "q": {"stage": ["整治中"]}, "x": int(NOW + 60)}


@pytest.mark.parametrize(
    ("token", "reason"),
    [
        (None, "missing"),
        ("", "missing"),
        ("nodot", "malformed"),
        (".sig", "malformed"),
    ],
)
def test_malformed(token: str | None, reason: str) -> None:
    with pytest.raises(TokenError) as err:
        tokens.verify(token, KEY, now=NOW)
    assert err.value.reason == reason
    assert isinstance(err.value, AccessDeniedError)  # the app and CLI catch one type


def test_expired_at_the_second_it_ends() -> None:
    token = tokens.sign({"a": ["*"]}, KEY, ttl_s=60, now=NOW)
    with pytest.raises(TokenError, match="expired"):
        tokens.verify(token, KEY, now=NOW + 60)


def test_altered_claims_or_another_secret_fail_the_signature() -> None:
    token = tokens.sign({"a": ["420102"]}, KEY, now=NOW)
    sig = token.split(".")[1]
    widened = tokens._b64(b'{"a":["*"],"x":1780014400}')
    for bad, key in ((f"{widened}.{sig}", KEY), (token, b"another key")):
        with pytest.raises(TokenError) as err:
            tokens.verify(bad, key, now=NOW)
        assert err.value.reason == "signature"


def test_secret_file_is_made_once_private_and_shared(tmp_path: Path) -> None:
    path = tmp_path / "config" / "map.key"
    first = tokens.secret(None, path)
    assert len(first) == 32
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert tokens.secret(None, path) == first  # a second process reads the same key
    assert tokens.secret("set by GEOMON_SECRET", path) == b"set by GEOMON_SECRET"


def test_digest_is_stable_and_order_free() -> None:
    assert tokens.digest({"b": 1, "a": [2]}) == tokens.digest({"a": [2], "b": 1})
    assert tokens.digest({"a": 1}) != tokens.digest({"a": 2})
    assert len(tokens.digest({"a": 1})) == 16


def test_an_unwritable_key_file_falls_back_to_this_processs_key(tmp_path: Path) -> None:
    blocker = tmp_path / "config"
    blocker.write_text("a file where the folder should be", encoding="utf-8")
    key = tokens.secret(None, blocker / "map.key")
    assert key == tokens.secret(None, blocker / "map.key")  # stable within the process
    assert len(key) == 32
