"""The sample's next delivery (issue 22, item 9): ``python -m pipelines sample --next-month``.

The same data set as ``sample`` plus the month after its as-of date (``story.AS_OF``, 20
November 2026) — what the HR data steward, the training office and the security office would
deliver in December:

- a digital-talent hire on 1 December, on the FY's roster, with their new-hire and level-A
  training in December;
- the year's third phishing drill (9 December), to the same people as the second;
- security e-learning completions of a quarter of the staff still to do it this FY;
- late records of last FY's e-learning for one bureau whose people all did it in the end (its
  FY2025 status goes from 未達 to 達成).

So at least one status and one pace outlook change; the folder is a whole raw set (with its
``SAMPLE_MANIFEST.json``: still sample data). Deterministic for a staff size and seed.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import numpy as np
import polars as pl

from pipelines.sample.story import AS_OF, OPEN_RATE, REPORT_RATE

MONTH_END = AS_OF + dt.timedelta(days=30)  # 20 December 2026
HIRE_DAY = dt.date(2026, 12, 1)
DRILL_DAY = dt.date(2026, 12, 9)
FY = 2026
ELEARNING = "SEC-EL"
NEW_HIRE_COURSE = "NEWHIRE"
LEVEL_A = "UIT-A"


def _next_ids(existing: pl.Series, prefix: str, n: int) -> list[str]:
    nums = existing.str.strip_prefix(prefix).cast(pl.Int64, strict=False).drop_nulls()
    width = int(existing.str.len_chars().max() or 7) - len(prefix)
    start = int(nums.max() or 0) + 1
    return [f"{prefix}{i:0{width}d}" for i in range(start, start + n)]


def _append(df: pl.DataFrame, rows: list[dict]) -> pl.DataFrame:
    return pl.concat([df, pl.DataFrame(rows, schema=df.schema, orient="row")]) if rows else df


def _complete(training: pl.DataFrame, people: list[str], fy: int,
              days: list[dt.date]) -> pl.DataFrame:
    """The e-learning of FY ``fy`` completed by ``people`` on ``days``: an incomplete
    enrolment becomes completed, else a new record."""
    when = dict(zip(people, days, strict=True))
    pending = ((pl.col("course_code") == ELEARNING) & (pl.col("fiscal_year") == fy)
               & (pl.col("status") == "incomplete") & pl.col("employee_id").is_in(people))
    had = set(training.filter(pending)["employee_id"])
    on = pl.col("employee_id").replace_strict(when, default=None, return_dtype=pl.Date)
    training = training.with_columns(
        pl.when(pending).then(pl.lit("completed")).otherwise(pl.col("status")).alias("status"),
        pl.when(pending).then(on).otherwise(pl.col("completed_on")).alias("completed_on"))
    new = [p for p in people if p not in had]
    ids = _next_ids(training["record_id"], "T", len(new))
    return _append(training, [
        {"record_id": rid, "employee_id": p, "course_code": ELEARNING, "fiscal_year": fy,
         "status": "completed", "completed_on": when[p]} for rid, p in zip(ids, new,
                                                                            strict=True)])


def _to_do(tables: dict[str, pl.DataFrame], fy: int) -> pl.DataFrame:
    """Roster rows of ``fy`` the e-learning counts (non-political, at home) without a
    completion that FY: employee_id, bureau_code."""
    done = tables["training"].filter((pl.col("course_code") == ELEARNING)
                                     & (pl.col("fiscal_year") == fy)
                                     & (pl.col("status") == "completed"))["employee_id"]
    return tables["roster"].filter(
        (pl.col("fiscal_year") == fy) & (pl.col("employment_type") != "political")
        & (pl.col("placement") == "home") & ~pl.col("employee_id").is_in(done.implode())
    ).select("employee_id", "bureau_code").sort("employee_id")


def next_month(tables: dict[str, pl.DataFrame], seed: int) -> dict[str, pl.DataFrame]:
    rng = np.random.default_rng([seed, 2026, 12])
    t = dict(tables)
    roster, hiring, training = t["roster"], t["hiring"], t["training"]

    # a digital-talent hire on 1 December, on the FY's roster, trained in December
    busiest = (roster.filter(pl.col("fiscal_year") == FY).group_by("bureau_code").len()
               .sort(["len", "bureau_code"], descending=[True, False])["bureau_code"][0])
    taken = set(roster["employee_id"]) | set(hiring["employee_id"])
    n = 900001
    while f"E{n}" in taken:
        n += 1
    hire = f"E{n}"
    t["hiring"] = _append(hiring, [{"employee_id": hire, "hire_date": HIRE_DAY,
                                    "hire_fiscal_year": FY, "bureau_code": busiest,
                                    "track": "digital_candidate"}])
    t["roster"] = _append(roster, [{
        "fiscal_year": FY, "employee_id": hire, "bureau_code": busiest, "unit_code": None,
        "grade": "staff", "employment_type": "career", "hire_fiscal_year": FY,
        "digital_talent": False, "placement": "home"}])
    ids = _next_ids(training["record_id"], "T", 2)
    training = _append(training, [
        {"record_id": ids[0], "employee_id": hire, "course_code": NEW_HIRE_COURSE,
         "fiscal_year": FY, "status": "completed", "completed_on": dt.date(2026, 12, 3)},
        {"record_id": ids[1], "employee_id": hire, "course_code": LEVEL_A,
         "fiscal_year": FY, "status": "completed", "completed_on": dt.date(2026, 12, 15)}])
    t["training"] = training

    # the third drill of the FY, to the people of the last one
    drills = t["phishing_drills"]
    this_fy = drills.filter(pl.col("fiscal_year") == FY)
    last_round = int(this_fy["round"].max() or 0)
    if last_round < 4:
        to = this_fy.filter(pl.col("round") == last_round)["employee_id"].sort().to_list()
        opened = rng.random(len(to)) < OPEN_RATE[FY]
        reported = rng.random(len(to)) < REPORT_RATE[FY]
        t["phishing_drills"] = _append(drills, [
            {"drill_id": f"PD{FY}-{last_round + 1}", "fiscal_year": FY,
             "round": last_round + 1, "sent_on": DRILL_DAY, "employee_id": e,
             "opened": bool(o), "reported": bool(r)}
            for e, o, r in zip(to, opened, reported, strict=True)])

    # a quarter of those still to do this FY's e-learning do it in the month
    todo = _to_do(t, FY)["employee_id"].to_list()
    picked = sorted(rng.choice(todo, size=len(todo) // 4, replace=False).tolist()) if todo else []
    span = (MONTH_END - AS_OF).days
    days = [AS_OF + dt.timedelta(days=int(d)) for d in rng.integers(1, span + 1, len(picked))]
    t["training"] = _complete(t["training"], picked, FY, days)

    # last FY's late records: the bureau with the fewest people left completes them all
    last = _to_do(t, FY - 1)
    if last.height:
        few = (last.group_by("bureau_code").len().sort(["len", "bureau_code"])
               ["bureau_code"][0])
        people = last.filter(pl.col("bureau_code") == few)["employee_id"].to_list()
        t["training"] = _complete(t["training"], people, FY - 1,
                                  [dt.date(FY, 3, 31)] * len(people))
    return t


def generate_next_month(out_dir: Path, staff: int, seed: int) -> dict[str, int]:
    """Write the whole next delivery (every contract file and its manifest) into out_dir."""
    from pipelines.sample.tables import build, write_tables

    return write_tables(next_month(build(staff, seed), seed), Path(out_dir), staff, seed)
