"""The pace of the year in progress on the pages (AppTest): the year-to-date chart, its text
alternative, the Overview's key messages and cards, in both languages and with bureau filters.

Data: the contract's worked example (tests/test_pace.py): as of 2026-11-20, 1 digital hire so
far, projected 2 (90 % interval 1–5), P(meet 1–2) = 0.685.
"""

from __future__ import annotations

import pytest
from conftest import build_from
from test_dashboard import app, chart, values
from test_pace import EXAMPLE, _data

from dashboard import messages
from release import i18n


@pytest.fixture(scope="module")
def wh(tmp_path_factory):
    """The worked example, with the hires' target the only one (so its message is the one)."""
    data = _data(EXAMPLE, "2026-11-20")
    data["plan_targets"] = [t for t in data["plan_targets"] if t["metric"] == "digital_hires"]
    # a third bureau, so that B1 + B2 is a selection, not the whole ministry
    data["bureaus"].append({"bureau_code": "B3", "name_ja": "第三局", "name_en": "Third"})
    return build_from(data, tmp_path_factory.mktemp("pace_pages"))


def _row(metric, status, p=None, proj=1.0, kind="min", lo=1.0, hi=None):
    return {"metric": metric, "pace_status": status, "p_meet": p, "projected": proj,
            "projected_low": proj, "projected_high": proj, "ytd": proj, "target_kind": kind,
            "target_min": lo, "target_max": hi}


def test_messages_rule_most_at_risk_first():
    rows = [
        _row("digital_hires", "on_track", p=0.74, proj=2, kind="range", lo=1, hi=2),
        _row("phishing_drills_held", "at_risk", p=0.30, proj=3, lo=4),
        _row("security_elearning_rate", "at_risk", proj=0.90),
        _row("new_hire_security_rate", "at_risk", proj=0.99),
        _row("training_participants", "no_target", proj=10, kind=None, lo=None),
        _row("ipa_passes", "no_data", proj=None),
    ]
    picked = [r["metric"] for r in messages.ranked(rows)]
    # at risk first (the lower chance / the wider miss first), at most three
    assert picked == ["phishing_drills_held", "security_elearning_rate",
                      "new_hire_security_rate"]
    assert [r["metric"] for r in messages.ranked(rows[:1] + rows[4:])] == ["digital_hires"]
    assert messages.ranked(rows[4:]) == []


def _texts(at) -> str:
    parts = [e.value for e in at.get("html")] + [e.value for e in at.caption]
    parts += [e.value for e in at.markdown]
    return "\n".join(str(p) for p in parts)


def test_hiring_page_year_to_date_chart(wh, monkeypatch):
    at = app(wh, monkeypatch, "hiring")
    assert not at.exception
    spec = chart(at, "pace_hiring_chart_digital_hires")
    traces = spec["data"]
    by_name = {t.get("name"): t for t in traces}
    # this year and the three reference years, as steps (counts never smoothed)
    fys = [n for n in by_name if n and "(20" in n]
    assert len(fys) == 4
    for n in fys:
        assert by_name[n]["line"]["shape"] == "hv"
    now = next(t for n, t in by_name.items() if n and "2026" in n)
    assert values(now["x"])[-1] == 233 and values(now["y"])[-1] == 1
    fy2024 = next(t for n, t in by_name.items() if n and "2024" in n)
    assert values(fy2024["y"]) == [0, 1, 2, 3, 3] and values(fy2024["x"])[-1] == 364
    proj = by_name["年度末見込み"]
    assert values(proj["y"]) == [2] and values(proj["error_y"]["array"]) == [3]
    assert values(proj["error_y"]["arrayminus"]) == [1]
    text = _texts(at)
    assert "達成見込み" in text and "年度末見込み 2(1〜5)" in text
    assert "目標達成の見込み 69%" in text
    assert i18n.t("pace_track_few", "ja", n=2) in text  # the track record: too few years
    assert "見込みであって約束ではありません" in text  # a projection, not a promise
    # the text alternative: same-day values and year-ends per FY
    tables = [t for t in at.table if "同じ日まで" in str(t.value.columns.tolist())]
    assert tables, "the chart's numbers as a table"
    t = tables[0].value
    assert t.shape[0] == 4 and "2(1〜5)" in t.to_string()


def test_overview_key_messages_and_card(wh, monkeypatch):
    at = app(wh, monkeypatch)
    assert not at.exception
    text = _texts(at)
    assert ("デジタル人材候補の採用数:今年度これまで1名。前年までの同時期以降の実績から"
            "年度末見込み2名(90%区間1〜5名)、目標(1〜2名)達成の見込み69%") in text
    assert "年度末見込み 2(1〜5)" not in text  # the cards show the latest complete FY
    at = app(wh, monkeypatch, fy="2026")
    text = _texts(at)
    assert "年度末見込み 2(1〜5)" in text and "↗ 達成見込み" in text  # the year in progress


def test_overview_in_english(wh, monkeypatch):
    at = app(wh, monkeypatch, lang="en")
    text = _texts(at)
    assert "the year-end projection is 2 (90% interval 1–5)" in text
    assert "chance of meeting the target (1–2): 69%" in text
    assert "on track" in text


def test_one_bureau_uses_its_own_row(wh, monkeypatch):
    # B1: 1 so far, remainders 0, 1, 1 → projected 1.67 (shown 2: a count is whole),
    # R ~ NB(2.5, 0.75); count targets are ministry-wide only
    at = app(wh, monkeypatch, "hiring", bureau="B1")
    assert not at.exception
    text = _texts(at)
    assert "2(1〜4)" in text and "目標なし" in text
    assert "目標達成の見込み" not in text


def test_several_bureaus_show_each_projection(wh, monkeypatch):
    at = app(wh, monkeypatch, "hiring", bureau="B1,B2")
    assert not at.exception
    spec = chart(at, "pace_hiring_chart_digital_hires")
    now = next(t for t in spec["data"] if "2026" in (t.get("name") or ""))
    assert values(now["y"])[-1] == 1  # B1 + B2 so far
    assert not any(t.get("name") == "年度末見込み" for t in spec["data"])  # no summed projection
    assert "局ごとに計算" in _texts(at)
    frames = [d.value for d in at.dataframe]
    assert any("2(1〜4)" in f.to_string() and "0(0〜2)" in f.to_string() for f in frames)
    over = app(wh, monkeypatch, bureau="B1,B2")
    assert "局ごとに計算" in _texts(over) and "年度末見込み2名" not in _texts(over)


def test_span_without_the_year_in_progress(wh, monkeypatch):
    at = app(wh, monkeypatch, "hiring", fy_from="2023", fy_to="2024")
    assert not at.exception
    assert "表示期間に今年度" in "\n".join(str(e.value) for e in at.info)
    with pytest.raises(AssertionError):
        chart(at, "pace_hiring_chart_digital_hires")


def test_security_page_metric_selector_in_the_url(wh, monkeypatch):
    at = app(wh, monkeypatch, "security")
    assert not at.exception
    chart(at, "pace_security_chart_security_elearning_rate")  # the first of the page's metrics
    at.selectbox(key="pace_security_metric").set_value("phishing_drills_held").run()
    chart(at, "pace_security_chart_phishing_drills_held")
    assert at.query_params["pace"] == "phishing_drills_held"


# --- the briefing pack opens with the same messages ---------------------------------------------

def test_brief_opens_with_the_key_messages(wh):
    import io

    from pptx import Presentation
    from pypdf import PdfReader

    from dashboard import brief

    want = ("デジタル人材候補の採用数:今年度これまで1名。前年までの同時期以降の実績から"
            "年度末見込み2名(90%区間1〜5名)、目標(1〜2名)達成の見込み69%")
    v = brief.view_for(wh, lang="ja")
    pack = brief.content(v)
    assert pack.messages == ("↗ 達成見込み " + want,)
    prs = Presentation(io.BytesIO(brief.build(v, "pptx")))
    first = "\n".join(s.text_frame.text for s in prs.slides[0].shapes if s.has_text_frame)
    assert want in first
    # the hiring slide carries its pace
    hiring = "\n".join(s.text_frame.text for s in prs.slides[2].shapes if s.has_text_frame)
    assert "デジタル人材候補の採用数: ↗ 達成見込み · 今年度これまで 1 · 年度末見込み 2(1〜5)" \
        in hiring and "目標達成の見込み 69%" in hiring
    page1 = PdfReader(io.BytesIO(brief.build(v, "pdf"))).pages[0].extract_text()
    assert "年度末見込み2名(90%区間1〜5名)" in page1.replace("\n", "")
    # beside the chance, its track record: here only FY2024 and FY2025 to look back on
    few = i18n.t("pace_track_few", "ja", n=2)
    assert pack.message_tracks == (few,)
    assert few in first and few in hiring and few in page1.replace("\n", "")
    en = brief.content(brief.view_for(wh, lang="en"))
    assert en.messages[0].startswith("↗ on track Digital-talent hires: 1 so far this year.")
    several = brief.content(brief.view_for(wh, lang="ja", bureaus=["B1", "B2"]))
    assert several.messages == (i18n.t("pace_multi_bureau", "ja"),)


# --- the public edition: the pace in publication form only -----------------------------------

def test_public_edition_shows_the_protected_pace_and_no_curves(wh, monkeypatch):
    """In the example every hires count is small: the public edition withholds the hires'
    pace ([c]), draws no day-by-day curve, and makes no key message of a withheld row."""
    from release import public

    path = public.public_path(wh, 5)
    import duckdb

    with duckdb.connect(str(path), read_only=True) as con:
        tables = {r[0] for r in con.execute("SELECT table_name FROM duckdb_tables()").fetchall()}
        hires = con.execute("SELECT ytd, projected, pace_status FROM kpi_pace WHERE metric = "
                            "'digital_hires' AND bureau_code IS NULL").fetchall()
    assert "kpi_pace" in tables and "kpi_pace_curve" not in tables
    assert "kpi_pace_history" not in tables  # the track record: ministry's own edition only
    (ytd, projected, status), = hires
    assert ytd != ytd and projected != projected and status == "suppressed"  # NaN: [c]
    monkeypatch.setenv("DTP_EDITION", "public")
    at = app(wh, monkeypatch, "hiring")
    assert not at.exception
    with pytest.raises(AssertionError):
        chart(at, "pace_hiring_chart_digital_hires")
    frames = "\n".join(d.value.to_string() for d in at.dataframe)
    assert "[c]" in frames
    assert "省全体" in frames and "(局不明)" not in frames  # the ministry's row (issue 29)
    over = app(wh, monkeypatch)
    assert "年度末見込み2名" not in _texts(over)


# --- the projection's track record (kpi_pace_history) beside the chance ----------------------

def _past(fy, p, inside, met, metric="digital_hires"):
    return {"metric": metric, "fiscal_year": fy, "projected": 1.0, "p_meet": p,
            "inside": inside, "met": met}


def test_track_record_line_by_hand():
    row = {"metric": "digital_hires", "bureau_code": None, "projected": 2.0, "p_meet": 0.72}
    past = [_past(2015 + i, p, inside, met) for i, (p, inside, met) in enumerate([
        (0.9, True, True), (0.8, True, True), (0.75, False, True), (0.71, True, False),
        (0.5, True, True), (0.2, True, False), (None, True, None), (0.95, True, True)])]
    past.append(_past(2020, 0.99, False, False, metric="ipa_passes"))  # another metric
    # 8 years: 7 inside; chance ≥ 70 % given in 5 of them, 4 met
    assert messages.track_record(row, past, "ja") == (
        "過去8年の同じ日の見込み: 90%区間に収まった8回中7回、「達成見込み70%以上」とした年の"
        "達成5回中4回")
    assert messages.track_record(row, past, "en") == (
        "The same day's projection in the past 8 years: the year ended inside its 90% interval "
        "7 times out of 8; of the years given a chance of 70% or more, 4 of 5 met the target")
    low = messages.track_record(row | {"p_meet": 0.1}, past, "ja")
    assert low.endswith("「達成見込み30%未満」とした年の達成1回中0回")
    none = messages.track_record(row | {"p_meet": 0.5}, past[:4] + past[5:8], "ja")
    assert none.endswith("「達成見込み30〜70%」とした年はまだありません")
    # no target this year: the interval's record only
    assert messages.track_record(row | {"p_meet": None}, past, "ja") == (
        "過去8年の同じ日の見込み: 90%区間に収まった8回中7回")
    assert messages.track_record(row, past[:2], "ja") == i18n.t("pace_track_few", "ja", n=2)
    # a bureau's row, a rate, no projection: no line
    assert messages.track_record(row | {"bureau_code": "B1"}, past, "ja") is None
    assert messages.track_record(row | {"metric": "security_elearning_rate"}, past, "ja") is None
    assert messages.track_record(row | {"projected": None}, past, "ja") is None


def test_overview_shows_the_track_record(wh, monkeypatch):
    at = app(wh, monkeypatch)
    assert not at.exception
    assert i18n.t("pace_track_few", "ja", n=2) in _texts(at)
    at = app(wh, monkeypatch, bureau="B1")  # a bureau's projection has no record
    assert "過去の同じ日の見込み" not in _texts(at)


def test_track_record_chart_on_the_plan_page(tmp_path, monkeypatch):
    """Five earlier years, each with one hire in December: the hiring page draws the small
    chart of the track record (an interval and an outcome per year) with its numbers."""
    hires = [(f"{fy}-12-01", "B1") for fy in range(2020, 2026)] + [("2026-06-15", "B1")]
    wh = build_from(_data(hires, "2026-11-20"), tmp_path)
    at = app(wh, monkeypatch, "hiring")
    assert not at.exception
    text = _texts(at)
    assert "過去5年の同じ日の見込み: 90%区間に収まった5回中5回" in text
    spec = chart(at, "pace_hiring_track_digital_hires")
    by_name = {t["name"]: t for t in spec["data"]}
    assert values(by_name["その日の見込み(90%区間)"]["x"]) == [2021, 2022, 2023, 2024, 2025]
    assert values(by_name["年度末の実績(区間内)"]["y"]) == [1] * 5
    assert "年度末の実績(区間外)" not in by_name  # none fell outside
    frames = [d.value for d in at.dataframe] + [t.value for t in at.table]
    assert any("区間内" in f.columns and (f["区間内"] == "✓").sum() == 5 for f in frames)
