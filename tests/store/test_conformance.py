"""The store obeys its own specs (issue 17 item 8), on both backends.

A section without an assessment target (new or 市控 sections) is a real case: the spec allows it,
so the demo's sections export and import back. And no write or edit can store a row the spec
rejects: a new row without its required fields, a value outside an enum, a geometry of the wrong
kind; the store is left exactly as it was.
"""

from __future__ import annotations

from pathlib import Path

import geopandas as gpd
import pandas as pd
import pytest
from shapely import LineString, Point

from geomon import importer, validate
from geomon.config import DEMO_STORE
from geomon.errors import ValidationError
from geomon.io import export
from geomon.store import Edit, Store, open_store


def outlets(*codes: str) -> gpd.GeoDataFrame:
    frame = gpd.GeoDataFrame(
        {
            "code": list(codes),
            "name": [f"排污口{c}" for c in codes],
            "type_l1": "工业排污口",
            "receiving_water": "汉江",
            "district": "东城区",
            "district_code": "429005",
            "stage": "已排查",
        },
        geometry=[Point(112.8 + i / 100, 30.4) for i in range(len(codes))],
        crs=4326,
    )
    return validate.apply_dtypes(frame, "outlets")


def seen(store: Store) -> tuple[int, list[list[object]], int]:
    rows = store.read("outlets")[["code", "name", "stage"]].astype(object).to_numpy().tolist()
    return store.revision(), rows, len(store.history("outlets"))


def test_demo_section_without_target_exports_and_imports_back(store: Store, tmp_path: Path) -> None:
    sections = open_store(DEMO_STORE).read("sections")
    assert sections["target_class"].isna().sum() == 1  # JHMK02, a 市控 section without target
    path = tmp_path / "sections.geojson"
    path.write_bytes(export.export_bytes(sections, "sections", "geojson"))

    result = importer.import_file(path, "sections", store, user="t")

    assert result.report.valid, [i.message for i in result.report.errors]
    assert result.rows_written == len(sections) == 18
    back = store.read("sections").set_index("code")
    assert pd.isna(back.loc["JHMK02", "target_class"])


@pytest.mark.parametrize(
    ("change", "field", "code"),
    [
        ("new row without required fields", "name", "missing_value"),
        ("stage not in the enum", "stage", "bad_enum"),
        ("a line in a point layer", "geometry", "wrong_geometry_type"),
        ("bad district code", "district_code", "bad_format"),
    ],
)
def test_a_write_the_spec_rejects_is_refused_and_changes_nothing(
    store: Store, change: str, field: str, code: str
) -> None:
    store.write({"outlets": outlets("A1", "A2")}, user="t")
    before = seen(store)
    if change == "new row without required fields":
        bad = outlets("A1", "B7")[["code", "stage", "geometry"]]  # B7 is new: no name …
    else:
        bad = outlets("A1", "A2")
        if code == "bad_enum":
            bad.loc[1, "stage"] = "快好了"
        elif code == "bad_format":
            bad.loc[1, "district_code"] = "42900X"
        else:
            bad.loc[1, "geometry"] = LineString([(112.8, 30.4), (112.9, 30.5)])

    with pytest.raises(ValidationError, match="write refused, nothing written") as info:
        store.write({"outlets": bad}, mode="upsert", user="t")

    issue = info.value.report.errors[0]
    assert (issue.field, issue.code) == (field, code)
    assert ("B7" if change.startswith("new") else "A2") in issue.message
    assert seen(store) == before


def test_an_edit_that_blanks_a_required_field_is_refused(store: Store) -> None:
    store.write({"outlets": outlets("A1")}, user="t")
    before = seen(store)
    version = int(store.read("outlets", with_versions=True)["_version"].iloc[0])

    with pytest.raises(ValidationError):
        store.edit("outlets", [Edit(("A1",), {"name": ""}, version)], user="t")

    assert seen(store) == before
