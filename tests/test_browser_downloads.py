"""Real browser (Debian chromium through Playwright) against a live ``streamlit run``: change the
filters of the data page, click the CSV download, and check the file holds only those rows."""

from __future__ import annotations

import io
from pathlib import Path
from urllib.parse import unquote

import duckdb
import openpyxl
import polars as pl
import pytest
from browser_support import ARTIFACTS, MARKS, idle, streamlit_app

pytestmark = MARKS


@pytest.fixture(scope="module")
def live_app(tiny_warehouse):
    with streamlit_app(tiny_warehouse) as url:
        yield url


def _pick(page, key: str, option: str, url_part: str, rows: int) -> None:  # noqa: ANN001
    """Choose ``option`` in the multiselect whose widget key is ``key``; wait until the app
    has rerun: the choice is in the URL and the row count is ``rows``. A click that lands
    while the previous rerun is still redrawing the widget is retried."""
    from playwright.sync_api import TimeoutError as PlaywrightTimeout

    for attempt in range(3):
        page.locator(f".st-key-{key} input[role='combobox']").click()
        choice = page.get_by_role("option", name=option, exact=True)
        if attempt == 0:
            choice.click()
        else:  # the earlier click may have landed after all: the option is gone then
            page.wait_for_timeout(500)
            if choice.count():
                choice.click()
        page.keyboard.press("Escape")
        try:
            page.wait_for_url(lambda u: url_part in unquote(u), timeout=10_000)
            break
        except PlaywrightTimeout:
            if attempt == 2:
                raise
    _wait_rows(page, rows)
    idle(page)


def _wait_rows(page, rows: int) -> None:  # noqa: ANN001
    page.wait_for_function(
        "n => document.querySelector('[data-testid=\"stMetricValue\"]')"
        "?.innerText.trim() === n", arg=f"{rows:,}", timeout=30_000)


def test_filtered_csv_download_in_a_real_browser(live_app, browser, tiny_warehouse):
    with duckdb.connect(str(tiny_warehouse), read_only=True) as con:
        def count(where: str) -> int:
            return con.execute(f"SELECT count(*) FROM stg_training {where}").fetchall()[0][0]

        total = count("")
        b1 = count("WHERE bureau_code = 'B1'")
        b1_it = count("WHERE bureau_code = 'B1' AND category = 'unified_it'")
        # a download names the bureau (in the page's language) right after bureau_code, the
        # last column of stg_training
        want = con.sql("SELECT *, '第一局' AS bureau_name FROM stg_training "
                       "WHERE bureau_code = 'B1' AND category IN "
                       "('unified_it', 'security_elearning') ORDER BY fiscal_year, record_id"
                       ).pl()
    assert 0 < want.height < total

    ctx = browser.new_context(accept_downloads=True, locale="ja-JP",
                              viewport={"width": 1400, "height": 1000})
    page = ctx.new_page()
    try:
        page.goto(f"{live_app}/data?dataset=stg_training")
        page.locator('[data-testid="stMetricValue"]').first.wait_for(timeout=60_000)
        idle(page)
        _wait_rows(page, total)

        # change filters: one bureau in the sidebar, two categories on the page
        _pick(page, "bureaus", "第一局", "bureau=B1", b1)
        _pick(page, "data_f_category", "unified_it", "f_category=unified_it", b1_it)
        _pick(page, "data_f_category", "security_elearning",
              "f_category=unified_it,security_elearning", want.height)
        assert "bureau=B1" in page.url
        ARTIFACTS.mkdir(exist_ok=True)
        page.screenshot(path=str(ARTIFACTS / "data-page-filtered.png"), full_page=True)

        with page.expect_download(timeout=60_000) as info:
            page.locator(".st-key-data_dl_csv button").click()
        download = info.value
        name = download.suggested_filename
        data = Path(download.path()).read_bytes()
        with page.expect_download(timeout=60_000) as info:
            page.locator(".st-key-data_dl_xlsx button").click()
        xlsx = openpyxl.load_workbook(io.BytesIO(Path(info.value.path()).read_bytes()))
        xlsx_name = info.value.suggested_filename
    except Exception:
        ARTIFACTS.mkdir(exist_ok=True)
        page.screenshot(path=str(ARTIFACTS / "data-page-failure.png"), full_page=True)
        raise
    finally:
        ctx.close()

    assert name.startswith("dtp_stg_training_B1_") and name.endswith(".csv"), name
    assert "category-" in name and "asof" in name
    assert data.startswith(b"\xef\xbb\xbf")
    got = pl.read_csv(io.BytesIO(data[3:]), schema=want.schema)
    assert got.equals(want)
    assert set(got["bureau_code"]) == {"B1"}
    assert set(got["bureau_name"]) == {"第一局"}
    assert set(got["category"]) <= {"unified_it", "security_elearning"}
    # the Excel file: same rows, and its about sheet names the filters
    assert xlsx_name == name.removesuffix(".csv") + ".xlsx"
    records = [r[0] for r in xlsx["data"].iter_rows(min_row=2, values_only=True)]
    assert records == want["record_id"].to_list()
    about = " ".join(str(c) for r in xlsx["about"].iter_rows(values_only=True) for c in r if c)
    for text in ("stg_training", "B1", "unified_it", "security_elearning"):
        assert text in about, text
