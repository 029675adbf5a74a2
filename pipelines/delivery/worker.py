"""The delivery worker: validates a delivery and builds its candidate, in its own process
(``python -m pipelines.delivery.worker --store DIR --warehouse FILE ID``, started by
``flow.spawn``), never in a Streamlit script thread.

It holds the delivery's ``.worker.lock`` while it lives (a killed worker releases it: the
delivery then reads as interrupted), waits for ``.queue.lock`` (one validation at a time),
links the candidate's raw set (uploaded files + the live raw set's other files), runs the
build into ``candidate.duckdb`` (the live warehouse's run history carried over), compares it
with the live warehouse (``changes.compare``, stored) and writes the result on disk. The live
warehouse is only read.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import shutil
import sys
import time
from pathlib import Path

import polars as pl

from pipelines.delivery import flow, versions
from pipelines.delivery.store import DIR_MODE, FILE_MODE, Store, flock
from pipelines.origin import sha256
from pipelines.raw import InputError

_PHASE_OF_STEP = {"read": "read", "validate": "validate", "warehouse": "warehouse",
                  "done": "changes"}


def _report(messages: list[str], results: list, severity: str) -> pl.DataFrame:
    """The report table: the failed rules as the CLI words them, plus any other line."""
    rows, covered = [], set()
    for r in results:
        covered.add(r.message())
        rows.append({"file": r.file, "column": r.rule.column, "rule": r.rule.text,
                     "rows": ", ".join(map(str, r.rows)), "count": r.unexpected_count,
                     "severity": severity, "message": r.message()})
    for m in messages:
        if m in covered:
            continue
        file, _, rest = m.partition(": ")
        if not file.endswith((".csv", ".json")):
            file, rest = "", m
        rows.append({"file": file, "column": "", "rule": rest, "rows": "", "count": None,
                     "severity": severity, "message": m})
    return pl.DataFrame(rows, schema={c: pl.Int64 if c == "count" else pl.String
                                      for c in flow.REPORT_COLUMNS})


def _link_raw(st: Store, folder: Path, d: flow.Delivery) -> tuple[list[dict], list[str]]:
    """The candidate's raw folder: the uploaded files, and the live raw set's other files.
    Returns the delivery's file list (carried-over files added) and what could not be
    carried over."""
    raw = folder / "raw"
    shutil.rmtree(raw, ignore_errors=True)
    raw.mkdir(mode=DIR_MODE)
    files = [f for f in d.files if f.get("uploaded")]
    have = {f["file"] for f in files}
    live_raw, missing = versions.live_raw_set(st)
    for name, sha in sorted(live_raw.items()):
        if name not in have:
            files.append({"file": name, "sha256": sha, "rows": None,
                          "bytes": st.blob(sha).stat().st_size, "uploaded": False})
    for f in files:
        st.link_blob(f["sha256"], raw / f["file"])
    return files, [m for m in missing if m not in have]


def _hold(folder: Path, phase: str) -> None:
    """For tests: ``DTP_WORKER_HOLD=<phase>`` (e.g. ``validate``) holds the worker at the start
    of that phase, its progress written, until ``<delivery>/.resume`` exists (at most 10
    minutes), so a test acts on a worker that is certainly mid-way."""
    if os.environ.get("DTP_WORKER_HOLD") != phase:
        return
    deadline = time.monotonic() + 600
    while not (folder / ".resume").exists() and time.monotonic() < deadline:
        time.sleep(0.05)


def run_delivery(st: Store, delivery_id: str, lock_fd: int | None = None) -> str:
    """Validate and build one delivery; returns its state afterwards."""
    from pipelines.warehouse import BuildBusy, DiskFull, build

    folder = flow._folder(st, delivery_id)
    with contextlib.ExitStack() as stack:
        if lock_fd is None and not stack.enter_context(
                flock(folder / ".worker.lock", blocking=False, patience=1.0)):
            return "validating"  # another worker has it
        flow._progress(folder, "queued")
        stack.enter_context(flock(st.root / ".queue.lock"))
        d = flow.get(st, delivery_id)
        if d.state != "validating":
            return d.state  # withdrawn meanwhile
        flow._progress(folder, "intake")
        live = st.live if st.live.exists() else None
        live_sha = versions.live_sha(st) if live else None
        lv = versions.live_version(st) if live else None
        files, missing = _link_raw(st, folder, d)
        candidate = folder / "candidate.duckdb"

        def step(msg: str) -> None:
            key, _, detail = msg.partition(":")
            phase = _PHASE_OF_STEP.get(key, key)
            flow._progress(folder, phase, detail)
            _hold(folder, phase)

        report, state, reason, res = None, "valid", None, None
        try:
            res = build(folder / "raw", candidate, step, history=live)
        except InputError as exc:
            state, reason = "rejected", "input"
            extra = [f"{m}: not in this delivery, and the live version's copy is not "
                     "available (deliver it too)" for m in missing]
            report = _report(extra + exc.messages, exc.results, "error")
        except (BuildBusy, DiskFull, OSError) as exc:
            state, reason = "rejected", "build"
            report = _report([f"the candidate could not be built: {exc}"], [], "error")
        changes = None
        if res is not None:
            os.chmod(candidate, FILE_MODE)
            flow._progress(folder, "changes")
            from pipelines.delivery.changes import compare

            changes = compare(live, candidate)
            changes.save(folder / "changes")
            for f in files:
                name = f["file"].removesuffix(".csv")
                if name in res.rows:
                    f["rows"] = res.rows[name]
            report = _report(res.warnings, [], "warning")
        report.write_parquet(folder / "report.parquet")
        flow._chmod_tree(folder)

        def finish(x: flow.Delivery) -> None:
            x.files = files
            x.live_sha256, x.live_version = live_sha, lv.number if lv else None
            if res is not None:
                x.run_id, x.candidate_sha256 = res.run_id, sha256(candidate)
                x.as_of_date = None if res.as_of is None else str(res.as_of)
                x.summary = {lang: changes.summary(lang) for lang in ("ja", "en")}
            x.reason = reason

        try:
            d = flow._transition_to(st, delivery_id, ("validating",), state, None, reason,
                                    extra=finish)
        except flow.Refused:
            candidate.unlink(missing_ok=True)  # withdrawn while it ran
            return flow.get(st, delivery_id).state
        flow._progress(folder, "done")
    flow._audit("validation", d.by, ("worker",), d, result=state,
                errors=0 if state == "valid" else report.height)
    return d.state


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m pipelines.delivery.worker")
    p.add_argument("--store", type=Path, required=True)
    p.add_argument("--warehouse", type=Path, required=True)
    p.add_argument("--lock-fd", type=int, default=None)
    p.add_argument("--nice", type=int, default=0,
                   help="lower this process's CPU priority (the page's workers: 10), so the "
                        "server's page visits go first while a validation runs")
    p.add_argument("delivery_id")
    args = p.parse_args(argv)
    if args.nice > 0:
        os.nice(args.nice)
    st = Store(args.store, args.warehouse)
    state = run_delivery(st, args.delivery_id, args.lock_fd)
    print(f"{args.delivery_id}: {state}", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
