"""The pace of the year in progress: the warehouse's ``kpi_pace`` and its track record
``kpi_pace_history`` (metrics.md, "Pace of the year in progress"), computed once in the build.

SQL (pipelines/sql.py ``PACE_EVENTS``, ``PACE_CURVE``, ``PACE_INPUTS``, ``PACE_HISTORY``) gives
each event metric's year-to-date curves (``kpi_pace_curve``) and, per row to project, ytd, the
reference years' remainders, the target and the previous FY's value. This module adds what needs the
distributions: the predictive remainder R of counts (a negative binomial, scipy) and the
interval of rates (Wilson, statsmodels, widened to the reference years' spread). Whether a value
meets a target is never decided here: ``sql.RULES``' ``target_verdict`` macro decides it, in
DuckDB, for the projection (``pace_status``), for every value ytd + R can take (``p_meet``: the
probability mass of those that meet it) and for a past year's outcome (``met``).

``project(row)`` is the one per-row entry point (the build calls ``project_rows``, the same on
many rows at once); ``inputs(con)`` gives a built warehouse's kpi_pace rows in the form it takes,
so that a draft target can be judged by the same computation.
"""

from __future__ import annotations

import math

import duckdb
import numpy as np
import polars as pl

from pipelines import sql

# metrics whose events carry a date (metrics.md); stock metrics get no kpi_pace row
EVENT_METRICS = tuple(sql.PACE_EVENTS)
# the count event metrics, whose track record kpi_pace_history keeps (ministry-wide)
HISTORY_METRICS = tuple(sql.PACE_HISTORY_EVENTS)
LEVEL = 0.90  # the interval's coverage: 5 % and 95 % quantiles
Z_SPREAD = 1.645  # rates: projected ∓ 1.645 · s · √(1 + 1/k) (metrics.md)
TAIL = 1e-12  # p_meet: R's values between its TAIL and 1 − TAIL quantiles, the tails lumped in

COLUMNS = ["metric", "bureau_code", "fiscal_year", "as_of", "fy_day", "ytd", "reference_years",
           "expected_remainder", "projected", "projected_low", "projected_high", "p_meet",
           "needed", "pace_status"]
HISTORY_COLUMNS = ["metric", "fiscal_year", "fy_day", "ytd", "reference_years", "projected",
                   "projected_low", "projected_high", "p_meet", "outcome", "inside", "met"]

CREATE = """
CREATE TABLE kpi_pace (
    metric VARCHAR, bureau_code VARCHAR, fiscal_year INTEGER, as_of DATE, fy_day INTEGER,
    ytd DOUBLE, reference_years INTEGER, expected_remainder DOUBLE, projected DOUBLE,
    projected_low DOUBLE, projected_high DOUBLE, p_meet DOUBLE, needed DOUBLE,
    pace_status VARCHAR)"""
CREATE_HISTORY = """
CREATE TABLE kpi_pace_history (
    metric VARCHAR, fiscal_year INTEGER, fy_day INTEGER, ytd DOUBLE, reference_years INTEGER,
    projected DOUBLE, projected_low DOUBLE, projected_high DOUBLE, p_meet DOUBLE,
    outcome DOUBLE, inside BOOLEAN, met BOOLEAN)"""


def remainder(remainders: list[float]):
    """The predictive remainder R of a count (a frozen ``scipy.stats.nbinom``) from the k
    reference years' remainders: mean μ = (S + ½)/k, variance φ·μ·(1 + 1/k), φ = max(1, v/m)
    (v the sample variance; φ = 1 when k < 2 or m = 0). As n, p: p = μ/σ² = 1/c and
    n = μ²/(σ² − μ) = μ/(c − 1) with c = φ·(1 + 1/k) ≥ 1 + 1/k, so σ² − μ = μ·(c − 1) > 0."""
    from scipy.stats import nbinom

    k = len(remainders)
    total = float(sum(remainders))
    mean = total / k
    phi = 1.0
    if k >= 2 and mean > 0:
        phi = max(1.0, float(np.var(remainders, ddof=1)) / mean)
    mu = (total + 0.5) / k
    c = phi * (1.0 + 1.0 / k)
    return nbinom(mu / (c - 1.0), 1.0 / c)


def _support(dist) -> tuple[np.ndarray, np.ndarray]:
    """R's values and their probabilities, from its TAIL to its 1 − TAIL quantile; the mass
    below (above) is put on the first (last) value, so the masses add up to 1."""
    a, b = (int(q) for q in dist.ppf([TAIL, 1.0 - TAIL]))
    r = np.arange(a, b + 1, dtype=np.float64)
    mass = dist.pmf(r)
    mass[0] = dist.cdf(a)
    if b > a:
        mass[-1] = dist.sf(b - 1)
    return r, mass


def _distribution(row: dict) -> tuple[dict, tuple[np.ndarray, np.ndarray] | None]:
    """Everything of a row but the target's judgement, and (counts with a target) the values
    ytd + R can take with their probabilities."""
    out = {c: row.get(c) for c in COLUMNS}
    rems = [float(x) for x in (row.get("remainders") or [])]
    k = len(rems)
    ytd, n, kind, lo = row["ytd"], row.get("denominator"), row["target_kind"], row["target_min"]
    counts = not row["is_rate"]
    out["reference_years"] = k
    out["expected_remainder"] = out["projected"] = None
    out["projected_low"] = out["projected_high"] = out["p_meet"] = out["needed"] = None
    if counts and kind in ("range", "min") and ytd is not None and lo is not None:
        out["needed"] = max(0.0, lo - ytd)
    grid = None
    if k and ytd is not None:
        m = sum(rems) / k
        out["expected_remainder"] = m
        if counts:
            dist = remainder(rems)
            q_lo, q_hi = dist.ppf([(1 - LEVEL) / 2, (1 + LEVEL) / 2])
            out["projected"] = ytd + m
            out["projected_low"], out["projected_high"] = ytd + float(q_lo), ytd + float(q_hi)
            if kind is not None:
                r, mass = _support(dist)
                grid = (ytd + r, mass)
        else:
            from statsmodels.stats.proportion import proportion_confint

            projected = min(1.0, max(0.0, ytd + m))
            low, high = (float(x) for x in proportion_confint(
                projected * n, n, alpha=1 - LEVEL, method="wilson"))
            if k >= 2:
                half = Z_SPREAD * float(np.std(rems, ddof=1)) * math.sqrt(1.0 + 1.0 / k)
                low, high = min(low, projected - half), max(high, projected + half)
            out["projected"] = projected
            out["projected_low"], out["projected_high"] = max(0.0, low), min(1.0, high)
    return out, grid


# The target's judgement of each row, by sql.RULES' target_verdict: the outlook of the
# projection, the chance (the mass of ytd + R's values that meet the target; NULL where no value
# can be judged: no target, or growth without a previous value) and, for a past year, whether
# its outcome met the target.
JUDGE = """
WITH verdicts AS (
    SELECT g.i, g.mass,
           target_verdict(r.kind, r.lo, r.hi, g.value, r.prev) AS verdict
    FROM pace_judge_grid g JOIN pace_judge_rows r USING (i)),
chances AS (
    SELECT i, CASE WHEN bool_or(verdict IS NOT NULL)
                   THEN coalesce(sum(mass) FILTER (WHERE verdict = 'met'), 0) END AS p_meet
    FROM verdicts GROUP BY i)
SELECT r.i,
       CASE WHEN r.kind IS NULL THEN 'no_target'
            WHEN target_verdict(r.kind, r.lo, r.hi, r.projected, r.prev) IS NULL THEN 'no_data'
            WHEN target_verdict(r.kind, r.lo, r.hi, r.projected, r.prev) = 'met' THEN 'on_track'
            ELSE 'at_risk' END AS pace_status,
       c.p_meet,
       target_verdict(r.kind, r.lo, r.hi, r.outcome, r.prev) = 'met' AS met
FROM pace_judge_rows r LEFT JOIN chances c USING (i)
ORDER BY r.i"""

_ROWS_SCHEMA = {"i": pl.Int64, "kind": pl.String, "lo": pl.Float64, "hi": pl.Float64,
                "prev": pl.Float64, "projected": pl.Float64, "outcome": pl.Float64}
_GRID_SCHEMA = {"i": pl.Int64, "value": pl.Float64, "mass": pl.Float64}


def project_rows(rows: list[dict], con: duckdb.DuckDBPyConnection | None = None) -> list[dict]:
    """kpi_pace rows (``COLUMNS``; with ``met`` too where a row has an ``outcome``) from rows of
    the form ``inputs`` gives. ``con``: a connection where ``sql.RULES`` has been run (None: a
    private in-memory one)."""
    if not rows:
        return []
    outs, judge, grids = [], [], []
    for i, row in enumerate(rows):
        out, grid = _distribution(row)
        outs.append(out)
        judge.append({"i": i, "kind": row["target_kind"], "lo": row["target_min"],
                      "hi": row["target_max"], "prev": row.get("previous_value"),
                      "projected": out["projected"], "outcome": row.get("outcome")})
        if grid is not None:
            grids.append(pl.DataFrame({"i": np.full(len(grid[0]), i), "value": grid[0],
                                       "mass": grid[1]}, schema=_GRID_SCHEMA))
    own = con is None
    if own:
        con = duckdb.connect()
        con.execute(sql.RULES)
    try:
        con.register("pace_judge_rows", pl.DataFrame(judge, schema=_ROWS_SCHEMA).to_arrow())
        con.register("pace_judge_grid", (pl.concat(grids) if grids else
                                         pl.DataFrame(schema=_GRID_SCHEMA)).to_arrow())
        verdicts = con.execute(JUDGE).fetchall()
    finally:
        con.unregister("pace_judge_rows")
        con.unregister("pace_judge_grid")
        if own:
            con.close()
    for out, row, (_, status, chance, met) in zip(outs, rows, verdicts, strict=True):
        out["pace_status"] = status
        out["p_meet"] = None if row["is_rate"] else chance
        if "outcome" in row:
            out["met"] = met
    return outs


def project(row: dict, con: duckdb.DuckDBPyConnection | None = None) -> dict:
    """One kpi_pace row from its inputs (keys: metric, bureau_code, fiscal_year, as_of,
    fy_day, ytd, is_rate, denominator, remainders — the reference years' full − same-day,
    newest first —, target_kind, target_min, target_max, previous_value; optional outcome)."""
    return project_rows([row], con)[0]


def inputs(con: duckdb.DuckDBPyConnection) -> list[dict]:
    """A built warehouse's kpi_pace rows as ``project`` takes them (each with its FY's target
    from kpi): swap in another target to judge the year in progress by it."""
    con.execute(sql.RULES)
    return con.sql(sql.PACE_INPUTS_BUILT).pl().to_dicts()


def build(con: duckdb.DuckDBPyConnection) -> None:
    """Create ``kpi_pace_curve``, ``kpi_pace`` and ``kpi_pace_history`` in ``con`` (after
    ``kpi``; needs the build's temp tables ``as_of``, ``metric_catalogue``, the ``done`` view
    and sql.RULES' macros)."""
    con.execute("CREATE TEMP TABLE pace_fys AS SELECT CAST(as_of_fy - k AS INTEGER) AS fiscal_year"
                " FROM as_of, range(4) r(k) WHERE as_of_fy IS NOT NULL")
    con.execute(sql.PACE_DONE)
    con.execute("CREATE TEMP TABLE pace_metrics (metric VARCHAR)")
    con.executemany("INSERT INTO pace_metrics VALUES (?)", [(m,) for m in EVENT_METRICS])
    con.execute("CREATE TEMP TABLE pace_events (metric VARCHAR, fiscal_year INTEGER, "
                "bureau_code VARCHAR, is_total BOOLEAN, fy_day INTEGER, units BIGINT)")
    for code, query in sql.PACE_EVENTS.items():
        con.execute(sql.PACE_INSERT.format(query=query), [code])
    con.execute(sql.PACE_CURVE)
    con.execute(CREATE)
    rows = con.sql(sql.PACE_INPUTS_BUILD).pl().to_dicts()
    _insert(con, "kpi_pace", COLUMNS, project_rows(rows, con))

    con.execute("CREATE TEMP TABLE pace_history_metrics (metric VARCHAR)")
    con.executemany("INSERT INTO pace_history_metrics VALUES (?)",
                    [(m,) for m in HISTORY_METRICS])
    con.execute("CREATE TEMP TABLE pace_history_days (metric VARCHAR, fiscal_year INTEGER, "
                "same_day BIGINT)")
    for code, query in sql.PACE_HISTORY_EVENTS.items():
        con.execute(sql.PACE_HISTORY_INSERT.format(query=query), [code])
    con.execute(CREATE_HISTORY)
    base = con.sql(sql.PACE_HISTORY).pl().to_dicts()
    history = []
    for row, out in zip(base, project_rows(base, con), strict=True):
        low, high, outcome = out["projected_low"], out["projected_high"], row["outcome"]
        history.append(out | {"outcome": outcome,
                              "inside": None if low is None else low <= outcome <= high})
    _insert(con, "kpi_pace_history", HISTORY_COLUMNS, history)


def _insert(con: duckdb.DuckDBPyConnection, table: str, columns: list[str],
            rows: list[dict]) -> None:
    if not rows:
        return
    schema = con.sql(f"SELECT * FROM {table}").pl().schema
    frame = pl.DataFrame([{c: r[c] for c in columns} for r in rows], schema=schema)
    con.register("pace_rows", frame.to_arrow())
    con.execute(f"INSERT INTO {table} SELECT * FROM pace_rows")
    con.unregister("pace_rows")
