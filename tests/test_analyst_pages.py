"""The analyst pages (データ Data, 定義 Dictionary, データ品質 Data quality), their queries and the
lazy downloads, on the tiny real warehouse of tests/dataset.py."""

from __future__ import annotations

import io
from pathlib import Path

import dataset as tiny_data
import duckdb
import openpyxl
import polars as pl
import pytest
from conftest import build_from
from streamlit.testing.v1 import AppTest

from dashboard import access, datasets, downloads, queries
from dashboard.datasets import DataFilter
from pipelines.schema import BY_NAME, METRICS
from release import catalogue, i18n
from release import disclosure as ex

APP = str(Path(__file__).resolve().parent.parent / "dashboard" / "app.py")
LANGS = ("ja", "en")


def q(wh: Path, sql: str, params: list | None = None) -> list[tuple]:
    with duckdb.connect(str(wh), read_only=True) as con:
        return con.execute(sql, params or []).fetchall()


def fy_span(wh: Path) -> tuple[int, int]:
    return q(wh, "SELECT min(fiscal_year), max(fiscal_year) FROM kpi")[0]


def open_page(wh: Path, page: str, monkeypatch: pytest.MonkeyPatch, **params: str) -> AppTest:
    monkeypatch.setenv("DTP_WAREHOUSE", str(wh))
    at = AppTest.from_file(APP, default_timeout=60)
    for k, v in params.items():
        at.query_params[k] = v
    at.switch_page(page)
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def rows_shown(at: AppTest) -> int:
    (metric,) = [m for m in at.metric if m.label in ("該当行数", "Rows")]
    return int(metric.value.replace(",", ""))


def preview(at: AppTest) -> pl.DataFrame:
    (df,) = at.dataframe  # the data page's only table
    return pl.from_pandas(df.value)


def frames(at: AppTest) -> list[pl.DataFrame]:
    """The page's tables in page order (AppTest gives keyed dataframes no id)."""
    return [pl.from_pandas(d.value) for d in at.dataframe]


# --- catalogue = warehouse -----------------------------------------------------------------------

def test_catalogue_documents_every_table_and_column(tiny_warehouse):
    tables = {t for (t,) in q(tiny_warehouse, "SELECT table_name FROM information_schema.tables")}
    assert tables == set(catalogue.BY_TABLE), "every warehouse table is documented, no more"
    for ds in catalogue.ALL:
        cols = [c for (c,) in q(tiny_warehouse, "SELECT column_name FROM information_schema."
                                "columns WHERE table_name = ? ORDER BY ordinal_position",
                                [ds.name])]
        assert list(ds.column_names) == cols, ds.name
        for c in ds.columns:
            assert c.ja and c.en, (ds.name, c.name)
        for name in (*ds.filters, *ds.counts, *ds.order, *ds.margin_by):
            assert name in cols, (ds.name, name)


def test_downloads_add_the_bureau_name_after_the_bureau_code():
    for ds in catalogue.ALL:
        names = [c.name for c in ds.export_columns]
        extra = [c for c in ds.export_columns if c.export_only]
        if ds.bureau_column:
            i = names.index(ds.bureau_column)
            assert names[:i + 1] + names[i + 2:] == list(ds.column_names), ds.name
            assert names[i + 1] == "bureau_name" and [c.name for c in extra] == ["bureau_name"]
            assert extra[0].ja and extra[0].en
            assert ("省全体" in extra[0].ja) == bool(ds.margin_by), ds.name
        else:
            assert ds.export_columns == ds.columns and not extra, ds.name
        assert not any(c.export_only for c in ds.columns), ds.name
        assert "bureau_name" not in (*ds.filters, *ds.counts, *ds.order), ds.name


def test_contract_columns_take_their_meaning_from_the_schema():
    for ds in catalogue.ALL:
        for c in ds.columns:
            if c.source:
                table, column = c.source.split(".")
                col = BY_NAME[table].column(column)
                assert c.ja.startswith(col.ja) and c.en.startswith(col.en), c.source


# --- the data page -------------------------------------------------------------------------------

@pytest.mark.parametrize("lang", LANGS)
@pytest.mark.parametrize("name", list(catalogue.DOWNLOADS))
def test_data_page_count_equals_the_warehouse(tiny_warehouse, monkeypatch, lang, name):
    at = open_page(tiny_warehouse, "views/data.py", monkeypatch, lang=lang, dataset=name)
    ds = catalogue.DOWNLOADS[name]
    lo, hi = fy_span(tiny_warehouse)
    (n,) = q(tiny_warehouse, f'SELECT count(*) FROM "{name}" WHERE "{ds.fy_column}" '
             "BETWEEN ? AND ?", [lo, hi])[0]
    assert rows_shown(at) == n
    assert preview(at).height == min(n, 100)
    cols = preview(at).columns
    if ds.bureau_column:
        assert cols[cols.index(ds.bureau_column) + 1] == "bureau_name"
    else:  # ministry-wide only (kpi_pace_history): no bureau, so no bureau name
        assert "bureau_name" not in cols
    if name != "kpi":  # the default is not written into the URL
        assert at.query_params["dataset"] == name
    assert len(at.get("download_button")) == 3


@pytest.mark.parametrize("lang", LANGS)
def test_data_page_with_filters(tiny_warehouse, monkeypatch, lang):
    at = open_page(tiny_warehouse, "views/data.py", monkeypatch, lang=lang,
                   dataset="stg_training", bureau="B1,B2", fy_from="2021", fy_to="2021",
                   f_category="unified_it,security_elearning")
    (n,) = q(tiny_warehouse, "SELECT count(*) FROM stg_training WHERE bureau_code IN ('B1','B2')"
             " AND fiscal_year = 2021 AND category IN ('unified_it','security_elearning')")[0]
    assert n > 0
    assert rows_shown(at) == n
    shown = preview(at)
    assert set(shown["category"]) <= {"unified_it", "security_elearning"}
    assert set(shown["fiscal_year"]) == {2021}
    assert at.query_params["f_category"] == "unified_it,security_elearning"


def test_changing_a_filter_updates_count_and_url(tiny_warehouse, monkeypatch):
    at = open_page(tiny_warehouse, "views/data.py", monkeypatch, dataset="stg_roster")
    total = rows_shown(at)
    at.multiselect(key="data_f_grade").select("staff").run()
    assert not at.exception
    (n,) = q(tiny_warehouse, "SELECT count(*) FROM stg_roster WHERE grade = 'staff'")[0]
    assert rows_shown(at) == n < total
    assert at.query_params["f_grade"] == "staff"
    at.multiselect(key="data_f_grade").unselect("staff").run()
    assert rows_shown(at) == total and "f_grade" not in at.query_params


def test_null_and_boolean_filter_values(tiny_warehouse, monkeypatch):
    at = open_page(tiny_warehouse, "views/data.py", monkeypatch, dataset="stg_training",
                   f_level="null,A")
    (n,) = q(tiny_warehouse, "SELECT count(*) FROM stg_training WHERE level IS NULL "
             "OR level = 'A'")[0]
    assert rows_shown(at) == n
    at = open_page(tiny_warehouse, "views/data.py", monkeypatch, dataset="stg_phishing_drills",
                   f_opened="true")
    (n,) = q(tiny_warehouse, "SELECT count(*) FROM stg_phishing_drills WHERE opened")[0]
    assert rows_shown(at) == n


# the plan's published figures (published.csv) are public already: shown even when small
PUBLISHED_FIGURE = (pl.col("metric") == "digital_hires") & pl.col("bureau_code").is_null()


@pytest.mark.parametrize("lang", LANGS)
def test_publication_mode_shows_no_small_cells(tiny_warehouse, monkeypatch, lang):
    at = open_page(tiny_warehouse, "views/data.py", monkeypatch, lang=lang, dataset="kpi",
                   pub="1")
    shown = preview(at)
    assert rows_shown(at) == q(tiny_warehouse, "SELECT count(*) FROM kpi")[0][0]
    for col in ("numerator", "denominator"):
        small = shown.filter(pl.col(col).is_in(["1", "2", "3", "4"])
                             & (pl.col("metric") != "phishing_drills_held")
                             & ~PUBLISHED_FIGURE)
        assert small.height == 0, small
    assert (shown["numerator"] == ex.SUPPRESSED).any()
    options = at.selectbox(key="data_dataset").options
    assert not [o for o in options if "stg_" in o], "row-level not offered for publication"


def test_publication_mode_never_offers_row_level(tiny_warehouse, monkeypatch):
    at = open_page(tiny_warehouse, "views/data.py", monkeypatch, dataset="stg_roster", pub="1")
    assert at.selectbox(key="data_dataset").value == "kpi"
    assert rows_shown(at) == q(tiny_warehouse, "SELECT count(*) FROM kpi")[0][0]


@pytest.mark.parametrize("lang", LANGS)
def test_bogus_query_string(tiny_warehouse, monkeypatch, lang):
    at = open_page(tiny_warehouse, "views/data.py", monkeypatch, lang=lang,
                   dataset="kpi'; DROP TABLE kpi; --", pub="maybe",
                   f_metric="<script>alert(1)</script>", f_grade="../../etc/passwd",
                   fy_from="abc", bureau="ZZ,' OR 1=1", junk="1")
    assert at.selectbox(key="data_dataset").value == "kpi"
    assert rows_shown(at) == q(tiny_warehouse, "SELECT count(*) FROM kpi")[0][0]
    assert q(tiny_warehouse, "SELECT count(*) FROM kpi")[0][0] > 0  # still there
    notices = " ".join(c.value for c in at.caption)
    assert "pub" in notices and "f_metric" in notices


# --- downloads -----------------------------------------------------------------------------------

TRAINING = DataFilter("stg_training", ("B1", "B2"), 2020, 2021,
                      (("category", ("unified_it", "security_elearning")),))


def with_bureau_name(frame: pl.DataFrame, wh: Path, lang: str,
                     ministry: str | None = None) -> pl.DataFrame:
    """``frame`` with the bureau's name in ``lang`` right after bureau_code (``ministry`` on
    rows without a bureau), as a download holds it."""
    names = dict(q(wh, f"SELECT bureau_code, name_{lang} FROM bureaus"))
    named = frame.with_columns(
        pl.col("bureau_code").replace_strict(names, default=ministry, return_dtype=pl.String)
        .alias("bureau_name"))
    cols = list(frame.columns)
    cols.insert(cols.index("bureau_code") + 1, "bureau_name")
    return named.select(cols)


def expected_training(wh: Path, lang: str = "ja") -> pl.DataFrame:
    with duckdb.connect(str(wh), read_only=True) as con:
        rows = con.sql("SELECT * FROM stg_training WHERE bureau_code IN ('B1','B2') AND "
                       "fiscal_year BETWEEN 2020 AND 2021 AND category IN "
                       "('unified_it','security_elearning') ORDER BY fiscal_year, "
                       "record_id").pl()
    return with_bureau_name(rows, wh, lang)


def make(kind: str, wh: Path, f: DataFilter, **kw: object) -> bytes:
    opts = dict(lang="ja", publication=False, threshold=5, bureau_names={"B1": "第一局"},
                principal=access.LOCAL)
    opts.update(kw)
    return downloads.download(kind, str(wh), f, **opts)()  # type: ignore[arg-type]


def test_csv_download_holds_exactly_the_filtered_rows(tiny_warehouse):
    want = expected_training(tiny_warehouse)
    assert want.height > 0
    data = make("csv", tiny_warehouse, TRAINING)
    assert data.startswith(b"\xef\xbb\xbf")
    got = pl.read_csv(io.BytesIO(data[3:]), schema=want.schema)
    assert got.equals(want)


def test_xlsx_download_holds_the_rows_and_says_which_filters(tiny_warehouse):
    want = expected_training(tiny_warehouse)
    wb = openpyxl.load_workbook(io.BytesIO(make("xlsx", tiny_warehouse, TRAINING)))
    rows = list(wb["data"].iter_rows(values_only=True))
    assert rows[0] == tuple(want.columns)
    assert [r[0] for r in rows[1:]] == want["record_id"].to_list()
    about = "\n".join(str(c) for r in wb["about"].iter_rows(values_only=True) for c in r if c)
    for text in ("stg_training", "B1 第一局", "B2", "2020", "2021", "unified_it",
                 "security_elearning", q(tiny_warehouse, "SELECT run_id FROM pipeline_runs")[0][0],
                 "研修受講"):
        assert text in about, text


def test_parquet_download_round_trips(tiny_warehouse):
    want = expected_training(tiny_warehouse)
    got = pl.read_parquet(io.BytesIO(make("parquet", tiny_warehouse, TRAINING)))
    assert got.equals(want)


@pytest.mark.parametrize("lang", LANGS)
def test_downloads_name_the_bureau_in_the_page_language(tiny_warehouse, lang):
    want = expected_training(tiny_warehouse, lang)
    assert set(want["bureau_name"]) == ({"第一局", "第二局"} if lang == "ja"
                                        else {"First Bureau", "Second Bureau"})
    data = make("csv", tiny_warehouse, TRAINING, lang=lang)
    assert pl.read_csv(io.BytesIO(data[3:]), schema=want.schema).equals(want)
    assert pl.read_parquet(io.BytesIO(make("parquet", tiny_warehouse, TRAINING, lang=lang))
                           ).equals(want)
    wb = openpyxl.load_workbook(io.BytesIO(make("xlsx", tiny_warehouse, TRAINING, lang=lang)))
    rows = list(wb["data"].iter_rows(values_only=True))
    assert rows[0] == tuple(want.columns)
    i = rows[0].index("bureau_name")
    assert rows[0][i - 1] == "bureau_code"
    assert [r[i] for r in rows[1:]] == want["bureau_name"].to_list()
    about = list(wb["about"].iter_rows(values_only=True))
    (doc,) = [r for r in about if r[0] == "bureau_name"]  # the about sheet's column list
    assert doc[1:3] == ("String", catalogue.BUREAU_NAME.meaning(lang))


@pytest.mark.parametrize("lang", LANGS)
def test_ministry_wide_rows_are_labelled_and_rows_without_a_bureau_left_empty(tiny_warehouse,
                                                                             lang):
    ministry = "省全体" if lang == "ja" else "Ministry-wide"
    for name, label in (("kpi", ministry), ("mart_training", None), ("stg_training", None)):
        frame, _, _ = downloads.rows(str(tiny_warehouse), DataFilter(name), False, 5, lang)
        assert frame["bureau_code"].null_count() > 0, name  # the tiny data set has such rows
        want = with_bureau_name(frame.drop("bureau_name"), tiny_warehouse, lang, label)
        assert frame.equals(want), name
    data = make("csv", tiny_warehouse, DataFilter("kpi"), lang=lang)
    assert f"\r\ndigital_hires,2020,,{ministry}," in data.decode("utf-8-sig")


@pytest.mark.parametrize("lang", LANGS)
def test_publication_leaves_bureau_names_alone(tiny_warehouse, lang):
    ministry = "省全体" if lang == "ja" else "Ministry-wide"
    frame, _, supp = downloads.rows(str(tiny_warehouse), DataFilter("kpi"), True, 5, lang)
    assert supp is not None and supp.cells > 0
    assert "bureau_name" not in supp.columns  # a name, not a count
    want = with_bureau_name(frame.drop("bureau_name"), tiny_warehouse, lang, ministry)
    assert frame.equals(want)
    wb = openpyxl.load_workbook(io.BytesIO(make("xlsx", tiny_warehouse, DataFilter("kpi"),
                                                lang=lang, publication=True)))
    header = [c.value for c in next(wb["data"].iter_rows(max_row=1))]
    i = header.index("bureau_name")
    cells = [r[i] for r in wb["data"].iter_rows(min_row=2)]
    assert [c.value for c in cells] == frame["bureau_name"].to_list()
    assert all(c.data_type == "s" for c in cells)


def test_bureau_names_cannot_run_as_formulas(tmp_path):
    payloads = {"ja": '=HYPERLINK("http://x","y")', "en": "@SUM(A1)"}
    data = tiny_data.base()
    data["bureaus"][0].update(name_ja=payloads["ja"], name_en=payloads["en"])  # B1
    wh = build_from(data, tmp_path)
    for lang, payload in payloads.items():
        csv = pl.read_csv(io.BytesIO(make("csv", wh, TRAINING, lang=lang)[3:]),
                          infer_schema=False)
        b1 = csv.filter(pl.col("bureau_code") == "B1")
        assert b1.height and set(b1["bureau_name"]) == {"'" + payload}
        ws = openpyxl.load_workbook(io.BytesIO(make("xlsx", wh, TRAINING, lang=lang)))["data"]
        header = [c.value for c in next(ws.iter_rows(max_row=1))]
        i = header.index("bureau_name")
        cells = [r[i] for r in ws.iter_rows(min_row=2) if r[i - 1].value == "B1"]
        assert cells and all(c.data_type == "s" and c.quotePrefix and c.value == payload
                             for c in cells)
        parquet = pl.read_parquet(io.BytesIO(make("parquet", wh, TRAINING, lang=lang)))
        assert set(parquet.filter(pl.col("bureau_code") == "B1")["bureau_name"]) == {payload}


@pytest.mark.parametrize("lang", LANGS)
@pytest.mark.parametrize("pub", ["0", "1"])
def test_data_page_preview_names_the_bureaus(tiny_warehouse, monkeypatch, lang, pub):
    at = open_page(tiny_warehouse, "views/data.py", monkeypatch, lang=lang, dataset="kpi",
                   pub=pub)
    shown = preview(at)
    names = dict(q(tiny_warehouse, f"SELECT bureau_code, name_{lang} FROM bureaus"))
    ministry = "省全体" if lang == "ja" else "Ministry-wide"
    pairs = set(shown.select("bureau_code", "bureau_name").rows())
    assert pairs == {(None, ministry), *names.items()}


def test_download_reads_the_warehouse_only_when_clicked(tiny_warehouse, monkeypatch):
    calls = []
    real = datasets.data_for_download
    monkeypatch.setattr(datasets, "data_for_download",
                        lambda *a, **k: calls.append(a) or real(*a, **k))
    fn = downloads.download("csv", str(tiny_warehouse), TRAINING, lang="en", publication=False,
                          threshold=5, bureau_names={}, principal=access.LOCAL)
    assert calls == []
    fn()
    assert len(calls) == 1 and calls[0][1] == TRAINING  # the filters captured when drawn


@pytest.mark.parametrize("name", [ds.name for ds in catalogue.DOWNLOADABLE if ds.aggregated])
def test_publication_download_has_no_small_cells(tiny_warehouse, name):
    ds = catalogue.DOWNLOADS[name]
    frame, _, supp = downloads.rows(str(tiny_warehouse), DataFilter(name), True, 5, "ja")
    assert supp is not None
    for col in ds.counts:
        vals = frame.filter((pl.col("metric") != "phishing_drills_held") & ~PUBLISHED_FIGURE) \
            if name == "kpi" else frame
        assert not vals.filter(pl.col(col).is_in(["1", "2", "3", "4"])).height, (name, col)
    data = make("csv", tiny_warehouse, DataFilter(name), publication=True)
    assert data.startswith(b"\xef\xbb\xbf")
    assert downloads.file_name("csv", ds, DataFilter(name), None, True).endswith(
        "_suppressed.csv")
    with pytest.raises(ValueError):
        downloads.rows(str(tiny_warehouse), DataFilter("stg_roster"), True, 5, "ja")


def test_kpi_suppression_sees_whole_groups_before_the_bureau_filter(tiny_warehouse):
    """Two filtered publication downloads agree cell by cell with the unfiltered one."""
    full, _, _ = downloads.rows(str(tiny_warehouse), DataFilter("kpi"), True, 5, "ja")
    one, _, _ = downloads.rows(str(tiny_warehouse), DataFilter("kpi", ("B1",)), True, 5, "ja")
    keys = ["metric", "fiscal_year", "bureau_code"]
    joined = one.join(full, on=keys, suffix="_full")
    assert joined.height == one.height > 0
    for col in ("numerator", "denominator", "value"):
        assert joined[col].equals(joined[f"{col}_full"], null_equal=True), col


def test_queries_allow_only_catalogued_identifiers(tiny_warehouse):
    run = queries.current_run(tiny_warehouse)
    with pytest.raises(ValueError):
        datasets.data_count(run, DataFilter("pipeline_runs"))
    with pytest.raises(ValueError):
        datasets.data_count(run, DataFilter("kpi", values=(("value", (1.0,)),)))
    with pytest.raises(ValueError):
        datasets.data_options(run, "kpi", 'metric" FROM kpi; --')
    evil = DataFilter("kpi", values=(("metric", ("x' OR '1'='1",)),))
    assert datasets.data_count(run, evil) == 0  # a bound value, never SQL


# --- the dictionary page -------------------------------------------------------------------------

@pytest.mark.parametrize("lang", LANGS)
def test_dictionary_page(tiny_warehouse, monkeypatch, lang):
    at = open_page(tiny_warehouse, "views/dictionary.py", monkeypatch, lang=lang)
    assert len(at.expander) == len(catalogue.ALL)
    tables = frames(at)
    assert len(tables) == len(catalogue.ALL) + 2  # one per dataset, metrics, targets
    by_dataset = dict(zip([ds.name for ds in catalogue.ALL], tables, strict=False))
    metrics, targets = tables[-2], tables[-1]
    assert metrics.height == len(METRICS)
    assert metrics[metrics.columns[6]].to_list() == [m.definition_ja for m in METRICS]
    assert metrics[metrics.columns[7]].to_list() == [m.definition_en for m in METRICS]
    assert targets.height == q(tiny_warehouse, "SELECT count(*) FROM plan_targets")[0][0]
    roster = by_dataset["stg_roster"]
    name = pl.col(roster.columns[0])
    assert roster[roster.columns[0]].to_list() == [
        c.name for c in catalogue.BY_TABLE["stg_roster"].export_columns]
    types = [t for (t,) in q(tiny_warehouse, "SELECT data_type FROM information_schema.columns "
                             "WHERE table_name = 'stg_roster' ORDER BY ordinal_position")]
    stored = roster.filter(name != "bureau_name")
    assert stored[stored.columns[1]].to_list() == types
    assert stored[stored.columns[2]].to_list()[4] == BY_NAME["roster"].column("grade").ja
    # the column only downloads have is documented as such, for every downloadable dataset
    for ds in catalogue.DOWNLOADABLE:
        table = by_dataset[ds.name]
        if ds.bureau_column is None:  # ministry-wide only: no bureau name either
            assert table.filter(pl.col(table.columns[0]) == "bureau_name").height == 0
            continue
        (row,) = table.filter(pl.col(table.columns[0]) == "bureau_name").rows()
        doc = ds.export_columns[ds.export_columns.index(ds.column("bureau_code")) + 1]
        assert row[1:4] == (i18n.t("dict_export_only", lang), doc.ja, doc.en), ds.name


# --- the quality page ----------------------------------------------------------------------------

@pytest.mark.parametrize("lang", LANGS)
def test_quality_page(tiny_warehouse, monkeypatch, lang):
    at = open_page(tiny_warehouse, "views/quality.py", monkeypatch, lang=lang)
    run_id = q(tiny_warehouse, "SELECT run_id FROM pipeline_runs ORDER BY started_at DESC")[0][0]
    assert any(run_id in m.value for m in at.markdown)
    suites = q(tiny_warehouse, "SELECT count(DISTINCT suite), count(*) FROM validation_results")
    tables = frames(at)  # files, one per suite, published; no earlier runs
    assert len(tables) == 1 + suites[0][0] + 1
    files, checks, pub = tables[0], tables[1:-1], tables[-1]
    want = q(tiny_warehouse, "SELECT file, sha256, rows FROM pipeline_run_files "
             "WHERE run_id = ? ORDER BY file", [run_id])
    assert [r[:3] for r in files.rows()] == want  # file, SHA-256, rows (labelled columns)
    assert len(at.expander) == suites[0][0]
    assert sum(t.height for t in checks) == suites[0][1]
    assert pub.height == q(tiny_warehouse, "SELECT count(*) FROM published_check")[0][0]
    assert at.success  # every check passed, every published figure matches


def test_quality_page_flags_differences_and_lists_earlier_runs(tmp_path, monkeypatch):
    build_from(tiny_data.base(), tmp_path)
    data = tiny_data.base()
    data["published"][0]["value"] = "5"  # the data say 1
    wh = build_from(data, tmp_path)  # same warehouse path: the first run becomes history
    at = open_page(wh, "views/quality.py", monkeypatch, lang="en")
    assert any("1 published figures differ" in w.value for w in at.warning)
    tables = frames(at)  # files, suites…, published, earlier runs, their files
    pub, runs = tables[-3], tables[-2]
    assert pub[pub.columns[0]].to_list() == ["⚠ differs"]
    assert runs.height == 1
