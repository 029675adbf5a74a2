"""Reading the roll-up file (``DTP_EDITION=rollup``): the roll-up pages' only reader.

The same rules as :mod:`dashboard.queries`, through its connection and cache: the file is
opened read-only and locked (``release.connection``), SQL text is constant and every value a
bound parameter, results are cached by the file's version (``rollup_meta.built_at`` with the
file's identity, checked with one ``stat`` per rerun). The roll-up holds no row-level table:
``rollup_kpi`` (each organisation's published kpi rows, flag F/C, and the government-wide
``ALL`` rows, flag F/S with bounds), ``rollup_kpi_pace``, ``rollup_organisations``,
``rollup_bureaus``, ``rollup_meta`` (release/rollup.py).

:func:`file_kind` tells a roll-up file from a ministry warehouse, so that each edition can
refuse the other's file with a clear message.
"""

from __future__ import annotations

import datetime as dt
import os
from dataclasses import dataclass, replace
from pathlib import Path

import duckdb
import polars as pl
import streamlit as st

from dashboard.queries import WarehouseMissing, WarehouseUnreadable, _fetch, _q, _run_batch
from pipelines.fiscal import fiscal_year, fy_end
from pipelines.settings import get_settings
from release.organisation import ALL

Orgs = tuple[str, ...] | None  # organisation codes; None = every organisation


class NotARollup(WarehouseUnreadable):
    """``DTP_EDITION=rollup`` but the file is not a roll-up (a ministry warehouse, or else)."""


@dataclass(frozen=True)
class Rollup:
    """The roll-up file as the pages see it (``version`` keys the cache)."""

    path: str
    version: str
    built_at: dt.datetime | None
    threshold: int
    method: str
    organisations: int
    has_pace: bool
    months: tuple[str, ...] = ()  # every month of the file (rollup_months), oldest first
    month: str | None = None  # the month the pages show (``?month=``; None: the latest)

    @property
    def run_id(self) -> str:
        """The audit lines' run: when the roll-up was built (the cache key adds the file's
        identity)."""
        return self.built_at.isoformat() if self.built_at is not None else self.version

    @property
    def shown_month(self) -> str:
        """The month every read is of: the chosen one, else the latest."""
        return self.month or self.months[-1]

    def at(self, month: str | None) -> Rollup:
        """The same file, showing ``month`` (one of its months; else the latest)."""
        return replace(self, month=month if month in self.months else None)


# --- which file is it -------------------------------------------------------------------------

@st.cache_data(show_spinner=False, max_entries=16)
def _kind(path: str, ino: int, mtime_ns: int, size: int) -> str | None:
    (frame,) = _run_batch(path, [_q(
        "SELECT table_name FROM duckdb_tables() WHERE database_name = current_database()")])
    names = set(frame["table_name"].to_list())
    if {"rollup_kpi", "rollup_meta", "rollup_organisations"} <= names:
        return "rollup"
    if {"kpi", "pipeline_runs"} <= names:
        return "warehouse"
    return None


def file_kind(path: Path) -> str | None:
    """``rollup`` (a roll-up file), ``warehouse`` (a ministry warehouse) or None (missing,
    unreadable or neither)."""
    try:
        s = os.stat(path)
        return _kind(str(path), s.st_ino, s.st_mtime_ns, s.st_size)
    except (OSError, duckdb.Error):
        return None


# --- the file ---------------------------------------------------------------------------------

@st.cache_data(show_spinner=False, max_entries=16)
def _meta(path: str, ino: int, mtime_ns: int, size: int) -> dict:
    meta, tables = _run_batch(path, [
        _q("SELECT built_at, threshold, method, organisations FROM rollup_meta LIMIT 1"),
        _q("SELECT table_name FROM duckdb_tables() WHERE database_name = current_database()")])
    if meta.height == 0:
        raise WarehouseUnreadable("rollup_meta is empty")
    row = meta.row(0, named=True)
    names = tables["table_name"].to_list()
    row["has_pace"] = "rollup_kpi_pace" in names
    if "rollup_months" not in names:  # rolled up before months (issue 24): roll up again
        raise WarehouseUnreadable("no rollup_months: roll the packs up again")
    (months,) = _run_batch(path, [_q("SELECT month FROM rollup_months ORDER BY month")])
    row["months"] = tuple(months["month"].to_list())
    if not row["months"]:
        raise WarehouseUnreadable("rollup_months is empty")
    row["version"] = f"{row['built_at']}|{ino}|{mtime_ns}|{size}"
    return row


def path() -> Path:
    return get_settings().warehouse


def current(p: Path | None = None) -> Rollup:
    """The roll-up file (one ``stat`` when nothing changed). :class:`NotARollup` when the file
    is a ministry warehouse or anything else."""
    p = Path(p or path())
    try:
        s = os.stat(p)
    except FileNotFoundError as exc:
        raise WarehouseMissing(str(p)) from exc
    if file_kind(p) != "rollup":
        raise NotARollup(str(p))
    try:
        meta = _meta(str(p), s.st_ino, s.st_mtime_ns, s.st_size)
    except duckdb.Error as exc:
        raise WarehouseUnreadable(str(exc)) from exc
    return Rollup(path=str(p), version=meta["version"], built_at=meta["built_at"],
                  threshold=meta["threshold"], method=meta["method"],
                  organisations=meta["organisations"], has_pace=meta["has_pace"],
                  months=meta["months"])


def _one(r: Rollup, sql: str, **params: object) -> pl.DataFrame:
    return _fetch(r.path, r.version, (_q(sql, **params),))[0]


def _orgs(orgs: Orgs) -> tuple[str, dict[str, object]]:
    """A constant SQL fragment and its bound parameter for the organisation filter."""
    if orgs is None:
        return "", {}
    return " AND organisation IN (SELECT unnest($orgs))", {"orgs": tuple(orgs)}


# --- reads ------------------------------------------------------------------------------------

def organisations(r: Rollup) -> pl.DataFrame:
    """Every organisation rolled up (in the file's order): code, names, threshold, and the
    as-of date of its pack of the month shown (NULL: it has not sent that month)."""
    return _one(r, "SELECT o.organisation, o.name_ja, o.name_en, s.as_of_date, o.threshold "
                   "FROM rollup_organisations o LEFT JOIN rollup_submissions s ON "
                   "s.organisation = o.organisation AND s.month = $month AND s.current",
                month=r.shown_month)


def missing(r: Rollup) -> list[str]:
    """The organisations that have not sent the month shown."""
    return _one(r, "SELECT organisation FROM rollup_missing WHERE month = $month "
                   "ORDER BY organisation", month=r.shown_month)["organisation"].to_list()


def fiscal_years(r: Rollup) -> list[int]:
    return _one(r, "SELECT DISTINCT fiscal_year FROM rollup_kpi WHERE month = $month "
                   "ORDER BY 1", month=r.shown_month)["fiscal_year"].to_list()


def submissions(r: Rollup) -> pl.DataFrame:
    """Every accepted pack, newest first: month, organisation, accepted_at, as_of_date,
    submitted_by, replaces, current."""
    return _one(r, "SELECT month, organisation, accepted_at, as_of_date, submitted_by, "
                   "replaces, current FROM rollup_submissions ORDER BY month DESC, "
                   "organisation, accepted_at DESC NULLS LAST")


def all_missing(r: Rollup) -> pl.DataFrame:
    """Every organisation-month not sent."""
    return _one(r, "SELECT month, organisation FROM rollup_missing ORDER BY month, organisation")


def by_month(r: Rollup, metric: str, fy: int, months: tuple[str, ...]) -> pl.DataFrame:
    """One metric's ministry-wide rows of FY ``fy`` in each of ``months``, every organisation
    and ``ALL``: the year in progress as the centre saw it month by month."""
    return _one(r, f"SELECT month, {KPI} FROM rollup_kpi WHERE bureau_code IS NULL "
                   "AND metric = $metric AND fiscal_year = $fy AND month IN "
                   "(SELECT unnest($months)) ORDER BY month, organisation",
                metric=metric, fy=fy, months=tuple(months))


def in_progress_fy(r: Rollup) -> int | None:
    """The FY in progress at the latest as-of date of the organisations (None when that date
    is a March 31: the year is complete)."""
    dates = [d for d in organisations(r)["as_of_date"].to_list() if d is not None]
    if not dates:
        return None
    latest = max(dates)
    fy = fiscal_year(latest)
    return fy if latest < fy_end(fy) else None


KPI = ("organisation, metric, fiscal_year, value, numerator, denominator, flag, value_low, "
       "value_high, target_kind, target_min, target_max, status, plan_id, policy")


def kpi(r: Rollup, orgs: Orgs) -> pl.DataFrame:
    """The selected organisations' ministry-wide rows (bureau_code NULL), every metric × FY, as
    rollup_kpi holds them (a withheld cell NULL, flag C)."""
    where, params = _orgs(orgs)
    return _one(r, f"SELECT {KPI} FROM rollup_kpi WHERE bureau_code IS NULL "
                   f"AND organisation <> $all AND month = $month{where} "
                   "ORDER BY metric, fiscal_year, organisation",
                all=ALL, month=r.shown_month, **params)


def government(r: Rollup) -> pl.DataFrame:
    """The government-wide rows (``organisation = 'ALL'``): sums where every part is free (F),
    else NULL with flag S and the bounds the free parts imply."""
    return _one(r, f"SELECT {KPI} FROM rollup_kpi WHERE organisation = $all "
                   "AND month = $month ORDER BY metric, fiscal_year", all=ALL,
                month=r.shown_month)


def pace(r: Rollup, orgs: Orgs) -> pl.DataFrame:
    """Each selected organisation's pace of the year in progress (ministry rows of
    rollup_kpi_pace), with that row's own target from rollup_kpi; empty when no pack had one."""
    if not r.has_pace:
        return pl.DataFrame()
    where, params = _orgs(orgs)
    return _one(r, "SELECT p.organisation, p.metric, p.fiscal_year, p.as_of, p.fy_day, p.ytd, "
                   "p.reference_years, p.projected, p.projected_low, p.projected_high, "
                   "p.p_meet, p.needed, p.pace_status, p.flag, k.target_kind, k.target_min, "
                   "k.target_max, k.denominator FROM rollup_kpi_pace p LEFT JOIN rollup_kpi k "
                   "ON k.organisation = p.organisation AND k.metric = p.metric "
                   "AND k.fiscal_year = p.fiscal_year AND k.bureau_code IS NULL "
                   "AND k.month = p.month WHERE p.bureau_code IS NULL AND p.month = $month"
                   + where.replace("organisation", "p.organisation")
                   + " ORDER BY p.metric, p.organisation", month=r.shown_month, **params)


# --- downloads (read on the click, in Streamlit's download thread: no cache) -------------------

def download_count(r: Rollup, dataset: str, orgs: Orgs, month: str | None = None) -> int:
    """How many rows :func:`download_rows` gives (the download budget is checked against it
    before a button is offered, as on the ministry's data page)."""
    where, params = _orgs(orgs)
    if dataset == "rollup_kpi":
        sql = ("SELECT count(*) AS n FROM rollup_kpi WHERE (organisation = $all"
               + (" OR true" if orgs is None else
                  " OR organisation IN (SELECT unnest($orgs))") + ") "
               "AND ($month IS NULL OR month = $month)")
        params = {**params, "all": ALL}
    elif dataset == "rollup_kpi_pace":
        sql = ("SELECT count(*) AS n FROM rollup_kpi_pace WHERE ($month IS NULL OR month = "
               "$month)" + where)
    else:
        raise ValueError(f"not a roll-up dataset: {dataset!r}")
    return int(_one(r, sql, month=month, **params)["n"][0])


def download_rows(path_: str, dataset: str, orgs: Orgs, lang: str,
                  month: str | None = None) -> pl.DataFrame:
    """A download's rows of ``month`` (every month: None): ``rollup_kpi`` (the selected
    organisations' rows, bureau rows included, with each bureau's name in ``lang``, and the
    government-wide rows) or ``rollup_kpi_pace`` (the selected organisations' rows)."""
    where, params = _orgs(orgs)
    params["month"] = month
    name = "name_en" if lang == "en" else "name_ja"
    if dataset == "rollup_kpi":
        sql = ("SELECT k.month, k.organisation, k.metric, k.fiscal_year, k.bureau_code, b." + name
               + " AS bureau_name, k.value, k.numerator, k.denominator, k.flag, k.value_low, "
               "k.value_high, k.target_kind, k.target_min, k.target_max, k.status, k.plan_id "
               "FROM rollup_kpi k LEFT JOIN rollup_bureaus b ON b.organisation = k.organisation "
               "AND b.bureau_code = k.bureau_code WHERE (k.organisation = $all"
               + (" OR true" if orgs is None else
                  " OR k.organisation IN (SELECT unnest($orgs))") + ") "
               "AND ($month IS NULL OR k.month = $month) "
               "ORDER BY k.month, k.organisation = $all, k.organisation, k.metric, k.fiscal_year, "
               "k.bureau_code NULLS FIRST")
        params = {**params, "all": ALL}
    elif dataset == "rollup_kpi_pace":
        sql = ("SELECT * FROM rollup_kpi_pace WHERE ($month IS NULL OR month = $month)" + where
               + " ORDER BY month, organisation, metric, bureau_code NULLS FIRST")
    else:
        raise ValueError(f"not a roll-up dataset: {dataset!r}")
    (frame,) = _run_batch(path_, [_q(sql, **params)])
    return frame
