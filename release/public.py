"""The public edition's data: a DuckDB file that holds the publication release and nothing else.

With ``DTP_EDITION=public`` the dashboard reads this file instead of the warehouse
(``queries.warehouse_path``), so every page, chart, card and table of the public edition is
made from protected cells only — there is no row-level table, no unprotected kpi or mart, no
validation result and no input-file list in it to leak through a page, a URL or a cache.

* ``kpi``: as in the warehouse, but a protected value, numerator or denominator is NaN (shown
  as ``[c]``; NaN also makes everything computed from it NaN) and its status ``suppressed``.
* the marts: the released rows; a protected count is NULL. Sums over bureaus or categories
  are NULL when any part is (``queries``), so a sum is shown only if it follows from shown
  cells.
* ``bureaus``, ``plans``, ``plan_targets``, ``exams``, ``published``: public reference data.
* ``pipeline_runs``: run id and as-of date only; ``published_check``: the published figures
  against the protected kpi.
* ``pub_<dataset>``: the publication form itself (text, ``[c]``) and ``publication_meta``, so
  the Data page's publication downloads come from the very same release.

The file is derived from the warehouse once per warehouse version and threshold (the
disclosure protection takes tens of CPU seconds on the sample, minutes at 300,000 staff), into
an on-disk cache shared by every process: ``DTP_PUBLIC_CACHE`` (default ``public-cache/`` next
to the warehouse; folder 0700 and owned by this user, else refused; files 0600). It is written
atomically (temp file + rename: a half-made file is never read); an older version of the same
warehouse is removed when a newer one is made. ``DTP_WAREHOUSE`` may also point at a
public-edition file directly (the recommended deployment: the pack's ``public.duckdb``).

Making it never runs in a Streamlit script thread: :func:`status` starts ONE detached, niced
worker (``python -m release.public WAREHOUSE THRESHOLD``) when the file is missing, and the page
polls :func:`status` until the file is there. A start lock (``fcntl.flock``, held for
milliseconds) and a pid file make concurrent sessions, reruns and processes start one worker; a
pid file whose process is gone is taken over. A failed worker leaves a one-line ``.failed``
file (its log: ``<cache>/<name>.log``); the next visit (``retry=True``) starts a new worker.
:func:`public_path` blocks instead (the digest CLI, tests): it makes the file under the same
build lock, so it waits for a running worker rather than doing the work twice.
"""

from __future__ import annotations

import contextlib
import fcntl
import functools
import hashlib
import os
import stat
import subprocess
import sys
import threading
from dataclasses import dataclass
from pathlib import Path

import duckdb
import polars as pl
import pyarrow as pa

from release.catalogue import PACE, PACE_COLUMNS
from release.connection import connect
from release.disclosure import BY_NAME, DATASETS, SUPPRESSED, Release, release
from release.organisation import Organisation

MARKER = "publication_meta"
SUPPRESSED_STATUS = "suppressed"

_LOCK = threading.Lock()  # in-process; the flock files below work across processes
CACHE_DIR = "public-cache"


class CacheUnsafe(Exception):
    """The cache folder is not this user's own (another user could plant a file in it)."""


def cache_dir(warehouse: str | os.PathLike) -> Path:
    """``DTP_PUBLIC_CACHE``, else ``public-cache/`` next to the warehouse: made 0700; refused
    if it is a link or owned by another user."""
    value = os.environ.get("DTP_PUBLIC_CACHE", "").strip()
    folder = Path(value) if value else Path(warehouse).resolve().parent / CACHE_DIR
    folder.mkdir(mode=0o700, parents=True, exist_ok=True)
    st = os.lstat(folder)
    if not stat.S_ISDIR(st.st_mode) or st.st_uid != os.getuid():
        raise CacheUnsafe(f"{folder} is not a folder of this user's own")
    if stat.S_IMODE(st.st_mode) != 0o700:
        os.chmod(folder, 0o700)
    return folder


@dataclass(frozen=True)
class Target:
    folder: Path
    which: str  # the warehouse (its resolved path)
    out: Path  # the public file of this warehouse version and threshold

    @property
    def failed(self) -> Path:
        return self.out.with_suffix(".failed")

    @property
    def log(self) -> Path:
        return self.folder / f"{self.which}.log"

    @property
    def pidfile(self) -> Path:
        return self.folder / f"{self.which}.pid"

    def lock(self, kind: str) -> Path:
        return self.folder / f"{self.which}.{kind}.lock"


def target(warehouse: str | os.PathLike, threshold: int) -> Target:
    _, ino, mtime_ns, size = _version(warehouse)
    which = hashlib.sha256(str(Path(warehouse).resolve()).encode()).hexdigest()[:12]
    version = hashlib.sha256(f"{ino}|{mtime_ns}|{size}|{threshold}".encode()).hexdigest()[:12]
    folder = cache_dir(warehouse)
    return Target(folder, which, folder / f"{which}-{version}.duckdb")


@contextlib.contextmanager
def _flock(path: Path, blocking: bool = True):
    """An exclusive ``flock`` on ``path`` (released when the holder dies: never stale);
    yields False when not blocking and someone else holds it."""
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | (0 if blocking else fcntl.LOCK_NB))
        except BlockingIOError:
            yield False
            return
        yield True
    finally:
        os.close(fd)


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _running(t: Target) -> bool:
    """A worker for this warehouse is running: its build lock is held, or the pid file names a
    live process (between its start and its taking the lock)."""
    with _flock(t.lock("build"), blocking=False) as free:
        if not free:
            return True
    try:
        pid = int(t.pidfile.read_text().strip() or 0)
    except (FileNotFoundError, ValueError):
        return False
    return pid > 0 and _alive(pid)


def _build(t: Target, warehouse: str | os.PathLike, threshold: int) -> Path:
    """Make ``t.out`` under the build lock (a no-op if another process made it meanwhile)."""
    with _LOCK, _flock(t.lock("build")):
        if not t.out.exists():
            write(release(warehouse, threshold), warehouse, t.out)
            os.chmod(t.out, 0o600)
            t.failed.unlink(missing_ok=True)
            for old in [*t.folder.glob(f"{t.which}-*.duckdb"),  # earlier versions
                        *t.folder.glob(f"{t.which}-*.duckdb.tmp*"),  # a killed worker's
                        *t.folder.glob(f"{t.which}-*.failed")]:
                if old != t.out:
                    old.unlink(missing_ok=True)
    return t.out


@dataclass(frozen=True)
class Status:
    state: str  # "ready", "preparing" or "failed"
    path: Path | None = None  # the public file when ready
    error: str = ""  # the failed worker's one line
    log: Path | None = None  # its log (for admins)


_CHILDREN: dict[int, subprocess.Popen] = {}


def _start(t: Target, warehouse: str | os.PathLike, threshold: int) -> None:
    with open(t.log, "ab", buffering=0) as log:
        os.chmod(t.log, 0o600)
        proc = subprocess.Popen(
            [sys.executable, "-m", "release.public", str(warehouse), str(threshold)],
            stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT,
            start_new_session=True, cwd=str(Path(__file__).resolve().parent.parent),
            env={**os.environ, "DTP_PUBLIC_CACHE": str(t.folder)})
    tmp = t.pidfile.with_name(t.pidfile.name + f".tmp{os.getpid()}")
    tmp.write_text(str(proc.pid))
    os.chmod(tmp, 0o600)
    os.replace(tmp, t.pidfile)
    _CHILDREN[proc.pid] = proc
    threading.Thread(target=proc.wait, daemon=True).start()  # reaped: no zombie looks alive


def status(warehouse: str | os.PathLike, threshold: int, retry: bool = False) -> Status:
    """Where the public file of ``warehouse`` stands; starts the worker if it is missing and
    none runs (``retry``: also after a failure). Quick: a few ``stat``s and a short lock."""
    try:
        served = is_public(warehouse)
    except duckdb.Error:  # not a DuckDB file: the worker fails on it and says so in its log
        served = False
    if served:
        return Status("ready", Path(warehouse))
    t = target(warehouse, threshold)
    if t.out.exists():
        return Status("ready", t.out)
    with _flock(t.lock("start")):
        if t.out.exists():
            return Status("ready", t.out)
        if _running(t):
            return Status("preparing", log=t.log)
        if t.failed.exists() and not retry:
            line = (t.failed.read_text(errors="replace").strip().splitlines() or [""])[0]
            return Status("failed", error=line[:300], log=t.log)
        t.failed.unlink(missing_ok=True)
        _start(t, warehouse, threshold)
    return Status("preparing", log=t.log)


def public_path(warehouse: str | os.PathLike, threshold: int) -> Path:
    """The public-edition file for ``warehouse``, made here if missing (blocks; waits for a
    running worker instead of doing the work twice)."""
    if is_public(warehouse):
        return Path(warehouse)
    t = target(warehouse, threshold)
    return t.out if t.out.exists() else _build(t, warehouse, threshold)


def main(argv: list[str] | None = None) -> int:
    """The worker: ``python -m release.public WAREHOUSE THRESHOLD`` (niced)."""
    import datetime as dt
    import traceback

    warehouse, threshold = (argv if argv is not None else sys.argv[1:])[:2]
    with contextlib.suppress(OSError):
        os.nice(10)
    t = target(warehouse, int(threshold))
    started = dt.datetime.now(dt.UTC).isoformat(timespec="seconds")
    print(f"{started} pid {os.getpid()}: making {t.out.name}", flush=True)
    try:
        _build(t, warehouse, int(threshold))
    except BaseException as exc:  # noqa: BLE001 - recorded for the page, then re-raised
        traceback.print_exc()
        line = f"{type(exc).__name__}: {exc}".splitlines()[0] if str(exc) else \
            type(exc).__name__
        tmp = t.failed.with_name(t.failed.name + f".tmp{os.getpid()}")
        tmp.write_text(line + "\n")
        os.chmod(tmp, 0o600)
        os.replace(tmp, t.failed)
        return 1
    finally:
        with contextlib.suppress(FileNotFoundError, ValueError):
            if int(t.pidfile.read_text().strip() or 0) == os.getpid():
                t.pidfile.unlink()
    print(f"{dt.datetime.now(dt.UTC).isoformat(timespec='seconds')} done", flush=True)
    return 0


def _version(path: str | os.PathLike) -> tuple[str, int, int, int]:
    """The file's identity: a rebuilt or replaced file is a new version."""
    st = os.stat(path)
    return str(path), st.st_ino, st.st_mtime_ns, st.st_size


def is_public(path: str | os.PathLike) -> bool:
    """True if ``path`` is a public-edition file (it has ``publication_meta``); looked up once
    per file version (every rerun of the public edition asks)."""
    return _is_public(*_version(path))


@functools.lru_cache(maxsize=16)
def _is_public(path: str, _ino: int, _mtime_ns: int, _size: int) -> bool:
    con = connect(str(path))
    try:
        return bool(con.execute(
            "SELECT count(*) FROM duckdb_tables() WHERE database_name = 'wh' "
            "AND table_name = ?", [MARKER]).fetchall()[0][0])
    finally:
        con.close()


def _numeric_kpi(frame: pl.DataFrame) -> pl.DataFrame:
    num = {c: pl.when(pl.col(c) == SUPPRESSED).then(float("nan"))
           .otherwise(pl.col(c).cast(pl.Float64, strict=False)).alias(c)
           for c in ("value", "numerator", "denominator")}
    return frame.with_columns(*num.values(), pl.when(pl.col("status") == SUPPRESSED)
                              .then(pl.lit(SUPPRESSED_STATUS)).otherwise(pl.col("status"))
                              .alias("status"))


def _numeric_pace(frame: pl.DataFrame) -> pl.DataFrame:
    """kpi_pace's figures as numbers (NaN: withheld), a withheld outlook ``suppressed``."""
    return frame.with_columns(
        *(pl.when(pl.col(c) == SUPPRESSED).then(float("nan"))
          .otherwise(pl.col(c).cast(pl.Float64, strict=False)).alias(c)
          for c in PACE_COLUMNS if c != "pace_status"),
        pl.when(pl.col("pace_status") == SUPPRESSED).then(pl.lit(SUPPRESSED_STATUS))
        .otherwise(pl.col("pace_status")).alias("pace_status"))


def _numeric_mart(frame: pl.DataFrame, name: str) -> pl.DataFrame:
    return frame.with_columns(
        pl.when(pl.col(c) == SUPPRESSED).then(None).otherwise(pl.col(c)).cast(pl.Int64)
        .alias(c) for c in BY_NAME[name].counts)


REFERENCE = ("bureaus", "plans", "plan_targets", "exams", "published")  # public reference tables


def _reference(warehouse: str | os.PathLike) -> dict[str, pa.Table]:
    """The reference tables and the latest run, read through the one locked connection
    (``connection.connect``): a view stored under any of these names cannot read a file."""
    con = connect(str(warehouse))
    try:
        out = {t: con.sql(f"SELECT * FROM {t}").arrow().read_all() for t in REFERENCE}
        out["pipeline_runs"] = con.sql(
            "SELECT run_id, started_at, finished_at, as_of_date, as_of_fy, data_origin "
            "FROM pipeline_runs ORDER BY started_at DESC LIMIT 1").arrow().read_all()
    finally:
        con.close()
    return out


def write(rel: Release, warehouse: str | os.PathLike, out: Path,
          organisation: Organisation | None = None) -> None:
    """The public-edition file of ``rel`` at ``out`` (``publication_meta`` names the
    organisation when the pack has one)."""
    tables = _reference(warehouse)
    tmp = out.with_name(out.name + f".tmp{os.getpid()}")
    tmp.unlink(missing_ok=True)
    con = duckdb.connect(str(tmp))
    try:
        for t, table in tables.items():
            con.register("ref_frame", table)
            con.execute(f"CREATE TABLE {t} AS SELECT * FROM ref_frame")
            con.unregister("ref_frame")
        for ds in DATASETS:
            pub = rel.tables[ds.name]
            con.register("pub_frame", pub)
            con.execute(f'CREATE TABLE "pub_{ds.name}" AS SELECT * FROM pub_frame')
            num = (_numeric_kpi(pub) if ds.name == "kpi" else _numeric_pace(pub)
                   if ds.name == PACE.name else _numeric_mart(pub, ds.name))
            con.register("num_frame", num)
            con.execute(f'CREATE TABLE "{ds.name}" AS SELECT * FROM num_frame')
            con.unregister("pub_frame")
            con.unregister("num_frame")
        con.execute(
            "CREATE TABLE published_check AS "
            "SELECT p.metric, p.fiscal_year, p.value AS published_value, "
            "k.value AS warehouse_value, k.value - p.value AS difference, "
            "coalesce(k.value = p.value, false) AS matches, p.source "
            "FROM published p LEFT JOIN kpi k ON k.metric = p.metric "
            "AND k.fiscal_year = p.fiscal_year AND k.bureau_code IS NULL")
        con.execute(f"CREATE TABLE {MARKER} AS SELECT ? AS threshold, ? AS run_id, "
                    "? AS as_of_date, ? AS data_origin, ? AS primary_cells, "
                    "? AS secondary_cells, ?::VARCHAR AS organisation, "
                    "?::VARCHAR AS organisation_name_ja, ?::VARCHAR AS organisation_name_en",
                    [rel.threshold, rel.run_id, rel.as_of_date, rel.data_origin, rel.primary,
                     rel.secondary, *((organisation.code, organisation.name_ja,
                                       organisation.name_en) if organisation else
                                      (None, None, None))])
        con.execute("CHECKPOINT")
    finally:
        con.close()
    os.replace(tmp, out)


def read_release(path: str | os.PathLike) -> Release:
    """The release stored in a public-edition file (read once per file version)."""
    return _read_release(*_version(path))


@functools.lru_cache(maxsize=4)
def _read_release(path: str, _ino: int, _mtime_ns: int, _size: int) -> Release:
    con = connect(str(path))
    try:
        tables = {ds.name: con.sql(f'SELECT * FROM "pub_{ds.name}"').pl() for ds in DATASETS}
        meta = con.sql(f"SELECT * FROM {MARKER}").pl().row(0, named=True)
        bureaus = con.sql("SELECT bureau_code, name_ja, name_en FROM bureaus "
                          "ORDER BY bureau_code").pl()
    finally:
        con.close()
    return Release(tables, int(meta["threshold"]), meta["run_id"], meta["as_of_date"],
                   meta["data_origin"], int(meta["primary_cells"]),
                   int(meta["secondary_cells"]), 0, (), bureaus)


if __name__ == "__main__":
    sys.exit(main())
