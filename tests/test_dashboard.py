"""Dashboard tests with Streamlit's AppTest on a small real warehouse (tests/dataset.py).

Every page, in both languages, with all bureaus, one bureau and a bogus query string: no
exception, and the numbers shown equal the warehouse's ``kpi`` table.
"""

from __future__ import annotations

import base64
import json
import os
import shutil
from pathlib import Path

import dataset
import duckdb
import numpy as np
import pytest
from conftest import build_from
from streamlit.testing.v1 import AppTest

from dashboard import fmt, queries
from dashboard.fmt import fy_label
from pipelines.schema import METRIC_BY_CODE, METRICS
from release import i18n

APP = str(Path(__file__).resolve().parent.parent / "dashboard" / "app.py")
PAGES = ("overview", "hiring", "training", "certification", "security", "workforce")
BOGUS = {"bureau": "XX;DROP TABLE kpi", "fy_from": "abc", "fy_to": "1999", "lang": "fr",
         "foo": "<script>", "fy": "zz"}
SCENARIOS = {
    "all": {},
    "one_bureau": {"bureau": "B1"},
    "span": {"bureau": "B2", "fy_from": "2021", "fy_to": "2021"},
    "bogus": BOGUS,
}


# --- helpers ------------------------------------------------------------------------------------

def app(wh: Path, monkeypatch: pytest.MonkeyPatch, page: str = "overview",
        **params: str) -> AppTest:
    monkeypatch.setenv("DTP_WAREHOUSE", str(wh))
    at = AppTest.from_file(APP, default_timeout=60)
    at.query_params.update(params)
    at.run()
    if page != "overview":
        at.switch_page(f"views/{page}.py")
        at.run()
    return at


def chart(at: AppTest, key: str) -> dict:
    for el in at.get("plotly_chart"):
        if el.proto.id.endswith(f"-{key}"):
            return json.loads(el.proto.spec)
    raise AssertionError(f"no chart {key}: {[e.proto.id for e in at.get('plotly_chart')]}")


def values(arr: object) -> list:
    """Plotly JSON arrays may be plain lists or typed arrays ({dtype, bdata})."""
    if isinstance(arr, dict) and "bdata" in arr:
        return np.frombuffer(base64.b64decode(arr["bdata"]), dtype=arr["dtype"]).tolist()
    return list(arr)


def kpi(wh: Path, metric: str, bureaus: list[str] | None = None) -> dict[int, float | None]:
    """The expected values, straight from the warehouse: the ministry row, or counts summed /
    rates recomputed as sum(numerator)/sum(denominator) over the bureaus' rows."""
    with duckdb.connect(str(wh), read_only=True) as con:
        if bureaus is None:
            rows = con.execute("SELECT fiscal_year, value FROM kpi WHERE metric = ? AND "
                               "bureau_code IS NULL ORDER BY 1", [metric]).fetchall()
        elif METRIC_BY_CODE[metric].is_rate:
            rows = con.execute("SELECT fiscal_year, CASE WHEN sum(denominator) > 0 THEN "
                               "sum(numerator) / sum(denominator) END FROM kpi WHERE metric = ? "
                               "AND list_contains(?, bureau_code) GROUP BY 1 ORDER BY 1",
                               [metric, bureaus]).fetchall()
        else:
            rows = con.execute("SELECT fiscal_year, sum(numerator) FROM kpi WHERE metric = ? "
                               "AND list_contains(?, bureau_code) GROUP BY 1 ORDER BY 1",
                               [metric, bureaus]).fetchall()
    return dict(rows)


def no_exception(at: AppTest) -> None:
    assert not at.exception, [e.value for e in at.exception]


def text_of(at: AppTest) -> str:
    parts = [str(getattr(e, "value", "")) for kind in ("markdown", "caption", "title",
                                                       "subheader", "info", "warning")
             for e in at.get(kind)]
    parts += [e.proto.body for e in at.get("html")]
    return "\n".join(parts)


# --- every page, both languages, all / one bureau / bogus ----------------------------------------

@pytest.mark.parametrize("scenario", list(SCENARIOS))
@pytest.mark.parametrize("lang", ["ja", "en"])
@pytest.mark.parametrize("page", PAGES)
def test_page_renders(tiny_warehouse: Path, monkeypatch: pytest.MonkeyPatch, page: str,
                      lang: str, scenario: str) -> None:
    params = dict(SCENARIOS[scenario])
    if lang == "en":
        params["lang"] = "en"  # (in the bogus scenario this replaces lang=fr)
    at = app(tiny_warehouse, monkeypatch, page, **params)
    no_exception(at)
    shown = text_of(at)
    # header: as-of date, last run, the sample banner (tests/dataset.py is not the sample)
    assert ("データ基準日" if params.get("lang") != "en" else "Data as of") in shown
    if page != "overview":
        assert len(at.get("plotly_chart")) >= 3
        # every chart has its one-line caption right after it
        assert len(at.caption) >= len(at.get("plotly_chart"))
    else:
        assert len(at.metric) == 5  # the five metrics with a target in dataset.plan_targets
    if scenario == "bogus":
        # nothing of it reached the view or the URL; the notice names what was dropped
        assert "bureau" not in at.query_params and "foo" not in at.query_params
        assert "fy_from" not in at.query_params
        assert at.query_params.get("lang") == ("en" if lang == "en" else None)


def test_bogus_query_string_gives_a_notice(tiny_warehouse: Path,
                                           monkeypatch: pytest.MonkeyPatch) -> None:
    at = app(tiny_warehouse, monkeypatch, **BOGUS)
    no_exception(at)
    notices = [c.value for c in at.sidebar.caption if "⚠" in c.value]
    assert notices, [c.value for c in at.sidebar.caption]
    for name in ("bureau", "fy_from", "fy_to", "lang", "foo"):
        assert name in notices[0]
    assert "<script>" not in notices[0] and "DROP" not in notices[0]
    assert at.toast and "bureau" in at.toast[0].value
    # the view fell back to the defaults
    assert at.sidebar.multiselect(key="bureaus").value == []
    assert at.sidebar.radio(key="lang").value == "ja"


def test_partly_valid_bureau_list_keeps_the_valid_codes(tiny_warehouse: Path,
                                                         monkeypatch: pytest.MonkeyPatch) -> None:
    at = app(tiny_warehouse, monkeypatch, bureau="B2,ZZ,B2")
    no_exception(at)
    assert at.sidebar.multiselect(key="bureaus").value == ["B2"]
    assert at.query_params["bureau"] == "B2"
    assert any("bureau" in c.value for c in at.sidebar.caption)
    at.switch_page("views/hiring.py").run()
    assert values(chart(at, "chart_digital_hires")["data"][0]["y"]) == [0.0, 0.0]


def test_missing_warehouse_is_a_friendly_message(tmp_path: Path,
                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    at = app(tmp_path / "nowhere.duckdb", monkeypatch)
    no_exception(at)
    assert "データベースがまだありません" in at.info[0].value
    assert "make run" in at.markdown[-1].value


def test_unreadable_warehouse_is_a_friendly_message(tmp_path: Path,
                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    bad = tmp_path / "bad.duckdb"
    bad.write_bytes(b"not a database")
    at = app(bad, monkeypatch)
    no_exception(at)
    assert at.error


# --- numbers shown = numbers in the warehouse -----------------------------------------------------

@pytest.mark.parametrize("bureaus", [None, ["B1"], ["B2"]])
def test_hiring_bars_equal_kpi(tiny_warehouse: Path, monkeypatch: pytest.MonkeyPatch,
                               bureaus: list[str] | None) -> None:
    params = {"bureau": ",".join(bureaus)} if bureaus else {}
    at = app(tiny_warehouse, monkeypatch, "hiring", **params)
    no_exception(at)
    bars = chart(at, "chart_digital_hires")["data"][0]
    assert bars["type"] == "bar"
    expected = kpi(tiny_warehouse, "digital_hires", bureaus)
    assert dict(zip(values(bars["x"]), values(bars["y"]), strict=True)) == expected
    # zero years are bars too (FY2021 has no digital hire)
    assert 0.0 in values(bars["y"])


def test_hiring_target_band_comes_from_kpi(tiny_warehouse: Path,
                                           monkeypatch: pytest.MonkeyPatch) -> None:
    at = app(tiny_warehouse, monkeypatch, "hiring")
    spec = chart(at, "chart_digital_hires")
    rects = [s for s in spec["layout"]["shapes"] if s["type"] == "rect"]
    band = [s for s in rects if s.get("yref", "y") == "y"]
    with duckdb.connect(str(tiny_warehouse), read_only=True) as con:
        lo, hi = con.execute("SELECT DISTINCT target_min, target_max FROM kpi WHERE metric = "
                             "'digital_hires' AND bureau_code IS NULL").fetchone()
    assert band and (band[0]["y0"], band[0]["y1"]) == (lo, hi)
    # the plan's period is shaded: no plans.csv, so the implicit plan over the targets' span
    # (FY2016-FY2030), clipped to the FYs shown (x 2019.5–2021.5)
    period = [s for s in rects if s.get("yref") == "y domain"]
    assert period and (period[0]["x0"], period[0]["x1"]) == (2019.5, 2021.5)


def test_hiring_marks_published_figures_and_flags_differences(
        tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch) -> None:
    data = dataset.base()
    data["published"].append({"metric": "digital_hires", "fiscal_year": "2021", "value": "3",
                              "source": "plan §2"})
    wh = build_from(data, tmp_path_factory.mktemp("published"))
    at = app(wh, monkeypatch, "hiring")
    no_exception(at)
    text = values(chart(at, "chart_digital_hires")["data"][0]["text"])
    assert "公表値" in text[0] and "⚠" not in text[0]  # FY2020 matches
    assert "⚠" in text[1] and "3" in text[1]  # FY2021: published 3, data 0
    at = app(wh, monkeypatch, "hiring", lang="en")
    assert "published" in values(chart(at, "chart_digital_hires")["data"][0]["text"])[0]


@pytest.mark.parametrize("bureaus", [None, ["B1"]])
@pytest.mark.parametrize("lang", ["ja", "en"])
def test_overview_cards_equal_kpi(tiny_warehouse: Path, monkeypatch: pytest.MonkeyPatch,
                                  bureaus: list[str] | None, lang: str) -> None:
    params = {"lang": lang} if lang == "en" else {}
    if bureaus:
        params["bureau"] = ",".join(bureaus)
    at = app(tiny_warehouse, monkeypatch, **params)
    no_exception(at)
    # default FY = the latest completed FY (FY2021 is in progress in the tiny data)
    assert at.selectbox(key="overview_fy").value == 2020
    by_label = {m.label: m.value for m in at.metric}
    with duckdb.connect(str(tiny_warehouse), read_only=True) as con:
        targeted = [r[0] for r in con.execute("SELECT DISTINCT metric FROM plan_targets")
                    .fetchall()]
    assert len(by_label) == len(targeted)
    for code in targeted:
        m = METRIC_BY_CODE[code]
        shown = by_label[i18n.metric_name(code, lang)]
        bureaus_for = bureaus if (bureaus and m.by_bureau) else None
        expected = kpi(tiny_warehouse, code, bureaus_for)[2020]
        assert shown == fmt.value(expected, m.is_rate), code


def test_overview_status_words_and_symbols(tiny_warehouse: Path,
                                           monkeypatch: pytest.MonkeyPatch) -> None:
    at = app(tiny_warehouse, monkeypatch)
    html_ = "\n".join(e.proto.body for e in at.get("html"))
    assert "✔ 達成" in html_ and "▼ 未達" in html_  # FY2020: hires met, e-learning below
    at.selectbox(key="overview_fy").set_value(2021).run()
    no_exception(at)
    assert at.query_params["fy"] == "2021"
    assert "… 集計中" in "\n".join(e.proto.body for e in at.get("html"))
    scorecard = at.dataframe[0].value
    assert list(scorecard.columns[2:]) == [fy_label(2020), fy_label(2021, in_progress=True)]


def test_overview_fy_from_url(tiny_warehouse: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    at = app(tiny_warehouse, monkeypatch, fy="2021")
    assert at.selectbox(key="overview_fy").value == 2021


@pytest.mark.parametrize("code", ["security_elearning_rate", "phishing_followup_rate"])
@pytest.mark.parametrize("bureaus", [None, ["B1"], ["B2"]])
def test_security_rate_lines_equal_kpi(tiny_warehouse: Path, monkeypatch: pytest.MonkeyPatch,
                                       code: str, bureaus: list[str] | None) -> None:
    params = {"bureau": ",".join(bureaus)} if bureaus else {}
    at = app(tiny_warehouse, monkeypatch, "security", **params)
    key = {"security_elearning_rate": "chart_elearning_trend",
           "phishing_followup_rate": "chart_followup"}[code]
    line = chart(at, key)["data"][0]
    got = dict(zip(values(line["x"]), values(line["y"]), strict=True))
    expected = kpi(tiny_warehouse, code, bureaus)
    assert got.keys() == expected.keys()
    for fy, val in expected.items():
        assert got[fy] == pytest.approx(val) if val is not None else got[fy] is None


def test_metric_without_bureau_breakdown_says_so(tiny_warehouse: Path,
                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    at = app(tiny_warehouse, monkeypatch, "security", bureau="B1")
    drills = chart(at, "chart_drills_held")["data"][0]
    assert dict(zip(values(drills["x"]), values(drills["y"]), strict=True)) == kpi(
        tiny_warehouse, "phishing_drills_held")
    assert any("局別の内訳がない" in c.value for c in at.caption)
    at = app(tiny_warehouse, monkeypatch, "security")
    assert not any("局別の内訳がない" in c.value for c in at.caption)


def test_count_target_is_ministry_wide_when_filtered(tiny_warehouse: Path,
                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    at = app(tiny_warehouse, monkeypatch, "hiring", bureau="B1")
    assert any("省全体の値に対するもの" in c.value for c in at.caption)
    shapes = chart(at, "chart_digital_hires")["layout"].get("shapes", [])
    assert not [s for s in shapes if s.get("yref", "y") == "y"]  # no band for one bureau


def test_captions_come_from_the_metric_catalogue(tiny_warehouse: Path,
                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    for lang in ("ja", "en"):
        at = app(tiny_warehouse, monkeypatch, "certification", lang=lang)
        captions = [c.value for c in at.caption]
        for code in ("ipa_certified_staff", "ipa_passes"):
            assert i18n.metric_caption(code, lang) in captions
            definition = (METRIC_BY_CODE[code].definition_en if lang == "en"
                          else METRIC_BY_CODE[code].definition_ja)
            assert definition.rstrip("。.") in i18n.metric_caption(code, lang)


def test_fy_labels(tiny_warehouse: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    at = app(tiny_warehouse, monkeypatch, "hiring")
    # the ticks are short enough for a phone; the era and the FY in progress are in the axis
    # title, the full labels in the hover text and the text table (issues 25, 29)
    spec = chart(at, "chart_digital_hires")
    assert spec["layout"]["xaxis"]["ticktext"] == ["R2", "R3"]
    assert spec["layout"]["xaxis"]["title"]["text"] == "年度（R＝令和）・R3は集計中"
    assert spec["layout"]["meta"]["fy_labels"] == {"2020": "令和2年度<br>(2020)",
                                                   "2021": "令和3年度<br>(2021)・集計中"}
    assert spec["data"][0]["customdata"][1][0] == "令和3年度 (2021)・集計中"
    assert list(at.table[0].value.iloc[:, 0]) == ["令和2年度 (2020)",
                                                   "令和3年度 (2021)・集計中"]
    at = app(tiny_warehouse, monkeypatch, "hiring", lang="en")
    spec = chart(at, "chart_digital_hires")
    assert spec["layout"]["xaxis"]["ticktext"] == ["FY20", "FY21"]
    assert spec["layout"]["xaxis"]["title"]["text"] == "Fiscal year (FY21 in progress)"
    assert fmt.fy_short(2016, "ja") == "H28" and fmt.fy_short(2019, "ja") == "R1"
    assert fmt.fy_axis_title([2017, 2020], "ja") == "年度（H＝平成・R＝令和）"
    assert fmt.fy_tick(2019, "ja") == "令和元年度<br>(2019)"
    assert fmt.fy_label(2018, "ja") == "平成30年度 (2018)"


# --- the URL holds the view ----------------------------------------------------------------------

def test_controls_write_the_url_and_carry_across_pages(tiny_warehouse: Path,
                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    at = app(tiny_warehouse, monkeypatch, "hiring")
    assert "bureau" not in at.query_params
    at.sidebar.multiselect(key="bureaus").select("B2").run()
    no_exception(at)
    assert at.query_params["bureau"] == "B2"
    bars = chart(at, "chart_digital_hires")["data"][0]
    assert values(bars["y"]) == [0.0, 0.0]
    at.sidebar.radio(key="lang").set_value("en").run()
    assert at.query_params["lang"] == "en"
    assert at.sidebar.multiselect(key="bureaus").value == ["B2"]
    at.sidebar.select_slider(key="fy_span").set_value((2021, 2021)).run()
    assert (at.query_params["fy_from"], at.query_params["fy_to"]) == ("2021", "2021")
    at.switch_page("views/training.py").run()
    no_exception(at)
    assert at.query_params == {"lang": "en", "bureau": "B2", "fy_from": "2021",
                               "fy_to": "2021"}
    # a new session with that URL shows the same view
    again = app(tiny_warehouse, monkeypatch, "training", **at.query_params)
    assert again.sidebar.multiselect(key="bureaus").value == ["B2"]
    assert again.sidebar.select_slider(key="fy_span").value == (2021, 2021)
    assert again.sidebar.radio(key="lang").value == "en"


def test_page_parameter_is_dropped_on_other_pages(tiny_warehouse: Path,
                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    at = app(tiny_warehouse, monkeypatch, "hiring")
    at.selectbox(key="hiring_track").set_value("all").run()
    assert at.query_params["track"] == "all"
    at.switch_page("views/workforce.py").run()
    assert "track" not in at.query_params
    at.switch_page("views/hiring.py").run()
    assert at.selectbox(key="hiring_track").value == "all"  # kept for the session


def test_every_widget_has_a_key(tiny_warehouse: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    for page in PAGES:
        at = app(tiny_warehouse, monkeypatch, page)
        for kind in ("selectbox", "multiselect", "radio", "select_slider", "checkbox",
                     "toggle", "text_input", "button"):
            for w in at.get(kind):
                assert w.key, (page, kind, w.label)


# --- the query module -----------------------------------------------------------------------------

def test_filtered_rates_are_ratios_of_sums(tiny_warehouse: Path) -> None:
    run = queries.current_run(tiny_warehouse)
    both = queries.kpi(run, ("B1", "B2"))
    for code in (m.code for m in METRICS if m.is_rate and m.by_bureau):
        got = dict(both.filter(both["metric"] == code).select("fiscal_year", "value")
                   .iter_rows())
        expected = kpi(tiny_warehouse, code, ["B1", "B2"])
        for fy, val in expected.items():
            assert got[fy] == pytest.approx(val) if val is not None else got[fy] is None


def test_single_bureau_status_equals_the_pipelines(tiny_warehouse: Path) -> None:
    """The dashboard's status rule on bureau sums agrees with kpi's own bureau rows."""
    run = queries.current_run(tiny_warehouse)
    with duckdb.connect(str(tiny_warehouse), read_only=True) as con:
        rows = con.execute("SELECT metric, fiscal_year, bureau_code, value, status FROM kpi "
                           "WHERE bureau_code IS NOT NULL").fetchall()
    views = {b: queries.kpi(run, (b,)) for b in ("B1", "B2")}
    for metric, fy, b, value, status in rows:
        r = views[b].filter((views[b]["metric"] == metric) & (views[b]["fiscal_year"] == fy)
                            ).row(0, named=True)
        assert r["status"] == status, (metric, fy, b)
        assert r["value"] == pytest.approx(value) if value is not None else r["value"] is None


def test_all_bureaus_use_the_ministry_row(tiny_warehouse: Path) -> None:
    run = queries.current_run(tiny_warehouse)
    ministry = queries.kpi(run, None)
    for code in ("digital_hires", "training_participants", "security_elearning_rate"):
        got = dict(ministry.filter(ministry["metric"] == code).select("fiscal_year", "value")
                   .iter_rows())
        assert got == pytest.approx(kpi(tiny_warehouse, code))


def test_values_are_bound_never_spliced(tiny_warehouse: Path) -> None:
    run = queries.current_run(tiny_warehouse)
    evil = ("B1') OR 1=1; DROP TABLE kpi; --",)
    frame = queries.kpi(run, evil)
    assert frame.filter(frame["metric"] == "digital_hires")["value"].to_list() == [0.0, 0.0]
    assert queries.hiring(run, evil, 2000, 2100).height == 0
    assert queries.kpi(run, None).height > 0  # the table is still there


def test_rebuild_is_picked_up_without_restart(tmp_path_factory: pytest.TempPathFactory,
                                              monkeypatch: pytest.MonkeyPatch) -> None:
    """``pipelines build`` os.replace's the file while the app runs (and while another
    connection to that path is open): the next rerun shows the new run, and nothing fails."""
    tmp = tmp_path_factory.mktemp("rebuild")
    wh = build_from(dataset.base(), tmp / "one")
    live = tmp / "warehouse.duckdb"
    shutil.copy(wh, live)
    at = app(live, monkeypatch, "hiring")
    first = chart(at, "chart_digital_hires")["data"][0]
    run1 = queries.current_run(live).run_id
    assert values(first["y"]) == [1.0, 0.0]

    data = dataset.base()
    data["hiring"].append({"employee_id": "E9", "hire_date": "2021-05-01",
                           "hire_fiscal_year": "2021", "bureau_code": "B2",
                           "track": "digital_candidate"})
    data["roster"].append({"fiscal_year": "2021", "employee_id": "E9", "bureau_code": "B2",
                           "unit_code": "", "grade": "staff", "employment_type": "career",
                           "hire_fiscal_year": "2021", "digital_talent": "true",
                           "placement": "home"})
    new = build_from(data, tmp / "two")
    holder = duckdb.connect(str(live), read_only=True)  # someone else still reading the old file
    try:
        os.replace(new, live)
        at.run()
        no_exception(at)
        run2 = queries.current_run(live).run_id
        assert run2 != run1
        assert values(chart(at, "chart_digital_hires")["data"][0]["y"]) == [1.0, 1.0]
        assert run2 in text_of(at)
    finally:
        holder.close()
