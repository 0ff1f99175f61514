"""Layer specs: the project's specs load, and broken specs fail with the file and key."""

from __future__ import annotations

from pathlib import Path

import pytest

from geomon import specs
from geomon.errors import LayerSpecError, UnknownFieldError

REQUIRED_LAYERS = {
    "outlets": "Point",
    "sections": "Point",
    "rivers": "LineString",
    "protection_zones": "Polygon",
    "red_lines": "Polygon",
    "control_units": "Polygon",
    "districts": "Polygon",
    "projects": "Any",
}


def test_project_specs_cover_every_layer_the_foundation_needs() -> None:
    loaded = specs.load_specs()
    for name, geometry_type in REQUIRED_LAYERS.items():
        assert loaded[name].geometry_type == geometry_type
        assert loaded[name].id_field in loaded[name].field_names
        assert loaded[name].title.zh and loaded[name].title.en


@pytest.mark.parametrize(
    "field",
    [
        "code",
        "local_code",
        "name",
        "type_l1",
        "type_l2",
        "type_l3",
        "receiving_water",
        "receiving_water_code",
        "discharge_mode",
        "district",
        "district_code",
        "responsible_unit",
        "category",
        "stage",
        "deadline",
        "completed_date",
        "sign_installed",
    ],
)
def test_outlets_carry_the_ledger_fields(field: str) -> None:
    assert field in specs.get_spec("outlets").field_names


def test_outlet_vocabularies_follow_domain() -> None:
    outlets = specs.get_spec("outlets")
    assert [v.value for v in outlets.field("category").values] == [
        "取缔",
        "合并",
        "规范",
        "无需整治",
    ]
    stage = outlets.field("stage")
    assert stage.ordered
    assert stage.values[0].value == "已排查"
    assert stage.values[-1].value == "已销号"
    assert [v.value for v in outlets.field("type_l1").values] == [
        "工业排污口",
        "城镇污水处理厂排污口",
        "农业排口",
        "其他排口",
    ]


@pytest.mark.parametrize(
    ("layer", "field", "raw", "expected"),
    [
        pytest.param("protection_zones", "level", "一级保护区", "一级", id="zone-alias"),
        pytest.param("protection_zones", "level", "准", "准保护区", id="zone-short"),
        pytest.param("sections", "target_class", "Ⅲ类", "III", id="roman-class"),
        pytest.param("sections", "target_class", "3", "III", id="digit-class"),
        pytest.param("sections", "control_level", "国考", "国控", id="national"),
        pytest.param("control_units", "unit_type", "重点管控", "重点管控单元", id="unit"),
        pytest.param("outlets", "category", "清理合并", "合并", id="merge"),
        pytest.param("outlets", "category", "关停", None, id="unknown"),
    ],
)
def test_enum_aliases_map_to_canonical_values(
    layer: str, field: str, raw: str, expected: str | None
) -> None:
    assert specs.get_spec(layer).field(field).canonical(raw) == expected


def test_style_colours_name_real_enum_values() -> None:
    for spec in specs.load_specs().values():
        if spec.style.color_by and spec.field(spec.style.color_by).type == "enum":
            allowed = {v.value for v in spec.field(spec.style.color_by).values}
            assert set(spec.style.colors) <= allowed


GOOD = """
name = "{name}"
geometry_type = "Point"
id_field = "code"
[fields.code]
type = "str"
"""


@pytest.mark.parametrize(
    ("text", "match"),
    [
        pytest.param(
            'name = "bad"\ngeometry_type = "Point"\n',
            r"bad.toml: missing key 'fields'",
            id="no-fields",
        ),
        pytest.param(
            'name = "bad"\ngeometry_type = "Point"\n[fields.code]\ntype = "str"\n',
            r"bad.toml: missing key 'id_field'",
            id="no-id",
        ),
        pytest.param(
            GOOD.format(name="bad").replace('"Point"', '"Blob"'),
            r"geometry_type must be one of",
            id="bad-geometry-type",
        ),
        pytest.param(
            GOOD.format(name="bad").replace('"str"', '"text"'),
            r"fields.code.type: expected one of",
            id="bad-field-type",
        ),
        pytest.param(
            GOOD.format(name="bad") + '[fields.x]\ntype = "enum"\n',
            r"fields.x.values: an enum field needs",
            id="enum-without-values",
        ),
        pytest.param(
            GOOD.format(name="bad") + 'popup_fields = ["nope"]\n',
            r"unknown key",
            id="key-after-table",
        ),
        pytest.param(
            GOOD.format(name="bad").replace('id_field = "code"', 'id_field = "id"'),
            r"id_field 'id' is not a field",
            id="id-not-a-field",
        ),
        pytest.param(
            GOOD.format(name="other"),
            r"name 'other' must match the file name 'bad'",
            id="name-mismatch",
        ),
        pytest.param("name = ", r"not valid TOML", id="broken-toml"),
        pytest.param(
            GOOD.format(name="bad").replace("[fields", '[style]\ncolor_by = "x"\n[fields'),
            r"style.color_by: no field 'x'",
            id="style-unknown-field",
        ),
        pytest.param(
            GOOD.format(name="bad").replace("[fields", 'draw_order = "top"\n[fields'),
            r"bad.toml: draw_order must be a whole number",
            id="draw-order-not-a-number",
        ),
        pytest.param(
            GOOD.format(name="bad")
            .replace('"Point"', '"None"')
            .replace("[fields", "draw_order = 5\n[fields"),
            r"draw_order must be a whole number, on a layer with geometry",
            id="draw-order-without-geometry",
        ),
        pytest.param(
            GOOD.format(name="bad") + '[fields.district_code]\ntype = "str"\n',
            r"fields.district_code: Shapefile name 'district_code' is not 1–10 ASCII",
            id="long-name-without-shp",
        ),
        pytest.param(
            GOOD.format(name="bad")
            + '[fields.district_code]\ntype = "str"\nshp = "dist_code"\n'
            + '[fields.distance_code]\ntype = "str"\nshp = "DIST_CODE"\n',
            r"fields.district_code: Shapefile name 'dist_code' is also 'distance_code'",
            id="shp-names-repeat",
        ),
        pytest.param(
            GOOD.format(name="bad") + '[fields.source_code]\ntype = "str"\nshp = "code"\n',
            r"fields.code: Shapefile name 'code' is also 'source_code'",
            id="shp-name-is-another-field",
        ),
        pytest.param(
            GOOD.format(name="bad") + '[fields.x]\ntype = "str"\nshp = "排污口"\n',
            r"fields.x: Shapefile name '排污口' is not 1–10 ASCII",
            id="shp-name-not-ascii",
        ),
        pytest.param(
            GOOD.format(name="bad") + '[fields.x]\ntype = "str"\nrefers = "district"\n',
            r"fields.x.refers: expected one of \['layer'\], got 'district'",
            id="refers-unknown",
        ),
    ],
)
def test_broken_spec_names_file_and_key(tmp_path: Path, text: str, match: str) -> None:
    path = tmp_path / "bad.toml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(LayerSpecError, match=match):
        specs.load_spec(path)


def test_map_order_stacks_the_layers_bottom_to_top() -> None:
    # areas under lines under points; a project sits above the water it may affect
    assert specs.map_order() == (
        "districts",
        "control_units",
        "red_lines",
        "protection_zones",
        "lakes",
        "rivers",
        "projects",
        "sections",
        "outlets",
        "inspections",  # issue #20: inspections and problems on top of the features
        "problems",  # issue #20: problems sit on top of the features they concern
    )
    assert specs.get_spec("monitoring").draw_order is None  # no geometry: not on the map


def test_unknown_layer_lists_known_ones() -> None:
    with pytest.raises(LayerSpecError, match=r"unknown layer 'wells'.*outlets"):
        specs.get_spec("wells")


def test_unknown_field_names_the_layer() -> None:
    with pytest.raises(UnknownFieldError) as info:
        specs.get_spec("outlets").field("colour")
    assert isinstance(info.value, KeyError)  # `except KeyError` callers keep working
    assert info.value.args == ("layer 'outlets' has no field 'colour'",)


@pytest.mark.parametrize("name", specs.layer_names())
def test_every_field_has_a_stable_unique_dbf_name(name: str) -> None:
    spec = specs.get_spec(name)
    dbf = [f.shp_name for f in spec.fields]
    assert all(1 <= len(n) <= 10 and n.isascii() for n in dbf)
    assert len({n.casefold() for n in dbf}) == len(dbf)


def test_dbf_names_are_declared_and_read_back_as_headers() -> None:
    outlets = specs.get_spec("outlets")
    assert outlets.field("district_code").shp_name == "dist_code"  # layers/outlets.toml
    assert outlets.field("code").shp_name == "code"  # short names are their own DBF name
    assert "dist_code" in outlets.field("district_code").headers


def test_a_field_can_name_a_layer() -> None:
    assert specs.get_spec("problems").field("feature_layer").refers == "layer"
    assert specs.get_spec("problems").field("feature_id").refers is None
