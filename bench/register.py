"""``python -m bench register [--months 12] [--raw DIR] [--workdir DIR]`` — publishing through
the release register month after month (issue 23): the raw data cut on the 10th of each of
the last N months (``pipelines.sample.cut``), each cut built, then published through one
register after the months before it. Printed per month: the CPU seconds of the publish
(protection, audit, files, record) and the ratio to the baseline measured in the same run —
the same month published with an empty register (one release alone). Goal: the last month,
with N − 1 releases in the register, ≤ 2 × one release.
"""

from __future__ import annotations

import argparse
import datetime as dt
import tempfile
import time
from pathlib import Path

from rich.console import Console
from rich.table import Table

ROOT = Path(__file__).resolve().parent.parent
console = Console(highlight=False)


def _months(last: dt.date, n: int) -> list[dt.date]:
    out, y, m = [], last.year, last.month
    for _ in range(n):
        out.append(dt.date(y, m, 10))
        y, m = (y, m - 1) if m > 1 else (y - 1, 12)
    return out[::-1]


def _publish(wh: Path, out: Path, releases: Path) -> tuple[float, float, int]:
    from release import publication

    t0, c0 = time.perf_counter(), time.process_time()
    pack = publication.write_pack(wh, out, 5, releases=releases)
    return time.process_time() - c0, time.perf_counter() - t0, pack.release.stats["withheld"]


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m bench register", description=__doc__)
    p.add_argument("--months", type=int, default=12, help="releases in the register (12)")
    p.add_argument("--raw", type=Path, default=ROOT / "data" / "raw",
                   help="the raw data to cut (default: the shipped sample)")
    p.add_argument("--workdir", type=Path, default=None, help="default: a new temp folder")
    args = p.parse_args(argv)
    if args.months < 1:
        p.error("--months must be at least 1")
    from pipelines.sample.cut import cut
    from pipelines.warehouse import build

    work = args.workdir or Path(tempfile.mkdtemp(prefix="bench-register-"))
    import polars as pl

    last = max(str(pl.read_csv(args.raw / f"{name}.csv", infer_schema=False)[col].max())
               for name, col in (("hiring", "hire_date"), ("certification", "exam_date"),
                                 ("phishing_drills", "sent_on")))
    days = _months(dt.date.fromisoformat(last), args.months)
    console.print(f"{len(days)} monthly cuts of {args.raw}: {days[0]} … {days[-1]} in {work}")
    whs = []
    for day in days:
        wh = work / f"{day}.duckdb"
        if not wh.exists():
            build(cut(args.raw, day, work / f"raw-{day}"), wh)
        whs.append(wh)
    base_cpu, base_wall, base_withheld = _publish(whs[-1], work / "alone" / "pack",
                                                  work / "alone" / "releases")
    t = Table(title="Publish through the register (baseline: the last month alone, "
                    f"{base_cpu:.1f} CPU s, {base_withheld:,} withheld)")
    for col in ("release", "earlier in register", "CPU s", "wall s", "withheld",
                "× one release"):
        t.add_column(col, justify="right")
    releases = work / "releases"
    for k, (day, wh) in enumerate(zip(days, whs, strict=True)):
        cpu, wall, withheld = _publish(wh, work / f"pack-{day}", releases)
        t.add_row(day.isoformat(), str(k), f"{cpu:.1f}", f"{wall:.1f}", f"{withheld:,}",
                  f"{cpu / base_cpu:.2f}")
        console.print(f"  {day}: {k} earlier, {cpu:.1f} CPU s ({cpu / base_cpu:.2f}×)")
    console.print(t)
    console.print("goal: the last row ≤ 2 × one release")
    return 0
