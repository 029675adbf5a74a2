"""The sample as the contract's tables (codes as the contract's strings, pseudonymous IDs,
contract column order) and as files: ``build`` and ``generate``."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import polars as pl

from pipelines import origin
from pipelines.sample.facts import (
    TrainingRows,
    digital_courses,
    elearning,
    exam_sittings,
    hire_training,
    phishing_drills,
    promotion_training,
)
from pipelines.sample.people import Kind, build_people
from pipelines.sample.reference import B_CODES, B_IDX, COURSES, EXAMS, U_CODES, reference_tables
from pipelines.sample.roster import build_roster
from pipelines.sample.story import FIRST_FY, FYS, NONE, drill_days, stream
from pipelines.schema import BY_NAME, EMPLOYMENT_TYPES, GRADES, PLACEMENTS, RESULTS, TABLES, TRACKS

DEFAULT_STAFF = 4000
DEFAULT_SEED = 20210401
MIN_STAFF = 100


def _labels(values: tuple[str, ...] | list[str], codes: np.ndarray, null: int = NONE
            ) -> pl.Series:
    """The contract's codes of an index column (``null`` = empty)."""
    lab = pl.Series(list(values) + [None], dtype=pl.String)
    codes = np.asarray(codes, dtype=np.int64)
    return lab.gather(np.where(codes == null, len(values), codes))


def _dates(days: np.ndarray) -> pl.Series:
    """Days since 1970-01-01 to a Date column; negative = missing."""
    d = pl.DataFrame({"d": np.asarray(days, dtype=np.int64)})
    return d.select(pl.when(pl.col("d") >= 0).then(pl.col("d")).cast(pl.Int32).cast(pl.Date)
                    ).to_series()


def _ids(rng: np.random.Generator, n: int) -> pl.Series:
    """Pseudonymous IDs: E + a seeded random number (not in hire order)."""
    width = max(6, len(str(3 * n)))
    nums = rng.choice(10**width, size=n, replace=False) if n else np.empty(0, np.int64)
    return pl.select(
        pl.concat_str(pl.lit("E"), pl.Series(nums).cast(pl.String).str.zfill(width))
    ).to_series()


def _running(prefix: str, n: int, minwidth: int) -> pl.Series:
    width = max(minwidth, len(str(n)))
    return pl.select(pl.concat_str(
        pl.lit(prefix), pl.int_range(1, n + 1, eager=True).cast(pl.String).str.zfill(width)
    )).to_series()


def build(staff: int = DEFAULT_STAFF, seed: int = DEFAULT_SEED) -> dict[str, pl.DataFrame]:
    """All contract tables as DataFrames (columns in contract order)."""
    if int(staff) < MIN_STAFF:
        raise ValueError(f"staff must be at least {MIN_STAFF} (got {staff})")
    if int(seed) < 0:
        raise ValueError(f"seed must be a non-negative integer (got {seed})")
    staff, seed = int(staff), int(seed)
    pp = build_people(staff, seed)
    roster = build_roster(pp, seed)
    ids = _ids(stream(seed, "ids"), pp.n)

    t = reference_tables()

    # hiring
    h = np.flatnonzero(pp.kind == Kind.HIRE)
    hiring = pl.DataFrame({
        "employee_id": ids.gather(h),
        "hire_date": _dates(pp.entry[h]),
        "hire_fiscal_year": pp.start[h].astype(np.int64),
        "bureau_code": _labels(B_CODES, pp.bureau0[h]),
        "track": _labels(TRACKS, pp.track[h]),
    })
    t["hiring"] = hiring.sort("hire_date", "employee_id")

    # roster
    cat = {k: np.concatenate([roster[fy][k] for fy in FYS]) for k in roster[FIRST_FY]}
    fy_col = np.concatenate([np.full(len(roster[fy]["idx"]), fy) for fy in FYS])
    t["roster"] = pl.DataFrame({
        "fiscal_year": fy_col.astype(np.int64),
        "employee_id": ids.gather(cat["idx"]),
        "bureau_code": _labels(B_CODES, cat["bureau"]),
        "unit_code": _labels(U_CODES, cat["unit"]),
        "grade": _labels(GRADES, cat["grade"]),
        "employment_type": _labels(EMPLOYMENT_TYPES, cat["etype"]),
        "hire_fiscal_year": pp.hire_fy[cat["idx"]].astype(np.int64),
        "digital_talent": cat["dt"],
        "placement": _labels(PLACEMENTS, cat["place"]),
    }).sort("fiscal_year", "employee_id")

    # training, certification, drills
    rows = TrainingRows()
    rng_h, rng_e, rng_d, rng_p = (stream(seed, n) for n in ("hire-tr", "elearn", "dig", "promo"))
    rng_x, rng_c = stream(seed, "drills"), stream(seed, "cert")
    rb = stream(seed, "bureau-effects")
    bureau_off = rb.uniform(-0.01, 0.008, len(B_CODES))
    bureau_mult = rb.uniform(0.85, 1.15, len(B_CODES))
    bureau_mult[B_IDX["CSO"]] = 0.4
    bureau_mult[B_IDX["MS"]] *= 0.8
    drills, certs = [], []
    for fy in FYS:
        r = roster[fy]
        hire_training(rng_h, pp, fy, rows)
        elearning(rng_e, pp, r, fy, rows, bureau_off)
        digital_courses(rng_d, pp, r, fy, staff, rows)
        promotion_training(rng_p, pp, r, fy, rows)
        drills.append(phishing_drills(rng_x, pp, r, fy, rows, bureau_mult))
        certs.append(exam_sittings(rng_c, pp, r, fy, staff, rows))

    tr = rows.arrays()
    training = pl.DataFrame({
        "p": tr["p"],
        "course_code": _labels([c.code for c in COURSES], tr["c"]),
        "fiscal_year": tr["fy"].astype(np.int64),
        "completed_on": _dates(tr["day"]),
    }).with_columns(
        employee_id=ids.gather(tr["p"]),
        status=pl.when(pl.col("completed_on").is_null()).then(pl.lit("incomplete"))
        .otherwise(pl.lit("completed")),
    )
    # one enrolment per person, course and FY (a completion wins over an incomplete row)
    training = (training.sort("fiscal_year", "p", "course_code", "completed_on",
                              nulls_last=True)
                .unique(["fiscal_year", "p", "course_code"], keep="first", maintain_order=True)
                .sort("fiscal_year", "completed_on", "course_code", "employee_id",
                      nulls_last=True))
    training = training.with_columns(record_id=_running("T", training.height, 6))
    t["training"] = training

    dr = {k: np.concatenate([d[k] for d in drills]) for k in drills[0]}
    drill_no = dr["drill"].astype(np.int64)
    fy_of = FIRST_FY + drill_no // 4
    rnd = drill_no % 4 + 1
    sent_lookup = np.zeros(len(FYS) * 4, dtype=np.int64)
    for fy in FYS:
        for i, s in enumerate(drill_days(fy)):
            sent_lookup[(fy - FIRST_FY) * 4 + i] = s
    t["phishing_drills"] = pl.DataFrame({
        "drill_id": pl.select(pl.format("PD{}-{}", pl.Series(fy_of), pl.Series(rnd)))
        .to_series(),
        "fiscal_year": fy_of,
        "round": rnd,
        "sent_on": _dates(sent_lookup[drill_no]),
        "employee_id": ids.gather(dr["p"]),
        "opened": dr["opened"],
        "reported": dr["reported"],
        "_n": drill_no,
    }).sort("_n", "employee_id").drop("_n")

    ce = {k: np.concatenate([c[k] for c in certs]) for k in certs[0]}
    cert = pl.DataFrame({
        "employee_id": ids.gather(ce["p"]),
        "exam_code": _labels([e.code for e in EXAMS], ce["exam"]),
        "exam_date": _dates(ce["day"]),
        "result": _labels(RESULTS, np.where(ce["pass"], RESULTS.index("pass"),
                                             RESULTS.index("fail"))),
        "prep_course": ce["prep"],
    }).sort("exam_date", "employee_id", "exam_code")
    t["certification"] = cert.with_columns(record_id=_running("C", cert.height, 5))

    return {name: t[name].select(BY_NAME[name].column_names) for name in BY_NAME}


def generate(out_dir: Path, staff: int = DEFAULT_STAFF, seed: int = DEFAULT_SEED,
             organisation: str | None = None) -> dict[str, int]:
    """Write every contract CSV and SAMPLE_MANIFEST.json into out_dir; return rows per file.
    With ``organisation``, the data set is that organisation's (``organisations.py``: its own
    bureaus, size and targets) and ``organisation.csv`` names it."""
    from pipelines.sample import organisations

    out_dir = Path(out_dir)
    prof = organisations.profile(organisation, seed) if organisation else None
    tables = build(staff, seed)
    if prof is not None:
        tables = organisations.reshape(tables, prof, staff, seed)
    out_dir.mkdir(parents=True, exist_ok=True)
    if prof is not None:
        organisations.write_organisation(out_dir, prof)
    return write_tables(tables, out_dir, staff, seed)


def write_tables(tables: dict[str, pl.DataFrame], out_dir: Path, staff: int,
                 seed: int) -> dict[str, int]:
    """Write the contract's CSVs (optional empty ones left out) and SAMPLE_MANIFEST.json."""
    out_dir.mkdir(parents=True, exist_ok=True)
    rows: dict[str, int] = {}
    files: dict[str, str] = {}
    for table in TABLES:
        df = tables[table.name]
        if table.optional and df.height == 0:
            (out_dir / table.file).unlink(missing_ok=True)
            continue
        path = out_dir / table.file
        df.write_csv(path, include_bom=False, include_header=True, line_terminator="\n",
                     date_format="%Y-%m-%d", null_value="", quote_style="necessary")
        rows[table.file] = df.height
        files[table.file] = origin.sha256(path)
    origin.write_manifest(out_dir, staff, seed, files)
    return rows

