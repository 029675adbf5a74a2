"""The government-wide roll-up: organisations' publication packs side by side, from the packs
alone (``python -m pipelines rollup --out FILE PACK_DIR...``).

No row-level data and no unprotected figure ever reaches it: each organisation runs the
product at home and sends its protected pack (``python -m pipelines publish --organisation
CODE``). The roll-up validates every pack like raw input (``release.intake.read_pack``, the
one intake validation) and rejects the whole run with one line per problem (the previous
roll-up file stays as it was); across packs: one pack per organisation, one threshold and one
method.

The file (DuckDB, written beside ``--out`` and swapped in like the build's warehouse):

* ``rollup_kpi``: each organisation's kpi rows as published, a withheld cell NULL, and
  ``flag`` — SDMX confidentiality status: ``F`` free; ``C`` withheld by the sender (the pack's
  ``[c]``, primary or secondary: the pack deliberately does not say which, see
  docs/ROLLUP.md); ``S`` withheld by the receiver (this roll-up). With each organisation's own
  target, status and plan. Government-wide rows, ``organisation = 'ALL'`` (ministry rows
  only: bureaus are each organisation's own): a count is the sum, a rate Σ numerator ÷ Σ
  denominator, **only where every part is free**; otherwise NULL, flag ``S``, and
  ``value_low`` / ``value_high`` the bounds that the free parts alone imply (counts: the sum of
  the free parts, no upper bound; rates with every denominator free: each withheld
  numerator between 0 and its denominator). Everything in the file follows from free cells,
  so no difference of its figures (``ALL`` − the other organisations included) says anything
  about a withheld one;
* ``rollup_kpi_pace``: each organisation's pace of the year in progress, where its pack has
  ``kpi_pace.csv`` (withheld: NULL, flag ``C``); no government-wide pace;
* ``rollup_organisations``, ``rollup_bureaus``, ``rollup_meta``.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import duckdb
import polars as pl

from pipelines.settings import pack_limits
from release.catalogue import PACE_COLUMNS
from release.disclosure import SUPPRESSED
from release.intake import (
    KPI_FILE,
    NAMES,
    PACE_FILE,
    Pack,
    Rejected,
    check_pack,
    kpi_columns,
    pace_columns,
    preflight,
    read_pack,
)
from release.organisation import ALL
from release.publication import ORG_COLUMN

FREE, SENDER, RECEIVER = "F", "C", "S"  # SDMX CL_CONF_STATUS
POLICY = "P"  # free by the organisation's declared policy (publication.json public_figures)
TABLES = ("rollup_kpi", "rollup_kpi_pace", "rollup_organisations", "rollup_bureaus",
          "rollup_submissions", "rollup_missing", "rollup_months", "rollup_meta")


@dataclass
class Result:
    out: Path
    organisations: list[str]
    threshold: int
    rows: dict[str, int] = field(default_factory=dict)
    seconds: float = 0.0
    incremental: bool = False  # (the store's build) the current file copied, changes applied
    changed: int = 0  # (the store's build) organisation-months read from the store



# --- combining ------------------------------------------------------------------------------

def check_together(packs: Sequence[Pack], problems: list[str]) -> None:
    """One pack per organisation, one threshold, one method."""
    seen: dict[str, Path] = {}
    for p in packs:
        if p.code in seen:
            problems.append(f"{p.folder}: organisation {p.code} is also {seen[p.code]} "
                            "(one pack per organisation)")
        seen.setdefault(p.code, p.folder)
    for what, get in (("thresholds", lambda p: p.threshold), ("methods", lambda p: p.method)):
        values = {get(p) for p in packs}
        if len(values) > 1:
            listing = ", ".join(f"{p.code} {get(p)}" for p in packs)
            problems.append(f"packs made with different suppression {what} cannot be combined "
                            f"({listing}): publish them again with one")


def _withheld(columns: Sequence[str]) -> pl.Expr:
    return pl.any_horizontal((pl.col(f"__raw_{c}") == SUPPRESSED).fill_null(False)
                             for c in columns)


KPI_ORDER = ["month", ORG_COLUMN, "metric", "fiscal_year", "bureau_code", "value", "numerator",
             "denominator", "flag", "value_low", "value_high", "target_kind", "target_min",
             "target_max", "status", "plan_id", "policy"]


def month_of(day: dt.date) -> str:
    """The roll-up month of an as-of date: ``YYYY-MM``."""
    return f"{day:%Y-%m}"


def pack_kpi(p: Pack, month: str) -> pl.DataFrame:
    """One organisation's kpi rows as the roll-up holds them: withheld cells NULL, flag F or
    C, the roll-up month."""
    return p.kpi.with_columns(
        pl.lit(month).alias("month"),
        pl.when(pl.col("status") == SUPPRESSED).then(None).otherwise(pl.col("status"))
        .alias("status"),
        pl.when(_withheld(("value", "numerator", "denominator"))).then(pl.lit(SENDER))
        .otherwise(pl.lit(FREE)).alias("flag"),
        pl.lit(None, pl.Float64).alias("value_low"),
        pl.lit(None, pl.Float64).alias("value_high"),
        _declared(p.public).alias("policy")).select(KPI_ORDER)


def _declared(public: dict[str, int | None]) -> pl.Expr:
    """``P`` on a ministry row whose value the organisation declares public (its pack's
    publication.json public_figures: never suppressed)."""
    cond = pl.lit(False)
    for metric, fy_from in public.items():
        c = pl.col("metric") == metric
        if fy_from is not None:
            c = c & (pl.col("fiscal_year").cast(pl.Int64) >= fy_from)
        cond = cond | c
    return pl.when(cond & pl.col("bureau_code").is_null()).then(pl.lit(POLICY)).otherwise(
        pl.lit(None, pl.String))


def pack_pace(p: Pack, month: str) -> pl.DataFrame | None:
    """One organisation's pace rows (withheld: NULL, flag C), or None without kpi_pace.csv."""
    if p.pace is None:
        return None
    pace = p.pace.with_columns(
        pl.when(pl.col("pace_status") == SUPPRESSED).then(None)
        .otherwise(pl.col("pace_status")).alias("pace_status"),
        pl.col("as_of").str.to_date(strict=False),
        pl.col("fy_day", "reference_years").cast(pl.Int32, strict=False),
        pl.when(_withheld([c for c in PACE_COLUMNS if c != "pace_status"])
                | (pl.col("pace_status") == SUPPRESSED).fill_null(False))
        .then(pl.lit(SENDER)).otherwise(pl.lit(FREE)).alias("flag"))
    pace = pace.drop([c for c in pace.columns if c.startswith("__raw_")] + list(NAMES))
    return pace.select(pl.lit(month).alias("month"), pl.all())


def pack_bureaus(p: Pack) -> pl.DataFrame:
    """One organisation's own bureaus (codes and names, from its kpi rows)."""
    return (p.kpi.filter(pl.col("bureau_code").is_not_null())
            .select(ORG_COLUMN, "bureau_code", pl.col("bureau_name_ja").alias("name_ja"),
                    pl.col("bureau_name_en").alias("name_en")).unique(maintain_order=True))


def organisation_rows(packs: Sequence[Pack], month: str | None = None) -> pl.DataFrame:
    """Every organisation's kpi rows: withheld cells NULL, flag F or C (month: each pack's
    as-of month unless given)."""
    return pl.concat([pack_kpi(p, month or month_of(p.as_of_date)) for p in packs],
                     how="vertical_relaxed")


def government_wide(rows: pl.DataFrame, organisations: int | pl.DataFrame) -> pl.DataFrame:
    """``organisation = 'ALL'``: per month, metric and FY over the organisations' ministry rows,
    a figure only where every part is free (and every organisation of that month has the row);
    otherwise NULL, flag S, and the bounds the free parts imply. ``organisations``: how many
    organisations sent each month (a number for every month, or a frame month → organisations).
    """
    m = rows.filter(pl.col("bureau_code").is_null())
    free = pl.col("flag") == FREE
    keys = [k for k in ("month", "metric", "fiscal_year") if k in m.columns]
    g = m.group_by(keys).agg(
        pl.len().alias("parts"),
        free.all().alias("all_free"),
        pl.col("value").sum().alias("sum_value"),
        pl.col("numerator").sum().alias("sum_num"),
        pl.col("denominator").sum().alias("sum_den"),
        pl.col("numerator").is_not_null().all().alias("num_free"),
        pl.col("denominator").is_not_null().all().alias("den_free"),
        pl.col("denominator").null_count().alias("den_missing"),
        # rates: withheld numerators lie between 0 and their (free) denominators
        pl.when(pl.col("numerator").is_null()).then(pl.col("denominator")).otherwise(0.0)
        .sum().alias("slack"),
        pl.col("value").filter(free).sum().alias("free_value"),
        (pl.col("policy") == POLICY).fill_null(False).all().alias("all_declared")
        if "policy" in m.columns else pl.lit(False).alias("all_declared"),
    )
    if isinstance(organisations, pl.DataFrame):
        g = g.join(organisations.select("month", pl.col("organisations").alias("__orgs")),
                   on="month", how="left")
    else:
        g = g.with_columns(pl.lit(organisations).alias("__orgs"))
    every = pl.col("parts") == pl.col("__orgs")
    complete = pl.col("all_free") & every
    rate_value = pl.when(pl.col("sum_den") > 0).then(pl.col("sum_num") / pl.col("sum_den"))
    bounds_ok = ~complete & pl.col("den_free") & every
    rate = pl.col("metric").str.ends_with("_rate")
    return g.select(
        *(["month"] if "month" in keys else []),
        pl.lit(ALL).alias(ORG_COLUMN), "metric", "fiscal_year",
        pl.lit(None, pl.String).alias("bureau_code"),
        pl.when(complete).then(pl.when(rate).then(rate_value).otherwise(pl.col("sum_value")))
        .alias("value"),
        pl.when(pl.col("num_free") & every).then(pl.col("sum_num")).alias("numerator"),
        pl.when(pl.col("den_free") & every & rate).then(pl.col("sum_den")).alias("denominator"),
        pl.when(complete).then(pl.lit(FREE)).otherwise(pl.lit(RECEIVER)).alias("flag"),
        pl.when(complete & pl.col("all_declared")).then(pl.lit(POLICY))
        .otherwise(pl.lit(None, pl.String)).alias("policy"),
        pl.when(complete).then(None)
        .when(~rate & every).then(pl.col("free_value"))
        .when(rate & bounds_ok & (pl.col("sum_den") > 0))
        .then(pl.col("sum_num").fill_null(0) / pl.col("sum_den"))
        .alias("value_low"),
        pl.when(complete).then(None)
        .when(rate & bounds_ok & (pl.col("sum_den") > 0))
        .then((pl.col("sum_num").fill_null(0) + pl.col("slack")) / pl.col("sum_den"))
        .alias("value_high"),
    )


ORGANISATIONS_SCHEMA = {
    ORG_COLUMN: pl.String, "name_ja": pl.String, "name_en": pl.String, "month": pl.String,
    "as_of_date": pl.Date, "run_id": pl.String, "threshold": pl.Int64, "method": pl.String,
    "pack": pl.String, "kpi_rows": pl.Int64, "pace_rows": pl.Int64}
SUBMISSIONS_SCHEMA = {
    "month": pl.String, ORG_COLUMN: pl.String, "accepted_at": pl.Datetime("us", "UTC"),
    "as_of_date": pl.Date, "submitted_by": pl.String, "run_id": pl.String,
    "source": pl.String, "stored": pl.String, "replaces": pl.String, "current": pl.Boolean}
MISSING_SCHEMA = {"month": pl.String, ORG_COLUMN: pl.String}


def combine(packs: Sequence[Pack], month: str | None = None) -> dict[str, pl.DataFrame]:
    """The roll-up's tables from validated packs, as one month (the latest as-of month of the
    packs unless given): the one-shot ``rollup --out FILE PACK_DIR...``."""
    month = month or max(month_of(p.as_of_date) for p in packs)
    rows = pl.concat([pack_kpi(p, month) for p in packs], how="vertical_relaxed")
    kpi = pl.concat([rows, government_wide(rows, len(packs))],
                    how="diagonal_relaxed").select(KPI_ORDER).sort(
        pl.col(ORG_COLUMN) == ALL, ORG_COLUMN, "metric", "fiscal_year", "bureau_code",
        nulls_last=False)
    out = {"rollup_kpi": kpi}
    paces = [f for p in packs if (f := pack_pace(p, month)) is not None]
    if paces:
        out["rollup_kpi_pace"] = pl.concat(paces, how="diagonal_relaxed")
    plans = [p.plans for p in packs if p.plans is not None]
    if plans:  # each organisation's plan titles and periods: rollup_kpi.plan_id names them
        out["rollup_plans"] = pl.concat(plans, how="vertical_relaxed").sort(
            ORG_COLUMN, "adopted_on")
    out["rollup_organisations"] = pl.DataFrame(
        [{ORG_COLUMN: p.code, "name_ja": p.name_ja, "name_en": p.name_en, "month": month,
          "as_of_date": p.as_of_date, "run_id": p.run_id, "threshold": p.threshold,
          "method": p.method, "pack": str(p.folder), "kpi_rows": p.kpi.height,
          "pace_rows": p.pace.height if p.pace is not None else 0} for p in packs],
        schema=ORGANISATIONS_SCHEMA)
    out["rollup_bureaus"] = pl.concat([pack_bureaus(p) for p in packs],
                                      how="vertical_relaxed").sort(ORG_COLUMN, "bureau_code")
    out["rollup_submissions"] = pl.DataFrame(
        [{"month": month, ORG_COLUMN: p.code, "accepted_at": None, "as_of_date": p.as_of_date,
          "submitted_by": None, "run_id": p.run_id, "source": str(p.folder), "stored": None,
          "replaces": None, "current": True} for p in packs], schema=SUBMISSIONS_SCHEMA)
    out["rollup_missing"] = pl.DataFrame(schema=MISSING_SCHEMA)
    out["rollup_months"] = pl.DataFrame({"month": [month], "organisations": [len(packs)],
                                         "missing": [0]})
    return out


# --- writing --------------------------------------------------------------------------------

def write_file(out: Path, wait: float, fill: Callable[[duckdb.DuckDBPyConnection], None],
               meta: Sequence[object], start: Callable[[Path], bool] | None = None) -> None:
    """Write the roll-up file beside ``out`` and swap it in like the build's warehouse (lock,
    mode kept, fsync, ``os.replace``): ``fill`` creates the tables, then ``rollup_meta``
    (built_at, threshold, method, organisations, months). ``start``: called with the new
    file's path before it is opened, with the lock held (an incremental build copies the
    current file there)."""
    from pipelines.warehouse import DUCKDB_MEMORY_LIMIT, _remove, _swap, _tmp_paths, build_lock

    out = Path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    with build_lock(out, wait):
        tmp, leftovers = _tmp_paths(out)
        try:
            if start is not None:
                start(tmp)
            # out of core, as the build: a bounded buffer pool spilling beside the new file
            con = duckdb.connect(str(tmp), config={
                "memory_limit": DUCKDB_MEMORY_LIMIT,
                "temp_directory": str(tmp.with_name(tmp.name + ".spill"))})
            try:
                con.execute("SET enable_progress_bar = false")
                fill(con)
                con.execute("DROP TABLE IF EXISTS rollup_meta")
                con.execute(
                    "CREATE TABLE rollup_meta AS SELECT ?::TIMESTAMPTZ AS built_at, "
                    "?::INTEGER AS threshold, ? AS method, ?::INTEGER AS organisations, "
                    "?::INTEGER AS months", [dt.datetime.now(dt.UTC), *meta])
                con.execute("CHECKPOINT")
            finally:
                con.close()
            _swap(tmp, out)
        finally:
            for p in leftovers:
                _remove(p)


def write_tables(con: duckdb.DuckDBPyConnection, tables: dict[str, pl.DataFrame]) -> None:
    for name, frame in tables.items():
        con.register("frame", frame)
        con.execute(f'CREATE TABLE "{name}" AS SELECT * FROM frame')
        con.unregister("frame")


def build_rollup(folders: Sequence[Path], out: Path, wait: float = 0.0,
                 clock: Callable[[], float] | None = None, keys: object | None = None
                 ) -> Result:
    """Validate every pack, combine them and swap the roll-up file into place; raises
    :class:`Rejected` (nothing written) when any pack or their combination is invalid."""
    import time

    started = time.perf_counter()
    problems: list[str] = []
    limits = pack_limits()
    preflight(folders, problems, limits)  # sizes and file types of every pack, before any read
    if problems:
        raise Rejected(problems)
    packs = [p for f in folders
             if (p := read_pack(Path(f), problems, keys=keys, limits=limits)) is not None]
    if not problems:
        check_together(packs, problems)
    if problems:
        raise Rejected(problems)
    tables = combine(packs)
    write_file(out, wait, lambda con: write_tables(con, tables),
               (packs[0].threshold, packs[0].method, len(packs), 1))
    rows = {name: frame.height for name, frame in tables.items()}
    return Result(Path(out), [p.code for p in packs], packs[0].threshold, rows,
                  time.perf_counter() - started)


__all__ = ["ALL", "FREE", "KPI_FILE", "KPI_ORDER", "PACE_FILE", "RECEIVER", "SENDER", "Pack",
           "Rejected", "Result", "build_rollup", "check_pack", "check_together", "combine",
           "government_wide", "kpi_columns", "month_of", "pace_columns", "read_pack"]
