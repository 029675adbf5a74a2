"""What a delivery changes: two warehouse files compared in DuckDB (issue 22, item 3).

Both files are ``ATTACH``ed read-only in one locked in-memory connection
(``pipelines.readonly``); nothing is re-judged here: statuses, plans in force and pace outlooks
are the ones each build stored (``sql.RULES`` made them, once). The comparison gives:

- ``kpi``: every cell (metric × FY × bureau, NULL = ministry) whose value, target, plan in force
  or status differs, appears or disappears; status flips first, met → below first of all;
- ``pace``: each ``kpi_pace`` row (metric × bureau) whose outlook, projection or chance changed;
- ``files``: per contract file, rows added / removed / changed by the contract's keys, from
  the tables each build loaded (reference tables as loaded, ``stg_*`` for the row-level files;
  contract columns only, so pseudonymous ids and codes, never names); a file whose sha256 is
  the same on both sides is not compared row by row;
- ``dates``: the as-of date and FY of each file's own run; ``published``: the published-figure
  check, before → after.

``Changes.summary(lang)`` is the one line on top ("3 statuses change, 2 of them to 未達; digital
hires FY2026 1 → 2"; "no change"). ``save``/``load`` keep a computed comparison beside a
delivery (Parquet), so the page shows it without recomputing.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import duckdb
import polars as pl

from pipelines.readonly import attach
from pipelines.schema import METRIC_BY_CODE, METRIC_CODES, TABLES, RawTable

# plan_targets has no key in the contract; within a plan, targets of one metric never overlap
# (a validation rule), so (plan_id, metric, fy_from) names one row
KEYS: dict[str, tuple[str, ...]] = {t.name: t.key for t in TABLES} | {
    "plan_targets": ("plan_id", "metric", "fy_from")}

KPI_FIELDS = ("value", "target_kind", "target_min", "target_max", "plan_id", "status")
PACE_FIELDS = ("fiscal_year", "pace_status", "projected", "p_meet")
PUBLISHED_FIELDS = ("published_value", "warehouse_value", "matches")

_FRAMES = ("kpi", "pace", "files", "dates", "published")


def _table_of(t: RawTable) -> str:
    return f"stg_{t.name}" if t.fact else t.name


@dataclass(frozen=True)
class Changes:
    kpi: pl.DataFrame
    pace: pl.DataFrame
    files: pl.DataFrame
    dates: pl.DataFrame
    published: pl.DataFrame

    @property
    def identical(self) -> bool:
        """Nothing the comparison looks at differs (kpi, pace, rows, dates, published check)."""
        files_same = self.files.filter(
            (pl.col("added") > 0) | (pl.col("removed") > 0) | (pl.col("changed") > 0)
            | (pl.col("rows_before").ne_missing(pl.col("rows_after")))).height == 0
        dates_same = self.dates.filter(pl.col("before").ne_missing(pl.col("after"))).height == 0
        return (self.kpi.height == 0 and self.pace.height == 0 and self.published.height == 0
                and files_same and dates_same)

    @property
    def flips(self) -> pl.DataFrame:
        return self.kpi.filter(pl.col("flip"))

    def summary(self, lang: str = "en") -> str:
        """One line: how many statuses change and how many of them to 未達 (below), then the
        first changed ministry value (a flipped one first) and the as-of date's move."""
        from release import i18n  # the string table (words only; see tests/test_layers.py)

        def t(key: str, **kw: object) -> str:
            return i18n.t(key, lang, **kw)

        if self.identical:
            return t("dlv_sum_none")
        parts: list[str] = []
        flips = self.flips
        if flips.height:
            below = flips.filter(pl.col("to_below")).height
            one = flips.height == 1
            part = t("dlv_sum_flip_one") if one else t("dlv_sum_flips", n=flips.height)
            word = i18n.status_word("below", lang)
            if below:
                part += (t("dlv_sum_to_below_one", word=word) if one else
                         t("dlv_sum_to_below", n=below, word=word))
            parts.append(part)
        elif self.kpi.height:
            parts.append(t("dlv_sum_values", n=self.kpi.height))
        else:
            parts.append(t("dlv_sum_no_kpi"))
        ministry = self.kpi.filter(pl.col("bureau_code").is_null()
                                   & pl.col("value_before").ne_missing(pl.col("value_after")))
        if ministry.height:
            r = ministry.row(0, named=True)
            rate = METRIC_BY_CODE[r["metric"]].is_rate
            parts.append(t("dlv_sum_value", metric=i18n.metric_name(r["metric"], lang),
                           fy=r["fiscal_year"], before=_num(r["value_before"], rate),
                           after=_num(r["value_after"], rate)))
        d = {row["item"]: row for row in self.dates.iter_rows(named=True)}
        if "as_of_date" in d and d["as_of_date"]["before"] != d["as_of_date"]["after"]:
            parts.append(t("dlv_sum_as_of", before=d["as_of_date"]["before"] or "—",
                           after=d["as_of_date"]["after"] or "—"))
        return t("dlv_sum_sep").join(parts)

    def csv_frame(self) -> pl.DataFrame:
        """The rows of ``python -m pipelines delivery changes --out FILE.csv``: bureau_code
        empty for the ministry, values as in kpi, empty where absent."""
        return self.kpi.select("metric", "fiscal_year", "bureau_code", "value_before",
                               "value_after", "status_before", "status_after",
                               pl.col("plan_before"), pl.col("plan_after"))

    def save(self, folder: Path) -> None:
        folder.mkdir(parents=True, exist_ok=True)
        for name in _FRAMES:
            getattr(self, name).write_parquet(folder / f"{name}.parquet")
        (folder / "summary.json").write_text(json.dumps(
            {lang: self.summary(lang) for lang in ("ja", "en")}, ensure_ascii=False),
            encoding="utf-8")

    @classmethod
    def load(cls, folder: Path) -> Changes:
        return cls(**{name: pl.read_parquet(folder / f"{name}.parquet") for name in _FRAMES})


def _num(v: float | None, rate: bool) -> str:
    if v is None:
        return "—"
    if rate:
        return f"{v * 100:.1f}%"
    return f"{v:,.0f}" if float(v).is_integer() else f"{v:,.2f}"


def compare(before: Path | None, after: Path) -> Changes:
    """Compare warehouse ``before`` (``None``: nothing yet) with ``after``; neither file is
    written. Raises ``duckdb.Error`` if one cannot be read as a warehouse."""
    files = {"a": str(after)} | ({"b": str(before)} if before is not None else {})
    con = attach(files)
    try:
        src = _Sources(con, has_before=before is not None)
        return Changes(kpi=_kpi(con, src), pace=_pace(con, src), files=_files(con, src),
                       dates=_dates(con, src), published=_published(con, src))
    finally:
        con.close()


class _Sources:
    """Where each side's table is read from: ``b.<t>``/``a.<t>``, or an empty stand-in in the
    in-memory database when a side lacks it (no before file; an older warehouse's layout)."""

    def __init__(self, con: duckdb.DuckDBPyConnection, has_before: bool) -> None:
        self.con = con
        self.tables = {db: set() for db in ("a", "b")}
        for db, name in con.execute("SELECT database_name, table_name FROM duckdb_tables() "
                                    "WHERE database_name IN ('a', 'b')").fetchall():
            self.tables[db].add(name)
        self.has_before = has_before

    def __call__(self, db: str, table: str) -> str:
        if table in self.tables[db]:
            return f"{db}.main.{table}"
        other = "a" if db == "b" else "b"
        stand_in = f"memory.main.empty_{db}_{table}"
        if table in self.tables[other]:
            self.con.execute(f"CREATE TABLE IF NOT EXISTS {stand_in} AS "
                             f"SELECT * FROM {other}.main.{table} LIMIT 0")
            return stand_in
        return ""

    def columns(self, ref: str) -> list[str]:
        return [r[0] for r in self.con.execute(f"DESCRIBE SELECT * FROM {ref}").fetchall()]


def _changed(con: duckdb.DuckDBPyConnection, src: _Sources, table: str, keys: tuple[str, ...],
             fields: tuple[str, ...], order: str, *, names: dict[str, str] | None = None,
             extra: dict[str, str] | None = None, derived: str = "") -> pl.DataFrame:
    """The rows of ``table`` that appear, vanish, or differ in one of ``fields`` between before
    (b) and after (a), matched on ``keys`` (``bureau_code``: NULL matches NULL): the keys, then
    ``<name>_before, <name>_after`` for each field (``names`` renames a field; ``extra[field]``
    is a column put right after that field's pair), then the ``derived`` columns (computed
    from those), sorted by ``order`` (``$order``: the metrics' order)."""
    b, a = src("b", table), src("a", table)
    if not a:
        return pl.DataFrame()
    names = names or {}
    cols = [f"coalesce(a.{k}, b.{k}) AS {k}" for k in keys]
    for f in fields:
        n = names.get(f, f)
        cols.append(f"b.{f} AS {n}_before, a.{f} AS {n}_after")
        if extra and f in extra:
            cols.append(extra[f])
    on = " AND ".join(f"a.{k} IS NOT DISTINCT FROM b.{k}" if k == "bureau_code"
                      else f"a.{k} = b.{k}" for k in keys)
    distinct = " OR ".join(f"b.{f} IS DISTINCT FROM a.{f}" for f in fields)
    return con.sql(f"""
        SELECT *{", " + derived if derived else ""} FROM (
            SELECT {", ".join(cols)}
            FROM {b} b FULL JOIN {a} a ON {on}
            WHERE a.{keys[0]} IS NULL OR b.{keys[0]} IS NULL OR {distinct})
        ORDER BY {order}""", params={"order": list(METRIC_CODES)}).pl()


def _kpi(con: duckdb.DuckDBPyConnection, src: _Sources) -> pl.DataFrame:
    return _changed(
        con, src, "kpi", ("metric", "fiscal_year", "bureau_code"), KPI_FIELDS,
        "(status_before = 'met' AND status_after = 'below') DESC NULLS LAST, to_below DESC, "
        "flip DESC, list_position($order, metric), fiscal_year, bureau_code NULLS FIRST",
        names={"plan_id": "plan"}, extra={"value": "a.value - b.value AS difference"},
        derived="coalesce(status_before <> status_after, false) AS flip, "
                "coalesce(status_before <> status_after AND status_after = 'below', false) "
                "AS to_below")


def _pace(con: duckdb.DuckDBPyConnection, src: _Sources) -> pl.DataFrame:
    return _changed(
        con, src, "kpi_pace", ("metric", "bureau_code"), PACE_FIELDS,
        "flip DESC, list_position($order, metric), bureau_code NULLS FIRST",
        derived="coalesce(pace_status_before <> pace_status_after, false) AS flip")


def _published(con: duckdb.DuckDBPyConnection, src: _Sources) -> pl.DataFrame:
    return _changed(
        con, src, "published_check", ("metric", "fiscal_year"), PUBLISHED_FIELDS,
        "list_position($order, metric), fiscal_year",
        names={"published_value": "published", "warehouse_value": "warehouse"})


def _latest_run(con: duckdb.DuckDBPyConnection, src: _Sources, db: str) -> tuple | None:
    ref = src(db, "pipeline_runs")
    if not ref:
        return None
    rows = con.execute(f"SELECT run_id, as_of_date, as_of_fy FROM {ref} "
                       "ORDER BY started_at DESC LIMIT 1").fetchall()
    return rows[0] if rows else None


def _dates(con: duckdb.DuckDBPyConnection, src: _Sources) -> pl.DataFrame:
    runs = {db: _latest_run(con, src, db) for db in ("b", "a")}

    def item(i: int) -> list[str | None]:
        return [None if runs[db] is None or runs[db][i] is None else str(runs[db][i])
                for db in ("b", "a")]

    rows = [("as_of_date", *item(1)), ("as_of_fy", *item(2))]
    return pl.DataFrame(rows, schema={"item": pl.String, "before": pl.String,
                                      "after": pl.String}, orient="row")


def _run_files(con: duckdb.DuckDBPyConnection, src: _Sources, db: str
               ) -> dict[str, tuple[str, int]]:
    """``{file: (sha256, rows)}`` as the latest build read them (its run's record)."""
    run = _latest_run(con, src, db)
    ref = src(db, "pipeline_run_files")
    if run is None or not ref:
        return {}
    return {f: (sha, n) for f, sha, n in con.execute(
        f"SELECT file, sha256, rows FROM {ref} WHERE run_id = ?", [run[0]]).fetchall()}


def _files(con: duckdb.DuckDBPyConnection, src: _Sources) -> pl.DataFrame:
    read = {db: _run_files(con, src, db) for db in ("b", "a")}

    def count(db: str, ref: str, file: str) -> int | None:
        """Rows of ``file``: as its build read it, else counted in its table (None: no table)."""
        if file in read[db]:
            return read[db][file][1]
        return con.execute(f"SELECT count(*) FROM {ref}").fetchall()[0][0] if ref else None

    out = []
    for t in TABLES:
        name = _table_of(t)
        b, a = src("b", name), src("a", name)
        sb, sa = (read[db].get(t.file, (None, None))[0] for db in ("b", "a"))
        nb, na = count("b", b, t.file), count("a", a, t.file)
        # an absent optional file: its table is empty (plans: the implicit plan, not a file)
        if sb is None and t.optional:
            nb = 0 if src.has_before else None
        if sa is None and t.optional:
            na = 0
        if not src.has_before:
            nb = None
        if sb is not None and sb == sa or not a:
            added = removed = changed = 0
        else:
            added, removed, changed = _row_diff(con, src, t, b, a, sb, sa)
        out.append((t.file, sb, sa, nb, na, added, removed, changed))
    return pl.DataFrame(out, orient="row", schema={
        "file": pl.String, "sha256_before": pl.String, "sha256_after": pl.String,
        "rows_before": pl.Int64, "rows_after": pl.Int64, "added": pl.Int64,
        "removed": pl.Int64, "changed": pl.Int64})


def _row_diff(con: duckdb.DuckDBPyConnection, src: _Sources, t: RawTable, b: str, a: str,
              sha_b: str | None, sha_a: str | None) -> tuple[int, int, int]:
    """Rows added, removed and changed (same key, another value in a contract column)."""
    have = set(src.columns(a)) & (set(src.columns(b)) if b else set(src.columns(a)))
    cols = [c for c in t.column_names if c in have]
    if t.name == "plans":
        # plans.csv absent: the table holds the implicit plan, which is not a delivered row
        side = {"b": f"(SELECT * FROM {b} WHERE NOT implicit)" if b and sha_b else "",
                "a": f"(SELECT * FROM {a} WHERE NOT implicit)" if sha_a else ""}
    else:
        side = {"b": b, "a": a}
    empty = f"(SELECT {', '.join(cols)} FROM {a} LIMIT 0)"
    left, right = side["b"] or empty, side["a"] or empty
    keys = [k for k in KEYS[t.name] if k in cols]
    on = " AND ".join(f"a.{k} = b.{k}" for k in keys)  # keys are required: never NULL
    rest = [c for c in cols if c not in keys]
    # each side as its keys and one 64-bit hash of its other contract columns: the join carries
    # a number per row instead of every column (3.3 M roster rows: half the time)
    digest = f"hash(row({', '.join(rest)}))" if rest else "0"
    sel = ", ".join(keys)
    added, removed, diff = con.execute(f"""
        SELECT count(*) FILTER (WHERE b.h IS NULL),
               count(*) FILTER (WHERE a.h IS NULL),
               count(*) FILTER (WHERE a.h <> b.h)
        FROM (SELECT {sel}, {digest} AS h FROM {left}) b
        FULL JOIN (SELECT {sel}, {digest} AS h FROM {right}) a ON {on}""").fetchall()[0]
    return added, removed, diff
