"""Entry point: ``streamlit run dashboard/app.py``. Navigation, global controls, header."""

from __future__ import annotations

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:  # `streamlit run` puts dashboard/ on the path, not the repo
    sys.path.insert(0, str(ROOT))

import gc  # noqa: E402

import streamlit as st  # noqa: E402

from dashboard import access, audit, nav, queries, signin, state, ui  # noqa: E402
from dashboard.rollup import app as rollup_app  # noqa: E402
from pipelines.settings import SettingsError, edition, get_settings  # noqa: E402
from release import i18n  # noqa: E402


@st.cache_resource(show_spinner=False)
def _freeze_imports() -> None:
    """Streamlit collects garbage after every script run (``runner.postScriptGC``), a full
    collection that walks every object of the process: with what this app imports, ~50 ms a
    run. Once per process, what is here by now (modules, Plotly's classes …, there for the
    process's life) is moved out of the collector's sight; what a run makes is still collected
    (issue 19). (Not ``gc.get_freeze_count()`` as the once-flag: it counts the frozen objects
    one by one, 8 ms.)"""
    gc.freeze()


_freeze_imports()



def _tab_title() -> str:
    """The browser tab names the edition (the roll-up is not one ministry's dashboard); a bad
    DTP_EDITION is reported below, not here."""
    try:
        rollup = edition() == "rollup"
    except SettingsError:
        rollup = False
    return i18n.STRINGS["app_title_rollup" if rollup else "app_title"][0]


st.set_page_config(page_title=_tab_title(), page_icon=":material/insights:",
                   layout="wide", initial_sidebar_state="auto")  # closed on a phone (issue 9)
ui.style()

try:  # a setting the dashboard cannot use stops it with a clear message (no stack trace)
    get_settings()
except SettingsError as exc:
    st.error(i18n.t("settings_error", signin.lang(), error=str(exc)), icon=":material/error:")
    st.stop()

# the access gate (dashboard/access.py): nothing from the warehouse before it says ok
gate = access.resolve()
if not gate.ok:
    signin.gate_page(gate, signin.lang())
    st.stop()
principal = gate.principal
assert principal is not None
signin.session_start(principal)

# the roll-up edition has its own pages (dashboard/rollup/app.py); each edition refuses the
# other's file with a clear message
if principal.rollup:
    rollup_app.main(principal)
    st.stop()
if rollup_app.refuse_rollup_file(signin.lang()):
    st.stop()
# the public edition on a warehouse: its protected file is made by a worker process; until it
# is there the page says so and polls (nothing of the warehouse is shown meanwhile)
if principal.edition == "public" and get_settings().warehouse.exists() \
        and not ui.public_gate(signin.lang()):
    st.stop()

problem: str | None = None
try:
    view = state.controls()
except queries.WarehouseMissing:
    problem = "missing"
except queries.WarehouseUnreadable:
    problem = "unreadable"
lang = st.session_state.get(state.K_LANG, i18n.DEFAULT_LANG)


_defs: dict[int, nav.PageDef] = {}  # st.Page -> its PageDef


def _page(p: nav.PageDef, alias: bool = False) -> st.Page:
    # Streamlit serves the default page at "/" only; its own path (/overview, in links and
    # bookmarks) is a hidden alias that forwards there. The default page's url_path is then
    # only its internal name (nav.HOME_ALIAS_OF).
    url_path = nav.HOME_ALIAS_OF + p.url_path if p.default and not alias else p.url_path
    page = st.Page(p.file, title=i18n.t(p.title_key, lang), icon=p.icon, url_path=url_path,
                   default=p.default and not alias, visibility="hidden" if alias else "visible")
    _defs[id(page)] = p
    return page


allowed_plan = access.allowed_pages(principal, nav.PLAN_PAGES)
plan = [_page(p) for p in allowed_plan]
home = next((p for p in allowed_plan if p.default), None)
sections = {i18n.t("section_plan", lang):
            [*plan, _page(home, alias=True)] if home is not None else plan} if plan else {}
analysis = access.allowed_pages(principal, nav.ANALYSIS_PAGES)
if analysis:
    sections[i18n.t("section_analysis", lang)] = [_page(p) for p in analysis]
page = st.navigation(sections, expanded=True)  # every page listed, none behind "View more"
page_def = _defs.get(id(page))
if home is not None and page.url_path == home.url_path:  # /overview → / with the same query
    st.switch_page(next(p for p in plan if p.url_path == ""),
                   query_params=st.query_params.to_dict())
signin.sidebar(principal, lang)

if problem and page_def is not None and page_def.url_path == access.DELIVERIES_PAGE \
        and access.can_page(principal, page_def.url_path):
    # the deliveries page needs no warehouse: the first delivery makes it
    st.title(page.title, anchor=False)
    signin.banner(principal, lang)
    signin.page_view(principal, page_def.url_path, None, None)
    ui.run_page(page, page_def.url_path, lang)
elif problem:
    ui.no_warehouse(lang, unreadable=problem == "unreadable")
    signin.banner(principal, lang)
elif page_def is None or not access.can_page(principal, page_def.url_path):
    st.stop()  # the navigation holds allowed pages only: this is a second lock on the door
else:
    ui.header(view, page.title, internals=access.show_run_internals(principal))
    signin.banner(principal, lang)
    signin.page_view(principal, page_def.url_path, audit.view_filters(view), view.run.run_id)
    ui.run_page(page, page_def.url_path, lang)
    state.finish()
