"""Benchmark: our full build against DuckDB's own CSV load of the same files, in one run.

``python -m pipelines bench [--staff N] [--pages]`` generates a data set of N staff, then times
(a) a fresh DuckDB database doing ``CREATE TABLE t AS SELECT * FROM read_csv('f.csv')`` for
every raw file and (b) ``python -m pipelines build`` of the same files, each in its own process,
and prints both, the ratio b/a and each process's peak memory. With ``--pages`` it also renders
every dashboard page (AppTest) on the sample warehouse and on the large one and prints the
ratio. Goals (issue 2, 3): build/load ≤ 1.5; page large/sample ≤ 1.25, each page < 0.5 s.
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import duckdb
from rich.console import Console
from rich.table import Table

from pipelines.settings import ROOT

console = Console(highlight=False)

DUCKDB_LOAD = """
import sys, duckdb
from pathlib import Path
raw = Path(sys.argv[1])
con = duckdb.connect(sys.argv[2])
for f in sorted(raw.glob('*.csv')):
    con.execute(f"CREATE TABLE {f.stem} AS SELECT * FROM read_csv('{f}')")
con.close()
"""


def _run(cmd: list[str], env: dict[str, str] | None = None) -> tuple[float, float]:
    """Run ``cmd``; return (wall seconds, peak resident MB of that process)."""
    start = time.perf_counter()
    proc = subprocess.Popen(cmd, cwd=ROOT, env=env, stdout=subprocess.DEVNULL,
                            stderr=subprocess.PIPE)
    _, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - start
    if os.waitstatus_to_exitcode(status) != 0:
        err = proc.stderr.read().decode(errors="replace") if proc.stderr else ""
        raise RuntimeError(f"{' '.join(cmd)} failed:\n{err[-2000:]}")
    return wall, usage.ru_maxrss / 1024


def _exports(wh: Path, staff: int) -> None:
    """Time the data page's downloads (warehouse → file bytes) of the row-level roster."""
    from dashboard import access, analyst
    from dashboard.datasets import DataFilter

    with duckdb.connect(str(wh), read_only=True) as con:
        fy = con.execute("SELECT max(fiscal_year) FROM stg_roster").fetchone()[0]
    t = Table(title=f"Downloads of stg_roster, {staff:,} staff (seconds, MB)")
    for col in ("rows", "csv", "xlsx", "parquet"):
        t.add_column(col, justify="right")
    for label, flt in ((f"FY{fy}", DataFilter("stg_roster", None, fy, fy)),
                       ("all FYs", DataFilter("stg_roster"))):
        cells, n = [], 0
        for kind in ("csv", "xlsx", "parquet"):
            make = analyst.download(kind, str(wh), flt, lang="ja", publication=False,
                                    threshold=5, bureau_names={}, principal=access.LOCAL)
            start = time.perf_counter()
            try:
                data = make()
            except analyst.OverBudget:
                cells.append("over budget")
                continue
            cells.append(f"{time.perf_counter() - start:.2f} s, {len(data) / 2**20:,.0f} MB")
            if kind == "parquet":
                import io

                import polars as pl

                n = pl.read_parquet(io.BytesIO(data)).height
        t.add_row(f"{label}: {n:,}", *cells)
    console.print(t)


def main(staff: int, workdir: Path | None, pages: bool) -> int:
    tmp = Path(workdir or tempfile.mkdtemp(prefix="dtp-bench-"))
    raw = tmp / "raw"
    py = sys.executable
    console.print(f"Generating {staff:,} staff into {raw} …")
    gen_s, gen_mb = _run([py, "-m", "pipelines", "sample", "--out", str(raw),
                          "--staff", str(staff)])
    size_mb = sum(f.stat().st_size for f in raw.glob("*.csv")) / 2**20
    rows = sum(f.read_bytes().count(b"\n") - 1 for f in raw.glob("*.csv"))
    console.print(f"  {rows:,} rows, {size_mb:,.0f} MB of CSV in {gen_s:.1f} s")

    base_db = tmp / "duckdb_load.duckdb"
    base_db.unlink(missing_ok=True)
    load_s, load_mb = _run([py, "-c", DUCKDB_LOAD, str(raw), str(base_db)])
    wh = tmp / "warehouse.duckdb"
    build_s, build_mb = _run([py, "-m", "pipelines", "build", "--raw", str(raw),
                              "--warehouse", str(wh)])

    t = Table(title=f"Build benchmark, {staff:,} staff ({rows:,} rows)")
    for col in ("step", "seconds", "peak MB"):
        t.add_column(col, justify="right" if col != "step" else "left")
    t.add_row("(a) DuckDB read_csv load", f"{load_s:.2f}", f"{load_mb:,.0f}")
    t.add_row("(b) pipelines build (validation incl.)", f"{build_s:.2f}", f"{build_mb:,.0f}")
    console.print(t)
    console.print(f"ratio b/a = {build_s / load_s:.2f}  (goal ≤ 1.5)")

    _exports(wh, staff)
    if pages:
        from pipelines.bench_pages import time_pages

        sample_wh = tmp / "sample.duckdb"
        _run([py, "-m", "pipelines", "build", "--raw", str(ROOT / "data" / "raw"),
              "--warehouse", str(sample_wh)])
        small = time_pages(sample_wh)
        large = time_pages(wh)
        pt = Table(title="Page render (AppTest, median seconds)")
        for col in ("page", "sample", f"{staff:,} staff", "ratio"):
            pt.add_column(col, justify="right" if col != "page" else "left")
        for page, s in small.items():
            pt.add_row(page, f"{s:.3f}", f"{large[page]:.3f}", f"{large[page] / s:.2f}")
        console.print(pt)
        worst = max(large[p] / small[p] for p in small)
        console.print(f"worst page ratio = {worst:.2f} (goal ≤ 1.25); slowest page at "
                      f"{staff:,} staff = {max(large.values()):.3f} s (goal < 0.5 s)")
    console.print(f"(files kept in {tmp})")
    return 0
