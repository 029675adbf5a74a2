"""Fiscal years (April–March) and their Japanese era labels: the one home of FY arithmetic.

The FY of a date is given three ways, all the same rule (April 1 starts FY N, March 31 of
N+1 ends it): :func:`fiscal_year` for Python dates, :func:`fy_expr` for Polars columns and the
SQL macros ``fy_of(d)`` / ``fy_end(n)`` in :data:`SQL_MACROS` (created by the build and by the
dashboard's connections).
"""

from __future__ import annotations

import datetime as dt

import polars as pl

FIRST_MONTH = 4  # April


def fiscal_year(day: dt.date) -> int:
    """FY N runs from April 1 of N to March 31 of N+1."""
    return day.year if day.month >= FIRST_MONTH else day.year - 1


def fy_expr(column: str | pl.Expr) -> pl.Expr:
    """The FY of a date column, as a Polars expression (null stays null)."""
    d = pl.col(column) if isinstance(column, str) else column
    return pl.when(d.dt.month() >= FIRST_MONTH).then(d.dt.year()).otherwise(d.dt.year() - 1)


SQL_MACROS = f"""
CREATE OR REPLACE TEMP MACRO fy_of(d) AS
    CASE WHEN month(d) >= {FIRST_MONTH} THEN year(d) ELSE year(d) - 1 END;
CREATE OR REPLACE TEMP MACRO fy_end(n) AS make_date(CAST(n AS BIGINT) + 1, 3, 31);
"""


def fy_start(fy: int) -> dt.date:
    return dt.date(fy, FIRST_MONTH, 1)


def fy_end(fy: int) -> dt.date:
    return dt.date(fy + 1, 3, 31)


def era_label(fy: int) -> str:
    """Japanese label of an FY: 平成28年度 … 平成30年度, 令和元年度, 令和2年度 …

    FY2019 began on April 1, 2019, in Heisei 31, but is 令和元年度 (never 平成31年度): the
    government names a fiscal year by the era in force for most of it.
    """
    if fy >= 2019:
        n = fy - 2018
        return "令和元年度" if n == 1 else f"令和{n}年度"
    if fy >= 1989:
        n = fy - 1988
        return "平成元年度" if n == 1 else f"平成{n}年度"
    return f"{fy}年度"

