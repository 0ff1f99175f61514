"""App fixtures: the app under AppTest, pointed at a store; a private copy of the demo store."""

from __future__ import annotations

import shutil
from collections.abc import Callable
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from geomon.config import DEMO_STORE

ENTRY = str(Path(__file__).parents[2] / "streamlit_app.py")


@pytest.fixture(scope="session")
def demo_store(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A copy of data/demo.gpkg shared by the read-only tests (the demo file is never opened)."""
    if not DEMO_STORE.is_file():
        pytest.skip("data/demo.gpkg is missing: run `geomon demo`")
    path = tmp_path_factory.mktemp("demo") / "demo.gpkg"
    shutil.copyfile(DEMO_STORE, path)
    return path


@pytest.fixture
def demo_copy(demo_store: Path, tmp_path: Path) -> Path:
    """A private copy of the demo store for a test that writes."""
    path = tmp_path / "demo.gpkg"
    shutil.copyfile(demo_store, path)
    return path


@pytest.fixture
def app(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Callable[..., AppTest]:
    """`app(store, page=None, **query)`: the app on `store`, at `page`, with URL parameters.

    Logins are off (no users file) unless the test sets ``GEOMON_USERS`` after this fixture.
    """
    monkeypatch.setenv("GEOMON_USERS", str(tmp_path / "no-users.toml"))
    monkeypatch.delenv("GEOMON_REQUIRE_LOGIN", raising=False)
    monkeypatch.delenv("GEOMON_LOGIN_REQUIRED_FOR_VIEW", raising=False)

    def make(store: Path, page: str | None = None, **query: str | list[str]) -> AppTest:
        monkeypatch.setenv("GEOMON_STORE", str(store))
        monkeypatch.delenv("GEOMON_LANG", raising=False)
        monkeypatch.delenv("GEOMON_BASEMAP", raising=False)
        monkeypatch.delenv("GEOMON_PUBLIC_URL", raising=False)
        at = AppTest.from_file(ENTRY, default_timeout=90)
        for key, value in query.items():
            at.query_params[key] = value
        if page is not None:
            at.switch_page(f"geomon/app/pages/{page}.py")
        return at

    return make


@pytest.fixture
def downloads(monkeypatch: pytest.MonkeyPatch):
    """Record the bytes of every download button (see `apphelp.Downloads`)."""
    from apphelp import Downloads
    from streamlit.runtime.memory_media_file_storage import MemoryMediaFileStorage

    spy = Downloads()
    real = MemoryMediaFileStorage.load_and_get_id

    def load_and_get_id(self, data, mimetype, kind, filename=None):
        return spy.record(real, self, data, mimetype, kind, filename)

    monkeypatch.setattr(MemoryMediaFileStorage, "load_and_get_id", load_and_get_id)
    return spy
