"""The Plan review page in a real browser (Debian chromium through Playwright, issue 18): a
shared link ``/review?plan=ID`` opens the page on that plan (the URL keeps it, no notice), and
its downloads — the briefing pack with the review as a section, and the review's CSV — give
the warehouse's numbers. Data: tests/test_brief.py's plan generations (p1, no plan in FY2019,
p2 and its revision p2r)."""

from __future__ import annotations

from pathlib import Path

import pytest
from browser_support import MARKS, settle, streamlit_app
from conftest import build_from
from test_brief import check_review_rows, open_pptx, review_slides, table_of
from test_plans import generations

pytestmark = MARKS


@pytest.fixture(scope="module")
def review_wh(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build_from(generations(), tmp_path_factory.mktemp("browser_review"))


@pytest.fixture(scope="module")
def live_app(review_wh):
    with streamlit_app(review_wh) as url:
        yield url


@pytest.mark.parametrize("lang", ["ja", "en"])
def test_a_shared_link_opens_the_plan_it_names(live_app, browser, lang):
    ctx = browser.new_context(viewport={"width": 1400, "height": 1000})
    page = ctx.new_page()
    try:
        page.goto(f"{live_app}/review?plan=p2&lang={lang}")
        settle(page)
        main = page.locator('[data-testid="stMain"]')
        assert main.locator("h2").first.inner_text().strip() == (
            "計画p2" if lang == "ja" else "Plan p2")
        assert "plan=p2" in page.url
        sidebar = page.locator('[data-testid="stSidebar"]').inner_text()
        assert "⚠️" not in sidebar  # no "ignored: plan" notice
        box = page.locator(".st-key-review_plan input")
        assert box.input_value() == ("計画p2" if lang == "ja" else "Plan p2")
    finally:
        ctx.close()


def test_the_review_page_downloads_the_pack_and_the_csv(live_app, browser, review_wh):
    ctx = browser.new_context(viewport={"width": 1400, "height": 1000}, accept_downloads=True)
    page = ctx.new_page()
    try:
        page.goto(f"{live_app}/review?plan=p2&lang=en")
        settle(page)
        with page.expect_download(timeout=60_000) as info:
            # (Streamlit draws a button with help text twice: in and out of its tooltip)
            page.locator(".st-key-review_brief_pptx button:visible").first.click()
        pack = Path(info.value.path()).read_bytes()
        pack_name = info.value.suggested_filename
        with page.expect_download(timeout=60_000) as info:
            page.locator(".st-key-review_download button:visible").first.click()
        csv = Path(info.value.path()).read_bytes()
    finally:
        ctx.close()
    assert pack_name.startswith("briefing_en_all_") and "_plan-p2_" in pack_name, pack_name
    review, _handover = review_slides(open_pptx(pack))
    check_review_rows(table_of(review), review_wh, "p2", "en")
    lines = csv.decode("utf-8-sig").splitlines()
    assert lines[0].startswith("Metric,Years met,Years below,Years above")
    assert len(lines) == len(table_of(review))  # header + one line per metric, as the pack
