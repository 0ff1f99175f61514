"""Plain SQLite access to a GeoPackage for the tables that are not layers (readings, rollup)."""

from __future__ import annotations

import contextlib
import sqlite3
from collections.abc import Iterator
from pathlib import Path


@contextlib.contextmanager
def connect(path: Path, *, write: bool) -> Iterator[sqlite3.Connection]:
    """A connection to the GeoPackage at `path` (read-only unless `write`), in autocommit mode:
    callers open their own transaction."""
    uri = f"{path.resolve().as_uri()}?mode={'rw' if write else 'ro'}"
    conn = sqlite3.connect(uri, uri=True, isolation_level=None)
    try:
        yield conn
    finally:
        conn.close()


def exists(conn: sqlite3.Connection, table: str) -> bool:
    """Whether `table` exists."""
    found = conn.execute("SELECT 1 FROM sqlite_master WHERE type='table' AND name=?", (table,))
    return found.fetchone() is not None
