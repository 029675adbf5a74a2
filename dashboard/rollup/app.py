"""The roll-up edition's app (``DTP_EDITION=rollup``, issue 17), run by ``app.py`` after the
access gate: the roll-up pages the principal may open (``nav.ROLLUP_PAGES``; admins also the
audit page), the header, the audit line of a page view, a friendly error instead of a
traceback. No plan page of the ministry edition is offered, and no page reads a ministry
warehouse.

Each edition refuses the other's file with a clear message (:func:`refuse_rollup_file` for the
ministry editions, ``dashboard.rollup.queries.NotARollup`` here).
"""

from __future__ import annotations

import streamlit as st

from dashboard import access, nav, queries, signin, state, ui
from dashboard.access import Principal
from dashboard.rollup import queries as rq
from dashboard.rollup import ui as rui
from release import i18n


def _problem(exc: Exception, lang: str) -> None:
    """No roll-up to show: what is wrong and what to do (no traceback, no absolute path)."""
    st.title(i18n.t("app_title_rollup", lang), anchor=False)
    where = ui.shown_path(rq.path())
    if isinstance(exc, rq.NotARollup):
        kind = rq.file_kind(rq.path())
        key = "rollup_not_rollup_warehouse" if kind == "warehouse" else "rollup_not_rollup"
        st.error(i18n.t(key, lang, path=where), icon=":material/error:")
        st.markdown(i18n.t("rollup_make_help", lang))
    elif isinstance(exc, queries.WarehouseMissing):
        st.info(i18n.t("rollup_missing", lang, path=where), icon=":material/database:")
        st.markdown(i18n.t("rollup_make_help", lang))
    else:
        st.error(i18n.t("rollup_unreadable", lang, path=where), icon=":material/error:")


def refuse_rollup_file(lang: str) -> bool:
    """In the ministry editions: if DTP_WAREHOUSE is a roll-up file, say so (True)."""
    if rq.file_kind(rq.path()) != "rollup":
        return False
    st.title(i18n.t("app_title", lang), anchor=False)
    st.error(i18n.t("rollup_file_in_ministry_edition", lang, path=ui.shown_path(rq.path())),
             icon=":material/error:")
    return True


def main(principal: Principal) -> None:
    lang = signin.lang()
    try:
        v = rui.controls()
    except (queries.WarehouseMissing, queries.WarehouseUnreadable) as exc:  # NotARollup too
        signin.sidebar(principal, lang)
        _problem(exc, lang)
        signin.banner(principal, lang)
        return
    lang = v.lang
    defs: dict[int, nav.PageDef] = {}

    def page_of(p: nav.PageDef) -> st.Page:
        page = st.Page(p.file, title=i18n.t(p.title_key, lang), icon=p.icon,
                       url_path=p.url_path, default=p.default)
        defs[id(page)] = p
        return page

    sections = {i18n.t("section_rollup", lang):
                [page_of(p) for p in access.allowed_pages(principal, nav.ROLLUP_PAGES)]}
    extra = access.allowed_pages(principal, nav.ANALYSIS_PAGES)
    if extra:
        sections[i18n.t("section_analysis", lang)] = [page_of(p) for p in extra]
    page = st.navigation(sections)
    page_def = defs.get(id(page))
    signin.sidebar(principal, lang)
    if page_def is None or not access.can_page(principal, page_def.url_path):
        st.stop()  # the navigation holds allowed pages only: the second lock on the door
    rui.header(v, page.title)
    signin.banner(principal, lang)
    signin.page_view(principal, page_def.url_path, rui.filters(v), v.rollup.run_id)
    ui.run_page(page, page_def.url_path, lang)
    state.finish()
