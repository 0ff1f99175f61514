"""Problems (问题清单): made in one step, moved through the workflow, listed with their cards.

A problem is a row of the ``problems`` layer (`layers/problems.toml`), so it is stored, versioned,
exported, scoped by area and drawn like every other layer. Every step is one `Store.edit` (one
transaction with the evidence files it carries), so the history holds who moved it, when, from
which status to which, and the step's note. The workflow and the cards are data
(`geomon.rules.supervision`); this module applies them:

- `add_problem` makes a problem about a stored feature (its point is the feature's location, its
  district and code the feature's, else the district polygon it lies in), status 待整改;
- `problem_from_alert` and `problem_from_overdue_outlet` make one in one step from a monitoring
  alert (the dict ``{kind, severity, layer, id, name, parameter, value, limit, since, message,
  rule}``) or from an outlet past its rectification deadline;
- `update_problem` checks the step against the workflow (a note where needed, evidence before
  待核查, and closing by a user other than the one who reported it done: the guard against
  虚假整改), then writes it; a forbidden step raises `WorkflowError` and writes nothing;
- `problem_list` gives the list with each problem's card and days overdue at a date.
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
from geomon.rules import outlets as outlet_rules
from geomon.rules import supervision as sup_rules
from geomon.specs import get_spec
from geomon.store import VERSION_COLUMN, Edit, Store
from geomon.supervision.evidence import Evidence

LAYER = "problems"
LIST_COLUMNS = (
    "id",
    "title",
    "layer",
    "feature_id",
    "source",
    "unit",
    "deadline",
    "status",
    "card",
    "days_overdue",
)
"""Keys of one problem in `problem_list` / ``geomon problems list --json`` (an interface)."""


def _date(value: Any) -> dt.date | None:
    if value is None or (not isinstance(value, str) and pd.isna(value)):
        return None
    try:
        return pd.Timestamp(value).date()
    except (TypeError, ValueError) as exc:
        msg = message(f"无法识别的日期：{value!r}", f"not a date: {value!r}")
        raise WorkflowError(msg) from exc


def plain(value: Any) -> Any:
    """A stored value as JSON takes it: dates as ISO text, missing as None, numpy as Python."""
    if value is None or (not isinstance(value, str | bytes) and pd.isna(value)):
        return None
    if isinstance(value, pd.Timestamp | dt.date):
        return pd.Timestamp(value).date().isoformat()
    return value.item() if hasattr(value, "item") else value


def _today(at: Any) -> dt.date:
    return _date(at) or dt.date.today()


def next_problem_id(existing: Sequence[str], year: int) -> str:
    """The next id of the form ``P2023-007`` (per year, one more than the highest used)."""
    pattern = re.compile(rf"^P{year}-(\d+)$")
    used = [int(m.group(1)) for s in existing if (m := pattern.match(str(s)))]
    return f"P{year}-{max(used, default=0) + 1:03d}"


def feature_row(store: Store, layer: str, feature_id: str) -> pd.Series:
    """The stored feature `feature_id` of `layer`; `WorkflowError` if there is none."""
    spec = get_spec(layer)
    if spec.id_field is None:
        msg = f"layer {layer!r} has no id field, so a problem cannot point at one of its rows"
        raise WorkflowError(msg)
    frame = store.read(layer)
    hit = frame[frame[spec.id_field].astype("object").astype(str) == str(feature_id)]
    if hit.empty:
        msg = message(
            f"图层 {layer} 中没有编号为 {feature_id} 的要素",
            f"layer {layer} has no feature with id {feature_id}",
        )
        raise WorkflowError(msg)
    return hit.iloc[0]


def _district_of(store: Store, point: Any) -> tuple[str | None, str | None]:
    """(name, code) of the finest stored district polygon holding `point`."""
    if point is None or "districts" not in store.layer_names():
        return None, None
    districts = store.read("districts")
    inside = districts[shapely.contains(districts.geometry.values, point)]
    if inside.empty:
        return None, None
    row = inside.loc[inside["code"].astype(str).str.rstrip("0").str.len().idxmax()]
    return str(row["name"]), str(row["code"])


def _text(value: Any) -> str | None:
    if value is None or (not isinstance(value, str) and pd.isna(value)):
        return None
    return str(value)


def problem_frame(
    store: Store,
    *,
    layer: str,
    feature_id: str,
    title: str,
    source: str,
    unit: str | None,
    deadline: Any,
    user: str,
    measures: str | None = None,
    steps: str | None = None,
    description: str | None = None,
    found: Any = None,
    geometry: Any = None,
    problem_id: str | None = None,
    at: Any = None,
) -> gpd.GeoDataFrame:
    """The row of a new problem (status 待整改), ready to write (see `add_problem`)."""
    feature = feature_row(store, layer, feature_id)
    if geometry is None and "geometry" in feature.index and feature["geometry"] is not None:
        geometry = shapely.point_on_surface(feature["geometry"])
    district, code = _text(feature.get("district")), _text(feature.get("district_code"))
    if code is None:
        found_name, code = _district_of(store, geometry)
        district = district or found_name
    unit = unit or _text(feature.get("responsible_unit"))
    if not unit or not str(title).strip():
        msg = message("问题须有名称和责任单位", "a problem needs a title and a responsible unit")
        raise WorkflowError(msg)
    found_on = _date(found) or _today(at)
    current = store.read(LAYER)
    pid = problem_id or next_problem_id(current["id"].astype(str).tolist(), found_on.year)
    if problem_id is not None and (current["id"].astype(str) == problem_id).any():
        raise WorkflowError(message(f"问题编号 {pid} 已存在", f"problem id {pid} exists already"))
    row = {
        "id": pid,
        "title": str(title).strip(),
        "description": description,
        "source": source,
        "feature_layer": layer,
        "feature_id": str(feature_id),
        "district": district,
        "district_code": code,
        "unit": unit,
        "measures": measures,
        "steps": steps,
        "deadline": deadline,
        "status": sup_rules.rules().start,
        "reporter": user,
        "found_date": found_on,
        "sent_back": 0,
    }
    return gpd.GeoDataFrame([row], geometry=[geometry], crs=4326)


def add_problem(
    store: Store,
    *,
    evidence: Sequence[Evidence] = (),
    at: Any = None,
    **fields: Any,
) -> dict[str, Any]:
    """Store a new problem (status 待整改) about feature ``feature_id`` of ``layer``; return it.

    Keyword fields: ``layer``, ``feature_id``, ``title``, ``source``, ``unit``, ``deadline``,
    ``user``, and optionally ``measures``, ``steps``, ``description``, ``found``, ``geometry``,
    ``problem_id``. The point is ``geometry`` if drawn, else a point on the feature; the district
    (name and code) the feature's, else the stored district polygon the point lies in; the
    responsible ``unit`` the feature's ``responsible_unit`` when not given. ``found`` (default:
    the date of `at`, else today) is the found date. `evidence` files are stored with it in the
    same write. Raises `WorkflowError` for an unknown feature or a missing unit or title,
    `ValidationError` for a value the layer spec refuses (e.g. an unknown source).
    """
    frame = problem_frame(store, at=at, **fields)
    pid = str(frame["id"].iloc[0])
    files = [e.stored(LAYER, pid, caption=sup_rules.rules().start) for e in evidence]
    dated = {"at": at} if at is not None else {}
    store.write(
        {LAYER: frame}, mode="upsert", source="problems add", user=fields["user"], files=files,
        **dated,
    )  # fmt: skip
    return problem_record(store, pid)


def problem_record(store: Store, problem_id: str, *, as_of: Any = None) -> dict[str, Any]:
    """One stored problem as plain values (JSON-ready), with its card and days overdue."""
    frame = store.read(LAYER)
    hit = frame[frame["id"].astype(str) == str(problem_id)]
    if hit.empty:
        raise WorkflowError(message(f"没有问题 {problem_id}", f"no problem {problem_id}"))
    row = _with_cards(hit, as_of).iloc[0]
    out: dict[str, Any] = {}
    for name in [*get_spec(LAYER).field_names, "card", "days_overdue"]:
        out[name] = plain(row[name])
    geom = row.get("geometry")
    out["lon"], out["lat"] = (None, None) if geom is None else (round(geom.x, 7), round(geom.y, 7))
    return out


def _with_cards(problems: pd.DataFrame, as_of: Any) -> pd.DataFrame:
    out = problems.copy()
    out["card"] = sup_rules.cards(problems, as_of)
    out["days_overdue"] = sup_rules.days_overdue(problems, as_of)
    return out


def problem_list(
    problems: pd.DataFrame,
    *,
    as_of: Any = None,
    status: str | None = None,
    overdue: bool = False,
) -> pd.DataFrame:
    """The list (`LIST_COLUMNS`) with each problem's card and days overdue at `as_of` (today).

    `status` keeps one status; `overdue` only problems past their deadline and not closed.
    Sorted red first, then yellow, then by deadline.
    """
    frame = _with_cards(problems, as_of)
    if status is not None:  # a value, label or alias (销号, Closed …)
        status = get_spec(LAYER).field("status").canonical(status) or status
        frame = frame[frame["status"].astype("object") == status]
    if overdue:
        frame = frame[frame["days_overdue"] > 0]
    rank = frame["card"].map({"red": 0, "yellow": 1}).fillna(2)
    frame = frame.assign(_rank=rank).sort_values(["_rank", "deadline", "id"], kind="stable")
    out = pd.DataFrame(frame.rename(columns={"feature_layer": "layer"}))[list(LIST_COLUMNS)]
    cards = [c if isinstance(c, str) else None for c in out["card"]]
    out["card"] = pd.Series(cards, index=out.index, dtype="object")  # None, not NaN
    return out.reset_index(drop=True)


def list_records(table: pd.DataFrame) -> list[dict[str, Any]]:
    """`problem_list` rows as JSON-ready dicts (dates as ISO text, missing values as None)."""
    records = []
    for row in table.astype("object").to_dict("records"):
        records.append({k: plain(v) for k, v in row.items()})
    return records


def check_step(
    row: Mapping[str, Any],
    status: str,
    *,
    user: str,
    note: str | None,
    evidence_count: int,
    rules: sup_rules.SupervisionRules | None = None,
) -> sup_rules.Step:
    """The workflow step from `row`'s status to `status` if `user` may take it now.

    `evidence_count` is how many evidence files the problem holds after the step. Raises
    `WorkflowError` with the reason (wrong status, note or evidence missing, same user).
    """
    rules = rules or sup_rules.rules()
    step = rules.step(str(row["status"]), status)
    pid = row["id"]
    if step.needs_note and not (note and note.strip()):
        msg = message(
            f"{pid}：“{step.name_zh}”须填写说明（退回理由或核查意见）",
            f"{pid}: '{step.name_en}' needs a note (the reason or the verification note)",
        )
        raise WorkflowError(msg)
    if step.needs_evidence and evidence_count < 1:
        msg = message(
            f"{pid}：“{step.name_zh}”须附整改佐证材料（照片或 PDF）",
            f"{pid}: '{step.name_en}' needs evidence (a photo or a PDF)",
        )
        raise WorkflowError(msg)
    if step.other_user and _text(row.get("done_by")) == user:
        msg = message(
            f"{pid}：报告完成的用户（{user}）不能自己销号，须由另一用户核查（防止虚假整改）",
            f"{pid}: {user} reported it done and cannot close it; another user must verify it",
        )
        raise WorkflowError(msg)
    return step


def update_problem(
    store: Store,
    problem_id: str,
    *,
    status: str,
    user: str,
    note: str | None = None,
    evidence: Sequence[Evidence] = (),
    at: Any = None,
) -> dict[str, Any]:
    """Take one workflow step on problem `problem_id` and return the problem as stored after it.

    The step's date is the date of `at` (default today). Raises `WorkflowError` for a step the
    workflow forbids (see `check_step`); nothing is written then.
    """
    status = get_spec(LAYER).field("status").canonical(status) or status  # labels, aliases
    frame = store.read(LAYER, with_versions=True)
    hit = frame[frame["id"].astype(str) == str(problem_id)]
    if hit.empty:
        raise WorkflowError(message(f"没有问题 {problem_id}", f"no problem {problem_id}"))
    row = hit.iloc[0]
    held = store.files(LAYER, problem_id)
    fresh = {e.sha256[:16] for e in evidence} - set(held["file_id"])
    step = check_step(row, status, user=user, note=note, evidence_count=len(held) + len(fresh))
    on = _today(at)
    values: dict[str, Any] = {"status": status, "note": note.strip() if note else None}
    if step.records == "done":
        values |= {"done_by": user, "done_date": on}
    elif step.records == "closed":
        values |= {"verified_by": user, "closed_date": on}
    elif step.records == "sent_back":
        sent = pd.to_numeric(pd.Series([row.get("sent_back")]), errors="coerce").fillna(0)
        values["sent_back"] = int(sent.iloc[0]) + 1
    files = [e.stored(LAYER, str(problem_id), caption=status) for e in evidence]
    dated = {"at": at} if at is not None else {}
    edit = Edit((str(problem_id),), values, int(row[VERSION_COLUMN]))
    store.edit(LAYER, [edit], user=user, source="problems update", files=files, **dated)
    return problem_record(store, problem_id, as_of=on)


def problem_from_alert(
    store: Store,
    alert: Mapping[str, Any],
    *,
    user: str,
    unit: str | None = None,
    deadline: Any = None,
    at: Any = None,
) -> dict[str, Any]:
    """Make a problem (source 监测预警) from a monitoring alert dict in one step.

    The alert's ``layer`` and ``id`` name the feature; its message, value, limit, since and rule
    go into the description. Deadline: `deadline`, else the found date plus the table's days.
    """
    missing = [k for k in ("layer", "id") if not alert.get(k)]
    if missing:
        msg = f"the alert has no {', '.join(missing)}, so it names no feature"
        raise WorkflowError(msg)
    found = _today(at)
    name = alert.get("name") or alert["id"]
    title = alert.get("message") or f"{name} {alert.get('parameter') or ''} 预警".strip()
    parts = [
        f"{k}: {alert[k]}"
        for k in ("kind", "severity", "parameter", "value", "limit", "since", "rule")
        if alert.get(k) is not None
    ]
    return add_problem(
        store,
        layer=str(alert["layer"]),
        feature_id=str(alert["id"]),
        title=str(title),
        source="监测预警",
        unit=unit,
        deadline=deadline or found + dt.timedelta(days=sup_rules.rules().deadline_days),
        user=user,
        description="；".join(parts) or None,
        found=found,
        at=at,
    )


def problem_from_overdue_outlet(
    store: Store,
    code: str,
    *,
    user: str,
    unit: str | None = None,
    deadline: Any = None,
    at: Any = None,
) -> dict[str, Any]:
    """Make a problem (source 排查) from an outlet past its rectification deadline, in one step.

    Refused (`WorkflowError`) if the outlet is not overdue on the found date (`at`, default
    today: DOMAIN.md §2.4, deadline strictly before that day and not rectified).
    """
    found = _today(at)
    outlet = feature_row(store, "outlets", code)
    late = outlet_rules.is_overdue(pd.DataFrame([outlet]), found).iloc[0]
    if not late:
        msg = message(
            f"排污口 {code} 在 {found} 未逾期，不能按逾期问题登记",
            f"outlet {code} is not overdue on {found}",
        )
        raise WorkflowError(msg)
    past = pd.Timestamp(outlet["deadline"]).date()
    return add_problem(
        store,
        layer="outlets",
        feature_id=str(code),
        title=f"{outlet['name']} 整治逾期",
        source="排查",
        unit=unit,
        deadline=deadline or found + dt.timedelta(days=sup_rules.rules().deadline_days),
        user=user,
        description=f"整治时限 {past.isoformat()}，当前进度 {outlet['stage']}",
        found=found,
        at=at,
    )


def steps_of(history: pd.DataFrame) -> pd.DataFrame:
    """A problem's steps from its history, oldest first: at, user, from, to, note.

    One row per revision that made the problem or changed its status (``from`` is None for
    the making).
    """
    rows = []
    for revision, group in history.groupby("revision", sort=True):
        first = group.iloc[0]
        if (group["op"] == "insert").any():
            rows.append((revision, first["at"], first["user"], None, sup_rules.rules().start, None))
            continue
        status = group[group["field"] == "status"]
        if status.empty:
            continue
        note = group[group["field"] == "note"]
        rows.append(
            (
                revision,
                first["at"],
                first["user"],
                status.iloc[0]["old"],
                status.iloc[0]["new"],
                note.iloc[0]["new"] if len(note) else None,
            )
        )
    columns = ["revision", "at", "user", "from", "to", "note"]
    clean = [[plain(v) for v in r] for r in rows]
    return pd.DataFrame(clean, columns=columns, dtype="object")


__all__ = [
    "LAYER",
    "LIST_COLUMNS",
    "add_problem",
    "check_step",
    "feature_row",
    "list_records",
    "next_problem_id",
    "problem_frame",
    "problem_from_alert",
    "problem_from_overdue_outlet",
    "problem_list",
    "problem_record",
    "steps_of",
    "update_problem",
]
