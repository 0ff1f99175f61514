"""Opening an HTML report from disk in the session's headless Chromium, for the browser tests."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path


@dataclass
class OfflinePage:
    """A report opened from disk in headless Chromium, with what it requested and what failed."""

    page: object
    requests: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)

    @property
    def fetched_outside(self) -> list[str]:
        """Requests to anything but the file itself and inline data."""
        return [u for u in self.requests if not u.startswith(("file:", "data:", "about:"))]

    def svg_sizes(self) -> list[list[float]]:
        """Width and height of every SVG (charts, maps) as drawn."""
        return self.page.eval_on_selector_all(  # type: ignore[attr-defined]
            "svg",
            "els => els.map(e => [e.getBoundingClientRect().width, "
            "e.getBoundingClientRect().height])",
        )


@contextmanager
def open_offline(chromium, path: Path, *, height: int) -> Iterator[OfflinePage]:
    """Open `path` in the session's Chromium (tests/conftest.py), recording requests and errors."""
    page = chromium.new_page(viewport={"width": 1200, "height": height})
    seen = OfflinePage(page)
    page.on("request", lambda r: seen.requests.append(r.url))
    page.on("console", lambda m: seen.errors.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: seen.errors.append(str(e)))
    try:
        page.goto(path.as_uri())
        yield seen
    finally:
        page.close()
