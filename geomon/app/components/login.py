"""Logging in: the sidebar login form, who is logged in, and what they may do.

The logged-in user lives in ``st.session_state[KEY]`` as a plain dict (name, role, areas; never
the password hash: session state must be serialisable). `geomon.access.auth` decides what needs a
login
(`auth.login_required`) and checks passwords with rate limiting; `geomon.access.scoped` limits
reads and writes to the user's areas (`areas` is part of every layer cache key in
`geomon.app.data`).
"""

from __future__ import annotations

import streamlit as st

from geomon import config
from geomon.access import auth
from geomon.app import i18n
from geomon.errors import AccessDeniedError, GeomonError, LoginError

KEY = "auth.user"


def settings() -> config.Settings:
    """Runtime settings from the environment."""
    return config.from_env()


def current() -> auth.User | None:
    """The user logged in in this session, if any."""
    entry = st.session_state.get(KEY)
    if not isinstance(entry, dict):
        return None
    return auth.User(entry["name"], entry["role"], tuple(entry["areas"]))


def areas() -> tuple[str, ...]:
    """The areas whose rows this session sees (everywhere unless a user is logged in)."""
    user = current()
    return user.areas if user is not None and not user.sees_all else (auth.ALL_AREAS,)


def who(action: auth.Action) -> auth.User | None:
    """Who does `action` in this session (`auth.require`), or None if they may not."""
    try:
        return auth.require(current(), action, settings())
    except AccessDeniedError:
        return None


def _log_in(user: auth.User) -> None:
    st.session_state[KEY] = {"name": user.name, "role": user.role, "areas": list(user.areas)}


def _log_out() -> None:
    st.session_state.pop(KEY, None)


def sidebar(lang: str, action: auth.Action = "view") -> None:
    """The sidebar login box, for a page that needs `action`; stop the page if viewing needs
    a login and nobody is logged in.

    Shown when `action` needs a login under the settings, or someone is logged in (to log out).
    """
    s = settings()
    user = current()
    needed = auth.login_required(action, s)
    if user is not None:
        box = st.sidebar.container(border=True)
        box.markdown(
            i18n.tf("login.as", lang, name=user.name, role=i18n.t(f"login.role.{user.role}", lang))
        )
        if not user.sees_all:
            box.caption(i18n.tf("login.areas", lang, areas="、".join(user.areas)))
        box.button(i18n.t("login.logout", lang), on_click=_log_out, key="login.logout")
    elif needed:
        _form(lang, s)
    if auth.login_required("view", s) and current() is None:
        st.info(i18n.t("login.view_needed", lang))
        st.stop()


def _form(lang: str, s: config.Settings) -> None:
    with st.sidebar.form("login.form", border=True):
        st.markdown(f"**{i18n.t('login.title', lang)}**")
        name = st.text_input(i18n.t("login.name", lang), key="login.name")
        password = st.text_input(
            i18n.t("login.password", lang), type="password", key="login.password"
        )
        submitted = st.form_submit_button(i18n.t("login.submit", lang), type="primary")
    if not submitted:
        return
    try:
        user = auth.authenticate(name.strip(), password, settings=s)
    except LoginError as exc:
        if exc.retry_after:
            text = i18n.tf("login.locked", lang, seconds=f"{exc.retry_after or 0:.0f}")
        elif exc.code == "no_users":
            text = i18n.t("login.no_users", lang)
        else:
            text = i18n.t("login.bad", lang)
        st.sidebar.error(text)
    except GeomonError as exc:  # a broken users file
        st.sidebar.error(i18n.tf("login.error", lang, error=exc))
    else:
        _log_in(user)
        st.rerun()
