"""Command line: ``python -m pipelines build | sample | publish | keys new | rollup | plans draft |
delivery | versions`` (benchmarks: ``python -m bench``; ``delivery`` and ``versions``:
pipelines/delivery/cli.py; ``rollup``, the centre's command, with the roll-up's code:
release/rollup_cli.py).

Exit codes: 0 success, 1 invalid input (a clear message, no stack trace), 2 usage error.
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

# Polars' allocator (jemalloc) hands freed pages back to the system at once rather than after
# ~10 s: the build's peak memory is ~300 MB lower at 300,000 staff (docs/PERFORMANCE.md). Read
# when Polars is first imported, so set before anything imports it.
os.environ.setdefault("_RJEM_MALLOC_CONF", "dirty_decay_ms:0,muzzy_decay_ms:0")

from rich.console import Console

from pipelines.settings import SettingsError, get_settings, releases_dir, suppress_below

# soft_wrap: one message per line even when output goes to a log (no wrapping at 80 columns)
err = Console(stderr=True, highlight=False, soft_wrap=True)
out = Console(highlight=False, soft_wrap=True)


def _threshold(text: str) -> int:
    try:
        return suppress_below(text, "--threshold")
    except SettingsError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def _parser() -> argparse.ArgumentParser:
    s = get_settings()
    p = argparse.ArgumentParser(prog="python -m pipelines",
                                description="MIC Digital Talent Plan warehouse pipeline")
    sub = p.add_subparsers(dest="command", required=True)
    b = sub.add_parser("build", help="validate data/raw and (re)build the DuckDB warehouse")
    b.add_argument("--raw", type=Path, default=s.raw_dir, help=f"raw CSV folder ({s.raw_dir})")
    b.add_argument("--warehouse", type=Path, default=s.warehouse,
                   help=f"warehouse file ({s.warehouse})")
    b.add_argument("--wait", type=float, default=0.0, metavar="SECONDS",
                   help="if another build of this warehouse is running, wait up to SECONDS "
                        "for it (default: exit 1 at once)")
    b.add_argument("--phase-log", type=Path, default=None, help=argparse.SUPPRESS)  # bench
    g = sub.add_parser("sample", help="write the deterministic synthetic sample data set")
    g.add_argument("--out", type=Path, default=s.raw_dir)
    g.add_argument("--staff", type=int, default=None)
    g.add_argument("--seed", type=int, default=None)
    g.add_argument("--organisation", metavar="CODE", default=None,
                   help="a differently shaped ministry (own bureaus, size, plan targets; "
                        "MIC, MOE, MAFF or any code) and its organisation.csv")
    g.add_argument("--next-month", action="store_true",
                   help="the sample's next delivery: the same data plus the month after its "
                        "as-of date (a digital hire, a drill, completions), for "
                        "`delivery propose` (issue 22)")
    u = sub.add_parser("publish", help="write the publication pack (disclosure-controlled "
                       "kpi and marts: CSV, XLSX, publication.json, README)")
    u.add_argument("--warehouse", type=Path, default=s.warehouse,
                   help=f"warehouse file ({s.warehouse})")
    u.add_argument("--out", type=Path, default=Path("publication"),
                   help="output folder, replaced as a whole (publication)")
    u.add_argument("--threshold", type=_threshold, default=s.suppress_below,
                   help=f"counts 1..N-1 are suppressed; an integer >= 2 ({s.suppress_below})")
    u.add_argument("--organisation", metavar="CODE", default=None,
                   help="the publishing organisation's code (e.g. MIC), recorded in every "
                        "file of the pack; needed by `rollup`")
    u.add_argument("--organisation-name-ja", metavar="NAME", default=None)
    u.add_argument("--organisation-name-en", metavar="NAME", default=None)
    u.add_argument("--raw", type=Path, default=s.raw_dir,
                   help=f"raw folder holding the optional organisation.csv ({s.raw_dir})")
    u.add_argument("--releases", type=Path, default=releases_dir(),
                   help="the release register: every release is recorded there and each new "
                        f"one protected together with the earlier ones ({releases_dir()})")
    u.add_argument("--sign", type=Path, default=None, metavar="KEY",
                   help="sign publication.json with this Ed25519 private key (keys new): "
                        "writes publication.sig; the key never enters the pack")
    kn = sub.add_parser("keys", help="signing keys of publication packs").add_subparsers(
        dest="keys_command", required=True).add_parser(
        "new", help="make an Ed25519 key pair: DIR/signing-key.pem (private, mode 0600, "
        "never overwritten) and DIR/public-key.txt (for the central keys file)")
    kn.add_argument("--out", type=Path, required=True, metavar="DIR")
    kn.add_argument("--organisation", metavar="CODE", default=None,
                    help="print the keys file's line for this organisation")
    from release import rollup_cli  # rollup (issue 24: the roll-up's own CLI module)

    rollup_cli.add_parser(sub)
    pd = sub.add_parser("plans", help="the plan's revisions").add_subparsers(
        dest="plans_command", required=True).add_parser(
        "draft", help="draft a revision of a plan: write its plans.csv and plan_targets.csv "
        "(live rows + the revision's, ready to deliver) and impact.csv (every kpi row whose "
        "plan, target or status would change); the warehouse is only read")
    pd.add_argument("--warehouse", type=Path, default=s.warehouse,
                    help=f"warehouse file ({s.warehouse})")
    pd.add_argument("--revises", required=True, metavar="PLAN_ID", help="the plan revised")
    pd.add_argument("--plan-id", required=True, metavar="NEW_ID", help="the revision's id")
    pd.add_argument("--adopted-on", required=True, type=_date, metavar="DATE",
                    help="adoption date (YYYY-MM-DD); later than the revised plan's")
    pd.add_argument("--fy-from", type=int, default=None, metavar="N",
                    help="first FY of the revision (default: the FY of --adopted-on)")
    pd.add_argument("--title-ja", required=True, metavar="T")
    pd.add_argument("--title-en", required=True, metavar="T")
    pd.add_argument("--source", default=None, metavar="T", help="the document (optional)")
    pd.add_argument("--target", action="append", default=[],
                    metavar="METRIC:FY_FROM-FY_TO:KIND:MIN:MAX",
                    help="set a target over those FYs (MIN or MAX empty where the kind has "
                         "none); repeatable")
    pd.add_argument("--drop", action="append", default=[], metavar="METRIC",
                    help="remove the metric's targets from the revision; repeatable")
    pd.add_argument("--out", type=Path, required=True, metavar="DIR")
    from pipelines.delivery import cli as delivery_cli  # delivery | versions (issue 22)

    delivery_cli.add_parsers(sub, s)
    return p


def _date(text: str):  # noqa: ANN202
    import datetime as dt

    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a date YYYY-MM-DD") from None


def cmd_plans_draft(args: argparse.Namespace) -> int:
    import duckdb

    from pipelines import revision
    from release.connection import connect
    from release.i18n import t

    try:
        targets = tuple(revision.parse_target(spec) for spec in args.target)
        draft = revision.Draft(args.revises, args.plan_id, args.adopted_on, args.title_ja,
                               args.title_en, targets, tuple(args.drop), args.fy_from,
                               args.source)
    except revision.DraftError as exc:
        err.print(f"Not drafted: {exc}", markup=False)
        return 2
    if not args.warehouse.is_file():
        err.print(f"No warehouse at {args.warehouse}: run `python -m pipelines build` first.",
                  markup=False)
        return 1
    try:
        con = connect(str(args.warehouse))
    except duckdb.Error as exc:
        err.print(f"Cannot read {args.warehouse} as a warehouse: {exc}", markup=False)
        return 1
    try:
        impact = revision.compute(con, draft, (t("plan_implicit", "ja"),
                                               t("plan_implicit", "en")))
    except revision.DraftError as exc:
        err.print(f"Not drafted: {exc}", markup=False)
        return 2
    except duckdb.Error as exc:
        err.print(f"Cannot read {args.warehouse} as a warehouse: {exc}", markup=False)
        return 1
    finally:
        con.close()
    try:
        paths = revision.write(impact, args.out)
    except OSError as exc:
        err.print(f"File system error: {exc}", markup=False)
        return 1
    ch = impact.changes
    flips = int(ch["status_changed"].sum()) if ch.height else 0
    f = impact.files
    out.print(f"Drafted {draft.plan_id} (revises {draft.revises}, adopted {draft.adopted_on}, "
              f"FY{f.fy_from}-FY{f.fy_to}): {ch.height} kpi rows change, {flips} of them in "
              f"status", markup=False)
    for path in paths:
        out.print(f"  {path}", markup=False)
    return 0


def cmd_build(raw: Path, warehouse: Path, wait: float = 0.0,
              phase_log: Path | None = None) -> int:
    from pipelines.raw import InputError
    from pipelines.warehouse import BuildBusy, DiskFull, build

    labels = {"read": "Reading CSV files", "validate": "Validating (Great Expectations)",
              "warehouse": "Writing warehouse", "staging": "Staging tables",
              "marts": "Marts", "kpi": "kpi table", "done": "Done"}
    with err.status("Starting…", spinner="dots") as status:
        def step(msg: str) -> None:
            if err.is_terminal:
                key, _, detail = msg.partition(":")
                status.update(labels.get(key, key) + (f" — {detail}" if detail else "") + " …")
        from pipelines.delivery.cli import version_recorder

        record, recorded = version_recorder(raw, warehouse)
        try:
            res = build(raw, warehouse, step, wait=wait, after_swap=record)
        except (BuildBusy, DiskFull) as exc:
            status.stop()
            err.print(f"Not built — the warehouse was not changed: {exc}", markup=False)
            return 1
        except InputError as exc:
            status.stop()
            kept = ("the warehouse was not changed" if warehouse.exists()
                    else "no warehouse was written")
            err.print(f"[bold red]Input rejected[/] — {kept} ({warehouse}).", markup=True)
            for m in exc.messages:
                err.print(f"  {m}", markup=False)
            return 1
        except OSError as exc:
            status.stop()
            err.print(f"File system error (the warehouse was not changed): {exc}", markup=False)
            return 1
    if phase_log is not None:
        import json

        phase_log.write_text(json.dumps(res.phases), encoding="utf-8")
    out.print(f"Built {res.warehouse} (run {res.run_id}, data origin: {res.data_origin})",
              markup=False)
    if res.cleaned:
        out.print(f"Removed {len(res.cleaned)} leftover file(s) of an interrupted build: "
                  f"{', '.join(res.cleaned)}", markup=False)
    width = max(len(k) for k in res.rows)
    for name, n in res.rows.items():
        out.print(f"  {name.ljust(width)}  {n:>12,} rows", markup=False)
    span = f"FY{res.fy_span[0]}–FY{res.fy_span[1]}" if res.fy_span else "none"
    out.print(f"FY span: {span}; as-of date: {res.as_of or 'none'}; "
              f"{res.rules_checked} rules checked, all passed", markup=False)
    for line in recorded:
        out.print(line, markup=False)
    if res.warnings:
        out.print(f"{len(res.warnings)} warning(s):", markup=False)
        for w in res.warnings:
            out.print(f"  warning: {w}", markup=False)
    else:
        out.print("0 warnings", markup=False)
    return 0


def cmd_sample(out_dir: Path, staff: int | None, seed: int | None,
               organisation: str | None = None, next_month: bool = False) -> int:
    from pipelines import sample
    from pipelines.sample.organisations import profile

    seed = sample.DEFAULT_SEED if seed is None else seed
    if staff is None:
        staff = profile(organisation, seed).staff if organisation else sample.DEFAULT_STAFF
    if next_month:
        from pipelines.sample.next_month import generate_next_month

        rows = generate_next_month(out_dir, staff=staff, seed=seed)
    else:
        rows = sample.generate(out_dir, staff=staff, seed=seed, organisation=organisation)
    out.print(f"Wrote sample data to {out_dir}", markup=False)
    for name, n in rows.items():
        out.print(f"  {name}: {n:,} rows", markup=False)
    return 0


def cmd_keys_new(out_dir: Path, code: str | None) -> int:
    from release.signing import SigningError, new_key

    try:
        private, public = new_key(out_dir)
    except SigningError as exc:
        err.print(f"No key made: {exc}", markup=False)
        return 1
    except OSError as exc:
        err.print(f"No key made ({out_dir}): {exc.strerror}", markup=False)
        return 1
    out.print(f"Wrote the private key {private} (mode 0600: keep it with the publisher, never "
              "in a pack, a warehouse or a log) and its public key:", markup=False)
    out.print(f"  {public}", markup=False)
    out.print("For the central keys file (TOML):", markup=False)
    out.print(f'  [organisations]\n  {code or "CODE"} = ["{public}"]', markup=False)
    return 0


def cmd_publish(warehouse: Path, out_dir: Path, threshold: int, org: tuple, raw: Path,
                sign: Path | None = None, releases: Path | None = None) -> int:
    import time

    import duckdb

    from release.organisation import OrganisationError, resolve

    try:
        organisation = resolve(*org, raw)
    except OrganisationError as exc:
        err.print(f"Not published: {exc}", markup=False)
        return 1
    key = None
    if sign is not None:
        from release.signing import SigningError, load_private

        try:
            key = load_private(sign)
        except SigningError as exc:
            err.print(f"Not published: {exc}", markup=False)
            return 1
    if not warehouse.is_file():
        err.print(f"No warehouse at {warehouse}: run `python -m pipelines build` first.",
                  markup=False)
        return 1
    from release.disclosure import Refused
    from release.publication import write_pack

    started = time.perf_counter()
    try:
        with err.status("Protecting kpi and the marts (disclosure control) …", spinner="dots"):
            pack = write_pack(warehouse, out_dir, threshold, organisation, sign_key=key,
                              releases=releases)
    except Refused as exc:
        err.print(f"Not published — nothing was written ({out_dir}, {releases}): this release "
                  "cannot be protected together with the earlier ones:", markup=False)
        for m in exc.messages:
            err.print(f"  {m}", markup=False)
        return 1
    except (duckdb.Error, KeyError) as exc:
        err.print(f"Cannot read {warehouse} as a warehouse: {exc}", markup=False)
        return 1
    except OSError as exc:
        err.print(f"File system error (nothing was written to {out_dir}): {exc}", markup=False)
        return 1
    rel = pack.release
    who = f"{organisation.code}, " if organisation else "no organisation, "
    out.print(f"Wrote {pack.out_dir} ({who}run {rel.run_id}, as of {rel.as_of_date}, "
              f"threshold {rel.threshold}) in {time.perf_counter() - started:.1f} s",
              markup=False)
    for name in pack.files:
        out.print(f"  {name}", markup=False)
    out.print(f"{rel.primary:,} cells below the threshold, {rel.secondary:,} more suppressed "
              f"so that none can be worked out or narrowed below {rel.threshold} values "
              f"(with {rel.stats.get('earlier_releases', 0)} earlier release(s) of the "
              f"register {releases})", markup=False)
    if rel.unprotectable:
        err.print(f"warning: {rel.unprotectable} cells could not be protected", markup=False)
    return 0


def main(argv: list[str] | None = None) -> int:
    try:
        parser = _parser()
    except SettingsError as exc:
        err.print(f"Setting error: {exc}", markup=False)
        return 2
    args = parser.parse_args(argv)
    if args.command == "publish":
        from release.organisation import OrganisationError, check_code

        if args.organisation is not None:
            try:
                check_code(args.organisation)
            except OrganisationError as exc:
                parser.error(str(exc))  # exits 2
        org = (args.organisation, args.organisation_name_ja, args.organisation_name_en)
        return cmd_publish(args.warehouse, args.out, args.threshold, org, args.raw, args.sign,
                           args.releases)
    if args.command == "keys":
        if args.organisation is not None:
            from release.organisation import OrganisationError, check_code

            try:
                check_code(args.organisation)
            except OrganisationError as exc:
                parser.error(str(exc))
        return cmd_keys_new(args.out, args.organisation)
    if args.command == "rollup":
        from release import rollup_cli

        return rollup_cli.run(args, parser)
    if args.command == "plans":
        return cmd_plans_draft(args)
    if args.command in ("delivery", "versions"):
        from pipelines.delivery import cli as delivery_cli

        return delivery_cli.run(args, parser)
    if args.command == "build":
        if args.wait < 0:
            parser.error("--wait must not be negative")
        return cmd_build(args.raw, args.warehouse, args.wait, args.phase_log)
    if args.command == "sample":
        from pipelines.sample import MIN_STAFF

        if args.staff is not None and args.staff < MIN_STAFF:
            parser.error(f"--staff must be at least {MIN_STAFF}")  # exits 2
        if args.seed is not None and args.seed < 0:
            parser.error("--seed must be a non-negative integer")
        if args.organisation is not None:
            from release.organisation import OrganisationError, check_code

            try:
                check_code(args.organisation)
            except OrganisationError as exc:
                parser.error(str(exc))
        if args.next_month and args.organisation is not None:
            parser.error("--next-month is the ministry sample's next delivery: no "
                         "--organisation with it")
        return cmd_sample(args.out, args.staff, args.seed, args.organisation, args.next_month)
    parser.error(f"unknown command {args.command}")


if __name__ == "__main__":
    code = main()
    # Python's teardown runs the cyclic GC over every object of the modules a build imports
    # (Great Expectations, pandas, SciPy): 0.6 s per run, measured. Frozen objects are skipped;
    # atexit handlers and output flushing still run as usual.
    import gc

    gc.freeze()
    sys.exit(code)
