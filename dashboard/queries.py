"""The only module that reads the warehouse.

* Read-only, and every value is a bound parameter: SQL text here is constant; bureau codes and
  fiscal years travel as parameters, never as text.
* Results are cached by the pipeline run id (``pipeline_runs``), so a rebuilt warehouse shows
  up at the next interaction without a restart.
* No connection outlives a query batch. Each batch opens a private in-memory DuckDB and
  ``ATTACH``es the warehouse read-only: DuckDB's per-process database cache would otherwise keep
  serving the old file after ``python -m pipelines build`` has ``os.replace``d it, for as long
  as any connection to that path is open. The file's identity (inode, mtime, size) is checked
  with one ``stat`` per rerun; the run id is read again only when it changed.
* Pages read the marts and ``kpi`` only, never the row-level ``stg_`` tables.
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

from pipelines.fiscal import fy_end
from pipelines.schema import METRIC_BY_CODE
from pipelines.settings import edition, get_settings

Selection = tuple[str, ...] | None  # bureau codes; None = all bureaus (the ministry-wide rows)


class WarehouseMissing(Exception):
    """No warehouse file at the configured path."""


class WarehouseUnreadable(Exception):
    """The file exists but is not a warehouse this dashboard can read."""


@dataclass(frozen=True)
class Run:
    path: str
    run_id: str
    started_at: dt.datetime | None
    finished_at: dt.datetime | None
    as_of_date: dt.date | None
    as_of_fy: int | None
    data_origin: str | None

    @property
    def is_sample(self) -> bool:
        return self.data_origin == "sample"

    def in_progress(self, fy: int) -> bool:
        """The as-of FY is in progress until its March 31 is in the data (metrics.md)."""
        return (self.as_of_fy is not None and self.as_of_date is not None
                and fy == self.as_of_fy and self.as_of_date < fy_end(fy))


def warehouse_path() -> Path:
    """The warehouse; in the public edition the file of protected data made from it
    (``dashboard.public``), so no page can read anything else."""
    s = get_settings()
    if edition() == "public" and s.warehouse.exists():
        from dashboard import public

        return public.public_path(s.warehouse, s.suppress_below)
    return s.warehouse


# --- connection and caching -------------------------------------------------------------------

def _connect(path: str) -> duckdb.DuckDBPyConnection:
    con = duckdb.connect(":memory:")
    try:
        con.execute("ATTACH ? AS wh (READ_ONLY)", [path])
        con.execute("USE wh")
    except BaseException:
        con.close()
        raise
    return con


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
        "SELECT run_id, started_at, finished_at, as_of_date, as_of_fy, data_origin "
        "FROM pipeline_runs ORDER BY started_at DESC LIMIT 1")])
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
    return _one(run, "SELECT metric, fy_from, fy_to, kind, target_min, target_max, plan_section,"
                     " note_ja, note_en FROM plan_targets ORDER BY metric, fy_from")


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


def status_of(kind: str | None, lo: float | None, hi: float | None, value: float | None,
              prev: float | None, fy: int, run: Run) -> str:
    """The status rule of metrics.md, for rows the pipeline did not compute (bureau sums)."""
    if kind is None:
        return "no_target"
    if value is not None and (value != value or (prev is not None and prev != prev
                                                   and kind == "growth")):
        return "suppressed"  # NaN: made from a protected cell (public edition)
    if value is None:
        return "no_data"
    if run.in_progress(fy):
        return "in_progress"
    if kind == "range":
        return "below" if value < lo else "above" if value > hi else "met"
    if kind == "min":
        return "met" if value >= lo else "below"
    if kind == "max":
        return "met" if value <= hi else "above"
    if kind == "growth":
        return "no_data" if prev is None else "met" if value > prev else "below"
    return "no_target"


def target_applies_to_bureaus(metric: str) -> bool:
    """metrics.md: targets of ``*_rate`` metrics apply to bureau rows too; others do not."""
    return metric.endswith("_rate")


@st.cache_data(show_spinner=False, max_entries=256)
def _kpi_view(run: Run, sel: Selection) -> pl.DataFrame:
    cols = ", ".join(KPI_COLUMNS)
    queries = [_q(f"SELECT {cols} FROM kpi WHERE bureau_code IS NULL "
                  "ORDER BY metric, fiscal_year")]
    if sel is not None:
        queries.append(_q(
            "SELECT metric, fiscal_year, sum(numerator) AS numerator, "
            "sum(denominator) AS denominator FROM kpi WHERE bureau_code IS NOT NULL"
            + _bureau_filter(sel) + " GROUP BY metric, fiscal_year ORDER BY metric, fiscal_year",
            bureaus=tuple(sel)))
    frames = _fetch(run.path, run.run_id, tuple(queries))
    ministry = frames[0].with_columns(
        pl.lit(False).alias("ministry_only"),
        pl.col("target_kind").alias("m_target_kind"),
        pl.col("target_min").alias("m_target_min"),
        pl.col("target_max").alias("m_target_max"))
    if sel is None:
        return ministry
    sums = {(r["metric"], r["fiscal_year"]): r for r in frames[1].iter_rows(named=True)}
    rows = []
    prev: dict[str, float | None] = {}
    for r in ministry.iter_rows(named=True):
        metric = r["metric"]
        m = METRIC_BY_CODE[metric]
        if not m.by_bureau:
            rows.append({**r, "ministry_only": True})
            continue
        s = sums.get((metric, r["fiscal_year"]), {"numerator": 0.0, "denominator": None})
        num = s["numerator"] or 0.0
        den = s["denominator"] if m.is_rate else None
        value = (num / den if den else None) if m.is_rate else num
        applies = target_applies_to_bureaus(metric)
        kind = r["target_kind"] if applies else None
        lo = r["target_min"] if applies else None
        hi = r["target_max"] if applies else None
        status = status_of(kind, lo, hi, value, prev.get(metric), r["fiscal_year"], run)
        prev[metric] = value
        rows.append({**r, "value": value, "numerator": num,
                     "denominator": float(den or 0) if m.is_rate else None,
                     "target_kind": kind, "target_min": lo, "target_max": hi,
                     "status": status})
    return pl.DataFrame(rows, schema=ministry.schema)


def kpi(run: Run, sel: Selection) -> pl.DataFrame:
    """Every metric × FY for the selection: the ministry-wide rows for all bureaus; otherwise
    counts summed and rates recomputed as sum(numerator)/sum(denominator) over the selected
    bureaus' rows, with the status rule applied to those sums. Metrics without a bureau
    breakdown keep their ministry-wide row (``ministry_only``). ``m_target_*`` always hold the
    ministry-wide target."""
    return _kpi_view(run, sel)


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



# --- analyst pages (issue 4) ---
# The data, dictionary and quality pages. Table and column names come only from the catalogue
# (``dashboard.catalogue``: the documented warehouse tables), checked here before they are
# quoted into SQL; every value is a bound parameter.

from dashboard import catalogue as _catalogue  # noqa: E402
from dashboard import i18n as _i18n  # noqa: E402


@dataclass(frozen=True)
class DataFilter:
    """The rows of one downloadable dataset the data page shows (hashable: a cache key)."""

    dataset: str
    bureaus: Selection = None  # None = no bureau filter (includes ministry-wide rows)
    fy_from: int | None = None
    fy_to: int | None = None
    values: tuple[tuple[str, tuple[object, ...]], ...] = ()  # (column, allowed values)


def _dataset(name: str) -> _catalogue.Dataset:
    ds = _catalogue.DOWNLOADS.get(name)
    if ds is None:
        raise ValueError(f"not a downloadable dataset: {name!r}")
    return ds


def _ident(ds: _catalogue.Dataset, column: str) -> str:
    if column not in ds.column_names:
        raise ValueError(f"{ds.name} has no column {column!r}")
    return f'"{column}"'


def _data_where(f: DataFilter, skip: frozenset[str] = frozenset()) -> tuple[str, dict]:
    """WHERE clause (constant text built from allowlisted names) and its bound values."""
    ds = _dataset(f.dataset)
    clauses: list[str] = []
    params: dict[str, object] = {}
    if ds.fy_column and f.fy_from is not None and f.fy_to is not None:
        clauses.append(f"{_ident(ds, ds.fy_column)} BETWEEN $fy_from AND $fy_to")
        params.update(fy_from=int(f.fy_from), fy_to=int(f.fy_to))
    if ds.bureau_column and f.bureaus is not None and ds.bureau_column not in skip:
        clauses.append(f"{_ident(ds, ds.bureau_column)} IN (SELECT unnest($bureaus))")
        params["bureaus"] = tuple(f.bureaus)
    for i, (column, values) in enumerate(f.values):
        if column in skip:
            continue
        ident = _ident(ds, column)
        if column not in ds.filters:
            raise ValueError(f"{column!r} is not a filter of {ds.name}")
        present = tuple(v for v in values if v is not None)
        parts = [f"{ident} IN (SELECT unnest($v{i}))"] if present else []
        if present:
            params[f"v{i}"] = present
        if len(present) < len(values):
            parts.append(f"{ident} IS NULL")
        clauses.append("(" + " OR ".join(parts or ["FALSE"]) + ")")
    return (" WHERE " + " AND ".join(clauses)) if clauses else "", params


def _data_select(f: DataFilter, lang: str, skip: frozenset[str] = frozenset()
                 ) -> tuple[str, dict]:
    """The rows of a download or preview: the export columns (``bureau_name`` = the bureau's
    name in ``lang``, the ministry-wide label on a total row; a left join keeps every row)."""
    ds = _dataset(f.dataset)
    where, params = _data_where(f, skip)
    cols, join = [], ""
    for c in ds.export_columns:
        if not c.export_only:
            cols.append(_ident(ds, c.name))
            continue
        # bureau_name, the one column a download adds
        code = f'"{ds.name}".{_ident(ds, ds.bureau_column or "")}'
        name = "__bn.__name"
        if ds.margin_by:  # rows without a bureau are the whole ministry's
            name = f"CASE WHEN {code} IS NULL THEN $ministry ELSE {name} END"
            params["ministry"] = _i18n.t("ministry_total", lang)
        cols.append(f'{name} AS "{c.name}"')
        column = "name_en" if lang == "en" else "name_ja"
        join = (f" LEFT JOIN (SELECT bureau_code AS __code, {column} AS __name FROM bureaus)"
                f" __bn ON __bn.__code = {code}")
    order = ", ".join(_ident(ds, c) + " NULLS FIRST" for c in ds.order) or "ALL"
    return f'SELECT {", ".join(cols)} FROM "{ds.name}"{join}{where} ORDER BY {order}', params


def data_count(run: Run, f: DataFilter) -> int:
    where, params = _data_where(f)
    sql = f'SELECT count(*) AS n FROM "{_dataset(f.dataset).name}"{where}'
    return int(_one(run, sql, **params)["n"][0])


def data_preview(run: Run, f: DataFilter, lang: str, limit: int = 100) -> pl.DataFrame:
    """The first ``limit`` rows in the dataset's order (never the whole table)."""
    sql, params = _data_select(f, lang)
    return _one(run, sql + " LIMIT $limit", **params, limit=int(limit))


def data_options(run: Run, dataset: str, column: str) -> list:
    """The values a categorical column takes (NULL last), for the page's filters."""
    ds = _dataset(dataset)
    ident = _ident(ds, column)
    sql = f'SELECT DISTINCT {ident} AS v FROM "{ds.name}" ORDER BY 1 NULLS LAST'
    return _one(run, sql)["v"].to_list()


def data_frame(run: Run, f: DataFilter, lang: str) -> pl.DataFrame:
    """Every filtered row, cached: for the small aggregated tables only (publication view)."""
    if not _dataset(f.dataset).aggregated:
        raise ValueError("row-level datasets are never loaded whole into the page")
    sql, params = _data_select(f, lang)
    return _one(run, sql, **params)


def data_for_download(path: str, f: DataFilter, lang: str,
                      skip: frozenset[str] = frozenset()) -> tuple[pl.DataFrame, dict]:
    """Every filtered row and the run it was read from, in one connection, uncached.

    Called by a download button's callable on click (outside the script run, so no
    Streamlit cache); ``skip`` leaves out filters applied later (disclosure control first
    needs whole groups). The run is read together with the rows, so a download states the run
    it really came from even if the warehouse was rebuilt since the page was drawn.
    """
    sql, params = _data_select(f, lang, skip)
    rows, meta = _run_batch(path, [
        _q(sql, **params),
        _q("SELECT run_id, as_of_date, data_origin FROM pipeline_runs "
           "ORDER BY started_at DESC LIMIT 1")])
    return rows, (meta.row(0, named=True) if meta.height else {})


def table_columns(run: Run) -> pl.DataFrame:
    """Every table and column of the warehouse with its type, as loaded."""
    return _one(run, "SELECT table_name, column_name, data_type, ordinal_position "
                     "FROM information_schema.columns WHERE table_catalog = current_database() "
                     "AND table_schema = current_schema() "
                     "ORDER BY table_name, ordinal_position")


def table_rows(run: Run) -> dict[str, int]:
    """Row count of every catalogued table present in the warehouse."""
    present = set(table_columns(run)["table_name"].to_list())
    names = [ds.name for ds in _catalogue.ALL if ds.name in present]
    if not names:
        return {}
    sql = " UNION ALL ".join(f"SELECT '{n}' AS t, count(*) AS n FROM \"{n}\"" for n in names)
    frame = _one(run, sql)
    return dict(zip(frame["t"].to_list(), frame["n"].to_list(), strict=True))


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
