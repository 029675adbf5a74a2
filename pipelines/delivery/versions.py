"""Every live version of the warehouse (issue 22, item 5): its warehouse file and its raw set,
stored once by sha256 in the delivery store, numbered 1, 2, 3 …

A version is recorded whenever a warehouse goes live: an approved delivery (``delivery``), a
``python -m pipelines build`` (``CLI``) and a restore (``restore``, itself a new version). The
newest ``DTP_VERSIONS_KEEP`` (24) are kept; files no kept version or open delivery names are
then removed. ``restore(N)`` puts back a warehouse byte-identical to version N with the build's
lock and durable swap.
"""

from __future__ import annotations

import datetime as dt
import os
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path

from pipelines import audit, settings
from pipelines.delivery import digest_hook
from pipelines.delivery.store import Store, StoreError, read_json, write_json
from pipelines.origin import sha256
from pipelines.schema import TABLES
from pipelines.warehouse import BuildResult, build_lock, install_copy

KINDS = ("delivery", "CLI", "restore")
CONTRACT_FILES = tuple(t.file for t in TABLES)
MANIFEST = "SAMPLE_MANIFEST.json"  # pipelines.origin: kept with a raw set (the sample banner)


class UnknownVersion(LookupError):
    """No version N in the store."""


@dataclass(frozen=True)
class Version:
    number: int
    run_id: str | None
    kind: str
    at: str
    warehouse_sha256: str
    raw: dict[str, str] = field(default_factory=dict)  # file name → sha256
    delivery: str | None = None
    uploader: str | None = None
    approver: str | None = None
    restored_from: int | None = None
    reason: str | None = None
    as_of_date: str | None = None
    warehouse_bytes: int | None = None

    def warehouse_path(self, st: Store) -> Path:
        """The stored warehouse file of this version (read it, never write it)."""
        return st.blob(self.warehouse_sha256)

    def line(self) -> str:
        """``versions list``: N first, then kind, run, time, who."""
        who = ", ".join(x for x in (
            f"delivery {self.delivery}" if self.delivery else "",
            f"uploaded by {self.uploader}" if self.uploader else "",
            f"approved by {self.approver}" if self.approver else "",
            f"restored from {self.restored_from}" if self.restored_from else "",
            f"reason: {self.reason}" if self.reason else "") if x)
        return (f"{self.number}  {self.kind:<8}  run {self.run_id or '-'}  {self.at}  "
                f"as of {self.as_of_date or '-'}" + (f"  ({who})" if who else ""))


def _now() -> str:
    return dt.datetime.now(dt.UTC).isoformat(timespec="seconds").replace("+00:00", "Z")


def _path(st: Store, n: int) -> Path:
    return st.versions_dir / f"{n:06d}.json"


def list_versions(st: Store) -> list[Version]:
    """Every kept version, newest first."""
    if not st.versions_dir.is_dir():
        return []
    found = []
    for p in st.versions_dir.glob("*.json"):
        try:
            found.append(Version(**read_json(p)))
        except (OSError, ValueError, TypeError):
            continue
    return sorted(found, key=lambda v: v.number, reverse=True)


def get(st: Store, n: int) -> Version:
    p = _path(st, n) if isinstance(n, int) and n > 0 else None
    if p is None or not p.exists():
        known = [v.number for v in list_versions(st)]
        shown = ", ".join(map(str, known[:10])) or "none yet"
        raise UnknownVersion(f"version {n} does not exist (versions kept: {shown})")
    return Version(**read_json(p))


def _identity(path: Path) -> dict | None:
    try:
        s = os.stat(path)
    except FileNotFoundError:
        return None
    return {"dev": s.st_dev, "ino": s.st_ino, "size": s.st_size, "mtime_ns": s.st_mtime_ns}


def live_sha(st: Store) -> str | None:
    """sha256 of the live warehouse file (None: none yet); remembered per file identity."""
    ident = _identity(st.live)
    if ident is None:
        return None
    cache = st.root / "live.json"
    try:
        known = read_json(cache)
        if known.get("identity") == ident:
            return known["sha256"]
    except (OSError, ValueError, KeyError):
        pass
    sha = sha256(st.live)
    if st.root.is_dir():
        write_json(cache, {"identity": ident, "sha256": sha})
    return sha


def live_version(st: Store) -> Version | None:
    """The newest version whose warehouse is byte-identical to the live file."""
    sha = live_sha(st)
    if sha is None:
        return None
    return next((v for v in list_versions(st) if v.warehouse_sha256 == sha), None)


def _run_info(warehouse: Path) -> tuple[str | None, str | None, str | None, dict[str, str]]:
    """(run id, as-of date, raw dir, {file: sha256}) of the file's own (latest) run."""
    from pipelines.readonly import attach

    con = attach({"w": str(warehouse)})
    try:
        run = con.execute("SELECT run_id, as_of_date, raw_dir FROM w.pipeline_runs "
                          "ORDER BY started_at DESC LIMIT 1").fetchall()
        if not run:
            return None, None, None, {}
        run_id, as_of, raw_dir = run[0]
        files = dict(con.execute("SELECT file, sha256 FROM w.pipeline_run_files "
                                 "WHERE run_id = ?", [run_id]).fetchall())
    finally:
        con.close()
    return run_id, None if as_of is None else str(as_of), raw_dir, files


def _store_raw(st: Store, raw_dir: Path, expected: dict[str, str]) -> dict[str, str]:
    """Copy a build's raw files into the store (once per content); the build's sha256 must
    still be the file's (else it changed since and cannot be this version's)."""
    raw: dict[str, str] = {}
    for name, sha in expected.items():
        raw[name] = st.put_file(raw_dir / name, sha)
    manifest = raw_dir / MANIFEST
    if manifest.is_file():
        raw[MANIFEST] = st.put_file(manifest)
    return raw


def record(st: Store, *, kind: str, warehouse_file: Path, raw: dict[str, str],
           run_id: str | None, as_of_date: str | None, warehouse_sha: str | None = None,
           delivery: str | None = None, uploader: str | None = None,
           approver: str | None = None, restored_from: int | None = None,
           reason: str | None = None) -> Version:
    """Record the warehouse now live (called with its build lock held)."""
    if kind not in KINDS:
        raise ValueError(kind)
    st.open()
    if warehouse_sha is None or not st.blob(warehouse_sha).exists():
        warehouse_sha = st.put_file(warehouse_file, warehouse_sha)
    with st.lock():
        n = max((v.number for v in list_versions(st)), default=0) + 1
        v = Version(number=n, run_id=run_id, kind=kind, at=_now(),
                    warehouse_sha256=warehouse_sha, raw=dict(sorted(raw.items())),
                    delivery=delivery, uploader=uploader, approver=approver,
                    restored_from=restored_from, reason=reason, as_of_date=as_of_date,
                    warehouse_bytes=st.blob(warehouse_sha).stat().st_size)
        write_json(_path(st, n), asdict(v))
        ident = _identity(st.live)
        if ident is not None:
            write_json(st.root / "live.json", {"identity": ident, "sha256": warehouse_sha})
        prune(st)
    digest_hook.after_live(st.warehouse)  # the executive digest, in its own process
    return v


def record_cli(st: Store, res: BuildResult, raw_dir: Path) -> Version:
    """The version of a ``python -m pipelines build`` (its ``after_swap``: lock held)."""
    run_id, as_of, _raw, files = _run_info(st.live)
    raw = _store_raw(st.open(), raw_dir, files)
    return record(st, kind="CLI", warehouse_file=st.live, raw=raw, run_id=res.run_id,
                  as_of_date=as_of)


def adopt_live(st: Store) -> Version | None:
    """Make the live warehouse a version if it is none yet (built before the store existed,
    or by a build that could not record itself): its raw files are taken from the folder its
    run names, if they are still those files; else None (the live file cannot be restored,
    and a delivery must bring every file). Call with the build lock held."""
    if not st.live.exists():
        return None
    v = live_version(st)
    if v is not None:
        return v
    run_id, as_of, raw_dir, files = _run_info(st.live)
    if raw_dir is None:
        return None
    try:
        raw = _store_raw(st.open(), Path(raw_dir), files)
    except (OSError, StoreError):
        return None
    return record(st, kind="CLI", warehouse_file=st.live, raw=raw, run_id=run_id,
                  as_of_date=as_of, warehouse_sha=live_sha(st),
                  reason="live before the first recorded version")


def live_raw_set(st: Store) -> tuple[dict[str, str], list[str]]:
    """The live warehouse's raw set ``{file: sha256}`` (stored), and the files its run read
    that can no longer be found (neither stored nor unchanged in its raw folder)."""
    if not st.live.exists():
        return {}, []
    v = live_version(st)
    if v is not None:
        return dict(v.raw), []
    _run, _as_of, raw_dir, files = _run_info(st.live)
    raw, missing = {}, []
    for name, sha in files.items():
        try:
            raw[name] = st.put_file(Path(raw_dir or "") / name, sha)
        except (OSError, StoreError):
            missing.append(name)
    manifest = Path(raw_dir or "") / MANIFEST
    if raw_dir and manifest.is_file():
        raw[MANIFEST] = st.put_file(manifest)
    return raw, missing


def prune(st: Store, keep: int | None = None) -> list[int]:
    """Keep the newest ``keep`` versions (and always the live one); remove files nothing
    names any more. Called with the store lock held."""
    keep = settings.versions_keep() if keep is None else keep
    versions = list_versions(st)
    live = st.root / "live.json"
    try:
        live_sha_now = read_json(live).get("sha256")
    except (OSError, ValueError):
        live_sha_now = None
    dropped = []
    for v in versions[keep:]:
        if v.warehouse_sha256 == live_sha_now:
            continue
        _path(st, v.number).unlink(missing_ok=True)
        dropped.append(v.number)
    if dropped:
        collect_garbage(st)
    return dropped


def referenced(st: Store) -> set[str]:
    """Every sha256 a kept version or a delivery still on disk names."""
    names: set[str] = set()
    for v in list_versions(st):
        names.add(v.warehouse_sha256)
        names.update(v.raw.values())
    for rec in st.deliveries_dir.glob("*/delivery.json"):
        try:
            names.update(f["sha256"] for f in read_json(rec).get("files", []))
        except (OSError, ValueError, KeyError, TypeError):
            continue
    return names


GRACE_SECONDS = 3600  # a file stored this recently may belong to a delivery being recorded


def collect_garbage(st: Store) -> int:
    """Remove stored files nothing names (store lock held); files stored (or reused) in the
    last hour are left alone: a delivery being proposed stores its files before its record."""
    import time

    keep = referenced(st)
    removed = 0
    recent = time.time() - GRACE_SECONDS
    for p in st.blobs.glob("*/*"):
        if p.is_file() and p.name not in keep and p.stat().st_mtime < recent:
            p.unlink(missing_ok=True)
            removed += 1
    return removed


def restore(st: Store, n: int, by: str, reason: str, *, roles: Sequence[str] = ("cli",),
            wait: float = 30.0) -> Version:
    """Put back version ``n``'s warehouse, byte-identical, as a new version (audited). Who
    may do it is the caller's check (the page: ``dashboard.access``, admins; the CLI: a shell
    on the server)."""
    if not reason or not reason.strip():
        raise ValueError("a restore needs a reason")
    old = get(st, n)
    blob = old.warehouse_path(st)
    if not blob.exists():
        raise StoreError(f"version {n}'s warehouse file is missing from {st.root}")
    st.live.parent.mkdir(parents=True, exist_ok=True)
    with build_lock(st.live, wait):
        install_copy(blob, st.warehouse)
        v = record(st, kind="restore", warehouse_file=blob, raw=old.raw, run_id=old.run_id,
                   as_of_date=old.as_of_date, warehouse_sha=old.warehouse_sha256,
                   delivery=old.delivery, uploader=old.uploader, approver=by,
                   restored_from=n, reason=reason.strip())
    audit.append(audit.line("restore", by, list(roles), run_id=old.run_id,
                            delivery=f"version {n}",
                            files=[{"file": k, "sha256": s} for k, s in old.raw.items()],
                            detail={"version": v.number, "restored_from": n,
                                    "warehouse_sha256": old.warehouse_sha256,
                                    "reason": reason.strip()}))
    return v
