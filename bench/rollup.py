"""Benchmark of the roll-up (issue 17): ``python -m bench.rollup [--packs 24] [--pack DIR]``.

One real publication pack (``--pack``; default: published from the sample warehouse with
``--organisation MIC``) is cloned into N organisations' packs (every file, the organisation's
code changed in each, checksums recomputed: what ``rollup`` reads and verifies), then
``python -m pipelines rollup`` runs on all of them in a fresh process: wall time and peak
memory (the child's VmHWM). Also (issue 28): accepting one pack (the intake's own time)
and refusing an oversized one (a 2,000,000-row kpi.csv) in a fresh process.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def _rehash(out: Path, meta: dict) -> None:
    meta["files"] = {p.name: hashlib.sha256(p.read_bytes()).hexdigest()
                     for p in sorted(out.iterdir()) if p.name != "publication.json"}
    (out / "publication.json").write_text(json.dumps(meta, ensure_ascii=False),
                                          encoding="utf-8")


def clone(pack: Path, code: str, out: Path) -> Path:
    """``pack`` as organisation ``code``'s: every file of it (the intake holds kpi.csv,
    kpi_pace.csv, public.duckdb and publication.xlsx to one story), the code changed in each."""
    import duckdb

    out.mkdir(parents=True)
    meta = json.loads((pack / "publication.json").read_text(encoding="utf-8"))
    old = meta["organisation"]["code"]
    for src in pack.iterdir():
        if src.name == "publication.json":
            continue
        if src.suffix == ".csv":
            text = src.read_bytes().decode("utf-8-sig")
            head, _, body = text.partition("\n")
            body = "\n".join(code + line[len(old):] if line.startswith(old + ",") else line
                             for line in body.split("\n"))
            (out / src.name).write_bytes(("\ufeff" + head + "\n" + body).encode("utf-8"))
        elif src.name == "publication.xlsx":  # the code is one shared string of the workbook
            with zipfile.ZipFile(src) as zin, zipfile.ZipFile(out / src.name, "w",
                                                              zipfile.ZIP_DEFLATED) as zout:
                for info in zin.infolist():
                    data = zin.read(info)
                    if info.filename == "xl/sharedStrings.xml":
                        data = data.replace(f"<t>{old}</t>".encode(), f"<t>{code}</t>".encode())
                    zout.writestr(info, data)
        elif src.name == "public.duckdb":
            shutil.copy(src, out / src.name)
            with duckdb.connect(str(out / src.name)) as con:
                con.execute("UPDATE publication_meta SET organisation = ?", [code])
        else:
            shutil.copy(src, out / src.name)
    meta["organisation"] = {**meta["organisation"], "code": code}
    _rehash(out, meta)
    return out


def oversized(pack: Path, out: Path, rows: int = 2_000_000) -> Path:
    """A clone of ``pack`` whose kpi.csv holds ``rows`` well-formed rows (invented bureaus),
    every sha256 recomputed: what the intake must refuse from ``stat``, without parsing."""
    clone(pack, "BIG", out)
    head = (out / "kpi.csv").read_bytes().split(b"\n", 1)[0] + b"\n"
    line = "BIG,digital_hires,2020,B{0:07d},局{0},Bureau {0},1,1,,,,,no_target,\r\n"
    with open(out / "kpi.csv", "wb") as f:
        f.write(head)
        for start in range(0, rows, 100_000):
            f.write("".join(line.format(i) for i in range(start, start + 100_000))
                    .encode("utf-8"))
    meta = json.loads((out / "publication.json").read_text(encoding="utf-8"))
    _rehash(out, meta)
    return out


# Accepting one pack: release.intake.check_pack in-process, warm, the median of 7 (the intake's
# own cost, without the interpreter's start-up and imports)
_ACCEPT = ("import statistics, sys, time\nfrom release.intake import check_pack\n"
           "check_pack(sys.argv[1])\nwall, cpu = [], []\nfor _ in range(7):\n"
           "    t, c = time.perf_counter(), time.process_time()\n"
           "    check_pack(sys.argv[1])\n"
           "    wall.append(time.perf_counter() - t); cpu.append(time.process_time() - c)\n"
           "print(statistics.median(wall), statistics.median(cpu))")


def accept_one(pack: Path) -> tuple[float, float]:
    """(wall, CPU) seconds of accepting ``pack``: CPU time (every thread of the process) is
    what the checks cost; wall time on the shared machine also holds the waits for a core."""
    done = subprocess.run([sys.executable, "-c", _ACCEPT, str(pack)], cwd=ROOT, check=True,
                          capture_output=True, text=True)
    wall, cpu = done.stdout.strip().splitlines()[-1].split()
    return float(wall), float(cpu)


def refuse_oversized(pack: Path, work: Path) -> tuple[float, float, int]:
    """``python -m pipelines rollup`` on the pack and an oversized clone, in a fresh process:
    (wall seconds, that process's peak MB, its exit code)."""
    big = oversized(pack, work / "big")
    t = time.perf_counter()
    done = subprocess.run([sys.executable, "-c", _CHILD, "rollup", "--out",
                           str(work / "r.duckdb"), str(pack), str(big)], cwd=ROOT,
                          capture_output=True, text=True)
    secs = time.perf_counter() - t
    return secs, int(done.stdout.strip().splitlines()[-1]) / 1024, done.returncode


# ``python -m pipelines rollup`` in a fresh interpreter that prints its own peak memory last
# in KB: VmHWM, the high-water mark of this process image alone (Linux keeps ru_maxrss across
# exec, so RUSAGE_SELF would report the bench's own peak when it is larger)
_CHILD = ("import resource, sys\nfrom pipelines.__main__ import main\nrc = main(sys.argv[1:])\n"
          "hwm = [int(x.split()[1]) for x in open('/proc/self/status') if x.startswith('VmHWM')]\n"
          "print(hwm[0] if hwm else resource.getrusage(resource.RUSAGE_SELF).ru_maxrss)\n"
          "sys.exit(rc)")


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
    p.add_argument("--store", type=int, nargs=2, default=None, metavar=("ORGS", "MONTHS"),
                   help="also the roll-up store (issue 24): accept one pack, the file of "
                        "ORGS organisations x MONTHS months, a page on it")
    p.add_argument("--reuse-store", type=Path, default=None, metavar="DIR",
                   help="with --store: the store in DIR (made there the first time, kept: "
                        "making 1,700 x 12 takes a long time)")
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
        wall, cpu = accept_one(pack)
        print(f"accepting one pack ({rows:,} kpi rows; release.intake.check_pack, warm, median "
              f"of 7): {wall * 1000:.0f} ms wall, {cpu * 1000:.0f} ms CPU "
              f"(load average {os.getloadavg()[0]:.1f})")
        secs, mb, rc = refuse_oversized(pack, work / "big")
        print(f"refusing an oversized pack (kpi.csv of 2,000,000 rows, hashes recomputed) with "
              f"python -m pipelines rollup: exit {rc}, {secs:.2f} s, peak memory {mb:,.0f} MB")
        shutil.rmtree(work / "big", ignore_errors=True)
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
        if args.store:
            from bench import rollup_store

            rollup_store.run(pack, work / "store", *args.store, _CHILD,
                             store=args.reuse_store)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
