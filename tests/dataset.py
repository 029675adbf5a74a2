"""A tiny hand-made data set in the contract, small enough to compute every metric by hand.

``base()`` returns {file name: list of row dicts}; tests change rows and write them with
``write()``. Every value is a string, as in a CSV file.
"""

from __future__ import annotations

import csv
from pathlib import Path

from pipelines.schema import BY_NAME

T, F = "true", "false"


def base() -> dict[str, list[dict[str, str]]]:
    course = lambda code, prov, cat, lvl="": {  # noqa: E731
        "course_code": code, "name_ja": f"研修{code}", "name_en": f"Course {code}",
        "provider": prov, "category": cat, "level": lvl}
    target = lambda m, kind, lo="", hi="", sec="§3": {  # noqa: E731
        "metric": m, "fy_from": "2016", "fy_to": "2030", "kind": kind, "target_min": lo,
        "target_max": hi, "plan_section": sec, "note_ja": "", "note_en": ""}
    roster = lambda fy, e, b, g, et="career", h="2015", dt=F, pl="home", u="": {  # noqa: E731
        "fiscal_year": fy, "employee_id": e, "bureau_code": b, "unit_code": u, "grade": g,
        "employment_type": et, "hire_fiscal_year": h, "digital_talent": dt, "placement": pl}
    train = lambda rid, e, c, fy, st="completed", on="": {  # noqa: E731
        "record_id": rid, "employee_id": e, "course_code": c, "fiscal_year": fy, "status": st,
        "completed_on": on}
    drill = lambda d, fy, rnd, on, e, o=F, r=F: {  # noqa: E731
        "drill_id": d, "fiscal_year": fy, "round": rnd, "sent_on": on, "employee_id": e,
        "opened": o, "reported": r}
    return {
        "bureaus": [
            {"bureau_code": "B1", "name_ja": "第一局", "name_en": "First Bureau"},
            {"bureau_code": "B2", "name_ja": "第二局", "name_en": "Second Bureau"},
        ],
        "units": [
            {"unit_code": "U1", "bureau_code": "B1", "name_ja": "情報化推進室",
             "name_en": "IT Office", "security_post": T, "systems_post": T, "crisis_post": F},
            {"unit_code": "U2", "bureau_code": "B2", "name_ja": "総務課",
             "name_en": "General Affairs", "security_post": F, "systems_post": F,
             "crisis_post": T},
        ],
        "courses": [
            course("UA", "digital_agency", "unified_it", "A"),
            course("UB", "digital_agency", "unified_it", "B"),
            course("UC", "digital_agency", "unified_it", "C"),
            course("SEM", "digital_agency", "it_seminar"),
            course("MD", "mic", "mic_digital"),
            course("EP", "mic", "exam_prep"),
            course("SEL", "mic", "security_elearning"),
            course("PF", "mic", "phishing_followup"),
            course("NH", "mic", "new_hire"),
            course("PR", "mic", "promotion"),
            course("EX", "other", "executive"),
        ],
        "exams": [
            {"exam_code": "IP", "name_ja": "ITパスポート", "name_en": "IT Passport",
             "itss_level": "1"},
            {"exam_code": "SC", "name_ja": "情報処理安全確保支援士",
             "name_en": "Registered Information Security Specialist", "itss_level": "4"},
        ],
        "plan_targets": [
            target("digital_hires", "range", "1", "2", "§2"),
            target("new_hire_a_level_rate", "min", "1"),
            target("training_participants", "growth"),
            target("security_elearning_rate", "min", "1", "", "§5"),
            target("phishing_drills_held", "min", "4", "", "§5"),
        ],
        "published": [
            {"metric": "digital_hires", "fiscal_year": "2020", "value": "1",
             "source": "plan §2"},
        ],
        # FY2020: E1 (B1 staff), E3 (B1 political), E4 (B2 seconded), E5 (B1, hired 2021-03-31)
        # FY2021: E1 promoted to chief, E2 hired 2021-04-01 (B2), E3, E4, E5
        "roster": [
            roster("2020", "E1", "B1", "staff", u="U1"),
            roster("2020", "E3", "B1", "executive", et="political"),
            roster("2020", "E4", "B2", "deputy_director", pl="digital_agency"),
            roster("2020", "E5", "B1", "staff", h="2020", dt=T),
            roster("2021", "E1", "B1", "chief", u="U1"),
            roster("2021", "E2", "B2", "staff", h="2021", u="U2"),
            roster("2021", "E3", "B1", "executive", et="political"),
            roster("2021", "E4", "B2", "deputy_director", pl="digital_agency"),
            roster("2021", "E5", "B1", "staff", h="2020", dt=T),
        ],
        "hiring": [
            {"employee_id": "E5", "hire_date": "2021-03-31", "hire_fiscal_year": "2020",
             "bureau_code": "B1", "track": "digital_candidate"},
            {"employee_id": "E2", "hire_date": "2021-04-01", "hire_fiscal_year": "2021",
             "bureau_code": "B2", "track": "administrative"},
        ],
        "training": [
            train("T1", "E5", "UA", "2020", on="2021-03-31"),
            train("T2", "E2", "UA", "2021", on="2021-04-02"),
            train("T3", "E2", "NH", "2021", on="2021-04-05"),
            train("T4", "E1", "SEL", "2020", on="2020-07-01"),
            train("T5", "E1", "SEL", "2021", on="2021-07-01"),
            train("T6", "E5", "SEL", "2021", st="incomplete"),
            train("T7", "E1", "PR", "2021", on="2021-05-10"),
            train("T8", "E1", "SEM", "2020", on="2020-10-01"),
            train("T9", "E2", "MD", "2020", on="2020-11-01"),  # E2 not on roster(2020)
            train("T10", "E1", "PF", "2020", on="2020-08-01"),
        ],
        "certification": [
            {"record_id": "C1", "employee_id": "E1", "exam_code": "IP",
             "exam_date": "2021-02-21", "result": "pass", "prep_course": T},
            {"record_id": "C2", "employee_id": "E4", "exam_code": "SC",
             "exam_date": "2020-10-18", "result": "fail", "prep_course": F},
            {"record_id": "C3", "employee_id": "E3", "exam_code": "IP",
             "exam_date": "2020-06-01", "result": "pass", "prep_course": F},
        ],
        "phishing_drills": [
            drill("D1", "2020", "1", "2020-06-01", "E1", o=T),
            drill("D1", "2020", "1", "2020-06-01", "E5", r=T),
            drill("D2", "2021", "1", "2021-06-01", "E1", r=T),
            drill("D2", "2021", "1", "2021-06-01", "E2", o=T),
            drill("D2", "2021", "1", "2021-06-01", "E5"),
        ],
    }


def write(data: dict[str, list[dict[str, str]]], out: Path, encoding: str = "utf-8",
          newline: str = "\n") -> Path:
    """Write every file of ``data`` with the contract's columns (rows may omit optional ones)."""
    out.mkdir(parents=True, exist_ok=True)
    for name, rows in data.items():
        cols = BY_NAME[name].column_names
        with open(out / f"{name}.csv", "w", encoding=encoding, newline="") as fh:
            w = csv.DictWriter(fh, fieldnames=cols, lineterminator=newline)
            w.writeheader()
            for row in rows:
                w.writerow({c: row.get(c, "") for c in cols})
    return out
