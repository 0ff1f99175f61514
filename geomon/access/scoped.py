"""Jurisdiction scoping: a `Store` seen and changed through one user's areas.

`ScopedStore(store, user)` wraps any `Store`. A row is in a user's areas (`scope_mask`) if

- its administrative code starts with one of the areas: ``district_code`` (outlets, sections,
  control units) or ``code`` (districts). ``429902`` is in ``42``, ``4299`` and ``429902``;
- or, where the layer has no code, the row's is empty, or the area is finer than the code
  (a township user and a county-coded row), its geometry intersects the area's polygons in the
  ``districts`` layer (every district whose code starts with the area);
- or, for monitoring results (no geometry, no code), its section is in the areas.

A user with ``*`` sees and changes everything (a city-level role may also be given the city's
4-digit code). Reads return only rows in the areas; `write`, `edit` and imports through it refuse
the whole call with `AccessDeniedError` (``outside_area``) if any row is outside, naming the rows
and the areas, and change nothing. An upsert may not overwrite a stored row of another area, and
``replace`` is refused while the layer holds rows outside the user's areas (it would delete
them). Every change is recorded in the history under the user's name (another ``user=`` is refused),
and only an admin may date a change in the past (``at=``).
A row with no code and no geometry, or an area with no polygon in ``districts``, is outside
(scoping fails closed).
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Mapping, Sequence
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from geomon import audit
from geomon.access.auth import User, normalise_area
from geomon.errors import AccessDeniedError, AuthConfigError
from geomon.messages import message
from geomon.specs import LayerSpec, get_spec
from geomon.store import Edit, EditResult, LayerInfo, Store, WriteMode, WriteStats, history_text
from geomon.store.files import StoredFile

_PARENT = {"monitoring": ("section_code", "sections")}
"""Layers scoped through another layer: (field holding the parent's id, parent layer)."""
_SHOWN = 5  # rows named in a refusal


def code_field(spec: LayerSpec) -> str | None:
    """The field holding a row's administrative code, if the layer has one."""
    if spec.name == "districts":
        return "code"
    return "district_code" if "district_code" in spec.field_names else None


def _normal_codes(values: pd.Series) -> np.ndarray:
    """Codes as text ('' when missing or not a code), city/province codes shortened."""

    def one(value: Any) -> str:
        if value is None or (not isinstance(value, str) and pd.isna(value)):
            return ""
        try:
            return normalise_area(value)
        except AuthConfigError:
            return ""

    return np.array([one(v) for v in values.astype("object")], dtype=object)


def area_polygons(districts: pd.DataFrame, area: str) -> Any:
    """The union of the district polygons whose code lies in `area` (None if there is none)."""
    if not len(districts):
        return None
    codes = _normal_codes(districts["code"])
    inside = np.array([c.startswith(area) for c in codes], dtype=bool)
    geoms = np.asarray(districts.geometry.values)[inside]
    geoms = geoms[~shapely.is_missing(geoms)]
    return shapely.union_all(geoms) if len(geoms) else None


def scope_mask(
    frame: pd.DataFrame,
    layer: str | LayerSpec,
    areas: Sequence[str],
    districts: pd.DataFrame,
    *,
    parent_codes: set[str] | None = None,
) -> np.ndarray:
    """
    Which rows of `frame` lie in `areas` (see the module docstring), as a boolean array.

    Parameters
    ----------
    frame
        Rows of `layer` (typed or raw), geometry in EPSG:4326.
    layer
        Layer name or spec.
    areas
        Normalised area codes (`geomon.access.auth.parse_areas`); ``*`` means everywhere.
    districts
        The ``districts`` layer (all of it), for areas matched by location.
    parent_codes
        For a layer scoped through a parent (monitoring → sections): the parent ids in scope.
    """
    spec = get_spec(layer)
    n = len(frame)
    if "*" in areas:
        return np.ones(n, dtype=bool)
    if spec.name in _PARENT:
        field, _ = _PARENT[spec.name]
        ids = frame[field].astype("object") if field in frame.columns else pd.Series([None] * n)
        return np.array([str(v) in (parent_codes or set()) for v in ids], dtype=bool)
    cfield = code_field(spec)
    codes = (
        _normal_codes(frame[cfield])
        if cfield and cfield in frame.columns
        else np.full(n, "", dtype=object)
    )
    geoms = (
        np.asarray(frame.geometry.values)
        if isinstance(frame, gpd.GeoDataFrame) and frame.geometry.name in frame.columns
        else np.full(n, None, dtype=object)
    )
    inside = np.zeros(n, dtype=bool)
    for area in areas:
        by_code = np.array(
            [bool(c) and len(c) >= len(area) and c.startswith(area) for c in codes], dtype=bool
        )
        # no code, or an area finer than the code (township user, county-coded row): location
        by_place = np.array(
            [not c or (len(c) < len(area) and area.startswith(c)) for c in codes], dtype=bool
        )
        inside |= by_code
        if by_place.any():
            polygon = area_polygons(districts, area)
            if polygon is not None:
                hit = np.asarray(shapely.intersects(geoms, polygon), dtype=bool)
                inside |= by_place & hit & ~shapely.is_missing(geoms)
    return inside


class ScopedStore:
    """A `Store` as `user` may see and change it: only rows in their areas (module docstring)."""

    def __init__(self, store: Store, user: User) -> None:
        self._store = store
        self.user = user
        self.url = store.url

    def __repr__(self) -> str:
        return f"ScopedStore({self._store!r}, user={self.user.name!r}, areas={self.user.areas})"

    @property
    def inner(self) -> Store:
        """The unscoped store (for code that has already checked the user)."""
        return self._store

    # ---------------------------------------------------------------- scope
    def _districts(self) -> pd.DataFrame:
        return self._store.read("districts")

    def mask(self, layer: str, frame: pd.DataFrame) -> np.ndarray:
        """Which rows of `frame` (rows of `layer`) are in the user's areas."""
        if self.user.sees_all:
            return np.ones(len(frame), dtype=bool)
        parent = None
        if layer in _PARENT:
            parent_layer = _PARENT[layer][1]
            rows = self._store.read(parent_layer)
            ids = rows[get_spec(parent_layer).id_field or "code"]
            parent = set(ids[self.mask(parent_layer, rows)].astype(str))
        return scope_mask(frame, layer, self.user.areas, self._districts(), parent_codes=parent)

    def _areas_text(self) -> str:
        return "、".join(self.user.areas)

    def _refuse(self, spec: LayerSpec, frame: pd.DataFrame, outside: np.ndarray, why: str) -> None:
        rows = frame[outside]
        keys = history_text.keys_of(rows, spec) if spec.key_fields else [()] * len(rows)
        cfield = code_field(spec)
        shown = []
        for (idx, rec), key in zip(rows.iterrows(), keys, strict=True):
            code = rec.get(cfield) if cfield else None
            what = f"{spec.name} row {idx}" + (f" {list(key)}" if key else "")
            shown.append(what + (f" ({cfield} {code})" if code is not None else ""))
        more = f" and {len(shown) - _SHOWN} more" if len(shown) > _SHOWN else ""
        msg = message(
            f"{why}：{'; '.join(shown[:_SHOWN])}{more} 不在你的辖区（{self._areas_text()}）内，"
            "未保存任何数据",
            f"{why}: {'; '.join(shown[:_SHOWN])}{more} outside your areas "
            f"({', '.join(self.user.areas)}); nothing was saved",
        )
        raise AccessDeniedError(msg, code="outside_area", rows=[list(k) for k in keys])

    def _who(self, user: str | None, action: str, at: object = None) -> str:
        if not self.user.can("edit" if action == "edit" else "import"):
            msg = message(
                f"用户 {self.user.name}（{self.user.role}）无权修改数据",
                f"user {self.user.name!r} ({self.user.role}) may not change data",
            )
            raise AccessDeniedError(msg, code="role")
        if at is not None and self.user.role != "admin":  # history must show when it happened
            msg = message(
                "只有管理员可以补记过去时间的修改",
                f"only an admin may date a change in the past (user {self.user.name!r})",
            )
            raise AccessDeniedError(msg, code="role")
        if user is not None and user != self.user.name:
            msg = message(
                f"不能以他人（{user}）名义修改", f"cannot change data as another user ({user!r})"
            )
            raise AccessDeniedError(msg, code="wrong_user")
        return self.user.name

    # ---------------------------------------------------------------- Store protocol
    def layer_names(self) -> list[str]:
        """Names of the stored layers."""
        return self._store.layer_names()

    def read(self, layer: str, *, with_versions: bool = False) -> pd.DataFrame:
        """Rows of `layer` in the user's areas."""
        frame = self._store.read(layer, with_versions=with_versions)
        return frame[self.mask(layer, frame)]

    def read_bbox(self, layer: str, bbox: tuple[float, float, float, float]) -> pd.DataFrame:
        """Rows of `layer` in the user's areas whose bounding box meets `bbox`."""
        frame = self._store.read_bbox(layer, bbox)
        return frame[self.mask(layer, frame)]

    def write(
        self,
        frames: Mapping[str, pd.DataFrame],
        *,
        mode: WriteMode = "replace",
        source: str | None = None,
        version: str | None = None,
        user: str | None = None,
        at: str | dt.date | dt.datetime | None = None,
        files: Sequence[StoredFile] = (),
    ) -> dict[str, WriteStats]:
        """Write like `Store.write`, if every row is in the user's areas (else nothing)."""
        who = self._who(user, "import", at)
        if not self.user.sees_all:
            for layer, frame in frames.items():
                self._check_write(get_spec(layer), frame, mode)
        dated = {"at": at} if at is not None else {}
        return self._store.write(
            frames, mode=mode, source=source, version=version, user=who, files=files, **dated
        )

    def _my_sections(self) -> set[str]:
        return set(self.read("sections")["code"].astype(str))

    def write_readings(
        self,
        frame: pd.DataFrame,
        *,
        mode: Any = "upsert",
        user: str | None = None,
        source: str | None = None,
    ) -> Any:
        """Write station readings like `Store.write_readings`, if every reading is of a section
        in the user's areas (else nothing)."""
        who = self._who(user, "import")
        if not self.user.sees_all:
            outside = sorted(set(frame["section_code"].astype(str)) - self._my_sections())
            if outside:
                msg = message(
                    f"断面 {'、'.join(outside[:_SHOWN])} 不在你的辖区（{self._areas_text()}）内，"
                    "未保存任何数据",
                    f"sections {', '.join(outside[:_SHOWN])} are outside your areas "
                    f"({', '.join(self.user.areas)}); nothing was saved",
                )
                raise AccessDeniedError(msg, code="outside_area")
        return self._store.write_readings(frame, mode=mode, user=who, source=source)

    def read_readings(self, *, sections: Any = None, **filters: Any) -> pd.DataFrame:
        """Stored readings of the sections in the user's areas (filters as the store's)."""
        if self.user.sees_all:
            return self._store.read_readings(sections=sections, **filters)
        mine = self._my_sections()
        wanted = [sections] if isinstance(sections, str) else sections
        allowed = sorted(mine if wanted is None else mine & {str(s) for s in wanted})
        return self._store.read_readings(sections=allowed, **filters)

    def read_readings_daily(self, start: Any, end: Any, **filters: Any) -> pd.DataFrame:
        """The daily readings rollup (`Store.read_readings_daily`) of the user's sections."""
        daily = self._store.read_readings_daily(start, end, **filters)
        if self.user.sees_all:
            return daily
        mine = daily["section_code"].astype(str).isin(self._my_sections())
        return daily[mine.to_numpy(dtype=bool)].reset_index(drop=True)

    def _check_write(self, spec: LayerSpec, frame: pd.DataFrame, mode: str) -> None:
        outside = ~self.mask(spec.name, frame)
        if outside.any():
            self._refuse(spec, frame, outside, message("导入的数据", "imported rows"))
        stored = self._store.read(spec.name)
        stored_outside = ~self.mask(spec.name, stored)
        if mode == "replace" and stored_outside.any():
            msg = message(
                f"替换（replace）会删除 {int(stored_outside.sum())} 条不在你辖区"
                f"（{self._areas_text()}）内的 {spec.name} 数据；请用 upsert",
                f"replace would delete {int(stored_outside.sum())} {spec.name} rows outside "
                f"your areas ({', '.join(self.user.areas)}); use upsert; nothing was saved",
            )
            raise AccessDeniedError(msg, code="outside_area")
        if mode == "upsert" and spec.key_fields and stored_outside.any():
            theirs = set(history_text.keys_of(stored[stored_outside], spec))
            taken = np.array([k in theirs for k in history_text.keys_of(frame, spec)], dtype=bool)
            if taken.any():
                self._refuse(
                    spec, frame, taken, message("会覆盖其他辖区的数据", "would overwrite rows")
                )

    def edit(
        self,
        layer: str,
        changes: Sequence[Edit],
        *,
        user: str,
        source: str | None = None,
        at: str | dt.date | dt.datetime | None = None,
        files: Sequence[StoredFile] = (),
    ) -> EditResult:
        """Edit like `Store.edit`, if every edited row is and stays in the user's areas."""
        who = self._who(user, "edit", at)
        if not self.user.sees_all:
            spec = get_spec(layer)
            current = self._store.read(layer)
            where = {k: i for i, k in enumerate(history_text.keys_of(current, spec))}
            positions = [where.get(history_text.normal_key(c.key, spec)) for c in changes]
            found = [p for p in positions if p is not None]  # unknown keys: the store refuses
            before = current.iloc[found]
            outside = ~self.mask(layer, before)
            if outside.any():
                self._refuse(spec, before, outside, message("修改的数据", "edited rows"))
            after = before.copy()
            known = [c for c, p in zip(changes, positions, strict=True) if p is not None]
            for i, change in enumerate(known):
                for name, value in change.field_values.items():
                    if name in after.columns:
                        after.iloc[i, after.columns.get_loc(name)] = value
            moved = ~self.mask(layer, after)
            if moved.any():
                self._refuse(spec, after, moved, message("修改后的数据", "rows as edited"))
        dated = {"at": at} if at is not None else {}
        result = self._store.edit(layer, changes, user=who, source=source, files=files, **dated)
        if result.changes:  # the operator's log (GEOMON_LOG_FILE): who changed what, when
            audit.record(
                "edit", user=who, layer=layer, source=source, store=audit.store_text(self.url),
                rows=sorted({"/".join(map(str, c.key)) for c in result.changes}),
                fields=sorted({c.field for c in result.changes}), revision=result.revision,
            )  # fmt: skip
        return result

    def history(self, layer: str, key: Any = None) -> pd.DataFrame:
        """Changes of rows now in the user's areas, and of deleted rows that were in them."""
        events = self._store.history(layer, key)
        if self.user.sees_all or not len(events):
            return events
        spec = get_spec(layer)
        if not spec.key_fields:
            return events.iloc[0:0]
        visible = {
            history_text.key_text(k, spec) for k in history_text.keys_of(self.read(layer), spec)
        }
        keep = np.array(events["key"].isin(visible), dtype=bool)
        gone = ~keep & events["op"].eq("delete").to_numpy(dtype=bool)
        if gone.any():
            rows = _rows_from_json(events.loc[gone, "old"], spec)
            keep[np.flatnonzero(gone)] = self.mask(layer, rows)
        return events[keep]

    def as_of(self, layer: str, when: str | dt.date | dt.datetime) -> pd.DataFrame:
        """`layer` at `when`, only the rows in the user's areas (by today's districts)."""
        frame = self._store.as_of(layer, when)
        return frame[self.mask(layer, frame)]

    def files(self, layer: str, key: Any = None) -> pd.DataFrame:
        """Files stored beside rows now in the user's areas."""
        found = self._store.files(layer, key)
        if self.user.sees_all or not len(found):
            return found
        spec = get_spec(layer)
        visible = set(history_text.key_texts(history_text.keys_of(self.read(layer), spec)))
        return found[found["key"].isin(visible)].reset_index(drop=True)

    def file_data(self, layer: str, key: Any, file_id: str) -> bytes:
        """The bytes of a file stored beside a row in the user's areas (else refused)."""
        if not self.user.sees_all:
            spec = get_spec(layer)
            text = history_text.key_text(key if isinstance(key, tuple) else (key,), spec)
            visible = set(history_text.key_texts(history_text.keys_of(self.read(layer), spec)))
            if text not in visible:
                msg = message(
                    f"{spec.name} {text} 不在你的辖区内",
                    f"{spec.name} {text} is outside your areas",
                )
                raise AccessDeniedError(msg, code="outside_area")
        return self._store.file_data(layer, key, file_id)

    def info(self, layer: str) -> LayerInfo | None:
        """What is known about `layer` (row counts are the whole layer's)."""
        return self._store.info(layer)

    def versions(self, layer: str) -> pd.DataFrame:
        """The data versions written to `layer` (layer-level records, not scoped)."""
        return self._store.versions(layer)

    def revision(self) -> int:
        """The store's revision."""
        return self._store.revision()


def _rows_from_json(texts: pd.Series, spec: LayerSpec) -> pd.DataFrame:
    """Rows from history's whole-row JSON (geometry as WKT), for scoping deleted rows."""
    records = []
    for text in texts:
        try:
            records.append(json.loads(text) if isinstance(text, str) else {})
        except ValueError:
            records.append({})
    frame = pd.DataFrame.from_records(records, index=range(len(records)))
    for name in spec.field_names:
        if name not in frame.columns:
            frame[name] = None
    if not spec.is_spatial:
        return frame
    wkt = frame.pop("geometry") if "geometry" in frame.columns else pd.Series([None] * len(frame))
    geoms = shapely.from_wkt([w if isinstance(w, str) else None for w in wkt], on_invalid="ignore")
    return gpd.GeoDataFrame(frame, geometry=geoms, crs=4326)
