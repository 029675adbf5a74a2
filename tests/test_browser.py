"""Real-browser tests: Playwright + Debian chromium against a live ``streamlit run`` on the
sample warehouse. Screenshots of every page go to ``test-artifacts/``.

Skipped (not failed) only when ``/usr/bin/chromium`` is missing.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from browser_support import ARTIFACTS, MARKS, serve, settle, stop, streamlit_app

PAGES = ("overview", "hiring", "training", "certification", "security", "workforce")
PATHS = {"overview": ""}  # the default page lives at "/"

pytestmark = MARKS


@pytest.fixture(scope="module")
def sample_warehouse(tmp_path_factory: pytest.TempPathFactory) -> Path:
    from pipelines import sample
    from pipelines.warehouse import build

    tmp = tmp_path_factory.mktemp("browser")
    raw = tmp / "raw"
    sample.generate(raw, staff=sample.DEFAULT_STAFF, seed=sample.DEFAULT_SEED)
    wh = tmp / "warehouse.duckdb"
    build(raw, wh)
    return wh


@pytest.fixture(scope="module")
def server(sample_warehouse: Path) -> Iterator[str]:
    with streamlit_app(sample_warehouse) as url:
        yield url


def _screenshot(page: object, name: str) -> None:
    """The whole page: Streamlit scrolls inside its main block, so grow the viewport to it."""
    ARTIFACTS.mkdir(exist_ok=True)
    height = page.evaluate("() => document.querySelector('[data-testid=\"stMain\"]')"
                           ".scrollHeight")
    size = page.viewport_size
    page.set_viewport_size({"width": size["width"], "height": min(int(height) + 40, 8000)})
    page.wait_for_timeout(800)
    page.screenshot(path=str(ARTIFACTS / name))
    page.set_viewport_size(size)


def _chart_data(page: object, index: int = 0) -> list:
    """The data of the index-th Plotly chart, read from the graph div (what is drawn)."""
    page.wait_for_function(
        f"() => document.querySelectorAll('.js-plotly-plot').length > {index}", timeout=30_000)
    return json.loads(page.evaluate(
        f"() => JSON.stringify(document.querySelectorAll('.js-plotly-plot')[{index}].data"
        ".map(t => [t.x, t.y]))"))


@pytest.mark.parametrize("name", PAGES)
def test_every_page_loads_with_a_chart(server: str, page: object, name: str) -> None:
    page.goto(f"{server}/{PATHS.get(name, name)}")
    settle(page)
    page.wait_for_selector(".js-plotly-plot, [data-testid='stMetric']", timeout=30_000)
    assert page.locator('[data-testid="stException"]').count() == 0
    if name == "overview":
        assert page.locator('[data-testid="stMetric"]').count() >= 5
        assert page.locator('[data-testid="stMetric"] svg').count() >= 1  # sparklines
    else:  # charts draw one after another: wait for the third, then count
        page.wait_for_function(
            "() => document.querySelectorAll('.js-plotly-plot').length >= 3", timeout=30_000)
        assert page.locator(".js-plotly-plot").count() >= 3
    # the banner and Japanese labels are there
    assert "サンプルデータ" in page.inner_text("body")
    _screenshot(page, f"{name}.png")


def test_english_screenshot(server: str, page: object) -> None:
    page.goto(f"{server}/hiring?lang=en&bureau=ICB&fy_from=2019&fy_to=2023")
    settle(page)
    page.wait_for_selector(".js-plotly-plot")
    assert page.locator('[data-testid="stException"]').count() == 0
    assert "Digital-talent hires" in page.inner_text("body")
    _screenshot(page, "hiring_en_ICB.png")


def test_bureau_filter_changes_url_and_chart_and_reload_restores(server: str,
                                                                 page: object) -> None:
    page.goto(f"{server}/hiring")
    settle(page)
    before = _chart_data(page)
    assert "bureau=" not in page.url

    box = page.locator('[data-testid="stMultiSelect"]').first
    box.click()
    page.keyboard.type("情報流通行政局")
    page.keyboard.press("Enter")
    page.keyboard.press("Escape")
    page.wait_for_url("**bureau=ICB**", timeout=15_000)
    settle(page)
    page.wait_for_function(
        "(b) => JSON.stringify(document.querySelector('.js-plotly-plot').data"
        ".map(t => [t.x, t.y])) !== b", arg=json.dumps(before), timeout=15_000)
    after = _chart_data(page)
    assert after != before
    url = page.url
    assert "bureau=ICB" in url

    # a reload (or the same link in another browser) restores the view
    page.reload()
    settle(page)
    assert "bureau=ICB" in page.url
    assert "情報流通行政局" in box.inner_text()
    assert _chart_data(page) == after
    page.goto(url)
    settle(page)
    assert _chart_data(page) == after

    # the filter carries across pages
    page.locator('[data-testid="stSidebarNav"] a', has_text="概要").click()
    page.wait_for_url(lambda u: "/hiring" not in u, timeout=15_000)
    settle(page)
    assert "bureau=ICB" in page.url
    assert page.locator('[data-testid="stException"]').count() == 0


def test_rebuild_while_serving(sample_warehouse: Path, page: object,
                               tmp_path: Path) -> None:
    """``pipelines build`` replaces the warehouse under a running app: requests keep working
    during the swap and the next interaction shows the new run."""
    import shutil
    import threading

    sys.path.insert(0, str(Path(__file__).parent))
    import dataset

    from pipelines.warehouse import build

    live = tmp_path / "live.duckdb"
    shutil.copy(sample_warehouse, live)
    raw = dataset.write(dataset.base(), tmp_path / "raw")
    proc, url = serve(live)
    try:
        page.goto(f"{url}/hiring?bureau=ICB")
        settle(page)
        old_run = page.inner_text("body")
        assert "情報流通行政局" in old_run
        done = threading.Event()
        errors: list[BaseException] = []

        def rebuild() -> None:
            try:
                build(raw, live)
            except BaseException as exc:  # noqa: BLE001
                errors.append(exc)
            finally:
                done.set()

        threading.Thread(target=rebuild).start()
        while not done.is_set():  # interact during the rebuild
            page.reload()
            settle(page)
            assert page.locator('[data-testid="stException"]').count() == 0
        assert not errors
        page.reload()
        settle(page)
        body = page.inner_text("body")
        assert page.locator('[data-testid="stException"]').count() == 0
        import duckdb

        with duckdb.connect(str(live), read_only=True) as con:
            new_run = con.execute("SELECT run_id FROM pipeline_runs ORDER BY started_at DESC "
                                  "LIMIT 1").fetchone()[0]
        assert new_run in body and new_run not in old_run
        assert "令和3年度 (2021)・集計中" in body  # the tiny data set's last FY
        assert "bureau=ICB" not in page.url  # a bureau the new warehouse lacks is dropped
    finally:
        stop(proc)


def test_pace_chart_and_key_messages(server: str, page: object) -> None:
    """The year in progress (sample: FY2026, as of 2026-11-20): the Overview opens with key
    messages, the hiring page draws this year's curve and the projection with its interval."""
    page.goto(server)
    settle(page)
    box = page.locator(".dtp-messages li")
    box.first.wait_for(timeout=30_000)
    assert 1 <= box.count() <= 3
    text = page.locator(".dtp-messages").inner_text()
    assert "年度末見込み" in text and "90%区間" in text
    assert "⚠ 要注意" in text  # the most at risk first, with a symbol and a word
    # beside the chance, its track record (training participants: 9 earlier years)
    assert "過去9年の同じ日の見込み: 90%区間に収まった9回中6回" in text
    page.goto(f"{server}/hiring")
    settle(page)
    page.wait_for_function(
        "() => [...document.querySelectorAll('.js-plotly-plot')].some(p => p.data.some("
        "t => t.name === '年度末見込み'))", timeout=30_000)
    traces = json.loads(page.evaluate(
        "() => JSON.stringify([...document.querySelectorAll('.js-plotly-plot')].find(p => "
        "p.data.some(t => t.name === '年度末見込み')).data.map(t => [t.name, t.x, t.y, "
        "t.line && t.line.shape]))"))
    by_name = {name: (x, y, shape) for name, x, y, shape in traces}
    assert by_name["年度末見込み"][1] == [2]
    now = next(v for k, v in by_name.items() if k and "2026" in k)
    assert now[0][-1] == 233 and now[1][-1] == 1 and now[2] == "hv"
    body = page.inner_text("body")
    assert "見込みであって約束ではありません" in body and "達成見込み" in body
    assert "過去9年の同じ日の見込み: 90%区間に収まった9回中9回" in body
    # the track record's small chart: one interval and one outcome per earlier FY
    track = json.loads(page.evaluate(
        "() => JSON.stringify([...document.querySelectorAll('.js-plotly-plot')].find(p => "
        "p.data.some(t => t.name === 'その日の見込み(90%区間)')).data.map(t => [t.name, t.x]))"))
    assert [len(x) for _, x in track] == [9, 9]  # all 9 outcomes inside
    _screenshot(page, "hiring-pace.png")
