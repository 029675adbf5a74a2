"""Disclosure control, tried as an attacker would (tests/attack.py), and the publication pack.

The attacker reads only the pack's CSV files and published.csv, and knows every additive
relation metrics.md defines; on the tiny hand-made data set and on the shipped sample it must
recover no protected cell, exactly or narrowed to one value. The same attacker, run against a
release protected the old way (small cells only, each file on its own), recovers cells — so a
pass means something.
"""

from __future__ import annotations

import io
import json
import subprocess
import sys
from pathlib import Path

import attack
import duckdb
import openpyxl
import polars as pl
import pytest

from dashboard import downloads
from dashboard.datasets import DataFilter
from pipelines.settings import SettingsError, get_settings
from pipelines.warehouse import build
from release import disclosure, publication

ROOT = Path(__file__).resolve().parent.parent
SAMPLE_RAW = ROOT / "data" / "raw"


@pytest.fixture(scope="session")
def sample_warehouse(tmp_path_factory: pytest.TempPathFactory) -> Path:
    wh = tmp_path_factory.mktemp("sample") / "warehouse.duckdb"
    build(SAMPLE_RAW, wh)
    return wh


def pack(warehouse: Path, out: Path, threshold: int = 5) -> publication.Pack:
    return publication.write_pack(warehouse, out, threshold)


def raw_published(warehouse: Path, out: Path) -> Path:
    """published.csv as the public knows it (from the warehouse's copy of it)."""
    with duckdb.connect(str(warehouse), read_only=True) as con:
        con.sql("SELECT metric, fiscal_year, value, source FROM published").pl().write_csv(out)
    return out


# --- the attack suite --------------------------------------------------------------------------

@pytest.mark.parametrize("threshold", [2, 5, 10])
def test_attack_recovers_nothing_on_the_test_data(tiny_warehouse, tmp_path, threshold):
    p = pack(tiny_warehouse, tmp_path / "pack", threshold)
    res = attack.attack(p.out_dir, raw_published(tiny_warehouse, tmp_path / "pub.csv"),
                        tiny_warehouse, threshold)
    assert res.infeasible_at_truth == []  # the attacker's relations are all true
    assert res.protected > 0
    assert res.recovered == []
    # the published FY2020 digital hires (1) confine B1's and B2's cells to {0, 1}: from
    # threshold 3 on the interval rule (a span of t−1) cannot be met whatever is withheld,
    # and the release says so (unprotectable) rather than pretend
    assert p.release.unprotectable == (0 if threshold == 2 else 2)


@pytest.mark.parametrize("threshold", [5, 10])
def test_without_the_published_figure_every_cell_is_protectable(tmp_path, threshold):
    from conftest import build_from, dataset

    d = dataset.base()
    d["published"] = []
    wh = build_from(d, tmp_path)
    assert disclosure.release(wh, threshold).unprotectable == 0


def test_attack_recovers_nothing_on_the_sample(sample_warehouse, tmp_path):
    """Nothing pinned, and no small count narrowed below the threshold (the protection
    interval), with course caps and distinct openers in the attacker's model."""
    p = pack(sample_warehouse, tmp_path / "pack")
    res = attack.attack(p.out_dir, SAMPLE_RAW / "published.csv", sample_warehouse, 5,
                        intervals=True)
    assert res.infeasible_at_truth == []
    assert res.protected > 1000
    assert res.recovered == [], res.recovered[:10]
    assert res.narrowed == [], res.narrowed[:10]
    print(f"\nsample: {res.protected} protected cells, {len(res.recovered)} recovered")


def _naive_pack(warehouse: Path, out: Path, threshold: int = 5) -> Path:
    """Small cells → [c], each file on its own, statuses and zeros shown (the old way)."""
    out.mkdir()
    with duckdb.connect(str(warehouse), read_only=True) as con:
        for ds in disclosure.DATASETS:
            f = con.sql(f'SELECT * FROM "{ds.name}"').pl()
            hide = {c: (pl.col(c) > 0) & (pl.col(c) < threshold) for c in ds.counts}
            if ds.name == "kpi":
                hide = {c: e & (pl.col("metric") != "phishing_drills_held")
                        for c, e in hide.items()}
                f = f.with_columns(pl.when(hide["numerator"] | hide["denominator"].fill_null(
                    False)).then(pl.lit("[c]")).otherwise(pl.col("value").cast(pl.String))
                    .alias("value"))
            f = f.with_columns(pl.when(e).then(pl.lit("[c]")).otherwise(
                pl.col(c).cast(pl.String)).alias(c) for c, e in hide.items())
            f.write_csv(out / f"{ds.name}.csv")
    return out


def test_the_attack_finds_what_primary_suppression_alone_leaves(sample_warehouse, tmp_path):
    naive = _naive_pack(sample_warehouse, tmp_path / "naive")
    res = attack.attack(naive, SAMPLE_RAW / "published.csv", sample_warehouse, 5)
    assert res.infeasible_at_truth == []
    kinds = {name[0] for name, _ in res.recovered}
    assert len(res.recovered) > 100
    assert {"kpi", "complement"} <= kinds and any(k.startswith("mart_") for k in kinds)
    # (c) published totals: a year with a single hidden bureau
    assert any(name[0] == "kpi" and name[1][0] == "digital_hires" for name, _ in res.recovered)


# --- what a release shows ----------------------------------------------------------------------

def test_rates_follow_from_the_published_counts_and_statuses_hide_with_values(
        sample_warehouse):
    kpi = disclosure.release(sample_warehouse, 5).tables["kpi"]
    shown = kpi.filter((pl.col("value") != "[c]") & pl.col("denominator").is_not_null()
                       & (pl.col("denominator") != "[c]") & (pl.col("denominator") != "0"))
    assert shown.height > 0
    ratio = shown.select((pl.col("numerator").cast(pl.Float64)
                          / pl.col("denominator").cast(pl.Float64)
                          - pl.col("value").cast(pl.Float64)).abs().max()).item()
    assert ratio < 1e-12
    hidden = kpi.filter(pl.col("value") == "[c]")
    assert hidden.filter(pl.col("status").is_in(["met", "below", "above"])).height == 0
    # a value next to a hidden count is hidden
    assert kpi.filter(((pl.col("numerator") == "[c]") | (pl.col("denominator") == "[c]"))
                      & (pl.col("value") != "[c]")).height == 0
    # the plan's published figures stay shown
    pub = kpi.filter((pl.col("metric") == "digital_hires") & pl.col("bureau_code").is_null()
                     & pl.col("fiscal_year").is_between(2016, 2022))
    assert pub["numerator"].to_list() == ["1", "1", "0", "2", "1", "0", "8"]


def test_no_small_count_is_shown(tiny_warehouse):
    rel = disclosure.release(tiny_warehouse, 5)
    published = {(2020, "1")}  # tests/dataset.py publishes digital_hires FY2020 = 1
    for name, frame in rel.tables.items():
        ds = disclosure.BY_NAME[name]
        for col in ds.counts:
            small = frame.filter(pl.col(col).is_in(["1", "2", "3", "4"]))
            if name == "kpi":
                small = small.filter(pl.col("metric") != "phishing_drills_held")
                pairs = list(zip(small["fiscal_year"], small[col], strict=True))
                is_pub = [p in published for p in pairs]
                small = small.filter(~pl.Series(is_pub, dtype=pl.Boolean)
                                     | pl.col("bureau_code").is_not_null())
            assert small.height == 0, (name, col, small)


def test_protection_is_deterministic(sample_warehouse):
    """Two releases with different patterns could be set against each other: the pattern
    must be the same every time (pack, Data page, public edition)."""
    tables, run = disclosure.read_inputs(sample_warehouse)
    a = disclosure.protect(tables, 5, run)
    b = disclosure.protect(tables, 5, run)
    for name in a.tables:
        assert a.tables[name].equals(b.tables[name], null_equal=True), name


# --- the pack -----------------------------------------------------------------------------------

def test_pack_files(tiny_warehouse, tmp_path):
    p = pack(tiny_warehouse, tmp_path / "pack")
    names = {f.name for f in p.out_dir.iterdir()}
    expected = {f"{ds.name}.csv" for ds in disclosure.DATASETS}
    assert expected | {"publication.json", "publication.xlsx", "README.md",
                       "public.duckdb", "plans.csv"} == names
    meta = json.loads((p.out_dir / "publication.json").read_text(encoding="utf-8"))
    assert list(meta) == ["method", "threshold", "rounding_base", "max_perturbation", "run_id",
                          "as_of_date", "organisation", "public_figures", "files"]
    assert meta["public_figures"] == []  # tests/dataset.py declares nothing
    assert meta["organisation"] is None  # published without --organisation (tests/test_rollup)
    assert set(meta["files"]) == names - {"publication.json"}
    assert meta["threshold"] == 5 and meta["rounding_base"] == 1
    assert meta["max_perturbation"] == 0 and meta["run_id"] == p.release.run_id
    raw = (p.out_dir / "kpi.csv").read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")
    kpi = pl.read_csv(io.BytesIO(raw[3:]), infer_schema=False)
    assert kpi.columns[:5] == ["metric", "fiscal_year", "bureau_code", "bureau_name_ja",
                               "bureau_name_en"]
    assert (kpi["numerator"] == "[c]").any()
    plain = kpi.filter(pl.col("numerator") != "[c]")["numerator"]
    assert plain.str.contains(r"^-?\d+(\.\d+)?$").all()  # unformatted numbers
    readme = (p.out_dir / "README.md").read_text(encoding="utf-8")
    assert "[c]" in readme and "秘匿" in readme and "suppress" in readme
    wb = openpyxl.load_workbook(p.out_dir / "publication.xlsx", read_only=True)
    assert wb.sheetnames == [ds.name for ds in disclosure.DATASETS] + ["about"]
    rows = list(wb["kpi"].iter_rows(min_row=2, values_only=True))
    assert len(rows) == kpi.height
    col = kpi.columns.index("numerator")
    values = {type(r[col]) for r in rows}
    assert values <= {int, float, str} and str in values and (int in values or float in values)


def test_data_page_publication_rows_equal_the_pack(tiny_warehouse, tmp_path):
    p = pack(tiny_warehouse, tmp_path / "pack")
    for name, f in [("kpi", DataFilter("kpi", ("B1",), 2019, 2020)),
                    ("mart_hiring", DataFilter("mart_hiring", None, 2020, 2020)),
                    ("mart_drills", DataFilter("mart_drills", ("B2",)))]:
        frame, run, supp = downloads.rows(str(tiny_warehouse), f, True, 5, "en")
        ds = disclosure.BY_NAME[name]
        packed = pl.read_csv(p.out_dir / f"{name}.csv", infer_schema=False)
        packed = packed.rename({packed.columns[0]: packed.columns[0].lstrip("\ufeff")})
        cols = list(ds.column_names)
        got = frame.select(cols).with_columns(pl.all().cast(pl.String))
        keep = pl.lit(True)
        if f.bureaus:
            keep = keep & pl.col("bureau_code").is_in(list(f.bureaus))
        if f.fy_from:
            keep = keep & pl.col("fiscal_year").cast(pl.Int64).is_between(f.fy_from, f.fy_to)
        want = packed.filter(keep).select(cols)
        assert got.equals(want, null_equal=True), name
        assert run["run_id"] == p.release.run_id
        assert supp.cells == sum(int((got[c] == "[c]").sum()) for c in supp.columns)


# --- the threshold -----------------------------------------------------------------------------

@pytest.mark.parametrize("bad", ["1", "0", "-3", "5.0", "five", "", "２"])
def test_threshold_must_be_an_integer_of_at_least_two(monkeypatch, bad):
    monkeypatch.setenv("DTP_SUPPRESS_BELOW", bad)
    with pytest.raises(SettingsError, match="DTP_SUPPRESS_BELOW"):
        get_settings()
    with pytest.raises(SettingsError):
        disclosure.check_threshold(bad)


def test_threshold_accepts_integers(monkeypatch):
    monkeypatch.setenv("DTP_SUPPRESS_BELOW", "10")
    assert get_settings().suppress_below == 10
    assert disclosure.check_threshold(2) == 2


def _cli(*args: str, env: dict | None = None) -> subprocess.CompletedProcess:
    import os

    return subprocess.run([sys.executable, "-m", "pipelines", *args], cwd=ROOT,
                          capture_output=True, text=True, env={**os.environ, **(env or {})},
                          timeout=300)


def test_publish_cli(tiny_warehouse, tmp_path):
    out = tmp_path / "pub"
    res = _cli("publish", "--warehouse", str(tiny_warehouse), "--out", str(out),
               "--threshold", "5")
    assert res.returncode == 0, res.stderr
    assert (out / "publication.json").exists() and "Traceback" not in res.stderr
    bad = _cli("publish", "--warehouse", str(tiny_warehouse), "--out", str(out),
               "--threshold", "5.0")
    assert bad.returncode == 2 and "--threshold" in bad.stderr
    env = _cli("publish", "--warehouse", str(tiny_warehouse), "--out", str(out),
               env={"DTP_SUPPRESS_BELOW": "1"})
    assert env.returncode == 2 and "DTP_SUPPRESS_BELOW" in env.stderr
    assert "Traceback" not in env.stderr
    missing = _cli("publish", "--warehouse", str(tmp_path / "none.duckdb"), "--out", str(out))
    assert missing.returncode == 1 and "No warehouse" in missing.stderr
    assert json.loads((out / "publication.json").read_text())["threshold"] == 5  # untouched


def test_app_stops_on_a_bad_threshold(tiny_warehouse, monkeypatch):
    from streamlit.testing.v1 import AppTest

    monkeypatch.setenv("DTP_WAREHOUSE", str(tiny_warehouse))
    monkeypatch.setenv("DTP_SUPPRESS_BELOW", "1")
    at = AppTest.from_file(str(ROOT / "dashboard" / "app.py"), default_timeout=60).run()
    assert not at.exception
    assert any("DTP_SUPPRESS_BELOW" in e.value for e in at.error)


# --- the pace of the year in progress (kpi_pace) ---------------------------------------------

def test_pace_in_the_pack_reveals_no_protected_cell(sample_warehouse, tmp_path):
    """kpi_pace.csv is in the pack and the attacker reads it (ytd = kpi's value of the as-of
    FY, needed = target − ytd, ytd ≤ the interval's lower end): still nothing recovered; the
    same pack with kpi_pace released as computed gives cells away, so the rule matters."""
    p = pack(sample_warehouse, tmp_path / "pack")
    pace = pl.read_csv(p.out_dir / "kpi_pace.csv", infer_schema=False)
    assert pace.height > 0 and (pace["ytd"] == "[c]").any()
    # the track record (same-day values of earlier years) stays in the ministry's own edition
    assert not [f for f in p.out_dir.rglob("*") if "history" in f.name or "curve" in f.name]
    res = attack.attack(p.out_dir, SAMPLE_RAW / "published.csv", sample_warehouse, 5)
    assert res.infeasible_at_truth == [] and res.recovered == []
    # the as-computed kpi_pace beside the protected kpi
    with duckdb.connect(str(sample_warehouse), read_only=True) as con:
        raw = con.sql("SELECT * FROM kpi_pace").pl()
    raw.write_csv(p.out_dir / "kpi_pace.csv")
    leak = attack.attack(p.out_dir, SAMPLE_RAW / "published.csv", sample_warehouse, 5)
    assert leak.infeasible_at_truth == []
    as_of_fy = str(raw["fiscal_year"][0])
    recovered_kpi = [n for n, _ in leak.recovered if n[0] == "kpi"]
    assert recovered_kpi and all(n[1][1] == as_of_fy for n in recovered_kpi)


def test_pace_publication_rule(sample_warehouse):
    """kpi_pace in publication form shows only what kpi shows: ytd (withheld where kpi's value
    of the as-of FY is) and needed; the projection is always withheld (docs/DISCLOSURE.md)."""
    rel = disclosure.release(sample_warehouse, 5)
    kpi, pace = rel.tables["kpi"], rel.tables["kpi_pace"]
    fy = int(pace["fiscal_year"][0])
    gone = {(r["metric"], r["fiscal_year"], r["bureau_code"]) for r in
            kpi.filter(pl.col("value") == "[c]").iter_rows(named=True)}
    for r in pace.iter_rows(named=True):
        b, metric = r["bureau_code"], r["metric"]
        assert (r["ytd"] == "[c]") == ((metric, fy, b) in gone), (metric, b)
        for col in disclosure.PROJECTION:
            assert r[col] in (None, "[c]"), (metric, b, col)
        assert r["pace_status"] in ("[c]", "no_target", "no_data", None)


@pytest.mark.parametrize(("later", "narrow"), [(5, True), (6, False)])
def test_bound_propagation_finds_a_cell_confined_between_two_shown_months(later, narrow):
    """An earlier month's withheld 2 between a shown 2 the month before and a shown figure
    the month after (counts only accumulate): with 5 after it can only be 2 to 5, fewer than
    threshold 5 values, so it is narrow without an LP; with 6 after it is not."""
    import numpy as np

    # cells: before (shown 2), t (withheld 2), after (shown), two gaps ≥ 0
    value = np.array([2.0, 2.0, float(later), 0.0, later - 2.0])
    unknown = np.array([False, True, False, True, True])
    eqs = [([1, 0, 3], [1.0, -1.0, -1.0]), ([2, 1, 4], [1.0, -1.0, -1.0])]
    matrix = disclosure._Graph(eqs, len(value)).matrix
    need = np.array([1.0, 4.0, 1.0, 1.0, 1.0])
    found = disclosure._narrow_by_bounds(matrix, [0, 1], value, unknown, need, [1])
    assert found == ({1} if narrow else set())


def test_bound_propagation_never_calls_a_free_sum_narrow():
    """x + y = 7 with both withheld: each 0 to 7 (wide for threshold 5); x + y = 3: 0 to 3
    (narrow for a small count, wide enough for a secondary cell)."""
    import numpy as np

    for total, need, narrow in ((7.0, 4.0, set()), (3.0, 4.0, {0, 1}), (3.0, 1.0, set())):
        value = np.array([1.0, total - 1.0, total])
        unknown = np.array([True, True, False])
        matrix = disclosure._Graph([([2, 0, 1], [1.0, -1.0, -1.0])], 3).matrix
        found = disclosure._narrow_by_bounds(matrix, [0], value, unknown,
                                             np.array([need, need, 1.0]), [0, 1])
        assert found == narrow, (total, need)


def test_a_cell_freed_for_others_is_audited_with_its_own_equations():
    """Two small cells t, u (2 and 1) beside a shown part a (7) under a shown total 10 are
    confined to 0..3: a is freed for them. But a is also a kpi denominator equal to a shown
    mart cell b: freed alone it would be pinned, so b must go too. (The audit once proved a
    free in a model that did not hold a's second equation yet.)"""
    import numpy as np

    cells = disclosure._Cells()
    total, t, u, a, b = cells.add([10.0], total=True) + cells.add([2.0, 1.0, 7.0, 7.0])
    eqs = [([total, t, u, a], [1.0, -1.0, -1.0, -1.0]), ([a, b], [1.0, -1.0])]
    value = np.asarray(cells.value)
    hidden = (value > 0) & (value < 5)
    need = np.where(hidden, 4.0, 1.0)
    before = hidden.copy()
    _, given_up = disclosure._secure(cells, eqs, hidden, np.zeros(5, dtype=bool), need)
    assert given_up == set() and hidden[a] and (hidden & ~before).sum() >= 2
    # every withheld cell's range, from a model of its own (scipy's LP): none narrow
    from scipy.optimize import linprog

    a_eq = np.zeros((len(eqs), 5))
    for k, (ids, coefs) in enumerate(eqs):
        a_eq[k, ids] = coefs
    bounds = [(0, None) if hidden[i] else (value[i], value[i]) for i in range(5)]
    for i in np.flatnonzero(hidden):
        c = np.eye(5)[i]
        lo = linprog(c, A_eq=a_eq, b_eq=np.zeros(len(eqs)), bounds=bounds).fun
        top = linprog(-c, A_eq=a_eq, b_eq=np.zeros(len(eqs)), bounds=bounds)
        hi = np.inf if top.status == 3 else -top.fun  # 3: unbounded
        assert hi - lo >= need[i], (i, lo, hi)
