"""The `store` fixture: the small hand-made store of `suphelp.seed` on GeoPackage and PostGIS."""

from __future__ import annotations

from pathlib import Path

import pytest
from suphelp import seed

from geomon.store import Store, open_store


@pytest.fixture(params=["gpkg", pytest.param("postgis", marks=pytest.mark.postgis)])
def store(request: pytest.FixtureRequest, tmp_path: Path) -> Store:
    """The small store, as a new GeoPackage file or a new PostGIS database."""
    if request.param == "gpkg":
        yield seed(open_store(tmp_path / "s.gpkg"))
        return
    opened = open_store(request.getfixturevalue("postgis_url"))
    yield seed(opened)
    opened.dispose()
