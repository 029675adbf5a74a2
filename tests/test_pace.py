"""kpi_pace (metrics.md, "Pace of the year in progress") on small hand-made data: given → expect.

Each data set is the base reference tables (tests/dataset.py) with facts made here: hires on
given dates (each on the roster of its FY), and one e-learning completion that fixes the as-of
date.
"""

from __future__ import annotations

import datetime as dt
import math
import statistics

import duckdb
import pytest
from conftest import build_from, dataset, kpi_row

from pipelines.fiscal import fiscal_year


def _data(hires: list[tuple[str, str]], as_of: str, *, participants=(),
          a_level: list[tuple[str, str]] = ()) -> dict:
    """``hires``: (hire_date, bureau) of digital candidates; ``participants``: (employee, date)
    completions of an IT seminar by staff on the roster of that FY; ``a_level``: (employee of
    ``hires`` by index as 'H<i>', date) level-A completions."""
    d = dataset.base()
    roster = lambda fy, e, b: {  # noqa: E731
        "fiscal_year": str(fy), "employee_id": e, "bureau_code": b, "unit_code": "",
        "grade": "staff", "employment_type": "career", "hire_fiscal_year": str(min(fy, 2015)),
        "digital_talent": "false", "placement": "home"}
    d["roster"], d["hiring"], d["training"] = [], [], []
    d["certification"], d["phishing_drills"], d["published"] = [], [], []
    for i, (day, bureau) in enumerate(hires):
        fy = fiscal_year(dt.date.fromisoformat(day))
        d["roster"].append(roster(fy, f"H{i}", bureau) | {"hire_fiscal_year": str(fy)})
        d["hiring"].append({"employee_id": f"H{i}", "hire_date": day,
                            "hire_fiscal_year": str(fy), "bureau_code": bureau,
                            "track": "digital_candidate"})
    n = 0

    def done(emp: str, course: str, day: str) -> None:
        nonlocal n
        n += 1
        d["training"].append({"record_id": f"T{n}", "employee_id": emp, "course_code": course,
                              "fiscal_year": str(fiscal_year(dt.date.fromisoformat(day))),
                              "status": "completed", "completed_on": day})

    as_of_fy = fiscal_year(dt.date.fromisoformat(as_of))
    d["roster"].append(roster(as_of_fy, "X", "B1"))
    done("X", "SEL", as_of)
    for emp, day in participants:
        fy = fiscal_year(dt.date.fromisoformat(day))
        if not any(r["employee_id"] == emp and r["fiscal_year"] == str(fy) for r in d["roster"]):
            d["roster"].append(roster(fy, emp, "B2"))
        done(emp, "SEM", day)
    for emp, day in a_level:
        done(emp, "UA", day)
    return d


def nbinom_cdf(x: int, n: float, p: float) -> float:
    """P(R <= x) for R ~ NB(n, p), by its mass function written out (not scipy's)."""
    total, term = 0.0, p ** n  # P(R = 0)
    for r in range(x + 1):
        total += term
        term *= (n + r) / (r + 1) * (1 - p)
    return total


def pace(wh, metric: str, bureau: str | None = None) -> dict:
    with duckdb.connect(str(wh), read_only=True) as con:
        rel = con.sql("SELECT * FROM kpi_pace WHERE metric = $m AND bureau_code IS NOT "
                      "DISTINCT FROM $b", params={"m": metric, "b": bureau})
        rows, cols = rel.fetchall(), rel.columns
    assert len(rows) == 1, rows
    return dict(zip(cols, rows[0], strict=True))


# The contract's worked example: as of 2026-11-20 (d = 233), 1 hire so far; after day 233 the
# three previous FYs had 0 (FY2025), 2 (FY2024) and 1 (FY2023) hires.
EXAMPLE = [
    ("2023-05-01", "B1"), ("2024-01-10", "B1"),            # FY2023: 1 before, 1 after
    ("2024-06-01", "B2"), ("2025-02-01", "B1"), ("2025-03-31", "B2"),  # FY2024: 1 + 2 after
    ("2025-04-01", "B1"), ("2025-11-20", "B1"),            # FY2025: both on or before day 233
    ("2026-06-15", "B1"),                                  # FY2026: 1 so far
]


@pytest.fixture(scope="module")
def example(tmp_path_factory):
    return build_from(_data(EXAMPLE, "2026-11-20"), tmp_path_factory.mktemp("pace"))


def test_worked_example(example):
    r = pace(example, "digital_hires")
    assert (r["fiscal_year"], r["as_of"], r["fy_day"]) == (2026, dt.date(2026, 11, 20), 233)
    assert r["ytd"] == 1 and r["reference_years"] == 3
    assert r["expected_remainder"] == pytest.approx(1.0)
    # R ~ NB(3.5, 0.75) (S = 3, k = 3, φ = 1): 5 % and 95 % quantiles 0 and 4
    assert (r["projected"], r["projected_low"], r["projected_high"]) == (2, 1, 5)
    assert r["p_meet"] == pytest.approx(0.685, abs=5e-4)  # P(R <= 1)
    assert r["p_meet"] == pytest.approx(nbinom_cdf(1, 3.5, 0.75))
    assert r["needed"] == 0 and r["pace_status"] == "on_track"
    # ytd is kpi's value of the as-of FY
    assert r["ytd"] == kpi_row(example, "digital_hires", 2026)["value"]


def test_columns_and_rows(example):
    with duckdb.connect(str(example), read_only=True) as con:
        cols = [c[0] for c in con.execute("DESCRIBE kpi_pace").fetchall()]
        rows = con.execute("SELECT metric, bureau_code FROM kpi_pace ORDER BY ALL").fetchall()
    assert cols == ["metric", "bureau_code", "fiscal_year", "as_of", "fy_day", "ytd",
                    "reference_years", "expected_remainder", "projected", "projected_low",
                    "projected_high", "p_meet", "needed", "pace_status"]
    metrics = {m for m, _ in rows}
    # event metrics only; stock metrics get no row
    assert "ipa_certified_staff" not in metrics and "secondees" not in metrics
    assert "digital_talent_staff" not in metrics and len(metrics) == 11
    # ministry + 2 bureaus, except drills held (ministry only)
    assert len(rows) == 10 * 3 + 1


def test_bureau_rows(example):
    b1, b2 = pace(example, "digital_hires", "B1"), pace(example, "digital_hires", "B2")
    # B1 so far 1; after day 233: FY2025 0, FY2024 1 (Feb 1), FY2023 1 (Jan 10) → λ = 2/3
    assert b1["ytd"] == 1 and b1["expected_remainder"] == pytest.approx(2 / 3)
    assert b1["projected"] == pytest.approx(5 / 3)
    # count targets apply to the ministry-wide row only
    assert (b1["pace_status"], b1["p_meet"], b1["needed"]) == ("no_target", None, None)
    # B2: 0 so far, remainders 0, 1 (March 31 is still FY2024), 0 → m = 1/3, v = 1/3, φ = 1:
    # R ~ NB(1.5, 0.75), 95 % quantile 2
    assert b2["ytd"] == 0 and b2["expected_remainder"] == pytest.approx(1 / 3)
    assert (b2["projected_low"], b2["projected_high"]) == (0, 2)


def test_curve_steps_end_at_kpi(example):
    with duckdb.connect(str(example), read_only=True) as con:
        steps = con.execute("SELECT fy_day, value FROM kpi_pace_curve WHERE metric = "
                            "'digital_hires' AND fiscal_year = 2024 AND bureau_code IS NULL "
                            "ORDER BY fy_day").fetchall()
        bad = con.execute("""
            SELECT count(*) FROM kpi k JOIN (SELECT metric, fiscal_year, bureau_code,
                max(numerator) n FROM kpi_pace_curve GROUP BY ALL) c
            ON c.metric = k.metric AND c.fiscal_year = k.fiscal_year
           AND c.bureau_code IS NOT DISTINCT FROM k.bureau_code
            WHERE c.n <> k.numerator""").fetchall()[0][0]
    assert steps == [(0, 0), (61, 1), (306, 2), (364, 3)]
    assert bad == 0


def test_lambda_zero(tmp_path):
    # every earlier hire came before day 233: nothing expected on average, but three quiet
    # years do not make a fourth certain: R ~ NB(0.5, 0.75), P(R >= 1) = 0.134
    hires = [("2023-05-01", "B1"), ("2024-05-01", "B1"), ("2025-05-01", "B1"),
             ("2026-05-01", "B1")]
    r = pace(build_from(_data(hires, "2026-11-20"), tmp_path), "digital_hires")
    assert r["expected_remainder"] == 0 and r["reference_years"] == 3
    assert (r["projected"], r["projected_low"], r["projected_high"]) == (1, 1, 2)
    assert r["p_meet"] == pytest.approx(nbinom_cdf(1, 0.5, 0.75))
    assert r["pace_status"] == "on_track"


def test_no_reference_year(tmp_path):
    r = pace(build_from(_data([("2026-05-01", "B1")], "2026-11-20"), tmp_path),
             "digital_hires")
    assert r["reference_years"] == 0 and r["ytd"] == 1
    for col in ("expected_remainder", "projected", "projected_low", "projected_high", "p_meet"):
        assert r[col] is None, col
    assert r["pace_status"] == "no_data"
    assert r["needed"] == 0  # what must still happen does not depend on a projection


def test_reference_year_with_null_value(tmp_path):
    # new_hire_a_level_rate: FY2025 has no hires (NULL: not a reference year), FY2024 one hire
    # who finished level A after day 233, FY2023 one hire who finished it before
    hires = [("2023-04-01", "B1"), ("2024-04-01", "B1"), ("2026-04-01", "B1"),
             ("2026-04-01", "B1")]
    wh = build_from(_data(hires, "2026-11-20", a_level=[
        ("H0", "2023-05-01"), ("H1", "2025-01-15"), ("H2", "2026-05-01")]), tmp_path)
    assert kpi_row(wh, "new_hire_a_level_rate", 2025)["value"] is None
    r = pace(wh, "new_hire_a_level_rate")
    assert r["reference_years"] == 2 and r["ytd"] == 0.5
    # remainders: FY2024 1 − 0, FY2023 1 − 1 → 0.5
    assert r["expected_remainder"] == pytest.approx(0.5) and r["projected"] == 1.0
    # the Wilson 90 % interval of 1.0 with n = 2 (z²/(n+z²) below 1: 0.425) is narrower than
    # the years' spread: s = √½, 1 − 1.645·s·√(1 + ½) < 0, clipped to 0
    assert r["projected_low"] == 0 and r["projected_high"] == 1
    assert r["p_meet"] is None and r["needed"] is None  # rates
    assert r["pace_status"] == "on_track"  # min 1.0


def test_as_of_march_31(tmp_path):
    # d = 364: FY2023 runs 366 days (2024-02-29), so its March 31 is day 365, after d
    hires = [("2024-03-31", "B1"), ("2025-03-31", "B1"), ("2026-03-31", "B1"),
             ("2027-03-31", "B1")]
    wh = build_from(_data(hires, "2027-03-31"), tmp_path)
    r = pace(wh, "digital_hires")
    assert (r["fiscal_year"], r["fy_day"], r["ytd"]) == (2026, 364, 1)
    assert r["expected_remainder"] == pytest.approx(1 / 3)
    assert kpi_row(wh, "digital_hires", 2026)["status"] == "met"  # the year is complete


def test_as_of_april_1(tmp_path):
    hires = [("2025-04-01", "B1"), ("2025-04-02", "B1"), ("2026-04-01", "B2")]
    r = pace(build_from(_data(hires, "2026-04-01"), tmp_path), "digital_hires")
    assert (r["fiscal_year"], r["fy_day"], r["ytd"]) == (2026, 0, 1)
    # FY2025 is the only reference year (the FY span starts there): 1 hire after day 0
    assert r["reference_years"] == 1 and r["expected_remainder"] == 1
    assert r["projected"] == 2 and r["needed"] == 0


def test_leap_day(tmp_path):
    # as of 2024-02-29, d = 334; FY2022's day 334 is 2023-03-01 (on or before: same day)
    hires = [("2023-03-01", "B1"), ("2023-03-02", "B1"), ("2023-12-01", "B1")]
    r = pace(build_from(_data(hires, "2024-02-29"), tmp_path), "digital_hires")
    assert (r["fiscal_year"], r["fy_day"], r["ytd"]) == (2023, 334, 1)
    assert r["reference_years"] == 1 and r["expected_remainder"] == 1
    assert r["projected"] == 2 and r["pace_status"] == "on_track"


def test_growth_target(tmp_path):
    # training_participants (growth): FY2025 5 participants, 1 of them after day 233;
    # FY2026 3 so far → projected 4, not above 5
    parts = [(f"P{i}", "2025-05-01") for i in range(4)] + [("P4", "2026-01-10")]
    parts += [(f"Q{i}", "2026-06-01") for i in range(3)]
    r = pace(build_from(_data([], "2026-11-20", participants=parts), tmp_path),
             "training_participants")
    assert r["ytd"] == 3 and r["reference_years"] == 1 and r["projected"] == 4
    # P(3 + R > 5) = P(R >= 3), R ~ NB(1.5, 0.5) (k = 1: μ = 1.5, σ² = 3)
    assert r["p_meet"] == pytest.approx(1 - nbinom_cdf(2, 1.5, 0.5))
    assert r["pace_status"] == "at_risk" and r["needed"] is None


def test_sample_pace_is_meaningful(tmp_path):
    """The shipped sample's FY2026 has metrics on track and at least one at risk (README)."""
    from pathlib import Path

    from pipelines.warehouse import build

    wh = tmp_path / "sample.duckdb"
    build(Path(__file__).parents[1] / "data" / "raw", wh)
    with duckdb.connect(str(wh), read_only=True) as con:
        status = dict(con.execute("SELECT metric, pace_status FROM kpi_pace "
                                  "WHERE bureau_code IS NULL").fetchall())
        hires = con.execute("SELECT ytd, projected, projected_low, projected_high FROM kpi_pace "
                            "WHERE metric = 'digital_hires' AND bureau_code IS NULL").fetchall()
    assert hires == [(1, 2, 1, 5)]  # one winter hire a year in FY2023–FY2025: NB(3.5, 0.75)
    assert status["digital_hires"] == "on_track" and status["phishing_drills_held"] == "on_track"
    assert status["security_elearning_rate"] == "at_risk"
    assert status["training_participants"] == "at_risk"


def test_pace_judges_by_the_plan_in_force(tmp_path):
    """With plans.csv: the as-of FY's targets are its plan in force's (a revision adopted
    mid-year raised the hires range to 2–4 and dropped the drills target)."""
    d = _data(EXAMPLE, "2026-11-20")
    plan = lambda pid, a, b, on, rev="": {  # noqa: E731
        "plan_id": pid, "title_ja": f"計画{pid}", "title_en": f"Plan {pid}", "fy_from": str(a),
        "fy_to": str(b), "adopted_on": on, "revises": rev, "source": ""}
    target = lambda pid, metric, kind, lo="", hi="": {  # noqa: E731
        "plan_id": pid, "metric": metric, "fy_from": "2023", "fy_to": "2027", "kind": kind,
        "target_min": lo, "target_max": hi, "plan_section": "§2", "note_ja": "", "note_en": ""}
    d["plans"] = [plan("a", 2023, 2027, "2023-04-01"),
                  plan("b", 2026, 2027, "2026-10-01", rev="a")]
    d["plan_targets"] = [target("a", "digital_hires", "range", "1", "2"),
                         target("a", "phishing_drills_held", "min", "4"),
                         {**target("b", "digital_hires", "range", "2", "4"), "fy_from": "2026"}]
    wh = build_from(d, tmp_path)
    r = pace(wh, "digital_hires")
    # projected 2 meets 2–4; P(1 + R in [2, 4]) = P(1 <= R <= 3), R ~ NB(3.5, 0.75)
    assert r["pace_status"] == "on_track" and r["needed"] == 1
    assert r["p_meet"] == pytest.approx(nbinom_cdf(3, 3.5, 0.75) - nbinom_cdf(0, 3.5, 0.75))
    assert kpi_row(wh, "digital_hires", 2026)["plan_id"] == "b"
    assert pace(wh, "phishing_drills_held")["pace_status"] == "no_target"  # dropped by b


# --- the predictive remainder, row by row (pipelines.pace.project) -------------------------

def _row(remainders, ytd=0.0, kind="range", lo=1.0, hi=2.0, prev=None, is_rate=False, n=None):
    return {"metric": "digital_hires", "bureau_code": None, "fiscal_year": 2026,
            "as_of": dt.date(2026, 11, 20), "fy_day": 233, "ytd": ytd, "is_rate": is_rate,
            "denominator": n, "remainders": remainders, "target_kind": kind, "target_min": lo,
            "target_max": hi, "previous_value": prev}


def nbinom_quantile(q: float, n: float, p: float) -> int:
    x = 0
    while nbinom_cdf(x, n, p) < q:
        x += 1
    return x


def test_worked_examples_of_the_contract():
    from pipelines.pace import project

    a = project(_row([0, 2, 1], ytd=1))
    assert (a["projected"], a["projected_low"], a["projected_high"]) == (2, 1, 5)
    assert round(a["p_meet"], 3) == 0.685 and a["pace_status"] == "on_track"
    # 0, 0, 6: m = 2, v = 12, φ = 6; μ = 6.5/3, σ² = 17.33: NB(0.3095, 0.125)
    b = project(_row([0, 0, 6], ytd=1))
    assert (b["projected"], b["projected_low"], b["projected_high"]) == (3, 1, 11)
    assert round(b["p_meet"], 3) == 0.668 and b["pace_status"] == "at_risk"
    assert b["p_meet"] == pytest.approx(nbinom_cdf(1, 6.5 / 3 / 7, 0.125))
    # 11,000, 11,500, 10,400 (no target): φ = 27.7, R's 90 % interval 9,942–12,033
    c = project(_row([11000, 11500, 10400], kind=None, lo=None, hi=None))
    assert (c["projected_low"], c["projected_high"]) == (9942, 12033)
    assert (c["p_meet"], c["pace_status"]) == (None, "no_target")


def test_quiet_years_leave_a_chance():
    """S = 0: the target is still reachable, so the chance is not 0 (Poisson(0) said 0)."""
    from pipelines.pace import project

    r = project(_row([0, 0, 0], ytd=0, kind="min", lo=1))
    assert r["p_meet"] == pytest.approx(0.134, abs=5e-4)  # P(R >= 1), R ~ NB(0.5, 0.75)
    assert r["p_meet"] == pytest.approx(1 - 0.75 ** 0.5)
    assert r["pace_status"] == "at_risk" and r["projected"] == 0
    r = project(_row([0, 0, 0], ytd=0))  # range 1–2
    assert 0 < r["p_meet"] == pytest.approx(nbinom_cdf(2, 0.5, 0.75) - nbinom_cdf(0, 0.5, 0.75))
    # one reference year (k = 1): NB(S + ½, ½)
    r = project(_row([0], ytd=0, kind="min", lo=1))
    assert r["p_meet"] == pytest.approx(1 - 0.5 ** 0.5)


def test_judgement_is_the_sql_rule():
    """The outlook and the chance read sql.RULES' target_verdict in DuckDB: change the macro
    on the connection and both follow it (there is no second copy in Python)."""
    import duckdb as db

    from pipelines import sql
    from pipelines.pace import project

    with db.connect() as con:
        con.execute(sql.RULES)
        assert project(_row([0, 2, 1], ytd=1), con)["pace_status"] == "on_track"
        con.execute("CREATE OR REPLACE TEMP MACRO target_verdict(kind, lo, hi, value, prev) AS "
                    "CASE WHEN value >= 4 THEN 'met' ELSE 'below' END")
        r = project(_row([0, 2, 1], ytd=1), con)
    assert r["pace_status"] == "at_risk"  # projected 2 < 4
    assert r["p_meet"] == pytest.approx(1 - nbinom_cdf(2, 3.5, 0.75))  # P(1 + R >= 4)


@pytest.mark.parametrize("seed", range(20))
def test_rate_interval_never_narrower_than_the_years_spread(seed):
    import random

    from pipelines.pace import project

    rng = random.Random(seed)
    k = rng.choice([2, 3])
    rems = [rng.uniform(0, 0.4) for _ in range(k)]
    ytd = rng.uniform(0, 0.6)
    r = project(_row(rems, ytd=ytd, kind="min", lo=1.0, hi=None, is_rate=True,
                     n=rng.choice([10, 1000, 100000])))
    proj = min(1.0, ytd + sum(rems) / k)
    assert r["projected"] == pytest.approx(proj) and r["p_meet"] is None
    half = 1.645 * statistics.stdev(rems) * math.sqrt(1 + 1 / k)
    assert r["projected_low"] <= max(0.0, proj - half) + 1e-12
    assert r["projected_high"] >= min(1.0, proj + half) - 1e-12
    # so also at least as wide as the reference years' remainders are apart (unless clipped)
    assert r["projected_high"] - r["projected_low"] >= min(
        max(rems) - min(rems), proj, 1 - proj) - 1e-12
    assert 0 <= r["projected_low"] <= r["projected"] <= r["projected_high"] <= 1


# --- the track record: kpi_pace_history ----------------------------------------------------

# As of 2026-11-20 (d = 233). Hires (EXAMPLE): same-day / full FY2023 1 / 2, FY2024 1 / 3,
# FY2025 2 / 2. Training participants: FY2023 P0, P1 by day 233 and P2 after it (P0 again
# after: one participant), FY2024 Q0, Q1 after it, FY2025 four by it: same-day / full 2 / 3,
# 0 / 2, 4 / 4. No passes, no drills.
HISTORY_PARTICIPANTS = [("P0", "2023-06-01"), ("P1", "2023-11-20"), ("P2", "2023-11-21"),
                        ("P0", "2024-02-01"), ("Q0", "2024-12-01"), ("Q1", "2025-03-31")] + [
    (f"R{i}", "2025-07-01") for i in range(4)]


@pytest.fixture(scope="module")
def history(tmp_path_factory):
    wh = build_from(_data(EXAMPLE, "2026-11-20", participants=HISTORY_PARTICIPANTS),
                    tmp_path_factory.mktemp("history"))
    with duckdb.connect(str(wh), read_only=True) as con:
        rel = con.sql("SELECT * FROM kpi_pace_history ORDER BY metric, fiscal_year")
        return rel.columns, [dict(zip(rel.columns, r, strict=True)) for r in rel.fetchall()], wh


def test_history_columns(history):
    cols, rows, _ = history
    assert cols == ["metric", "fiscal_year", "fy_day", "ytd", "reference_years", "projected",
                    "projected_low", "projected_high", "p_meet", "outcome", "inside", "met"]
    # count event metrics, ministry-wide, FY2024 and FY2025 (FY2023 has no reference year)
    assert [(r["metric"], r["fiscal_year"]) for r in rows] == [
        (m, k) for m in ("digital_hires", "ipa_passes", "phishing_drills_held",
                         "training_participants") for k in (2024, 2025)]
    assert {r["fy_day"] for r in rows} == {233}


def test_history_hires_by_hand(history):
    rows = {r["fiscal_year"]: r for r in history[1] if r["metric"] == "digital_hires"}
    # FY2024 on day 233: 1 so far; its one reference year FY2023 had 1 after day 233:
    # R ~ NB(1.5, 0.5); the year ended at 3, outside the range 1–2
    a = rows[2024]
    assert (a["ytd"], a["reference_years"], a["projected"]) == (1, 1, 2)
    assert (a["projected_low"], a["projected_high"]) == (1, 1 + nbinom_quantile(0.95, 1.5, 0.5))
    assert a["p_meet"] == pytest.approx(nbinom_cdf(1, 1.5, 0.5))  # P(1 + R <= 2)
    assert (a["outcome"], a["met"]) == (3, False)
    assert a["inside"] == (a["projected_high"] >= 3)
    # FY2025: 2 so far; remainders FY2024 2, FY2023 1: S = 3, k = 2, m = 1.5, v = 0.5, φ = 1:
    # NB(3.5, 2/3); it ended at 2 (met)
    b = rows[2025]
    assert (b["ytd"], b["reference_years"], b["projected"]) == (2, 2, 3.5)
    assert (b["projected_low"], b["projected_high"]) == (
        2 + nbinom_quantile(0.05, 3.5, 2 / 3), 2 + nbinom_quantile(0.95, 3.5, 2 / 3))
    assert b["p_meet"] == pytest.approx((2 / 3) ** 3.5)  # P(R = 0)
    assert (b["outcome"], b["met"], b["inside"]) == (2, True, True)


def test_history_growth_and_no_target_by_hand(history):
    rows = {(r["metric"], r["fiscal_year"]): r for r in history[1]}
    # participants (growth): FY2024 0 so far, remainder FY2023 3 − 2 = 1 → NB(1.5, 0.5);
    # beat FY2023's 3: P(R >= 4); it ended at 2 (not met)
    a = rows["training_participants", 2024]
    assert (a["ytd"], a["projected"], a["outcome"], a["met"]) == (0, 1, 2, False)
    assert a["p_meet"] == pytest.approx(1 - nbinom_cdf(3, 1.5, 0.5))
    # FY2025: 4 so far, remainders 2, 1; beat FY2024's 2: certain; ended at 4
    b = rows["training_participants", 2025]
    assert (b["ytd"], b["projected"], b["outcome"], b["met"]) == (4, 5.5, 4, True)
    assert b["p_meet"] == pytest.approx(1) and b["inside"] is True
    # passes: no target → p_meet and met NULL; nothing ever happened: 0 inside [0, …]
    c = rows["ipa_passes", 2025]
    assert (c["ytd"], c["outcome"], c["p_meet"], c["met"], c["inside"]) == (0, 0, None, None,
                                                                            True)
    # drills: min 4, none held: P(R >= 4) for R ~ NB(0.5, 2/3) (S = 0, k = 2), not met
    d = rows["phishing_drills_held", 2025]
    assert d["p_meet"] == pytest.approx(1 - nbinom_cdf(3, 0.5, 2 / 3)) and d["met"] is False


def test_history_same_day_matches_the_curves(history):
    """kpi_pace_history's same-day values of FY N−3..N−1 are kpi_pace_curve's on day d."""
    with duckdb.connect(str(history[2]), read_only=True) as con:
        bad = con.execute("""
            SELECT h.metric, h.fiscal_year, h.ytd, c.v FROM kpi_pace_history h,
              LATERAL (SELECT coalesce(max(value), 0) AS v FROM kpi_pace_curve c
                       WHERE c.metric = h.metric AND c.fiscal_year = h.fiscal_year
                         AND c.bureau_code IS NULL AND c.fy_day <= h.fy_day) c
            WHERE h.ytd <> c.v""").fetchall()
    assert bad == []


def test_inputs_of_a_built_warehouse_give_its_rows(history):
    """pace.inputs(con) + project: kpi_pace again, row for row; with a draft target, the
    chance under it (the entry point of the draft revisions)."""
    from pipelines import pace

    with duckdb.connect(str(history[2]), read_only=True) as con:
        rel = con.sql("SELECT * FROM kpi_pace ORDER BY metric, bureau_code NULLS FIRST")
        stored = [dict(zip(rel.columns, r, strict=True)) for r in rel.fetchall()]
        rows = pace.inputs(con)
        again = pace.project_rows(rows, con)
        hires = next(r for r in rows if r["metric"] == "digital_hires"
                     and r["bureau_code"] is None)
        draft = pace.project(hires | {"target_kind": "min", "target_min": 3.0,
                                      "target_max": None})
    assert len(again) == len(stored)
    for a, b in zip(again, stored, strict=True):
        for c in pace.COLUMNS:
            assert a[c] == pytest.approx(b[c]) if isinstance(b[c], float) else a[c] == b[c], c
    assert hires["remainders"] == [0, 2, 1]
    # 1 so far, at least 3: P(R >= 2), R ~ NB(3.5, 0.75); projected 2 < 3
    assert draft["p_meet"] == pytest.approx(1 - nbinom_cdf(1, 3.5, 0.75))
    assert (draft["pace_status"], draft["needed"]) == ("at_risk", 2)
