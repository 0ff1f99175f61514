"""Field inspections (巡查): one record per visit, with photos, opening a problem if needed.

`record_inspection` stores an inspection (``layers/inspections.toml``): inspector, date and time
(Beijing), the feature visited, findings, the position and where it came from, and the photos
(checked by `geomon.supervision.evidence`, kept in the store beside the record). The position is
the device's (the browser's geolocation, when granted), else the first photo's EXIF position,
else the feature's own location.

It can open a problem about the same feature (source 巡查 by default) in the **same** all-or-
nothing write: the inspection, the new problem and the photos (stored beside both) land together
or not at all. It can also take a workflow step on an existing problem (e.g. report it done with
the photos): that step is checked before anything is written and taken right after the record,
as a second write (`geomon.supervision.problems.update_problem`), its note naming the inspection.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Mapping, Sequence
from typing import Any

import geopandas as gpd
import pandas as pd
import shapely

from geomon.errors import WorkflowError
from geomon.messages import message
from geomon.rules import supervision as sup_rules
from geomon.store import Store
from geomon.store import history as hist
from geomon.supervision import problems as sp
from geomon.supervision.evidence import Evidence

LAYER = "inspections"
CHINA_TZ = dt.timezone(dt.timedelta(hours=8), "北京时间")


def next_inspection_id(existing: Sequence[str], day: dt.date) -> str:
    """The next id of the form ``XC20230705-002`` (per day)."""
    pattern = re.compile(rf"^XC{day:%Y%m%d}-(\d+)$")
    used = [int(m.group(1)) for s in existing if (m := pattern.match(str(s)))]
    return f"XC{day:%Y%m%d}-{max(used, default=0) + 1:03d}"


def _beijing(when: Any) -> dt.datetime:
    stamp = pd.Timestamp(when if when is not None else dt.datetime.now(dt.UTC))
    if stamp.tzinfo is None:
        stamp = stamp.tz_localize(CHINA_TZ)  # a time without a zone is Beijing time
    return stamp.tz_convert(CHINA_TZ).to_pydatetime()


def record_inspection(
    store: Store,
    *,
    inspector: str,
    layer: str,
    feature_id: str,
    findings: str | None = None,
    when: Any = None,
    lon: float | None = None,
    lat: float | None = None,
    photos: Sequence[Evidence] = (),
    open_problem: Mapping[str, Any] | None = None,
    update: Mapping[str, Any] | None = None,
    at: Any = None,
) -> dict[str, Any]:
    """Store one inspection (and the problem it opens); return ``{"inspection", "problems"}``.

    `when` is the visit's time (default now; a time without a zone is Beijing time). `lon`/`lat`
    is the device's position (WGS84). `open_problem` holds the new problem's fields
    (``title``, ``unit``, ``deadline``, and optionally ``source`` (default 巡查), ``measures``,
    ``steps``, ``description``); `update` a step on an existing problem (``id``, ``status``,
    ``note``). Raises `WorkflowError` for an unknown feature, a bad position or a step the
    workflow forbids (nothing written then).
    """
    feature = sp.feature_row(store, layer, feature_id)
    visit = _beijing(when)
    if (lon is None) != (lat is None):
        raise WorkflowError(message("经纬度须同时给出", "give both lon and lat, or neither"))
    if lon is not None and not (-180 <= float(lon) <= 180 and -90 <= float(lat) <= 90):
        raise WorkflowError(message(f"位置无效：{lon}, {lat}", f"not a position: {lon}, {lat}"))
    located = next((p for p in photos if p.lon is not None and p.lat is not None), None)
    if lon is not None:
        point, source = shapely.Point(float(lon), float(lat)), "定位"
    elif located is not None:
        point, source = shapely.Point(located.lon, located.lat), "照片"
    else:
        geom = feature.get("geometry")
        point = None if geom is None else shapely.point_on_surface(geom)
        source = "要素位置"
    held: pd.DataFrame | None = None
    if update is not None:  # check the step now: a forbidden one writes nothing at all
        problems = store.read(sp.LAYER)
        hit = problems[problems["id"].astype(str) == str(update["id"])]
        if hit.empty:
            raise WorkflowError(message(f"没有问题 {update['id']}", f"no problem {update['id']}"))
        held = store.files(sp.LAYER, str(update["id"]))
        fresh = {p.sha256[:16] for p in photos} - set(held["file_id"])
        sp.check_step(
            hit.iloc[0], str(update["status"]), user=inspector, note=update.get("note"),
            evidence_count=len(held) + len(fresh),
        )  # fmt: skip
    current = store.read(LAYER)
    iid = next_inspection_id(current["id"].astype(str).tolist(), visit.date())
    frames: dict[str, pd.DataFrame] = {}
    files = [p.stored(LAYER, iid, caption="巡查") for p in photos]
    opened: list[str] = []
    if open_problem is not None:
        fields = {"source": "巡查", **dict(open_problem)}
        frame = sp.problem_frame(
            store, layer=layer, feature_id=feature_id, user=inspector, found=visit.date(),
            geometry=point, description=fields.pop("description", None) or findings, **fields,
        )  # fmt: skip
        opened.append(str(frame["id"].iloc[0]))
        frames[sp.LAYER] = frame
        start = sup_rules.rules().start
        files += [p.stored(sp.LAYER, opened[0], caption=start) for p in photos]
    if update is not None:
        opened.append(str(update["id"]))
    district = sp._text(feature.get("district"))
    code = sp._text(feature.get("district_code"))
    if code is None:
        name, code = sp._district_of(store, point)
        district = district or name
    row = {
        "id": iid,
        "date": visit.date(),
        "time": f"{visit:%H}时{visit:%M}分",
        "inspector": inspector,
        "feature_layer": layer,
        "feature_id": str(feature_id),
        "district": district,
        "district_code": code,
        "findings": findings,
        "position_source": source,
        "problems": "；".join(opened) or None,
    }
    frames = {LAYER: gpd.GeoDataFrame([row], geometry=[point], crs=4326), **frames}
    dated = {"at": at} if at is not None else {}
    store.write(frames, mode="upsert", source="inspection", user=inspector, files=files, **dated)
    if update is not None:
        note = f"{update.get('note') or ''}（巡查 {iid}）".strip()
        # a dated record: the step a second later (history times must grow with every change)
        later = None if at is None else pd.Timestamp(hist.parse_when(at)) + pd.Timedelta("1s")
        sp.update_problem(
            store, str(update["id"]), status=str(update["status"]), user=inspector, note=note,
            evidence=photos, at=later,
        )  # fmt: skip
    return {
        "inspection": inspection_record(store, iid),
        "problems": [sp.problem_record(store, p) for p in opened],
    }


def inspection_record(store: Store, inspection_id: str) -> dict[str, Any]:
    """One stored inspection as plain values (JSON-ready), with lon/lat."""
    frame = store.read(LAYER)
    hit = frame[frame["id"].astype(str) == str(inspection_id)]
    if hit.empty:
        raise WorkflowError(
            message(f"没有巡查记录 {inspection_id}", f"no inspection {inspection_id}")
        )
    row = hit.iloc[0]
    out = {k: sp.plain(row[k]) for k in hit.columns if k != "geometry"}
    geom = row.get("geometry")
    out["lon"], out["lat"] = (None, None) if geom is None else (round(geom.x, 7), round(geom.y, 7))
    return out
