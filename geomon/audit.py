"""The operator's log: who imported, edited or logged in, what, and when (``GEOMON_LOG_FILE``).

One line per event, appended to the file `config.Settings.log_file` names::

    2026-12-06T10:31:02+0800 import user="shazhou" layer="outlets" file="台账.xlsx" rows=12 ...

Values are JSON (a name with a space or a line break stays on its one line). The file is opened
through `logging.handlers.WatchedFileHandler`, so ``logrotate`` may move it away (without
``copytruncate``) and the next event starts a new file. Without ``GEOMON_LOG_FILE`` nothing is
written. A log file that cannot be opened is reported once on stderr and never stops an import,
an edit or a login.
"""

from __future__ import annotations

import json
import logging
import logging.handlers
import re
import sys
from typing import Any

from geomon import config

LOGGER = "geomon.audit"
FORMAT = "%(asctime)s %(message)s"
DATE_FORMAT = "%Y-%m-%dT%H:%M:%S%z"
_opened: dict[str, logging.Handler | None] = {}  # log file → its handler (None: cannot open)


def _handler(path: str) -> logging.Handler | None:
    if path not in _opened:
        try:
            handler: logging.Handler | None = logging.handlers.WatchedFileHandler(
                path, encoding="utf-8"
            )
        except OSError as exc:
            print(f"geomon: cannot open the log file {path!r}: {exc}", file=sys.stderr)
            handler = None
        else:
            handler.setFormatter(logging.Formatter(FORMAT, DATE_FORMAT))
        _opened[path] = handler
    return _opened[path]


def store_text(url: object) -> str:
    """A store URL without its password (``postgresql://***@host/db``)."""
    return re.sub(r"//[^@/]*@", "//***@", str(url))


def line(event: str, **details: Any) -> str:
    """The text of one event: its name, then ``key=value`` with JSON values."""
    parts = [event] + [
        f"{k}={json.dumps(v, ensure_ascii=False, default=str)}" for k, v in details.items()
    ]
    return " ".join(parts)


def record(event: str, *, settings: config.Settings | None = None, **details: Any) -> None:
    """Append one event (``import``, ``edit``, ``login``, ``login_failed``…) to the log file."""
    settings = settings or config.from_env()
    if not settings.log_file:
        return
    handler = _handler(settings.log_file)
    if handler is None:
        return
    item = logging.LogRecord(LOGGER, logging.INFO, __file__, 0, line(event, **details), None, None)
    try:
        handler.handle(item)
    except OSError:  # a full disk must not undo the import it logs
        handler.handleError(item)
