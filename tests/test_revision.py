"""A draft revision of a plan (issue 26; pipelines/revision.py, ``python -m pipelines plans
draft``): given hand-made kpi and targets, expect each year's and bureau's status under the
draft, and the chance of meeting the draft target in the year in progress.

Data: test_plans.generations() — the hand-made data set with FY2017..FY2021 (as of 2021-07-01,
FY2021 in progress), plans p1 (FY2017-18), p2 (FY2020-23) and p2's revision p2r (adopted
2021-10-15, FY2021-23). A draft ``q`` revising p2, adopted 2020-06-01 (mid-FY2020), covers
FY2020-23 but p2r, adopted later, stays in force for FY2021-23: only FY2020 changes.
Consistency: the raw set rebuilt with the draft's two files gives exactly what was announced.
"""

from __future__ import annotations

import csv
import datetime as dt
import shutil
from pathlib import Path

import duckdb
import polars as pl
import pytest
from conftest import build_from, dataset
from test_pace import EXAMPLE, _data
from test_plans import generations
from test_validation import wide_console  # noqa: F401

from pipelines import revision
from pipelines.__main__ import main
from release.connection import connect


@pytest.fixture(scope="module")
def gen(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build_from(generations(), tmp_path_factory.mktemp("revision"))


def draft(*targets: str, drops: tuple[str, ...] = (), revises: str = "p2",
          adopted: str = "2020-06-01", fy_from: int | None = None) -> revision.Draft:
    return revision.Draft(revises, "q", dt.date.fromisoformat(adopted), "改定案", "Draft",
                          tuple(revision.parse_target(t) for t in targets), drops, fy_from)


def impact(wh: Path, d: revision.Draft) -> revision.Impact:
    con = connect(str(wh))
    try:
        return revision.compute(con, d)
    finally:
        con.close()


def row(frame: pl.DataFrame, metric: str, fy: int, bureau: str | None = None) -> dict:
    hit = frame.filter((pl.col("metric") == metric) & (pl.col("fiscal_year") == fy)
                       & pl.col("bureau_code").eq_missing(bureau))
    assert hit.height == 1, (metric, fy, bureau, hit)
    return hit.row(0, named=True)


def changed(imp: revision.Impact) -> set[tuple]:
    return {(r["metric"], r["fiscal_year"], r["bureau_code"])
            for r in imp.changes.iter_rows(named=True)}


def test_raise_a_target_met_year_becomes_below_adopted_mid_fy(gen):
    """FY2020: one digital hire, met under p2's 1-2; q (adopted 2020-06-01, in FY2020) raises
    it to 2-4 from FY2020: FY2020 is judged by q and is below. FY2021 stays p2r's."""
    imp = impact(gen, draft("digital_hires:2020-2023:range:2:4"))
    r = row(imp.changes, "digital_hires", 2020)
    assert (r["value"], r["plan_before"], r["plan_after"]) == (1, "p2", "q")
    assert (r["status_before"], r["status_after"]) == ("met", "below")
    assert (r["kind_after"], r["min_after"], r["max_after"]) == ("range", 2, 4)
    assert r["p_meet_before"] is None and r["p_meet_after"] is None  # not the year in progress
    assert imp.changes.row(0, named=True)["status_changed"]  # status changes come first
    assert {fy for _, fy, _ in changed(imp)} == {2020}
    assert imp.in_force == {2017: ("p1", "p1"), 2018: ("p1", "p1"), 2019: (None, None),
                            2020: ("p2", "q"), 2021: ("p2r", "p2r")}
    assert row(imp.after, "digital_hires", 2021)["plan_id"] == "p2r"
    # the revision's period and rows: p2's targets carried from FY2020, digital_hires replaced
    assert (imp.files.fy_from, imp.files.fy_to) == (2020, 2023)
    q = imp.files.targets.filter(pl.col("plan_id") == "q").select(
        "metric", "fy_from", "fy_to", "kind", "target_min", "target_max").rows()
    assert q == [("digital_hires", 2020, 2023, "range", 2, 4),
                 ("security_elearning_rate", 2020, 2023, "min", 1, None),
                 ("phishing_drills_held", 2020, 2023, "min", 4, None)]


def test_drop_a_target_year_becomes_no_target(gen):
    """FY2020 e-learning: 1 of 2 home staff (0.5), below the minimum 1; dropped: no_target,
    for the ministry and each bureau row (a rate's target applies to bureaus too)."""
    imp = impact(gen, draft(drops=("security_elearning_rate",)))
    assert row(imp.before, "security_elearning_rate", 2020)["status"] == "below"
    for bureau, before in ((None, "below"), ("B1", "below"), ("B2", "no_data")):
        r = row(imp.changes, "security_elearning_rate", 2020, bureau)
        assert (r["status_before"], r["status_after"]) == (before, "no_target")
        assert r["kind_after"] is None
    assert "security_elearning_rate" not in imp.files.targets.filter(
        pl.col("plan_id") == "q")["metric"].to_list()


def test_growth_target(gen):
    """training_participants had no target under p2; growth from FY2020: 3 participants
    against 0 in FY2019 → met. Its bureau rows get no target (a count's target is
    ministry-wide only)."""
    imp = impact(gen, draft("training_participants:2020-2023:growth::"))
    r = row(imp.changes, "training_participants", 2020)
    assert r["value"] == 3 and row(imp.before, "training_participants", 2019)["value"] == 0
    assert (r["status_before"], r["status_after"]) == ("no_target", "met")
    b1 = row(imp.after, "training_participants", 2020, "B1")
    assert (b1["target_kind"], b1["status"], b1["plan_id"]) == (None, "no_target", "q")


def test_bureau_rows(gen):
    """A lower e-learning minimum (0.5): the ministry and B1 (0.5 each) become met; B2 has no
    home staff in FY2020 (no_data either way, but its target changes: listed)."""
    imp = impact(gen, draft("security_elearning_rate:2020-2023:min:0.5:"))
    for bureau, before, after in ((None, "below", "met"), ("B1", "below", "met"),
                                  ("B2", "no_data", "no_data")):
        r = row(imp.changes, "security_elearning_rate", 2020, bureau)
        assert (r["status_before"], r["status_after"]) == (before, after), bureau
        assert (r["min_before"], r["min_after"]) == (1, 0.5)
    assert [r["status_changed"] for r in imp.changes.iter_rows(named=True)][:2] == [True, True]


def test_target_over_part_of_the_period_splits_the_carried_one(gen):
    """A target for FY2021-22 only: the carried 1-2 stays for FY2020 and FY2023."""
    imp = impact(gen, draft("digital_hires:2021-2022:min:3:"))
    q = imp.files.targets.filter((pl.col("plan_id") == "q")
                                 & (pl.col("metric") == "digital_hires"))
    assert q.select("fy_from", "fy_to", "kind").rows() == [
        (2020, 2020, "range"), (2021, 2022, "min"), (2023, 2023, "range")]


# --- the year in progress: p_meet under the draft target ------------------------------------

def _worked_example_cdf(k: float) -> float:
    """P(R ≤ k) for the worked example's predictive remainder (metrics.md: remainders 0, 2, 1
    after day 233, S = 3, k = 3, φ = 1): R ~ NB(3.5, 0.75)."""
    from scipy.stats import nbinom

    return float(nbinom.cdf(k, 3.5, 0.75)) if k >= 0 else 0.0


@pytest.fixture(scope="module")
def example(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The contract's worked example (as of 2026-11-20, 1 hire so far) without plans.csv: the
    implicit plan ``plan`` (FY2016-2030) holds digital_hires 1-2."""
    return build_from(_data(EXAMPLE, "2026-11-20"), tmp_path_factory.mktemp("example"))


def test_p_meet_in_progress_by_the_worked_example(example):
    imp = impact(example, draft("digital_hires:2026-2030:range:3:5", revises="plan",
                                adopted="2026-08-01"))
    r = row(imp.changes, "digital_hires", 2026)
    cdf = _worked_example_cdf
    assert r["p_meet_before"] == pytest.approx(0.685, abs=5e-4)  # the contract's figure
    assert r["p_meet_before"] == pytest.approx(cdf(1))  # 1 + R within 1-2: R ≤ 1
    assert r["p_meet_after"] == pytest.approx(cdf(4) - cdf(1))  # 1 + R within 3-5
    assert (r["status_before"], r["status_after"]) == ("in_progress", "in_progress")
    assert (r["pace_before"], r["pace_after"]) == ("on_track", "at_risk")  # projected 2
    assert (r["needed_before"], r["needed_after"]) == (0, 2)
    # earlier years keep the implicit plan: only years from the revision's fy_from change
    assert {fy for _, fy, _ in changed(imp)} == {2026}
    # without plans.csv, plans.csv is written with both rows
    plans = imp.files.plans.select("plan_id", "fy_from", "fy_to", "adopted_on", "revises")
    assert plans.rows() == [("plan", 2016, 2030, dt.date(2016, 4, 1), None),
                            ("q", 2026, 2030, dt.date(2026, 8, 1), "plan")]


# --- consistency: what the build makes of the two files --------------------------------------

def _rebuild(data: dict, files: revision.Files, tmp: Path) -> Path:
    raw = dataset.write({k: v for k, v in data.items() if k not in ("plans", "plan_targets")},
                        tmp / "raw")
    (raw / "plans.csv").write_text(revision.csv_text(files.plans), encoding="utf-8")
    (raw / "plan_targets.csv").write_text(revision.csv_text(files.targets), encoding="utf-8")
    wh = tmp / "rebuilt.duckdb"
    assert main(["build", "--raw", str(raw), "--warehouse", str(wh)]) == 0
    return wh


def _judged(wh: Path) -> pl.DataFrame:
    with duckdb.connect(str(wh), read_only=True) as con:
        return con.sql("SELECT metric, fiscal_year, bureau_code, target_kind, target_min, "
                       "target_max, status, plan_id FROM kpi ORDER BY ALL").pl()


def _pace(wh: Path) -> pl.DataFrame:
    with duckdb.connect(str(wh), read_only=True) as con:
        return con.sql("SELECT metric, bureau_code, p_meet, pace_status, needed FROM kpi_pace "
                       "ORDER BY ALL").pl()


@pytest.mark.parametrize("case", ["generations", "example"])
def test_rebuilt_raw_set_gives_what_impact_announced(case, tmp_path, gen, example,
                                                     wide_console):  # noqa: F811
    """The CLI's files, built: every kpi row's target, status and plan, and every pace row's
    p_meet and outlook, are the draft's; impact.csv lists exactly the rows that differ from
    the live warehouse."""
    if case == "generations":
        data, wh = generations(), gen
        args = ["--revises", "p2", "--adopted-on", "2020-06-01",
                "--target", "digital_hires:2020-2023:range:2:4",
                "--target", "training_participants:2020-2023:growth::",
                "--target", "security_elearning_rate:2021-2022:min:0.5:",
                "--drop", "phishing_drills_held"]
    else:
        data, wh = _data(EXAMPLE, "2026-11-20"), example
        args = ["--revises", "plan", "--adopted-on", "2026-08-01", "--fy-from", "2026",
                "--target", "digital_hires:2026-2030:min:3:",
                "--target", "training_participants:2027-2030:growth::"]
    out = tmp_path / "out"
    assert main(["plans", "draft", "--warehouse", str(wh), "--plan-id", "q", "--title-ja",
                 "改定案", "--title-en", "Draft, revised", *args, "--out", str(out)]) == 0
    files = revision.Files(pl.read_csv(out / "plans.csv", try_parse_dates=True),
                           pl.read_csv(out / "plan_targets.csv"), 0, 0)
    rebuilt = _rebuild(data, files, tmp_path)
    announced = pl.read_csv(out / "impact.csv", schema_overrides={"bureau_code": pl.String})
    assert announced.columns == revision.IMPACT_COLUMNS
    live, built = _judged(wh), _judged(rebuilt)
    keys = ["metric", "fiscal_year", "bureau_code"]
    diff = live.join(built, on=keys, suffix="_b", nulls_equal=True).filter(pl.any_horizontal(
        [pl.col(c).ne_missing(pl.col(f"{c}_b")) for c in
         ("target_kind", "target_min", "target_max", "status", "plan_id")]))
    assert sorted(announced.select(keys).rows(), key=str) == sorted(diff.select(keys).rows(),
                                                                    key=str)
    got = announced.join(built, on=keys, nulls_equal=True)
    assert got.height == announced.height
    assert got.filter(pl.col("status_after") != pl.col("status")).height == 0
    assert got.filter(pl.col("plan_after").ne_missing(pl.col("plan_id"))).height == 0
    # p_meet: the year in progress only, as the rebuilt kpi_pace has it
    pace = _pace(rebuilt)
    as_of_fy = int(live["fiscal_year"].max())
    for r in announced.iter_rows(named=True):
        if r["fiscal_year"] != as_of_fy:
            assert r["p_meet_before"] is None and r["p_meet_after"] is None
            continue
        p = pace.filter((pl.col("metric") == r["metric"])
                        & pl.col("bureau_code").eq_missing(r["bureau_code"]))
        want = p["p_meet"][0] if p.height else None
        assert (r["p_meet_after"] is None) == (want is None), r
        if want is not None:
            assert r["p_meet_after"] == pytest.approx(want, rel=1e-12), r
    # plans.csv as written is a valid raw file the build took (both plans when implicit)
    ids = set(pl.read_csv(out / "plans.csv")["plan_id"].to_list())
    assert "q" in ids and ("plan" in ids) == (case == "example")


def test_the_page_and_cli_compute_the_same_pace(example):
    """compute()'s pace rows for the year in progress under the live targets (a draft that
    changes nothing in FY2026) equal the live kpi_pace."""
    imp = impact(example, draft("training_participants:2030-2030:growth::", revises="plan",
                                adopted="2026-08-01"))
    before = imp.pace_before.sort("metric", "bureau_code", nulls_last=False)
    after = imp.pace_after.sort("metric", "bureau_code", nulls_last=False)
    assert before.select("metric", "bureau_code", "p_meet", "pace_status").rows() == \
        after.select("metric", "bureau_code", "p_meet", "pace_status").rows()


# --- bad drafts: exit 2, the argument named --------------------------------------------------

BAD = [
    (["--target", "digital_hire:2020-2023:range:1:2"], "--target: unknown metric 'digital_hire'"),
    (["--target", "security_elearning_rate:2020-2023:min:95:"],
     "--target: security_elearning_rate:2020-2023:min:95:: security_elearning_rate is a rate"),
    (["--target", "digital_hires:2020-2023:growth:1:"], "a growth target takes neither"),
    (["--target", "digital_hires:2020-2023:range:4:2"], "MIN 4 > MAX 2"),
    (["--target", "digital_hires:2019-2023:range:1:2"],
     "is outside the revision's period (FY2020-FY2023)"),
    (["--target", "digital_hires:2020-2024:range:1:2"], "--target: "),
    (["--target", "digital_hires:2020-2023:gain::"], "kind 'gain' is not one of"),
    (["--target", "digital_hires:2020-2023:range:x:2"], "MIN 'x' is not a number"),
    (["--fy-from", "2025"], "--fy-from: FY2025 is outside the period of p2 (FY2020-FY2023)"),
    (["--adopted-on", "2020-03-01"], "--adopted-on: 2020-03-01 is not after the adoption of p2"),
    (["--adopted-on", "2024-05-01"], "--adopted-on: FY2024 is outside the period of p2"),
    (["--adopted-on", "2021-10-15"], "--adopted-on: 2021-10-15: plan p2r was adopted that day"),
    (["--revises", "p9"], "--revises: no plan 'p9' in the warehouse (plans: p1, p2, p2r)"),
    (["--plan-id", "p2r"], "--plan-id: 'p2r' is already a plan"),
    (["--plan-id", "no way"], "--plan-id: 'no way' must be"),
    (["--drop", "secondees"], "--drop: p2 has no target for secondees"),
    (["--target", "digital_hires:2020-2021:min:1:", "--target", "digital_hires:2021-2023:min:2:"],
     "overlaps"),
]


@pytest.mark.parametrize(("extra", "message"), BAD, ids=[m[:30] for _, m in BAD])
def test_bad_draft_exit_2(extra, message, gen, tmp_path, capsys, wide_console):  # noqa: F811
    args = {"--revises": "p2", "--plan-id": "q", "--adopted-on": "2020-06-01",
            "--title-ja": "案", "--title-en": "Draft"}
    rest = []
    i = 0
    while i < len(extra):
        if extra[i] in args:
            args[extra[i]] = extra[i + 1]
        else:
            rest += extra[i:i + 2]
        i += 2
    out = tmp_path / "out"
    capsys.readouterr()
    code = main(["plans", "draft", "--warehouse", str(gen), *sum(args.items(), ()), *rest,
                 "--out", str(out)])
    _, err = capsys.readouterr()
    assert code == 2, err
    assert "Traceback" not in err and len(err.strip().splitlines()) == 1, err
    assert err.startswith("Not drafted: "), err
    assert message in err, err
    assert not out.exists()


def test_bad_date_is_a_usage_error(gen, tmp_path, capsys):
    with pytest.raises(SystemExit) as exc:
        main(["plans", "draft", "--warehouse", str(gen), "--revises", "p2", "--plan-id", "q",
              "--adopted-on", "2020-13-01", "--title-ja", "a", "--title-en", "b",
              "--out", str(tmp_path)])
    assert exc.value.code == 2
    assert "argument --adopted-on: '2020-13-01' is not a date YYYY-MM-DD" in \
        capsys.readouterr().err


def test_warehouse_unchanged_and_files_replaced_whole(gen, tmp_path):
    copy = tmp_path / "wh.duckdb"
    shutil.copy2(gen, copy)
    before = copy.read_bytes()
    out = tmp_path / "out"
    out.mkdir()
    (out / "impact.csv").write_text("old\n", encoding="utf-8")
    assert main(["plans", "draft", "--warehouse", str(copy), "--revises", "p2", "--plan-id",
                 "q", "--adopted-on", "2020-06-01", "--title-ja", "案, \"改\"",
                 "--title-en", "=cmd|' /C calc'!A0", "--out", str(out)]) == 0
    assert copy.read_bytes() == before
    assert sorted(p.name for p in out.iterdir()) == ["impact.csv", "plan_targets.csv",
                                                     "plans.csv"]
    with open(out / "plans.csv", encoding="utf-8", newline="") as fh:
        plans = list(csv.DictReader(fh))
    assert plans[-1]["title_ja"] == "案, \"改\""  # the contract's text, exactly
    assert plans[-1]["title_en"] == "=cmd|' /C calc'!A0"
    assert (out / "impact.csv").read_text("utf-8").startswith("metric,fiscal_year,")
