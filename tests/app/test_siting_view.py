"""`siting_view.result_layers`: the stored features a check's map shows are the ones it found."""

from __future__ import annotations

from pathlib import Path

from geomon import siting
from geomon.app.present import siting_view
from geomon.store import open_store
from tests.siting.test_siting import WAREHOUSE, projects, sq, zones


def test_map_shows_the_conflicting_features_of_a_store_check(tmp_path: Path) -> None:
    """Z1 lies 5 km away and is stored first; Z2 overlaps the project. The check reads only Z2
    near the project, so its row there (0) is Z1's row in the whole layer: matched by id, the
    map shows Z2."""
    store = open_store(tmp_path / "s.gpkg")
    store.write({"protection_zones": zones(("二级", sq(5000, 5000, 6000, 6000)),
                                           ("一级", sq(500, 0, 1500, 1000)))})  # fmt: skip
    project = projects((sq(0, 0, 1000, 1000), WAREHOUSE))
    result = siting.check(project, store)
    stored = {"protection_zones": store.read("protection_zones")}

    shown = siting_view.result_layers(result, project, stored)

    assert list(result.features["feature_id"]) == ["Z2"]
    assert list(shown["protection_zones"]["code"]) == ["Z2"]
    assert shown["projects"] is project
