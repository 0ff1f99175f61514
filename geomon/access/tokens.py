"""Short-lived signed tokens for the map's data routes (tiles and features by id).

The map page is drawn for one user, one set of filters and areas; the browser then fetches the
map's data from routes that know nothing of the page's session. A token carries what those
routes need (the claims: layers, filters, period, areas, language, expiry) and an HMAC-SHA256
signature made with the server's secret, so the routes are stateless: any app process sharing
the secret (`secret`) serves the same map, and a request whose token is missing, altered,
expired or for something else gets nothing.

Format: ``base64url(JSON claims) "." base64url(signature)``. Claims are compact JSON with sorted
keys, so the same claims always give the same token text (before the expiry changes it).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import os
import secrets
import time
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from geomon.errors import TokenError

_PROCESS_KEY = secrets.token_bytes(32)
TTL_S = 4 * 3600  # a map left open longer asks the page for a fresh token (see the component)
EXPIRY = "x"  # claim: expiry, Unix seconds


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def _signature(body: str, secret: bytes) -> str:
    return _b64(hmac.new(secret, body.encode("ascii"), hashlib.sha256).digest())


def sign(
    claims: Mapping[str, Any], secret: bytes, *, ttl_s: float = TTL_S, now: float | None = None
) -> str:
    """A token for `claims` valid for `ttl_s` seconds from `now` (default: the clock)."""
    payload = {**claims, EXPIRY: int((time.time() if now is None else now) + ttl_s)}
    body = _b64(json.dumps(payload, sort_keys=True, separators=(",", ":")).encode("utf-8"))
    return f"{body}.{_signature(body, secret)}"


def verify(token: str | None, secret: bytes, *, now: float | None = None) -> dict[str, Any]:
    """
    The claims of `token` if its signature is the server's and it has not expired.

    Raises
    ------
    TokenError
        ``missing``, ``malformed``, ``signature`` (altered or signed with another secret) or
        ``expired``.
    """
    if not token:
        raise TokenError("no token: reload the map page", "missing")
    body, dot, sig = token.partition(".")
    if not dot or not body or not sig:
        raise TokenError("malformed token", "malformed")
    if not hmac.compare_digest(sig, _signature(body, secret)):
        raise TokenError("token signature does not match", "signature")
    try:
        claims = json.loads(_unb64(body))
    except (ValueError, UnicodeDecodeError) as exc:
        raise TokenError("malformed token", "malformed") from exc
    if not isinstance(claims, dict) or not isinstance(claims.get(EXPIRY), int):
        raise TokenError("malformed token", "malformed")
    if claims[EXPIRY] <= (time.time() if now is None else now):
        raise TokenError("token expired: reload the map page", "expired")
    return claims


def secret(text: str | None, path: Path) -> bytes:
    """
    The signing secret: `text` (``GEOMON_SECRET``) when set, else the key in `path`, created
    with 32 random bytes (mode 0600) on first use. Every process serving one map must share it.
    """
    if text:
        return text.encode("utf-8")
    try:
        return bytes.fromhex(path.read_text(encoding="ascii").strip())
    except (OSError, ValueError):
        pass
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w", encoding="ascii") as out:
            out.write(secrets.token_bytes(32).hex())
        try:
            os.link(tmp, path)  # first writer wins if processes race; the others read its key
        except FileExistsError:
            pass
        finally:
            tmp.unlink(missing_ok=True)
        return bytes.fromhex(path.read_text(encoding="ascii").strip())
    except (OSError, ValueError):  # a read-only install: this process's own key (one process)
        return _PROCESS_KEY


def digest(value: Any) -> str:
    """A short stable hash of JSON-able `value` (filter keys in tile URLs, cache keys)."""
    text = json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:16]
