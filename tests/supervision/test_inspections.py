"""Inspections on both backends: position sources, photos, opening or stepping a problem."""

from __future__ import annotations

import pytest
from suphelp import jpeg
from test_evidence import exif_jpeg

from geomon.errors import ValidationError, WorkflowError
from geomon.store import Store
from geomon.supervision import evidence, inspections, problems

WHEN = "2023-07-20T09:15"  # Beijing time


def _photo() -> evidence.Evidence:
    return evidence.check_evidence("现场.jpg", exif_jpeg())  # EXIF at 114.3, 30.61


def test_the_device_position_wins_and_photos_are_kept(store: Store) -> None:
    got = inspections.record_inspection(
        store, inspector="王明", layer="outlets", feature_id="O2", findings="排口有污水",
        when=WHEN, lon=114.351, lat=30.651, photos=[_photo()], at="2023-07-20T02:00:00+00:00",
    )  # fmt: skip
    rec = got["inspection"]
    assert (rec["id"], rec["date"], rec["time"]) == ("XC20230720-001", "2023-07-20", "09时15分")
    assert (rec["lon"], rec["lat"], rec["position_source"]) == (114.351, 30.651, "定位")
    assert (rec["district"], rec["district_code"], rec["problems"]) == ("江岸区", "420102", None)
    files = store.files("inspections", "XC20230720-001")
    assert list(files["name"]) == ["现场.jpg"] and files["lat"].iloc[0] == pytest.approx(30.61)
    assert got["problems"] == []


def test_position_from_the_photo_then_from_the_feature(store: Store) -> None:
    first = inspections.record_inspection(
        store, inspector="王明", layer="outlets", feature_id="O2", when=WHEN, photos=[_photo()]
    )["inspection"]
    assert (first["lon"], first["lat"], first["position_source"]) == (114.3, 30.61, "照片")
    second = inspections.record_inspection(
        store, inspector="王明", layer="sections", feature_id="S1", when="2023-07-20T16:40",
        photos=[evidence.check_evidence("x.jpg", jpeg())],
    )["inspection"]  # fmt: skip
    assert second["id"] == "XC20230720-002"
    assert (second["lon"], second["lat"], second["position_source"]) == (114.3, 30.62, "要素位置")
    assert second["district"] == "江岸区"  # from the district polygon: S1 has no code


def test_an_inspection_opens_a_problem_in_the_same_write(store: Store) -> None:
    got = inspections.record_inspection(
        store, inspector="王明", layer="outlets", feature_id="O2", findings="晴天排污",
        when=WHEN, photos=[_photo()],
        open_problem={"title": "晴天排污", "unit": "江岸区水务局", "deadline": "2023-08-31"},
    )  # fmt: skip
    made = got["problems"][0]
    assert (made["id"], made["source"], made["reporter"]) == ("P2023-001", "巡查", "王明")
    assert (made["found_date"], made["description"], made["lon"]) == (
        "2023-07-20",
        "晴天排污",
        114.3,
    )
    assert got["inspection"]["problems"] == "P2023-001"
    assert len(store.files("problems", "P2023-001")) == 1
    assert (
        store.history("inspections")["revision"].iloc[0]
        == store.history("problems")["revision"].iloc[0]
    )


def test_a_bad_new_problem_writes_no_inspection(store: Store) -> None:
    with pytest.raises(ValidationError):
        inspections.record_inspection(
            store, inspector="王明", layer="outlets", feature_id="O2", when=WHEN,
            photos=[_photo()],
            open_problem={"title": "t", "unit": "u", "deadline": "2023-08-31", "source": "路过"},
        )  # fmt: skip
    assert not {"inspections", "problems"} & set(store.layer_names())


def test_an_inspection_reports_a_problem_done_with_its_photos(store: Store) -> None:
    pid = problems.add_problem(
        store, layer="outlets", feature_id="O2", title="t", source="巡查", unit="u",
        deadline="2023-08-31", user="alice", at="2023-07-01",
    )["id"]  # fmt: skip
    with pytest.raises(WorkflowError, match="does not allow 待整改 → 已销号"):
        inspections.record_inspection(
            store, inspector="王明", layer="outlets", feature_id="O2", when=WHEN,
            update={"id": pid, "status": "已销号", "note": "x"},
        )  # fmt: skip
    assert "inspections" not in store.layer_names()
    got = inspections.record_inspection(
        store, inspector="王明", layer="outlets", feature_id="O2", when=WHEN, photos=[_photo()],
        update={"id": pid, "status": "待核查", "note": "已整改"}, at="2023-07-20T02:00:00+00:00",
    )  # fmt: skip
    done = got["problems"][0]
    assert (done["status"], done["done_by"], done["note"]) == (
        "待核查",
        "王明",
        "已整改（巡查 XC20230720-001）",
    )
    assert list(store.files("problems", pid)["name"]) == ["现场.jpg"]


def test_a_half_position_is_refused(store: Store) -> None:
    with pytest.raises(WorkflowError, match="both lon and lat"):
        inspections.record_inspection(
            store, inspector="王明", layer="outlets", feature_id="O2", lon=114.3
        )
