"""预警 (early warnings): open alerts, filterable, linked to the map and the record pages; an
editor acknowledges one with a note (recorded in the history); the acknowledged ones below."""

import datetime as dt
import functools

import streamlit as st

from geomon.app import data, i18n
from geomon.app.components import editing, login, widgets
from geomon.app.present import alerts_view
from geomon.errors import GeomonError
from geomon.monitoring import alerts
from geomon.store import history as hist
from geomon.supervision.problems import problem_from_alert

lang = i18n.current()
settings = data.settings()
url = settings.store_url
st.title(i18n.t("alerts.title", lang))
login.sidebar(lang, "edit")
editing.flash()
st.caption(i18n.t("alerts.intro", lang))

today = dt.datetime.now(dt.timezone(dt.timedelta(hours=8))).date()  # Beijing
if "alerts.as_of" not in st.session_state:
    try:
        st.session_state["alerts.as_of"] = dt.date.fromisoformat(st.query_params["as_of"])
    except (KeyError, ValueError):
        st.session_state["alerts.as_of"] = today
left, mid, right, far = st.columns([2, 3, 2, 2])
day = left.date_input(
    i18n.t("alerts.as_of", lang), key="alerts.as_of", max_value=today,
    min_value=dt.date(2000, 1, 1), help=i18n.t("alerts.as_of_help", lang),
)  # fmt: skip
st.query_params["as_of"] = day.isoformat()
STALE_DAYS = 31  # lab results come monthly: older than a month before the day is "well before"
kinds = mid.multiselect(
    i18n.t("alerts.kinds", lang), alerts.KINDS, key="alerts.kinds",
    format_func=functools.partial(alerts_view.kind_label, lang=lang),
    placeholder=i18n.t("alerts.placeholder", lang),
)  # fmt: skip
severities = right.multiselect(
    i18n.t("alerts.severities", lang), alerts.SEVERITIES, key="alerts.severities",
    format_func=functools.partial(alerts_view.severity_label, lang=lang),
    placeholder=i18n.t("alerts.placeholder", lang),
)  # fmt: skip
layers = far.multiselect(
    i18n.t("alerts.layers", lang), ["sections", "outlets"], key="alerts.layers",
    format_func=functools.partial(alerts_view.layer_label, lang=lang),
    placeholder=i18n.t("alerts.placeholder", lang),
)  # fmt: skip

try:
    present = set(data.map_layer_names(url))
    found, acks = data.alerts_at(url, day)
except GeomonError as exc:
    st.error(i18n.tf("common.store_error", lang, error=exc))
    st.stop()
if not present & {"sections", "outlets"}:  # nothing to warn about: say what is missing
    st.warning(i18n.t("map.no_data", lang).format(url=url))
    st.stop()
latest = data.latest_data_day(url, day)
if latest is not None and (day - latest).days > STALE_DAYS:  # e.g. the demo (ends 2023-06-30)
    note, go = st.columns([5, 2], vertical_alignment="center")
    note.info(i18n.tf("alerts.stale", lang, latest=latest.isoformat(), date=day.isoformat()))
    go.button(
        i18n.tf("alerts.stale_button", lang, latest=latest.isoformat()), key="alerts.to_latest",
        on_click=functools.partial(st.session_state.__setitem__, "alerts.as_of", latest),
    )  # fmt: skip
acked = set(acks["alert_id"].astype(str)) if len(acks) else set()
still_open = alerts.open_alerts(found, acked)
frame = alerts_view.select(
    alerts.alerts_frame(still_open), kinds=kinds, severities=severities, layers=layers
)
st.caption(
    i18n.tf(
        "alerts.caption", lang, date=day.isoformat(), total=len(found),
        acked=len(found) - len(still_open), open=len(still_open),
    )
)  # fmt: skip
tally = alerts_view.counts(frame)
cards = st.columns(len(tally) + 1)
widgets.kpi(cards[0], i18n.t("alerts.open", lang), f"{len(frame):,}")
for col, (severity, n) in zip(cards[1:], tally.items(), strict=True):
    widgets.kpi(col, alerts_view.severity_label(severity, lang), f"{n:,}")

if frame.empty:
    st.success(i18n.t("alerts.none", lang))
else:
    table = alerts_view.alert_table(frame, lang)
    headers = {c: i18n.t(f"alerts.col.{c}", lang) for c in table.columns}
    widths = alerts_view.widths(lang)
    st.dataframe(
        table, hide_index=True, width="stretch", key="alerts.table",
        column_config={
            **{c: st.column_config.TextColumn(headers[c], width=widths.get(c))
               for c in table.columns if c not in ("record", "map", "since")},
            "since": st.column_config.TextColumn(
                headers["since"], width=widths["since"],
                help=i18n.t("alerts.col.since_help", lang),
            ),
            "record": st.column_config.LinkColumn(
                headers["record"], display_text=i18n.t("alerts.record", lang), width=60
            ),
            "map": st.column_config.LinkColumn(
                headers["map"], display_text=i18n.t("alerts.map", lang), width=60
            ),
        },
    )  # fmt: skip
    widgets.csv_download(
        table.rename(columns=headers), f"alerts-{day.isoformat()}.csv", lang=lang,
        key="alerts.csv",
    )  # fmt: skip

st.subheader(i18n.t("alerts.ack_title", lang))
editor = login.who("edit")
choices = {a.id: a for a in still_open if a.id in set(frame["id"])} if len(frame) else {}
if editor is None:
    st.info(i18n.t("alerts.ack_login", lang))
elif choices:
    with st.form("alerts.ack", clear_on_submit=True, border=True):
        chosen = st.selectbox(
            i18n.t("alerts.ack_choose", lang), list(choices), key="alerts.ack_id",
            format_func=functools.partial(alerts_view.choice_label, choices, lang),
            placeholder=i18n.t("common.choose_one", lang),
        )  # fmt: skip
        note = st.text_area(i18n.t("alerts.ack_note", lang), key="alerts.ack_note")
        acting = editor.name
        if login.current() is None:  # logins not in force: name who acknowledges (as 问题 pages)
            acting = st.text_input(
                i18n.t("alerts.acting", lang), key="alerts.acting",
                value=st.session_state.get("alerts.last_acting") or hist.default_user(),
                help=i18n.t("alerts.acting_help", lang),
            ).strip() or editor.name  # fmt: skip
        submitted = st.form_submit_button(i18n.t("alerts.ack_submit", lang), type="primary")
        # 一步登记为问题 (issue #20): the problem names the alert's feature, source 监测预警
        unit = st.text_input(i18n.t("alerts.problem_unit", lang), key="alerts.problem_unit")
        to_problem = st.form_submit_button(i18n.t("alerts.to_problem", lang))
    if to_problem and chosen in choices:
        try:
            made = problem_from_alert(
                data.scoped(url, editor), choices[chosen].to_json(), user=editor.name,
                unit=unit.strip() or None,
            )  # fmt: skip
        except GeomonError as exc:
            st.error(i18n.tf("alerts.ack_error", lang, error=exc))
        else:
            st.switch_page("geomon/app/pages/problem.py", query_params={"problem": made["id"]})
    if submitted and chosen in choices:
        try:
            # logins not in force: the named person writes to the whole store (as 问题 pages)
            target = data.scoped(url, editor) if login.current() else data.store(url)
            alerts.acknowledge(target, choices[chosen], note, user=acting)
            st.session_state["alerts.last_acting"] = acting  # the form clears: keep the name
        except GeomonError as exc:
            st.error(i18n.tf("alerts.ack_error", lang, error=exc))
        else:
            st.session_state[editing.FLASH] = i18n.tf(
                "alerts.ack_saved", lang, user=acting,
                alert=alerts_view.describe(choices[chosen], lang),
            )  # fmt: skip
            st.rerun()

st.subheader(i18n.t("alerts.acked", lang))
done = alerts_view.ack_table(acks, lang)
if done.empty:
    st.caption(i18n.t("alerts.no_acked", lang))
else:
    widths = alerts_view.widths(lang)
    st.dataframe(
        done.rename(columns={c: i18n.t(f"alerts.col.{c}", lang) for c in done.columns}),
        hide_index=True, width="stretch",
        column_config={
            i18n.t(f"alerts.col.{c}", lang): st.column_config.TextColumn(
                width=widths.get(c)
            )
            for c in done.columns
        },
    )  # fmt: skip
