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

The file is derived from the warehouse once per warehouse version and threshold, written
atomically into a folder of this process's own (``mkdtemp``: mode 0700, a name nobody can
guess in advance, so no other local user can plant a file for the public edition to serve);
an older version is removed when a newer one is made, and the folder when the process ends.
``DTP_WAREHOUSE`` may also point at a public-edition file directly.
"""

from __future__ import annotations

import atexit
import functools
import hashlib
import os
import shutil
import tempfile
import threading
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

_LOCK = threading.Lock()  # one session makes a version; the others wait for it
_DIR: Path | None = None


def _private_dir() -> Path:
    global _DIR
    if _DIR is None:
        _DIR = Path(tempfile.mkdtemp(prefix="dtp-public-"))
        atexit.register(shutil.rmtree, _DIR, ignore_errors=True)
    return _DIR


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


def public_path(warehouse: str | os.PathLike, threshold: int) -> Path:
    """The public-edition file for ``warehouse`` (made if missing)."""
    if is_public(warehouse):
        return Path(warehouse)
    _, ino, mtime_ns, size = _version(warehouse)
    which = hashlib.sha256(str(Path(warehouse).resolve()).encode()).hexdigest()[:12]
    version = hashlib.sha256(f"{ino}|{mtime_ns}|{size}|{threshold}".encode()).hexdigest()[:12]
    with _LOCK:
        folder = _private_dir()
        out = folder / f"{which}-{version}.duckdb"
        if not out.exists():
            write(release(warehouse, threshold), warehouse, out)
            for old in folder.glob(f"{which}-*.duckdb"):  # this warehouse's earlier versions
                if old != out:
                    old.unlink(missing_ok=True)
    return out


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
