"""``python -m bench deliveries [--staff N] [--workdir DIR]`` — the data deliveries' speed
(issue 22), also run at the end of ``python -m bench``:

(a) ``python -m pipelines build`` of the sample's next month into a scratch warehouse (no
    store: the plain build);
(b) ``python -m pipelines delivery propose --raw <next month>`` against the live warehouse of
    the month before: intake (files stored by sha256), the same build as a candidate, the
    comparison with the live warehouse (``changes.compare``, stored) — goal b/a ≤ 1.1;
(c) the changes view once the candidate is built: what the page does (read the stored
    comparison, the summary line, the flips, every changed kpi cell and the pace table in its
    language) — goal ≤ 3 s; and ``changes.compare`` itself, timed on its own;
(d) approving it: the build lock, the durable swap of a copy, the version recorded;
(e) another session's page visit (the Hiring page rerun, AppTest) while a delivery's worker
    process validates, against the same visit idle — goal ≤ 1.5×.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from rich.console import Console
from rich.table import Table

ROOT = Path(__file__).resolve().parent.parent
console = Console(highlight=False)


def _timed(cmd: list[str], env: dict[str, str]) -> tuple[float, str]:
    t0 = time.perf_counter()
    r = subprocess.run(cmd, cwd=ROOT, env=env, capture_output=True, text=True)
    if r.returncode not in (0,):
        raise RuntimeError(f"{' '.join(cmd)} failed ({r.returncode}): {r.stderr[-2000:]}")
    return time.perf_counter() - t0, r.stdout


def run(staff: int, workdir: Path | None = None, raw: Path | None = None,
        seed: int | None = None) -> dict[str, float]:
    from pipelines import sample

    tmp = Path(workdir or tempfile.mkdtemp(prefix="dtp-bench-dlv-"))
    tmp.mkdir(parents=True, exist_ok=True)
    seed = sample.DEFAULT_SEED if seed is None else seed
    py = sys.executable
    env = {**os.environ, "DTP_DELIVERIES": str(tmp / "store"),
           "DTP_AUDIT_LOG": str(tmp / "audit.jsonl")}
    if raw is None:
        raw = tmp / "raw"
        if not (raw / "roster.csv").exists():
            console.print(f"generating the sample at {staff:,} staff …")
            _timed([py, "-m", "pipelines", "sample", "--out", str(raw), "--staff", str(staff),
                    "--seed", str(seed)], env)
    nxt = tmp / "next"
    if not (nxt / "roster.csv").exists():
        console.print("generating its next month …")
        _timed([py, "-m", "pipelines", "sample", "--next-month", "--out", str(nxt), "--staff",
                str(staff), "--seed", str(seed)], env)
    live = tmp / "live.duckdb"
    for p in (live, tmp / "scratch.duckdb"):
        p.unlink(missing_ok=True)
    console.print("building the live warehouse (the month before) …")
    _timed([py, "-m", "pipelines", "build", "--raw", str(raw), "--warehouse", str(live)], env)
    plain_env = {k: v for k, v in env.items() if k != "DTP_DELIVERIES"}
    a, _ = _timed([py, "-m", "pipelines", "build", "--raw", str(nxt), "--warehouse",
                   str(tmp / "scratch.duckdb")], plain_env)
    b, out = _timed([py, "-m", "pipelines", "delivery", "propose", "--raw", str(nxt), "--by",
                     "steward@example.go.jp", "--warehouse", str(live)], env)
    delivery_id = out.strip().splitlines()[-1]

    os.environ.update({"DTP_DELIVERIES": env["DTP_DELIVERIES"], "DTP_WAREHOUSE": str(live),
                       "DTP_AUDIT_LOG": env["DTP_AUDIT_LOG"]})
    from dashboard import deliveries as page
    from pipelines.delivery import changes, flow
    from pipelines.delivery.store import Store

    st = Store(None, live)
    t0 = time.perf_counter()
    ch = flow.changes_of(st, delivery_id)
    for lang in ("ja", "en"):
        ch.summary(lang)
        page.kpi_table(ch, lang, flips_only=True)
        page.kpi_table(ch, lang)
        page.pace_table(ch, lang)
        page.file_changes_table(ch, lang)
    view = (time.perf_counter() - t0) / 2
    t0 = time.perf_counter()
    changes.compare(live, flow.candidate_of(st, delivery_id))
    compare_s = time.perf_counter() - t0
    t0 = time.perf_counter()
    flow.approve(st, delivery_id, "approver@example.go.jp")
    approve_s = time.perf_counter() - t0

    idle, busy = _visits(st, nxt)

    t = Table(title=f"Data deliveries at {staff:,} staff (s)")
    for col in ("measure", "seconds", "goal"):
        t.add_column(col, justify="right" if col != "measure" else "left")
    t.add_row("(a) CLI build of the next month", f"{a:.2f}", "")
    t.add_row("(b) delivery propose: intake + validation + candidate + changes", f"{b:.2f}",
              f"b/a = {b / a:.2f} (≤ 1.1)")
    t.add_row("(c) changes view after the candidate (one language)", f"{view:.3f}", "≤ 3")
    t.add_row("    changes.compare alone (in (b))", f"{compare_s:.3f}", "")
    t.add_row("(d) approve: lock, durable swap of a copy, version", f"{approve_s:.2f}", "")
    t.add_row("(e) Hiring page visit idle / during a validation (median)",
              f"{idle:.3f} / {busy:.3f}", f"{busy / idle:.2f}× (≤ 1.5)")
    console.print(t)
    console.print(f"summary: {ch.summary('en')}")
    console.print(f"(files kept in {tmp})")
    return {"cli_build": a, "propose": b, "ratio": b / a, "view": view, "compare": compare_s,
            "approve": approve_s, "visit_idle": idle, "visit_busy": busy}


def _visits(st, nxt: Path, idle_runs: int = 7) -> tuple[float, float]:  # noqa: ANN001
    """Median rerun of the Hiring page (AppTest) idle, then while a delivery's worker (the
    page's way: a separate process at nice 10) validates the next month again."""
    import gc
    import statistics

    from streamlit.testing.v1 import AppTest

    from pipelines.delivery import flow

    at = AppTest.from_file(str(ROOT / "dashboard" / "app.py"), default_timeout=120)
    at.run()
    at.switch_page("views/hiring.py")
    at.run()

    def visit() -> float:
        gc.collect()
        t0 = time.perf_counter()
        at.run()
        return time.perf_counter() - t0

    idle = statistics.median(visit() for _ in range(idle_runs))
    d = flow.propose(st, nxt, "bench", "steward2@example.go.jp", run="spawn")
    busy_runs = []
    time.sleep(1.0)  # past the worker's start-up
    while flow.get(st, d.id).state == "validating":
        busy_runs.append(visit())
    return idle, statistics.median(busy_runs) if busy_runs else float("nan")


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m bench deliveries")
    p.add_argument("--staff", type=int, default=300_000)
    p.add_argument("--workdir", type=Path, default=None)
    p.add_argument("--raw", type=Path, default=None,
                   help="the month before (default: the sample generated at --staff)")
    args = p.parse_args(argv)
    if args.staff < 100:
        p.error("--staff must be at least 100")
    run(args.staff, args.workdir, args.raw)
    return 0
