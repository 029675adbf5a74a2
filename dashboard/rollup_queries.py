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
from dataclasses import dataclass
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

    @property
    def run_id(self) -> str:
        """The audit lines' run: when the roll-up was built (the cache key adds the file's
        identity)."""
        return self.built_at.isoformat() if self.built_at is not None else self.version


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
    row["has_pace"] = "rollup_kpi_pace" in tables["table_name"].to_list()
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
                  organisations=meta["organisations"], has_pace=meta["has_pace"])


def _one(r: Rollup, sql: str, **params: object) -> pl.DataFrame:
    return _fetch(r.path, r.version, (_q(sql, **params),))[0]


def _orgs(orgs: Orgs) -> tuple[str, dict[str, object]]:
    """A constant SQL fragment and its bound parameter for the organisation filter."""
    if orgs is None:
        return "", {}
    return " AND organisation IN (SELECT unnest($orgs))", {"orgs": tuple(orgs)}


# --- reads ------------------------------------------------------------------------------------

def organisations(r: Rollup) -> pl.DataFrame:
    """Every organisation rolled up: code, names, as-of date, threshold (in the file's order)."""
    return _one(r, "SELECT organisation, name_ja, name_en, as_of_date, threshold "
                   "FROM rollup_organisations")


def fiscal_years(r: Rollup) -> list[int]:
    return _one(r, "SELECT DISTINCT fiscal_year FROM rollup_kpi ORDER BY 1")[
        "fiscal_year"].to_list()


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
       "value_high, target_kind, target_min, target_max, status, plan_id")


def kpi(r: Rollup, orgs: Orgs) -> pl.DataFrame:
    """The selected organisations' ministry-wide rows (bureau_code NULL), every metric × FY, as
    rollup_kpi holds them (a withheld cell NULL, flag C)."""
    where, params = _orgs(orgs)
    return _one(r, f"SELECT {KPI} FROM rollup_kpi WHERE bureau_code IS NULL "
                   f"AND organisation <> $all{where} ORDER BY metric, fiscal_year, organisation",
                all=ALL, **params)


def government(r: Rollup) -> pl.DataFrame:
    """The government-wide rows (``organisation = 'ALL'``): sums where every part is free (F),
    else NULL with flag S and the bounds the free parts imply."""
    return _one(r, f"SELECT {KPI} FROM rollup_kpi WHERE organisation = $all "
                   "ORDER BY metric, fiscal_year", all=ALL)


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
                   "WHERE p.bureau_code IS NULL" + where.replace("organisation", "p.organisation")
                   + " ORDER BY p.metric, p.organisation", **params)


# --- downloads (read on the click, in Streamlit's download thread: no cache) -------------------

def download_rows(path_: str, dataset: str, orgs: Orgs, lang: str) -> pl.DataFrame:
    """A download's rows: ``rollup_kpi`` (the selected organisations' rows, bureau rows
    included, with each bureau's name in ``lang``, and the government-wide rows) or
    ``rollup_kpi_pace`` (the selected organisations' rows)."""
    where, params = _orgs(orgs)
    name = "name_en" if lang == "en" else "name_ja"
    if dataset == "rollup_kpi":
        sql = ("SELECT k.organisation, k.metric, k.fiscal_year, k.bureau_code, b." + name
               + " AS bureau_name, k.value, k.numerator, k.denominator, k.flag, k.value_low, "
               "k.value_high, k.target_kind, k.target_min, k.target_max, k.status, k.plan_id "
               "FROM rollup_kpi k LEFT JOIN rollup_bureaus b ON b.organisation = k.organisation "
               "AND b.bureau_code = k.bureau_code WHERE (k.organisation = $all"
               + (" OR true" if orgs is None else
                  " OR k.organisation IN (SELECT unnest($orgs))") + ") "
               "ORDER BY k.organisation = $all, k.organisation, k.metric, k.fiscal_year, "
               "k.bureau_code NULLS FIRST")
        params = {**params, "all": ALL}
    elif dataset == "rollup_kpi_pace":
        sql = ("SELECT * FROM rollup_kpi_pace WHERE true" + where
               + " ORDER BY organisation, metric, bureau_code NULLS FIRST")
    else:
        raise ValueError(f"not a roll-up dataset: {dataset!r}")
    (frame,) = _run_batch(path_, [_q(sql, **params)])
    return frame
