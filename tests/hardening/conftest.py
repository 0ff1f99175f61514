"""Fixtures for the hardening tests: the hostile-input corpus and a seeded store.

The corpus is tests/data/bad/: committed text files plus the archives, spreadsheets and big
files `make_corpus.make` writes into a session temporary directory (never committed).
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from hardhelp import BAD, make_corpus, seed

from geomon.store import open_store


@pytest.fixture(scope="session")
def corpus_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Every corpus file in one folder: the committed ones copied, the others generated."""
    out = tmp_path_factory.mktemp("bad")
    for path in BAD.iterdir():
        if path.is_file() and path.suffix not in (".py", ".toml", ".md"):
            shutil.copyfile(path, out / path.name)
    make_corpus.make(out)
    return out


@pytest.fixture(scope="session")
def store_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A seeded GeoPackage to copy (seeding once keeps the corpus fast)."""
    return seed(tmp_path_factory.mktemp("seed") / "template.gpkg")


@pytest.fixture
def seeded_gpkg(store_template: Path, tmp_path: Path) -> Path:
    """A fresh copy of the seeded GeoPackage."""
    path = tmp_path / "store.gpkg"
    shutil.copyfile(store_template, path)
    return path


@pytest.fixture(params=["gpkg", pytest.param("postgis", marks=pytest.mark.postgis)])
def empty_store(request: pytest.FixtureRequest, tmp_path: Path):
    """An empty store on each backend: a new GeoPackage, or a new PostGIS database."""
    if request.param == "gpkg":
        yield open_store(tmp_path / "s.gpkg")
        return
    opened = open_store(request.getfixturevalue("postgis_url"))
    yield opened
    opened.dispose()
