"""The public edition in a real browser (Playwright + Debian chromium): the pages a ministry
website would serve show protected cells as [c], offer no Data quality page, no run id and
no row-level dataset."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from browser_support import MARKS, settle, streamlit_app

pytestmark = MARKS
ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="module")
def public_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """Served as the README deploys it: the pack's ``public.duckdb`` (``publish``), without the
    personnel warehouse (the edition's on-demand file is tested in test_public_edition.py)."""
    from pipelines.warehouse import build
    from release import publication

    root = tmp_path_factory.mktemp("public")
    build(ROOT / "data" / "raw", root / "warehouse.duckdb")
    pack = publication.write_pack(root / "warehouse.duckdb", root / "publication", 5)
    (root / "warehouse.duckdb").unlink()
    with streamlit_app(pack.out_dir / "public.duckdb", DTP_EDITION="public") as url:
        yield url


def test_public_overview_shows_c_and_no_internals(public_server: str, page: object) -> None:
    page.goto(f"{public_server}/?bureau=AEB")
    settle(page, 90_000)
    page.wait_for_selector('[data-testid="stMetric"]', timeout=60_000)
    assert page.locator('[data-testid="stException"]').count() == 0
    body = page.inner_text("body")
    assert "[c]" in body
    assert "データ品質" not in body and "実行ID" not in body  # no quality page, no run id


def test_public_data_page_offers_publication_data_only(public_server: str,
                                                       page: object) -> None:
    page.goto(f"{public_server}/data?dataset=stg_roster")
    settle(page, 90_000)
    page.wait_for_selector('[data-testid="stDataFrame"]', timeout=90_000)
    assert page.locator('[data-testid="stException"]').count() == 0
    box = page.locator('[data-testid="stSelectbox"]').filter(has_text="データセット").first
    box.click()
    page.wait_for_selector('[role="option"]', timeout=30_000)
    options = page.locator('[role="option"]').all_inner_texts()
    assert any("kpi" in o for o in options) and any("mart_" in o for o in options)
    assert not [o for o in options if "stg_" in o]


def test_quality_page_is_not_served(public_server: str, page: object) -> None:
    page.goto(f"{public_server}/quality")
    settle(page, 90_000)
    assert "validation" not in page.inner_text("body").lower()
    assert "データ品質" not in page.inner_text("body")


def test_public_edition_on_a_warehouse_prepares_in_a_worker_and_refreshes_itself(
        tiny_warehouse: Path, tmp_path: Path, page: object) -> None:
    """On an internal warehouse the first visit says the figures are being prepared (a worker
    process makes the protected file) and the page shows them by itself when they are ready,
    without a reload; nothing of the warehouse is shown meanwhile."""
    import shutil

    wh = tmp_path / "warehouse.duckdb"
    shutil.copy(tiny_warehouse, wh)
    with streamlit_app(wh, DTP_EDITION="public",
                       DTP_PUBLIC_CACHE=str(tmp_path / "cache")) as url:
        page.goto(url)
        page.get_by_text("公表用の集計値を準備しています").wait_for(timeout=60_000)
        assert page.locator('[data-testid="stMetric"]').count() == 0
        page.wait_for_selector('[data-testid="stMetric"]', timeout=240_000)  # no reload
        assert page.locator('[data-testid="stException"]').count() == 0
        assert "準備しています" not in page.inner_text("body")
    assert list((tmp_path / "cache").glob("*.duckdb"))
