"""Command line: ``python -m dashboard brief`` — the executive briefing pack as a file — and
``python -m dashboard digest`` — the executive digest e-mail (dashboard/digest.py).

    python -m dashboard brief --warehouse FILE --out FILE.pptx|FILE.pdf [--lang ja|en]
        [--bureau CODE,CODE] [--fy-from N] [--fy-to N] [--plan ID]

The pack is the one the Overview's buttons make (:func:`dashboard.brief.build`); ``--plan``
adds the Plan review of that plan's generation (a plan's or a revision's id), as the Plan
review page's buttons do. Exit codes: 0 written; 1 no (readable) warehouse, no data in it, or
no font for the PDF; 2 usage error (including a bureau code, FY or plan the warehouse does not
have). Messages, never stack traces.
The file is written beside its target and renamed into place, so a failed run leaves no
half-written file.

    python -m dashboard digest --warehouse FILE [--subscriptions FILE]
        [--since VERSION | --always] [--dry-run DIR] [--pdf]

Exit codes: 0 every due mail sent (or written, or none due); 1 a mail could not be sent (the
others were), or no readable warehouse; 2 usage error, an invalid subscriptions file or
settings.
"""

from __future__ import annotations

import argparse
import os
import re
import sys
import tempfile
from pathlib import Path

from release import i18n

_CODES = re.compile(r"^[A-Za-z0-9_-]{1,32}(,[A-Za-z0-9_-]{1,32})*$")


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="python -m dashboard",
                                description="MIC Digital Talent Plan dashboard tools")
    sub = p.add_subparsers(dest="command", required=True)
    b = sub.add_parser("brief", help="write the executive briefing pack (PowerPoint or PDF)")
    b.add_argument("--warehouse", type=Path, required=True, help="the DuckDB warehouse file")
    b.add_argument("--out", type=Path, required=True,
                   help="output file; .pptx (PowerPoint) or .pdf")
    b.add_argument("--lang", choices=i18n.LANGS, default=i18n.DEFAULT_LANG)
    b.add_argument("--bureau", default=None,
                   help="comma-separated bureau codes (default: all bureaus, the ministry)")
    b.add_argument("--fy-from", type=int, default=None, help="first FY (default: the first)")
    b.add_argument("--fy-to", type=int, default=None, help="last FY (default: the last)")
    b.add_argument("--plan", default=None, metavar="ID",
                   help="add the Plan review of this plan (its id in plans.csv)")
    d = sub.add_parser("digest", help="mail the executive digest to its subscribers")
    d.add_argument("--warehouse", type=Path, required=True, help="the live warehouse file")
    d.add_argument("--subscriptions", type=Path, default=None,
                   help="the subscriptions file (default: DTP_SUBSCRIPTIONS, "
                        "config/subscriptions.toml)")
    when = d.add_mutually_exclusive_group()
    when.add_argument("--since", type=int, default=None, metavar="VERSION",
                      help="report the changes since this version (default: since each "
                           "recipient's last digest)")
    when.add_argument("--always", action="store_true",
                      help="send even when nothing changed since the last digest")
    d.add_argument("--dry-run", type=Path, default=None, metavar="DIR",
                   help="write the mails as .eml files into DIR instead of sending them")
    d.add_argument("--pdf", action="store_true",
                   help="attach the briefing pack (PDF, publication form)")
    return p


def cmd_digest(parser: argparse.ArgumentParser, args: argparse.Namespace) -> int:
    import streamlit.logger

    streamlit.logger.set_log_level("error")
    from dashboard import digest, subscriptions
    from pipelines.settings import SettingsError

    if args.since is not None and args.since < 1:
        parser.error(f"--since: a version number (1 or more), got {args.since}")
    try:
        report = digest.run_digest(args.warehouse, args.subscriptions, since=args.since,
                                   always=args.always, dry_run=args.dry_run, pdf=args.pdf,
                                   echo=print)
    except (subscriptions.SubscriptionsError, SettingsError, digest.UnknownVersion) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    except (digest.DigestError, subscriptions.StateError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    n = {s: report.count(s) for s in ("sent", "written", "failed", "unchanged", "not_due")}
    print(f"digest: {n['sent']} sent, {n['written']} written, {n['failed']} failed, "
          f"{n['unchanged']} with nothing new, {n['not_due']} not due")
    for o in report.failed:
        print(f"error: {o.recipient}: {o.detail}", file=sys.stderr)
    return 1 if report.failed else 0


def _write(path: Path, data: bytes) -> None:
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent or ".")
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def cmd_brief(parser: argparse.ArgumentParser, args: argparse.Namespace) -> int:
    kind = args.out.suffix.lower().lstrip(".")
    if kind not in ("pptx", "pdf"):
        parser.error(f"--out must end in .pptx or .pdf, not {args.out.name!r}")
    bureaus = None
    if args.bureau is not None:
        if not _CODES.match(args.bureau.strip()):
            parser.error(f"--bureau: expected CODE,CODE, got {args.bureau!r}")
        bureaus = [c for c in args.bureau.strip().split(",") if c]
    if not args.out.parent.is_dir():
        parser.error(f"--out: no such folder {str(args.out.parent)!r}")

    # queries' caches warn "No runtime found" outside `streamlit run`: not the user's concern
    import streamlit.logger

    streamlit.logger.set_log_level("error")
    from dashboard import brief, queries

    try:
        view = brief.view_for(args.warehouse, lang=args.lang, bureaus=bureaus,
                              fy_from=args.fy_from, fy_to=args.fy_to)
    except queries.WarehouseMissing:
        print(f"error: no warehouse at {args.warehouse} "
              "(build one with: python -m pipelines build)", file=sys.stderr)
        return 1
    except queries.WarehouseUnreadable as exc:
        print(f"error: {args.warehouse} is not a readable warehouse ({exc}); rebuild it",
              file=sys.stderr)
        return 1
    except brief.NoData as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    except ValueError as exc:
        parser.error(str(exc))
    if args.plan is not None:
        try:
            brief.plan_of(view, args.plan)
        except brief.UnknownPlan as exc:  # one line, like a bad --bureau's, without usage
            print(f"error: --plan: {exc}", file=sys.stderr)
            return 2
    try:
        data = brief.build(view, kind, plan=args.plan)
    except brief.FontMissing as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    try:
        _write(args.out, data)
    except OSError as exc:
        print(f"error: could not write {args.out}: {exc.strerror or exc}", file=sys.stderr)
        return 1
    print(f"Wrote {args.out} ({len(data):,} bytes; {args.lang}; "
          f"{'all bureaus' if view.bureaus is None else ','.join(view.bureaus)}; "
          f"FY{view.fy_from}–FY{view.fy_to}; "
          f"{'' if args.plan is None else f'review of plan {args.plan}; '}"
          f"run {view.run.run_id})")
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = _parser()
    args = parser.parse_args(argv)
    if args.command == "digest":
        return cmd_digest(parser, args)
    return cmd_brief(parser, args)


if __name__ == "__main__":
    sys.exit(main())
