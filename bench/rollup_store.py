"""Benchmark of the roll-up store (issue 24): ``python -m bench rollup --store ORGS MONTHS``.

* accepting one pack into a store (``release.rollup_store.accept``: the intake validation, the
  store's check, the Parquet partition and the log line), warm, the median of 7, in a fresh
  process (goal ≤ 0.2 s);
* a store of ORGS organisations × MONTHS months, made from that real accepted partition (each
  clone's ``organisation`` and ``month`` rewritten, one log line each: what ``accept`` writes),
  then ``python -m pipelines rollup --store … --out …`` in a fresh process: wall time and peak
  memory (goal for 1,700 × 12: ≤ 10 s, ≤ 1 GB);
* a roll-up page on that file: the compare page (AppTest, fresh process), its first run and a
  rerun (goal ≤ 1 s).
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

_ACCEPT = """
import statistics, sys, time
from pathlib import Path
from release.rollup_store import accept
pack, store = Path(sys.argv[1]), Path(sys.argv[2])
accept(pack, store)
ts = []
for _ in range(7):
    t = time.perf_counter(); accept(pack, store); ts.append(time.perf_counter() - t)
print(statistics.median(ts))
"""

_PAGE = """
import os, sys, time
from streamlit.testing.v1 import AppTest
os.environ["DTP_WAREHOUSE"] = sys.argv[1]
os.environ["DTP_EDITION"] = "rollup"
at = AppTest.from_file("dashboard/app.py", default_timeout=600)
t = time.perf_counter(); at.run(); first = time.perf_counter() - t
assert not at.exception, [e.value for e in at.exception]
t = time.perf_counter(); at.run(); again = time.perf_counter() - t
print(first, again)
"""


def accept_one(pack: Path, work: Path) -> float:
    done = subprocess.run([sys.executable, "-c", _ACCEPT, str(pack), str(work / "one")],
                          cwd=ROOT, check=True, capture_output=True, text=True)
    return float(done.stdout.strip().splitlines()[-1])


def _months(n: int) -> list[str]:
    out, y, m = [], 2025, 12
    for _ in range(n):
        out.append(f"{y:04d}-{m:02d}")
        y, m = (y + 1, 1) if m == 12 else (y, m + 1)
    return out


def fill(pack: Path, store: Path, orgs: int, months: int) -> float:
    """The store of ``orgs`` × ``months`` partitions cloned from one accepted pack (each part's
    ``organisation`` and ``month`` rewritten; written by one DuckDB COPY … PARTITION_BY per
    part, then each file moved where ``accept`` puts it), one log line each; seconds."""
    import duckdb

    from release import rollup_store as rs

    t = time.perf_counter()
    first = rs.accept(pack, store / ".seed").record
    seed = store / ".seed" / first["stored"]
    stamp = "20261201T000000000000Z"
    con = duckdb.connect()
    con.execute("SET preserve_insertion_order = false")
    con.execute("CREATE TABLE o AS SELECT printf('O%04d', i) AS organisation FROM range($n) "
                "t(i)", {"n": orgs})
    con.execute("CREATE TABLE m AS SELECT unnest($m) AS month", {"m": _months(months)})
    for part in sorted(seed.glob("*.parquet")):
        tmp = store / f".copy-{part.stem}"
        cols = con.sql("SELECT * FROM read_parquet($p, hive_partitioning = false) LIMIT 0",
                       params={"p": str(part)}).columns
        # p.*: the part's own columns only (not the partition folders', nor o's and m's)
        con.execute(
            "COPY (SELECT p.* REPLACE (o.organisation AS organisation"
            + (", m.month AS month" if "month" in cols else "")
            + "), m.month AS __month, o.organisation AS __org FROM read_parquet($p, "
            "hive_partitioning = false) p CROSS JOIN o CROSS JOIN m) TO '"
            + str(tmp).replace("'", "''")
            + "' (FORMAT parquet, PARTITION_BY (__month, __org))", {"p": str(part)})
        for f in tmp.glob("__month=*/__org=*/*.parquet"):
            month, org = f.parent.parent.name.split("=")[1], f.parent.name.split("=")[1]
            dest = store / f"month={month}" / f"organisation={org}" / stamp
            dest.mkdir(parents=True, exist_ok=True)
            f.rename(dest / part.name)
        shutil.rmtree(tmp)
    lines = [json.dumps({**first, "month": month, "organisation": f"O{i:04d}",
                         "stored": f"month={month}/organisation=O{i:04d}/{stamp}",
                         "replaces": None})
             for month in _months(months) for i in range(orgs)]
    (store / rs.LOG).write_text("\n".join(lines) + "\n", encoding="utf-8")
    shutil.rmtree(store / ".seed", ignore_errors=True)
    return time.perf_counter() - t


def build(store: Path, out: Path, child: str) -> tuple[float, float]:
    t = time.perf_counter()
    done = subprocess.run([sys.executable, "-c", child, "rollup", "--store", str(store),
                           "--out", str(out)], cwd=ROOT, check=True, capture_output=True,
                          text=True)
    return time.perf_counter() - t, int(done.stdout.strip().splitlines()[-1]) / 1024


def page(out: Path) -> tuple[float, float]:
    done = subprocess.run([sys.executable, "-c", _PAGE, str(out)], cwd=ROOT, check=True,
                          capture_output=True, text=True)
    first, again = done.stdout.strip().splitlines()[-1].split()
    return float(first), float(again)


def run(pack: Path, work: Path, orgs: int, months: int, child: str,
        store: Path | None = None) -> None:
    """``store``: a store made by an earlier run (``--reuse-store DIR``; made there when it
    does not exist yet, and kept)."""
    import os

    print(f"accepting one pack into the store (validation, Parquet, log line; warm, median of "
          f"7): {accept_one(pack, work) * 1000:.0f} ms (load average "
          f"{os.getloadavg()[0]:.1f})")
    if store is None or not (store / "submissions.jsonl").is_file():
        store = store or work / "store"
        made = fill(pack, store, orgs, months)
        print(f"store of {orgs:,} organisations × {months} months made in {made:.0f} s")
    out = work / "rollup.duckdb"
    out.unlink(missing_ok=True)
    secs, mb = build(store, out, child)
    size = out.stat().st_size / 2**20
    print(f"roll-up file of every month, full build (python -m pipelines rollup --store, no "
          f"earlier file): {secs:.2f} s, peak memory {mb:,.0f} MB, {size:,.0f} MB on disk "
          f"(load average {os.getloadavg()[0]:.1f})")
    # the month's usual step: one more pack accepted, then the file built again from the
    # store onto its previous self (incremental: the changed organisation-month only)
    log = store / "submissions.jsonl"
    before = log.read_bytes()
    try:
        from release.rollup_store import accept

        month = accept(pack, store).record["month"]
        secs, mb = build(store, out, child)
        print(f"after accepting one more pack ({month}): the file again, incremental: "
              f"{secs:.2f} s, peak memory {mb:,.0f} MB, "
              f"{out.stat().st_size / 2**20:,.0f} MB on disk (load average "
              f"{os.getloadavg()[0]:.1f})")
    finally:  # the store as it was (a kept --reuse-store is measured the same next time)
        log.write_bytes(before)
    first, again = page(work / "rollup.duckdb")
    print(f"compare page on that file (AppTest): first run {first:.2f} s, rerun {again:.2f} s")
