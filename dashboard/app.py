"""Entry point: ``streamlit run dashboard/app.py``. Navigation, global controls, header."""

from __future__ import annotations

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:  # `streamlit run` puts dashboard/ on the path, not the repo
    sys.path.insert(0, str(ROOT))

import streamlit as st  # noqa: E402

from dashboard import i18n, nav, queries, state, ui  # noqa: E402

st.set_page_config(page_title=i18n.STRINGS["app_title"][0], page_icon=":material/insights:",
                   layout="wide", initial_sidebar_state="auto")  # closed on a phone (issue 9)
ui.style()

problem: str | None = None
try:
    view = state.controls()
except queries.WarehouseMissing:
    problem = "missing"
except queries.WarehouseUnreadable:
    problem = "unreadable"
lang = st.session_state.get(state.K_LANG, i18n.DEFAULT_LANG)


def _page(p: nav.PageDef, alias: bool = False) -> st.Page:
    # Streamlit serves the default page at "/" only; its own path (/overview, in links and
    # bookmarks) is a hidden alias that forwards there. The default page's url_path is then
    # only its internal name (nav.HOME_ALIAS_OF).
    url_path = nav.HOME_ALIAS_OF + p.url_path if p.default and not alias else p.url_path
    return st.Page(p.file, title=i18n.t(p.title_key, lang), icon=p.icon, url_path=url_path,
                   default=p.default and not alias, visibility="hidden" if alias else "visible")


home = next(p for p in nav.PLAN_PAGES if p.default)
plan = [_page(p) for p in nav.PLAN_PAGES]
sections = {i18n.t("section_plan", lang): [*plan, _page(home, alias=True)]}
if nav.ANALYSIS_PAGES:
    sections[i18n.t("section_analysis", lang)] = [_page(p) for p in nav.ANALYSIS_PAGES]
page = st.navigation(sections)
if page.url_path == home.url_path:  # /overview → / with the same query string
    st.switch_page(next(p for p in plan if p.url_path == ""),
                   query_params=st.query_params.to_dict())

if problem:
    ui.no_warehouse(lang, unreadable=problem == "unreadable")
else:
    ui.header(view, page.title)
    page.run()
    state.finish()
