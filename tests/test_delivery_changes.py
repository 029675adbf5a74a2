"""What a delivery changes (pipelines/delivery/changes.py): given a live and a candidate
warehouse built from hand-made data (tests/dataset.py), expect the kpi cells, pace rows, file
rows, dates and the summary line."""

from __future__ import annotations

import copy
import hashlib
from pathlib import Path

import dataset
import polars as pl
import pytest
from conftest import build_from

from pipelines.delivery.changes import Changes, compare


@pytest.fixture(scope="module")
def live(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build_from(dataset.base(), tmp_path_factory.mktemp("live"))


def candidate(tmp_path: Path, change) -> Path:  # noqa: ANN001
    data = copy.deepcopy(dataset.base())
    change(data)
    return build_from(data, tmp_path)


def _sha(p: Path) -> str:
    return hashlib.sha256(p.read_bytes()).hexdigest()


def row(frame: pl.DataFrame, **where: object) -> dict:
    conds = [pl.col(k).is_null() if v is None else pl.col(k) == v for k, v in where.items()]
    found = frame.filter(*conds)
    assert found.height == 1, (where, found)
    return found.row(0, named=True)


def test_identical_delivery_says_no_change(live, tmp_path):
    before = _sha(live)
    ch = compare(live, candidate(tmp_path, lambda d: None))
    assert ch.identical
    assert ch.kpi.height == 0 and ch.pace.height == 0 and ch.published.height == 0
    assert ch.summary("en") == "no change" and ch.summary("ja") == "変更なし"
    assert set(ch.files["added"]) == {0} and set(ch.files["changed"]) == {0}
    assert _sha(live) == before  # read-only


def test_status_flip_met_to_below_first(live, tmp_path):
    # the one digital hire of FY2020 (E5) is taken out: digital_hires FY2020 1 -> 0, range 1-2
    def drop_hire(d):  # noqa: ANN001
        d["hiring"] = [r for r in d["hiring"] if r["employee_id"] != "E5"]

    ch = compare(live, candidate(tmp_path, drop_hire))
    first = ch.kpi.row(0, named=True)
    assert (first["metric"], first["fiscal_year"], first["bureau_code"]) == (
        "digital_hires", 2020, None)
    assert (first["status_before"], first["status_after"]) == ("met", "below")
    assert (first["value_before"], first["value_after"], first["difference"]) == (1, 0, -1)
    assert first["flip"] and first["to_below"]
    # flips come before value-only changes
    flips = ch.kpi["flip"].to_list()
    assert flips == sorted(flips, reverse=True)
    summary = ch.summary("en")
    assert "statuses change" in summary and "to below (未達)" in summary
    assert "Digital-talent hires FY2020 1 → 0" in summary
    assert "未達" in ch.summary("ja")
    # the hiring file: one row removed, nothing else in the row-level files
    hiring = row(ch.files, file="hiring.csv")
    assert (hiring["rows_before"], hiring["rows_after"], hiring["added"], hiring["removed"],
            hiring["changed"]) == (2, 1, 0, 1, 0)
    assert row(ch.files, file="roster.csv")["sha256_before"] == row(
        ch.files, file="roster.csv")["sha256_after"]
    # the published figure (digital_hires FY2020 = 1) no longer matches
    pub = row(ch.published, metric="digital_hires", fiscal_year=2020)
    assert (pub["matches_before"], pub["matches_after"]) == (True, False)
    # the CSV of `delivery changes`
    assert ch.csv_frame().columns == ["metric", "fiscal_year", "bureau_code", "value_before",
                                      "value_after", "status_before", "status_after",
                                      "plan_before", "plan_after"]


def test_new_fiscal_year(live, tmp_path):
    # a digital hire on 2022-05-09 (FY2022) and their roster row: FY2022 cells appear
    def next_year(d):  # noqa: ANN001
        d["hiring"].append({"employee_id": "E6", "hire_date": "2022-05-09",
                            "hire_fiscal_year": "2022", "bureau_code": "B1",
                            "track": "digital_candidate"})
        d["roster"].append({"fiscal_year": "2022", "employee_id": "E6", "bureau_code": "B1",
                            "unit_code": "", "grade": "staff", "employment_type": "career",
                            "hire_fiscal_year": "2022", "digital_talent": "false",
                            "placement": "home"})

    ch = compare(live, candidate(tmp_path, next_year))
    new = row(ch.kpi, metric="digital_hires", fiscal_year=2022, bureau_code=None)
    assert new["value_before"] is None and new["value_after"] == 1
    assert new["status_before"] is None and not new["flip"]
    # FY2021 is complete now: its in-progress statuses become final
    fy21 = row(ch.kpi, metric="digital_hires", fiscal_year=2021, bureau_code=None)
    assert fy21["status_before"] == "in_progress" and fy21["flip"]
    dates = {r["item"]: (r["before"], r["after"]) for r in ch.dates.iter_rows(named=True)}
    assert dates["as_of_fy"] == ("2021", "2022")
    assert dates["as_of_date"] == ("2021-07-01", "2022-05-09")
    assert "as of 2021-07-01 → 2022-05-09" in ch.summary("en")
    hiring = row(ch.files, file="hiring.csv")
    assert (hiring["added"], hiring["removed"], hiring["changed"]) == (1, 0, 0)
    pace = row(ch.pace, metric="digital_hires", bureau_code=None)
    assert (pace["fiscal_year_before"], pace["fiscal_year_after"]) == (2021, 2022)


def test_revised_target_changes_the_plan_in_force(live, tmp_path):
    # plans.csv: the plan of 2016 and a revision adopted for FY2021 on, digital hires 2-3
    def revise(d):  # noqa: ANN001
        d["plans"] = [
            {"plan_id": "P2016", "title_ja": "計画", "title_en": "Plan", "fy_from": "2016",
             "fy_to": "2030", "adopted_on": "2016-03-31", "revises": "", "source": ""},
            {"plan_id": "P2021", "title_ja": "改定", "title_en": "Revision", "fy_from": "2021",
             "fy_to": "2030", "adopted_on": "2021-03-31", "revises": "P2016", "source": ""}]
        old = d["plan_targets"]
        d["plan_targets"] = [r | {"plan_id": "P2016"} for r in old] + [
            r | {"plan_id": "P2021", "fy_from": "2021"} for r in old]
        for r in d["plan_targets"]:
            if r["plan_id"] == "P2021" and r["metric"] == "digital_hires":
                r["target_min"], r["target_max"] = "2", "3"

    ch = compare(live, candidate(tmp_path, revise))
    c = row(ch.kpi, metric="digital_hires", fiscal_year=2021, bureau_code=None)
    assert (c["plan_before"], c["plan_after"]) == ("plan", "P2021")
    assert (c["target_min_before"], c["target_min_after"]) == (1, 2)
    assert (c["target_max_before"], c["target_max_after"]) == (2, 3)
    assert c["value_before"] == c["value_after"] and c["difference"] == 0
    old = row(ch.kpi, metric="digital_hires", fiscal_year=2020, bureau_code=None)
    assert (old["plan_before"], old["plan_after"]) == ("plan", "P2016")
    plans = row(ch.files, file="plans.csv")
    assert (plans["rows_before"], plans["rows_after"], plans["added"]) == (0, 2, 2)
    targets = row(ch.files, file="plan_targets.csv")
    assert targets["added"] == 10 and targets["removed"] == 5


def test_a_bureau_that_disappears(live, tmp_path):
    # B2 is merged into B1: its unit goes, its people move
    def merge(d):  # noqa: ANN001
        d["bureaus"] = [r for r in d["bureaus"] if r["bureau_code"] != "B2"]
        d["units"] = [r for r in d["units"] if r["bureau_code"] != "B2"]
        for name in ("roster", "hiring"):
            for r in d[name]:
                if r["bureau_code"] == "B2":
                    r["bureau_code"] = "B1"
                if r.get("unit_code") == "U2":
                    r["unit_code"] = ""

    ch = compare(live, candidate(tmp_path, merge))
    gone = ch.kpi.filter(pl.col("bureau_code") == "B2")
    assert gone.height > 0
    assert gone["value_after"].is_null().all() and gone["status_after"].is_null().all()
    assert not gone["flip"].any()
    assert (row(ch.files, file="bureaus.csv")["removed"],
            row(ch.files, file="units.csv")["removed"]) == (1, 1)
    roster = row(ch.files, file="roster.csv")
    assert (roster["added"], roster["removed"], roster["changed"]) == (0, 0, 3)
    assert row(ch.files, file="hiring.csv")["changed"] == 1
    # ministry totals are unchanged: no ministry value line in the summary
    assert ch.kpi.filter(pl.col("bureau_code").is_null()
                         & pl.col("value_before").ne_missing(pl.col("value_after"))).height == 0


def test_first_delivery_has_no_before(live, tmp_path):
    ch = compare(None, live)
    assert ch.kpi.height > 0 and ch.kpi["value_before"].is_null().all()
    assert row(ch.files, file="hiring.csv")["added"] == 2


def test_saved_and_loaded(live, tmp_path):
    ch = compare(live, live)
    ch.save(tmp_path / "changes")
    back = Changes.load(tmp_path / "changes")
    assert back.identical and back.summary("en") == "no change"
    assert back.files.equals(ch.files)
