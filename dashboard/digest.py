"""The executive digest: after a new version of the data goes live, a short e-mail to each
subscriber of what changed and what is at risk — in publication form only.

``python -m dashboard digest`` (dashboard/__main__.py; started after every new live version by
``pipelines/delivery/digest_hook.py``, and by a timer) and :func:`run_digest` come here.

What a mail holds, for one recipient (``dashboard/subscriptions.py``: language, bureaus):

* the as-of date and the recipient's scope (ministry-wide, or their bureaus);
* the target-status flips and the pace-outlook changes since the recipient's last digest,
  from THE changes computation of the data deliveries (``pipelines.delivery.changes``,
  the version kept by the version store against the live one) — never a diff of its own;
* the key messages of the year in progress (``dashboard/messages.py``), for their bureaus;
* a link to the view (``DTP_PUBLIC_URL`` with ``?lang=…&bureau=…``);
* with ``--pdf``, the briefing pack as PDF, made from the publication form.

**Publication form.** Mail is a weaker channel than the app, so a mail carries no figure the
publication pack withholds. Every figure in it is read from the protected release
(``release.publication.release``: the same cells as the pack), the key messages and the PDF
from the public-edition file made of it (``release.public``). A change is listed only where
the pack shows the status (or outlook) before and after; a key message whose outlook the pack
withholds is named as withheld, with the link to the app. Whether a mail goes out at all
depends on visible changes only, so not even its sending tells of a withheld cell.

When: a recipient gets a digest when the live version is not the one last sent to them and
something visible in their scope changed since (``--always``: even without a change);
``monthly`` recipients at most once a calendar month. What was sent to whom is kept in the
digest state (``DTP_DIGEST_STATE``), written after every mail, so a rerun sends nothing
twice. Each mail sent writes an audit line (``mail``: recipient, version, message id).
"""

from __future__ import annotations

import datetime as dt
import html
import logging
import os
import re
import subprocess
import sys
import tempfile
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from email import policy
from email.message import EmailMessage
from email.utils import formatdate, make_msgid
from pathlib import Path
from urllib.parse import urlencode

import duckdb
import polars as pl

from dashboard import audit, fmt, messages, subscriptions
from dashboard.subscriptions import Recipient, Sent
from pipelines import settings
from pipelines.schema import METRIC_BY_CODE
from release import i18n
from release.disclosure import SUPPRESSED, Release

log = logging.getLogger("dtp.digest")

DIGEST_USER = "digest"  # the audit trail's user for the mails the digest sends
DRY_RUN_FROM = "dtp-digest@localhost"  # From of a dry run's files without DTP_MAIL_FROM
PDF_TIMEOUT = 600  # seconds for the briefing PDF's subprocess
# RFC 5322 folding at 78 (an encoded word stays within RFC 2047's 75 characters); a value that
# just misses the first line is folded before its first word (the unfolded Subject then starts
# with the space, which mail programs drop)
MAIL_POLICY = policy.default


class DigestError(RuntimeError):
    """Something the digest cannot go on without (one line for the CLI)."""


class UnknownVersion(DigestError):
    """``--since`` names a version the store does not keep (a usage error: exit 2)."""


# --- what changed, in publication form ----------------------------------------------------------

@dataclass(frozen=True)
class Change:
    """One visible change: a kpi cell's target status or an event metric's pace outlook."""

    kind: str  # "status" | "outlook"
    metric: str
    fiscal_year: int
    bureau_code: str | None
    before: str  # status / outlook code, as the pack shows it
    after: str
    value_before: str  # the pack's text of the value ("[c]" withheld, "" absent)
    value_after: str
    target_before: tuple = ()  # (kind, min, max) of the pack's kpi row (status changes)
    target_after: tuple = ()


def _pub_kpi(rel: Release) -> dict[tuple, dict]:
    return {(r["metric"], r["fiscal_year"], r["bureau_code"]): r
            for r in rel.tables["kpi"].iter_rows(named=True)}


def _pub_pace(rel: Release) -> dict[tuple, dict]:
    return {(r["metric"], r["bureau_code"]): r
            for r in rel.tables["kpi_pace"].iter_rows(named=True)}


def in_scope(bureau_code: str | None, metric: str, bureaus: Sequence[str] | None) -> bool:
    """Ministry-wide recipients: the ministry rows; a bureau's: its own rows, and the ministry
    row of a metric that has no bureau breakdown (as the app shows it under that filter)."""
    if bureaus is None:
        return bureau_code is None
    if bureau_code is None:
        return not METRIC_BY_CODE[metric].by_bureau
    return bureau_code in bureaus


def visible(raw: Iterable[Change], before: Release, after: Release) -> tuple[Change, ...]:
    """The changes the two packs show: both statuses (outlooks) shown and different; their
    texts are the packs' own."""
    kb, ka = _pub_kpi(before), _pub_kpi(after)
    pb, pa = _pub_pace(before), _pub_pace(after)
    out: list[Change] = []
    for c in raw:
        if c.kind == "status":
            key = (c.metric, c.fiscal_year, c.bureau_code)
            b, a = kb.get(key), ka.get(key)
            sb, sa = (b or {}).get("status"), (a or {}).get("status")
            vb, va = (b or {}).get("value"), (a or {}).get("value")
            tb, ta = (tuple((x or {}).get(k) for k in ("target_kind", "target_min",
                                                       "target_max")) for x in (b, a))
        else:
            key = (c.metric, c.bureau_code)
            b, a = pb.get(key), pa.get(key)
            sb, sa = (b or {}).get("pace_status"), (a or {}).get("pace_status")
            vb, va = (b or {}).get("projected"), (a or {}).get("projected")
            tb = ta = ()
        if b is None or a is None or SUPPRESSED in (sb, sa) or sb is None or sa is None \
                or sb == sa:
            continue
        out.append(Change(c.kind, c.metric, c.fiscal_year, c.bureau_code, sb, sa,
                          vb or "", va or "", tb, ta))
    order = {"status": 0, "outlook": 1}
    return tuple(sorted(out, key=lambda c: (order[c.kind], c.metric, -c.fiscal_year,
                                            c.bureau_code or "")))


# --- the versions and the changes computation (pipelines.delivery, issue 22) --------------------

@dataclass(frozen=True)
class Live:
    """The data a digest reports on."""

    path: Path
    run_id: str
    version: int | None  # its number in the version store (None: not kept there)


class Versions:
    """The version store of the data deliveries (``pipelines.delivery``): every live version's
    warehouse file, numbered. Empty when the store has none (a warehouse only ever built by
    hand before the store existed: no earlier version to compare with)."""

    def __init__(self, warehouse: Path) -> None:
        self._st = None
        self._all: list = []  # newest first
        try:
            from pipelines.delivery import store, versions
        except ImportError:  # the version store is not installed with this code yet
            return
        try:
            self._st = store.Store(warehouse=warehouse)
            self._all = versions.list_versions(self._st)
        except (OSError, store.StoreError) as exc:
            raise DigestError(f"the version store cannot be read ({exc})") from None

    @property
    def numbers(self) -> list[int]:
        return [v.number for v in self._all]

    def number_of(self, run_id: str) -> int | None:
        """The newest version holding this run (a restore is a new version of an old run)."""
        return next((v.number for v in self._all if v.run_id == run_id), None)

    def file(self, number: int) -> Path | None:
        v = next((v for v in self._all if v.number == number), None)
        return None if v is None else Path(v.warehouse_path(self._st))

    def before(self, number: int | None) -> int | None:
        """The version kept before ``number`` (None: the first, or not kept)."""
        older = [n for n in self.numbers if number is not None and n < number]
        return max(older) if older else None

    def kept_from(self, number: int) -> int | None:
        """``number`` if kept, else the oldest version kept after it (retention)."""
        later = [n for n in self.numbers if n >= number]
        return min(later) if later else None


def raw_changes(before: Path, after: Path) -> tuple[Change, ...]:
    """Every status flip and outlook change between two warehouse files, from THE changes
    computation of the data deliveries (``pipelines.delivery.changes.compare``); their
    publication form comes after (:func:`visible`)."""
    from pipelines.delivery import changes

    ch = changes.compare(before, after)
    out: list[Change] = []
    if "flip" in ch.kpi.columns:
        for r in ch.kpi.filter(pl.col("flip")).iter_rows(named=True):
            out.append(Change("status", r["metric"], r["fiscal_year"], r["bureau_code"],
                              r["status_before"], r["status_after"], "", ""))
    if "flip" in ch.pace.columns:
        for r in ch.pace.filter(pl.col("flip")).iter_rows(named=True):
            out.append(Change("outlook", r["metric"], r["fiscal_year_after"],
                              r["bureau_code"], r["pace_status_before"],
                              r["pace_status_after"], "", ""))
    return tuple(out)


# --- one recipient's mail ---------------------------------------------------------------------

@dataclass
class Context:
    """What every recipient's mail of one run is made from (read once)."""

    live: Live
    release: Release  # the live version's protected release
    public_file: Path  # its public-edition file (key messages, PDF)
    threshold: int
    url: str | None
    sender: str
    now: dt.datetime
    pdf: bool = False
    _pdfs: dict[tuple, bytes] = field(default_factory=dict)
    _views: dict[tuple, object] = field(default_factory=dict)


@dataclass(frozen=True)
class Mail:
    recipient: Recipient
    message: EmailMessage
    changes: tuple[Change, ...]
    since: int | None  # the version compared with


def link(base: str | None, r: Recipient) -> str | None:
    """The dashboard's Overview for the recipient's view (``?lang=…&bureau=…``)."""
    if not base:
        return None
    params = {"lang": r.lang}
    if r.bureaus:
        params["bureau"] = ",".join(r.bureaus)
    return f"{base.rstrip('/')}/?{urlencode(params, safe=',')}"


def _view(ctx: Context, lang: str, bureaus: tuple[str, ...] | None):  # -> state.View
    from dashboard import brief

    key = (lang, bureaus)
    if key not in ctx._views:
        ctx._views[key] = brief.view_for(ctx.public_file, lang=lang, bureaus=bureaus)
    return ctx._views[key]


def _shown(x: object) -> bool:
    """A publication-form figure that the pack shows (NULL: absent; NaN: withheld)."""
    return x is not None and x == x


def _so_far(row: dict, lang: str) -> str | None:
    """A metric whose outlook publication form withholds but whose figure so far (``ytd``, and
    for a count the ``needed`` to reach its target) it shows: that line, the outlook named as
    withheld; None where the figure so far is withheld too, or there is no target."""
    if not _shown(row.get("ytd")) or row.get("target_kind") is None:
        return None
    m = METRIC_BY_CODE[row["metric"]]
    unit = messages.unit(m.code, lang)

    def num(x: float) -> str:
        return fmt.value(x, m.is_rate) + ("" if m.is_rate else unit)

    target = messages.target_text(row, lang)
    needed = row.get("needed")
    more = (i18n.t("digest_needed", lang, n=num(needed))
            if not m.is_rate and _shown(needed) and needed > 0 else "")
    return i18n.t("digest_so_far", lang, metric=i18n.metric_name(m.code, lang),
                  ytd=num(row["ytd"]), target=target, needed=more, c=SUPPRESSED)


def _key_messages(ctx: Context, r: Recipient
                  ) -> list[tuple[str | None, list[str], list[str], list[str]]]:
    """(bureau name or None, key messages, figures so far of withheld outlooks, metrics
    withheld altogether) per part of the recipient's scope: the ministry, or each of their
    bureaus (a projection is per row, never summed)."""
    from dashboard import queries

    v = _view(ctx, r.lang, None)
    run = v.run
    if not run.in_progress(run.as_of_fy or 0):
        return []
    out = []
    for b in (None,) if r.bureaus is None else r.bureaus:
        rows = queries.pace(run, None if b is None else (b,)).to_dicts()
        hidden = [x for x in rows if x["pace_status"] in ("suppressed", SUPPRESSED)]
        so_far = {x["metric"]: _so_far(x, r.lang) for x in hidden}
        withheld = [i18n.metric_name(x["metric"], r.lang) for x in hidden
                    if so_far[x["metric"]] is None]
        out.append((None if b is None else v.bureau_names.get(b, b),
                    messages.key_messages(rows, r.lang),
                    [line for line in so_far.values() if line is not None], withheld))
    return out


def _value_text(text: str, metric: str) -> str:
    """A pack's cell text as the app writes it ("[c]" stays, absent is a dash)."""
    if text in ("", None):
        return fmt.MISSING
    if text == SUPPRESSED:
        return SUPPRESSED
    return fmt.value(float(text), METRIC_BY_CODE[metric].is_rate)


def _change_line(c: Change, r: Recipient, names: dict[str, str]) -> str:
    t = lambda key, **kw: i18n.t(key, r.lang, **kw)  # noqa: E731
    where = fmt.fy_label(c.fiscal_year, r.lang)
    if c.bureau_code is not None and r.bureaus is not None and len(r.bureaus) > 0:
        where += t("digest_sep") + names.get(c.bureau_code, c.bureau_code)
    elif c.bureau_code is None and r.bureaus is not None:
        where += t("digest_sep") + t("ministry_total")
    vb, va = _value_text(c.value_before, c.metric), _value_text(c.value_after, c.metric)
    detail = [t("digest_value" if c.kind == "status" else "digest_projection")
              + " " + (vb if vb == va else f"{vb} → {va}")]
    if c.target_before != c.target_after:  # a revised target (the plan in force changed)
        rate = METRIC_BY_CODE[c.metric].is_rate
        tb, ta = (fmt.target(*x, rate, r.lang) if x and x[0] else
                  i18n.status_word("no_target", r.lang)
                  for x in (c.target_before, c.target_after))
        detail.append(f"{t('digest_target')} {tb} → {ta}")
    return t("digest_change_line", metric=i18n.metric_name(c.metric, r.lang), where=where,
             before=i18n.status_text(c.before, r.lang), after=i18n.status_text(c.after, r.lang),
             detail=t("digest_detail_sep").join(detail))


@dataclass(frozen=True)
class Body:
    subject: str
    blocks: tuple[tuple[str, tuple[str, ...]], ...]  # (heading, lines); heading "" = none
    link: str | None
    link_text: str


def body(ctx: Context, r: Recipient, changes: Sequence[Change], since: int | None) -> Body:
    """The mail's words for ``r`` (the same for its plain-text and HTML parts)."""
    t = lambda key, **kw: i18n.t(key, r.lang, **kw)  # noqa: E731
    v = _view(ctx, r.lang, None)
    run = v.run
    as_of = fmt.date(run.as_of_date, r.lang)
    as_of_fy = as_of if run.as_of_fy is None else f"{as_of} ({v.fy_label(run.as_of_fy)})"
    names = v.bureau_names
    scope = (t("all_bureaus") if r.bureaus is None
             else t("digest_list_sep").join(names.get(b, b) for b in r.bureaus))
    flips = [c for c in changes if c.kind == "status"]
    outlooks = [c for c in changes if c.kind == "outlook"]
    what = t("digest_list_sep").join(
        ([t("digest_subject_flips", n=len(flips))] if flips else [])
        + ([t("digest_subject_outlooks", n=len(outlooks))] if outlooks else [])
    ) or t("digest_subject_none")
    subject = t("digest_subject", what=what, as_of=as_of)

    blocks: list[tuple[str, tuple[str, ...]]] = [
        ("", (f"{t('as_of')}: {as_of_fy}", f"{t('bureaus')}: {scope}")
         + ((t("sample_banner"),) if run.is_sample else ()))]
    head = t("digest_changes") + (t("digest_since", old=since, new=ctx.live.version)
                                  if since is not None and ctx.live.version is not None else "")
    if changes:
        for label, part in ((t("digest_flips"), flips), (t("digest_outlooks"), outlooks)):
            if part:
                blocks.append((f"{head} — {label}",
                               tuple(_change_line(c, r, names) for c in part)))
    else:
        blocks.append((head, (t("digest_no_change"),)))
    url = link(ctx.url, r)
    title = t("key_messages") + (f" ({v.fy_label(run.as_of_fy)})"
                                 if run.as_of_fy is not None else "")
    for bureau, msgs, so_far, withheld in _key_messages(ctx, r):  # one block per bureau
        lines = list(msgs or ([] if withheld or so_far else [t("msg_none")])) + so_far
        if withheld:
            lines.append(t("digest_withheld", c=SUPPRESSED,
                           metrics=t("digest_list_sep").join(withheld)))
        if (so_far or withheld) and url:
            lines[-1] += t("digest_see_app")
        blocks.append((title if bureau is None else f"{title} — {bureau}", tuple(lines)))
    foot = [t("digest_publication", c=SUPPRESSED, t=ctx.threshold, m=ctx.threshold - 1)]
    if ctx.pdf:
        foot.append(t("digest_pdf"))
    foot.append(t("digest_why", frequency=t(f"digest_freq_{r.frequency}")))
    blocks.append(("", tuple(foot)))
    return Body(subject, tuple(blocks), url, t("digest_link"))


def plain_text(b: Body, title: str) -> str:
    out = [title, "=" * 40, ""]
    for i, (head, lines) in enumerate(b.blocks):
        if head:
            out += [head, "-" * 40]
        out += [f"- {x}" if head else x for x in lines] + [""]
        if i == 0 and b.link:  # the link right after the as-of date and scope
            out += [f"{b.link_text}: {b.link}", ""]
    return "\n".join(out).rstrip() + "\n"


def html_text(b: Body, title: str, lang: str) -> str:
    """The HTML part: every data-derived text escaped (``html.escape``), nothing else."""
    e = html.escape
    parts = [f'<!DOCTYPE html><html lang="{e(lang)}"><head><meta charset="utf-8">'
             f"<title>{e(b.subject)}</title></head>"
             '<body style="font-family:sans-serif;color:#222;max-width:40em">',
             f'<h1 style="font-size:1.3em">{e(title)}</h1>']
    first = True
    for head, lines in b.blocks:
        if head:
            parts.append(f'<h2 style="font-size:1.1em">{e(head)}</h2><ul>')
            parts += [f"<li>{e(x)}</li>" for x in lines]
            parts.append("</ul>")
        else:
            parts += [f'<p style="margin:0.2em 0">{e(x)}</p>' for x in lines]
        if first and b.link:
            parts.append(f'<p><a href="{e(b.link, quote=True)}">{e(b.link_text)}</a></p>')
        first = False
    parts.append("</body></html>")
    return "\n".join(parts) + "\n"


def compose(ctx: Context, r: Recipient, changes: Sequence[Change], since: int | None) -> Mail:
    b = body(ctx, r, changes, since)
    title = i18n.t("digest_title", r.lang)
    msg = EmailMessage(policy=MAIL_POLICY)
    msg["Subject"] = b.subject
    msg["From"] = ctx.sender
    msg["To"] = r.email
    msg["Date"] = formatdate(ctx.now.timestamp(), localtime=True)
    msg["Message-ID"] = make_msgid("digest", domain=ctx.sender.rpartition("@")[2] or None)
    msg["Auto-Submitted"] = "auto-generated"  # RFC 3834: no auto-replies
    msg.set_content(plain_text(b, title), charset="utf-8")
    msg.add_alternative(html_text(b, title, r.lang), subtype="html", charset="utf-8")
    if ctx.pdf:
        data = briefing_pdf(ctx, r)
        msg.add_attachment(data, maintype="application", subtype="pdf",
                           filename=_pdf_name(ctx, r))
    # after the parts: a Content-* header set before goes down into the first part
    msg["Content-Language"] = r.lang
    return Mail(r, msg, tuple(changes), since)


def _pdf_name(ctx: Context, r: Recipient) -> str:
    as_of = ctx.release.as_of_date.isoformat() if ctx.release.as_of_date else "na"
    scope = "all" if r.bureaus is None else "-".join(r.bureaus)
    return f"briefing_publication_{r.lang}_{scope}_{as_of}.pdf"


def briefing_pdf(ctx: Context, r: Recipient) -> bytes:
    """The briefing pack as PDF, made from the public-edition file (publication form) by
    ``python -m dashboard brief`` in a subprocess with ``DTP_EDITION=public`` (as the public
    edition reads that file); one per language and bureaus in a run."""
    key = (r.lang, r.bureaus)
    if key in ctx._pdfs:
        return ctx._pdfs[key]
    with tempfile.TemporaryDirectory(prefix="dtp-digest-") as tmp:
        out = Path(tmp) / "brief.pdf"
        cmd = [sys.executable, "-m", "dashboard", "brief", "--warehouse", str(ctx.public_file),
               "--out", str(out), "--lang", r.lang]
        if r.bureaus:
            cmd += ["--bureau", ",".join(r.bureaus)]
        env = {**os.environ, "DTP_EDITION": "public"}
        p = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=PDF_TIMEOUT,
                           cwd=settings.ROOT)
        if p.returncode != 0:
            raise DigestError("the briefing PDF could not be made: "
                              + (p.stderr.strip().splitlines() or ["?"])[-1])
        ctx._pdfs[key] = out.read_bytes()
    return ctx._pdfs[key]


# --- a run --------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Outcome:
    recipient: str
    status: str  # sent | written | failed | unchanged | not_due
    detail: str = ""
    message_id: str | None = None


@dataclass(frozen=True)
class Report:
    outcomes: tuple[Outcome, ...]

    @property
    def failed(self) -> tuple[Outcome, ...]:
        return tuple(o for o in self.outcomes if o.status == "failed")

    def count(self, status: str) -> int:
        return sum(o.status == status for o in self.outcomes)


def _due(r: Recipient, last: Sent | None, now: dt.datetime) -> bool:
    """``monthly``: not yet sent this calendar month; ``on_change``: always."""
    if r.frequency != "monthly" or last is None:
        return True
    return (last.sent_at.year, last.sent_at.month) != (now.year, now.month)


def _baseline(since: int | None, last: Sent | None, live: Live, kept: Versions
              ) -> int | None:
    """The version to compare with: ``--since``; else the version last sent to the recipient
    (or, gone by retention, the oldest kept after it); else the one before the live version."""
    if since is not None:
        return since
    if last is not None:
        n = last.version if last.version is not None else kept.number_of(last.run_id)
        if n is not None:
            return kept.kept_from(n)
    return kept.before(live.version)


def _eml_name(r: Recipient, ctx: Context) -> str:
    safe = re.sub(r"[^A-Za-z0-9._-]", "_", r.email)
    return f"{ctx.now:%Y%m%dT%H%M%S}_{safe}.eml"


def run_digest(warehouse: str | os.PathLike, subscriptions_file: str | os.PathLike | None = None,
               *, since: int | None = None, always: bool = False,
               dry_run: str | os.PathLike | None = None, pdf: bool = False,
               now: dt.datetime | None = None,
               sender_factory: Callable | None = None,
               echo: Callable[[str], None] | None = None) -> Report:
    """One digest run (see the module's docstring). Raises
    :class:`subscriptions.SubscriptionsError` for an invalid file, ``settings.SettingsError``
    for unusable settings and :class:`DigestError` for what else stops the run before any mail;
    a failed mail is reported in the result, never raised, and the others still go out."""
    from dashboard import mail, queries
    from release import public, publication

    say = echo or (lambda _line: None)
    recipients = subscriptions.load(Path(subscriptions_file) if subscriptions_file else None)
    s = settings.get_settings()
    url = settings.public_url()
    ms = settings.mail_settings()
    if dry_run is None:
        if not ms.sender:
            raise settings.SettingsError("DTP_MAIL_FROM is not set (the digest's From address)")
        if not subscriptions.valid_address(ms.sender):
            raise settings.SettingsError(f"DTP_MAIL_FROM {ms.sender!r} is not an e-mail "
                                         "address")
        ms.password()  # an unreadable password file stops the run before any mail
    out_dir = Path(dry_run) if dry_run is not None else None
    if out_dir is not None and not out_dir.is_dir():
        raise DigestError(f"--dry-run: no such folder {str(out_dir)!r}")

    try:
        run = queries.current_run(Path(warehouse))
        bureaus = queries.bureaus(run)["bureau_code"].to_list()
    except queries.WarehouseMissing:
        raise DigestError(f"no warehouse at {warehouse} (build one with: python -m pipelines "
                          "build)") from None
    except queries.WarehouseUnreadable as exc:
        raise DigestError(f"{warehouse} is not a readable warehouse ({exc})") from None
    subscriptions.check_bureaus(recipients, bureaus)
    kept = Versions(Path(warehouse))
    live = Live(Path(warehouse), run.run_id, kept.number_of(run.run_id))
    if since is not None and kept.file(since) is None:
        raise UnknownVersion(f"--since {since}: no such version (kept: "
                             f"{', '.join(map(str, kept.numbers)) or 'none'})")
    rel = publication.release(live.path, s.suppress_below)
    ctx = Context(live=live, release=rel, public_file=public.public_path(live.path,
                                                                         s.suppress_below),
                  threshold=s.suppress_below, url=url,
                  sender=ms.sender or DRY_RUN_FROM, now=now or dt.datetime.now().astimezone(),
                  pdf=pdf)

    compared: dict[int | None, tuple[Change, ...]] = {}

    def changes_since(version: int | None) -> tuple[Change, ...]:
        if version not in compared:
            before = kept.file(version) if version is not None else None
            if before is None or version == live.version:
                compared[version] = ()
            else:
                try:
                    compared[version] = visible(
                        raw_changes(before, live.path),
                        publication.release(before, s.suppress_below), rel)
                except duckdb.Error as exc:
                    raise DigestError(f"version {version} cannot be compared with the live "
                                      f"warehouse ({' '.join(str(exc).split())[:200]})"
                                      ) from None
        return compared[version]

    outcomes: list[Outcome] = []
    make_sender = sender_factory or (lambda: mail.Sender(ms))
    with subscriptions.locked():
        state = subscriptions.read_state()
        sender = None
        try:
            for r in recipients:
                last = state.get(r.key)
                if not _due(r, last, ctx.now):
                    outcomes.append(Outcome(r.email, "not_due", "monthly: sent this month"))
                    continue
                if last is not None and last.run_id == live.run_id and not always:
                    outcomes.append(Outcome(r.email, "unchanged", "this version already sent"))
                    continue
                base = _baseline(since, last, live, kept)
                ch = tuple(c for c in changes_since(base)
                           if in_scope(c.bureau_code, c.metric, r.bureaus))
                if not ch and not always:
                    outcomes.append(Outcome(r.email, "unchanged", "no visible change"))
                    continue
                m = compose(ctx, r, ch, base)
                mid = m.message["Message-ID"]
                if out_dir is not None:
                    target = out_dir / _eml_name(r, ctx)
                    target.write_bytes(m.message.as_bytes())
                    outcomes.append(Outcome(r.email, "written", str(target), mid))
                    say(f"wrote {target}")
                    continue
                if sender is None:
                    sender = make_sender()
                res = sender.send(m.message)
                if not res.ok:
                    outcomes.append(Outcome(r.email, "failed", res.error))
                    say(f"FAILED {r.email} after {res.attempts} attempt(s): {res.error}")
                    continue
                state[r.key] = Sent(live.version, live.run_id, ctx.now, mid)
                subscriptions.write_state(state)
                try:
                    audit.append(audit.line(
                        "mail", DIGEST_USER, (), recipient=r.email, version=live.version,
                        message_id=mid, run_id=live.run_id,
                        filters={"lang": r.lang,
                                 "bureaus": list(r.bureaus) if r.bureaus else None}))
                except OSError as exc:  # sent, and kept as sent: but the run reports it
                    log.error("audit line for the mail to %s not written: %s", r.email, exc)
                    outcomes.append(Outcome(r.email, "failed", f"sent as {mid}, but the audit "
                                            f"line could not be written ({exc})", mid))
                    continue
                outcomes.append(Outcome(r.email, "sent", f"{len(ch)} change(s)", mid))
                say(f"sent {r.email} {mid} ({len(ch)} change(s))")
        finally:
            if sender is not None:
                sender.close()
    return Report(tuple(outcomes))


__all__ = ["Change", "Context", "DigestError", "Live", "Mail", "Outcome", "Report", "compose",
           "in_scope", "link", "run_digest", "visible"]

