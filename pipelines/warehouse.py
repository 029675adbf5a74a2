"""Build the DuckDB warehouse: read → validate → staging → marts → kpi → atomic swap.

The new warehouse is written to a temporary file beside the target and ``os.replace``d into
place only when everything succeeded; on any failure the temporary file is removed and the
existing warehouse stays byte-for-byte as it was.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import importlib
import os
import secrets
import stat
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import duckdb
import polars as pl

from pipelines import sql
from pipelines.fiscal import fiscal_year
from pipelines.raw import InputError, clean, read_all
from pipelines.schema import METRICS, TABLES

Step = Callable[[str], None]


@dataclass
class BuildResult:
    run_id: str
    warehouse: Path
    rows: dict[str, int]
    fy_span: tuple[int, int] | None
    as_of: dt.date | None
    data_origin: str
    warnings: list[str] = field(default_factory=list)
    rules_checked: int = 0


def _empty_frame(name: str) -> pl.DataFrame:
    table = next(t for t in TABLES if t.name == name)
    types = {"str": pl.String, "int": pl.Int64, "float": pl.Float64, "bool": pl.Boolean,
             "date": pl.Date}
    return pl.DataFrame(schema={c.name: types[c.dtype] for c in table.columns})


def _tmp_paths(target: Path) -> tuple[Path, list[Path]]:
    tmp = target.with_name(f".{target.name}.{os.getpid()}.{secrets.token_hex(4)}.tmp")
    return tmp, [tmp, tmp.with_name(tmp.name + ".wal")]


def build(raw_dir: Path, warehouse: Path, step: Step | None = None) -> BuildResult:
    """Build ``warehouse`` from ``raw_dir``. Raises :class:`InputError` on invalid input."""
    from expectations.suites import validate  # GX is imported only when building
    from pipelines.origin import is_sample

    step = step or (lambda _msg: None)
    started = dt.datetime.now(dt.UTC).replace(tzinfo=None)
    run_id = started.strftime("%Y%m%dT%H%M%SZ") + "-" + secrets.token_hex(3)

    # importing Great Expectations takes ~2 s of pure Python; Polars reads the CSVs outside the
    # GIL, so the import runs in a thread meanwhile (validate() waits on the import lock)
    gx_import = threading.Thread(target=importlib.import_module, args=("great_expectations",),
                                 daemon=True)
    gx_import.start()
    step("read")
    files = read_all(raw_dir)
    frames = {t.name: clean(files[t.name].frame) if t.name in files else _empty_frame(t.name)
              for t in TABLES}
    hashes = {f.table.file: f.sha256 for f in files.values()}
    origin = "sample" if is_sample(raw_dir, hashes) else "provided"
    warehouse.parent.mkdir(parents=True, exist_ok=True)
    tmp, leftovers = _tmp_paths(warehouse)
    # The tables are built speculatively while GX validates: validation is mostly Python (one
    # core, GIL), DuckDB works outside the GIL. Invalid input cancels the build; the temporary
    # file is removed either way and only a fully valid build is swapped into place.
    spec = _Speculative(tmp, frames)
    try:
        spec.start()
        gx_import.join()
        step("validate")
        results = validate(files, progress=lambda name: step(f"validate:{name}"))
        failed = [r for r in results if not r.success]
        if failed:
            raise InputError([r.message() for r in failed])
        step("warehouse")
        con, facts = spec.result()
        _run_tables(con, files, results, facts.warnings, run_id, started, origin, raw_dir,
                    facts.as_of, facts.as_of_fy, warehouse)
        con.execute("CHECKPOINT")
        spec.close()
        _keep_permissions(tmp, warehouse)
        os.replace(tmp, warehouse)
    finally:
        spec.cancel()
        for p in leftovers:
            p.unlink(missing_ok=True)
    step("done")
    rows = {name: f.rows for name, f in files.items()}
    span = (facts.fys[0], facts.fys[-1]) if facts.fys else None
    return BuildResult(run_id, warehouse, rows, span, facts.as_of, origin, facts.warnings,
                       len(results))


FIRST_MODE = 0o640  # a first build: owner reads and writes, its group (the dashboard) reads


def _keep_permissions(tmp: Path, warehouse: Path) -> None:
    """Give the new file the permissions (and, where allowed, the group) of the file it
    replaces, or 0640 on a first build, so a rebuild never widens or breaks access."""
    try:
        old = os.stat(warehouse)
    except FileNotFoundError:
        os.chmod(tmp, FIRST_MODE)
        return
    os.chmod(tmp, stat.S_IMODE(old.st_mode))
    with contextlib.suppress(OSError):  # not a member of that group: the mode is kept
        os.chown(tmp, -1, old.st_gid)


@dataclass
class _Facts:
    as_of: dt.date | None
    as_of_fy: int | None
    fys: list[int]
    warnings: list[str]


class _Speculative:
    """Build every data table into ``tmp`` in a thread; cancel or collect the result."""

    def __init__(self, tmp: Path, frames: dict[str, pl.DataFrame]):
        self.tmp, self.frames = tmp, frames
        self.con: duckdb.DuckDBPyConnection | None = None
        self.facts: _Facts | None = None
        self.error: BaseException | None = None
        self.thread = threading.Thread(target=self._run, daemon=True)

    def start(self) -> None:
        self.thread.start()

    def _run(self) -> None:
        try:
            self.con = duckdb.connect(str(self.tmp))
            self.facts = _populate(self.con, self.frames)
        except BaseException as exc:  # noqa: BLE001 — re-raised by result() when it matters
            self.error = exc

    def result(self) -> tuple[duckdb.DuckDBPyConnection, _Facts]:
        self.thread.join()
        if self.error is not None:
            raise self.error
        assert self.con is not None and self.facts is not None
        return self.con, self.facts

    def cancel(self) -> None:
        """Stop a running build (invalid input) and close its connection; idempotent."""
        if self.thread.is_alive() and self.con is not None:
            with contextlib.suppress(duckdb.Error):
                self.con.interrupt()
        if self.thread.ident is not None:
            self.thread.join()
        self.close()

    def close(self) -> None:
        if self.con is not None:
            self.con.close()
            self.con = None


def _populate(con: duckdb.DuckDBPyConnection, frames: dict[str, pl.DataFrame]) -> _Facts:
    for name, frame in frames.items():
        # registered Arrow data is read in place (no copy) by the staging statements
        con.register(f"raw_{name}", frame.to_arrow())
    con.execute(sql.MACROS)
    con.execute(sql.REFERENCE)
    con.execute(sql.STAGING)
    con.execute(sql.MARTS)

    # as-of date and the FY span of the kpi table
    as_of, min_fy = con.execute("""
        SELECT max(d), (SELECT min(f) FROM (
                SELECT min(hire_fiscal_year) f FROM stg_hiring
                UNION ALL SELECT min(fiscal_year) FROM stg_roster
                UNION ALL SELECT min(fiscal_year) FROM stg_training
                UNION ALL SELECT min(fiscal_year) FROM stg_certification
                UNION ALL SELECT min(fiscal_year) FROM stg_phishing_drills))
        FROM (SELECT max(hire_date) d FROM stg_hiring
              UNION ALL SELECT max(completed_on) FROM stg_training
              UNION ALL SELECT max(exam_date) FROM stg_certification
              UNION ALL SELECT max(sent_on) FROM stg_phishing_drills)""").fetchone()
    as_of_fy = None if as_of is None else fiscal_year(as_of)
    warnings: list[str] = []
    if as_of is None:
        warnings.append("no dated rows in hiring, training, certification or phishing_drills: "
                        "the kpi table is empty")
    fys = list(range(min_fy, as_of_fy + 1)) if as_of is not None and min_fy is not None else []
    lo, hi = (fys[0], fys[-1] + 1) if fys else (0, 0)
    con.execute("CREATE TEMP TABLE fy_span AS SELECT CAST(range AS INTEGER) AS fiscal_year "
                "FROM range(?, ?)", [lo, hi])
    con.execute("CREATE TEMP TABLE as_of (as_of_date DATE, as_of_fy INTEGER)")
    con.execute("INSERT INTO as_of VALUES (?, ?)", [as_of, as_of_fy])
    con.execute("CREATE TEMP TABLE metric_catalogue (metric VARCHAR, is_rate BOOLEAN, "
                "by_bureau BOOLEAN)")
    con.executemany("INSERT INTO metric_catalogue VALUES (?, ?, ?)",
                    [(m.code, m.is_rate, m.by_bureau) for m in METRICS])

    con.execute(sql.COMPLETED)
    con.execute("CREATE TEMP TABLE metric_values (metric VARCHAR, fiscal_year INTEGER, "
                "bureau_code VARCHAR, is_total BOOLEAN, num DOUBLE, den DOUBLE)")
    for code, query in sql.METRIC_SQL.items():
        con.execute(f"INSERT INTO metric_values SELECT ?, * FROM ({query})", [code])
    con.execute(sql.KPI)

    # published figures vs the warehouse: a warning, not a failure
    con.execute("""
        CREATE TABLE published_check AS
        SELECT p.metric, CAST(p.fiscal_year AS INTEGER) AS fiscal_year,
               p.value AS published_value, k.value AS warehouse_value,
               k.value - p.value AS difference,
               coalesce(abs(k.value - p.value) < 1e-9, false) AS matches, p.source
        FROM published p LEFT JOIN kpi k
          ON k.metric = p.metric AND k.fiscal_year = p.fiscal_year AND k.bureau_code IS NULL
        ORDER BY p.metric, p.fiscal_year""")
    for metric, fy, pub, got, src in con.execute(
            "SELECT metric, fiscal_year, published_value, warehouse_value, source "
            "FROM published_check WHERE NOT matches").fetchall():
        shown = "no value" if got is None else f"{got:g}"
        warnings.append(f"published.csv: {metric} FY{fy}: published {pub:g} ({src}) but the "
                        f"warehouse computes {shown}")
    for name in frames:
        con.unregister(f"raw_{name}")
    con.execute("CHECKPOINT")  # write the data tables now, still in parallel with validation
    return _Facts(as_of, as_of_fy, fys, warnings)


def _run_tables(con, files, results, warnings, run_id, started, origin, raw_dir, as_of,
                as_of_fy, target) -> None:  # noqa: ANN001
    con.execute("""
        CREATE TABLE pipeline_runs (run_id VARCHAR, started_at TIMESTAMP, finished_at TIMESTAMP,
            as_of_date DATE, as_of_fy INTEGER, data_origin VARCHAR, raw_dir VARCHAR,
            rules_checked INTEGER, warnings INTEGER);
        CREATE TABLE pipeline_run_files (run_id VARCHAR, file VARCHAR, sha256 VARCHAR,
            rows BIGINT, encoding VARCHAR);
        CREATE TABLE validation_results (run_id VARCHAR, suite VARCHAR, rule VARCHAR,
            column_name VARCHAR, severity VARCHAR, success BOOLEAN, element_count BIGINT,
            unexpected_count BIGINT, examples VARCHAR, message VARCHAR);
    """)
    _carry_over_history(con, target)
    finished = dt.datetime.now(dt.UTC).replace(tzinfo=None)
    con.execute("INSERT INTO pipeline_runs VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                [run_id, started, finished, as_of, as_of_fy, origin, str(raw_dir),
                 len(results), len(warnings)])
    con.executemany("INSERT INTO pipeline_run_files VALUES (?, ?, ?, ?, ?)",
                    [(run_id, f.table.file, f.sha256, f.rows, f.encoding)
                     for f in files.values()])
    rows = []
    for r in results:
        ex = ", ".join(f"row {row}: {val!r}" if val is not None else f"row {row}"
                       for row, val in zip(r.rows[:3], r.values + [None] * 3, strict=False))
        rows.append((run_id, r.suite, r.rule.text, r.rule.column, "error", r.success,
                     r.element_count, r.unexpected_count, ex, r.message()))
    for w in warnings:
        rows.append((run_id, "published.csv" if w.startswith("published") else "build",
                     "matches the warehouse", "value", "warning", False, None, None, None, w))
    con.executemany("INSERT INTO validation_results VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                    rows)


def _carry_over_history(con: duckdb.DuckDBPyConnection, target: Path, keep: int = 50) -> None:
    """Keep earlier runs' metadata (not their results) from the warehouse being replaced."""
    if not target.exists():
        return
    try:
        con.execute("ATTACH ? AS old (READ_ONLY)", [str(target)])
    except duckdb.Error:
        return
    try:
        con.execute(f"""
            INSERT INTO pipeline_runs SELECT * FROM old.pipeline_runs
                ORDER BY started_at DESC LIMIT {int(keep)};
            INSERT INTO pipeline_run_files SELECT f.* FROM old.pipeline_run_files f
                WHERE f.run_id IN (SELECT run_id FROM pipeline_runs);""")
    except duckdb.Error:
        pass  # an older layout: history starts afresh
    finally:
        con.execute("DETACH old")
