"""Build the DuckDB warehouse: read → (validate ∥ staging → marts → kpi) → atomic swap.

GX validates in the calling thread while DuckDB builds the tables in another (``_Tables``);
invalid input stops the tables' thread, and only a build whose input passed every rule is
swapped into place.

The new warehouse is written to a temporary file beside the target and ``os.replace``d into
place only when everything succeeded; on any failure the temporary file is removed and the
existing warehouse stays byte-for-byte as it was.

Faults (issue 10):
- one build at a time per warehouse: a lock file ``.<name>.lock`` beside it (``flock``); a
  second build waits up to ``wait`` seconds, then raises :class:`BuildBusy`;
- leftovers of a killed build (temporary file, WAL, spill folder) are removed by the next build;
- a full disk raises :class:`DiskFull` (file, free space needed), leaving nothing behind;
- a symlinked warehouse path keeps the link and replaces its target; the target's mode, owner
  and group are kept (a first build creates the file 0640); the file and the folder are
  fsynced around the ``os.replace``.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import errno
import fcntl
import importlib
import os
import re
import secrets
import shutil
import stat
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import duckdb
import polars as pl

from pipelines import pace, sql
from pipelines.fiscal import fiscal_year
from pipelines.raw import InputError, clean, read_all
from pipelines.schema import METRICS, TABLES

Step = Callable[[str], None]

NEW_FILE_MODE = 0o640  # a first build: readable by the owner's group (the dashboard), no one else
# DuckDB's buffer pool in the build; beyond it joins and sorts spill to a folder beside the
# temporary file (docs/PERFORMANCE.md)
DUCKDB_MEMORY_LIMIT = "400MB"


class BuildBusy(Exception):
    """Another build of the same warehouse holds the lock (and did not finish in time)."""


class DiskFull(Exception):
    """The file system ran out of space while writing the new warehouse."""


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
    # name, start, end, cpu (s), peak_mb, rss_mb: see _Phases
    phases: list[dict] = field(default_factory=list)
    cleaned: list[str] = field(default_factory=list)  # leftovers of killed builds, removed


def _empty_frame(name: str) -> pl.DataFrame:
    table = next(t for t in TABLES if t.name == name)
    types = {"str": pl.String, "int": pl.Int64, "float": pl.Float64, "bool": pl.Boolean,
             "date": pl.Date}
    return pl.DataFrame(schema={c.name: types[c.dtype] for c in table.columns})


def _tmp_paths(target: Path) -> tuple[Path, list[Path]]:
    tmp = target.with_name(f".{target.name}.{os.getpid()}.{secrets.token_hex(4)}.tmp")
    return tmp, [tmp, tmp.with_name(tmp.name + ".wal"), tmp.with_name(tmp.name + ".spill")]


def _remove(path: Path) -> None:
    if path.is_dir() and not path.is_symlink():
        shutil.rmtree(path, ignore_errors=True)
    else:
        path.unlink(missing_ok=True)


def _remove_leftovers(target: Path) -> list[str]:
    """Temporary files of builds that were killed (called with the lock held: no build of this
    warehouse is running, so every one of them is stale)."""
    mine = re.compile(rf"\.{re.escape(target.name)}\.\d+\.[0-9a-f]{{8}}\.tmp(\.wal|\.spill)?")
    found = sorted(p for p in target.parent.glob(f".{target.name}.*.tmp*")
                   if mine.fullmatch(p.name))  # (not those of a warehouse named <name>.x)
    for p in found:
        _remove(p)
    return [p.name for p in found]


def remove_leftovers(warehouse: Path) -> list[str]:
    """Remove the temporary files that killed builds of ``warehouse`` left beside it, under its
    build lock (so never those of a build still running: :class:`BuildBusy` then)."""
    target = live_file(warehouse)
    with build_lock(target):
        return _remove_leftovers(target)


def _memory_mb() -> tuple[float, float]:
    """This process's (peak so far, current) resident memory (VmHWM, VmRSS), in MB."""
    found: dict[str, float] = {}
    try:
        with open("/proc/self/status", encoding="ascii") as f:
            for line in f:
                if line.startswith(("VmHWM:", "VmRSS:")):
                    found[line[:5]] = int(line.split()[1]) / 1024
    except OSError:
        pass
    if len(found) == 2:
        return found["VmHWM"], found["VmRSS"]
    import resource

    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    return peak, peak


class _Phases:
    """Wall-clock start/end of each build phase, the CPU seconds of the process meanwhile (all
    threads), the peak memory reached by its end and the memory in use then."""

    def __init__(self) -> None:
        self.t0 = time.perf_counter()
        self.done: list[dict] = []
        self._open: dict[str, float] = {}
        self._lock = threading.Lock()

    def start(self, name: str) -> None:
        with self._lock:
            self._open[name] = (time.perf_counter() - self.t0, time.process_time())

    def end(self, name: str) -> None:
        with self._lock:
            start, cpu = self._open.pop(name)
            peak, now = _memory_mb()
            self.done.append({"name": name, "start": round(start, 3),
                              "end": round(time.perf_counter() - self.t0, 3),
                              "cpu": round(time.process_time() - cpu, 3),
                              "peak_mb": round(peak), "rss_mb": round(now)})

    @contextlib.contextmanager
    def phase(self, name: str) -> Iterator[None]:
        self.start(name)
        try:
            yield
        finally:
            self.end(name)


@contextlib.contextmanager
def build_lock(target: Path, wait: float = 0.0) -> Iterator[Path]:
    """Hold ``.<name>.lock`` beside ``target`` (flock) for one build; wait up to ``wait``
    seconds for another build to finish, else raise :class:`BuildBusy`. The file is removed on
    release (a lock file left by a killed build is taken over: the kernel drops its lock)."""
    lock = target.with_name(f".{target.name}.lock")
    deadline = time.monotonic() + max(wait, 0.0)
    while True:
        fd = os.open(lock, os.O_RDWR | os.O_CREAT, 0o600)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = os.pread(fd, 64, 0).decode("ascii", "replace").strip()
            os.close(fd)
            if time.monotonic() >= deadline:
                who = f" (pid {holder})" if holder.isdigit() else ""
                waited = f" after waiting {wait:g} s" if wait > 0 else ""
                raise BuildBusy(f"another build of {target} is running{who}{waited}; lock file "
                                f"{lock} (use --wait SECONDS to wait for it)") from None
            time.sleep(0.1)
            continue
        # the holder removes the file before it unlocks: a lock taken on a removed file is void
        try:
            current = os.stat(lock).st_ino == os.fstat(fd).st_ino
        except FileNotFoundError:
            current = False
        if current:
            break
        os.close(fd)
    try:
        os.ftruncate(fd, 0)
        os.pwrite(fd, str(os.getpid()).encode(), 0)
        yield lock
    finally:
        lock.unlink(missing_ok=True)
        os.close(fd)


def _is_disk_full(exc: BaseException) -> bool:
    if isinstance(exc, OSError) and exc.errno in (errno.ENOSPC, errno.EDQUOT):
        return True
    return isinstance(exc, duckdb.Error) and ("No space left on device" in str(exc)
                                             or "Disk quota exceeded" in str(exc))


def _needed_bytes(target: Path, raw_dir: Path) -> int:
    """What a new warehouse needs, roughly: the size of the one it replaces or, for a first
    build, a quarter of the CSV bytes (300,000 staff: 484 MB of CSV, a 108 MB warehouse)."""
    csv = sum(p.stat().st_size for p in raw_dir.glob("*.csv") if p.is_file())
    old = target.stat().st_size if target.exists() else 0
    return int(max(old, csv // 4) * 1.1) + (1 << 20)


def _fsync(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _keep_permissions(tmp: Path, target: Path) -> None:
    """Give the new file the mode, owner and group of the file it replaces (0640 if none)."""
    try:
        st = os.stat(target)
    except FileNotFoundError:
        os.chmod(tmp, NEW_FILE_MODE)
        return
    now = os.stat(tmp)
    uid = st.st_uid if os.geteuid() == 0 else -1  # only root can give a file away
    if (uid != -1 and uid != now.st_uid) or st.st_gid != now.st_gid:
        try:
            os.chown(tmp, uid, st.st_gid)
        except PermissionError as exc:
            raise PermissionError(exc.errno, f"cannot keep the group (gid {st.st_gid}) of "
                                  f"{target}: not a member of it", str(target)) from None
    os.chmod(tmp, stat.S_IMODE(st.st_mode))


def _swap(tmp: Path, target: Path) -> None:
    """Durably replace ``target`` by ``tmp``: keep permissions, fsync the file, rename, fsync
    the folder (so the new name survives a power cut)."""
    _keep_permissions(tmp, target)
    _fsync(tmp)
    os.replace(tmp, target)
    _fsync(target.parent)


def build(raw_dir: Path, warehouse: Path, step: Step | None = None,
          wait: float = 0.0, *, history: Path | None = None,
          after_swap: Callable[[BuildResult], None] | None = None) -> BuildResult:
    """Build ``warehouse`` from ``raw_dir``. Raises :class:`InputError` on invalid input,
    :class:`BuildBusy` when another build holds the lock, :class:`DiskFull` when space runs
    out. ``warehouse`` may be a symlink: its target is replaced, the link kept.

    ``history``: the warehouse whose earlier runs are carried over (default: the one being
    replaced; a delivery's candidate carries the live warehouse's). ``after_swap``: called
    with the result while the lock is still held (``python -m pipelines build`` records the
    new live version there, so no other build comes in between)."""
    step = step or (lambda _msg: None)
    # a symlinked path: the file to replace is the link's target (the lock goes beside it, so
    # builds through different links to one file exclude each other too)
    target = Path(os.path.realpath(warehouse))
    target.parent.mkdir(parents=True, exist_ok=True)
    with build_lock(target, wait):
        cleaned = _remove_leftovers(target)
        try:
            res = _build(raw_dir, target, step, history)
        except Exception as exc:
            if _is_disk_full(exc):
                need = _needed_bytes(target, raw_dir)
                free = shutil.disk_usage(target.parent).free
                raise DiskFull(f"no space left on the device writing {target} (via a temporary "
                               f"file in {target.parent}): about {need / 2**20:,.0f} MB of free "
                               f"space needed there, {free / 2**20:,.0f} MB free") from None
            raise
        res.warehouse, res.cleaned = warehouse, cleaned
        if after_swap is not None:
            after_swap(res)
    return res


def live_file(warehouse: Path) -> Path:
    """The file a build of ``warehouse`` replaces (a symlink's target); its lock is beside it."""
    return Path(os.path.realpath(warehouse))


def install_copy(source: Path, warehouse: Path) -> None:
    """Put a byte-identical copy of ``source`` in place of ``warehouse`` with the build's durable
    swap (a temporary file beside it, mode/group kept, fsync, ``os.replace``, fsync the folder).
    The caller holds :func:`build_lock` of ``live_file(warehouse)``; leftovers are removed."""
    target = live_file(warehouse)
    _remove_leftovers(target)
    tmp, leftovers = _tmp_paths(target)
    try:
        shutil.copyfile(source, tmp)
        _swap(tmp, target)
    except Exception as exc:
        if _is_disk_full(exc):
            need = source.stat().st_size
            free = shutil.disk_usage(target.parent).free
            raise DiskFull(f"no space left on the device writing {target}: about "
                           f"{need / 2**20:,.0f} MB of free space needed there, "
                           f"{free / 2**20:,.0f} MB free") from None
        raise
    finally:
        for p in leftovers:
            _remove(p)


def _build(raw_dir: Path, warehouse: Path, step: Step,
           history: Path | None = None) -> BuildResult:
    from expectations.suites import validate  # GX is imported only when building
    from pipelines.origin import is_sample

    started = dt.datetime.now(dt.UTC).replace(tzinfo=None)
    run_id = started.strftime("%Y%m%dT%H%M%SZ") + "-" + secrets.token_hex(3)
    phases = _Phases()

    # importing Great Expectations takes ~2 s of pure Python; Polars reads the CSVs outside the
    # GIL, so the import runs in a thread meanwhile (validate() waits on the import lock)
    gx_import = threading.Thread(target=importlib.import_module, args=("great_expectations",),
                                 daemon=True)
    gx_import.start()
    step("read")
    with phases.phase("read"):
        files = read_all(raw_dir)
        frames = {t.name: clean(files[t.name].frame) if t.name in files
                  else _empty_frame(t.name) for t in TABLES}
    hashes = {f.table.file: f.sha256 for f in files.values()}
    origin = "sample" if is_sample(raw_dir, hashes) else "provided"
    rows = {name: f.rows for name, f in files.items()}
    file_rows = [(f.table.file, f.sha256, f.rows, f.encoding) for f in files.values()]
    tmp, leftovers = _tmp_paths(warehouse)
    # The tables are built while GX validates: validation is mostly single-threaded Python and
    # leaves a core idle, DuckDB works outside the GIL. Invalid input cancels the tables; the
    # temporary file is removed either way, and only a build whose input passed every rule is
    # swapped into place (docs/PERFORMANCE.md).
    tables = _Tables(tmp, frames, phases)
    try:
        tables.start()
        step("validate")
        with phases.phase("validate"):
            gx_import.join()
            results = validate(files, progress=lambda name: step(f"validate:{name}"))
        failed = [r for r in results if not r.success]
        if failed:
            raise InputError([r.message() for r in failed], results=failed)
        files.clear()  # the frames with flag columns; `frames` shares their data columns
        step("warehouse")
        con, facts = tables.result()
        with phases.phase("swap"):
            _run_tables(con, file_rows, results, facts.warnings, run_id, started, origin,
                        raw_dir, facts.as_of, facts.as_of_fy, history or warehouse)
            con.execute("CHECKPOINT")
            tables.close()
            _swap(tmp, warehouse)
    finally:
        tables.cancel()
        for p in leftovers:
            _remove(p)
    step("done")
    span = (facts.fys[0], facts.fys[-1]) if facts.fys else None
    return BuildResult(run_id, warehouse, rows, span, facts.as_of, origin, facts.warnings,
                       len(results), phases.done)


class _Cancelled(Exception):
    """The tables' thread was told to stop (the input failed validation)."""


class _Tables:
    """Stage, marts and kpi into the temporary file ``tmp``, in a thread; collect or cancel.

    The connection belongs to the thread until :meth:`result` has joined it. :meth:`cancel`
    stops it between statements (a flag) and inside one (``interrupt``)."""

    def __init__(self, tmp: Path, frames: dict[str, pl.DataFrame], phases: _Phases):
        self.tmp, self.frames, self.phases = tmp, frames, phases
        self.con: duckdb.DuckDBPyConnection | None = None
        self.facts: _Facts | None = None
        self.error: BaseException | None = None
        self.stop = threading.Event()
        self.thread = threading.Thread(target=self._run, name="build-tables", daemon=True)

    def start(self) -> None:
        self.con = duckdb.connect(str(self.tmp), config={
            # out of core: a bounded buffer pool, spilling beside the new file; no insertion
            # order to keep (staging tables are unsorted, marts and kpi ORDER BY)
            "memory_limit": DUCKDB_MEMORY_LIMIT,
            "temp_directory": str(self.tmp.with_name(self.tmp.name + ".spill")),
            "preserve_insertion_order": False})
        self.thread.start()

    def _run(self) -> None:
        try:
            self.facts = _populate(self.con, self.frames, self.phases, self.stop)
        except BaseException as exc:  # noqa: BLE001 - handed to the main thread by result()
            self.error = exc

    def result(self) -> tuple[duckdb.DuckDBPyConnection, _Facts]:
        self.thread.join()
        if self.error is not None:
            raise self.error
        assert self.con is not None and self.facts is not None
        return self.con, self.facts

    def cancel(self) -> None:
        """Stop the thread if it still runs and close the connection (idempotent)."""
        self.stop.set()
        while self.thread.is_alive():
            if self.con is not None:
                with contextlib.suppress(duckdb.Error, RuntimeError):
                    self.con.interrupt()
            self.thread.join(0.05)
        self.close()

    def close(self) -> None:
        if self.con is not None:
            self.con.close()
            self.con = None


@dataclass
class _Facts:
    as_of: dt.date | None
    as_of_fy: int | None
    fys: list[int]
    warnings: list[str]


def _populate(con: duckdb.DuckDBPyConnection, frames: dict[str, pl.DataFrame],
              phases: _Phases, stop: threading.Event) -> _Facts:
    """Stage, marts, kpi and the published-figure check into ``con``. Each raw frame is let go
    as soon as no staging statement still reads it (the roster before the training join).
    ``stop``: checked between statements (the caller interrupts a running one)."""

    def check() -> None:
        if stop.is_set():
            raise _Cancelled

    phases.start("stage")
    for name, frame in frames.items():
        # registered Arrow data is read in place (no copy) by the staging statements; the newest
        # compat level hands Polars' string views over as they are (the default converts every
        # string column to large_string, a copy)
        con.register(f"raw_{name}", frame.to_arrow(compat_level=pl.CompatLevel.newest()))
    con.execute(sql.MACROS)
    con.execute(sql.REFERENCE)
    statements = [q for q in sql.STAGING.split(";") if q.strip()]
    for i, query in enumerate(statements):
        check()
        con.execute(query)
        later = ";".join(statements[i + 1:])
        for name in [n for n in frames if not re.search(rf"\braw_{n}\b", later)]:
            con.unregister(f"raw_{name}")
            del frames[name]
    phases.end("stage")
    phases.start("marts")
    check()
    con.execute(sql.MARTS)
    phases.end("marts")
    phases.start("kpi")

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
        check()
        con.execute(f"INSERT INTO metric_values SELECT ?, * FROM ({query})", [code])
    con.execute(sql.KPI)
    check()
    pace.build(con)

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
    con.execute("CHECKPOINT")
    phases.end("kpi")
    return _Facts(as_of, as_of_fy, fys, warnings)


def _run_tables(con, file_rows, results, warnings, run_id, started, origin, raw_dir, as_of,
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
                    [(run_id, *f) for f in file_rows])
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
