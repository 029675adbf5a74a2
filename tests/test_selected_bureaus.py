"""The dashboard's view of selected bureaus (``queries.kpi(run, bureaus)``): given → expect.

Counts are summed and rates recomputed as sum(numerator) / sum(denominator) over the selected
bureaus' kpi rows, in DuckDB, with the build's own status rule (the ``kpi_status`` macro).
Rows are written out by hand from tests/dataset.py (as-of 2021-07-01: FY2021 in progress).
"""

from __future__ import annotations

import copy

import pytest
from conftest import build_from, dataset

from dashboard import queries

COLS = ("value", "numerator", "denominator", "target_kind", "target_min", "target_max",
        "status", "ministry_only")


def rounded(by_fy):
    return {fy: tuple(round(x, 9) if isinstance(x, float) else x for x in row)
            for fy, row in by_fy.items()}


def rows(wh, sel, metric):
    frame = queries.kpi(queries.current_run(wh), sel)
    return rounded({r["fiscal_year"]: tuple(r[c] for c in COLS)
                    for r in frame.iter_rows(named=True) if r["metric"] == metric})


@pytest.mark.parametrize(("sel", "metric", "expected"), [
    # a count: summed; its target applies to the ministry-wide row only
    (("B1",), "digital_hires", {
        2020: (1.0, 1.0, None, None, None, None, "no_target", False),
        2021: (0.0, 0.0, None, None, None, None, "no_target", False)}),
    (("B1", "B2"), "digital_hires", {
        2020: (1.0, 1.0, None, None, None, None, "no_target", False),
        2021: (0.0, 0.0, None, None, None, None, "no_target", False)}),
    # a rate: ratio of sums; its target applies to the sums
    (("B1",), "security_elearning_rate", {
        2020: (0.5, 1.0, 2.0, "min", 1.0, None, "below", False),
        2021: (0.5, 1.0, 2.0, "min", 1.0, None, "in_progress", False)}),
    (("B1", "B2"), "security_elearning_rate", {
        2020: (0.5, 1.0, 2.0, "min", 1.0, None, "below", False),
        2021: (1 / 3, 1.0, 3.0, "min", 1.0, None, "in_progress", False)}),
    # a zero denominator: no value, no_data
    (("B2",), "new_hire_a_level_rate", {
        2020: (None, 0.0, 0.0, "min", 1.0, None, "no_data", False),
        2021: (1.0, 1.0, 1.0, "min", 1.0, None, "in_progress", False)}),
    # no bureau breakdown: the ministry-wide row, marked
    (("B2",), "phishing_drills_held", {
        2020: (1.0, 1.0, None, "min", 4.0, None, "below", True),
        2021: (1.0, 1.0, None, "min", 4.0, None, "in_progress", True)}),
])
def test_selected_bureaus(tiny_warehouse, sel, metric, expected):
    assert rows(tiny_warehouse, sel, metric) == rounded(expected)


def test_ministry_target_and_whether_it_applies_to_bureaus(tiny_warehouse):
    frame = queries.kpi(queries.current_run(tiny_warehouse), ("B1",))
    got = {r["metric"]: (r["m_target_kind"], r["m_target_min"], r["m_target_max"],
                         r["bureau_target"])
           for r in frame.filter(frame["fiscal_year"] == 2020).iter_rows(named=True)}
    assert got["digital_hires"] == ("range", 1.0, 2.0, False)
    assert got["security_elearning_rate"] == ("min", 1.0, None, True)
    assert got["training_participants"] == ("growth", None, None, False)
    assert got["secondees"] == (None, None, None, False)


@pytest.fixture(scope="module")
def growth_on_a_rate(tmp_path_factory):
    """A growth target on a rate (so it applies to bureau sums); FY2021 closed on 2022-03-31
    by one more drill mail, reported by E1 (B1)."""
    data = copy.deepcopy(dataset.base())
    data["plan_targets"].append({"metric": "phishing_report_rate", "fy_from": "2016",
                                 "fy_to": "2030", "kind": "growth", "plan_section": "§5"})
    data["phishing_drills"].append({"drill_id": "D3", "fiscal_year": "2021", "round": "2",
                                    "sent_on": "2022-03-31", "employee_id": "E1",
                                    "opened": "false", "reported": "true"})
    return build_from(data, tmp_path_factory.mktemp("growth_rate"))


def test_growth_on_selected_bureaus(growth_on_a_rate):
    # B1: FY2020 E5 of E1, E5 reported (1/2); FY2021 E1 twice of E1, E1, E5 (2/3) → met
    assert rows(growth_on_a_rate, ("B1",), "phishing_report_rate") == rounded({
        2020: (0.5, 1.0, 2.0, "growth", None, None, "no_data", False),
        2021: (2 / 3, 2.0, 3.0, "growth", None, None, "met", False)})
    # B1+B2: FY2021 adds E2 (B2, not reported): 2/4 = 0.5, not more than FY2020's 0.5
    assert rows(growth_on_a_rate, ("B1", "B2"), "phishing_report_rate") == rounded({
        2020: (0.5, 1.0, 2.0, "growth", None, None, "no_data", False),
        2021: (0.5, 2.0, 4.0, "growth", None, None, "below", False)})
