"""A raw-data folder as it stood on an earlier day (``cut``): the same ministry month after
month, for the release register's tests, its attack (tests/attack.py) and its benchmark
(``python -m bench register``)."""

from __future__ import annotations

import datetime as dt
import shutil
from pathlib import Path

import polars as pl


def cut(raw: Path, as_of: dt.date, out: Path) -> Path:
    """The raw folder as it stood on ``as_of`` (the build's as-of date is the latest dated
    event): hires, exam sittings and drill mails dated later are not there yet; a course
    completed later is still ``incomplete``; the roster of the year in progress holds no one
    hired later; later FYs are absent. Reference files are copied as they are."""
    out.mkdir(parents=True, exist_ok=True)
    fy = as_of.year if as_of.month >= 4 else as_of.year - 1
    read = lambda name: pl.read_csv(raw / f"{name}.csv", infer_schema=False)  # noqa: E731
    day = pl.lit(as_of.isoformat())
    hiring = read("hiring").filter(pl.col("hire_date") <= day)
    later = read("hiring").filter(pl.col("hire_date") > day)["employee_id"].to_list()
    roster = read("roster").filter(
        (pl.col("fiscal_year").cast(pl.Int64) < fy)
        | ((pl.col("fiscal_year").cast(pl.Int64) == fy) & ~pl.col("employee_id").is_in(later)))
    staff = roster["employee_id"].unique().to_list()
    training = read("training").filter(pl.col("fiscal_year").cast(pl.Int64) <= fy,
                                       pl.col("employee_id").is_in(staff))
    training = training.with_columns(
        pl.when(pl.col("completed_on") > day).then(pl.lit("incomplete"))
        .otherwise(pl.col("status")).alias("status"),
        pl.when(pl.col("completed_on") > day).then(pl.lit(None))
        .otherwise(pl.col("completed_on")).alias("completed_on"))
    frames = {
        "hiring": hiring, "roster": roster, "training": training,
        "certification": read("certification").filter(pl.col("exam_date") <= day,
                                                       pl.col("employee_id").is_in(staff)),
        "phishing_drills": read("phishing_drills").filter(pl.col("sent_on") <= day,
                                                          pl.col("employee_id").is_in(staff)),
    }
    for f in raw.glob("*.csv"):
        name = f.stem
        if name in frames:
            frames[name].write_csv(out / f.name)
        else:
            shutil.copy(f, out / f.name)
    return out
