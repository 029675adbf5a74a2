"""The pace of the year in progress: the warehouse's ``kpi_pace`` (metrics.md, "Pace of the year
in progress"), computed once in the build.

SQL (pipelines/sql.py ``PACE_EVENTS``, ``PACE``) gives each event metric's year-to-date curves
(``kpi_pace_curve``) and, per row of the as-of FY, ytd, the reference years and their mean
remainder; this module adds what needs the distributions — exact Poisson quantiles and
probabilities for counts (scipy), the Wilson interval for rates (statsmodels) — and the status.
"""

from __future__ import annotations

import duckdb
import numpy as np
import polars as pl

from pipelines import sql

# metrics whose events carry a date (metrics.md); stock metrics get no kpi_pace row
EVENT_METRICS = tuple(sql.PACE_EVENTS)
LEVEL = 0.90  # the interval's coverage: 5 % and 95 % quantiles

COLUMNS = ["metric", "bureau_code", "fiscal_year", "as_of", "fy_day", "ytd", "reference_years",
           "expected_remainder", "projected", "projected_low", "projected_high", "p_meet",
           "needed", "pace_status"]

CREATE = """
CREATE TABLE kpi_pace (
    metric VARCHAR, bureau_code VARCHAR, fiscal_year INTEGER, as_of DATE, fy_day INTEGER,
    ytd DOUBLE, reference_years INTEGER, expected_remainder DOUBLE, projected DOUBLE,
    projected_low DOUBLE, projected_high DOUBLE, p_meet DOUBLE, needed DOUBLE,
    pace_status VARCHAR)"""


def meets(kind: str | None, lo: float | None, hi: float | None, value: float | None,
          previous: float | None) -> bool | None:
    """Whether ``value`` meets a target of ``kind`` (None: cannot tell). The same reading as
    kpi's status: range lo ≤ v ≤ hi, min v ≥ lo, max v ≤ hi, growth v > previous FY."""
    if kind is None or value is None:
        return None
    if kind == "range":
        return lo <= value <= hi
    if kind == "min":
        return value >= lo
    if kind == "max":
        return value <= hi
    if kind == "growth":
        return None if previous is None else value > previous
    return None


def p_meet(kind: str | None, lo: float | None, hi: float | None, ytd: float, lam: float,
           previous: float | None) -> float | None:
    """P(ytd + R meets the target) for R ~ Poisson(lam)."""
    from scipy.stats import poisson

    def at_most(x: float) -> float:  # P(R ≤ x)
        return float(poisson.cdf(np.floor(x), lam)) if x >= 0 else 0.0

    def at_least(x: float) -> float:  # P(R ≥ x)
        return 1.0 - at_most(np.ceil(x) - 1)

    if kind == "range":
        return max(0.0, at_most(hi - ytd) - at_most(np.ceil(lo - ytd) - 1))
    if kind == "min":
        return at_least(lo - ytd)
    if kind == "max":
        return at_most(hi - ytd)
    if kind == "growth" and previous is not None:
        return 1.0 - at_most(previous - ytd)  # P(R > previous − ytd)
    return None


def project(row: dict) -> dict:
    """One kpi_pace row from its ``pace_base`` row."""
    from scipy.stats import poisson

    out = {c: row.get(c) for c in COLUMNS}
    ytd, lam, n = row["ytd"], row["expected_remainder"], row["denominator"]
    kind, lo, hi, prev = row["target_kind"], row["target_min"], row["target_max"], \
        row["previous_value"]
    counts = not row["is_rate"]
    if counts and kind in ("range", "min") and ytd is not None and lo is not None:
        out["needed"] = max(0.0, lo - ytd)
    projected = None
    if row["reference_years"] and ytd is not None and lam is not None:
        if counts:
            projected = ytd + lam
            if lam > 0:
                q_lo, q_hi = poisson.ppf([(1 - LEVEL) / 2, (1 + LEVEL) / 2], lam)
            else:
                q_lo = q_hi = 0.0
            out["projected_low"], out["projected_high"] = ytd + float(q_lo), ytd + float(q_hi)
            out["p_meet"] = p_meet(kind, lo, hi, ytd, lam, prev)
        else:
            from statsmodels.stats.proportion import proportion_confint

            projected = min(1.0, max(0.0, ytd + lam))
            low, high = proportion_confint(projected * n, n, alpha=1 - LEVEL, method="wilson")
            out["projected_low"], out["projected_high"] = float(low), float(high)
        out["projected"] = projected
    if kind is None:
        out["pace_status"] = "no_target"
    else:
        ok = meets(kind, lo, hi, projected, prev)
        out["pace_status"] = "no_data" if ok is None else ("on_track" if ok else "at_risk")
    return out


def build(con: duckdb.DuckDBPyConnection) -> None:
    """Create ``kpi_pace_curve`` and ``kpi_pace`` in ``con`` (after ``kpi``; needs the build's
    temp tables ``as_of``, ``metric_catalogue`` and the ``done`` view)."""
    con.execute("CREATE TEMP TABLE pace_fys AS SELECT CAST(as_of_fy - k AS INTEGER) AS fiscal_year"
                " FROM as_of, range(4) r(k) WHERE as_of_fy IS NOT NULL")
    con.execute(sql.PACE_DONE)
    con.execute("CREATE TEMP TABLE pace_metrics (metric VARCHAR)")
    con.executemany("INSERT INTO pace_metrics VALUES (?)", [(m,) for m in EVENT_METRICS])
    con.execute("CREATE TEMP TABLE pace_events (metric VARCHAR, fiscal_year INTEGER, "
                "bureau_code VARCHAR, is_total BOOLEAN, fy_day INTEGER, units BIGINT)")
    for code, query in sql.PACE_EVENTS.items():
        con.execute(sql.PACE_INSERT.format(query=query), [code])
    con.execute(sql.PACE)
    base = con.sql("SELECT * FROM pace_base").pl()
    con.execute(CREATE)
    rows = [project(r) for r in base.iter_rows(named=True)]
    if rows:
        frame = pl.DataFrame(rows, schema=con.sql("SELECT * FROM kpi_pace").pl().schema)
        con.register("pace_rows", frame.to_arrow())
        con.execute("INSERT INTO kpi_pace SELECT * FROM pace_rows")
        con.unregister("pace_rows")
