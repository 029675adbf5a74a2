"""The executive briefing pack (dashboard/brief.py and ``python -m dashboard brief``), read back
the way a user's tools read it: python-pptx for the PowerPoint file, pypdf's text extraction for
the PDF. The numbers are checked against the warehouse's ``kpi`` table read here with plain
DuckDB SQL (not through the dashboard's query module)."""

from __future__ import annotations

import io
import os
import re
import subprocess
import sys
from pathlib import Path

import duckdb
import pytest
from conftest import build_from
from pptx import Presentation
from pptx.oxml.ns import qn
from pypdf import PdfReader
from test_plans import generations

from dashboard import brief, fmt
from dashboard.fmt import fy_label
from pipelines.schema import METRIC_BY_CODE, METRICS
from release import i18n

ROOT = Path(__file__).resolve().parent.parent


def kpi_rows(wh: Path, bureaus: tuple[str, ...] | None = None) -> dict[tuple[str, int], dict]:
    """kpi by (metric, FY): the ministry-wide rows, or for bureaus the summed counts of their
    rows (rates as sum of numerators over sum of denominators) — metrics.md's bureau rule."""
    with duckdb.connect(str(wh), read_only=True) as con:
        rel = con.sql("SELECT * FROM kpi WHERE bureau_code IS NULL")
        rows = {(r["metric"], r["fiscal_year"]): r
                for r in (dict(zip(rel.columns, t, strict=True)) for t in rel.fetchall())}
        if bureaus:
            sums = con.execute(
                "SELECT metric, fiscal_year, sum(numerator), sum(denominator) FROM kpi "
                "WHERE bureau_code IN (SELECT unnest(?)) GROUP BY ALL", [list(bureaus)]
            ).fetchall()
            for metric, fy, num, den in sums:
                m = METRIC_BY_CODE[metric]
                if not m.by_bureau:
                    continue
                rows[(metric, fy)] = {**rows[(metric, fy)], "value": (
                    (num / den if den else None) if m.is_rate else num)}
    return rows


def number(text: str) -> float | None:
    """A value as the pack prints it: '1,234', '87.5%', '+3', '-0.4ポイント', '–'."""
    if text.strip() in ("–", ""):
        return None
    m = re.match(r"^([+-]?[\d,]+(?:\.\d+)?)(%| pts|ポイント)?$", text.strip())
    assert m, text
    return float(m.group(1).replace(",", ""))


def expect_value(value: float | None, is_rate: bool) -> float | None:
    if value is None:
        return None
    return round(value * 100, 1) if is_rate else round(value, 2)


@pytest.fixture(scope="module")
def views(tiny_warehouse):
    return {
        "ja": brief.view_for(tiny_warehouse, lang="ja"),
        "en": brief.view_for(tiny_warehouse, lang="en"),
        "b1": brief.view_for(tiny_warehouse, lang="ja", bureaus=["B1"]),
    }


def open_pptx(data: bytes) -> Presentation:
    return Presentation(io.BytesIO(data))


def summary_table(prs: Presentation) -> list[list[str]]:
    table = next(s for s in prs.slides[1].shapes if s.has_table).table
    return [[c.text for c in row.cells] for row in table.rows]


# --- PowerPoint ---------------------------------------------------------------------------------

@pytest.mark.parametrize("which", ["ja", "en", "b1"])
def test_pptx_summary_table_equals_kpi(views, tiny_warehouse, which):
    v = views[which]
    prs = open_pptx(brief.build(v, "pptx"))
    rows = summary_table(prs)
    fy = v.latest_complete_fy
    assert not v.in_progress(fy)
    assert rows[0][2] == fy_label(fy, v.lang)
    kpi = kpi_rows(tiny_warehouse, v.bureaus)
    assert len(rows) == 1 + len(METRICS) == 15
    for m, row in zip(METRICS, rows[1:], strict=True):
        r, prev = kpi[(m.code, fy)], kpi.get((m.code, fy - 1))
        assert row[0].startswith(i18n.metric_name(m.code, v.lang))
        assert row[1] == m.section
        assert number(row[2]) == expect_value(r["value"], m.is_rate), (m.code, row)
        if v.bureaus is None:
            assert row[4] == i18n.status_text(r["status"], v.lang), (m.code, row)
            assert row[3] == (fmt.target(r["target_kind"], r["target_min"],
                                              r["target_max"], m.is_rate, v.lang)
                              if r["target_kind"] else i18n.status_word("no_target", v.lang))
        change = None
        if r["value"] is not None and prev and prev["value"] is not None:
            change = expect_value(r["value"] - prev["value"], m.is_rate)
        assert number(row[5]) == (None if change is None else pytest.approx(change, abs=0.051))


PACK_SLIDES = 9


def test_pptx_shape_fonts_and_notes(views):
    v = views["ja"]
    prs = open_pptx(brief.build(v, "pptx"))
    assert prs.slide_width * 9 == prs.slide_height * 16  # 16:9
    # title, summary, §2, §3 ×2, §4 ×2, §5 ×2: two charts a slide at most (issue 29)
    assert len(prs.slides) == PACK_SLIDES
    assert all(sum(sh.has_chart for sh in sl.shapes) <= 2 for sl in prs.slides)
    title = " ".join(s.text_frame.text for s in prs.slides[0].shapes if s.has_text_frame)
    for text in ("総務省デジタル人材確保・育成計画", "幹部説明資料", v.run.run_id, "全局",
                 fy_label(v.fy_from), fmt.date(v.run.as_of_date, "ja")):
        assert text in title, text
    # the tiny warehouse is not the sample: no sample notice
    assert "サンプル" not in title
    heads = [next(s for s in sl.shapes if s.has_text_frame).text_frame.text
             for sl in list(prs.slides)[2:]]
    assert [h.split()[0] for h in heads] == ["§2", "§3", "§3", "§4", "§4", "§5", "§5"]
    # every typeface on every slide and chart is Meiryo (latin and East Asian)
    faces = set()
    for sl in prs.slides:
        for el in sl.shapes._spTree.iter(qn("a:latin"), qn("a:ea")):
            faces.add(el.get("typeface"))
        for sh in sl.shapes:
            if sh.has_chart:
                for el in sh.chart._chartSpace.iter(qn("a:latin"), qn("a:ea")):
                    faces.add(el.get("typeface"))
    assert faces == {"Meiryo"}
    # notes: definition and plan clause of each metric of the slide
    notes = prs.slides[2].notes_slide.notes_text_frame.text
    assert METRIC_BY_CODE["digital_hires"].definition_ja in notes
    assert "計画の記載" in notes and "§2" in notes
    notes5 = prs.slides[7].notes_slide.notes_text_frame.text
    for code in ("security_elearning_rate", "phishing_drills_held", "phishing_report_rate"):
        assert METRIC_BY_CODE[code].definition_ja in notes5


def test_pptx_hiring_chart_holds_digital_hires(views, tiny_warehouse):
    for v in views.values():
        prs = open_pptx(brief.build(v, "pptx"))
        charts = [s for s in prs.slides[2].shapes if s.has_chart]
        assert len(charts) == 1
        chart = charts[0].chart
        kpi = kpi_rows(tiny_warehouse, v.bureaus)
        want = [kpi[("digital_hires", f)]["value"] for f in v.fys]
        bars = chart.plots[0]
        # short FY labels, upright, the eras and the FY in progress in the axis title
        assert list(bars.categories) == [fmt.fy_short(f, v.lang) for f in v.fys]
        now = next((f for f in v.fys if v.in_progress(f)), None)
        assert chart.category_axis.axis_title.text_frame.text == fmt.fy_axis_title(
            v.fys, v.lang, now)
        assert bars.series[0].name == i18n.metric_name("digital_hires", v.lang)
        assert list(bars.series[0].values) == want
        # the target band: two line series (lower, upper) on the same axes, from kpi
        if v.bureaus is None:
            lines = chart.plots[1]
            assert lines.__class__.__name__ == "LinePlot"
            lo = [kpi[("digital_hires", f)]["target_min"] for f in v.fys]
            hi = [kpi[("digital_hires", f)]["target_max"] for f in v.fys]
            assert [list(s.values) for s in lines.series] == [lo, hi]
            assert set(lo) == {1.0} and set(hi) == {2.0}
        else:  # targets of counts do not apply to bureaus (metrics.md): no band
            assert len(chart.plots) == 1
        # a text alternative on the chart frame
        assert charts[0]._element.nvGraphicFramePr.cNvPr.get("descr")


def test_pptx_follows_the_fy_span(tiny_warehouse):
    fys = brief.view_for(tiny_warehouse).all_fys
    assert len(fys) >= 2
    v = brief.view_for(tiny_warehouse, lang="en", fy_from=fys[0], fy_to=fys[0])
    prs = open_pptx(brief.build(v, "pptx"))
    chart = next(s for s in prs.slides[2].shapes if s.has_chart).chart
    assert list(chart.plots[0].categories) == [f"FY{fys[0] % 100:02d}"]
    assert summary_table(prs)[0][2] == f"FY{v.latest_complete_fy}"


# --- plan generations (issue 18): the plan in force -------------------------------------------

@pytest.fixture(scope="module")
def plans_wh(tmp_path_factory):
    """tests/test_plans.py's generations (p1 FY2017-18, no plan FY2019, p2 FY2020-23 and its
    revision p2r from mid-FY2021; as of 2021-07-01), each plan's targets with a clause of its
    own, so a note shows which plan it came from."""
    data = generations()
    for t in data["plan_targets"]:
        t["plan_section"] = f"§{t['plan_id']}"
        t["note_ja"], t["note_en"] = f"{t['plan_id']}の記載", f"clause of {t['plan_id']}"
    return build_from(data, tmp_path_factory.mktemp("brief_plans"))


def hires_note(v) -> str:
    prs = open_pptx(brief.build(v, "pptx"))
    notes = prs.slides[2].notes_slide.notes_text_frame.text
    return next(ln for ln in notes.splitlines()
                if ln.startswith(i18n.metric_name("digital_hires", v.lang) + " — "))


@pytest.mark.parametrize("fy_to, clause", [
    (2021, "§p2 clause of p2"),  # the summary's FY2020: p2 (not p1, not the later p2r)
    (2018, "§p1 clause of p1"),  # FY2018: p1
])
def test_notes_take_the_clause_of_the_plan_in_force(plans_wh, fy_to, clause):
    v = brief.view_for(plans_wh, lang="en", fy_to=fy_to)
    note = hires_note(v)
    assert note.endswith(f"{v.t('brief_clause')}: {clause}"), note
    with duckdb.connect(str(plans_wh), read_only=True) as con:
        (in_force,), = con.execute("SELECT DISTINCT plan_id FROM kpi WHERE fiscal_year = ?",
                                   [v.latest_complete_fy]).fetchall()
    assert clause == f"§{in_force} clause of {in_force}"


def test_notes_without_a_plan_in_force_name_the_metrics_section(plans_wh):
    v = brief.view_for(plans_wh, lang="ja", fy_from=2019, fy_to=2019)  # no plan covers FY2019
    assert v.latest_complete_fy == 2019
    note = hires_note(v)
    assert note.endswith(f"{v.t('brief_clause')}: {METRIC_BY_CODE['digital_hires'].section}")
    assert not any(f"{pid}の記載" in note for pid in ("p1", "p2", "p2r"))


# --- the Plan review as a section (issue 18: --plan, the review page's buttons) ------------------

def generation_kpi(wh: Path, plan: str) -> tuple[dict[str, dict], list[str]]:
    """Per metric with a target in the generation of ``plan``: its years met/below/above and
    its first and last (FY, value), from kpi's ministry rows judged by the plan in force; and
    the generation's plan ids. Plain DuckDB, bound parameters."""
    with duckdb.connect(str(wh), read_only=True) as con:
        ids = [r[0] for r in con.execute(
            "SELECT plan_id FROM plans WHERE generation = (SELECT generation FROM plans "
            "WHERE plan_id = ?) ORDER BY adopted_on", [plan]).fetchall()]
        rows = con.execute(
            "SELECT metric, count(*) FILTER (status = 'met'), count(*) FILTER "
            "(status = 'below'), count(*) FILTER (status = 'above'), min(fiscal_year), "
            "arg_min(value, fiscal_year), max(fiscal_year), arg_max(value, fiscal_year) "
            "FROM kpi WHERE bureau_code IS NULL AND plan_id IN (SELECT unnest(?)) "
            "AND metric IN (SELECT metric FROM plan_targets WHERE plan_id IN "
            "(SELECT unnest(?))) GROUP BY metric", [ids, ids]).fetchall()
    return {r[0]: dict(zip(("met", "below", "above", "fy0", "v0", "fy1", "v1"), r[1:],
                           strict=True)) for r in rows}, ids


def review_slides(prs: Presentation) -> list:
    """The slides after those of every pack: the review, then the handover."""
    return list(prs.slides)[PACK_SLIDES:]


def table_of(slide) -> list[list[str]]:
    table = next(s for s in slide.shapes if s.has_table).table
    return [[c.text for c in row.cells] for row in table.rows]


def check_review_rows(rows: list[list[str]], wh: Path, plan: str, lang: str) -> None:
    want, _ = generation_kpi(wh, plan)
    by_name = {i18n.metric_name(m.code, lang): m for m in METRICS}
    assert rows[0][:4] == [i18n.t(k, lang) for k in ("review_metric", "review_met",
                                                      "review_below", "review_above")]
    got = {by_name[r[0]].code: r for r in rows[1:]}
    assert set(got) == set(want)
    for code, r in got.items():
        w, m = want[code], METRIC_BY_CODE[code]
        assert [int(x) for x in r[1:4]] == [w["met"], w["below"], w["above"]], (code, r)
        for text, fy, value in ((r[4], w["fy0"], w["v0"]), (r[5], w["fy1"], w["v1"])):
            assert number(text.split(" (")[0]) == expect_value(value, m.is_rate), (code, r)
            assert text.endswith(f"({fy_label(fy, lang)})"), (code, text)


@pytest.mark.parametrize("lang", ["ja", "en"])
def test_pptx_review_section_equals_kpi(plans_wh, lang):
    v = brief.view_for(plans_wh, lang=lang)
    prs = open_pptx(brief.build(v, "pptx", plan="p2"))
    review, handover = review_slides(prs)
    heading = review.shapes[0].text_frame.text
    assert heading == f"{i18n.t('page_plan_review', lang)} — " + (
        "計画p2" if lang == "ja" else "Plan p2")
    check_review_rows(table_of(review), plans_wh, "p2", lang)
    text = " ".join(s.text_frame.text for s in review.shapes if s.has_text_frame)
    assert i18n.t("review_in_force", lang) in text  # p2 (with p2r) is in force: "to date"
    assert ("計画p2r" if lang == "ja" else "Plan p2r") in text  # its revision, listed
    # the previous plan p1's final year (FY2018) against p2's first (FY2020), from kpi
    rows = table_of(handover)
    assert rows[0][1:] == [i18n.t("review_prev_final", lang, fy=fy_label(2018, lang)),
                           i18n.t("review_new_first", lang, fy=fy_label(2020, lang))]
    kpi = kpi_rows(plans_wh)
    hires = next(r for r in rows if r[0] == i18n.metric_name("digital_hires", lang))
    assert [number(c.split(" — ")[0]) for c in hires[1:]] == [
        kpi[("digital_hires", 2018)]["value"], kpi[("digital_hires", 2020)]["value"]]
    assert hires[2].endswith(i18n.status_text(kpi[("digital_hires", 2020)]["status"], lang))
    # the title slide names the plan reviewed
    title = " ".join(s.text_frame.text for s in prs.slides[0].shapes if s.has_text_frame)
    assert ("計画p2" if lang == "ja" else "Plan p2") in title


def test_review_of_an_ended_plan_by_a_revision_id(plans_wh):
    """p1 ended (FY2017-18) and has no plan before it: one slide, final statuses; a revision's
    id (p2r) reviews its generation."""
    v = brief.view_for(plans_wh, lang="en")
    prs = open_pptx(brief.build(v, "pptx", plan="p1"))
    (review,) = review_slides(prs)
    rows = table_of(review)
    check_review_rows(rows, plans_wh, "p1", "en")
    assert "(to date)" not in rows[1][7]
    assert brief.content(v, plan="p2r").review.plan_id == "p2"
    with pytest.raises(brief.UnknownPlan, match="p1, p2, p2r"):
        brief.content(v, plan="p3")
    assert len(open_pptx(brief.build(v, "pptx")).slides) == PACK_SLIDES  # no plan: no review


@pytest.mark.parametrize("lang", ["ja", "en"])
def test_pdf_review_section_equals_kpi(plans_wh, lang):
    v = brief.view_for(plans_wh, lang=lang)
    reader = PdfReader(io.BytesIO(brief.build(v, "pdf", plan="p2")))
    assert len(reader.pages) == 8  # the six, the review, the handover
    text = reader.pages[6].extract_text()
    want, _ = generation_kpi(plans_wh, "p2")
    for code, w in want.items():
        m = METRIC_BY_CODE[code]
        line = next(ln for ln in text.splitlines()
                    if ln.startswith(i18n.metric_name(code, lang) + " "))
        rest = line[len(i18n.metric_name(code, lang)) + 1:]
        assert rest.startswith(f"{w['met']} {w['below']} {w['above']} "
                               f"{fmt.value(w['v0'], m.is_rate)} ({fy_label(w['fy0'], lang)})"
                               ), (code, line)
    assert i18n.t("review_handover", lang, previous="計画p1" if lang == "ja" else "Plan p1"
                  ) in reader.pages[7].extract_text()


def test_cli_writes_the_review(plans_wh, tmp_path):
    out = tmp_path / "review.pptx"
    r = cli("--warehouse", str(plans_wh), "--out", str(out), "--lang", "en", "--plan", "p2")
    assert r.returncode == 0, r.stderr
    assert "review of plan p2" in r.stdout
    check_review_rows(table_of(review_slides(open_pptx(out.read_bytes()))[0]), plans_wh,
                      "p2", "en")


def test_cli_unknown_plan_is_one_line(plans_wh, tmp_path):
    r = cli("--warehouse", str(plans_wh), "--out", str(tmp_path / "x.pdf"), "--plan", "p9")
    assert r.returncode == 2
    assert r.stderr.strip() == ("error: --plan: unknown plan 'p9' "
                                "(the warehouse has: p1, p2, p2r)")
    assert not list(tmp_path.iterdir())


def test_review_page_offers_the_pack_with_its_review(plans_wh, monkeypatch):
    from streamlit.testing.v1 import AppTest
    from streamlit.util import calc_hash

    monkeypatch.setenv("DTP_WAREHOUSE", str(plans_wh))
    at = AppTest.from_file(str(ROOT / "dashboard" / "app.py"), default_timeout=60)
    at.query_params.update({"lang": "en", "plan": "p2"})
    at._page_hash = calc_hash("review")  # lands on /review (tests/test_plan_review.landing)
    at.run()
    assert not at.exception
    buttons = {b.proto.id.rsplit("-", 1)[-1]: b for b in at.get("download_button")}
    assert {"review_brief_pptx", "review_brief_pdf", "review_download"} <= set(buttons)
    assert buttons["review_brief_pptx"].proto.label == "Executive briefing (PowerPoint)"
    assert not any(b.proto.disabled for b in buttons.values())  # local mode: analyst
    v = brief.view_for(plans_wh, lang="en")
    assert brief.file_name(v, "pptx", "p2").endswith(".pptx")
    assert "_plan-p2_" in brief.file_name(v, "pdf", "p2")


# --- PDF ----------------------------------------------------------------------------------------

@pytest.mark.parametrize("which", ["ja", "en"])
def test_pdf_text_has_the_summary_numbers_and_an_embedded_font(views, tiny_warehouse, which):
    v = views[which]
    reader = PdfReader(io.BytesIO(brief.build(v, "pdf")))
    assert len(reader.pages) == 6
    w, h = reader.pages[0].mediabox.width, reader.pages[0].mediabox.height
    assert abs(float(w) / float(h) - 16 / 9) < 0.01
    fonts = reader.pages[1]["/Resources"]["/Font"]
    descs = [f.get_object()["/DescendantFonts"][0].get_object()["/FontDescriptor"]
             for f in fonts.values()]
    assert descs and all("/FontFile2" in d for d in descs)  # embedded TrueType
    text = reader.pages[1].extract_text()
    lines = [ln for ln in text.splitlines() if ln.strip()]
    kpi = kpi_rows(tiny_warehouse)
    fy = v.latest_complete_fy
    assert fy_label(fy, v.lang) in text
    for m in METRICS:
        name = i18n.metric_name(m.code, v.lang)
        line = next(ln for ln in lines if ln.startswith(name + " "))
        value = fmt.value(kpi[(m.code, fy)]["value"], m.is_rate)
        assert f"{m.section} {value} " in line, (line, value)
    title = reader.pages[0].extract_text()
    assert v.run.run_id in title
    hires = reader.pages[2].extract_text()
    for f in v.fys:
        assert fy_label(f, v.lang).split(" (")[0] in hires


def test_pdf_without_a_font_says_so(views, monkeypatch):
    monkeypatch.setattr(brief, "PDF_FONTS", ())
    with pytest.raises(brief.FontMissing, match="fonts-ipaexfont-gothic"):
        brief.build(views["ja"], "pdf")
    monkeypatch.setenv("DTP_PDF_FONT", "/nonexistent/font.ttf")
    with pytest.raises(brief.FontMissing, match="/nonexistent/font.ttf"):
        brief.build(views["ja"], "pdf")
    # the PowerPoint file needs no font file
    assert brief.build(views["ja"], "pptx")


# --- the command line ---------------------------------------------------------------------------

def cli(*args: str, env: dict | None = None) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "dashboard", "brief", *args], cwd=ROOT,
                          capture_output=True, text=True, timeout=120, env=env)


def test_cli_writes_both_files(tiny_warehouse, tmp_path):
    out = tmp_path / "pack.pptx"
    r = cli("--warehouse", str(tiny_warehouse), "--out", str(out), "--lang", "en",
            "--bureau", "B1")
    assert r.returncode == 0, r.stderr
    assert "Traceback" not in r.stderr and "WARNING" not in r.stderr
    prs = open_pptx(out.read_bytes())
    assert summary_table(prs)[0][0] == "Metric"
    pdf = tmp_path / "pack.pdf"
    r = cli("--warehouse", str(tiny_warehouse), "--out", str(pdf), "--fy-from", "2020",
            "--fy-to", "2021")
    assert r.returncode == 0, r.stderr
    assert "令和2年度" in PdfReader(pdf).pages[0].extract_text()
    assert [p.name for p in tmp_path.iterdir()] != [] and not list(tmp_path.glob(".pack*"))


@pytest.mark.parametrize("args, code, message", [
    (["--out", "{tmp}/x.docx"], 2, "must end in .pptx or .pdf"),
    (["--out", "{tmp}/x.pptx", "--bureau", "ZZ"], 2, "unknown bureau code(s): ZZ"),
    (["--out", "{tmp}/x.pptx", "--bureau", "B1;DROP"], 2, "--bureau"),
    (["--out", "{tmp}/x.pptx", "--fy-from", "1999"], 2, "--fy-from 1999"),
    (["--out", "{tmp}/x.pptx", "--fy-from", "2021", "--fy-to", "2020"], 2, "after --fy-to"),
    (["--out", "{tmp}/x.pptx", "--lang", "fr"], 2, "invalid choice"),
    (["--out", "{tmp}/x.pptx", "--plan", "zz"], 2, "unknown plan 'zz'"),
    (["--out", "{tmp}/nodir/x.pptx"], 2, "no such folder"),
    (["--out", "{tmp}/x.pptx", "--warehouse", "{tmp}/missing.duckdb"], 1, "no warehouse at"),
    (["--out", "{tmp}/x.pdf", "--warehouse", "{readme}"], 1, "not a readable warehouse"),
    (["--out", "{tmp}/x.pdf", "--font", "{tmp}/none.ttf"], 1, "DTP_PDF_FONT names"),
])
def test_cli_errors(tiny_warehouse, tmp_path, args, code, message):
    fill = {"tmp": str(tmp_path), "readme": str(ROOT / "README.md")}
    args = [a.format(**fill) for a in args]
    env = None
    if "--font" in args:  # the font comes from the environment, not an option
        i = args.index("--font")
        env = {**os.environ, "DTP_PDF_FONT": args[i + 1]}
        del args[i:i + 2]
    if "--warehouse" not in args:
        args = ["--warehouse", str(tiny_warehouse), *args]
    r = cli(*args, env=env)
    assert r.returncode == code, (r.stdout, r.stderr)
    assert message in r.stderr
    assert "Traceback" not in r.stderr
    assert not list(tmp_path.glob("x.*"))


# --- the Overview's buttons ---------------------------------------------------------------------

def test_overview_offers_both_files(tiny_warehouse, monkeypatch):
    from streamlit.testing.v1 import AppTest

    monkeypatch.setenv("DTP_WAREHOUSE", str(tiny_warehouse))
    at = AppTest.from_file(str(ROOT / "dashboard" / "app.py"), default_timeout=60)
    at.query_params.update({"lang": "en"})
    at.run()
    assert not at.exception
    buttons = {b.proto.id.rsplit("-", 1)[-1]: b for b in at.get("download_button")}
    assert {"brief_pptx", "brief_pdf"} <= set(buttons)
    assert buttons["brief_pptx"].proto.label == "Executive briefing (PowerPoint)"
    assert buttons["brief_pdf"].proto.label == "Executive briefing (PDF)"
    assert not buttons["brief_pdf"].proto.disabled


def test_pptx_targets_are_steps_and_charts_laid_out(plans_wh):
    """p2's 1–2 hires (FY2020) and its revision's 2–4 (FY2021): each target a flat piece per
    run of FYs (no ramp from 1 to 2), one legend entry per target; the plot area and the
    legend laid out explicitly, the legend above the plot (issue 29)."""
    v = brief.view_for(plans_wh, lang="ja")
    prs = open_pptx(brief.build(v, "pptx"))
    chart = next(s for s in prs.slides[2].shapes if s.has_chart).chart
    pieces = [[x for x in s.values] for s in chart.plots[1].series]
    for piece in pieces:
        assert len({x for x in piece if x is not None}) == 1  # flat
    i20, i21 = v.fys.index(2020), v.fys.index(2021)
    lower = [p for p in pieces if p[i20] == 1.0 or p[i21] == 2.0]
    assert any(p[i20] == 1.0 and p[i21] is None for p in lower)  # FY2020's piece ends there
    assert any(p[i21] == 2.0 and p[i20] is None for p in lower)
    legend = chart.legend._element
    hidden = [e for e in legend.iter(qn("c:legendEntry"))]
    assert len(hidden) == len(pieces) - 2  # lower and upper named once each
    layouts = chart._chartSpace.findall(".//" + qn("c:manualLayout"))
    assert len(layouts) == 2  # the plot area's (inner) and the legend's
    plot = chart._chartSpace.chart.plotArea.find(qn("c:layout")).find(qn("c:manualLayout"))
    legend_box = legend.find(qn("c:layout")).find(qn("c:manualLayout"))
    y = {el.tag.split("}")[1]: float(el.get("val")) for el in plot if el.get("val") and
         el.tag.endswith(("}y", "}h"))}
    ly = {el.tag.split("}")[1]: float(el.get("val")) for el in legend_box
          if el.tag.endswith(("}y", "}h"))}
    assert ly["y"] + ly["h"] <= y["y"]  # the legend above the plot, outside it


def test_title_fits_its_line():
    """The English title, longer than the Japanese, is set small enough for one line."""
    en = "MIC Digital Talent Recruitment and Development Plan"
    width = (12192000 - 2 * 457200) / 12700 * 0.94
    size = brief.fit_size(en, width, 30)
    assert size < 30 and charts_em(en) * size <= width
    assert brief.fit_size("総務省デジタル人材確保・育成計画", width, 30) == 30


def charts_em(text: str) -> float:
    from dashboard import charts

    return charts._em(text)
