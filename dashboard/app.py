"""Entry point: ``streamlit run dashboard/app.py``. Navigation, global controls, header."""

from __future__ import annotations

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:  # `streamlit run` puts dashboard/ on the path, not the repo
    sys.path.insert(0, str(ROOT))

import streamlit as st  # noqa: E402

from dashboard import i18n, nav, queries, state, ui  # noqa: E402
from pipelines.settings import SettingsError, edition, get_settings  # noqa: E402

st.set_page_config(page_title=i18n.STRINGS["app_title"][0], page_icon=":material/insights:",
                   layout="wide", initial_sidebar_state="expanded")
ui.style()

try:  # a setting the dashboard cannot use stops it with a clear message (no stack trace)
    get_settings()
    public = edition() == "public"
except SettingsError as exc:
    st.error(f"設定エラー / Setting error: {exc}", icon=":material/error:")
    st.stop()

problem: str | None = None
try:
    view = state.controls()
except queries.WarehouseMissing:
    problem = "missing"
except queries.WarehouseUnreadable:
    problem = "unreadable"
lang = st.session_state.get(state.K_LANG, i18n.DEFAULT_LANG)


def _page(p: nav.PageDef) -> st.Page:
    return st.Page(p.file, title=i18n.t(p.title_key, lang), icon=p.icon, url_path=p.url_path,
                   default=p.default)


sections = {i18n.t("section_plan", lang): [_page(p) for p in nav.PLAN_PAGES]}
analysis = nav.PUBLIC_ANALYSIS_PAGES if public else nav.ANALYSIS_PAGES
if analysis:
    sections[i18n.t("section_analysis", lang)] = [_page(p) for p in analysis]
page = st.navigation(sections)

if problem:
    ui.no_warehouse(lang, unreadable=problem == "unreadable")
else:
    ui.header(view, page.title)
    page.run()
    state.finish()
