"""The roll-up edition's submissions inbox (issue 24): what happens to an uploaded pack, apart
from the page that draws it (``rollup/views/inbox.py``).

:func:`receive` — an uploaded ``.zip``, through the delivery flow's zip safety
(``pipelines.delivery.intake.read_zip``: paths, links, nesting, expansion, the upload limit),
into a private folder of the store's inbox, then the ONE intake validation of a pack
(``release.intake.check_pack``) and the store's own check (one threshold and method), then the
person's standing checked server-side (``access.authorize_submit``: a submitter of another
organisation is refused), then the changes against the organisation's previous month
(``release.rollup_store.pack_changes``). Every problem is the CLI's own line
(``rollup accept``), with the upload's name in place of the inbox folder.

:func:`accept` — the submitter's decision: the standing checked again, the pack accepted into the
store (``release.rollup_store.accept``: validated again there), and the roll-up file rebuilt from
the store in a separate process (``python -m pipelines rollup --store … --out …``), never in the
script thread.

Audit lines: ``submit`` (every upload: name, sha256, size), ``rejected`` (invalid, or not the
submitter's organisation) and ``accepted`` (organisation, month, what it replaces).
"""

from __future__ import annotations

import hashlib
import shutil
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path

import polars as pl

from dashboard import access, audit
from dashboard.access import Principal
from pipelines import settings
from pipelines.delivery import intake as upload
from release import intake, rollup_store
from release.rollup import month_of, pack_kpi

ROOT = Path(__file__).resolve().parent.parent


@dataclass
class Received:
    """One uploaded pack as the page shows it."""

    name: str
    sha256: str
    problems: list[str] = field(default_factory=list)  # the CLI's lines; empty: valid
    refused: bool = False  # valid, but not the submitter's organisation
    organisation: str | None = None
    month: str | None = None
    as_of_date: str | None = None
    folder: Path | None = None
    previous: dict | None = None  # the organisation's pack of its latest earlier month
    replaces: dict | None = None  # its pack of this month already in use (replaced on accept)
    changes: pl.DataFrame | None = None
    accepted: dict | None = None  # the store's record, once accepted
    upload_id: str | None = None  # the page's upload it came from (checked once per upload)

    @property
    def ok(self) -> bool:
        return not self.problems and not self.refused and self.folder is not None


def _discard(folder: Path | None) -> None:
    if folder is not None:
        shutil.rmtree(folder, ignore_errors=True)


def receive(p: Principal, name: str, data: bytes, store: Path) -> Received:
    """Check one uploaded pack (module docstring); never raises for a bad upload."""
    sha = hashlib.sha256(data).hexdigest()
    got = Received(name=name, sha256=sha)
    audit.record("submit", p, page=access.INBOX_PAGE,
                 files=[{"file": name, "sha256": sha, "bytes": len(data)}])
    try:
        if not name.lower().endswith(".zip"):
            raise upload.Rejected(f"{name}: not a .zip file (a pack is uploaded as one zip of "
                                  "its folder)")
        files = upload.read_zip(name, data, settings.upload_max_bytes(), office=(".xlsx",))
        got.folder = rollup_store.unpack_pack(files, store)
        pack = intake.check_pack(got.folder)
        problems: list[str] = []
        rollup_store.check_against_store(pack, store, problems)
        if problems:
            raise intake.Rejected(problems)
    except (upload.Rejected, intake.Rejected) as exc:
        lines = exc.lines if isinstance(exc, upload.Rejected) else exc.messages
        where = str(got.folder) if got.folder is not None else None
        got.problems = [line.replace(where, name) if where else line for line in lines]
        _discard(got.folder)
        got.folder = None
        audit.record("rejected", p, page=access.INBOX_PAGE,
                     files=[{"file": name, "sha256": sha}], detail=got.problems[:5])
        return got
    got.organisation, got.month = pack.code, month_of(pack.as_of_date)
    got.as_of_date = pack.as_of_date.isoformat()
    try:
        access.authorize_submit(p, pack.code, detail=f"{name}: a pack of {pack.code}")
    except access.AccessDenied:
        got.refused = True
        _discard(got.folder)
        got.folder = None
        return got
    got.previous = rollup_store.previous(store, pack.code, got.month)
    got.replaces = rollup_store.current(rollup_store.submissions(store)).get(
        (got.month, pack.code))
    before = (rollup_store.part_frame(store, got.previous, rollup_store.KPI_PART)
              if got.previous else None)
    got.changes = rollup_store.pack_changes(before, pack_kpi(pack, got.month))
    return got


def accept(p: Principal, got: Received, store: Path, rollup_file: Path) -> dict:
    """Put a received pack into the store (the standing checked again; raises
    ``access.AccessDenied`` or ``intake.Rejected``), then rebuild the roll-up file in a
    separate process. Returns the store's record."""
    if not got.ok or got.organisation is None:
        raise intake.Rejected([f"{got.name}: not a valid pack"])
    who = access.authorize_submit(p, got.organisation)
    try:
        res = rollup_store.accept(got.folder, store, submitted_by=who.user, source=got.name,
                                  wait=30.0)
    except intake.Rejected as exc:
        audit.record("rejected", who, page=access.INBOX_PAGE,
                     files=[{"file": got.name, "sha256": got.sha256}], detail=exc.messages[:5])
        raise
    finally:
        _discard(got.folder)
    got.folder = None
    got.accepted = res.record
    audit.record("accepted", who, page=access.INBOX_PAGE, dataset=res.record["organisation"],
                 files=[{"file": got.name, "sha256": got.sha256}],
                 detail={"month": res.record["month"], "stored": res.record["stored"],
                         "replaces": res.record["replaces"]})
    rebuild(store, rollup_file)
    return res.record


def rebuild(store: Path, rollup_file: Path) -> subprocess.Popen:
    """``python -m pipelines rollup --store STORE --out FILE`` in its own process (its output
    in the store's ``.rebuild.log``); the pages read the new file once it is swapped in."""
    log = open(Path(store) / ".rebuild.log", "ab")  # noqa: SIM115 — handed to the child
    try:
        return subprocess.Popen(
            [sys.executable, "-m", "pipelines", "rollup", "--store", str(store), "--out",
             str(rollup_file), "--wait", "120"],
            cwd=ROOT, stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
            start_new_session=True)
    finally:
        log.close()


__all__ = ["Received", "accept", "rebuild", "receive"]
