"""Every metric of metrics.md on tiny hand-made data (tests/dataset.py): given → expect.

The base data set (see dataset.py) in short — FY2020: E1 (B1 staff), E3 (B1 political),
E4 (B2, seconded to the Digital Agency), E5 (B1, digital candidate hired 2021-03-31).
FY2021: E1 promoted to chief, E2 hired 2021-04-01 into B2. As-of date 2021-07-01.
"""

from __future__ import annotations

import copy

import duckdb
import pytest
from conftest import build_from, dataset, kpi_row


def value(wh, metric, fy, bureau=None):
    return kpi_row(wh, metric, fy, bureau)["value"]


# --- base data set ----------------------------------------------------------------------------

def test_row_set_is_complete(tiny_warehouse):
    with duckdb.connect(str(tiny_warehouse), read_only=True) as con:
        n, fys = con.execute("SELECT count(*), list(DISTINCT fiscal_year ORDER BY fiscal_year) "
                         "FROM kpi").fetchone()
        drills_bureau = con.execute(
            "SELECT count(*) FROM kpi WHERE metric = 'phishing_drills_held' "
            "AND bureau_code IS NOT NULL").fetchone()[0]
        cols = [c[0] for c in con.execute("DESCRIBE kpi").fetchall()]
    # 13 metrics with a bureau breakdown × 2 FYs × (ministry + 2 bureaus) + drills held × 2 FYs
    assert n == 13 * 2 * 3 + 2
    assert fys == [2020, 2021]
    assert drills_bureau == 0
    assert cols == ["metric", "fiscal_year", "bureau_code", "value", "numerator", "denominator",
                    "target_kind", "target_min", "target_max", "status", "plan_id"]


def test_digital_hires_march31_belongs_to_previous_fy(tiny_warehouse):
    row = kpi_row(tiny_warehouse, "digital_hires", 2020)
    assert (row["value"], row["numerator"], row["denominator"]) == (1, 1, None)
    assert (row["target_kind"], row["target_min"], row["target_max"]) == ("range", 1, 2)
    assert row["status"] == "met"
    assert value(tiny_warehouse, "digital_hires", 2020, "B1") == 1


def test_zero_count_is_a_row_with_zero(tiny_warehouse):
    row = kpi_row(tiny_warehouse, "digital_hires", 2020, "B2")
    assert row["value"] == 0 and row["numerator"] == 0
    # count targets apply to the ministry-wide row only
    assert row["status"] == "no_target" and row["target_kind"] is None


def test_in_progress_fy(tiny_warehouse):
    row = kpi_row(tiny_warehouse, "digital_hires", 2021)
    assert row["value"] == 0 and row["status"] == "in_progress"


def test_new_hire_rates(tiny_warehouse):
    r = kpi_row(tiny_warehouse, "new_hire_a_level_rate", 2020)
    assert (r["numerator"], r["denominator"], r["value"], r["status"]) == (1, 1, 1.0, "met")
    r = kpi_row(tiny_warehouse, "new_hire_a_level_rate", 2021, "B2")  # April 1 hire
    assert (r["numerator"], r["denominator"], r["status"]) == (1, 1, "in_progress")
    r = kpi_row(tiny_warehouse, "new_hire_security_rate", 2020)
    assert (r["numerator"], r["denominator"], r["value"], r["status"]) == (0, 1, 0.0, "no_target")
    assert value(tiny_warehouse, "new_hire_security_rate", 2021) == 1.0


def test_rate_with_zero_denominator_is_null(tiny_warehouse):
    r = kpi_row(tiny_warehouse, "new_hire_a_level_rate", 2020, "B2")
    assert (r["value"], r["numerator"], r["denominator"], r["status"]) == (None, 0, 0, "no_data")


def test_training_participants_trainee_absent_from_roster(tiny_warehouse):
    # E2 completed a course in FY2020 but is on roster only from FY2021: ministry-wide only
    assert value(tiny_warehouse, "training_participants", 2020) == 3
    assert value(tiny_warehouse, "training_participants", 2020, "B1") == 2
    assert value(tiny_warehouse, "training_participants", 2020, "B2") == 0
    assert kpi_row(tiny_warehouse, "training_participants", 2020)["status"] == "no_data"


def test_ipa_metrics(tiny_warehouse):
    # the February exam of 2021 falls in FY2020; political staff are not certified staff
    assert value(tiny_warehouse, "ipa_passes", 2020) == 2
    assert value(tiny_warehouse, "ipa_passes", 2021) == 0
    assert value(tiny_warehouse, "ipa_certified_staff", 2020) == 1
    assert value(tiny_warehouse, "ipa_certified_staff", 2021) == 1
    assert value(tiny_warehouse, "ipa_certified_staff", 2020, "B2") == 0


def test_security_elearning_excludes_political_and_secondees(tiny_warehouse):
    r = kpi_row(tiny_warehouse, "security_elearning_rate", 2020)
    assert (r["numerator"], r["denominator"], r["status"]) == (1, 2, "below")
    # rate targets apply to bureau rows too
    r = kpi_row(tiny_warehouse, "security_elearning_rate", 2020, "B1")
    assert (r["value"], r["target_kind"], r["status"]) == (0.5, "min", "below")
    r = kpi_row(tiny_warehouse, "security_elearning_rate", 2020, "B2")
    assert (r["value"], r["denominator"], r["status"]) == (None, 0, "no_data")


def test_phishing_metrics(tiny_warehouse):
    r = kpi_row(tiny_warehouse, "phishing_drills_held", 2020)
    assert (r["value"], r["status"]) == (1, "below")
    r = kpi_row(tiny_warehouse, "phishing_open_rate", 2021)
    assert (r["numerator"], r["denominator"]) == (1, 3)
    assert value(tiny_warehouse, "phishing_open_rate", 2021, "B2") == 1.0
    assert value(tiny_warehouse, "phishing_report_rate", 2020) == 0.5
    assert value(tiny_warehouse, "phishing_followup_rate", 2020) == 1.0
    r = kpi_row(tiny_warehouse, "phishing_followup_rate", 2021)
    assert (r["numerator"], r["denominator"], r["value"]) == (0, 1, 0.0)


def test_promotion_training_rate(tiny_warehouse):
    r = kpi_row(tiny_warehouse, "promotion_training_rate", 2021)
    assert (r["numerator"], r["denominator"]) == (1, 1)  # E1 staff → chief
    r = kpi_row(tiny_warehouse, "promotion_training_rate", 2020)  # no earlier roster
    assert (r["value"], r["denominator"]) == (None, 0)


def test_workforce_counts(tiny_warehouse):
    assert value(tiny_warehouse, "secondees", 2020) == 1
    assert value(tiny_warehouse, "secondees", 2020, "B2") == 1
    assert value(tiny_warehouse, "secondees", 2020, "B1") == 0
    assert value(tiny_warehouse, "digital_talent_staff", 2021) == 1


def test_published_check_and_run_metadata(tiny_warehouse):
    with duckdb.connect(str(tiny_warehouse), read_only=True) as con:
        assert con.execute("SELECT matches FROM published_check").fetchall() == [(True,)]
        origin, as_of, fy = con.execute("SELECT data_origin, as_of_date, as_of_fy "
                                    "FROM pipeline_runs").fetchone()
        assert origin == "provided" and str(as_of) == "2021-07-01" and fy == 2021
        files = dict(con.execute("SELECT file, rows FROM pipeline_run_files").fetchall())
        assert files["roster.csv"] == 9 and len(files) == 11
        n_rules, n_ok = con.execute("SELECT count(*), count(*) FILTER (WHERE success) "
                                "FROM validation_results").fetchone()
        assert n_rules == n_ok > 50


# --- variations -------------------------------------------------------------------------------

def _hire(e, day, fy, track="digital_candidate", bureau="B1"):
    return {"employee_id": e, "hire_date": day, "hire_fiscal_year": fy, "bureau_code": bureau,
            "track": track}


def _roster(fy, e, bureau="B1", grade="staff", hire="2015", et="career"):
    return {"fiscal_year": fy, "employee_id": e, "bureau_code": bureau, "unit_code": "",
            "grade": grade, "employment_type": et, "hire_fiscal_year": hire,
            "digital_talent": "false", "placement": "home"}


@pytest.fixture(scope="module")
def closed_year(tmp_path_factory):
    """As-of date exactly March 31, 2022: FY2021 is complete, no longer in progress."""
    data = copy.deepcopy(dataset.base())
    data["plan_targets"].append({"metric": "phishing_open_rate", "fy_from": "2016",
                                 "fy_to": "2030", "kind": "max", "target_min": "",
                                 "target_max": "0.3", "plan_section": "§5"})
    data["phishing_drills"].append({"drill_id": "D3", "fiscal_year": "2021", "round": "2",
                                    "sent_on": "2022-03-31", "employee_id": "E1",
                                    "opened": "false", "reported": "true"})
    return build_from(data, tmp_path_factory.mktemp("closed"))


def test_as_of_march31_closes_the_year(closed_year):
    assert kpi_row(closed_year, "digital_hires", 2021)["status"] == "below"
    assert kpi_row(closed_year, "new_hire_a_level_rate", 2021)["status"] == "met"
    r = kpi_row(closed_year, "phishing_drills_held", 2021)
    assert (r["value"], r["status"]) == (2, "below")
    # growth: 1 participant in FY2021 after 3 in FY2020
    assert kpi_row(closed_year, "training_participants", 2021)["status"] == "below"


def test_max_target(closed_year):
    r = kpi_row(closed_year, "phishing_open_rate", 2020)  # 1 of 2 opened
    assert (r["value"], r["target_kind"], r["target_max"], r["status"]) == (0.5, "max", 0.3,
                                                                             "above")
    r = kpi_row(closed_year, "phishing_open_rate", 2021)  # 1 of 4 opened
    assert (r["value"], r["status"]) == (0.25, "met")
    # rate targets apply to bureau rows too; B2 FY2021: E2 opened its only mail
    assert kpi_row(closed_year, "phishing_open_rate", 2021, "B2")["status"] == "above"


@pytest.fixture(scope="module")
def gap_years(tmp_path_factory):
    """Three digital hires in FY2022, nothing at all in FY2023, one drill in FY2024."""
    data = copy.deepcopy(dataset.base())
    for e, day in (("H1", "2022-04-01"), ("H2", "2022-10-01"), ("H3", "2023-03-31")):
        data["hiring"].append(_hire(e, day, "2022"))
        data["roster"].append(_roster("2022", e, hire="2022"))
    data["roster"].append(_roster("2024", "E1", grade="chief"))
    data["phishing_drills"].append({"drill_id": "D9", "fiscal_year": "2024", "round": "1",
                                    "sent_on": "2024-06-03", "employee_id": "E1",
                                    "opened": "false", "reported": "false"})
    data["training"].append({"record_id": "T99", "employee_id": "E1", "course_code": "MD",
                             "fiscal_year": "2022", "status": "completed",
                             "completed_on": "2023-03-31"})
    return build_from(data, tmp_path_factory.mktemp("gap"))


def test_above_range(gap_years):
    r = kpi_row(gap_years, "digital_hires", 2022)
    assert (r["value"], r["status"]) == (3, "above")


def test_empty_year_has_rows(gap_years):
    with duckdb.connect(str(gap_years), read_only=True) as con:
        fys = [r[0] for r in
               con.execute("SELECT DISTINCT fiscal_year FROM kpi ORDER BY 1").fetchall()]
    assert fys == [2020, 2021, 2022, 2023, 2024]
    r = kpi_row(gap_years, "digital_hires", 2023)
    assert (r["value"], r["status"]) == (0, "below")
    r = kpi_row(gap_years, "security_elearning_rate", 2023)
    assert (r["value"], r["status"]) == (None, "no_data")
    assert kpi_row(gap_years, "phishing_drills_held", 2023)["value"] == 0
    # growth after an empty year: 0 is not more than FY2022's 1
    assert value(gap_years, "training_participants", 2022) == 1
    assert kpi_row(gap_years, "training_participants", 2023)["status"] == "below"
    # FY2022's 1 is not more than FY2021's 1 either
    assert kpi_row(gap_years, "training_participants", 2022)["status"] == "below"


def test_promotion_needs_previous_roster_year(gap_years):
    # E1 is chief in FY2024 and was not on roster(FY2023): not a promotion in FY2024
    r = kpi_row(gap_years, "promotion_training_rate", 2024)
    assert r["denominator"] == 0
