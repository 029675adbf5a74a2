"""``python -m bench.pace_history WAREHOUSE [--repeat K]``: the pace's share of a build, and the
track record's (kpi_pace_history) share of that, timed on a copy of a built warehouse.

The copy gets the build's temp tables back (as_of, metric_catalogue, the ``done`` view, the
macros), loses its kpi_pace* tables, and runs ``pace.build`` K times with the build's DuckDB
settings; each phase's wall and CPU seconds (user + sys of this process, DuckDB's threads
included) are printed, best of K. Issue 30: docs/PERFORMANCE.md.
"""

from __future__ import annotations

import argparse
import resource
import shutil
import sys
import tempfile
import time
from pathlib import Path

import duckdb


def _cpu() -> float:
    r = resource.getrusage(resource.RUSAGE_SELF)
    return r.ru_utime + r.ru_stime


def main(argv: list[str] | None = None) -> int:
    from pipelines import pace, sql
    from pipelines.schema import METRICS
    from pipelines.warehouse import DUCKDB_MEMORY_LIMIT

    p = argparse.ArgumentParser(prog="python -m bench.pace_history")
    p.add_argument("warehouse", type=Path)
    p.add_argument("--repeat", type=int, default=3)
    args = p.parse_args(argv)
    # imported before timing, as in the build (GX has imported SciPy by then)
    import scipy.stats  # noqa: F401
    import statsmodels.stats.proportion  # noqa: F401
    best: dict[str, tuple[float, float]] = {}
    with tempfile.TemporaryDirectory() as tmp:
        copy = Path(tmp) / "wh.duckdb"
        shutil.copyfile(args.warehouse, copy)
        for _ in range(args.repeat):
            con = duckdb.connect(str(copy), config={
                "memory_limit": DUCKDB_MEMORY_LIMIT, "preserve_insertion_order": False})
            con.execute(sql.MACROS)
            for t in ("kpi_pace", "kpi_pace_curve", "kpi_pace_history"):
                con.execute(f"DROP TABLE IF EXISTS {t}")
            con.execute("CREATE TEMP TABLE as_of AS SELECT as_of_date, as_of_fy FROM "
                        "pipeline_runs ORDER BY started_at DESC LIMIT 1")
            con.execute("CREATE TEMP TABLE metric_catalogue (metric VARCHAR, is_rate BOOLEAN, "
                        "by_bureau BOOLEAN)")
            con.executemany("INSERT INTO metric_catalogue VALUES (?, ?, ?)",
                            [(m.code, m.is_rate, m.by_bureau) for m in METRICS])
            con.execute(sql.COMPLETED)
            marks: list[tuple[str, float, float]] = []
            real = pace._insert

            def timed(c, table, cols, rows, _real=real, _marks=marks):
                _real(c, table, cols, rows)
                _marks.append((table, time.perf_counter(), _cpu()))

            pace._insert = timed
            t0, c0 = time.perf_counter(), _cpu()
            try:
                pace.build(con)
            finally:
                pace._insert = real
            (_, t1, c1), (_, t2, c2) = marks
            for name, wall, cpu in (("kpi_pace_curve + kpi_pace", t1 - t0, c1 - c0),
                                    ("kpi_pace_history", t2 - t1, c2 - c1),
                                    ("pace.build total", t2 - t0, c2 - c0)):
                if name not in best or wall < best[name][0]:
                    best[name] = (wall, cpu)
            n = con.execute("SELECT count(*) FROM kpi_pace_history").fetchone()[0]
            con.close()
    print(f"kpi_pace_history rows: {n}")
    for name, (wall, cpu) in best.items():
        print(f"{name:28s} wall {wall:6.2f} s  CPU {cpu:6.2f} s  (best of {args.repeat})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
