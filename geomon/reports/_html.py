"""HTML helpers shared by the report writers: escaping of data and user text."""

from __future__ import annotations

import html

import pandas as pd


def escape(value: object) -> str:
    """Escape any value for HTML text or attributes; missing values become an em dash."""
    if value is None or (not isinstance(value, str) and pd.isna(value)):
        return "—"
    return html.escape(str(value), quote=True)
