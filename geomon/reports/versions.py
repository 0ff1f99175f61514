"""Data versions for reports: the store as it was at a moment, and which versions that used.

A report for a past period, or a siting verdict under an older red-line version, must come out
the same whenever it is produced. `StoreAsOf` is a read-only view of a store at one moment: each
layer is rebuilt from the store's change history (`geomon.store.Store.as_of`), and its
`LayerInfo` is the data version in force then (`geomon.store.Store.versions`). Library functions
that read a store (`geomon.analysis.stats.stats_json`, `geomon.siting.check`) take the view in
place of
the store. `resolve` turns what a user names ("红线 2023 批复版", ``2023-06-30``, ``current``)
into such a moment, and `layer_sources` stamps the versions a result used.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from geomon.errors import StoreError, VersionError
from geomon.siting import LayerSource
from geomon.specs import get_spec
from geomon.store import LayerInfo, Store
from geomon.store import history as hist
from geomon.times import CHINA_TZ, beijing

CURRENT = ("current", "now", "当前", "现行")
"""Words that name the store as it is now (no as-of rebuild)."""


@dataclass(frozen=True, slots=True)
class Moment:
    """A moment of the store: history time (UTC ISO text), or None for the store as it is now.

    ``label`` is the version label the user named (if any), ``revision`` the store revision of
    that version's write.
    """

    at: str | None
    label: str | None = None
    revision: int | None = None

    @property
    def text(self) -> str:
        """How a report names the moment: the label with its time, or the time alone."""
        when = "当前数据" if self.at is None else beijing(self.at)
        return f"{self.label}（{when}）" if self.label else when


def end_of_day(day: dt.date) -> str:
    """The last moment of `day`, Beijing time, as history time text (UTC ISO)."""
    moment = dt.datetime.combine(day, dt.time.max, tzinfo=CHINA_TZ)
    return hist.parse_when(moment)


def version_table(store: Store, layers: Iterable[str]) -> pd.DataFrame:
    """Every recorded data version of `layers` (`geomon.store.VERSIONS_COLUMNS`), oldest first."""
    frames = [store.versions(name) for name in layers if store.info(name) is not None]
    frames = [f for f in frames if len(f)]
    if not frames:
        return hist.tidy_versions(None, "", None)
    out = pd.concat(frames, ignore_index=True)
    return out.sort_values(["revision", "layer"], kind="stable").reset_index(drop=True)


def resolve(store: Store, ref: str | dt.date | dt.datetime | None, layers: Iterable[str]) -> Moment:
    """Turn what a user names into a `Moment` of `store`.

    `ref` is a version label of one of `layers` (its latest write with that label), an ISO date
    (the end of that day, Beijing time) or date-time, or None / ``"current"`` for now. Raises
    `VersionError` naming the known labels when `ref` is none of these.
    """
    if ref is None or (isinstance(ref, str) and ref.strip().lower() in CURRENT):
        return Moment(None)
    if isinstance(ref, dt.datetime):
        return Moment(hist.parse_when(ref))
    if isinstance(ref, dt.date):
        return Moment(end_of_day(ref))
    text = str(ref).strip()
    table = version_table(store, layers)
    hits = table[table["version"] == text]
    if len(hits):
        last = hits.iloc[-1]
        return Moment(str(last["at"]), label=text, revision=int(last["revision"]))
    try:
        if len(text) == 10:
            return Moment(end_of_day(dt.date.fromisoformat(text)))
        return Moment(hist.parse_when(text))
    except (ValueError, StoreError):
        labels = [v for v in dict.fromkeys(table["version"]) if v]
        known = "、".join(f"“{v}”" for v in labels) or "（无）"
        msg = (
            f"数据版本“{text}”不存在，也不是日期；已有版本：{known} / no data version {text!r} "
            "in the store and not an ISO date; use a version label, YYYY-MM-DD or 'current'"
        )
        raise VersionError(msg) from None


@dataclass
class StoreAsOf:
    """A read-only view of `store` at `moment` (None: as it is now), optionally one district.

    With `district`, outlets and sections are those of that district (field ``district``) and
    monitoring is that of those sections; other layers are whole. Frames are rebuilt once per
    layer and shared: do not mutate them.
    """

    store: Store
    moment: Moment = field(default_factory=lambda: Moment(None))
    district: str | None = None
    hidden: frozenset[str] = frozenset()
    _frames: dict[str, pd.DataFrame] = field(default_factory=dict, repr=False)

    @property
    def url(self) -> str:
        """The URL of the underlying store."""
        return self.store.url

    def layer_names(self) -> list[str]:
        """Layers of the store that are shown (present now; a layer may be empty at `moment`)."""
        return [n for n in self.store.layer_names() if n not in self.hidden]

    def without(self, *layers: str) -> StoreAsOf:
        """The same view with `layers` reading as empty (sharing the rebuilt frames)."""
        return StoreAsOf(
            self.store, self.moment, self.district, self.hidden | set(layers), self._frames
        )

    def _whole(self, layer: str) -> pd.DataFrame:
        if layer not in self._frames:
            at = self.moment.at
            self._frames[layer] = (
                self.store.read(layer) if at is None else self.store.as_of(layer, at)
            )
        return self._frames[layer]

    def read(self, layer: str, *, with_versions: bool = False) -> pd.DataFrame:
        """Layer `layer` at the view's moment (row versions are not kept in history)."""
        if with_versions:
            msg = "a past view has no row versions; read the store itself to edit"
            raise StoreError(msg)
        frame = self._whole(layer)
        if layer in self.hidden:
            return frame.iloc[:0]
        if self.district is None:
            return frame
        if layer in ("outlets", "sections") and "district" in frame.columns:
            return frame[(frame["district"] == self.district).fillna(False).to_numpy(dtype=bool)]
        if layer == "monitoring" and "section_code" in frame.columns:
            codes = set(self.read("sections")["code"])
            return frame[frame["section_code"].isin(codes).to_numpy(dtype=bool)]
        return frame

    def info(self, layer: str) -> LayerInfo | None:
        """The data version of `layer` in force at the moment (rows: as rebuilt then).

        The revision is that of the layer's last change at the moment, which pins its exact
        state. Label, source and import time are those of the latest labelled write by then;
        with none, the source and time of the last change (and no label). Rows stored before
        history was kept count as always there, with the version they were stored under.
        """
        now = self.store.info(layer)
        if now is None:
            return None
        rows = len(self.read(layer))
        if self.moment.at is None:
            return dataclasses.replace(now, rows=rows)
        events = self.history(layer)
        versions = self.store.versions(layer)
        if events.empty:
            if not rows or versions.empty:  # stored only after the moment
                return LayerInfo(layer, 0, None, None, None, 0)
            first = versions.iloc[0]
            return LayerInfo(
                layer, rows, _text(first["source"]), _stamp(first["at"]),
                _text(first["version"]), int(first["revision"]),
            )  # fmt: skip
        at = versions["at"].astype(object)
        labelled = versions[
            versions["version"].notna().to_numpy()
            & np.array([a is not None and str(a) <= self.moment.at for a in at], dtype=bool)
        ]
        last_event = events.iloc[-1]
        if len(labelled):
            last = labelled.iloc[-1]
            source, stamp, label = _text(last["source"]), _stamp(last["at"]), last["version"]
        else:
            source, stamp, label = _text(last_event["source"]), _stamp(last_event["at"]), None
        return LayerInfo(layer, rows, source, stamp, label, int(events["revision"].max()))

    def history(self, layer: str, key: Any = None) -> pd.DataFrame:
        """The history of `layer` up to the moment."""
        events = self.store.history(layer, key)
        if self.moment.at is None:
            return events
        return events[events["at"].astype(str) <= self.moment.at].reset_index(drop=True)

    def revision(self) -> int:
        """The revision of the underlying store (the view itself never changes)."""
        return self.store.revision()


def _text(value: object) -> str | None:
    return None if value is None or pd.isna(value) else str(value)


def _stamp(at: object) -> str | None:
    """History time text as `LayerInfo.imported_at` writes it (seconds, UTC)."""
    return None if at is None or pd.isna(at) else str(at)[:19] + "+00:00"


def layer_sources(view: StoreAsOf, layers: Iterable[str]) -> tuple[LayerSource, ...]:
    """The data version of each of `layers` a result used (for a report's versions table)."""
    out = []
    for name in layers:
        info = view.info(name)
        out.append(
            LayerSource(
                name,
                get_spec(name).title.zh,
                len(view.read(name)) if info is not None else 0,
                source=info.source if info else None,
                imported_at=info.imported_at if info else None,
                version=info.version if info else None,
                stored=info is not None,
                revision=info.revision if info else None,
            )
        )
    return tuple(out)
