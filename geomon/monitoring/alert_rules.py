"""Alert rules (预警规则) as data: ``geomon/rules/alerts.toml`` read and checked, and how a value
is compared with a section's target class.

`load_rules` returns the thresholds, severities, the HJ 212 flags that count as valid data and
the standard each rule cites; a bad value raises `AlertError` naming the file and key. A value
is worse than its target class when it lies beyond that class's limit in GB 3838-2002 表1
(`target_bounds`): limits are inclusive and rise (fall, for DO) class by class, so "beyond the
target's limit" is the same as "its class is worse than the target" (`item_class`), and it can
be asked of a million readings at once.
"""

from __future__ import annotations

import functools
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any

import numpy as np

from geomon.errors import AlertError
from geomon.monitoring import VALID_FLAGS
from geomon.rules import water_quality as wq

KINDS: tuple[str, ...] = (
    "exceedance",
    "persistent_exceedance",
    "data_gap",
    "trend_worsening",
    "deadline_near",
    "overdue",
)
SEVERITIES: tuple[str, ...] = ("high", "medium", "low")
"""``high``: act now; ``medium``: look into it this week; ``low``: for information."""


@dataclass(frozen=True, slots=True)
class Rule:
    """One alert rule of alerts.toml: its kind, severity, thresholds and the standard it cites."""

    kind: str
    severity: str
    standard: str
    params: Mapping[str, Any] = field(default_factory=dict)

    def text(self) -> str:
        """How an alert cites the rule: ``"overdue：国办函〔2022〕17号；…"``."""
        return f"{self.kind}：{self.standard}"


@dataclass(frozen=True, slots=True)
class AlertRules:
    """Every rule of alerts.toml, and the HJ 212 flags that count as valid data."""

    rules: Mapping[str, Rule]
    valid_flags: frozenset[str]
    source: str
    max_history_days: float = 92.0  # how far back a station's run or gap is traced

    def __getitem__(self, kind: str) -> Rule:
        return self.rules[kind]

    def number(self, kind: str, name: str) -> float:
        """A threshold of rule `kind` (a non-negative number, checked at load)."""
        return float(self.rules[kind].params[name])


_NUMBERS = {
    "exceedance": ("lookback_hours",),
    "persistent_exceedance": ("days",),
    "data_gap": ("hours", "lookback_days"),
    "trend_worsening": ("min_levels",),
    "deadline_near": ("days",),
    "overdue": (),
}
_COMPARE = ("previous_month", "previous_year")


def _check_rule(kind: str, raw: Any, where: str) -> Rule:
    if not isinstance(raw, Mapping):
        msg = f"{where}: [{kind}] is missing"
        raise AlertError(msg)
    for key in ("severity", "standard"):
        if not isinstance(raw.get(key), str) or not raw[key].strip():
            msg = f"{where}: {kind}.{key} must be a non-empty text"
            raise AlertError(msg)
    for key in [k for k in raw if k.startswith("severity")]:
        if raw[key] not in SEVERITIES:
            msg = f"{where}: {kind}.{key} = {raw[key]!r}; use one of {', '.join(SEVERITIES)}"
            raise AlertError(msg)
    for key in _NUMBERS[kind]:
        value = raw.get(key)
        if isinstance(value, bool) or not isinstance(value, int | float) or value < 0:
            msg = f"{where}: {kind}.{key} must be a number ≥ 0, got {value!r}"
            raise AlertError(msg)
    if kind == "trend_worsening" and raw.get("compare", "previous_month") not in _COMPARE:
        msg = f"{where}: trend_worsening.compare must be one of {', '.join(_COMPARE)}"
        raise AlertError(msg)
    params = {k: v for k, v in raw.items() if k not in ("severity", "standard")}
    return Rule(kind, raw["severity"], raw["standard"].strip(), params)


def load_rules(path: str | Path | None = None) -> AlertRules:
    """Read the alert rules (default: ``geomon/rules/alerts.toml``); `AlertError` names the key."""
    if path is None:
        text = resources.files("geomon.rules").joinpath("alerts.toml").read_text(encoding="utf-8")
        where = "geomon/rules/alerts.toml"
    else:
        where = str(path)
        try:
            text = Path(path).read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            msg = f"{where}: cannot read the alert rules: {exc}"
            raise AlertError(msg) from exc
    try:
        raw = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        msg = f"{where}: {exc}"
        raise AlertError(msg) from exc
    flags = raw.get("valid_flags", sorted(VALID_FLAGS))  # default: stations.toml's, as assessment
    if not isinstance(flags, list) or not all(isinstance(f, str) and f for f in flags):
        msg = f'{where}: valid_flags must be a list of HJ 212 flags, e.g. ["N"]'
        raise AlertError(msg)
    history = raw.get("max_history_days", 92)
    if isinstance(history, bool) or not isinstance(history, int | float) or history < 1:
        msg = f"{where}: max_history_days must be a number ≥ 1, got {history!r}"
        raise AlertError(msg)
    rules = {kind: _check_rule(kind, raw.get(kind), where) for kind in KINDS}
    return AlertRules(rules, frozenset(flags), where, float(history))


def target_limit(parameter: str, target: str, water_body: str, value: float) -> float:
    """The limit of `target` class for `parameter` that `value` is compared with (GB 3838 表1).

    ≤ items: the class's upper limit (lake TP for lakes); DO: the lower limit; pH: the bound of
    6–9 that the value lies beyond.
    """
    item = wq.ITEMS[parameter]
    rank = wq.class_rank(target)
    if item.direction == "ge" and item.low is not None:
        return item.low[rank]
    if item.direction == "range" and item.low is not None and item.high is not None:
        return item.low[rank] if value < item.low[rank] else item.high[rank]
    limit = item.limit(rank, water_body)
    if limit is None:
        msg = f"GB 3838 item {parameter!r} has no class limits"
        raise AlertError(msg)
    return limit


@functools.lru_cache(maxsize=1024)
def target_bounds(parameter: str, target: str | None, water_body: str) -> tuple[float, float]:
    """The range ``[low, high]`` a value of `parameter` must lie in to meet class `target`.

    GB 3838-2002 表1: ≤ items ``(-inf, limit)`` (lake TP for lakes), DO ``(limit, inf)``, pH
    ``(6, 9)``. ``(-inf, inf)`` (never worse) for no target, a 劣Ⅴ target, an unknown item and
    an item the 2011 method does not assess (WT, TN, FC).
    """
    item = wq.ITEMS.get(parameter)
    if target is None or item is None or not item.assessed:
        return -np.inf, np.inf
    rank = wq.class_rank(target)
    if rank >= len(wq.CLASSES) - 1:  # 劣V: nothing is worse
        return -np.inf, np.inf
    low = item.low[rank] if item.low is not None else -np.inf
    high = item.high[rank] if item.high is not None else np.inf
    if item.direction == "le":
        high = item.limit(rank, water_body) or high
    return float(low), float(high)


def worse_than_target(parameter: str, value: float, target: str | None, water_body: str) -> bool:
    """Whether `value` lies beyond the `target` class limit of `parameter` (`target_bounds`)."""
    low, high = target_bounds(parameter, target, water_body)
    return bool(value < low or value > high)
