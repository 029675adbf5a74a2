"""What the access gate shows (the rules are in ``dashboard.access``): the sign-in page, the
access-denied page, the misconfiguration page, who is signed in, the local-mode banner, and the
audit lines of a session (``sign_in`` once per session, ``view`` when the page changes)."""

from __future__ import annotations

import html
import threading
from collections.abc import Mapping

import streamlit as st

from dashboard import access, audit
from dashboard.access import Gate, Principal
from release import i18n

_SIGNED_IN = "_audit_signed_in"
_DENIED = "_audit_denied"
_LAST_PAGE = "_audit_page"
K_LANG = "lang"  # dashboard.state.K_LANG


def lang() -> str:
    """The page language before the global controls exist (session, else the URL)."""
    value = st.session_state.get(K_LANG)
    if value in i18n.LANGS:
        return value
    raw = st.query_params.get("lang")
    return raw if raw in i18n.LANGS else i18n.DEFAULT_LANG


def provider() -> str | None:
    """The provider to sign in with: None for a plain ``[auth]`` section, else the first
    named one (``[auth.microsoft]``)."""
    section = st.secrets.get("auth") or {}
    if "client_id" in section:
        return None
    named = [k for k, val in section.items() if isinstance(val, dict | Mapping)]
    return named[0] if named else None


def role_label(p: Principal, lang: str) -> str:
    if p.role is None and p.submits:  # on the roll-up's submitter list only
        return i18n.t("role_submitter", lang)
    label = i18n.t(f"role_{p.role or 'public'}", lang)
    if p.has(access.STEWARD) and p.role != access.STEWARD:  # outside the ladder (issue 22)
        label += " + " + i18n.t("role_steward", lang)
    return label


def gate_page(gate: Gate, lang: str) -> None:
    """Everything a person sees who may not see data (nothing from the warehouse)."""
    if st.session_state.get(K_LANG) not in i18n.LANGS:
        st.session_state[K_LANG] = lang
    lang = st.sidebar.radio(i18n.t("language", lang), i18n.LANGS, key=K_LANG,
                            format_func=i18n.LANG_NAMES.get, horizontal=True)
    t = lambda key, **kw: i18n.t(key, lang, **kw)  # noqa: E731
    st.title(t("app_title"), anchor=False)
    if gate.status == "sign_in":
        st.info(t("auth_sign_in_intro"), icon=":material/login:")
        named = provider()
        st.button(t("auth_sign_in"), on_click=st.login, args=(named,) if named else (),
                  type="primary", key="auth_login", icon=":material/login:")
    elif gate.status == "denied":
        ident = gate.identity or access.Identity(None, None)
        if not st.session_state.get(_DENIED):
            st.session_state[_DENIED] = True
            audit.record("denied", Principal(ident.user, ()))
        st.header(t("auth_denied_title"), anchor=False)
        st.error(t("auth_denied", user=ident.user), icon=":material/block:")
        st.text(t("auth_contact", contact=gate.contact) if gate.contact
                else t("auth_no_contact"))
        st.button(t("auth_sign_out"), on_click=st.logout, key="auth_logout")
    elif gate.status == "local_exposed":
        st.error(t("auth_misconfigured"), icon=":material/error:")
        st.text(t("auth_local_exposed"))
    else:
        st.error(t("auth_misconfigured"), icon=":material/error:")
        st.text(t("auth_misconfigured_why", reason=gate.reason))


_seen_tokens: set[tuple[str, object]] = set()  # (user, iat) of the ID tokens already logged
_seen_lock = threading.Lock()


def session_start(p: Principal) -> None:
    """The ``sign_in`` line: once per sign-in (the ID token's ``iat``), not once per browser
    tab or reload (each is a new session carrying the same token)."""
    if p.mode != "oidc" or st.session_state.get(_SIGNED_IN) == p.user:
        return
    st.session_state[_SIGNED_IN] = p.user
    key = (p.user, st.user.get("iat"))
    with _seen_lock:
        if key in _seen_tokens and key[1] is not None:
            return
        if len(_seen_tokens) > 100_000:
            _seen_tokens.clear()
        _seen_tokens.add(key)
    audit.record("sign_in", p)


def sidebar(p: Principal, lang: str) -> None:
    sb = st.sidebar
    if p.mode == "oidc":
        text = i18n.t("auth_signed_in", lang, user=p.user, role=role_label(p, lang))
        sb.html(f'<div class="dtp-meta">{html.escape(text)}</div>')  # plain text, no link
        sb.button(i18n.t("auth_sign_out", lang), on_click=st.logout, key="auth_logout",
                  icon=":material/logout:")


def banner(p: Principal, lang: str) -> None:
    """On every page: local mode or the public edition, said plainly."""
    if p.mode == "local":
        # no emoji: the server's browser may have no emoji font (issue 29); the words say it
        st.html('<div class="dtp-meta" role="status" data-testid="dtp-local-mode">'
                f'{html.escape(i18n.t("auth_local_mode", lang))}</div>')
    elif p.mode == "public":
        st.html('<div class="dtp-meta" role="status">'
                f'{html.escape(i18n.t("auth_public", lang))}</div>')


def page_view(p: Principal, page: str, filters: dict | None, run_id: str | None) -> None:
    """A ``view`` line when the session enters a page."""
    if st.session_state.get(_LAST_PAGE) == page:
        return
    st.session_state[_LAST_PAGE] = page
    audit.record("view", p, page=page, filters=filters, run_id=run_id)
