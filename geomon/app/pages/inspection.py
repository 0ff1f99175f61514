"""巡查: record a field inspection from a phone: feature, findings, position, photos, a problem.

Laid out for a narrow screen: one column, large controls. The position is the device's (the
browser's geolocation, when the user presses the button and grants it), else a photo's EXIF
position, else the feature's (`geomon.supervision.inspections`). Photos come from the camera or
the gallery (the browser's file picker), are checked by their content and kept in the store.
"""

import datetime as dt
import functools

import pandas as pd
import streamlit as st

from geomon.app import data, i18n
from geomon.app.components import geolocate, login, widgets
from geomon.app.present import problem_view
from geomon.errors import GeomonError
from geomon.rules import supervision as sup_rules
from geomon.specs import get_spec
from geomon.store import history as hist
from geomon.supervision import evidence, inspections

LAYERS = ("outlets", "sections", "protection_zones")
lang = i18n.current()
url = data.settings().store_url
login.sidebar(lang, "edit")
st.html(
    "<style>.stButton button,.stFormSubmitButton button,.stDownloadButton button"
    "{min-height:52px;font-size:1.1rem}"
    "[data-testid='stFileUploaderDropzone']{min-height:96px}</style>"
)
st.title(i18n.t("inspection.title", lang))


def t(key: str) -> str:
    return i18n.t(key, lang)


# a saved record starts a fresh form: the widgets' keys carry the number of records saved
n = st.session_state.setdefault("inspection.round", 0)
flash = st.session_state.pop("inspection.flash", None)
for line in flash or []:
    st.success(line)
try:
    present = [n for n in LAYERS if n in data.store(url).layer_names()]
except GeomonError as exc:
    st.error(i18n.tf("common.store_error", lang, error=exc))
    st.stop()
if not present:
    st.info(t("outlet.none"))
    st.stop()
wanted = st.query_params.get("layer")
layer = st.radio(
    t("inspection.layer"), present, horizontal=True, key="inspection.layer",
    index=present.index(wanted) if wanted in present else 0,
    format_func=functools.partial(problem_view.layer_title, lang),
)  # fmt: skip
spec = get_spec(layer)
frame = data.layer(url, layer)
ids = frame[spec.id_field].astype(str).tolist()
names = dict(zip(ids, frame[spec.name_field or spec.id_field].astype(str), strict=True))
feature = st.selectbox(
    t("inspection.feature"), ids, key=f"inspection.feature.{layer}",
    index=ids.index(st.query_params["feature"]) if st.query_params.get("feature") in ids else None,
    format_func=functools.partial(widgets.code_name, names),
    placeholder=i18n.t("common.choose_one", lang),
)  # fmt: skip
findings = st.text_area(t("inspection.findings"), key=f"inspection.findings.{n}", height=120)

where = geolocate.locate(t("inspection.locate"), key=f"inspection.where.{n}")
lon = lat = None
if where and "lon" in where:
    lon, lat = float(where["lon"]), float(where["lat"])
    st.caption(i18n.tf("inspection.located", lang, lon=f"{lon:.6f}", lat=f"{lat:.6f}",
                       accuracy=round(float(where.get("accuracy") or 0))))  # fmt: skip
elif where and "error" in where:
    st.caption(i18n.tf("inspection.locate_failed", lang, error=where["error"]))

uploads = st.file_uploader(
    t("inspection.photos"), type=["jpg", "jpeg", "png"], accept_multiple_files=True,
    key=f"inspection.photos.{n}",
)  # fmt: skip
photos = []
for upload in uploads or []:
    try:
        photo = evidence.check_evidence(upload.name, upload.getvalue())
    except GeomonError as exc:
        st.error(str(exc))
        continue
    photos.append(photo)
    position = t("inspection.unknown")
    if photo.lon is not None:
        position = f"{photo.lon:.6f}, {photo.lat:.6f}"
    st.image(photo.thumbnail, width=160)
    taken = photo.taken_at or t("inspection.unknown")
    st.caption(
        i18n.tf("inspection.photo_info", lang, name=photo.name, taken=taken, position=position)
    )

problem = None
if st.toggle(t("inspection.open_problem"), key=f"inspection.open.{n}"):
    row = frame[frame[spec.id_field].astype(str) == str(feature)]
    unit = ""
    if len(row) and "responsible_unit" in row.columns and pd.notna(row["responsible_unit"].iloc[0]):
        unit = str(row["responsible_unit"].iloc[0])
    problem = {
        "title": st.text_input(t("inspection.problem_title"), key=f"inspection.ptitle.{n}"),
        "unit": st.text_input(t("inspection.unit"), value=unit, key="inspection.unit"),
        "deadline": st.date_input(
            t("inspection.deadline"), key="inspection.deadline",
            value=dt.date.today() + dt.timedelta(days=sup_rules.rules().deadline_days),
        ),
    }  # fmt: skip

update = None  # a step on an open problem about this feature (e.g. report it done with the photos)
if feature is not None and "problems" in data.store(url).layer_names():
    known = data.layer(url, "problems")
    mine = known[
        (known["feature_layer"].astype("object") == layer)
        & (known["feature_id"].astype("object") == str(feature))
        & (known["status"].astype("object") != sup_rules.rules().closed)
    ]
    if len(mine):
        titles = dict(zip(mine["id"].astype(str), mine["title"].astype(str), strict=True))
        which = st.selectbox(
            t("inspection.update_problem"), list(titles), index=None, key=f"inspection.upd.{n}",
            format_func=functools.partial(widgets.code_name, titles),
            placeholder=i18n.t("common.choose_one", lang),
        )  # fmt: skip
        if which is not None:
            now = str(mine.loc[mine["id"].astype(str) == which, "status"].iloc[0])
            update = {
                "id": which,
                "status": st.selectbox(
                    t("problem.next"), problem_view.next_statuses(now), key=f"inspection.to.{n}",
                    format_func=functools.partial(
                        problem_view.enum_label, "problems", "status", lang
                    ),
                    placeholder=i18n.t("common.choose_one", lang),
                ),
                "note": st.text_input(t("problem.note"), key=f"inspection.unote.{n}") or None,
            }  # fmt: skip

editor = login.who("edit")
inspector = None if editor is None else editor.name
if editor is not None and login.current() is None:  # no logins: name the inspector
    inspector = st.text_input(
        t("problem.acting"), value=hist.default_user(), key="inspection.inspector"
    ).strip() or editor.name  # fmt: skip
if editor is None:
    st.info(t("inspection.login_needed"))
elif st.button(
    t("inspection.submit"), type="primary", width="stretch", key="inspection.save",
    disabled=feature is None,
):  # fmt: skip
    viewer = login.current()
    store = data.store(url) if viewer is None else data.scoped(url, viewer)
    try:
        saved = inspections.record_inspection(
            store, inspector=inspector, layer=layer, feature_id=feature,
            findings=findings.strip() or None, lon=lon, lat=lat, photos=photos,
            open_problem=problem, update=update,
        )  # fmt: skip
    except GeomonError as exc:
        st.error(str(exc))
    else:
        lines = [i18n.tf("inspection.saved", lang, id=saved["inspection"]["id"])]
        lines += [i18n.tf("inspection.opened", lang, id=p["id"]) for p in saved["problems"]]
        st.session_state["inspection.flash"] = lines
        st.session_state["inspection.round"] = n + 1
        st.rerun()

if "inspections" in data.store(url).layer_names():
    recent = data.layer(url, "inspections").sort_values(["date", "time"], ascending=False).head(5)
    if len(recent):
        st.subheader(t("inspection.recent"))
        shown = recent[["id", "date", "time", "inspector", "feature_id", "findings", "problems"]]
        labels = {f.name: f.label.get(lang) for f in get_spec("inspections").fields}
        st.dataframe(shown.rename(columns=labels), hide_index=True, width="stretch")
