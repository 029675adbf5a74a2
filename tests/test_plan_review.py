"""Plan generations on the dashboard (issue 18): every time chart draws the plans' periods and
says which plan set each year's target; the 計画の振り返り / Plan review page (AppTest), one plan
generation at a time, in both languages, with the previous plan's final year against the new
one's first; the review's rows (dashboard/review.py) against kpi.

Data: tests/test_plans.py's generations — p1 (FY2017-18), no plan in FY2019, p2 (FY2020-23)
and its revision p2r (adopted mid-FY2021: hires 1-2 -> 2-4, drills target dropped)."""

from __future__ import annotations

from pathlib import Path

import pytest
from conftest import build_from
from streamlit.testing.v1 import AppTest
from streamlit.util import calc_hash
from test_dashboard import APP, app, chart, no_exception, values
from test_plans import generations

from dashboard import queries, review


@pytest.fixture(scope="module")
def gen_wh(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build_from(generations(), tmp_path_factory.mktemp("review"))


def page(wh: Path, monkeypatch: pytest.MonkeyPatch, lang: str = "ja", plan: str | None = None):
    """The review page in ``lang``, with ``plan`` chosen (kept in the URL as ?plan=)."""
    at = app(wh, monkeypatch, "plan_review", lang=lang)
    if plan is not None:
        at.selectbox(key="review_plan").set_value(plan).run()
        assert at.query_params.get("plan") in (plan, None)  # (left out at its default)
    return at


def landing(wh: Path, monkeypatch: pytest.MonkeyPatch, url_path: str, **params: str):
    """A new session opened on a shared link ``/<url_path>?params``: the query string is set
    before the first run, which lands on the page itself. (``AppTest.switch_page`` before a
    first run names the page by its file name, not by the ``url_path`` st.Page hashes, so
    the request names the page's hash as a browser's would.)"""
    monkeypatch.setenv("DTP_WAREHOUSE", str(wh))
    at = AppTest.from_file(APP, default_timeout=60)
    at.query_params.update(params)
    at._page_hash = calc_hash(url_path)
    at.run()
    return at


def _run(wh: Path, monkeypatch: pytest.MonkeyPatch) -> queries.Run:
    monkeypatch.setenv("DTP_WAREHOUSE", str(wh))
    return queries.current_run(wh)


def test_hiring_chart_draws_the_plans(gen_wh, monkeypatch):
    at = app(gen_wh, monkeypatch, "hiring")
    no_exception(at)
    spec = chart(at, "chart_digital_hires")
    notes = [a["text"] for a in spec["layout"]["annotations"]]
    assert "計画p1" in notes and "計画p2" in notes  # a labelled band per plan
    assert "改定: 計画p2r" in notes  # the revision: a labelled boundary
    bands = [s for s in spec["layout"]["shapes"] if s["type"] == "rect"
             and s.get("yref") == "y domain"]
    assert [(b["x0"], b["x1"]) for b in bands] == [(2016.5, 2018.5), (2019.5, 2021.5)]
    # the target line steps where the revision changed it: FY2020 1-2 (p2), FY2021 2-4 (p2r)
    targets = sorted((s["x0"], s["y0"], s["y1"]) for s in spec["layout"]["shapes"]
                     if s["type"] == "rect" and s.get("yref", "y") == "y")
    assert targets == [(2016.5, 1, 2), (2019.5, 1, 2), (2020.5, 2, 4)]
    # hover: which plan set the year's target
    bars = spec["data"][0]
    hover = dict(zip(values(bars["x"]), (row[2] for row in bars["customdata"]), strict=True))
    assert "(計画p2r)" in hover[2021] and "(計画p2)" in hover[2020]
    assert "(計画" not in hover[2019]
    # the text alternative: the plan in force per FY (FY2019: none)
    table = at.table[0].value
    assert list(table["その年度の計画"]) == ["計画p1", "計画p1", "–", "計画p2", "計画p2r"]


@pytest.mark.parametrize("lang", ["ja", "en"])
def test_review_page(gen_wh, monkeypatch, lang):
    at = page(gen_wh, monkeypatch, lang=lang, plan="p2")
    no_exception(at)
    rows = at.dataframe[0].value
    name = "Digital-talent hires" if lang == "en" else "デジタル人材候補の採用数"
    hires = rows[rows.iloc[:, 0] == name].iloc[0]
    # FY2020 met (1 in 1-2), FY2021 in progress
    assert list(hires.iloc[1:4]) == [1, 0, 0]
    history = hires.iloc[6]
    assert ("1–2 → 2–4" if lang == "en" else "1〜2") in history
    assert ("revised" if lang == "en" else "改定") in history
    # still in force: "to date"
    assert ("to date" if lang == "en" else "現時点") in hires.iloc[7]
    # the previous plan p1 (FY2018) against p2's first year (FY2020)
    assert len(at.dataframe) == 2
    handover = at.dataframe[1].value
    assert handover.columns[1].endswith("2018" if lang == "en" else "平成30年度 (2018)")
    assert at.get("download_button")


def test_review_url_state_and_revision_id(gen_wh, monkeypatch):
    """?plan= names the generation; a revision's id is not a choice of its own."""
    at = page(gen_wh, monkeypatch, plan="p1")
    no_exception(at)
    assert at.selectbox(key="review_plan").value == "p1"
    assert at.selectbox(key="review_plan").options == ["計画p1", "計画p2"]
    assert len(at.dataframe) == 1  # no plan before p1


def test_review_rows_come_from_kpi(gen_wh, monkeypatch):
    run = _run(gen_wh, monkeypatch)
    gens = review.generations(run, "en")
    assert [(g.plan_id, g.fy_from, g.fy_to, len(g.plans)) for g in gens] == [
        ("p1", 2017, 2018, 1), ("p2", 2020, 2023, 2)]
    r = review.review(run, "en", gens[1])
    assert r.years == (2020, 2021) and not r.ended
    drills = r.rows.filter(r.rows["Metric"] == "Phishing drills held").row(0, named=True)
    assert drills["Target across revisions"] == "at least 4 → no target (revised 2021-10-15)"
    ended = review.review(run, "en", gens[0])
    assert ended.ended and ended.years == (2017, 2018)


def test_review_of_the_implicit_plan(tiny_warehouse, monkeypatch):
    at = page(tiny_warehouse, monkeypatch, lang="en")
    no_exception(at)
    assert at.selectbox(key="review_plan").options == ["The plan"]


@pytest.mark.parametrize("lang", ["ja", "en"])
def test_a_shared_link_opens_the_review_on_its_plan(gen_wh, monkeypatch, lang):
    """?plan= was dropped before the page ran (not in state.PAGE_PARAMS) and reported as
    ignored: the page opened on its default plan (p1, the latest ended one)."""
    at = landing(gen_wh, monkeypatch, "review", plan="p2", lang=lang)
    no_exception(at)
    assert at.selectbox(key="review_plan").value == "p2"
    assert at.query_params.get("plan") == "p2"  # the link stays shareable
    assert [h.value for h in at.header] == ["計画p2" if lang == "ja" else "Plan p2"]
    notices = " ".join(str(c.value) for c in at.sidebar.caption)
    assert "⚠️" not in notices and not at.toast


def test_a_link_naming_a_revision_opens_its_generation(gen_wh, monkeypatch):
    at = landing(gen_wh, monkeypatch, "review", plan="p2r")
    no_exception(at)
    assert at.selectbox(key="review_plan").value == "p2"
    assert at.query_params.get("plan") == "p2"
    assert not at.toast


def test_a_link_with_an_unknown_plan_says_so(gen_wh, monkeypatch):
    at = landing(gen_wh, monkeypatch, "review", plan="zz<script>")
    no_exception(at)
    assert at.selectbox(key="review_plan").value == "p1"  # the default
    assert "plan" not in at.query_params
    assert any("plan" in str(t.value) for t in at.toast)
