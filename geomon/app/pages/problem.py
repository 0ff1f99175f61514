"""问题详情: one problem with its card, plan, steps, evidence (thumbnails) and the step form."""

import datetime as dt
import functools
import io
import json

import pandas as pd
import streamlit as st

from geomon.app import data, i18n
from geomon.app.components import login, widgets
from geomon.app.present import problem_view, sheet
from geomon.errors import GeomonError
from geomon.rules import supervision as sup_rules
from geomon.specs import get_spec, layer_names
from geomon.store import files as stored_files
from geomon.store import history as hist
from geomon.supervision import evidence
from geomon.supervision import problems as sp

lang = i18n.current()
url = data.settings().store_url
st.title(i18n.t("page.problem", lang))
login.sidebar(lang, "edit")


def t(key: str) -> str:
    return i18n.t(key, lang)


flash = st.session_state.pop("problem.flash", None)
if flash:
    st.success(flash)
viewer = login.current()
try:
    store = data.store(url) if viewer is None else data.scoped(url, viewer)
    layer = data.layer(url, "problems") if "problems" in store.layer_names() else None
except GeomonError as exc:
    st.error(i18n.tf("common.store_error", lang, error=exc))
    st.stop()
if layer is None or layer.empty:
    st.info(t("problems.none"))
    st.stop()

ids = layer["id"].astype(str).tolist()
titles = dict(zip(layer["id"].astype(str), layer["title"].astype(str), strict=True))
wanted = st.query_params.get("problem")
if "problem.id" not in st.session_state and wanted in ids:
    st.session_state["problem.id"] = wanted
pid = st.selectbox(
    t("problem.choose"),
    ids,
    key="problem.id",
    format_func=functools.partial(widgets.code_name, titles),
    placeholder=i18n.t("common.choose_one", lang),
)
if pid is None:
    st.stop()
if wanted is not None and wanted not in ids:
    st.warning(i18n.tf("problem.unknown", lang, id=wanted))
if st.query_params.get("problem") != pid:
    st.query_params["problem"] = pid
record = sp.problem_record(store, pid, as_of=dt.date.today())
spec = get_spec("problems")

st.header(i18n.md(record["title"]))
status = spec.field("status").value_label(record["status"], lang)
st.markdown(f"{i18n.md(pid)} · **{i18n.md(status)}**")
if record["card"] == "red":
    rule = sup_rules.rules().cards
    why = []
    if record["days_overdue"] > rule.red_after_days:
        why.append(i18n.tf("problem.red_days", lang, days=record["days_overdue"]))
    if (record["sent_back"] or 0) >= rule.red_sent_back:
        why.append(i18n.tf("problem.red_sent", lang, sent=record["sent_back"]))
    st.error(i18n.tf("problem.card_red", lang, why="；".join(why)))
elif record["card"] == "yellow":
    st.warning(i18n.tf("problem.card_yellow", lang, days=record["days_overdue"]))

left, right = st.columns([1, 1])
with left:
    st.subheader(t("problem.fields"))
    skip = {"measures", "steps", "title"}
    shown = dict(record)
    if shown.get("feature_layer") in layer_names():
        shown["feature_layer"] = get_spec(shown["feature_layer"]).title.get(lang)
    rows = [
        (f.label.get(lang), sheet.field_text(f, shown[f.name], lang))
        for f in spec.fields
        if f.name not in skip and shown.get(f.name) not in (None, "")
    ]
    fields = pd.DataFrame(rows, columns=[t("outlet.field"), t("outlet.value")])
    st.dataframe(fields, hide_index=True, width="stretch", height=min(38 + 35 * len(rows), 640))
with right:
    if record.get("measures") or record.get("steps"):
        st.subheader(t("problem.plan"))
    if record.get("measures"):
        st.text(record["measures"])  # as text, never Markdown
    if record.get("steps"):
        st.text(record["steps"])

st.subheader(t("problem.history"))
steps = sp.steps_of(store.history("problems", pid))
st.dataframe(problem_view.steps_table(steps, lang, t), hide_index=True, width="stretch")

st.subheader(t("problem.evidence"))
files = problem_view.file_rows(store.files("problems", pid))
if not files:
    st.caption(t("problem.no_evidence"))
columns = st.columns(3)
for i, f in enumerate(files):
    with columns[i % 3], st.container(border=True):
        step = spec.field("status").value_label(f["caption"], lang) if f["caption"] else ""
        caption = i18n.tf("problem.file_caption", lang, name=f["name"], step=step,
                          user=f["user"], at=f["at_text"])  # fmt: skip
        if f["thumbnail"]:
            st.image(f["thumbnail"], caption=caption, width="stretch")
        else:
            st.text(caption)
        if f["taken_at"] or f["lon"] is not None:
            lon = "—" if f["lon"] is None else f"{f['lon']:.6f}"
            lat = "—" if f["lat"] is None else f"{f['lat']:.6f}"
            st.caption(i18n.tf("problem.exif", lang, taken=f["taken_at"] or "—", lon=lon, lat=lat))
        st.download_button(
            t("problem.download_file"), store.file_data("problems", pid, f["file_id"]),
            file_name=f["name"], mime=f["media_type"], key=f"problem.file.{f['file_id']}",
            on_click="ignore",
        )  # fmt: skip

archive = io.BytesIO()
record_json = json.dumps(record, ensure_ascii=False, indent=2)
stored_files.write_zip(store, "problems", [pid], archive, record=record_json)
st.download_button(
    t("problem.download_zip"), archive.getvalue(), file_name=f"{pid}.zip",
    mime="application/zip", key="problem.zip", on_click="ignore", icon=":material/download:",
)  # fmt: skip

st.subheader(t("problem.step"))
editor = login.who("edit")
if record["status"] == "已销号":
    st.info(t("problem.closed"))
elif editor is None:
    st.info(t("problem.login_needed"))
else:
    with st.form("problem.form"):
        target = st.selectbox(
            t("problem.next"), problem_view.next_statuses(record["status"]), key="problem.next",
            format_func=functools.partial(problem_view.enum_label, "problems", "status", lang),
            placeholder=i18n.t("common.choose_one", lang),
        )  # fmt: skip
        note = st.text_area(t("problem.note"), key="problem.note")
        uploads = st.file_uploader(
            t("problem.files"), type=["jpg", "jpeg", "png", "pdf"], accept_multiple_files=True,
            key="problem.files",
        )  # fmt: skip
        acting = editor.name
        if viewer is None:  # logins not in force: name who acts (as the command line's --user)
            acting = st.text_input(
                t("problem.acting"), value=hist.default_user(), key="problem.acting",
                help=t("problem.acting_help"),
            ).strip() or editor.name  # fmt: skip
        sent = st.form_submit_button(t("problem.submit"), type="primary")
    if sent:
        try:
            checked = evidence.check_files([(u.name, u.getvalue()) for u in uploads or []])
            target_store = store if viewer is not None else data.store(url)
            done = sp.update_problem(
                target_store, pid, status=target, user=acting, note=note or None, evidence=checked
            )
        except GeomonError as exc:
            st.error(str(exc))
        else:
            label = spec.field("status").value_label(done["status"], lang)
            st.session_state["problem.flash"] = i18n.tf("problem.saved", lang, id=pid, status=label)
            st.rerun()
