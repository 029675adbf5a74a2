"""The roll-up's command line (issue 24, item 6): ``python -m pipelines rollup``, in its three
forms — ``--out FILE PACK_DIR...`` (one moment, from the packs alone), ``accept PACK_DIR --store
DIR`` (keep a pack for its month) and ``--store DIR --out FILE`` (every month of the store).

The roll-up's code is in ``release`` (``intake``, ``rollup``, ``rollup_store``), and so is its
command line: ``pipelines/__main__.py`` stays the one entry point ministries and the centre run
(``publish`` at home, ``rollup`` at the centre) and hands the ``rollup`` sub-command here, as it
hands ``delivery``/``versions`` to ``pipelines/delivery/cli.py``. Heavy imports (Polars, DuckDB)
stay inside the commands: ``rollup accept`` is timed (bench/rollup_store.py).

Exit codes: 0 success, 1 invalid input (a clear message, no stack trace), 2 usage error.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from rich.console import Console

# soft_wrap: one message per line even when output goes to a log (no wrapping at 80 columns)
err = Console(stderr=True, highlight=False, soft_wrap=True)
out = Console(highlight=False, soft_wrap=True)


def add_parser(sub: argparse._SubParsersAction) -> None:
    """The ``rollup`` sub-command's arguments (``pipelines/__main__._parser``)."""
    r = sub.add_parser(
        "rollup", help="combine the publication packs of several organisations into one "
        "roll-up DuckDB file (from the packs alone)",
        usage="%(prog)s --out FILE PACK_DIR [PACK_DIR ...]   (one moment)\n"
              "       %(prog)s accept PACK_DIR --store DIR   (keep a pack for its month)\n"
              "       %(prog)s --store DIR --out FILE        (every month of the store)")
    r.add_argument("--out", type=Path, default=None, help="the roll-up file to (re)write")
    r.add_argument("--store", type=Path, default=None, metavar="DIR",
                   help="the roll-up store: every organisation's pack, month after month")
    r.add_argument("--keys", type=Path, default=None, metavar="FILE",
                   help="the central keys file (TOML: organisation -> Ed25519 public keys): a "
                        "registered organisation's pack must be signed (default: "
                        "DTP_ROLLUP_KEYS, if set)")
    r.add_argument("--submitted-by", default=None, metavar="WHO",
                   help="accept: who sent the pack (recorded with it)")
    r.add_argument("--wait", type=float, default=0.0, metavar="SECONDS",
                   help="wait up to SECONDS for another roll-up of --out (or accept into "
                        "--store) to finish")
    r.add_argument("packs", type=Path, nargs="*", metavar="PACK_DIR",
                   help="publication packs (python -m pipelines publish --organisation …); "
                        "or `accept PACK_DIR`")


def run(args: argparse.Namespace, parser: argparse.ArgumentParser) -> int:
    """Run ``rollup`` in the form its arguments name (usage errors: ``parser.error``, exit 2)."""
    if args.wait < 0:
        parser.error("--wait must not be negative")
    if args.packs and args.packs[0] == Path("accept"):
        if len(args.packs) != 2 or args.store is None or args.out is not None:
            parser.error("usage: rollup accept PACK_DIR --store DIR")
        return cmd_rollup_accept(args.packs[1], args.store, args.submitted_by, args.wait,
                                 args.keys)
    if args.out is None:
        parser.error("the roll-up file: --out FILE")
    if args.store is not None:
        if args.packs:
            parser.error("--store DIR rolls up the store: no PACK_DIR with it")
        return cmd_rollup_store(args.store, args.out, args.wait)
    if not args.packs:
        parser.error("no PACK_DIR (or --store DIR)")
    return cmd_rollup(args.packs, args.out, args.wait, args.keys)


def _keys(path: Path | None) -> object | None:
    """The keys file of ``--keys`` (None: DTP_ROLLUP_KEYS, if set, is read by the intake);
    raises ``SigningError``."""
    if path is None:
        return None
    from release.signing import load_keys

    return load_keys(path)


def _rejected(out_file: Path, messages: list[str]) -> int:
    kept = "it was not changed" if out_file.exists() else "nothing was written"
    err.print(f"[bold red]Roll-up rejected[/] — {kept} ({out_file}):", markup=True)
    for m in messages:
        err.print(f"  {m}", markup=False)
    return 1


def cmd_rollup(packs: list[Path], out_file: Path, wait: float, keys: Path | None = None) -> int:
    import time

    from release.packfiles import preflight

    started = time.perf_counter()
    problems: list[str] = []
    preflight(packs, problems)  # lstat only, before Polars and DuckDB are even imported
    if problems:
        return _rejected(out_file, problems)

    from pipelines.warehouse import BuildBusy, DiskFull
    from release.rollup import Rejected, build_rollup
    from release.signing import SigningError

    try:
        res = build_rollup(packs, out_file, wait=wait, keys=_keys(keys))
    except SigningError as exc:
        err.print(f"Not rolled up — {out_file} was not changed: {exc}", markup=False)
        return 1
    except Rejected as exc:
        return _rejected(out_file, exc.messages)
    except (BuildBusy, DiskFull, OSError) as exc:
        err.print(f"Not rolled up — {out_file} was not changed: {exc}", markup=False)
        return 1
    out.print(f"Wrote {res.out} from {len(res.organisations)} packs "
              f"({', '.join(res.organisations)}; threshold {res.threshold}) in "
              f"{time.perf_counter() - started:.1f} s", markup=False)
    for name, n in res.rows.items():
        out.print(f"  {name}: {n:,} rows", markup=False)
    return 0


def cmd_rollup_store(store: Path, out_file: Path, wait: float) -> int:
    import time

    import duckdb

    from pipelines.warehouse import BuildBusy, DiskFull
    from release.rollup_store import Rejected, build_from_store

    started = time.perf_counter()
    try:
        res = build_from_store(store, out_file, wait=wait)
    except Rejected as exc:
        err.print(f"Not rolled up — {out_file} was not changed:", markup=False)
        for m in exc.messages:
            err.print(f"  {m}", markup=False)
        return 1
    except (BuildBusy, DiskFull, OSError, duckdb.Error) as exc:
        err.print(f"Not rolled up — {out_file} was not changed: {exc}", markup=False)
        return 1
    out.print(f"Wrote {res.out} from the store {store}: {len(res.organisations)} organisations, "
              f"{res.rows.get('rollup_months', 0)} months, threshold {res.threshold}, in "
              f"{time.perf_counter() - started:.1f} s"
              + (f" (incremental: {res.changed} organisation-month(s) read from the store, the "
                 "rest kept from the previous file)" if res.incremental else ""), markup=False)
    for name, n in res.rows.items():
        out.print(f"  {name}: {n:,} rows", markup=False)
    if res.rows.get("rollup_missing"):
        out.print(f"  {res.rows['rollup_missing']} organisation-months not sent: listed in "
                  "rollup_missing", markup=False)
    return 0


def cmd_rollup_accept(pack: Path, store: Path, submitted_by: str | None, wait: float,
                      keys: Path | None = None) -> int:
    from pipelines.warehouse import BuildBusy, DiskFull
    from release.rollup_store import Rejected, accept
    from release.signing import SigningError

    try:
        res = accept(pack, store, submitted_by=submitted_by, wait=wait, keys=_keys(keys))
    except SigningError as exc:
        err.print(f"Not accepted — the store was not changed ({store}): {exc}", markup=False)
        return 1
    except Rejected as exc:
        err.print(f"[bold red]Pack rejected[/] — the store was not changed ({store}):",
                  markup=True)
        for m in exc.messages:
            err.print(f"  {m}", markup=False)
        return 1
    except (BuildBusy, DiskFull, OSError) as exc:
        err.print(f"Not accepted — the store was not changed ({store}): {exc}", markup=False)
        return 1
    r = res.record
    out.print(f"Accepted {r['organisation']} {r['month']} (as of {r['as_of_date']}) into "
              f"{store / r['stored']} in {res.seconds:.2f} s", markup=False)
    if res.replaces:
        out.print(f"  replaces {res.replaces} (kept)", markup=False)
    return 0
