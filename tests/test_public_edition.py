"""The public edition (DTP_EDITION=public): plan pages, Dictionary and the Data page, made from
the publication release only (release.public), with no Data quality page and no run
internals; every page draws without an error on the test data and on the sample, with and
without a bureau selection."""

from __future__ import annotations

import json
from pathlib import Path

import duckdb
import polars as pl
import pytest
from streamlit.testing.v1 import AppTest

from dashboard import fmt
from release import disclosure, public, publication

APP = str(Path(__file__).resolve().parent.parent / "dashboard" / "app.py")
PLAN = ["overview", "hiring", "training", "certification", "security", "workforce"]


def open_public(wh: Path, page: str, monkeypatch: pytest.MonkeyPatch, **params: str
                ) -> AppTest:
    monkeypatch.setenv("DTP_WAREHOUSE", str(wh))
    monkeypatch.setenv("DTP_EDITION", "public")
    public.public_path(wh, 5)  # made ahead (the first visit's worker: test_public_worker.py)
    at = AppTest.from_file(APP, default_timeout=120)
    for k, v in params.items():
        at.query_params[k] = v
    at.switch_page(f"views/{page}.py")
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def test_public_file_holds_only_the_release(tiny_warehouse):
    path = public.public_path(tiny_warehouse, 5)
    with duckdb.connect(str(path), read_only=True) as con:
        tables = {r[0] for r in con.execute("SELECT table_name FROM duckdb_tables()").fetchall()}
        assert not {t for t in tables if t.startswith("stg_")}
        assert not tables & {"validation_results", "pipeline_run_files", "roster", "hiring"}
        cols = [r[0] for r in con.execute("DESCRIBE pipeline_runs").fetchall()]
        assert "raw_dir" not in cols and "rules_checked" not in cols
        shown = con.execute("SELECT count(*) FROM kpi WHERE status = 'suppressed'").fetchall()
        assert shown[0][0] > 0
    rel = publication.release(path, 5)  # the Data page reads the release stored in it
    ref = disclosure.release(tiny_warehouse, 5)
    for name in ref.tables:
        assert rel.tables[name].equals(ref.tables[name], null_equal=True), name


@pytest.mark.parametrize("page", [*PLAN, "dictionary", "data"])
@pytest.mark.parametrize("bureau", [None, "B1"])
def test_public_pages_draw(tiny_warehouse, monkeypatch, page, bureau):
    params = {"bureau": bureau} if bureau else {}
    at = open_public(tiny_warehouse, page, monkeypatch, **params)
    text = json.dumps([str(e.proto) for e in at.get("caption")], ensure_ascii=False)
    assert "run_id" not in text.lower() and "20" not in "".join(
        c.value for c in at.caption if "ID" in c.value)


def test_public_navigation_has_no_quality_page(tiny_warehouse, monkeypatch):
    monkeypatch.setenv("DTP_WAREHOUSE", str(tiny_warehouse))
    monkeypatch.setenv("DTP_EDITION", "public")
    public.public_path(tiny_warehouse, 5)
    at = AppTest.from_file(APP, default_timeout=120)
    at.switch_page("views/quality.py")
    at.run()
    # not in the navigation: Streamlit falls back to the default page
    assert not at.exception
    assert not any("validation" in str(e.value).lower() for e in at.markdown)


def test_public_data_page_offers_publication_datasets_only(tiny_warehouse, monkeypatch):
    at = open_public(tiny_warehouse, "data", monkeypatch, dataset="stg_roster")
    options = at.selectbox(key="data_dataset").options
    assert not [o for o in options if "stg_" in o]
    assert at.selectbox(key="data_dataset").value == "kpi"


@pytest.mark.parametrize("page", PLAN)
def test_public_pages_on_the_sample(sample_public, monkeypatch, page):
    at = open_public(sample_public, page, monkeypatch, bureau="AEB")
    for df in at.dataframe:  # a protected cell reads [c], never NaN
        for c in df.value.columns:
            assert not [x for x in df.value[c].tolist() if str(x).lower() in ("nan", "<na>")], c
    if page == "overview":  # small bureau: protected cells are shown as [c], never a number
        shown = [str(m.value) for m in at.metric] + [
            str(e.proto) for e in at.get("plotly_chart")]
        assert "[c]" in json.dumps(shown, ensure_ascii=False)


@pytest.fixture(scope="module")
def sample_public(tmp_path_factory: pytest.TempPathFactory) -> Path:
    from pipelines.warehouse import build

    wh = tmp_path_factory.mktemp("sample_public") / "warehouse.duckdb"
    build(Path(APP).parent.parent / "data" / "raw", wh)
    return wh


@pytest.mark.parametrize("bureaus", [("AEB", "CSO"), ("ICB",), ("MS", "STB", "TBB")])
def test_public_cards_show_a_bureau_sum_only_if_it_follows_from_the_pack(
        sample_public, monkeypatch, bureaus):
    """A card summed over selected bureaus is [c] when any of their cells is [c] in the
    released kpi, and otherwise exactly the sum of the released cells."""
    from pipelines.schema import METRIC_BY_CODE
    from release import i18n

    kpi = publication.release(sample_public, 5).tables["kpi"]
    at = open_public(sample_public, "overview", monkeypatch, bureau=",".join(bureaus))
    fy = at.selectbox(key="overview_fy").value
    cards = {m.label: m.value for m in at.metric}
    checked = hidden = 0
    for code, m in METRIC_BY_CODE.items():
        label = i18n.metric_name(code, "ja")
        if not m.by_bureau or label not in cards:
            continue
        rows = kpi.filter((pl.col("metric") == code) & (pl.col("fiscal_year") == fy)
                          & pl.col("bureau_code").is_in(list(bureaus)))
        cells = rows["numerator"].to_list() + (rows["denominator"].to_list()
                                               if m.is_rate else [])
        checked += 1
        if "[c]" in cells:
            hidden += 1
            assert cards[label] == "[c]", (code, cells, cards[label])
            continue
        num = sum(float(x) for x in rows["numerator"])
        den = sum(float(x) for x in rows["denominator"]) if m.is_rate else None
        value = (num / den if den else None) if m.is_rate else num
        assert cards[label] == fmt.value(value, m.is_rate), code
    assert checked >= 5


def test_public_file_lives_in_a_private_folder_and_old_versions_go(tiny_warehouse, tmp_path):
    import os
    import shutil
    import stat

    path = public.public_path(tiny_warehouse, 5)
    assert stat.S_IMODE(os.stat(path.parent).st_mode) == 0o700  # no other user plants a file
    assert public.public_path(tiny_warehouse, 5) == path  # made once per version
    copy = tmp_path / "warehouse.duckdb"
    shutil.copy(tiny_warehouse, copy)
    first = public.public_path(copy, 5)
    os.utime(copy, ns=(0, 0))  # a rebuilt warehouse: a new version replaces the old one
    second = public.public_path(copy, 5)
    assert second != first and second.exists() and not first.exists()
    assert path.exists()  # another warehouse's file is left alone


def test_public_edition_serves_the_publish_packs_own_file(tiny_warehouse, tmp_path,
                                                         monkeypatch):
    """The pack carries public.duckdb: a web server can run the public edition on it alone,
    without the personnel warehouse, and it shows the pack's own cells."""
    import io

    from release import publication

    out = publication.write_pack(tiny_warehouse, tmp_path / "pack", 5).out_dir
    served = out / publication.PUBLIC_NAME
    raw = (out / "kpi.csv").read_bytes()
    pack_kpi = pl.read_csv(io.BytesIO(raw[3:]), infer_schema=False)
    with duckdb.connect(str(served), read_only=True) as con:
        kpi = con.sql("SELECT metric, fiscal_year, bureau_code, value FROM kpi").pl()
        assert not con.sql("SELECT * FROM duckdb_tables() WHERE table_name LIKE 'stg_%'"
                           ).fetchall()
    hidden = {(r["metric"], int(r["fiscal_year"]), r["bureau_code"])
              for r in pack_kpi.iter_rows(named=True) if r["value"] == "[c]"}
    nan = {(r["metric"], r["fiscal_year"], r["bureau_code"])
           for r in kpi.iter_rows(named=True)
           if r["value"] is not None and r["value"] != r["value"]}
    assert hidden and hidden == nan
    at = open_public(served, "overview", monkeypatch)
    assert "[c]" in json.dumps([m.value for m in at.metric], ensure_ascii=False)
