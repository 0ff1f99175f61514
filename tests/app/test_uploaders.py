"""Every file uploader in the app offers exactly the suffixes `geomon.io.read` reads."""

from __future__ import annotations

from pathlib import Path

import pytest
from apphelp import no_exception

from geomon.io import READABLE_SUFFIXES


@pytest.mark.parametrize(
    ("page", "radio", "uploader"),
    [
        pytest.param("data", None, "data.file", id="data-import"),
        pytest.param("siting", ("siting.source", "upload"), "siting.file", id="siting"),
        pytest.param("reports", ("reports.projects", "upload"), "reports.file", id="recheck"),
    ],
)
def test_uploader_types_are_the_readers(
    app, demo_store: Path, page: str, radio: tuple[str, str] | None, uploader: str
) -> None:
    at = app(demo_store, page).run()
    if radio is not None:
        at.radio(key=radio[0]).set_value(radio[1]).run()

    no_exception(at)
    assert at.file_uploader(key=uploader).allowed_type == [
        ".geojson", ".json", ".gpkg", ".zip", ".shp", ".kml", ".kmz",
        ".csv", ".txt", ".xlsx", ".xlsm",
    ]  # fmt: skip
    assert tuple(at.file_uploader(key=uploader).allowed_type) == READABLE_SUFFIXES
