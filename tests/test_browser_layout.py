"""Charts as they are drawn (issues 25 and 29): in the real browser, on every page with charts,
no two texts of one chart collide, none is cut off at the chart's edge, and every FY drawn has
its tick label; bar values are 10 px or left out, and no Plotly toolbar lies over a chart.
Measured from the rendered SVG (``chart_layout.MEASURE``) on the sample and on
the sample with its plan revised one year after the plan's start (the plan-period labels
closest together), in both languages, on a phone (390×844), a tablet (768×1024), a laptop with
the sidebar collapsed (1280×900) and a desktop (1,400 px).

Skipped (not failed) only when ``/usr/bin/chromium`` is missing.
"""

from __future__ import annotations

import csv
from collections.abc import Iterator
from pathlib import Path

import pytest
from browser_support import ARTIFACTS, MARKS, settle, streamlit_app
from chart_layout import measure

pytestmark = MARKS

PAGES = ("hiring", "training", "security", "certification", "workforce", "review")
SIZES = {"phone": (390, 844), "tablet": (768, 1024), "laptop": (1280, 900),
         "desktop": (1400, 1000)}


def _build(tmp: Path, revise_after_one_year: bool) -> Path:
    from pipelines import sample
    from pipelines.warehouse import build

    raw = tmp / "raw"
    sample.generate(raw, staff=sample.DEFAULT_STAFF, seed=sample.DEFAULT_SEED)
    if revise_after_one_year:  # r3 (FY2021–24) revised from FY2022, not FY2023
        for name, fy_col in (("plans.csv", "fy_from"), ("plan_targets.csv", "fy_from")):
            path = raw / name
            with open(path, newline="", encoding="utf-8") as fh:
                rows = list(csv.DictReader(fh))
            for r in rows:
                if r.get("plan_id") == "r3-rev1":
                    r[fy_col] = "2022"
                    if name == "plans.csv":
                        r["adopted_on"] = "2022-07-28"
                        r["title_ja"] = r["title_ja"].replace("令和5年度", "令和4年度")
                        r["title_en"] = r["title_en"].replace("FY2023", "FY2022")
            with open(path, "w", newline="", encoding="utf-8") as fh:
                w = csv.DictWriter(fh, fieldnames=list(rows[0]))
                w.writeheader()
                w.writerows(rows)
    wh = tmp / "warehouse.duckdb"
    build(raw, wh)
    return wh


@pytest.fixture(scope="module", params=["sample", "revised"])
def app_url(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
            ) -> Iterator[tuple[str, str]]:
    wh = _build(tmp_path_factory.mktemp(f"layout-{request.param}"), request.param == "revised")
    with streamlit_app(wh) as url:
        yield request.param, url


def _collapse_sidebar(page: object) -> None:
    page.evaluate("() => { const b = document.querySelector("
                  "'[data-testid=\"stSidebarCollapseButton\"] button');"
                  " if (b && b.getAttribute('aria-expanded') === 'true') b.click(); }")
    page.wait_for_timeout(500)


@pytest.mark.parametrize("lang", ["ja", "en"])
@pytest.mark.parametrize("size", list(SIZES))
def test_chart_texts_never_collide(app_url: tuple[str, str], browser: object, size: str,
                                   lang: str) -> None:
    data, url = app_url
    # (CI time: the widths between in one language each; the revised plan at 390 and 1,400 px)
    if (size, lang) in (("tablet", "en"), ("laptop", "ja")) or (
            data == "revised" and size in ("tablet", "laptop")):
        pytest.skip("covered by the other language, or by the sample, at this width")
    width, height = SIZES[size]
    ctx = browser.new_context(viewport={"width": width, "height": height})
    page = ctx.new_page()
    problems = []
    try:
        for path in PAGES:
            page.goto(f"{url}/{path}?lang={lang}")
            settle(page)
            if size == "laptop":
                _collapse_sidebar(page)
            charts = measure(page)
            assert charts or path == "review", f"/{path}: no chart drawn"
            for c in charts:
                for kind in ("collisions", "cut", "missing", "small"):
                    if c[kind]:
                        problems.append(f"/{path} {c['name']} ({c['width']:.0f} px) {kind}: "
                                        + "; ".join(c[kind][:4]))
            if problems and not (ARTIFACTS / f"layout-{data}-{size}-{lang}.png").exists():
                ARTIFACTS.mkdir(exist_ok=True)
                page.screenshot(path=str(ARTIFACTS / f"layout-{data}-{size}-{lang}.png"),
                                full_page=True)
    finally:
        ctx.close()
    assert not problems, "\n".join(problems)


# --- phones and tablets (issue 29) ------------------------------------------------------------

SMALL_TARGETS = r"""() => [...document.querySelectorAll(
    'button, a[href], summary, [data-baseweb="select"] > div')].filter(e => {
  const b = e.getBoundingClientRect();
  if (b.width === 0 || b.height === 0 || b.right <= 0 || b.left >= innerWidth) return false;
  if (getComputedStyle(e).visibility === 'hidden') return false;
  if (e.closest('[data-testid="stMarkdownContainer"], [data-testid="stCaptionContainer"]'))
    return false;  // a link in running text
  if (e.matches('button') && e.closest('[data-baseweb="select"]')) return false;  // in a select
  if (e.closest('[data-testid="stSkipLink"], [data-testid="stSkipToContent"]')
      || e.getAttribute('data-testid') === 'stSkipToContent') return false;
  if (e.closest('[data-testid="stElementToolbar"]')) return false;  // appears on hover only
  return b.width < 44 || b.height < 44;
}).map(e => (e.getAttribute('aria-label') || e.innerText || e.tagName).trim().slice(0, 40)
        + ' ' + Math.round(e.getBoundingClientRect().width) + '×'
        + Math.round(e.getBoundingClientRect().height))"""

CUT_VALUES = r"""() => [...document.querySelectorAll('[data-testid="stMetricValue"]')]
  .filter(e => [e, ...e.querySelectorAll('*')].some(x => x.scrollWidth > x.clientWidth + 1))
  .map(e => e.innerText)"""


def _overview(url: str, browser: object, width: int, height: int, lang: str = "ja",
              **ctx_options: object) -> tuple[object, object]:
    ctx = browser.new_context(viewport={"width": width, "height": height}, **ctx_options)
    page = ctx.new_page()
    page.goto(f"{url}/?lang={lang}")
    settle(page)
    return ctx, page


@pytest.mark.parametrize("lang", ["ja", "en"])
def test_phone_overview_answers_first(app_url: tuple[str, str], browser: object,
                                      lang: str) -> None:
    """390×844 touch phone: the first key message ends within the first screen; touch targets
    are 44 px; no KPI value is cut; the scorecard is a list; no emoji in the local-mode line."""
    _, url = app_url
    ctx, page = _overview(url, browser, 390, 844, lang, has_touch=True, is_mobile=True)
    try:
        first = page.locator(".dtp-messages li").first
        first.wait_for(timeout=30_000)
        box = first.bounding_box()
        assert box["y"] + box["height"] <= 844, f"first key message ends at {box}"
        assert page.evaluate(SMALL_TARGETS) == []
        assert page.evaluate(CUT_VALUES) == []
        assert page.locator(".dtp-scorecard-list").is_visible()
        assert not page.locator(".st-key-scorecard_table").is_visible()
        assert "🔓" not in page.locator('[data-testid="dtp-local-mode"]').inner_text()
        page.locator('[data-testid="stExpandSidebarButton"]').click()  # 44 px, then opens
        page.locator('[data-testid="stSidebar"][data-collapsed="false"]').wait_for()
        page.wait_for_timeout(500)  # its slide-in
        cut = page.evaluate("""() => {
          const sb = document.querySelector('[data-testid="stSidebar"]').getBoundingClientRect();
          return [...document.querySelectorAll('[data-testid="stSidebar"] '
            + '[data-testid="stSliderThumbValue"]')].filter(e => {
              const r = e.getBoundingClientRect();
              return r.left < sb.left - 1 || r.right > sb.right + 1; }).map(e => e.innerText);
        }""")
        assert cut == []  # the FY span's labels inside the sidebar
    finally:
        ctx.close()


@pytest.mark.parametrize("size", [(768, 1024), (1280, 900)])
def test_collapsed_sidebar_takes_nothing(app_url: tuple[str, str], browser: object,
                                         size: tuple[int, int]) -> None:
    """Tablet and laptop, the sidebar collapsed: the content has the whole width, and the KPI
    cards and briefing buttons show their text uncut."""
    _, url = app_url
    ctx, page = _overview(url, browser, *size)
    try:
        _collapse_sidebar(page)
        sidebar = page.locator('[data-testid="stSidebar"]').bounding_box()
        assert sidebar is None or sidebar["x"] + sidebar["width"] <= 1
        main = page.locator('[data-testid="stMain"]').bounding_box()
        assert main["x"] <= 1 and main["width"] >= size[0] - 20
        page.locator('[data-testid="stMetricValue"]').first.wait_for()
        assert page.evaluate(CUT_VALUES) == []
        cut = page.evaluate("""() => [...document.querySelectorAll(
            '.stDownloadButton button p')].filter(p => p.scrollWidth > p.clientWidth + 1)
            .map(p => p.innerText)""")
        assert cut == []
    finally:
        ctx.close()


def test_multiselect_speaks_the_page_language(app_url: tuple[str, str],
                                              browser: object) -> None:
    """Streamlit's English "Select all" is not offered on the bureau selector."""
    _, url = app_url
    ctx, page = _overview(url, browser, 1400, 1000)
    try:
        page.locator('[data-testid="stSidebar"] [data-testid="stMultiSelect"]').first.click()
        page.locator('[data-testid="stMultiSelectDropdown"] [role="option"]').nth(1).wait_for()
        assert not page.locator('[data-key="__select_all__"]').is_visible()
        assert "Select all" not in page.locator(
            '[data-testid="stMultiSelectDropdown"]').inner_text()
    finally:
        ctx.close()
