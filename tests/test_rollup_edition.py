"""The roll-up edition of the dashboard (DTP_EDITION=rollup, issue 17 item 3), on a roll-up of
two small, differently shaped organisations (conftest ``rollup_file``): every roll-up page in
both languages, with and without the organisation filter and with a bogus query string; the
numbers on the pages equal ``rollup_kpi`` / ``rollup_kpi_pace``; each edition refuses the
other's file with a clear message; the access rules; the downloads (role re-checked and
audited on the click) and the briefing pack."""

from __future__ import annotations

import io
import json
from pathlib import Path

import duckdb
import polars as pl
import pytest
from streamlit.testing.v1 import AppTest
from streamlit.util import calc_hash

from dashboard import access, audit, fmt, nav
from dashboard.rollup import brief as rb
from dashboard.rollup import downloads as rd
from dashboard.rollup import queries as rq
from dashboard.rollup import ui as rui
from pipelines.schema import METRIC_BY_CODE, METRICS
from release import i18n

APP = str(Path(__file__).resolve().parent.parent / "dashboard" / "app.py")
PAGES = {p.url_path: p for p in nav.ROLLUP_PAGES}
ORGS = ("MOE", "XYZ")


def q(path: Path, sql: str, **params: object) -> pl.DataFrame:
    with duckdb.connect(str(path), read_only=True) as con:
        return con.sql(sql, params=params or None).pl()


def open_page(path: Path, url_path: str, monkeypatch: pytest.MonkeyPatch,
              edition: str = "rollup", **params: str) -> AppTest:
    """A new session landing on ``/<url_path>?params`` (the query string set before the first
    run, the page named by the hash st.Page gives its url_path, as a browser's request)."""
    monkeypatch.setenv("DTP_WAREHOUSE", str(path))
    monkeypatch.setenv("DTP_EDITION", edition)
    at = AppTest.from_file(APP, default_timeout=120)
    at.query_params.update(params)
    if url_path:
        at._page_hash = calc_hash(url_path)
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def texts(at: AppTest) -> str:
    parts = [e.value for kind in ("title", "header", "caption", "markdown", "error", "info",
                                  "warning") for e in getattr(at, kind)]
    return "\n".join(str(p) for p in parts)


def frame(at: AppTest, index: int):  # noqa: ANN201 — a pandas frame
    """The page's ``index``-th table (a dataframe's key reaches the browser only with a
    selection; the pages draw their tables in a fixed order)."""
    return at.dataframe[index].value


# --- every page --------------------------------------------------------------------------------

@pytest.mark.parametrize("lang", ["ja", "en"])
@pytest.mark.parametrize("org", [None, "XYZ"])
@pytest.mark.parametrize("url_path", list(PAGES))
def test_every_rollup_page_draws(rollup_file, monkeypatch, url_path, lang, org):
    params = {"lang": lang} | ({"org": org} if org else {})
    at = open_page(rollup_file, url_path, monkeypatch, **params)
    assert not at.error, [e.value for e in at.error]
    assert at.title[0].value == i18n.t(PAGES[url_path].title_key, lang)
    assert at.header, "section headings (h2) under the page's h1"
    assert not at.toast  # nothing in a clean link is ignored
    assert at.query_params.get("org") == org
    assert at.multiselect(key=rui.K_ORGS).value == ([org] if org else [])
    if org:  # only the chosen organisation's name appears as a column / row label
        shown = texts(at) + json.dumps([str(d.value) for d in at.dataframe], ensure_ascii=False)
        assert ("環境省" if lang == "ja" else "Ministry of the Environment") not in shown \
            or url_path in ("government", "rollup-data")


@pytest.mark.parametrize("url_path", list(PAGES))
def test_a_bogus_query_string_is_ignored_with_a_notice(rollup_file, monkeypatch, url_path):
    at = open_page(rollup_file, url_path, monkeypatch, lang="xx", org="NOPE,XYZ,<b>x</b>",
                   fy="1999", metric="drop table", bureau="B1", fy_from="abc", zzz="1")
    assert not at.error
    notices = " ".join(t.value for t in at.toast)
    for name in ("lang", "org", "zzz", "bureau", "fy_from"):
        assert name in notices, (name, notices)
    assert "<b>" not in notices
    assert at.query_params.get("org") == "XYZ"  # the valid part is kept
    for gone in ("zzz", "bureau", "fy_from", "lang"):
        assert gone not in at.query_params
    assert at.title[0].value == i18n.t(PAGES[url_path].title_key, "ja")


def test_plan_pages_are_not_offered(rollup_file, monkeypatch):
    for url_path in ("hiring", "review", "data", "dictionary", "quality", "audit"):
        at = open_page(rollup_file, url_path, monkeypatch)
        assert at.title[0].value == i18n.t("page_rollup_compare", "ja"), url_path  # default


# --- numbers -----------------------------------------------------------------------------------

def _kpi(path: Path, org: str, metric: str, fy: int) -> dict:
    rows = q(path, "SELECT * FROM rollup_kpi WHERE organisation = $o AND metric = $m AND "
             "fiscal_year = $f AND bureau_code IS NULL", o=org, m=metric, f=fy).to_dicts()
    return rows[0] if rows else None


@pytest.mark.parametrize("lang", ["ja", "en"])
def test_compare_page_numbers_equal_rollup_kpi(rollup_file, monkeypatch, lang):
    fys = q(rollup_file, "SELECT DISTINCT fiscal_year FROM rollup_kpi ORDER BY 1")[
        "fiscal_year"].to_list()
    fy, metric = fys[-3], "new_hire_a_level_rate"  # not the default FY: kept in the URL
    at = open_page(rollup_file, "compare", monkeypatch, lang=lang, fy=str(fy), metric=metric)
    assert at.query_params.get("fy") == str(fy) and at.query_params.get("metric") == metric
    names = dict(q(rollup_file, "SELECT organisation, name_ja, name_en FROM "
                   "rollup_organisations").select("organisation", f"name_{lang}").iter_rows())
    matrix = frame(at, 0)
    assert list(matrix.columns) == [i18n.t("metric", lang), names["MOE"], names["XYZ"],
                                    i18n.t("rollup_all", lang)]
    seen_withheld = seen_free = 0
    for _, line in matrix.iterrows():
        code = next(c for c, m in METRIC_BY_CODE.items()
                    if i18n.metric_name(c, lang) == line.iloc[0])
        is_rate = METRIC_BY_CODE[code].is_rate
        for org, column in (("MOE", names["MOE"]), ("XYZ", names["XYZ"]),
                            ("ALL", i18n.t("rollup_all", lang))):
            r = _kpi(rollup_file, org, code, fy)
            cell = line[column]
            if r is None:
                assert cell == fmt.MISSING
            elif r["flag"] != "F":
                assert cell == f"[c] ({r['flag']})" and r["value"] is None
                seen_withheld += 1
            else:
                assert cell.startswith(fmt.value(r["value"], is_rate)), (org, code, cell)
                if r["status"] not in (None, "no_target"):  # symbol and word, never colour alone
                    assert cell.endswith(i18n.status_text(r["status"], lang))
                seen_free += 1
    assert seen_withheld and seen_free
    # the metric's rows: every organisation × FY, value, target and flag as rollup_kpi
    detail = frame(at, 1)
    assert len(detail) == q(rollup_file, "SELECT count(*) AS n FROM rollup_kpi WHERE metric = "
                            "$m AND bureau_code IS NULL AND organisation <> 'ALL'",
                            m=metric)["n"][0]
    for _, line in detail.iterrows():
        org = next(c for c, n in names.items() if n == line[i18n.t("rollup_org", lang)])
        fy_ = next(f for f in fys if fmt.fy_label(f, lang) in line[i18n.t("fy", lang)])
        r = _kpi(rollup_file, org, metric, fy_)
        assert line[i18n.t("rollup_flag", lang)].startswith(r["flag"])
        value = line[i18n.t("rollup_value", lang)]
        assert value == (fmt.value(r["value"], True) if r["flag"] == "F" else "[c] (C)")
        assert line[i18n.t("target", lang)] == rui.target_text(r, True, lang)


@pytest.mark.parametrize("metric", ["digital_talent_staff", "digital_hires"])
def test_government_page_numbers_equal_the_all_rows(rollup_file, monkeypatch, metric):
    """digital_talent_staff: free and withheld totals; digital_hires: declared public by both
    organisations (public_figures.csv), so every total is free and marked (P)."""
    at = open_page(rollup_file, "government", monkeypatch, lang="en", metric=metric)
    total = q(rollup_file, "SELECT * FROM rollup_kpi WHERE organisation = 'ALL' AND metric = $m "
              "ORDER BY fiscal_year", m=metric).to_dicts()
    table = frame(at, 1)
    assert len(table) == len(total)
    flags = {"F": 0, "S": 0}
    for (_, line), r in zip(table.iterrows(), total, strict=True):
        flags[r["flag"]] += 1
        assert line["Flag"] == f"{r['flag']} — {i18n.t('rollup_flag_' + r['flag'], 'en')}"
        if r["flag"] == "F":
            assert line["Value"] == fmt.value(r["value"], False) + (
                " (P)" if r["policy"] == "P" else "")
            parts = q(rollup_file, "SELECT sum(value) AS s FROM rollup_kpi WHERE metric = $m "
                      "AND fiscal_year = $f AND bureau_code IS NULL AND organisation <> 'ALL'",
                      m=metric, f=r["fiscal_year"])["s"][0]
            assert r["value"] == parts  # the sum of the free parts
        else:
            assert line["Value"] == "[c] (S)" and r["value"] is None
            assert line["Bounds from the free parts"] == (
                f"at least {fmt.value(r['value_low'], False)}" if r["value_low"] is not None
                else fmt.MISSING)
    if metric == "digital_hires":
        assert flags["F"] == len(total) and {r["policy"] for r in total} == {"P"}, flags
    else:
        assert flags["F"] and flags["S"], flags
    # the flags are explained on the page
    for f in ("F", "C", "S"):
        assert any(i18n.t(f"rollup_flag_{f}", "en") in str(h.proto) for h in at.get("html"))


def test_pace_page_numbers_equal_rollup_kpi_pace(rollup_file, monkeypatch):
    at = open_page(rollup_file, "pace", monkeypatch, lang="en", org="MOE")
    pace = q(rollup_file, "SELECT * FROM rollup_kpi_pace WHERE organisation = 'MOE' AND "
             "bureau_code IS NULL")
    assert pace.height
    order = [m.code for m in METRICS if m.code in set(pace["metric"])]
    for r in pace.iter_rows(named=True):
        table = frame(at, order.index(r["metric"]))
        assert list(table["Organisation"]) == ["Ministry of the Environment"]
        is_rate = METRIC_BY_CODE[r["metric"]].is_rate
        shown = table["So far"].iloc[0]
        assert shown == ("[c]" if r["ytd"] is None else fmt.value(r["ytd"], is_rate))
        status = "suppressed" if r["flag"] != "F" else r["pace_status"] or "no_data"
        assert table["Outlook"].iloc[0] == i18n.status_text(status, "en")


# --- the wrong file ----------------------------------------------------------------------------

def test_each_edition_refuses_the_others_file(rollup_file, tiny_warehouse, monkeypatch,
                                              tmp_path):
    at = open_page(tiny_warehouse, "", monkeypatch, edition="rollup")
    assert "is a ministry warehouse, not a roll-up" in texts(at).replace(
        "府省のデータベース", "") or "府省のデータベースで、ロールアップではありません" in texts(at)
    for edition in ("internal", "public"):
        at = open_page(rollup_file, "", monkeypatch, edition=edition, lang="en")
        assert "is a roll-up file: serve it with DTP_EDITION=rollup" in texts(at), edition
    (tmp_path / "x.duckdb").write_bytes(b"not a database at all")
    at = open_page(tmp_path / "x.duckdb", "", monkeypatch, lang="en")
    assert "is not a roll-up file" in texts(at)
    at = open_page(tmp_path / "missing.duckdb", "", monkeypatch, lang="en")
    assert "There is no roll-up file" in texts(at)
    assert str(tmp_path) not in texts(at)  # no absolute path reaches the browser


# --- access ------------------------------------------------------------------------------------

def _p(roles: tuple[str, ...], edition: str = "rollup") -> access.Principal:
    return access.Principal("someone@example.go.jp", roles, edition, "oidc",
                            access.Identity("s", "someone@example.go.jp"))


def test_rollup_access_rules():
    viewer, admin = _p(("viewer",)), _p(access.ROLES)
    # the inbox is for the access file's submitters only (tests/test_rollup_inbox.py)
    assert [p.url_path for p in access.allowed_pages(viewer, nav.ROLLUP_PAGES)] == [
        p for p in PAGES if p != "inbox"]
    assert access.allowed_pages(viewer, nav.PLAN_PAGES) == []
    assert [p.url_path for p in access.allowed_pages(admin, nav.ANALYSIS_PAGES)] == ["audit"]
    assert access.allowed_pages(_p(("viewer", "planner", "analyst")), nav.ANALYSIS_PAGES) == []
    assert access.may_rollup_download(viewer, "rollup_kpi")
    assert access.may_rollup_brief(viewer)
    assert not access.may_rollup_download(viewer, "stg_roster")
    assert not any(access.may_download(admin, n, pub) for n in ("kpi", "stg_roster")
                   for pub in (True, False))
    internal = _p(access.ROLES, "internal")
    assert access.allowed_pages(internal, nav.ROLLUP_PAGES) == []
    assert not access.may_rollup_download(internal, "rollup_kpi")
    assert not access.may_rollup_brief(_p(()))
    local = access.decide("rollup", False, "127.0.0.1", False, {})
    assert local.ok and local.principal.rollup and local.principal.mode == "local"
    assert access.decide("rollup", False, "0.0.0.0", False, {}).status == "local_exposed"


def _view(path: Path, orgs: tuple[str, ...] | None = None, lang: str = "en") -> rui.RollupView:
    r = rq.current(path)
    o = rq.organisations(r)
    codes = tuple(o["organisation"].to_list())
    return rui.RollupView(lang=lang, rollup=r, orgs=orgs, all_orgs=codes,
                          all_fys=tuple(rq.fiscal_years(r)),
                          org_names=dict(zip(codes, o[f"name_{lang}"], strict=True)),
                          in_progress_fy=rq.in_progress_fy(r))


def _audit_lines(path: Path) -> list[dict]:
    return [json.loads(x) for x in path.read_text(encoding="utf-8").splitlines() if x.strip()]


def test_download_rechecks_the_role_and_is_audited(rollup_file, monkeypatch, tmp_path):
    log = tmp_path / "audit.jsonl"
    monkeypatch.setenv("DTP_AUDIT_LOG", str(log))
    monkeypatch.setenv("DTP_EDITION", "rollup")
    monkeypatch.setenv("DTP_WAREHOUSE", str(rollup_file))
    acc = tmp_path / "access.toml"
    acc.write_text('viewer = ["someone@example.go.jp"]\n', encoding="utf-8")
    monkeypatch.setenv("DTP_ACCESS_FILE", str(acc))
    r = rq.current(rollup_file)
    make = rd.download("csv", r.path, "rollup_kpi", ("XYZ",), lang="en", names={},
                       as_of=None, run_id=r.run_id, principal=_p(("viewer",)))
    data = make()
    got = pl.read_csv(io.BytesIO(data), infer_schema_length=0)
    assert set(got["organisation"]) == {"XYZ", "ALL"}
    want = q(rollup_file, "SELECT count(*) AS n FROM rollup_kpi WHERE organisation IN "
             "('XYZ', 'ALL')")["n"][0]
    assert got.height == want
    last = _audit_lines(log)[-1]
    assert (last["event"], last["dataset"], last["rows"], last["publication"]) == (
        "download", "rollup_kpi", want, True)
    xlsx_bytes = rd.download("xlsx", r.path, "rollup_kpi_pace", None, lang="ja", names={},
                             as_of=None, run_id=r.run_id, principal=_p(("viewer",)))()
    assert xlsx_bytes[:2] == b"PK"
    # the role lost after the button was drawn: refused, and the refusal audited
    acc.write_text('viewer = ["someone.else@example.go.jp"]\n', encoding="utf-8")
    with pytest.raises(access.AccessDenied):
        make()
    assert _audit_lines(log)[-1]["event"] == "denied"
    # a principal of another edition's session: refused
    with pytest.raises(access.AccessDenied):
        rd.download("csv", r.path, "rollup_kpi", None, lang="en", names={}, as_of=None,
                    run_id=r.run_id, principal=_p(access.ROLES, "internal"))()
    assert audit.EVENTS  # (the module is what wrote the lines above)


@pytest.mark.parametrize("lang", ["ja", "en"])
def test_briefing_pack_holds_the_views_numbers(rollup_file, monkeypatch, lang):
    from pptx import Presentation

    monkeypatch.setenv("DTP_WAREHOUSE", str(rollup_file))
    v = _view(rollup_file, ("MOE",), lang)
    fy = v.latest_complete_fy
    prs = Presentation(io.BytesIO(rb.build(v, "pptx", fy=fy, metric="digital_hires")))
    tables = [sh.table for s in prs.slides for sh in s.shapes if sh.has_table]
    summary = tables[0]
    header = [summary.cell(0, j).text for j in range(len(summary.columns))]
    assert header == [i18n.t("metric", lang), v.org_label("MOE"), i18n.t("rollup_all", lang)]
    for i, code in enumerate(METRIC_BY_CODE, start=1):
        r = _kpi(rollup_file, "MOE", code, fy)
        assert summary.cell(i, 1).text == rui.cell(r, METRIC_BY_CODE[code].is_rate, lang)
    charts = [sh.chart for s in prs.slides for sh in s.shapes if sh.has_chart]
    assert [s.name for s in charts[0].plots[0].series] == [v.org_label("MOE")]
    try:
        rb.pdf_font()
    except rb.FontMissing:
        return
    assert rb.build(v, "pdf", fy=fy)[:5] == b"%PDF-"


# --- pack text is data (issue 28) ------------------------------------------------------------

def _inert(text: str) -> bool:
    """No Markdown link or image survives: every ``](`` of the hostile name escaped …"""
    import re

    # … and no bare address Streamlit's Markdown would autolink (a word joiner breaks it)
    return (re.search(r"(?<!\\)\]\(http", text) is None and "![x](" not in text
            and re.search(r"https?\\?:(?!\u2060)", text) is None)


@pytest.mark.parametrize("lang", ["ja", "en"])
@pytest.mark.parametrize("org", [None, "XYZ"])
@pytest.mark.parametrize("url_path", list(PAGES))
def test_a_markdown_organisation_name_is_shown_as_text(hostile_rollup_file, monkeypatch,
                                                       url_path, lang, org):
    """XYZ published as ``悪意省 [今すぐ確認](http://…/phish) ![x](http://…/beacon.png)``: on every
    roll-up page, in both languages, with and without the organisation filter, the name
    reaches Markdown only escaped (no link, no image), and Plotly only as plain text."""
    from conftest import HOSTILE_NAME

    params = {"lang": lang} | ({"org": org} if org else {})
    at = open_page(hostile_rollup_file, url_path, monkeypatch, **params)
    assert not at.error, [e.value for e in at.error]
    shown = texts(at)
    assert _inert(shown), shown
    for kind in ("markdown", "caption", "info", "warning", "error", "title", "header",
                 "subheader", "text"):
        for e in getattr(at, kind):
            assert _inert(str(e.value)), (kind, e.value)
    if url_path == "rollup-data" and org:  # the filter's caption names it, escaped
        assert "悪意省 \\[今すぐ確認\\]\\(http" in shown, shown
    for chart in at.get("plotly_chart"):
        spec = chart.proto.spec
        assert "phish.invalid" in spec or url_path != ""  # the name, as Plotly text …
        assert "<a " not in spec and "href" not in spec  # … never Plotly's link markup
    assert at.multiselect(key=rui.K_ORGS).options  # the filter lists it as a plain label
    assert HOSTILE_NAME in at.multiselect(key=rui.K_ORGS).options or any(
        "悪意省" in o for o in at.multiselect(key=rui.K_ORGS).options)


@pytest.mark.parametrize("lang", ["ja", "en"])
def test_a_markdown_organisation_name_is_plain_text_in_the_briefing_pack(
        hostile_rollup_file, monkeypatch, lang):
    """PPTX and PDF: the name as text; no hyperlink or remote image anywhere in the file."""
    import zipfile

    from conftest import HOSTILE_NAME

    monkeypatch.setenv("DTP_WAREHOUSE", str(hostile_rollup_file))
    v = _view(hostile_rollup_file, None, lang)
    data = rb.build(v, "pptx", fy=v.latest_complete_fy, metric="digital_hires")
    z = zipfile.ZipFile(io.BytesIO(data))
    xml = "".join(z.read(n).decode("utf-8", "replace") for n in z.namelist()
                  if n.endswith((".xml", ".rels")))
    assert "phish.invalid" in xml  # the name is there, as text …
    assert "hlinkClick" not in xml and 'TargetMode="External"' not in xml  # … never a link
    assert HOSTILE_NAME.replace("&", "&amp;") in xml
    try:
        rb.pdf_font()
    except rb.FontMissing:
        return
    pdf = rb.build(v, "pdf", fy=v.latest_complete_fy)
    assert b"/URI" not in pdf and b"/Link" not in pdf


def test_downloads_keep_to_the_ministry_editions_budget(rollup_file, monkeypatch, tmp_path):
    """Issue 28: the roll-up's downloads go through the same download budget (rows per format,
    bytes per file: dashboard.downloads) and audit as the ministry edition's: past it the page
    offers no button and says why, and a click made earlier is refused without an audit line
    or bytes."""
    from dashboard import downloads

    log = tmp_path / "audit.jsonl"
    monkeypatch.setenv("DTP_AUDIT_LOG", str(log))
    monkeypatch.setenv("DTP_EDITION", "rollup")
    monkeypatch.setenv("DTP_WAREHOUSE", str(rollup_file))
    acc = tmp_path / "access.toml"
    acc.write_text('viewer = ["someone@example.go.jp"]\n', encoding="utf-8")
    monkeypatch.setenv("DTP_ACCESS_FILE", str(acc))
    r = rq.current(rollup_file)
    total = rq.download_count(r, "rollup_kpi", ("XYZ",), None)
    want = q(rollup_file, "SELECT count(*) AS n FROM rollup_kpi WHERE organisation IN "
             "('XYZ', 'ALL')")["n"][0]
    assert total == want
    monkeypatch.setitem(downloads.BUDGET_ROWS, "csv", total - 1)
    make = rd.download("csv", r.path, "rollup_kpi", ("XYZ",), lang="en", names={},
                       as_of=None, run_id=r.run_id, principal=_p(("viewer",)))
    with pytest.raises(downloads.OverBudget):
        make()
    assert not log.exists() or not [x for x in _audit_lines(log) if x["event"] == "download"]
    monkeypatch.setitem(downloads.BUDGET_ROWS, "xlsx", 10)
    at = open_page(rollup_file, "rollup-data", monkeypatch, lang="en")
    kpi_buttons = [b for b in at.get("download_button")
                   if "rollup_dl_rollup_kpi_" in b.proto.id and "pace" not in b.proto.id]
    assert len(kpi_buttons) == 2 and all(b.proto.disabled for b in kpi_buttons)
    assert any("than CSV allows" in w.value or "than XLSX allows" in w.value
               for w in at.warning), [w.value for w in at.warning]
