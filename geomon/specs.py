"""Layer specs: parse ``layers/*.toml`` into frozen, typed descriptions of each layer.

A spec says what a layer *is*: its id field, title, geometry type, fields (type, required, enum
values with Chinese labels, units, column-header aliases), which fields are filterable and shown
in popups, how a ledger gives its coordinates, how to draw it and where it sits in the map's
stack (``draw_order``, `map_order`). Code interprets specs; it never
hard-codes layer knowledge. A broken spec raises `LayerSpecError` naming the file and key.
"""

from __future__ import annotations

import functools
import re
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from geomon.errors import LayerSpecError, UnknownFieldError

GeometryType = Literal["Point", "LineString", "Polygon", "Any", "None"]
FieldType = Literal["str", "int", "float", "bool", "date", "enum"]

GEOMETRY_TYPES: tuple[str, ...] = ("Point", "LineString", "Polygon", "Any", "None")
FIELD_TYPES: tuple[str, ...] = ("str", "int", "float", "bool", "date", "enum")
LAYERS_DIR = Path(__file__).resolve().parent.parent / "layers"


@dataclass(frozen=True, slots=True)
class Label:
    """A text in Chinese (shown first) and English."""

    zh: str
    en: str

    def get(self, lang: str = "zh") -> str:
        """Return the text in `lang` (``"zh"`` or ``"en"``), falling back to Chinese."""
        return self.en if lang == "en" and self.en else self.zh


@dataclass(frozen=True, slots=True)
class EnumValue:
    """One allowed value of an enum field: the canonical value as stored, labels, aliases."""

    value: str
    label: Label
    aliases: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class FieldSpec:
    """One attribute of a layer."""

    name: str
    type: FieldType
    label: Label
    required: bool = False
    aliases: tuple[str, ...] = ()
    values: tuple[EnumValue, ...] = ()
    ordered: bool = False
    unit: str | None = None
    pattern: str | None = None
    minimum: float | None = None
    maximum: float | None = None
    shp: str | None = None  # the Shapefile (DBF) field name, when the name is longer than 10
    refers: str | None = None  # "layer": the value names a layer, shown by its title (popups)

    @property
    def shp_name(self) -> str:
        """The field's name in a Shapefile's DBF (at most 10 characters): ``shp``, else the name."""
        return self.shp or self.name

    @property
    def headers(self) -> tuple[str, ...]:
        """Every column header that means this field: name, labels, DBF name, aliases."""
        return (self.name, self.label.zh, self.label.en, self.shp_name, *self.aliases)

    def canonical(self, raw: str) -> str | None:
        """Return the canonical enum value for `raw` (value, label or alias), or None."""
        text = str(raw).strip()
        for v in self.values:
            if text in (v.value, v.label.zh, v.label.en, *v.aliases):
                return v.value
        return None

    def value_label(self, value: Any, lang: str = "zh") -> str:
        """Return the display label of an enum value (the value itself if unknown)."""
        for v in self.values:
            if v.value == value:
                return v.label.get(lang)
        return "" if value is None else str(value)


@dataclass(frozen=True, slots=True)
class StyleSpec:
    """How a layer is drawn: colour by a field's value, with a fallback colour."""

    color_by: str | None = None
    colors: dict[str, str] = field(default_factory=dict)
    default_color: str = "#3388ff"
    radius: float = 5.0
    weight: float = 2.0
    fill_opacity: float = 0.35
    dash_array: str | None = None
    shape: str = "circle"  # how points are drawn: "circle" or "diamond" (sections vs outlets)
    min_zoom: int = 0  # the tile map shows the layer from this zoom (dense layers: zoomed in)


SHAPES = ("circle", "diamond")


@dataclass(frozen=True, slots=True)
class CoordinateColumns:
    """Column headers a ledger may use for coordinates (first match wins)."""

    lon: tuple[str, ...] = ()
    lat: tuple[str, ...] = ()
    x: tuple[str, ...] = ()  # Gauss–Krüger X = northing, as Chinese surveyors write it
    y: tuple[str, ...] = ()  # Gauss–Krüger Y = easting (may carry the zone prefix)
    lon_dms: tuple[tuple[str, ...], tuple[str, ...], tuple[str, ...]] = ((), (), ())
    lat_dms: tuple[tuple[str, ...], tuple[str, ...], tuple[str, ...]] = ((), (), ())
    wkt: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class LayerSpec:
    """What a layer is: its geometry, id, fields, filters, popup and style."""

    name: str
    title: Label
    geometry_type: GeometryType
    id_field: str | None
    fields: tuple[FieldSpec, ...]
    name_field: str | None = None
    filter_fields: tuple[str, ...] = ()
    popup_fields: tuple[str, ...] = ()
    search_fields: tuple[str, ...] = ()
    style: StyleSpec = field(default_factory=StyleSpec)
    coordinates: CoordinateColumns = field(default_factory=CoordinateColumns)
    constraint: bool = False
    level_field: str | None = None
    key: tuple[str, ...] = ()
    checks: tuple[str, ...] = ()  # named rule checks `geomon.validate` runs (see CHECKS there)
    draw_order: int | None = None  # map stacking, higher on top; None: above the ordered ones
    source: Path | None = None

    @property
    def field_names(self) -> tuple[str, ...]:
        """Names of all fields, in spec order."""
        return tuple(f.name for f in self.fields)

    @property
    def required_fields(self) -> tuple[str, ...]:
        """Names of the fields every feature must fill."""
        return tuple(f.name for f in self.fields if f.required)

    @property
    def key_fields(self) -> tuple[str, ...]:
        """Fields that identify a row for upserts: ``key`` if given, else the id field."""
        if self.key:
            return self.key
        return (self.id_field,) if self.id_field else ()

    @property
    def is_spatial(self) -> bool:
        """Whether features of this layer carry a geometry."""
        return self.geometry_type != "None"

    def level_label(self, value: Any, lang: str = "zh") -> Any:
        """A feature's level or type (二级, 优先保护单元 …) by its label in `lang`: the label of
        the first enum field holding `value`; anything else as it is."""
        if not isinstance(value, str) or not value:
            return value
        for f in self.fields:
            if f.type == "enum" and any(v.value == value for v in f.values):
                return f.value_label(value, lang)
        return value

    def field(self, name: str) -> FieldSpec:
        """Return the field called `name`; raise `UnknownFieldError` (a `KeyError`) otherwise."""
        for f in self.fields:
            if f.name == name:
                return f
        msg = f"layer {self.name!r} has no field {name!r}"
        raise UnknownFieldError(msg)


# --------------------------------------------------------------------------------------------
# parsing


def _label(raw: Any, where: str, default: str | None = None) -> Label:
    if raw is None and default is not None:
        return Label(default, default)
    if isinstance(raw, str):
        return Label(raw, raw)
    if isinstance(raw, dict) and "zh" in raw:
        return Label(str(raw["zh"]), str(raw.get("en", raw["zh"])))
    msg = f"{where}: expected a label {{zh = ..., en = ...}}, got {raw!r}"
    raise LayerSpecError(msg)


def _strings(raw: Any, where: str) -> tuple[str, ...]:
    if raw is None:
        return ()
    if isinstance(raw, str):
        return (raw,)
    if isinstance(raw, list) and all(isinstance(x, str) for x in raw):
        return tuple(raw)
    msg = f"{where}: expected a list of strings, got {raw!r}"
    raise LayerSpecError(msg)


def _enum_values(raw: Any, where: str) -> tuple[EnumValue, ...]:
    if not isinstance(raw, list) or not raw:
        msg = f"{where}: an enum field needs a non-empty list `values`"
        raise LayerSpecError(msg)
    out = []
    for i, item in enumerate(raw):
        here = f"{where}[{i}]"
        if isinstance(item, str):
            out.append(EnumValue(item, Label(item, item)))
        elif isinstance(item, dict) and "value" in item:
            value = str(item["value"])
            zh = str(item.get("zh", value))
            out.append(
                EnumValue(
                    value,
                    Label(zh, str(item.get("en", zh))),
                    _strings(item.get("aliases"), f"{here}.aliases"),
                )
            )
        else:
            msg = f"{here}: expected a string or {{value = ..., en = ...}}, got {item!r}"
            raise LayerSpecError(msg)
    values = [v.value for v in out]
    if len(set(values)) != len(values):
        msg = f"{where}: duplicate enum values in {values}"
        raise LayerSpecError(msg)
    return tuple(out)


_FIELD_KEYS = ("type", "label", "required", "aliases", "values", "ordered", "unit", "pattern")
_FIELD_KEYS += ("min", "max", "shp", "refers")
_REFERS = ("layer",)  # what a field's value may name (``refers = "layer"``)
_DBF_NAME = re.compile(r"[A-Za-z][A-Za-z0-9_]{0,9}")  # what every DBF reader keeps as written


def _check_shp_names(fields: dict[str, FieldSpec], where: str) -> None:
    """Each field's DBF name is valid (≤ 10 ASCII characters) and means no other field."""
    owners: dict[str, set[str]] = {}  # header (casefolded) → the fields it means
    for f in fields.values():
        for header in f.headers:
            owners.setdefault(header.casefold(), set()).add(f.name)
    for f in fields.values():
        if not _DBF_NAME.fullmatch(f.shp_name):
            msg = (
                f"{where}: fields.{f.name}: Shapefile name {f.shp_name!r} is not 1–10 ASCII "
                'letters, digits or _ (declare one with `shp = "..."`)'
            )
            raise LayerSpecError(msg)
        others = sorted(owners[f.shp_name.casefold()] - {f.name})
        if others:
            msg = f"{where}: fields.{f.name}: Shapefile name {f.shp_name!r} is also {others[0]!r}'s"
            raise LayerSpecError(msg)


def _field(name: str, raw: Any, where: str) -> FieldSpec:
    if not isinstance(raw, dict):
        msg = f"{where}: expected a table, got {raw!r}"
        raise LayerSpecError(msg)
    unknown = set(raw) - set(_FIELD_KEYS)
    if unknown:
        msg = f"{where}: unknown key(s) {sorted(unknown)}"
        raise LayerSpecError(msg)
    ftype = raw.get("type")
    if ftype not in FIELD_TYPES:
        msg = f"{where}.type: expected one of {list(FIELD_TYPES)}, got {ftype!r}"
        raise LayerSpecError(msg)
    values = _enum_values(raw.get("values"), f"{where}.values") if ftype == "enum" else ()
    refers = raw.get("refers")
    if refers is not None and refers not in _REFERS:
        msg = f"{where}.refers: expected one of {list(_REFERS)}, got {refers!r}"
        raise LayerSpecError(msg)
    return FieldSpec(
        name=name,
        type=ftype,
        label=_label(raw.get("label"), f"{where}.label", default=name),
        required=bool(raw.get("required", False)),
        aliases=_strings(raw.get("aliases"), f"{where}.aliases"),
        values=values,
        ordered=bool(raw.get("ordered", False)),
        unit=raw.get("unit"),
        pattern=raw.get("pattern"),
        minimum=raw.get("min"),
        maximum=raw.get("max"),
        shp=raw.get("shp"),
        refers=refers,
    )


def _style(raw: Any, fields: dict[str, FieldSpec], where: str) -> StyleSpec:
    if raw is None:
        return StyleSpec()
    color_by = raw.get("color_by")
    if color_by is not None and color_by not in fields:
        msg = f"{where}.color_by: no field {color_by!r} in this layer"
        raise LayerSpecError(msg)
    colors = {str(k): str(v) for k, v in raw.get("colors", {}).items()}
    if color_by is not None and fields[color_by].type == "enum":
        allowed = {v.value for v in fields[color_by].values}
        extra = set(colors) - allowed
        if extra:
            msg = f"{where}.colors: {sorted(extra)} are not values of field {color_by!r}"
            raise LayerSpecError(msg)
    shape = str(raw.get("shape", "circle"))
    min_zoom = raw.get("min_zoom", 0)
    if shape not in SHAPES or type(min_zoom) is not int or not 0 <= min_zoom <= 18:
        msg = f"{where}: shape must be one of {SHAPES} and min_zoom a whole number 0–18"
        raise LayerSpecError(msg)
    return StyleSpec(
        color_by=color_by,
        colors=colors,
        default_color=str(raw.get("default_color", "#3388ff")),
        radius=float(raw.get("radius", 5.0)),
        weight=float(raw.get("weight", 2.0)),
        fill_opacity=float(raw.get("fill_opacity", 0.35)),
        dash_array=raw.get("dash_array"),
        shape=shape,
        min_zoom=min_zoom,
    )


def _coordinates(raw: Any, where: str) -> CoordinateColumns:
    if raw is None:
        return CoordinateColumns()

    def dms(key: str) -> tuple[tuple[str, ...], tuple[str, ...], tuple[str, ...]]:
        part = raw.get(key, {})
        return (
            _strings(part.get("d"), f"{where}.{key}.d"),
            _strings(part.get("m"), f"{where}.{key}.m"),
            _strings(part.get("s"), f"{where}.{key}.s"),
        )

    return CoordinateColumns(
        lon=_strings(raw.get("lon"), f"{where}.lon"),
        lat=_strings(raw.get("lat"), f"{where}.lat"),
        x=_strings(raw.get("x"), f"{where}.x"),
        y=_strings(raw.get("y"), f"{where}.y"),
        lon_dms=dms("lon_dms"),
        lat_dms=dms("lat_dms"),
        wkt=_strings(raw.get("wkt"), f"{where}.wkt"),
    )


_LAYER_KEYS = ("name", "title", "geometry_type", "id_field", "name_field", "fields")
_LAYER_KEYS += ("filter_fields", "popup_fields", "search_fields", "style", "coordinates")
_LAYER_KEYS += ("constraint", "level_field", "key", "checks", "draw_order")


def parse_spec(raw: dict[str, Any], *, source: Path | None = None) -> LayerSpec:
    """Build a `LayerSpec` from a parsed TOML table; raise `LayerSpecError` on any problem."""
    where = str(source) if source else "<spec>"
    try:
        name = raw["name"]
        geometry_type = raw["geometry_type"]
        raw_fields = raw["fields"]
    except KeyError as exc:
        msg = f"{where}: missing key {exc.args[0]!r}"
        raise LayerSpecError(msg) from exc
    if geometry_type not in GEOMETRY_TYPES:
        msg = f"{where}: geometry_type must be one of {list(GEOMETRY_TYPES)}, got {geometry_type!r}"
        raise LayerSpecError(msg)
    if not isinstance(raw_fields, dict) or not raw_fields:
        msg = f"{where}: [fields] must define at least one field"
        raise LayerSpecError(msg)
    fields = {k: _field(k, v, f"{where}: fields.{k}") for k, v in raw_fields.items()}
    if "geometry" in fields:
        msg = f"{where}: 'geometry' is reserved and cannot be a field name"
        raise LayerSpecError(msg)
    _check_shp_names(fields, where)
    id_field = raw.get("id_field")
    if geometry_type != "None" and id_field is None:
        msg = f"{where}: missing key 'id_field'"
        raise LayerSpecError(msg)
    key_fields = _strings(raw.get("key"), f"{where}: key")
    bad_key = [k for k in key_fields if k not in fields]
    if bad_key:
        msg = f"{where}: key names unknown field(s) {bad_key}"
        raise LayerSpecError(msg)
    for key in ("id_field", "name_field", "level_field"):
        ref = raw.get(key)
        if ref is not None and ref not in fields:
            msg = f"{where}: {key} {ref!r} is not a field of this layer"
            raise LayerSpecError(msg)
    lists = {}
    for key in ("filter_fields", "popup_fields", "search_fields"):
        names = _strings(raw.get(key), f"{where}: {key}")
        missing = [n for n in names if n not in fields]
        if missing:
            msg = f"{where}: {key} names unknown field(s) {missing}"
            raise LayerSpecError(msg)
        lists[key] = names
    unknown = set(raw) - set(_LAYER_KEYS)
    if unknown:
        msg = f"{where}: unknown key(s) {sorted(unknown)}"
        raise LayerSpecError(msg)
    draw_order = raw.get("draw_order")
    if draw_order is not None and (type(draw_order) is not int or geometry_type == "None"):
        msg = f"{where}: draw_order must be a whole number, on a layer with geometry"
        raise LayerSpecError(msg)
    return LayerSpec(
        name=str(name),
        title=_label(raw.get("title"), f"{where}: title", default=str(name)),
        geometry_type=geometry_type,
        id_field=id_field,
        fields=tuple(fields.values()),
        name_field=raw.get("name_field"),
        filter_fields=lists["filter_fields"],
        popup_fields=lists["popup_fields"],
        search_fields=lists["search_fields"],
        style=_style(raw.get("style"), fields, f"{where}: style"),
        coordinates=_coordinates(raw.get("coordinates"), f"{where}: coordinates"),
        constraint=bool(raw.get("constraint", False)),
        level_field=raw.get("level_field"),
        key=key_fields,
        checks=_strings(raw.get("checks"), f"{where}: checks"),
        draw_order=draw_order,
        source=source,
    )


def load_spec(path: Path) -> LayerSpec:
    """Read one layer spec; raise `LayerSpecError` naming the file and key on any problem."""
    try:
        with Path(path).open("rb") as fh:
            raw = tomllib.load(fh)
    except tomllib.TOMLDecodeError as exc:
        msg = f"{path}: not valid TOML: {exc}"
        raise LayerSpecError(msg) from exc
    except OSError as exc:
        msg = f"{path}: cannot read layer spec: {exc}"
        raise LayerSpecError(msg) from exc
    spec = parse_spec(raw, source=Path(path))
    if spec.name != Path(path).stem:
        msg = f"{path}: name {spec.name!r} must match the file name {Path(path).stem!r}"
        raise LayerSpecError(msg)
    return spec


def load_specs(directory: Path | None = None) -> dict[str, LayerSpec]:
    """Load every ``*.toml`` in `directory` (default: the project's ``layers/``), keyed by name."""
    directory = Path(directory) if directory is not None else LAYERS_DIR
    paths = sorted(directory.glob("*.toml"))
    if not paths:
        msg = f"{directory}: no layer specs (*.toml) found"
        raise LayerSpecError(msg)
    return {spec.name: spec for spec in map(load_spec, paths)}


@functools.cache
def _default_specs() -> dict[str, LayerSpec]:
    return load_specs(LAYERS_DIR)


def get_spec(layer: str | LayerSpec) -> LayerSpec:
    """Return the spec for `layer` (a name from ``layers/`` or a spec, passed through)."""
    if isinstance(layer, LayerSpec):
        return layer
    specs = _default_specs()
    if layer not in specs:
        msg = f"unknown layer {layer!r}; known layers: {', '.join(sorted(specs))}"
        raise LayerSpecError(msg)
    return specs[layer]


def layer_names() -> tuple[str, ...]:
    """Names of the project's layers, sorted."""
    return tuple(sorted(_default_specs()))


def map_order() -> tuple[str, ...]:
    """The project's layers with a ``draw_order``, bottom to top as the map stacks them."""
    ordered = [s for s in _default_specs().values() if s.draw_order is not None]
    return tuple(s.name for s in sorted(ordered, key=lambda s: (s.draw_order, s.name)))
