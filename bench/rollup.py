"""Benchmark of the roll-up (issue 17): ``python -m bench.rollup [--packs 24] [--pack DIR]``.

One real publication pack (``--pack``; default: published from the sample warehouse with
``--organisation MIC``) is cloned into N organisations' packs (kpi.csv and kpi_pace.csv with
the organisation's code, checksums in publication.json: what ``rollup`` reads and verifies;
the XLSX and public file are left out of the clones), then ``python -m pipelines rollup``
runs on all of them in a fresh process: wall time and peak memory (ru_maxrss of the child).
"""

from __future__ import annotations

import argparse
import hashlib
import json
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def clone(pack: Path, code: str, out: Path) -> Path:
    out.mkdir(parents=True)
    meta = json.loads((pack / "publication.json").read_text(encoding="utf-8"))
    old = meta["organisation"]["code"]
    files = {}
    for name in ("kpi.csv", "kpi_pace.csv"):
        if not (pack / name).exists():
            continue
        text = (pack / name).read_bytes().decode("utf-8-sig")
        head, _, body = text.partition("\n")
        body = "\n".join(code + line[len(old):] if line.startswith(old + ",") else line
                         for line in body.split("\n"))
        data = ("\ufeff" + head + "\n" + body).encode("utf-8")
        (out / name).write_bytes(data)
        files[name] = hashlib.sha256(data).hexdigest()
    meta["organisation"] = {"code": code, "name_ja": f"組織{code}", "name_en": code}
    meta["files"] = files
    (out / "publication.json").write_text(json.dumps(meta), encoding="utf-8")
    return out


# ``python -m pipelines rollup`` in a fresh interpreter that prints its own peak memory last
# (RUSAGE_SELF: the roll-up alone, not the publish that made the source pack)
_CHILD = ("import resource, sys\nfrom pipelines.__main__ import main\nrc = main(sys.argv[1:])\n"
          "print(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss)\nsys.exit(rc)")


def run(n: int, pack: Path, work: Path) -> tuple[float, float]:
    """Roll up ``n`` clones of ``pack``: (wall seconds, the roll-up process's peak MB)."""
    packs = [clone(pack, f"O{i:04d}", work / f"p{i:04d}") for i in range(n)]
    out = work / "rollup.duckdb"
    t = time.perf_counter()
    done = subprocess.run([sys.executable, "-c", _CHILD, "rollup", "--out", str(out),
                           *map(str, packs)], cwd=ROOT, check=True, capture_output=True,
                          text=True)
    secs = time.perf_counter() - t
    return secs, int(done.stdout.strip().splitlines()[-1]) / 1024


# The monthly design for 1,700+ organisations (docs/ROLLUP.md), simulated: each arriving pack
# is validated once (release.rollup.read_pack) and its rows written as a Parquet partition;
# the government-wide rows are one DuckDB GROUP BY over all partitions, in a fresh process
# that prints its own wall time and peak memory.
_GROUP = """
import resource, sys, time, duckdb
t = time.perf_counter()
con = duckdb.connect()
con.execute("SET threads = 2")
n = con.sql("SELECT count(*) FROM read_parquet($p, hive_partitioning = true)",
            params={"p": sys.argv[1]}).fetchall()[0][0]
rows = con.sql(\"\"\"
    SELECT metric, fiscal_year, count(*) AS parts, bool_and(flag = 'F') AS all_free,
           CASE WHEN bool_and(flag = 'F') THEN sum(numerator) END AS numerator,
           CASE WHEN bool_and(flag = 'F') THEN sum(denominator) END AS denominator
    FROM read_parquet($p, hive_partitioning = true) WHERE bureau_code IS NULL
    GROUP BY metric, fiscal_year\"\"\", params={"p": sys.argv[1]}).fetchall()
print(n, len(rows), time.perf_counter() - t,
      resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)
"""


def parquet(n: int, pack: Path, work: Path) -> dict[str, float]:
    """Simulate ``n`` organisations' packs arriving as Parquet partitions, then the ALL rows."""
    from release import rollup as rl

    problems: list[str] = []
    t = time.perf_counter()
    one = rl.read_pack(pack, problems)
    validate = time.perf_counter() - t
    assert one is not None, problems
    rows = rl.organisation_rows([one]).drop(rl.ORG_COLUMN)
    t = time.perf_counter()
    for i in range(n):
        part = work / "kpi" / f"organisation=O{i:04d}"
        part.mkdir(parents=True)
        rows.write_parquet(part / "part.parquet")
    write = (time.perf_counter() - t) / n
    done = subprocess.run([sys.executable, "-c", _GROUP, str(work / "kpi" / "*" / "*.parquet")],
                          cwd=ROOT, check=True, capture_output=True, text=True)
    total, groups, secs, mb = done.stdout.split()
    return {"rows": float(total), "groups": float(groups), "validate_s": validate,
            "write_s": write, "all_s": float(secs), "all_mb": float(mb)}


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m bench rollup")
    p.add_argument("--packs", type=int, nargs="+", default=[24])
    p.add_argument("--pack", type=Path, default=None)
    p.add_argument("--parquet", type=int, nargs="*", default=[],
                   help="also simulate the monthly Parquet design for these organisation counts")
    p.add_argument("--warehouse", type=Path, default=ROOT / "data" / "warehouse.duckdb")
    args = p.parse_args(argv)
    work = Path(tempfile.mkdtemp(prefix="dtp-bench-rollup-"))
    try:
        pack = args.pack
        if pack is None:
            pack = work / "MIC"
            subprocess.run([sys.executable, "-m", "pipelines", "publish", "--warehouse",
                            str(args.warehouse), "--out", str(pack), "--organisation", "MIC"],
                           cwd=ROOT, check=True, capture_output=True)
        rows = sum(1 for _ in (pack / "kpi.csv").open(encoding="utf-8-sig")) - 1
        for n in args.packs:
            secs, mb = run(n, pack, work / f"n{n}")
            print(f"roll-up of {n:>5} packs ({rows:,} kpi rows each, {n * rows:,} in all): "
                  f"{secs:6.2f} s, peak memory {mb:,.0f} MB")
            shutil.rmtree(work / f"n{n}", ignore_errors=True)
        for n in args.parquet:
            r = parquet(n, pack, work / f"pq{n}")
            print(f"Parquet design, {n:,} organisations: per arriving pack validate "
                  f"{r['validate_s'] * 1000:.0f} ms + write {r['write_s'] * 1000:.1f} ms; ALL "
                  f"rows ({r['groups']:,.0f}) over {r['rows']:,.0f} rows: {r['all_s']:.2f} s, "
                  f"peak memory {r['all_mb']:,.0f} MB")
            shutil.rmtree(work / f"pq{n}", ignore_errors=True)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
