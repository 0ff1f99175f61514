"""The `store` fixture: every backend-neutral store test runs on GeoPackage and on PostGIS."""

from __future__ import annotations

from pathlib import Path

import pytest

from geomon.store import Store, open_store


@pytest.fixture(params=["gpkg", pytest.param("postgis", marks=pytest.mark.postgis)])
def store(request: pytest.FixtureRequest, tmp_path: Path) -> Store:
    """An empty store: a new GeoPackage file, or a new PostGIS database (see tests/conftest.py)."""
    if request.param == "gpkg":
        yield open_store(tmp_path / "s.gpkg")
        return
    opened = open_store(request.getfixturevalue("postgis_url"))
    yield opened
    opened.dispose()
