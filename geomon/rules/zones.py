"""What each protection level forbids: the siting rule table and the red line's allowed activities.

The table is data in ``zones.toml`` beside this module (one row per situation: layer, zone level
or unit type, relation, conditions on the project, verdict, reasons in Chinese and English and
the legal citation); this module only loads, checks and applies it. Sources (shared/DOMAIN.md):

- drinking-water source protection zones: 水污染防治法 第六十四–六十七条 (§3.1; 第六十七条 is
  [M], from memory, and says so in its citation);
- ecological red lines and the 10 allowed limited human activities: 自然资发〔2022〕142号 (§4.1;
  items 8–10 are [M]). Provinces differ, so the list is data: load another file with
  `load_rules`;
- 三线一单 environmental control units: the unit's 生态环境准入清单 (§4.2).

Verdicts, mildest first, are `VERDICTS`; a project's verdict is the worst of its conflicts'
(`worst`).
"""

from __future__ import annotations

import functools
import string
import tomllib
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

import numpy as np
import pandas as pd

from geomon.errors import LayerSpecError
from geomon.specs import Label, get_spec, layer_names

Verdict = Literal["clear", "attention", "restricted", "prohibited"]
Relation = Literal["inside", "overlaps", "near"]

VERDICTS: tuple[str, ...] = ("clear", "attention", "restricted", "prohibited")
VERDICT_LABELS: dict[str, Label] = {
    "clear": Label("无冲突", "clear"),
    "attention": Label("需关注", "attention"),
    "restricted": Label("限制", "restricted"),
    "prohibited": Label("禁止", "prohibited"),
}
RELATIONS: tuple[str, ...] = ("inside", "overlaps", "near")
RELATION_LABELS: dict[str, Label] = {
    "inside": Label("位于其内", "inside"),
    "overlaps": Label("部分重叠", "overlaps"),
    "near": Label("邻近", "near"),
}
RULES_FILE = Path(__file__).with_name("zones.toml")
ANY_LAYER = "*"
NO_RULE = "unmatched"  # rule id given to a conflict no row matches (never happens with the
# default table: its fallback rows cover every relation)

# Placeholders a reason or citation may use (filled per conflict by `apply_rules`).
PLACEHOLDERS = frozenset(
    {"item", "item_zh", "item_en", "item_mark", "distance_m", "buffer_m", "level", "name",
     "admission", "layer", "layer_title"}
)  # fmt: skip
_RULE_KEYS = frozenset(
    {"id", "layer", "relation", "level", "feature", "discharges", "kinds", "activities",
     "allowed_activity", "verdict", "zh", "en", "citation"}
)  # fmt: skip


@dataclass(frozen=True, slots=True)
class AllowedActivity:
    """One limited human activity allowed inside an ecological red line (142号)."""

    item: int
    label: Label
    mark: Literal["V", "M"]  # DOMAIN.md: verified in a source, or from memory
    kinds: tuple[str, ...]  # project kinds (layers/projects.toml) that fall under this item
    activities: tuple[str, ...]  # project activity texts that fall under this item


@dataclass(frozen=True, slots=True)
class ZoneRule:
    """One row of the rule table; ``None`` conditions match anything."""

    id: str
    layer: str
    relations: tuple[str, ...]
    verdict: Verdict
    reason: Label
    citation: str
    levels: tuple[str, ...] | None = None
    feature: tuple[tuple[str, Any], ...] = ()
    discharges: bool | None = None
    kinds: tuple[str, ...] | None = None
    activities: tuple[str, ...] | None = None
    allowed_activity: bool | None = None


@dataclass(frozen=True, slots=True)
class ZoneRules:
    """The siting rule table and the red line's allowed activities, as loaded from TOML."""

    version: str
    rules: tuple[ZoneRule, ...]
    allowed_activities: tuple[AllowedActivity, ...]
    allowed_activities_citation: str
    unknown_discharges_as: bool
    no_near_layers: frozenset[str]
    admission_fields: tuple[tuple[str, str], ...] = ()
    layer_order: tuple[str, ...] = ()  # how conflicts and reports order layers (TOML order)
    source: Path | None = None

    def searches_near(self, layer: str) -> bool:
        """Whether features of `layer` that are only within the buffer are reported."""
        return layer not in self.no_near_layers

    def admission_field(self, layer: str) -> str | None:
        """The field of `layer` whose text reasons quote as ``{admission}`` (准入清单), if any."""
        return dict(self.admission_fields).get(layer)

    def feature_fields(self, layer: str) -> tuple[str, ...]:
        """Feature attributes the rules for `layer` look at (e.g. ``core_zone``)."""
        names = {f for r in self.rules if r.layer in (layer, ANY_LAYER) for f, _ in r.feature}
        return tuple(sorted(names))

    def allowed_item(self, kind: object, activity: object) -> AllowedActivity | None:
        """Return the first allowed activity a project of `kind` doing `activity` falls under."""
        for item in self.allowed_activities:
            if (isinstance(kind, str) and kind in item.kinds) or (
                isinstance(activity, str) and activity.strip() in item.activities
            ):
                return item
        return None


def severity(verdict: str) -> int:
    """Rank of `verdict` in `VERDICTS` (0 = clear … 3 = prohibited)."""
    return VERDICTS.index(verdict)


def worst(verdicts: Iterable[str]) -> str:
    """Return the most severe of `verdicts`; ``"clear"`` when there are none."""
    return max(verdicts, key=severity, default="clear")


# ------------------------------------------------------------------------------ loading


def _strings(raw: Any, where: str) -> tuple[str, ...]:
    if isinstance(raw, list) and all(isinstance(x, str) for x in raw):
        return tuple(raw)
    msg = f"{where}: expected a list of strings, got {raw!r}"
    raise LayerSpecError(msg)


def _check_template(text: str, where: str) -> str:
    names = {f for _, f, _, _ in string.Formatter().parse(text) if f is not None}
    if unknown := names - PLACEHOLDERS:
        msg = f"{where}: unknown placeholder(s) {sorted(unknown)}; allowed: {sorted(PLACEHOLDERS)}"
        raise LayerSpecError(msg)
    return text


def _activity(raw: dict[str, Any], where: str, kinds: set[str]) -> AllowedActivity:
    mark = raw.get("mark")
    if mark not in ("V", "M"):
        msg = f"{where}.mark: expected 'V' (verified) or 'M' (from memory), got {mark!r}"
        raise LayerSpecError(msg)
    item_kinds = _strings(raw.get("kinds", []), f"{where}.kinds")
    if bad := set(item_kinds) - kinds:
        msg = f"{where}.kinds: {sorted(bad)} are not project kinds (layers/projects.toml)"
        raise LayerSpecError(msg)
    return AllowedActivity(
        item=int(raw["item"]),
        label=Label(str(raw["zh"]), str(raw.get("en", raw["zh"]))),
        mark=mark,
        kinds=item_kinds,
        activities=tuple(a.strip() for a in _strings(raw.get("activities", []), where)),
    )


def _rule(raw: dict[str, Any], where: str, kinds: set[str]) -> ZoneRule:
    if unknown := set(raw) - _RULE_KEYS:
        msg = f"{where}: unknown key(s) {sorted(unknown)}"
        raise LayerSpecError(msg)
    if missing := {"id", "layer", "relation", "verdict", "zh", "en", "citation"} - set(raw):
        msg = f"{where}: missing key(s) {sorted(missing)}"
        raise LayerSpecError(msg)
    where = f"{where} ({raw['id']})"
    layer, verdict = raw["layer"], raw["verdict"]
    if verdict not in VERDICTS:
        msg = f"{where}.verdict: expected one of {list(VERDICTS)}, got {verdict!r}"
        raise LayerSpecError(msg)
    relations = _strings(raw["relation"], f"{where}.relation")
    if bad := set(relations) - set(RELATIONS):
        msg = f"{where}.relation: {sorted(bad)} not in {list(RELATIONS)}"
        raise LayerSpecError(msg)
    if layer != ANY_LAYER and layer not in layer_names():
        msg = f"{where}.layer: unknown layer {layer!r}"
        raise LayerSpecError(msg)
    levels = None
    if "level" in raw:
        spec = get_spec(layer) if layer != ANY_LAYER else None
        if spec is None or spec.level_field is None:
            msg = f"{where}.level: layer {layer!r} has no level_field"
            raise LayerSpecError(msg)
        levels = _strings(raw["level"], f"{where}.level")
        allowed = {v.value for v in spec.field(spec.level_field).values}
        if bad := set(levels) - allowed:
            msg = f"{where}.level: {sorted(bad)} are not values of {layer}.{spec.level_field}"
            raise LayerSpecError(msg)
    feature = raw.get("feature", {})
    if feature and layer != ANY_LAYER and (bad := set(feature) - set(get_spec(layer).field_names)):
        msg = f"{where}.feature: layer {layer!r} has no field(s) {sorted(bad)}"
        raise LayerSpecError(msg)
    rule_kinds = _strings(raw["kinds"], f"{where}.kinds") if "kinds" in raw else None
    if rule_kinds and (bad := set(rule_kinds) - kinds):
        msg = f"{where}.kinds: {sorted(bad)} are not project kinds (layers/projects.toml)"
        raise LayerSpecError(msg)
    return ZoneRule(
        id=str(raw["id"]),
        layer=layer,
        relations=relations,
        verdict=verdict,
        reason=Label(
            _check_template(str(raw["zh"]), f"{where}.zh"),
            _check_template(str(raw["en"]), f"{where}.en"),
        ),
        citation=_check_template(str(raw["citation"]), f"{where}.citation"),
        levels=levels,
        feature=tuple(sorted(feature.items())),
        discharges=raw.get("discharges"),
        kinds=rule_kinds,
        activities=_strings(raw["activities"], where) if "activities" in raw else None,
        allowed_activity=raw.get("allowed_activity"),
    )


def parse_rules(raw: Mapping[str, Any], *, source: Path | None = None) -> ZoneRules:
    """Build `ZoneRules` from a parsed TOML table; raise `LayerSpecError` naming the bad key."""
    where = str(source or "<zones rules>")
    kinds = {v.value for v in get_spec("projects").field("kind").values}
    rules = tuple(_rule(r, f"{where}: rules[{i}]", kinds) for i, r in enumerate(raw["rules"]))
    ids = [r.id for r in rules]
    if len(set(ids)) != len(ids):
        msg = f"{where}: duplicate rule ids in {ids}"
        raise LayerSpecError(msg)
    activities = tuple(
        _activity(a, f"{where}: allowed_activities[{i}]", kinds)
        for i, a in enumerate(raw.get("allowed_activities", []))
    )
    layers = raw.get("layers", {})
    admission = {}
    for name, settings in layers.items():
        if name not in layer_names():
            msg = f"{where}: layers.{name}: unknown layer"
            raise LayerSpecError(msg)
        if (fld := settings.get("admission_field")) is not None:
            if fld not in get_spec(name).field_names:
                msg = f"{where}: layers.{name}.admission_field: no field {fld!r} in that layer"
                raise LayerSpecError(msg)
            admission[name] = str(fld)
    return ZoneRules(
        version=str(raw.get("version", "")),
        rules=rules,
        allowed_activities=activities,
        allowed_activities_citation=str(raw.get("allowed_activities_citation", "")),
        unknown_discharges_as=bool(raw.get("unknown_discharges_as", True)),
        no_near_layers=frozenset(k for k, v in layers.items() if not v.get("near", True)),
        admission_fields=tuple(sorted(admission.items())),
        layer_order=tuple(layers),
        source=source,
    )


@functools.cache
def _load(path: Path) -> ZoneRules:
    try:
        with path.open("rb") as fh:
            raw = tomllib.load(fh)
    except (OSError, tomllib.TOMLDecodeError) as exc:
        msg = f"{path}: cannot read siting rules: {exc}"
        raise LayerSpecError(msg) from exc
    return parse_rules(raw, source=path)


def load_rules(path: str | Path | None = None) -> ZoneRules:
    """
    Load the siting rule table (default: ``zones.toml`` beside this module).

    Pass a province's own copy to change the allowed-activity list or the verdicts; every row is
    checked against the layer specs (layers, levels, project kinds, placeholders).
    """
    return _load(Path(path).resolve() if path is not None else RULES_FILE)


# ------------------------------------------------------------------------------ applying


def allowed_items(kind: pd.Series, activity: pd.Series, rules: ZoneRules) -> pd.Series:
    """
    Number of the allowed red-line activity each project falls under, or <NA>.

    Vectorised over projects; the first item (in table order) whose kinds or activities match
    wins. Indexed like `kind`, named ``"allowed_item"``.
    """
    out = pd.Series(pd.NA, index=kind.index, dtype="Int64", name="allowed_item")
    activity = activity.astype("string").str.strip()
    for item in reversed(rules.allowed_activities):  # reversed: earlier items overwrite later
        hit = (kind.isin(item.kinds) | activity.isin(item.activities)).fillna(False)
        out[hit.to_numpy(dtype=bool)] = item.item
    return out


def _mask(rule: ZoneRule, conflicts: pd.DataFrame, discharges: pd.Series) -> np.ndarray:
    m = np.array(conflicts["relation"].isin(rule.relations), dtype=bool)  # writable copy
    if rule.layer != ANY_LAYER:
        m &= (conflicts["layer"] == rule.layer).to_numpy(dtype=bool)
    if rule.levels is not None:
        m &= conflicts["level"].isin(rule.levels).to_numpy(dtype=bool)
    for fld, value in rule.feature:
        col = conflicts.get(f"feature.{fld}")
        m &= (col == value).fillna(False).to_numpy(dtype=bool) if col is not None else False
    if rule.discharges is not None:
        m &= (discharges == rule.discharges).to_numpy(dtype=bool)
    if rule.kinds is not None:
        m &= conflicts["kind"].isin(rule.kinds).to_numpy(dtype=bool)
    if rule.activities is not None:
        act = conflicts["activity"].astype("string").str.strip()
        m &= act.isin(rule.activities).fillna(False).to_numpy(dtype=bool)
    if rule.allowed_activity is not None:
        m &= conflicts["allowed_item"].notna().to_numpy(dtype=bool) == rule.allowed_activity
    return m


def _text(value: object, default: str = "") -> str:
    return default if value is None or pd.isna(value) or str(value) == "" else str(value)


def _metres(value: object) -> str:
    return "" if value is None or pd.isna(value) else f"{float(value):,.0f}"  # type: ignore[arg-type]


def apply_rules(
    conflicts: pd.DataFrame, rules: ZoneRules | None = None, *, buffer_m: float = 500.0
) -> pd.DataFrame:
    """
    Give every conflict its verdict, rule, citation and reasons: the first matching row wins.

    Parameters
    ----------
    conflicts
        One row per project × feature with columns ``layer``, ``level``, ``relation``,
        ``discharges_wastewater`` (boolean, may be <NA>), ``kind``, ``activity``, ``name``,
        ``distance_m``, and ``feature.<field>`` for every field in `ZoneRules.feature_fields`;
        optional ``admission`` and ``layer_title``.
    rules
        The rule table (default: `load_rules()`).
    buffer_m
        The buffer distance, for reasons that quote it.

    Returns
    -------
    pandas.DataFrame
        Indexed like `conflicts`: ``verdict``, ``rule_id``, ``citation``, ``reason_zh``,
        ``reason_en``, ``allowed_item``.
    """
    rules = rules or load_rules()
    frame = conflicts.copy()
    frame["allowed_item"] = allowed_items(frame["kind"], frame["activity"], rules)
    discharges = (
        frame["discharges_wastewater"].astype("boolean").fillna(rules.unknown_discharges_as)
    )
    chosen = np.full(len(frame), -1)
    for i, rule in enumerate(rules.rules):
        chosen[(chosen < 0) & _mask(rule, frame, discharges)] = i
    items = {a.item: a for a in rules.allowed_activities}
    rows = [  # string formatting only, no geometry
        _reason(rules.rules[k] if k >= 0 else None, c, items, buffer_m)
        for k, c in zip(chosen.tolist(), frame.to_dict("records"), strict=True)
    ]
    out = pd.DataFrame(
        rows,
        index=frame.index,
        columns=["verdict", "rule_id", "citation", "reason_zh", "reason_en"],
    )
    out["allowed_item"] = frame["allowed_item"]
    return out


def _missing(value: object) -> bool:
    return value is None or value is pd.NA or (isinstance(value, float) and value != value)


def _row_matches(rule: ZoneRule, c: Mapping[str, Any], discharges: bool, item: object) -> bool:
    """`_mask` for one conflict record (the same conditions, read the same way)."""
    if c["relation"] not in rule.relations:
        return False
    if rule.layer != ANY_LAYER and c["layer"] != rule.layer:
        return False
    if rule.levels is not None:
        level = c.get("level")
        if _missing(level) or level not in rule.levels:
            return False
    for fld, value in rule.feature:
        have = c.get(f"feature.{fld}", None)
        if _missing(have) or not bool(have == value):
            return False
    if rule.discharges is not None and discharges != rule.discharges:
        return False
    if rule.kinds is not None:
        kind = c.get("kind")
        if _missing(kind) or kind not in rule.kinds:
            return False
    if rule.activities is not None:
        activity = c.get("activity")
        if _missing(activity) or str(activity).strip() not in rule.activities:
            return False
    return rule.allowed_activity is None or (item is not None) == rule.allowed_activity


def apply_rules_to_records(
    conflicts: Sequence[Mapping[str, Any]],
    rules: ZoneRules | None = None,
    *,
    buffer_m: float = 500.0,
) -> list[tuple[str, str, str, str, str, int | None]]:
    """
    `apply_rules` for a few conflicts given as plain records: the same verdicts, rules and texts.

    Each record holds the keys `apply_rules` reads from its frame's columns; the result is one
    ``(verdict, rule_id, citation, reason_zh, reason_en, allowed_item)`` per record (the item
    None when the project falls under none). For a one-project check this is a loop over a
    handful of records where `apply_rules` pays a few pandas operations per rule row.
    """
    rules = rules or load_rules()
    items = {a.item: a for a in rules.allowed_activities}
    out = []
    for c in conflicts:
        kind, activity = c.get("kind"), c.get("activity")
        allowed = rules.allowed_item(
            None if _missing(kind) else kind, None if _missing(activity) else str(activity)
        )
        number = allowed.item if allowed is not None else None
        raw = c.get("discharges_wastewater")
        discharges = rules.unknown_discharges_as if _missing(raw) else bool(raw)
        rule = next((r for r in rules.rules if _row_matches(r, c, discharges, number)), None)
        record = {**c, "allowed_item": pd.NA if number is None else number}
        out.append((*_reason(rule, record, items, buffer_m), number))
    return out


def _reason(
    rule: ZoneRule | None,
    c: Mapping[str, Any],
    items: dict[int, AllowedActivity],
    buffer_m: float,
) -> tuple[str, str, str, str, str]:
    if rule is None:
        return (
            "attention",
            NO_RULE,
            "",
            f"没有适用的规则（图层 {c['layer']}），请人工核对",
            f"no rule matches (layer {c['layer']}); check by hand",
        )
    item = items.get(int(c["allowed_item"])) if pd.notna(c["allowed_item"]) else None
    level = c.get("level")
    level_zh = "" if level is None or pd.isna(level) else str(level)
    level_en = level_zh
    if level_zh and c.get("layer") in layer_names():
        spec = get_spec(str(c["layer"]))
        if spec.level_field:
            level_en = spec.field(spec.level_field).value_label(level_zh, "en")
    common = {
        "item": str(item.item) if item else "",
        "item_zh": item.label.zh if item else "",
        "item_en": item.label.en if item else "",
        "distance_m": _metres(c.get("distance_m")),
        "buffer_m": _metres(buffer_m),
        "name": _text(c.get("name")),
        "admission": _text(c.get("admission"), "—"),
        "layer": str(c["layer"]),
        "layer_title": _text(c.get("layer_title"), str(c["layer"])),
    }
    marked = item is not None and item.mark == "M"
    zh = {**common, "level": level_zh, "item_mark": "（待核实）" if marked else ""}
    en = {**common, "level": level_en, "item_mark": " (to be confirmed)" if marked else ""}
    return (
        rule.verdict,
        rule.id,
        rule.citation.format_map(zh),
        rule.reason.zh.format_map(zh),
        rule.reason.en.format_map(en),
    )
