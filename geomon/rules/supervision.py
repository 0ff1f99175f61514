"""The supervision loop's rules as data: the problems' workflow, red/yellow cards, evidence limits.

Everything is read from ``supervision.toml`` beside this module (the bureau's choices, not a
standard); this code only interprets it. Cards (红黄牌警示): a problem not yet closed is yellow
once the as-of date is past its deadline by more than ``yellow_after_days`` (default 0: from the
day after the deadline), and red once it is past by more than ``red_after_days`` (default 30: from
day 31) or has been sent back ``red_sent_back`` times (default 2). On the deadline day itself it
carries no card; a closed problem never does.
"""

from __future__ import annotations

import datetime as dt
import tomllib
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any, Literal

import numpy as np
import pandas as pd

from geomon.errors import WorkflowError
from geomon.messages import message

RULES_FILE = Path(__file__).with_name("supervision.toml")
Card = Literal["red", "yellow"]


@dataclass(frozen=True, slots=True)
class Step:
    """One step the workflow allows: from one of `sources` to `target`, with its conditions."""

    name_zh: str
    name_en: str
    sources: tuple[str, ...]
    target: str
    needs_note: bool = False
    needs_evidence: bool = False
    other_user: bool = False
    records: str | None = None  # "done", "closed" or "sent_back": fields the step fills


@dataclass(frozen=True, slots=True)
class CardRule:
    """When a problem carries a yellow or a red card (see the module docstring)."""

    yellow_after_days: int = 0
    red_after_days: int = 30
    red_sent_back: int = 2


@dataclass(frozen=True, slots=True)
class EvidenceLimits:
    """What an evidence file may be: size of one file, files per step, media types, thumbnail."""

    max_bytes: int
    max_files: int
    types: tuple[str, ...]
    thumbnail_px: int


@dataclass(frozen=True, slots=True)
class NoticeText:
    """The 督办通知 of the monthly sheet: number pattern and what each card asks for."""

    number: str = "督办〔{year}〕{month:02d}-{n:02d}号"
    red: str = ""
    yellow: str = ""


@dataclass(frozen=True, slots=True)
class SupervisionRules:
    """The whole table: workflow (start, closed, steps), cards, new problems, evidence."""

    start: str
    closed: str
    steps: tuple[Step, ...]
    cards: CardRule
    deadline_days: int
    evidence: EvidenceLimits
    notices: NoticeText = NoticeText()

    def step(self, source: str, target: str) -> Step:
        """The step from status `source` to `target`; `WorkflowError` naming the allowed ones."""
        for s in self.steps:
            if source in s.sources and s.target == target:
                return s
        allowed = [s.target for s in self.steps if source in s.sources]
        msg = message(
            f"流程不允许从“{source}”改为“{target}”；可改为：{'、'.join(allowed) or '（无）'}",
            f"the workflow does not allow {source} → {target}; allowed: "
            f"{', '.join(allowed) or '(none)'}",
        )
        raise WorkflowError(msg)


def _step(raw: dict[str, Any]) -> Step:
    name = raw.get("name", {})
    sources = raw["from"]
    return Step(
        name_zh=str(name.get("zh", raw["to"])),
        name_en=str(name.get("en", raw["to"])),
        sources=tuple([sources] if isinstance(sources, str) else sources),
        target=str(raw["to"]),
        needs_note=bool(raw.get("needs_note", False)),
        needs_evidence=bool(raw.get("needs_evidence", False)),
        other_user=bool(raw.get("other_user", False)),
        records=raw.get("records"),
    )


def load_rules(path: Path | None = None) -> SupervisionRules:
    """Parse ``supervision.toml`` (or `path`) into `SupervisionRules`."""
    path = path or RULES_FILE
    raw = tomllib.loads(path.read_text(encoding="utf-8"))
    flow, cards, ev = raw["workflow"], raw.get("cards", {}), raw["evidence"]
    return SupervisionRules(
        start=flow["start"],
        closed=flow["closed"],
        steps=tuple(_step(s) for s in flow["steps"]),
        cards=CardRule(**{k: int(v) for k, v in cards.items()}),
        deadline_days=int(raw.get("new", {}).get("deadline_days", 30)),
        evidence=EvidenceLimits(
            max_bytes=int(float(ev["max_mb"]) * 1024 * 1024),
            max_files=int(ev["max_files"]),
            types=tuple(ev["types"]),
            thumbnail_px=int(ev["thumbnail_px"]),
        ),
        notices=NoticeText(**raw.get("dispatch", {})),
    )


@cache
def rules() -> SupervisionRules:
    """The default table, parsed once."""
    return load_rules()


def _as_of(as_of: dt.date | str | None) -> pd.Timestamp:
    return pd.Timestamp(as_of if as_of is not None else dt.date.today()).normalize()


def days_overdue(problems: pd.DataFrame, as_of: dt.date | str | None = None) -> pd.Series:
    """Whole days each open problem is past its deadline at `as_of` (0 if not past, or closed)."""
    closed = rules().closed
    deadline = pd.to_datetime(problems["deadline"])
    days = (_as_of(as_of) - deadline).dt.days.fillna(0).clip(lower=0).astype("int64")
    is_closed = problems["status"].astype("object").eq(closed).to_numpy(dtype=bool)
    return pd.Series(np.where(is_closed, 0, days), index=problems.index, name="days_overdue")


def cards(
    problems: pd.DataFrame, as_of: dt.date | str | None = None, *, rule: CardRule | None = None
) -> pd.Series:
    """Each problem's card at `as_of`: ``"red"``, ``"yellow"`` or None (see the module docstring).

    Examples
    --------
    >>> frame = pd.DataFrame({"deadline": pd.to_datetime(["2023-06-30"] * 4),
    ...                       "status": ["整改中"] * 4, "sent_back": [0, 0, 0, 2]})
    >>> [cards(frame.iloc[[i]], d).iloc[0] for i, d in
    ...  [(0, "2023-06-30"), (1, "2023-07-30"), (2, "2023-07-31"), (3, "2023-06-01")]]
    [None, 'yellow', 'red', 'red']
    """
    rule = rule or rules().cards
    late = days_overdue(problems, as_of).to_numpy()
    sent = pd.to_numeric(problems.get("sent_back"), errors="coerce")
    sent = np.zeros(len(problems)) if sent is None else sent.fillna(0).to_numpy()
    open_ = ~problems["status"].astype("object").eq(rules().closed).to_numpy(dtype=bool)
    red = open_ & ((late > rule.red_after_days) | (sent >= rule.red_sent_back))
    yellow = open_ & ~red & (late > rule.yellow_after_days)
    out = np.where(red, "red", np.where(yellow, "yellow", None)).astype(object)
    return pd.Series(out, index=problems.index, name="card")
