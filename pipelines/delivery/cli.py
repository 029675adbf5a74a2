"""``python -m pipelines delivery …`` and ``python -m pipelines versions …`` (issue 22, item 7):
the same flow as the データ更新 page, for automation and checks.

    delivery propose --raw DIR|FILE.zip [--note TEXT] --by EMAIL   last line: the delivery id
    delivery list | show ID [--json] | changes ID --out FILE.csv
    delivery approve ID --by EMAIL | reject ID --by EMAIL --reason TEXT | withdraw ID --by EMAIL
    versions list | restore N --by EMAIL --reason TEXT

Every command takes ``--warehouse`` (and ``--store``, default ``DTP_DELIVERIES``). Exit codes:
0 ok, 1 refused or rejected, 2 usage (an unknown delivery or version id included). The CLI is
a shell on the server: approvals here are always four-eyes (``--by`` must not be the uploader).
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable
from pathlib import Path

from rich.console import Console

err = Console(stderr=True, highlight=False, soft_wrap=True)
out = Console(highlight=False, soft_wrap=True)


def add_parsers(sub: argparse._SubParsersAction, s: object) -> None:
    d = sub.add_parser("delivery", help="propose, inspect, approve or reject a data delivery")
    ds = d.add_subparsers(dest="action", required=True)
    v = sub.add_parser("versions", help="list or restore the live warehouse's versions")
    vs = v.add_subparsers(dest="action", required=True)

    def common(p: argparse.ArgumentParser) -> argparse.ArgumentParser:
        p.add_argument("--warehouse", type=Path, default=s.warehouse,
                       help=f"warehouse file ({s.warehouse})")
        p.add_argument("--store", type=Path, default=None,
                       help="delivery store (DTP_DELIVERIES, default data/deliveries)")
        return p

    p = common(ds.add_parser("propose", help="take a delivery: validate, build the candidate"))
    p.add_argument("--raw", type=Path, required=True, help="folder of CSVs, or one .zip")
    p.add_argument("--note", default="")
    p.add_argument("--by", required=True, metavar="EMAIL")
    common(ds.add_parser("list", help="every delivery, newest first"))
    p = common(ds.add_parser("show", help="state, report and the kpi changes"))
    p.add_argument("id")
    p.add_argument("--json", action="store_true")
    p = common(ds.add_parser("changes", help="the kpi changes as CSV"))
    p.add_argument("id")
    p.add_argument("--out", type=Path, required=True)
    p = common(ds.add_parser("approve", help="put a valid delivery live (not your own)"))
    p.add_argument("id")
    p.add_argument("--by", required=True, metavar="EMAIL")
    p.add_argument("--wait", type=float, default=30.0, metavar="SECONDS")
    p = common(ds.add_parser("reject", help="reject a delivery (a reason is required)"))
    p.add_argument("id")
    p.add_argument("--by", required=True, metavar="EMAIL")
    p.add_argument("--reason", required=True)
    p = common(ds.add_parser("withdraw", help="take back your own delivery"))
    p.add_argument("id")
    p.add_argument("--by", required=True, metavar="EMAIL")
    common(vs.add_parser("list", help="one line per version, newest first, N first"))
    p = common(vs.add_parser("restore", help="put back version N (a new version)"))
    p.add_argument("n", type=int, metavar="N")
    p.add_argument("--by", required=True, metavar="EMAIL")
    p.add_argument("--reason", required=True)
    p.add_argument("--wait", type=float, default=30.0, metavar="SECONDS")


def version_recorder(raw: Path, warehouse: Path) -> tuple[Callable, list[str]]:
    """The ``after_swap`` of ``python -m pipelines build``: record the new live warehouse as a
    version "CLI" (lock still held) — for the configured warehouse (DTP_WAREHOUSE), with
    DTP_DELIVERIES set, or when the warehouse's store exists already; a scratch warehouse
    elsewhere gets no store. A store that cannot be used is a warning, not a failed build.
    Returns the callback and the lines it leaves for the build's report."""
    lines: list[str] = []

    def record(res: object) -> None:
        from pipelines.delivery import versions
        from pipelines.delivery.store import Store, StoreError

        try:
            st = Store(None, warehouse)
            if not st.in_use():
                return  # a scratch warehouse (not DTP_WAREHOUSE, no store of its own yet)
            v = versions.record_cli(st, res, raw)
            lines.append(f"Recorded as version {v.number} in {st.root}")
        except (StoreError, OSError, ValueError) as exc:
            lines.append(f"warning: not recorded as a version (it cannot be restored later): "
                         f"{exc}")

    return record, lines


def _store(args: argparse.Namespace):  # noqa: ANN202
    from pipelines.delivery.store import Store

    return Store(args.store, args.warehouse)


def run(args: argparse.Namespace, parser: argparse.ArgumentParser) -> int:
    from pipelines.delivery import flow, intake, versions
    from pipelines.delivery.store import StoreError
    from pipelines.settings import SettingsError
    from pipelines.warehouse import BuildBusy, DiskFull

    try:
        st = _store(args)
        if args.command == "versions":
            return _versions(args, st)
        return _delivery(args, st)
    except (flow.UnknownDelivery, versions.UnknownVersion) as exc:
        err.print(str(exc), markup=False)
        return 2
    except intake.Rejected as exc:
        err.print("Delivery refused — nothing was stored:", markup=False)
        for line in exc.lines:
            err.print(f"  {line}", markup=False)
        return 1
    except flow.Refused as exc:
        err.print(f"Refused: {exc}", markup=False)
        return 1
    except (StoreError, SettingsError, BuildBusy, DiskFull, ValueError) as exc:
        err.print(f"Refused: {exc}", markup=False)
        return 1
    except OSError as exc:
        err.print(f"File system error (the live warehouse was not changed): {exc}",
                  markup=False)
        return 1


def _versions(args: argparse.Namespace, st) -> int:  # noqa: ANN001
    from pipelines.delivery import versions

    if args.action == "list":
        live = versions.live_version(st)
        for v in versions.list_versions(st):
            out.print(v.line() + ("  [live]" if live and v.number == live.number else ""),
                      markup=False)
        return 0
    if not args.reason.strip():
        err.print("Refused: a restore needs a reason (--reason TEXT)", markup=False)
        return 1
    v = versions.restore(st, args.n, args.by, args.reason, wait=args.wait)
    out.print(f"Restored version {args.n} as version {v.number} (run {v.run_id}); "
              f"{st.warehouse} is byte-identical to it", markup=False)
    return 0


def _delivery(args: argparse.Namespace, st) -> int:  # noqa: ANN001
    from pipelines.delivery import flow

    a = args.action
    if a == "propose":
        files = args.raw
        if args.raw.is_file():
            files = [(args.raw.name, args.raw.read_bytes())]
        d = flow.propose(st, files, args.note, args.by, run="inline")
        _print_delivery(st, d)
        out.print(d.id, markup=False)
        return 0 if d.state == "valid" else 1
    if a == "list":
        for d in flow.list_deliveries(st):
            out.print(f"{d.id}  {d.state:<11}  by {d.by}  {d.created_at}  "
                      f"{', '.join(d.uploaded)}", markup=False)
        return 0
    if a == "show":
        d = flow.get(st, args.id)
        if args.json:
            ch = flow.changes_of(st, d.id)
            obj = {k: getattr(d, k) for k in flow.Delivery.__dataclass_fields__}
            obj["report"] = flow.report_of(st, d.id).to_dicts()
            obj["changes"] = None if ch is None else {
                "summary": ch.summary("en"), "identical": ch.identical,
                "kpi": ch.kpi.to_dicts(), "pace": ch.pace.to_dicts(),
                "files": ch.files.to_dicts(), "dates": ch.dates.to_dicts(),
                "published": ch.published.to_dicts()}
            out.print(json.dumps(obj, ensure_ascii=False, default=str, indent=1),
                      markup=False, soft_wrap=True)
            return 0
        _print_delivery(st, d, kpi=True)
        return 0
    if a == "changes":
        d = flow.get(st, args.id)
        ch = flow.changes_of(st, d.id)
        if ch is None:
            err.print(f"Refused: delivery {d.id} has no changes ({d.state}): only a validated "
                      "delivery has", markup=False)
            return 1
        ch.csv_frame().write_csv(args.out, null_value="")
        out.print(f"Wrote {args.out} ({ch.kpi.height} kpi cells change)", markup=False)
        return 0
    if a == "approve":
        v = flow.approve(st, args.id, args.by, four_eyes=True, wait=args.wait)
        out.print(f"Approved {args.id}: live as version {v.number} (run {v.run_id})",
                  markup=False)
        return 0
    if a == "reject":
        d = flow.reject(st, args.id, args.by, args.reason)
        out.print(f"Rejected {d.id}", markup=False)
        return 0
    if a == "withdraw":
        d = flow.withdraw(st, args.id, args.by)
        out.print(f"Withdrew {d.id}", markup=False)
        return 0
    return 2


def _print_delivery(st, d, kpi: bool = False) -> None:  # noqa: ANN001
    from pipelines.delivery import flow

    out.print(f"Delivery {d.id}: {d.state} (by {d.by}, {d.created_at})", markup=False)
    for f in d.files:
        how = "uploaded" if f.get("uploaded") else "carried over"
        rows = "?" if f.get("rows") is None else f"{f['rows']:,}"
        out.print(f"  {f['file']:<22} {rows:>10} rows  {how:<12} sha256 {f['sha256']}",
                  markup=False)
    report = flow.report_of(st, d.id)
    if report.height:
        out.print(f"{report.height} report line(s):", markup=False)
        for m in report["message"]:
            out.print(f"  {m}", markup=False)
    ch = flow.changes_of(st, d.id)
    if ch is not None:
        out.print(f"Changes: {ch.summary('en')}", markup=False)
        if kpi:
            for r in ch.kpi.iter_rows(named=True):
                where = r["bureau_code"] or "(ministry)"
                out.print(f"  {r['metric']} FY{r['fiscal_year']} {where}:"
                          f" {r['value_before']} → {r['value_after']}, "
                          f"{r['status_before']} → {r['status_after']}", markup=False)
    if d.reason and d.state == "rejected":
        out.print(f"Reason: {d.reason}", markup=False)
    sys.stdout.flush()
