"""The roll-up edition in a real browser (Debian chromium through Playwright) against a live
``streamlit run`` with DTP_EDITION=rollup on a roll-up of two organisations (conftest
``rollup_file``), as test_browser_a11y.py does for the plan pages:

* the axe-core audit of every roll-up page in both languages (expanders open): no serious or
  critical WCAG 2.1 A/AA violation in the project's own elements, and a valid heading order
  (the page's h1, its sections h2);
* the organisation filter from a link: kept in the URL, shown in the sidebar, and the page's
  tables show that organisation only;
* the data page's CSV button gives the roll-up's rows; the compare page's PowerPoint button
  the pack.
"""

from __future__ import annotations

import io
import json
from pathlib import Path

import duckdb
import polars as pl
import pytest
from browser_support import ARTIFACTS, MARKS, settle, streamlit_app
from test_browser_a11y import STREAMLIT_INTERNAL, WCAG

from release import i18n

pytestmark = MARKS

PAGES = {"": "page_rollup_compare", "government": "page_rollup_government",
         "pace": "page_rollup_pace", "months": "page_rollup_months",
         "submissions": "page_rollup_submissions", "rollup-data": "page_rollup_data",
         "inbox": "page_rollup_inbox"}


@pytest.fixture(scope="module")
def live_rollup(rollup_file):
    with streamlit_app(rollup_file, DTP_EDITION="rollup") as url:
        yield url


def _settle(page) -> None:  # noqa: ANN001
    settle(page)
    page.wait_for_timeout(800)


def _audit(page) -> list[dict]:  # noqa: ANN001
    from axe_playwright_python.sync_playwright import Axe

    options = {"runOnly": {"type": "tag", "values": [*WCAG, "best-practice"]},
               "resultTypes": ["violations"]}
    context = {"exclude": [[sel] for sel in STREAMLIT_INTERNAL]}
    return Axe().run(page, context=context, options=options).response["violations"]


@pytest.mark.parametrize("lang", ["ja", "en"])
def test_axe_audit_every_rollup_page(live_rollup, browser, lang):
    ctx = browser.new_context(viewport={"width": 1400, "height": 1000})
    page = ctx.new_page()
    ARTIFACTS.mkdir(exist_ok=True)
    problems = []
    try:
        for path, title in PAGES.items():
            page.goto(f"{live_rollup}/{path}?lang={lang}")
            _settle(page)
            assert page.locator('[data-testid="stMain"] h1').first.inner_text() == i18n.t(
                title, lang)
            assert page.locator('[data-testid="stMain"] h2').count() >= 1, path
            page.evaluate("() => document.querySelectorAll('[data-testid=\"stExpander\"] "
                          "details').forEach(e => { e.open = true; })")
            page.wait_for_timeout(300)
            violations = _audit(page)
            (ARTIFACTS / f"axe-rollup-{lang}-{path or 'compare'}.json").write_text(
                json.dumps(violations, ensure_ascii=False, indent=1))
            for v in violations:
                if v["impact"] in ("serious", "critical") or v["id"] == "heading-order":
                    problems.append((path or "compare", v["id"], v["impact"],
                                     [n["html"][:120] for n in v["nodes"][:3]]))
    finally:
        ctx.close()
    assert not problems, json.dumps(problems, ensure_ascii=False, indent=1)


def test_organisation_filter_from_a_link(live_rollup, page):
    page.goto(f"{live_rollup}/government?lang=en&org=XYZ")
    _settle(page)
    page.wait_for_function("() => location.search.includes('org=XYZ')", timeout=10_000)
    sidebar = page.locator('[data-testid="stSidebar"]')
    assert "1 organisation(s) selected" in sidebar.inner_text()
    assert page.get_by_text("Ignored invalid URL parameters").count() == 0
    # the compare page keeps the filter when reached through the navigation
    page.locator('[data-testid="stSidebarNav"] a').first.click()
    _settle(page)
    page.wait_for_function("() => location.search.includes('org=XYZ')", timeout=10_000)
    assert "Ministry of the Environment" not in page.locator(
        '[data-testid="stMain"]').inner_text()


def test_downloads_and_the_pack(live_rollup, browser, rollup_file):
    from pptx import Presentation

    ctx = browser.new_context(viewport={"width": 1400, "height": 1000}, accept_downloads=True)
    page = ctx.new_page()
    try:
        page.goto(f"{live_rollup}/rollup-data?lang=en&org=MOE")
        _settle(page)
        with page.expect_download(timeout=60_000) as info:
            page.locator(".st-key-rollup_dl_rollup_kpi_csv button:visible").first.click()
        data = Path(info.value.path()).read_bytes()
        name = info.value.suggested_filename
        page.goto(f"{live_rollup}/?lang=en")
        _settle(page)
        with page.expect_download(timeout=60_000) as info:
            page.locator(".st-key-rollup_brief_pptx button:visible").first.click()
        pack = Path(info.value.path()).read_bytes()
    finally:
        ctx.close()
    assert name.startswith("dtp_rollup_kpi_MOE_") and name.endswith(".csv"), name
    got = pl.read_csv(io.BytesIO(data), infer_schema_length=0)
    with duckdb.connect(str(rollup_file), read_only=True) as con:
        want = con.execute("SELECT count(*) FROM rollup_kpi WHERE organisation IN "
                           "('MOE', 'ALL')").fetchall()[0][0]
    assert got.height == want and set(got["organisation"]) == {"MOE", "ALL"}
    prs = Presentation(io.BytesIO(pack))
    assert any(sh.has_table for s in prs.slides for sh in s.shapes)


def test_a_markdown_organisation_name_sends_no_request_to_its_host(hostile_rollup_file, browser):
    """Issue 28: XYZ published as ``悪意省 [今すぐ確認](http://phish.invalid/phish)
    ![x](http://beacon.invalid/beacon.png)``. Every roll-up page, in both languages and with
    the filter on XYZ: no request leaves for the sender's hosts (a Playwright request
    listener), and no link or image to them is in the page; the name is shown as text."""
    from dashboard import nav

    hosts = ("phish.invalid", "beacon.invalid")
    sent: list[str] = []
    with streamlit_app(hostile_rollup_file, DTP_EDITION="rollup") as url:
        ctx = browser.new_context(viewport={"width": 1400, "height": 1000})
        page = ctx.new_page()
        page.on("request", lambda r: sent.append(r.url))
        try:
            shown = ""
            for lang in ("ja", "en"):
                for p in nav.ROLLUP_PAGES:
                    path = "" if p.default else p.url_path
                    page.goto(f"{url}/{path}?lang={lang}&org=XYZ")
                    _settle(page)
                    assert page.locator(
                        "a[href*='phish.invalid'], img[src*='beacon.invalid']").count() == 0
                    shown += page.locator("body").inner_text().replace("\u2060", "")
        finally:
            ctx.close()
    leaked = [u for u in sent if any(h in u for h in hosts)]
    assert not leaked, leaked
    assert "[今すぐ確認](http://phish.invalid/phish)" in shown  # the name, as text
