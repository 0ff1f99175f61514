"""Failed-login lock-out per user name, with exponential back-off (`LoginLimiter`).

Used by `geomon.access.auth.authenticate`; `auth.default_limiter` keeps its state next to the
users file so every app session and the command line share it.
"""

from __future__ import annotations

import contextlib
import json
import os
import time
from collections.abc import Callable
from pathlib import Path

from geomon.errors import LoginError
from geomon.messages import message


class LoginLimiter:
    """
    Failed-login counter per user name, with exponential lock-out.

    After `max_failures` failures in a row a name is locked for `lock_seconds`, doubled with each
    further failure up to `max_lock_seconds`; a successful login resets it. With `state_file`
    the counters live in that JSON file (shared by processes, kept across restarts); without,
    in memory. `clock` returns seconds (inject a fake one in tests).
    """

    def __init__(
        self,
        state_file: str | Path | None = None,
        *,
        clock: Callable[[], float] = time.time,
        max_failures: int = 5,
        lock_seconds: float = 30.0,
        max_lock_seconds: float = 900.0,
    ) -> None:
        self.state_file = Path(state_file) if state_file is not None else None
        self.clock = clock
        self.max_failures = max_failures
        self.lock_seconds = lock_seconds
        self.max_lock_seconds = max_lock_seconds
        self._memory: dict[str, dict[str, float]] = {}

    def _load(self) -> dict[str, dict[str, float]]:
        if self.state_file is None:
            return self._memory
        try:
            data = json.loads(self.state_file.read_text("utf-8"))
        except (OSError, ValueError):
            return {}
        return data if isinstance(data, dict) else {}

    def _save(self, state: dict[str, dict[str, float]]) -> None:
        if self.state_file is None:
            self._memory = state
            return
        tmp = self.state_file.with_name(f".{self.state_file.name}.{os.getpid()}.tmp")
        with contextlib.suppress(OSError):  # a read-only folder must not break logins
            tmp.write_text(json.dumps(state), "utf-8")
            tmp.replace(self.state_file)

    def retry_after(self, name: str) -> float:
        """Seconds until `name` may try again (0 if not locked)."""
        entry = self._load().get(name, {})
        return max(0.0, float(entry.get("locked_until", 0.0)) - self.clock())

    def check(self, name: str) -> None:
        """Raise `LoginError` (``locked``) if `name` is locked out."""
        wait = self.retry_after(name)
        if wait > 0:
            msg = message(
                f"登录失败次数过多，请 {wait:.0f} 秒后再试",
                f"too many failed logins for {name!r}; try again in {wait:.0f} s",
            )
            raise LoginError(msg, code="locked", retry_after=wait)

    def failed(self, name: str) -> float:
        """Count a failure; return the lock-out it starts (0 if none)."""
        state = self._load()
        entry = state.setdefault(name, {"failures": 0, "locked_until": 0.0})
        entry["failures"] = int(entry.get("failures", 0)) + 1
        over = entry["failures"] - self.max_failures
        lock = 0.0
        if over >= 0:
            lock = min(self.lock_seconds * 2**over, self.max_lock_seconds)
            entry["locked_until"] = self.clock() + lock
        self._save(state)
        return lock

    def succeeded(self, name: str) -> None:
        """Reset the counter of `name`."""
        state = self._load()
        if state.pop(name, None) is not None:
            self._save(state)
