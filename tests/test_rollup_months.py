"""The roll-up edition across months (issue 24 item 3), on a store of the two conftest
organisations' packs over three months (each pack's as-of date moved into the month: the
sample has one), XYZ not sending October and MOE sending November twice: ``?month=`` (default
the latest) on every page, the months view of a metric, the submissions table."""

from __future__ import annotations

import datetime as dt
import shutil
from pathlib import Path

import duckdb
import polars as pl
import pytest
from packs import move_as_of
from streamlit.testing.v1 import AppTest
from streamlit.util import calc_hash

from dashboard import fmt, nav
from dashboard.rollup import ui as rui
from pipelines.__main__ import main
from release import i18n

APP = str(Path(__file__).resolve().parent.parent / "dashboard" / "app.py")
PAGES = {p.url_path: p for p in nav.ROLLUP_PAGES}
MONTHS = {"2026-09": "2026-09-30", "2026-10": "2026-10-31", "2026-11": "2026-11-20"}


def q(path: Path, sql: str, **params: object) -> pl.DataFrame:
    with duckdb.connect(str(path), read_only=True) as con:
        return con.sql(sql, params=params or None).pl()


def _moved(pack: Path, to: Path, as_of: str) -> Path:
    """A copy of ``pack`` as of ``as_of``, in every file that records it (one story)."""
    return move_as_of(Path(shutil.copytree(pack, to)), as_of)


@pytest.fixture(scope="module")
def months_file(rollup_packs, tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("rollup-months")
    store = root / "store"
    for month, as_of in MONTHS.items():
        for pack in rollup_packs:
            code = pack.name.removeprefix("pack-")
            if (code, month) == ("XYZ", "2026-10"):
                continue
            moved = _moved(pack, root / f"{code}-{month}", as_of)
            assert main(["rollup", "accept", str(moved), "--store", str(store),
                         "--submitted-by", f"{code.lower()}@example.go.jp"]) == 0
    again = _moved(rollup_packs[0], root / "MOE-again", "2026-11-25")
    assert main(["rollup", "accept", str(again), "--store", str(store),
                 "--submitted-by", "second@example.go.jp"]) == 0
    out = root / "rollup.duckdb"
    assert main(["rollup", "--store", str(store), "--out", str(out)]) == 0
    return out


def open_page(path: Path, url_path: str, monkeypatch: pytest.MonkeyPatch,
              **params: str) -> AppTest:
    monkeypatch.setenv("DTP_WAREHOUSE", str(path))
    monkeypatch.setenv("DTP_EDITION", "rollup")
    at = AppTest.from_file(APP, default_timeout=120)
    at.query_params.update(params)
    at._page_hash = calc_hash(url_path)
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    assert not at.error, [e.value for e in at.error]
    return at


@pytest.mark.parametrize("url_path", list(PAGES))
def test_every_page_shows_the_month_from_the_url(months_file, monkeypatch, url_path):
    at = open_page(months_file, url_path, monkeypatch, lang="en", month="2026-10")
    assert at.selectbox(key=rui.K_MONTH).value == "2026-10"
    assert at.query_params.get("month") == "2026-10"
    assert not at.toast
    warned = " ".join(w.value for w in at.warning)
    assert "Not sent for Oct 2026" in warned and "XYZ" in warned or "Ministry" not in warned


def test_the_default_month_is_the_latest_and_a_bogus_one_is_ignored(months_file, monkeypatch):
    at = open_page(months_file, "compare", monkeypatch, lang="en")
    assert at.selectbox(key=rui.K_MONTH).value == "2026-11"
    assert "month" not in at.query_params and not at.warning
    at = open_page(months_file, "compare", monkeypatch, lang="en", month="1999-01'--")
    assert at.selectbox(key=rui.K_MONTH).value == "2026-11"
    assert "month" in " ".join(t.value for t in at.toast)
    assert "month" not in at.query_params


def test_a_month_shows_that_months_packs_only(months_file, monkeypatch):
    """October: XYZ did not send, so its column of the compare matrix is empty (never last
    month's figures), and the government-wide rows are MOE's own (the total over that month's
    senders)."""
    at = open_page(months_file, "compare", monkeypatch, lang="en", month="2026-10")
    matrix = at.dataframe[0].value
    assert set(matrix["Organisation XYZ"]) == {fmt.MISSING}
    assert set(matrix["Ministry of the Environment"]) != {fmt.MISSING}
    at = open_page(months_file, "government", monkeypatch, lang="en", month="2026-10",
                   metric="digital_hires")
    total = q(months_file, "SELECT fiscal_year, value, flag, policy FROM rollup_kpi WHERE month "
              "= '2026-10' AND organisation = 'ALL' AND metric = 'digital_hires' ORDER BY 1")
    moe = q(months_file, "SELECT fiscal_year, value, flag FROM rollup_kpi WHERE month = "
            "'2026-10' AND organisation = 'MOE' AND metric = 'digital_hires' "
            "AND bureau_code IS NULL ORDER BY 1")
    assert total.drop("policy").rows() == [(f, v, "S" if g == "C" else g)
                                           for f, v, g in moe.rows()]
    table = at.dataframe[1].value
    assert len(table) == total.height
    for (_, line), r in zip(table.iterrows(), total.iter_rows(named=True), strict=True):
        assert line["Value"] == (fmt.value(r["value"], False)
                                 + (" (P)" if r["policy"] == "P" else "") if r["flag"] == "F"
                                 else f"[c] ({r['flag']})")


@pytest.mark.parametrize("lang", ["ja", "en"])
def test_the_months_view_of_a_metric(months_file, monkeypatch, lang):
    metric = "new_hire_a_level_rate"
    at = open_page(months_file, "months", monkeypatch, lang=lang, metric=metric)
    assert at.query_params.get("metric") == metric
    table = at.dataframe[0].value
    labels = [rui.month_label(m, lang) for m in MONTHS]
    assert list(table.columns) == [i18n.t("rollup_org", lang), *labels]
    names = dict(q(months_file, "SELECT organisation, name_ja, name_en FROM "
                   "rollup_organisations").select("organisation", f"name_{lang}").iter_rows())
    names["ALL"] = i18n.t("rollup_all", lang)
    assert list(table.iloc[:, 0]) == [names["ALL"], names["MOE"], names["XYZ"]]
    rows = q(months_file, "SELECT month, organisation, value, flag, status FROM rollup_kpi "
             "WHERE metric = $m AND fiscal_year = 2026 AND bureau_code IS NULL", m=metric)
    by = {(r["month"], r["organisation"]): r for r in rows.iter_rows(named=True)}
    for _, line in table.iterrows():
        org = next(c for c, n in names.items() if n == line.iloc[0])
        for month, label in zip(MONTHS, labels, strict=True):
            r = by.get((month, org))
            if (month, org) == ("2026-10", "XYZ"):
                assert r is None and line[label] == i18n.t("rollup_not_sent_cell", lang)
            elif r["flag"] != "F":
                assert line[label] == f"[c] ({r['flag']})"
            else:
                assert line[label].startswith(fmt.value(r["value"], True)), (org, month)
    assert at.get("plotly_chart")


def test_the_submissions_table(months_file, monkeypatch):
    at = open_page(months_file, "submissions", monkeypatch, lang="en")
    matrix = at.dataframe[0].value
    assert list(matrix.columns) == ["Organisation", "Nov 2026", "Oct 2026", "Sep 2026"]
    xyz = matrix[matrix["Organisation"].str.contains("XYZ") | ~matrix["Organisation"].str
                 .contains("Environment")].iloc[0]
    assert xyz["Oct 2026"] == "not sent" and xyz["Sep 2026"].startswith("as of")
    every = at.dataframe[1].value
    assert len(every) == 6  # five first packs and MOE's second November
    assert set(every["Sent by"]) == {"moe@example.go.jp", "xyz@example.go.jp",
                                     "second@example.go.jp"}
    nov_moe = every[(every["Month"] == "Nov 2026") & every["Organisation"].str.contains(
        "Environment")]
    assert list(nov_moe["State"]) == ["in use", "replaced"]  # newest first
    assert list(nov_moe["Sent by"]) == ["second@example.go.jp", "moe@example.go.jp"]
    assert list(nov_moe["Data as of"]) == [fmt.date(dt.date(2026, 11, 25), "en"),
                                           fmt.date(dt.date(2026, 11, 20), "en")]
