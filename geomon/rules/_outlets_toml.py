"""Load ``outlets.toml``, the outlet rules table, as typed data (`OutletRules`).

Stages, categories, the type hierarchy, milestones and the code layout (`Segment`), checked
against the outlets layer spec on load.

Internal: the public names are re-exported by `geomon.rules.outlets`, which with
`geomon.rules.outlet_codes` interprets them.
"""

from __future__ import annotations

import datetime as dt
import functools
import tomllib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from types import MappingProxyType
from typing import Any

import pandas as pd

from geomon.errors import LayerSpecError
from geomon.specs import Label, get_spec

RULES_FILE = Path(__file__).with_name("outlets.toml")


@dataclass(frozen=True, slots=True)
class Segment:
    """One fixed-width segment of an outlet code."""

    name: str
    label: Label
    width: int
    chars: str  # regex character class for every character, e.g. "[0-9]"
    pattern: str | None = None  # optional regex the whole segment must match
    lookup: Mapping[str, str] | None = None  # allowed values → meaning
    field: str | None = None  # ledger column the segment must equal, e.g. "district_code"


@dataclass(frozen=True, slots=True)
class Milestone:
    """A national target: shares traced and rectified by a date."""

    label: Label
    date: dt.date
    traced_pct: float
    rectified_pct: float
    citation: str


@dataclass(frozen=True, slots=True)
class OutletRules:
    """Stage workflow, categories, types, milestones and the code layout from ``outlets.toml``."""

    stages: tuple[str, ...]
    traced_from: str
    rectified_from: str
    closed_from: str
    stage_citation: str
    categories: Mapping[str, str]  # category → meaning, in order
    category_citation: str
    types: Mapping[str, Mapping[str, tuple[str, ...]]]  # level 1 → level 2 → level 3
    type_citation: str
    milestones: tuple[Milestone, ...]
    segments: tuple[Segment, ...]
    code_citation: str
    verified_segments: tuple[str, ...] = field(default=())

    def rank(self, stage: str) -> int:
        """Position of `stage` in the workflow (0 = 已排查)."""
        return self.stages.index(stage)

    @property
    def code_width(self) -> int:
        """Total number of characters of a code."""
        return sum(s.width for s in self.segments)


def _label(raw: Mapping[str, str]) -> Label:
    return Label(raw["zh"], raw.get("en", raw["zh"]))


def _check_values(path: Path, key: str, ours: Sequence[str], spec_field: str) -> None:
    spec_values = tuple(v.value for v in get_spec("outlets").field(spec_field).values)
    if set(ours) != set(spec_values):
        msg = f"{path}: {key} {tuple(ours)} differs from layers/outlets.toml {spec_field} values"
        raise LayerSpecError(msg)


def _types(path: Path, raw: Mapping[str, Any]) -> dict[str, dict[str, tuple[str, ...]]]:
    types = {
        l1: {l2: tuple(l3s) for l2, l3s in sub.items()}
        for l1, sub in raw.items()
        if l1 != "citation"
    }
    spec = get_spec("outlets")
    for level, names in (
        ("type_l1", set(types)),
        ("type_l2", {l2 for sub in types.values() for l2 in sub}),
        ("type_l3", {l3 for sub in types.values() for l3s in sub.values() for l3 in l3s}),
    ):
        unknown = names - {v.value for v in spec.field(level).values}
        if unknown:
            msg = f"{path}: types use {sorted(unknown)}, not values of {level} in the layer spec"
            raise LayerSpecError(msg)
    return types


def _segment(raw: Mapping[str, Any]) -> Segment:
    lookup = raw.get("lookup")
    return Segment(
        name=raw["name"],
        label=_label(raw["label"]),
        width=int(raw["width"]),
        chars=raw["chars"],
        pattern=raw.get("pattern"),
        lookup=None if lookup is None else MappingProxyType(dict(lookup)),
        field=raw.get("field"),
    )


@functools.cache
def load_rules(path: Path = RULES_FILE) -> OutletRules:
    """Load ``outlets.toml`` and check its vocabularies against the outlets layer spec."""
    path = Path(path)
    with path.open("rb") as fh:
        raw = tomllib.load(fh)
    try:
        stages = tuple(raw["stages"]["order"])
        if stages != tuple(v.value for v in get_spec("outlets").field("stage").values):
            msg = f"{path}: stages.order {stages} differs from layers/outlets.toml stage values"
            raise LayerSpecError(msg)
        for key in ("traced_from", "rectified_from", "closed_from"):
            if raw["stages"][key] not in stages:
                msg = f"{path}: stages.{key} {raw['stages'][key]!r} is not a stage"
                raise LayerSpecError(msg)
        categories = {c: raw["categories"]["meaning"].get(c, c) for c in raw["categories"]["order"]}
        _check_values(path, "categories.order", list(categories), "category")
        segments = tuple(_segment(s) for s in raw["code"]["segments"])
        verified = tuple(raw["code"].get("verified", []))
        unknown = set(verified) - {s.name for s in segments}
        if unknown:
            msg = f"{path}: code.verified names unknown segments {sorted(unknown)}"
            raise LayerSpecError(msg)
        return OutletRules(
            stages=stages,
            traced_from=raw["stages"]["traced_from"],
            rectified_from=raw["stages"]["rectified_from"],
            closed_from=raw["stages"]["closed_from"],
            stage_citation=raw["stages"]["citation"],
            categories=MappingProxyType(categories),
            category_citation=raw["categories"]["citation"],
            types=MappingProxyType(_types(path, raw["types"])),
            type_citation=raw["types"]["citation"],
            milestones=tuple(
                Milestone(
                    _label(m["label"]),
                    m["date"],
                    float(m["traced_pct"]),
                    float(m["rectified_pct"]),
                    m["citation"],
                )
                for m in raw.get("milestones", [])
            ),
            segments=segments,
            code_citation=raw["code"]["citation"],
            verified_segments=verified,
        )
    except KeyError as exc:
        msg = f"{path}: missing key {exc.args[0]!r}"
        raise LayerSpecError(msg) from exc


def blank(value: object) -> bool:
    """Whether a ledger cell is empty: None, NA or ``""``."""
    return value is None or (not isinstance(value, str) and pd.isna(value)) or str(value) == ""
