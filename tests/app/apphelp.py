"""Small assertions shared by the page tests."""

from __future__ import annotations

import hashlib
import re
from pathlib import Path

from streamlit.testing.v1 import AppTest


def sha256(path: Path) -> str:
    """Hash of a file: a store that was not written keeps it."""
    return hashlib.sha256(path.read_bytes()).hexdigest()


def metrics(at: AppTest) -> dict[str, str]:
    """Every metric on the page, label → value."""
    return {m.label: m.value for m in at.metric}


def shown(markdown: str) -> str:
    """What a reader sees of Markdown built with `geomon.app.i18n.md`: without the backslash
    escapes and the invisible word joiners, with plain line breaks (AppTest gives the source)."""
    text = re.sub(r"\\(.)", r"\1", markdown).replace("\u2060", "")
    return text.replace("  \n", "\n")


def open_tab(at: AppTest, key: str, label: str) -> AppTest:
    """Select the tab `label` of the lazy ``st.tabs`` keyed `key` (only the open tab runs) and
    rerun: what a click on that tab does in the browser."""
    at.session_state[key] = label
    return at.run()


def no_exception(at: AppTest) -> None:
    """Fail with the messages of any uncaught exception on the page."""
    assert not at.exception, [e.message for e in at.exception]


class Downloads:
    """Every file the page offered for download in this test, by file name (latest wins).

    A spy on Streamlit's in-memory media store: the page's own `st.download_button` runs
    unchanged, and the bytes it handed to Streamlit are recorded here.
    """

    def __init__(self) -> None:
        self.files: dict[str, bytes] = {}

    def record(self, real, storage, data, mimetype, kind, filename=None):
        if filename and isinstance(data, bytes):
            self.files[filename] = data
        return real(storage, data, mimetype, kind, filename)


def param(at: AppTest, key: str) -> list[str]:
    """The values of URL parameter `key` after the run (AppTest gives one value as a str)."""
    value = at.query_params.get(key)
    if value is None:
        return []
    return [value] if isinstance(value, str) else list(value)
