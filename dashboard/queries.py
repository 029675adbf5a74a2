"""Reading the warehouse: the plan pages' reads (``kpi``, marts, reference) and run metadata.

* Read-only, and every value is a bound parameter: SQL text here is constant; bureau codes and
  fiscal years travel as parameters, never as text.
* Results are cached by the pipeline run id (``pipeline_runs``), so a rebuilt warehouse shows
  up at the next interaction without a restart.
* No connection outlives a query batch. Each batch opens a private in-memory DuckDB and
  ``ATTACH``es the warehouse read-only: DuckDB's per-process database cache would otherwise keep
  serving the old file after ``python -m pipelines build`` has ``os.replace``d it, for as long
  as any connection to that path is open. The file's identity (inode, mtime, size) is checked
  with one ``stat`` per rerun; the run id is read again only when it changed.
* The plan pages read the marts and ``kpi`` only, never the row-level ``stg_`` tables; the
  Data and Dictionary pages read the catalogued datasets through ``dashboard.datasets``, which
  uses this module's connection and cache.
* Locked after the ATTACH (``release.connection``): no external access, no extension
  autoload, settings locked, so a view stored in the file cannot read other files.
"""

from __future__ import annotations

import datetime as dt
import os
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import duckdb
import polars as pl
import streamlit as st

from pipelines import revision
from pipelines.schema import METRICS
from pipelines.settings import edition, get_settings
from release import i18n
from release.connection import connect as _connect

Selection = tuple[str, ...] | None  # bureau codes; None = all bureaus (the ministry-wide rows)


class WarehouseMissing(Exception):
    """No warehouse file at the configured path."""


class WarehouseUnreadable(Exception):
    """The file exists but is not a warehouse this dashboard can read."""


class PublicNotReady(Exception):
    """The public edition's file is still being made (or its worker failed)."""


@dataclass(frozen=True)
class Run:
    path: str
    run_id: str
    started_at: dt.datetime | None
    finished_at: dt.datetime | None
    as_of_date: dt.date | None
    as_of_fy: int | None
    data_origin: str | None
    in_progress_fy: int | None = None  # the as-of FY while in progress (``in_progress`` macro)

    @property
    def is_sample(self) -> bool:
        return self.data_origin == "sample"

    def in_progress(self, fy: int) -> bool:
        """The as-of FY is in progress until its March 31 is in the data (metrics.md)."""
        return self.in_progress_fy is not None and fy == self.in_progress_fy


def warehouse_path() -> Path:
    """The warehouse; in the public edition the file of protected data made from it
    (``release.public``), so no page can read anything else."""
    s = get_settings()
    if edition() == "public" and s.warehouse.exists():
        status = public_status()
        if status.state != "ready" or status.path is None:
            raise PublicNotReady(status.state)
        return status.path
    return s.warehouse


def public_status(retry: bool = False):  # -> release.public.Status
    """The public edition's file: ready, being made by the worker (started here if none runs)
    or failed. Quick (a few ``stat``s): the making runs in a worker process, never here."""
    from release import public

    s = get_settings()
    try:
        return public.status(s.warehouse, s.suppress_below, retry=retry)
    except (OSError, public.CacheUnsafe) as exc:  # e.g. a cache folder not this user's own
        return public.Status("failed", error=str(exc))


# --- connection and caching -------------------------------------------------------------------

Query = tuple[str, tuple[tuple[str, object], ...]]  # (sql, named params as sorted pairs)


def _q(sql: str, **params: object) -> Query:
    return sql, tuple(sorted(params.items()))


def _run_batch(path: str, queries: Sequence[Query]) -> list[pl.DataFrame]:
    con = _connect(path)
    try:
        return [con.sql(sql, params={k: (list(v) if isinstance(v, tuple) else v)
                                     for k, v in params} or None).pl()
                for sql, params in queries]
    finally:
        con.close()


@st.cache_data(show_spinner=False, max_entries=1024)
def _fetch(path: str, run_id: str, queries: tuple[Query, ...]) -> list[pl.DataFrame]:
    """Cached by warehouse path, run id and the exact queries with their parameters."""
    return _run_batch(path, queries)


@st.cache_data(show_spinner=False, max_entries=16)
def _run_meta(path: str, ino: int, mtime_ns: int, size: int) -> dict:
    (frame,) = _run_batch(path, [_q(
        "SELECT run_id, started_at, finished_at, as_of_date, as_of_fy, data_origin, "
        "CASE WHEN in_progress(as_of_fy, as_of_date, as_of_fy) THEN as_of_fy END "
        "AS in_progress_fy FROM pipeline_runs ORDER BY started_at DESC LIMIT 1")])
    if frame.height == 0:
        raise WarehouseUnreadable("pipeline_runs is empty")
    return frame.row(0, named=True)


def current_run(path: Path | None = None) -> Run:
    """The latest pipeline run of the warehouse (one ``stat`` when nothing changed)."""
    p = Path(path or warehouse_path())
    try:
        st_ = os.stat(p)
    except FileNotFoundError as exc:
        raise WarehouseMissing(str(p)) from exc
    try:
        meta = _run_meta(str(p), st_.st_ino, st_.st_mtime_ns, st_.st_size)
    except duckdb.Error as exc:
        raise WarehouseUnreadable(str(exc)) from exc
    return Run(path=str(p), **meta)


def _one(run: Run, sql: str, **params: object) -> pl.DataFrame:
    return _fetch(run.path, run.run_id, (_q(sql, **params),))[0]


def _bureau_filter(sel: Selection, column: str = "bureau_code") -> str:
    """A constant SQL fragment; the codes themselves are bound as ``$bureaus``."""
    return "" if sel is None else f" AND {column} IN (SELECT unnest($bureaus))"


def _params(sel: Selection, **extra: object) -> dict[str, object]:
    return extra if sel is None else {**extra, "bureaus": tuple(sel)}


# --- reference ---------------------------------------------------------------------------------

def bureaus(run: Run) -> pl.DataFrame:
    return _one(run, "SELECT bureau_code, name_ja, name_en FROM bureaus ORDER BY bureau_code")


def fiscal_years(run: Run) -> list[int]:
    return _one(run, "SELECT DISTINCT fiscal_year FROM kpi ORDER BY 1")["fiscal_year"].to_list()


def plan_targets(run: Run) -> pl.DataFrame:
    return _one(run, "SELECT plan_id, metric, fy_from, fy_to, kind, target_min, target_max, "
                     "plan_section, note_ja, note_en FROM plan_targets ORDER BY metric, fy_from")


def exams(run: Run) -> pl.DataFrame:
    return _one(run, "SELECT exam_code, name_ja, name_en, itss_level FROM exams "
                     "ORDER BY itss_level, exam_code")


def published_check(run: Run, metric: str) -> pl.DataFrame:
    return _one(run, "SELECT fiscal_year, published_value, warehouse_value, matches, source "
                     "FROM published_check WHERE metric = $metric ORDER BY fiscal_year",
                metric=metric)


# --- kpi ---------------------------------------------------------------------------------------

KPI_COLUMNS = ("metric", "fiscal_year", "value", "numerator", "denominator", "target_kind",
               "target_min", "target_max", "status")

# The ministry-wide rows, as kpi holds them; the view adds the ministry-wide target
# (``m_target_*``) and whether the metric's targets apply to bureau rows (``bureau_target``).
_KPI_MINISTRY = """
SELECT metric, fiscal_year, value, numerator, denominator, target_kind, target_min, target_max,
       status, plan_id, false AS ministry_only, target_kind AS m_target_kind,
       target_min AS m_target_min, target_max AS m_target_max,
       bureau_target(metric) AS bureau_target
FROM kpi WHERE bureau_code IS NULL ORDER BY metric, fiscal_year"""

# The selected bureaus' rows summed (counts: sum; rates: sum(numerator) / sum(denominator)),
# with the target that applies to bureau rows and the status rule of pipelines/sql.py
# (``kpi_status``, the same macro as the build's). Metrics without a bureau breakdown keep their
# ministry-wide row.
_KPI_SELECTED = """
WITH ministry AS (
    SELECT *, metric IN (SELECT unnest($by_bureau)) AS by_bureau,
           metric IN (SELECT unnest($rates)) AS is_rate
    FROM kpi WHERE bureau_code IS NULL),
sums AS (
    SELECT metric, fiscal_year, sum(numerator) AS numerator, sum(denominator) AS denominator
    FROM kpi WHERE bureau_code IN (SELECT unnest($bureaus)) GROUP BY metric, fiscal_year),
summed AS (
    SELECT m.metric, m.fiscal_year, m.by_bureau, m.is_rate,
           coalesce(s.numerator, 0) AS numerator,
           CASE WHEN m.is_rate THEN coalesce(s.denominator, 0) END AS denominator,
           CASE WHEN bureau_target(m.metric) THEN m.target_kind END AS target_kind,
           CASE WHEN bureau_target(m.metric) THEN m.target_min END AS target_min,
           CASE WHEN bureau_target(m.metric) THEN m.target_max END AS target_max
    FROM ministry m LEFT JOIN sums s USING (metric, fiscal_year)),
valued AS (
    SELECT *, CASE WHEN NOT is_rate THEN numerator
                   WHEN denominator <> 0 THEN numerator / denominator END AS value
    FROM summed),
with_prev AS (
    SELECT *, lag(value) OVER w AS prev_value, lag(fiscal_year) OVER w AS prev_fy
    FROM valued WINDOW w AS (PARTITION BY metric ORDER BY fiscal_year)),
run AS (SELECT as_of_date, as_of_fy FROM pipeline_runs ORDER BY started_at DESC LIMIT 1)
SELECT m.metric, m.fiscal_year,
       CASE WHEN m.by_bureau THEN p.value ELSE m.value END AS value,
       CASE WHEN m.by_bureau THEN p.numerator ELSE m.numerator END AS numerator,
       CASE WHEN m.by_bureau THEN p.denominator ELSE m.denominator END AS denominator,
       CASE WHEN m.by_bureau THEN p.target_kind ELSE m.target_kind END AS target_kind,
       CASE WHEN m.by_bureau THEN p.target_min ELSE m.target_min END AS target_min,
       CASE WHEN m.by_bureau THEN p.target_max ELSE m.target_max END AS target_max,
       CASE WHEN NOT m.by_bureau THEN m.status
            -- public edition: a sum with a protected part ([c] = NaN) is protected, and so is
            -- the status made from it (or, for growth, from last year's protected value)
            WHEN p.target_kind IS NOT NULL
                 AND (isnan(p.value) OR (p.target_kind = 'growth' AND isnan(p.prev_value)))
            THEN 'suppressed'
            ELSE kpi_status(p.target_kind, p.target_min, p.target_max, p.value, p.prev_value,
                            p.prev_fy, p.fiscal_year, r.as_of_date, r.as_of_fy) END AS status,
       m.plan_id, NOT m.by_bureau AS ministry_only, m.target_kind AS m_target_kind,
       m.target_min AS m_target_min, m.target_max AS m_target_max,
       bureau_target(m.metric) AS bureau_target
FROM ministry m JOIN with_prev p USING (metric, fiscal_year)
LEFT JOIN run r ON true
ORDER BY m.metric, m.fiscal_year"""

_BY_BUREAU = tuple(m.code for m in METRICS if m.by_bureau)
_RATES = tuple(m.code for m in METRICS if m.is_rate)


def kpi(run: Run, sel: Selection) -> pl.DataFrame:
    """Every metric × FY for the selection: the ministry-wide rows for all bureaus; otherwise
    counts summed and rates recomputed as sum(numerator)/sum(denominator) over the selected
    bureaus' rows, with the status rule applied to those sums. Metrics without a bureau
    breakdown keep their ministry-wide row (``ministry_only``). ``m_target_*`` always hold the
    ministry-wide target; ``bureau_target`` says whether the metric's targets apply to bureau
    rows. Computed in DuckDB with the build's own status rule (``pipelines.sql.RULES``)."""
    if sel is None:
        return _one(run, _KPI_MINISTRY)
    return _one(run, _KPI_SELECTED, bureaus=tuple(sel), by_bureau=_BY_BUREAU, rates=_RATES)


def kpi_series(run: Run, sel: Selection, metric: str) -> pl.DataFrame:
    return kpi(run, sel).filter(pl.col("metric") == metric)


def kpi_by_bureau(run: Run, sel: Selection, metric: str) -> pl.DataFrame:
    """One metric's own bureau rows (for per-bureau comparisons)."""
    return _one(run, "SELECT k.fiscal_year, k.bureau_code, b.name_ja, b.name_en, k.value, "
                     "k.numerator, k.denominator, k.target_kind, k.target_min, k.target_max, "
                     "k.status FROM kpi k JOIN bureaus b USING (bureau_code) "
                     "WHERE k.metric = $metric" + _bureau_filter(sel, "k.bureau_code")
                     + " ORDER BY k.fiscal_year, k.bureau_code",
                **_params(sel, metric=metric))


# --- plan generations (issue 18) ---------------------------------------------------------------

def plans(run: Run) -> pl.DataFrame:
    """The plans table: each plan's period, adoption, what it revises and its generation (the
    implicit plan of a data set without plans.csv has no title: i18n names it)."""
    return _one(run, "SELECT plan_id, title_ja, title_en, fy_from, fy_to, adopted_on, revises, "
                     "source, implicit, generation FROM plans "
                     "ORDER BY adopted_on NULLS FIRST, plan_id")


def plan_in_force(run: Run) -> dict[int, str | None]:
    """FY → the plan in force (kpi.plan_id: the build's rule, not recomputed here)."""
    frame = _one(run, "SELECT DISTINCT fiscal_year, plan_id FROM kpi ORDER BY fiscal_year")
    return dict(frame.iter_rows())


def plan_targets_of(run: Run, plan_ids: Sequence[str]) -> pl.DataFrame:
    """The targets of the given plans (a generation's plans), with each plan's adoption."""
    return _one(run, "SELECT t.plan_id, p.adopted_on, t.metric, t.fy_from, t.fy_to, t.kind, "
                     "t.target_min, t.target_max FROM plan_targets t JOIN plans p "
                     "USING (plan_id) WHERE t.plan_id IN (SELECT unnest($ids)) "
                     "ORDER BY t.metric, p.adopted_on NULLS FIRST, t.fy_from",
                ids=tuple(plan_ids))


def kpi_of_years(run: Run, fy_from: int, fy_to: int) -> pl.DataFrame:
    """The ministry-wide kpi rows of a span of FYs, with the plan in force of each."""
    return _one(run, "SELECT metric, fiscal_year, value, numerator, denominator, target_kind, "
                     "target_min, target_max, status, plan_id FROM kpi "
                     "WHERE bureau_code IS NULL AND fiscal_year BETWEEN $lo AND $hi "
                     "ORDER BY metric, fiscal_year", lo=fy_from, hi=fy_to)


# --- marts -------------------------------------------------------------------------------------
# Sums are NULL when any part is (a protected cell of the public edition): a sum is shown only
# if it follows from shown cells. The warehouse's marts have no NULL counts.

def _sum(column: str) -> str:
    return f"(CASE WHEN bool_and({column} IS NOT NULL) THEN sum({column}) END)::BIGINT"


def _span(sql: str, run: Run, sel: Selection, fy_from: int, fy_to: int, column: str = "fiscal_year"
          ) -> pl.DataFrame:
    where = f" WHERE {column} BETWEEN $fy_from AND $fy_to" + _bureau_filter(sel)
    frame = _one(run, sql.replace("{where}", where), **_params(sel, fy_from=fy_from,
                                                                fy_to=fy_to))
    if edition() != "public":
        return frame
    # a NULL sum holds a protected cell: NaN, so that every figure made from it is NaN ([c])
    counts = [c for c, t in frame.schema.items() if t == pl.Int64]
    return frame.with_columns(pl.col(c).cast(pl.Float64).fill_null(float("nan"))
                              for c in counts)


def hiring(run: Run, sel: Selection, fy_from: int, fy_to: int) -> pl.DataFrame:
    return _span("SELECT fiscal_year, bureau_code, track, " + _sum("hires") + " AS hires "
                 "FROM mart_hiring{where} GROUP BY ALL ORDER BY ALL", run, sel, fy_from, fy_to)


def training(run: Run, sel: Selection, fy_from: int, fy_to: int) -> pl.DataFrame:
    return _span("SELECT fiscal_year, provider, category, level, "
                 + _sum("participants") + " AS participants, "
                 + _sum("completions") + " AS completions, "
                 + _sum("enrolments") + " AS enrolments "
                 "FROM mart_training{where} GROUP BY ALL ORDER BY ALL", run, sel, fy_from, fy_to)


def career_training(run: Run, sel: Selection, fy_from: int, fy_to: int) -> pl.DataFrame:
    return _span("SELECT fiscal_year, grade, " + _sum("eligible") + " AS eligible, "
                 + _sum("completed") + " AS completed "
                 "FROM mart_career_training{where} GROUP BY ALL ORDER BY ALL",
                 run, sel, fy_from, fy_to)


def certification(run: Run, sel: Selection, fy_from: int, fy_to: int) -> pl.DataFrame:
    return _span("SELECT fiscal_year, exam_code, itss_level, result, prep_course, "
                 + _sum("sittings") + " AS sittings "
                 "FROM mart_certification{where} GROUP BY ALL ORDER BY ALL",
                 run, sel, fy_from, fy_to)


def drills(run: Run, sel: Selection, fy_from: int, fy_to: int) -> pl.DataFrame:
    return _span("SELECT fiscal_year, round, drill_id, min(sent_on) AS sent_on, "
                 + _sum("sent") + " AS sent, " + _sum("opened") + " AS opened, "
                 + _sum("reported") + " AS reported "
                 "FROM mart_drills{where} GROUP BY fiscal_year, round, drill_id "
                 "ORDER BY sent_on, drill_id", run, sel, fy_from, fy_to)


def headcount(run: Run, sel: Selection, fy_from: int, fy_to: int) -> pl.DataFrame:
    return _span("SELECT fiscal_year, bureau_code, grade, employment_type, placement, "
                 + _sum("headcount") + " AS headcount, "
                 + _sum("digital_talent") + " AS digital_talent "
                 "FROM mart_headcount{where} GROUP BY ALL ORDER BY ALL", run, sel, fy_from, fy_to)


def career_posts(run: Run, sel: Selection, fy_from: int, fy_to: int) -> pl.DataFrame:
    return _span("SELECT fiscal_year, grade, post_type, " + _sum("headcount") + " AS headcount "
                 "FROM mart_career_posts{where} GROUP BY ALL ORDER BY ALL",
                 run, sel, fy_from, fy_to)



# --- pace of the year in progress (kpi_pace, kpi_pace_curve) ---------------------------------

def pace(run: Run, sel: Selection) -> pl.DataFrame:
    """kpi_pace: the ministry-wide rows, or each selected bureau's own rows (a projection is
    defined per row, never summed), with the row's target from kpi."""
    bureaus = " AND p.bureau_code IS NULL" if sel is None else \
        " AND p.bureau_code IN (SELECT unnest($bureaus))"
    return _one(run, "SELECT p.*, k.target_kind, k.target_min, k.target_max, k.denominator "
                     "FROM kpi_pace p LEFT JOIN kpi k ON k.metric = p.metric "
                     "AND k.fiscal_year = p.fiscal_year "
                     "AND k.bureau_code IS NOT DISTINCT FROM p.bureau_code WHERE true"
                     + bureaus + " ORDER BY p.metric, p.bureau_code NULLS FIRST",
                **_params(sel))


def pace_history(run: Run) -> pl.DataFrame:
    """kpi_pace_history: the projection's track record (ministry-wide, count metrics). Empty in
    the public edition, whose file does not hold it, and for a warehouse built before it."""
    if edition() == "public":
        return pl.DataFrame()
    has = _one(run, "SELECT count(*) AS n FROM duckdb_tables() WHERE database_name = "
                    "current_database() AND table_name = 'kpi_pace_history'")
    if not has["n"][0]:
        return pl.DataFrame()
    return _one(run, "SELECT * FROM kpi_pace_history ORDER BY metric, fiscal_year")


# One metric's year-to-date curves for the selection: the ministry-wide curve, or the selected
# bureaus' curves added day by day (counts: the sum; rates: the summed numerator over the
# summed kpi denominator of that FY). Rows: fiscal_year, fy_day, numerator, value.
_CURVE = """
WITH c AS (
    SELECT fiscal_year, fy_day, numerator - coalesce(lag(numerator) OVER (
               PARTITION BY fiscal_year, bureau_code ORDER BY fy_day), 0) AS inc
    FROM kpi_pace_curve WHERE metric = $metric {where}),
d AS (SELECT fiscal_year, fy_day, sum(inc) AS inc FROM c GROUP BY ALL),
den AS (SELECT fiscal_year, sum(denominator) AS den FROM kpi
        WHERE metric = $metric {where} GROUP BY ALL)
SELECT d.fiscal_year, d.fy_day,
       sum(d.inc) OVER (PARTITION BY d.fiscal_year ORDER BY d.fy_day) AS numerator,
       CASE WHEN NOT $is_rate THEN numerator WHEN den.den > 0 THEN numerator / den.den END
           AS value
FROM d LEFT JOIN den USING (fiscal_year)
ORDER BY d.fiscal_year, d.fy_day"""


def pace_curve(run: Run, sel: Selection, metric: str) -> pl.DataFrame:
    where = "AND bureau_code IS NULL" if sel is None else \
        "AND bureau_code IN (SELECT unnest($bureaus))"
    rate = next(m.is_rate for m in METRICS if m.code == metric)
    return _one(run, _CURVE.replace("{where}", where),
                **_params(sel, metric=metric, is_rate=rate))


# --- run metadata (quality page) ------------------------------------------------------------

def runs(run: Run) -> pl.DataFrame:
    """Every pipeline run kept, latest first."""
    return _one(run, "SELECT run_id, started_at, finished_at, as_of_date, as_of_fy, data_origin,"
                     " raw_dir, rules_checked, warnings FROM pipeline_runs "
                     "ORDER BY started_at DESC")


def run_files(run: Run) -> pl.DataFrame:
    """The input files of every run kept (file, sha256, rows, encoding)."""
    return _one(run, "SELECT run_id, file, sha256, rows, encoding FROM pipeline_run_files "
                     "ORDER BY run_id, file")


def validation_results(run: Run) -> pl.DataFrame:
    """Every expectation result and warning of the current run."""
    return _one(run, "SELECT suite, rule, column_name, severity, success, element_count, "
                     "unexpected_count, examples, message FROM validation_results "
                     "WHERE run_id = $run_id ORDER BY suite, success, severity, column_name, rule",
                run_id=run.run_id)


def published_checks(run: Run) -> pl.DataFrame:
    """The published-figure reconciliation, every metric."""
    return _one(run, "SELECT metric, fiscal_year, published_value, warehouse_value, difference, "
                     "matches, source FROM published_check ORDER BY metric, fiscal_year")


# --- a draft revision (issue 26): judged by pipelines/revision.py over this connection ----------

@st.cache_data(show_spinner=False, max_entries=16)
def _draft_live(path: str, run_id: str) -> revision.Live:
    con = _connect(path)
    try:
        return revision.read_live(con)
    finally:
        con.close()


def draft_live(run: Run) -> revision.Live:
    """The warehouse's plans, their targets and the run's as-of date, as a draft starts."""
    return _draft_live(run.path, run.run_id)


@st.cache_data(show_spinner=False, max_entries=64)
def _draft_impact(path: str, run_id: str, draft: str) -> revision.Impact:
    import json

    con = _connect(path)
    try:
        return revision.compute(con, revision.from_json(json.loads(draft)),
                                (i18n.t("plan_implicit", "ja"), i18n.t("plan_implicit", "en")))
    finally:
        con.close()


def draft_impact(run: Run, draft: revision.Draft) -> revision.Impact:
    """What ``draft`` would change (every kpi row, the pace of the year in progress), judged
    in the read-only connection with the build's own rule; cached per run and draft (a
    :class:`revision.DraftError` is raised again, not kept)."""
    import json

    return _draft_impact(run.path, run.run_id,
                         json.dumps(revision.draft_json(draft), sort_keys=True))
