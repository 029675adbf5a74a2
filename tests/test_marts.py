"""Every mart on tiny hand-made data (tests/dataset.py): given → expect, rows written by hand.

Given: the base data set plus two training rows — T11, a second completed security e-learning
of E1 in FY2021 (a retake: one participant, two completions), and T12, E1 completing the
level-C unified IT course in FY2021 (the chief-grade half of §4(1)).

The base in short — roster FY2020: E1 (B1 staff, unit U1), E3 (B1 executive, political),
E4 (B2 deputy director, seconded to the Digital Agency), E5 (B1 staff, digital talent).
FY2021: E1 chief (U1), E2 (B2 staff, unit U2, hired 2021-04-01), E3, E4, E5 as before.
Units: U1 (B1) is a security and a systems post, U2 (B2) a crisis post.
"""

from __future__ import annotations

import copy

import duckdb
import pytest
from conftest import build_from, dataset

T, F = True, False


@pytest.fixture(scope="module")
def given(tmp_path_factory):
    data = copy.deepcopy(dataset.base())
    data["training"] += [
        {"record_id": "T11", "employee_id": "E1", "course_code": "SEL", "fiscal_year": "2021",
         "status": "completed", "completed_on": "2021-06-01"},
        {"record_id": "T12", "employee_id": "E1", "course_code": "UC", "fiscal_year": "2021",
         "status": "completed", "completed_on": "2021-06-15"},
    ]
    return build_from(data, tmp_path_factory.mktemp("marts"))


def mart(wh, name):
    with duckdb.connect(str(wh), read_only=True) as con:
        return con.execute(f'SELECT * FROM "{name}"').fetchall()  # names: the tests' own


def columns(wh, name):
    with duckdb.connect(str(wh), read_only=True) as con:
        return [c[0] for c in con.execute(f'DESCRIBE "{name}"').fetchall()]


def test_mart_headcount(given):
    assert columns(given, "mart_headcount") == [
        "fiscal_year", "bureau_code", "grade", "employment_type", "placement", "headcount",
        "digital_talent"]
    assert mart(given, "mart_headcount") == [
        (2020, "B1", "executive", "political", "home", 1, 0),
        (2020, "B1", "staff", "career", "home", 2, 1),  # E1, E5 (digital talent)
        (2020, "B2", "deputy_director", "career", "digital_agency", 1, 0),
        (2021, "B1", "chief", "career", "home", 1, 0),  # E1, promoted
        (2021, "B1", "executive", "political", "home", 1, 0),
        (2021, "B1", "staff", "career", "home", 1, 1),
        (2021, "B2", "deputy_director", "career", "digital_agency", 1, 0),
        (2021, "B2", "staff", "career", "home", 1, 0),  # E2, hired April 1
    ]


def test_mart_hiring(given):
    assert columns(given, "mart_hiring") == ["fiscal_year", "bureau_code", "track", "hires"]
    # a hire on March 31, 2021 is FY2020's; April 1, 2021 is FY2021's
    assert mart(given, "mart_hiring") == [
        (2020, "B1", "digital_candidate", 1),
        (2021, "B2", "administrative", 1),
    ]


def test_mart_training(given):
    assert columns(given, "mart_training") == [
        "fiscal_year", "bureau_code", "provider", "category", "level", "enrolments",
        "completions", "participants"]
    assert mart(given, "mart_training") == [
        (2020, "B1", "digital_agency", "it_seminar", None, 1, 1, 1),
        (2020, "B1", "digital_agency", "unified_it", "A", 1, 1, 1),
        (2020, "B1", "mic", "phishing_followup", None, 1, 1, 1),
        (2020, "B1", "mic", "security_elearning", None, 1, 1, 1),
        (2020, None, "mic", "mic_digital", None, 1, 1, 1),  # E2, not on roster(2020)
        (2021, "B1", "digital_agency", "unified_it", "C", 1, 1, 1),
        (2021, "B1", "mic", "promotion", None, 1, 1, 1),
        # T5 and T11 completed by E1, T6 incomplete by E5: 3 enrolments, 2 completions,
        # 1 participant
        (2021, "B1", "mic", "security_elearning", None, 3, 2, 1),
        (2021, "B2", "digital_agency", "unified_it", "A", 1, 1, 1),
        (2021, "B2", "mic", "new_hire", None, 1, 1, 1),
    ]


def test_mart_certification(given):
    assert columns(given, "mart_certification") == [
        "fiscal_year", "bureau_code", "exam_code", "itss_level", "result", "prep_course",
        "sittings"]
    # every sitting falls in FY2020 (February 21, 2021 included); bureau = roster(FY2020)
    assert mart(given, "mart_certification") == [
        (2020, "B1", "IP", 1, "pass", F, 1),  # E3
        (2020, "B1", "IP", 1, "pass", T, 1),  # E1
        (2020, "B2", "SC", 4, "fail", F, 1),  # E4
    ]


def test_mart_drills(given):
    assert columns(given, "mart_drills") == [
        "fiscal_year", "round", "drill_id", "sent_on", "bureau_code", "sent", "opened",
        "reported"]
    rows = [(fy, rnd, d, str(on), b, s, o, r)
            for fy, rnd, d, on, b, s, o, r in mart(given, "mart_drills")]
    assert rows == [
        (2020, 1, "D1", "2020-06-01", "B1", 2, 1, 1),  # E1 opened, E5 reported
        (2021, 1, "D2", "2021-06-01", "B1", 2, 0, 1),  # E1 reported, E5 neither
        (2021, 1, "D2", "2021-06-01", "B2", 1, 1, 0),  # E2 opened
    ]


def test_mart_career_posts(given):
    assert columns(given, "mart_career_posts") == [
        "fiscal_year", "bureau_code", "grade", "post_type", "headcount"]
    assert mart(given, "mart_career_posts") == [
        (2020, "B1", "staff", "security", 1),  # E1 in U1 (security and systems)
        (2020, "B1", "staff", "systems", 1),
        (2021, "B1", "chief", "security", 1),
        (2021, "B1", "chief", "systems", 1),
        (2021, "B2", "staff", "crisis", 1),  # E2 in U2 (crisis only)
    ]


def test_mart_career_training(given):
    assert columns(given, "mart_career_training") == [
        "fiscal_year", "bureau_code", "grade", "eligible", "completed"]
    # staff: level A or B completed in any FY up to and including N; chief: level C or D.
    # E3 (political) and E4 (deputy director) are not eligible.
    assert mart(given, "mart_career_training") == [
        (2020, "B1", "staff", 2, 1),  # E1 no; E5 level A in FY2020 (the same FY counts)
        (2021, "B1", "chief", 1, 1),  # E1 level C in FY2021
        (2021, "B1", "staff", 1, 1),  # E5, level A from FY2020
        (2021, "B2", "staff", 1, 1),  # E2 level A in FY2021
    ]
