"""Plan generations (issue 18; raw-data.md "plans.csv", metrics.md ``kpi.plan_id``): each FY is
judged by the plan in force — among the plans covering it, the latest adopted — and only by
that plan's targets; without plans.csv one implicit plan ``plan`` spans the targets.

Given/expect data: the hand-made data set (tests/dataset.py) with one roster row in FY2017, so
that kpi runs FY2017..FY2021 (as of 2021-07-01, FY2021 in progress), and small plans.csv
files. Rejections: each rule of plans.csv and of plan_targets.plan_id, with the warehouse
untouched (``refused`` of tests/test_validation.py).
"""

from __future__ import annotations

import csv
from pathlib import Path

import duckdb
import pytest
from conftest import build_from, dataset, kpi_row
from test_validation import good_warehouse, refused, warehouse, wide_console  # noqa: F401

from pipelines.__main__ import main


def plan(pid: str, fy_from: int, fy_to: int, adopted: str, revises: str = "") -> dict:
    return {"plan_id": pid, "title_ja": f"計画{pid}", "title_en": f"Plan {pid}",
            "fy_from": str(fy_from), "fy_to": str(fy_to), "adopted_on": adopted,
            "revises": revises, "source": ""}


def target(pid: str, metric: str, fy_from: int, fy_to: int, kind: str, lo: str = "",
           hi: str = "") -> dict:
    return {"plan_id": pid, "metric": metric, "fy_from": str(fy_from), "fy_to": str(fy_to),
            "kind": kind, "target_min": lo, "target_max": hi, "plan_section": "§2",
            "note_ja": "", "note_en": ""}


def generations() -> dict:
    """p1 FY2017-18; no plan FY2019; p2 FY2020-23 and its revision p2r (adopted mid-FY2021,
    FY2021-23): p2r raises the hires target and drops the drills target."""
    data = dataset.base()
    data["roster"].append({**data["roster"][0], "fiscal_year": "2017"})
    data["plans"] = [
        plan("p2r", 2021, 2023, "2021-10-15", revises="p2"),
        plan("p1", 2017, 2018, "2017-04-01"),
        plan("p2", 2020, 2023, "2020-04-01"),
    ]
    data["plan_targets"] = [
        target("p1", "digital_hires", 2017, 2018, "range", "1", "2"),
        target("p2", "digital_hires", 2020, 2023, "range", "1", "2"),
        target("p2", "phishing_drills_held", 2020, 2023, "min", "4"),
        target("p2", "security_elearning_rate", 2020, 2023, "min", "1"),
        target("p2r", "digital_hires", 2021, 2023, "range", "2", "4"),
        target("p2r", "security_elearning_rate", 2021, 2023, "min", "0.9"),
    ]
    return data


@pytest.fixture(scope="module")
def gen_warehouse(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build_from(generations(), tmp_path_factory.mktemp("generations"))


def targets(wh: Path, metric: str, fy: int, bureau: str | None = None) -> tuple:
    row = kpi_row(wh, metric, fy, bureau)
    return row["plan_id"], row["target_kind"], row["target_min"], row["target_max"]


def test_each_fy_judged_by_the_plan_in_force(gen_warehouse):
    assert targets(gen_warehouse, "digital_hires", 2017) == ("p1", "range", 1, 2)
    assert targets(gen_warehouse, "digital_hires", 2018) == ("p1", "range", 1, 2)
    assert targets(gen_warehouse, "digital_hires", 2020) == ("p2", "range", 1, 2)
    # FY2020: one hire, met under p2's 1-2 (not "below" against the later revision's 2-4)
    assert kpi_row(gen_warehouse, "digital_hires", 2020)["status"] == "met"


def test_fy_no_plan_covers(gen_warehouse):
    """FY2019: no plan in force, no target, for every row."""
    with duckdb.connect(str(gen_warehouse), read_only=True) as con:
        rows = con.execute("SELECT DISTINCT plan_id, target_kind, status FROM kpi "
                           "WHERE fiscal_year = 2019").fetchall()
    assert rows == [(None, None, "no_target")]


def test_revision_adopted_mid_year_governs_the_whole_fy(gen_warehouse):
    """p2r, adopted 2021-10-15, is the latest adopted plan covering FY2021: FY2021's targets
    are its own, from April 1 (the rule does not split a FY)."""
    assert targets(gen_warehouse, "digital_hires", 2021) == ("p2r", "range", 2, 4)
    assert targets(gen_warehouse, "security_elearning_rate", 2021) == ("p2r", "min", 0.9, None)
    assert targets(gen_warehouse, "security_elearning_rate", 2021, "B1") == (
        "p2r", "min", 0.9, None)


def test_revision_that_drops_a_target(gen_warehouse):
    """p2 had drills >= 4; its revision p2r has none: FY2021 has no drills target (p2's target
    for FY2021 does not show through)."""
    assert targets(gen_warehouse, "phishing_drills_held", 2020) == ("p2", "min", 4, None)
    assert targets(gen_warehouse, "phishing_drills_held", 2021) == ("p2r", None, None, None)
    assert kpi_row(gen_warehouse, "phishing_drills_held", 2021)["status"] == "no_target"


def test_plans_table(gen_warehouse):
    with duckdb.connect(str(gen_warehouse), read_only=True) as con:
        rows = con.execute("SELECT plan_id, fy_from, fy_to, revises, implicit, generation "
                           "FROM plans").fetchall()
        pt = con.execute("SELECT DISTINCT plan_id FROM plan_targets ORDER BY 1").fetchall()
    assert rows == [("p1", 2017, 2018, None, False, "p1"), ("p2", 2020, 2023, None, False, "p2"),
                    ("p2r", 2021, 2023, "p2", False, "p2")]
    assert pt == [("p1",), ("p2",), ("p2r",)]


def test_overlapping_plans_latest_adopted_wins(tmp_path):
    """Two plans (no revision) cover FY2020-21: the later adopted governs them, whatever its
    id or period; FY2017-19 only the long plan covers. Targets may overlap across plans."""
    data = dataset.base()
    data["roster"].append({**data["roster"][0], "fiscal_year": "2017"})
    data["plans"] = [plan("z_long", 2016, 2025, "2016-06-01"),
                     plan("a_short", 2020, 2021, "2019-12-01")]
    data["plan_targets"] = [target("z_long", "digital_hires", 2016, 2025, "min", "5"),
                            target("a_short", "digital_hires", 2020, 2021, "max", hi="3")]
    wh = build_from(data, tmp_path)
    assert targets(wh, "digital_hires", 2019) == ("z_long", "min", 5, None)
    assert targets(wh, "digital_hires", 2020) == ("a_short", "max", None, 3)
    assert targets(wh, "digital_hires", 2021) == ("a_short", "max", None, 3)


def _write_without_plan_id(data: dict, raw: Path) -> None:
    dataset.write(data, raw)
    with open(raw / "plan_targets.csv", newline="", encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh))
    cols = [c for c in rows[0] if c != "plan_id"]
    with open(raw / "plan_targets.csv", "w", newline="", encoding="utf-8") as fh:
        w = csv.DictWriter(fh, fieldnames=cols, lineterminator="\n", extrasaction="ignore")
        w.writeheader()
        w.writerows(rows)


def _kpi(wh: Path) -> list[tuple]:
    with duckdb.connect(str(wh), read_only=True) as con:
        return con.execute("SELECT * FROM kpi ORDER BY ALL").fetchall()


def test_implicit_plan(tmp_path, tiny_warehouse):
    """Without plans.csv (and without a plan_id column) the targets are one plan, ``plan``,
    over their span; kpi is the same as with an empty plan_id column."""
    raw = tmp_path / "raw"
    _write_without_plan_id(dataset.base(), raw)
    assert "plan_id" not in (raw / "plan_targets.csv").read_text("utf-8").splitlines()[0]
    wh = tmp_path / "wh.duckdb"
    assert main(["build", "--raw", str(raw), "--warehouse", str(wh)]) == 0
    assert _kpi(wh) == _kpi(tiny_warehouse)
    with duckdb.connect(str(wh), read_only=True) as con:
        assert con.execute("SELECT plan_id, title_ja, fy_from, fy_to, adopted_on, implicit "
                           "FROM plans").fetchall() == [("plan", None, 2016, 2030, None, True)]
        assert con.execute("SELECT DISTINCT plan_id FROM kpi").fetchall() == [("plan",)]
    assert targets(wh, "digital_hires", 2020) == ("plan", "range", 1, 2)


def test_no_targets_no_plan(tmp_path):
    data = dataset.base()
    data["plan_targets"] = []
    wh = build_from(data, tmp_path)
    with duckdb.connect(str(wh), read_only=True) as con:
        assert con.execute("SELECT count(*) FROM plans").fetchone() == (0,)
        assert con.execute("SELECT DISTINCT plan_id, status FROM kpi").fetchall() == [
            (None, "no_target")]


# --- rejections -----------------------------------------------------------------------------

def _raw(tmp: Path, edit=None) -> Path:
    data = generations()
    if edit is not None:
        edit(data)
    return dataset.write(data, tmp / "raw")


def _set(file: str, index: int, **changes: str):
    def edit(data: dict) -> None:
        data[file][index] = {**data[file][index], **changes}
    return edit


def _add(file: str, row: dict):
    def edit(data: dict) -> None:
        data[file].append(row)
    return edit


REJECTIONS = [
    pytest.param(_set("plan_targets", 0, plan_id="p9"),
                 ["plan_targets.csv: plan_id: must be a plan_id listed in plans.csv — 1 row, "
                  "e.g. row 2 (value 'p9')"], id="unknown-plan"),
    pytest.param(_set("plan_targets", 0, plan_id=""),
                 ["plan_targets.csv: plan_id: is required when plans.csv is present (empty "
                  "cell, or no plan_id column) — 1 row, e.g. row 2"], id="plan-id-missing"),
    pytest.param(_set("plan_targets", 1, fy_from="2019"),
                 ["plan_targets.csv: fy_from: fy_from..fy_to must lie inside the period of the "
                  "target's plan (fy_from..fy_to in plans.csv) — 1 row, e.g. row 3 (plan_id=p2, "
                  "fy_from=2019, fy_to=2023)"], id="target-before-plan"),
    pytest.param(_set("plan_targets", 4, fy_to="2024"),
                 ["plan_targets.csv: fy_from: fy_from..fy_to must lie inside the period of the "
                  "target's plan (fy_from..fy_to in plans.csv) — 1 row, e.g. row 6 "
                  "(plan_id=p2r, fy_from=2021, fy_to=2024)"], id="target-after-plan"),
    pytest.param(_set("plans", 2, revises="p2r"),
                 ["plans.csv: revises: must name a plan adopted before this one (its "
                  "adopted_on is not earlier) — 1 row, e.g. row 4 (plan_id=p2, "
                  "adopted_on=2020-04-01, revises=p2r)"], id="revises-later-plan"),
    pytest.param(_set("plans", 0, revises="p0"),
                 ["plans.csv: revises: must be a plan_id listed in plans.csv — 1 row, e.g. "
                  "row 2 (value 'p0')"], id="revises-missing-plan"),
    pytest.param(_set("plans", 1, adopted_on="2020-04-01"),
                 ["plans.csv: adopted_on: must be unique across plans (another plan was "
                  "adopted on the same day) — 2 rows, e.g. rows 3, 4 (plan_id=p1, "
                  "adopted_on=2020-04-01; plan_id=p2, adopted_on=2020-04-01)"],
                 id="duplicate-adopted-on"),
    pytest.param(_set("plans", 1, plan_id="p 1"),
                 ["plan_targets.csv: plan_id: must be a plan_id listed in plans.csv — 1 row, "
                  "e.g. row 2 (value 'p1')",
                  "plans.csv: plan_id: must match ^[A-Za-z0-9_-]{1,32}$ — 1 row, e.g. row 3 "
                  "(value 'p 1')"], id="plan-id-pattern"),
    pytest.param(_add("plans", plan("p1", 2030, 2031, "2029-01-01")),
                 ["plans.csv: plan_id: must be unique — 2 rows, e.g. rows 3, 5 "
                  "(values 'p1', 'p1')"], id="duplicate-plan-id"),
    pytest.param(_set("plans", 1, fy_to="2016"),
                 ["plans.csv: fy_to: must not be before fy_from — 1 row, e.g. row 3 "
                  "(fy_from=2017, fy_to=2016)"], id="plan-span"),
    pytest.param(_add("plan_targets", target("p2", "digital_hires", 2023, 2023, "min", "1")),
                 ["plan_targets.csv: metric: must have at most one target per plan, metric and "
                  "FY (the FY spans of these rows overlap) — 2 rows, e.g. rows 3, 8 "
                  "(plan_id=p2, metric=digital_hires, fy_from=2020, fy_to=2023; plan_id=p2, "
                  "metric=digital_hires, fy_from=2023, fy_to=2023)"], id="overlap-in-a-plan"),
]


@pytest.mark.parametrize(("edit", "expected"), REJECTIONS)
def test_rejected(tmp_path, warehouse, capsys, edit, expected):  # noqa: F811
    assert refused(_raw(tmp_path, edit), warehouse, capsys) == expected


def test_plans_without_plan_id_column_rejected(tmp_path, warehouse, capsys):  # noqa: F811
    raw = tmp_path / "raw"
    _write_without_plan_id(generations(), raw)
    assert refused(raw, warehouse, capsys) == [
        "plan_targets.csv: plan_id: is required when plans.csv is present (empty cell, or no "
        "plan_id column) — 6 rows, e.g. rows 2, 3, 4"]


def test_plan_id_without_plans_csv_rejected(tmp_path, warehouse, capsys):  # noqa: F811
    data = dataset.base()
    data["plan_targets"][0]["plan_id"] = "r3"
    raw = dataset.write(data, tmp_path / "raw")
    assert refused(raw, warehouse, capsys) == [
        "plan_targets.csv: plan_id: must be empty or plan (without plans.csv there is one "
        "implicit plan) — 1 row, e.g. row 2 (value 'r3')"]
