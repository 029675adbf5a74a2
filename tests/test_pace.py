"""kpi_pace (metrics.md, "Pace of the year in progress") on small hand-made data: given → expect.

Each data set is the base reference tables (tests/dataset.py) with facts made here: hires on
given dates (each on the roster of its FY), and one e-learning completion that fixes the as-of
date.
"""

from __future__ import annotations

import datetime as dt
import math

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
    assert (r["projected"], r["projected_low"], r["projected_high"]) == (2, 1, 4)
    assert r["p_meet"] == pytest.approx(2 * math.exp(-1))  # P(R <= 1), R ~ Poisson(1) = 0.736
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
    # B2: 0 so far, remainder FY2024 1 (March 31 is still FY2024) → λ = 1/3; 95 % quantile 1
    assert b2["ytd"] == 0 and b2["expected_remainder"] == pytest.approx(1 / 3)
    assert (b2["projected_low"], b2["projected_high"]) == (0, 1)


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
    # every earlier hire came before day 233: nothing expected; the interval is ytd itself
    hires = [("2023-05-01", "B1"), ("2024-05-01", "B1"), ("2025-05-01", "B1"),
             ("2026-05-01", "B1")]
    r = pace(build_from(_data(hires, "2026-11-20"), tmp_path), "digital_hires")
    assert r["expected_remainder"] == 0 and r["reference_years"] == 3
    assert (r["projected"], r["projected_low"], r["projected_high"]) == (1, 1, 1)
    assert r["p_meet"] == 1 and r["pace_status"] == "on_track"


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
    # Wilson 90 % interval of 1.0 with n = 2: z²/(n+z²) below 1
    z2 = 1.6448536269514722 ** 2
    assert r["projected_low"] == pytest.approx(2 / (2 + z2)) and r["projected_high"] == 1
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
    # P(3 + R > 5) = P(R >= 3), R ~ Poisson(1)
    assert r["p_meet"] == pytest.approx(1 - 2.5 * math.exp(-1))
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
    assert hires == [(1, 2, 1, 4)]  # one winter hire a year in FY2023–FY2025
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
    # projected 2 meets 2–4; P(1 + R in [2, 4]) = P(1 <= R <= 3), R ~ Poisson(1)
    assert r["pace_status"] == "on_track" and r["needed"] == 1
    assert r["p_meet"] == pytest.approx(math.exp(-1) * (1 + 1 / 2 + 1 / 6))
    assert kpi_row(wh, "digital_hires", 2026)["plan_id"] == "b"
    assert pace(wh, "phishing_drills_held")["pace_status"] == "no_target"  # dropped by b
