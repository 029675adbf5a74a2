"""A delivery's life (issue 22, items 2, 4, 6, 8): propose → validate and build a candidate in a
separate process → approve (four eyes) / reject / withdraw → live; deletion of rejected ones.

Each delivery is a folder ``<store>/deliveries/<id>/`` (0700, files 0600):

    delivery.json   the record: id, who, when, note, files (name, sha256, rows, uploaded or
                    carried over from the live raw set), state and its history
    progress.json   the worker's phase and progress (anyone can leave and come back)
    .worker.lock    held (flock) by the worker process while it lives: a ``validating``
                    delivery whose lock nobody holds was interrupted (killed, server restart)
    worker.json     the spawned worker's pid (its own process group): withdraw stops it
    raw/            the candidate's raw set (links to the stored files)
    candidate.duckdb, changes/, report.parquet   once validated

States: ``validating`` → ``valid`` / ``rejected`` → ``approved`` / ``withdrawn`` /
``superseded`` (another delivery went live first); ``interrupted`` is read, never written.
The live warehouse changes only in :func:`approve` (the build's lock and durable swap), so a
killed worker leaves nothing half-applied. Every refusal is a :class:`Refused` with an i18n key:
the page shows it in its language, the CLI in English.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import os
import re
import secrets
import shutil
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import polars as pl

from pipelines import audit, settings
from pipelines.delivery import intake, versions
from pipelines.delivery.changes import Changes
from pipelines.delivery.store import (
    DIR_MODE,
    FILE_MODE,
    Store,
    is_locked,
    read_json,
    take,
    write_json,
)
from pipelines.origin import sha256
from pipelines.warehouse import BuildBusy, build_lock, install_copy, remove_leftovers

STATES = ("validating", "valid", "rejected", "approved", "withdrawn", "superseded",
          "interrupted")
OPEN = ("validating", "valid", "interrupted")
ID_PATTERN = re.compile(r"^[0-9]{8}T[0-9]{6}Z-[0-9a-f]{6}$")
REPORT_COLUMNS = ("file", "column", "rule", "rows", "count", "severity", "message")
# the worker runs below the server's priority: a page visit during a validation goes first
# (the worker still takes every idle cycle, so alone it is as fast as a CLI build)
WORKER_NICE = 10
PHASES = ("queued", "intake", "read", "validate", "warehouse", "changes", "done")


class Refused(Exception):
    """The flow refuses an action; ``key``/``params`` name the sentence in release/i18n.py."""

    def __init__(self, key: str, **params: object) -> None:
        self.key, self.params = key, params
        from release import i18n  # the string table (words only; tests/test_layers.py)

        super().__init__(i18n.t(key, "en", **params))


class UnknownDelivery(Refused):
    def __init__(self, delivery_id: str) -> None:
        super().__init__("dlv_unknown", id=delivery_id)


@dataclass
class Delivery:
    id: str
    by: str
    created_at: str
    note: str
    state: str
    files: list[dict]  # file, sha256, rows, bytes, uploaded (bool)
    history: list[dict] = field(default_factory=list)  # state, at, by, reason
    live_sha256: str | None = None
    live_version: int | None = None
    candidate_sha256: str | None = None
    run_id: str | None = None
    as_of_date: str | None = None
    approved_by: str | None = None
    version: int | None = None
    four_eyes: bool | None = None
    reason: str | None = None
    summary: dict | None = None  # {"ja": …, "en": …} of the changes
    progress: dict = field(default_factory=dict)  # phase, detail, at (from progress.json)

    @property
    def uploaded(self) -> list[str]:
        return [f["file"] for f in self.files if f.get("uploaded")]

    def audit_files(self, uploaded_only: bool = False) -> list[dict]:
        return [{"file": f["file"], "sha256": f["sha256"], "rows": f.get("rows")}
                for f in self.files if f.get("uploaded") or not uploaded_only]


def _now() -> str:
    return dt.datetime.now(dt.UTC).isoformat(timespec="seconds").replace("+00:00", "Z")


def _folder(st: Store, delivery_id: str) -> Path:
    if not isinstance(delivery_id, str) or not ID_PATTERN.fullmatch(delivery_id):
        raise UnknownDelivery(str(delivery_id)[:40])
    return st.deliveries_dir / delivery_id


FIELDS = set(Delivery.__dataclass_fields__) - {"progress"}


def _load(folder: Path) -> Delivery:
    rec = read_json(folder / "delivery.json")
    d = Delivery(**{k: v for k, v in rec.items() if k in FIELDS})
    try:
        d.progress = read_json(folder / "progress.json")
    except (OSError, ValueError):
        d.progress = {}
    if d.state == "validating" and not is_locked(folder / ".worker.lock"):
        d.state = "interrupted"
    return d


def _save(folder: Path, d: Delivery) -> None:
    rec = {k: getattr(d, k) for k in Delivery.__dataclass_fields__ if k != "progress"}
    write_json(folder / "delivery.json", rec)


def get(st: Store, delivery_id: str) -> Delivery:
    folder = _folder(st, delivery_id)
    if not (folder / "delivery.json").is_file():
        raise UnknownDelivery(delivery_id)
    return _load(folder)


def list_deliveries(st: Store) -> list[Delivery]:
    """Every delivery on disk, newest first (expired rejected ones deleted first)."""
    if not st.deliveries_dir.is_dir():
        return []
    purge_expired(st)
    out = []
    for rec in st.deliveries_dir.glob("*/delivery.json"):
        try:
            out.append(_load(rec.parent))
        except (OSError, ValueError, TypeError):
            continue
    return sorted(out, key=lambda d: d.id, reverse=True)


def _audit(event: str, by: str, roles: Sequence[str], d: Delivery, **detail: object) -> None:
    audit.append(audit.line(event, by, list(roles), run_id=d.run_id, delivery=d.id,
                            files=d.audit_files(uploaded_only=event == "upload"),
                            detail={"state": d.state, **detail}))


def _set(d: Delivery, state: str, by: str | None, reason: str | None = None) -> None:
    d.state = state
    d.history.append({"state": state, "at": _now(), "by": by, "reason": reason})


def _transition_to(st: Store, delivery_id: str, allowed: Sequence[str], state: str, by: str,
                   reason: str | None = None,
                   extra: Callable[[Delivery], None] | None = None) -> Delivery:
    folder = _folder(st, delivery_id)
    with st.lock():
        d = get(st, delivery_id)
        if d.state not in allowed:
            raise Refused("dlv_refuse_state", id=d.id, state=d.state)
        if extra is not None:
            extra(d)
        _set(d, state, by, reason)
        _save(folder, d)
    return d


# --- propose ---------------------------------------------------------------------------------

def propose(st: Store, files: Mapping[str, bytes] | Sequence[tuple[str, bytes]] | Path,
            note: str, by: str, *, roles: Sequence[str] = ("cli",),
            run: str | None = "spawn") -> Delivery:
    """Take a delivery: ``files`` as uploaded (``{name: bytes}`` or ``[(name, bytes)]``, a .zip
    allowed) or a raw folder. Files not given are carried over from the live raw set when the
    worker builds. ``run``: ``"spawn"`` (a separate process, the page), ``"inline"`` (this
    process waits: the CLI, tests) or ``None`` (not started: tests of interruption).
    Raises :class:`intake.Rejected` (nothing stored) on a bad upload."""
    st.open()
    limit = settings.upload_max_bytes()
    if isinstance(files, Path):
        stored = _take_folder(st, files, limit)
    else:
        items = list(files.items()) if isinstance(files, Mapping) else list(files)
        unpacked = intake.unpack(items, limit)
        stored = [{"file": name, "sha256": st.put_bytes(data), "bytes": len(data),
                   "rows": intake.count_rows(data) if name.endswith(".csv") else None,
                   "uploaded": True} for name, data in sorted(unpacked.items())]
    now = dt.datetime.now(dt.UTC)
    d = Delivery(id=now.strftime("%Y%m%dT%H%M%SZ") + "-" + secrets.token_hex(3), by=by,
                 created_at=_now(), note=(note or "").strip()[:2000], state="validating",
                 files=stored)
    _set(d, "validating", by)
    folder = st.deliveries_dir / d.id
    folder.mkdir(mode=DIR_MODE)
    _save(folder, d)
    _progress(folder, "queued")
    _audit("upload", by, roles, d, note=d.note)
    purge_expired(st)
    if run == "inline":
        from pipelines.delivery.worker import run_delivery

        run_delivery(st, d.id)
        return get(st, d.id)
    if run == "spawn":
        spawn(st, d.id)
    return get(st, d.id)


def _take_folder(st: Store, raw: Path, limit: int) -> list[dict]:
    if not raw.is_dir():
        raise intake.Rejected(f"{raw}: the folder does not exist")
    problems, stored = [], []
    for p in sorted(raw.iterdir()):
        if not p.is_file() or p.name.startswith("."):
            continue
        if p.suffix.lower() not in (".csv", ".json", ".zip") and p.name not in intake.EXTRAS:
            continue  # a raw folder may hold other things (notes, READMEs)
        with open(p, "rb") as fh:
            head = fh.read(8192)
        why = intake.check_file(p.name, p.name, p.stat().st_size, head, limit)
        if why:
            problems.append(why)
            continue
        sha = st.put_file(p)
        data_rows = None
        if p.name.endswith(".csv"):
            with open(st.blob(sha), "rb") as fh:
                data_rows = intake.count_rows(fh.read())
        stored.append({"file": p.name, "sha256": sha, "bytes": p.stat().st_size,
                       "rows": data_rows, "uploaded": True})
    if problems:
        raise intake.Rejected(problems)
    if not stored:
        raise intake.Rejected(f"{raw}: no file of the contract in the folder")
    return stored


def _progress(folder: Path, phase: str, detail: str = "") -> None:
    write_json(folder / "progress.json", {"phase": phase, "detail": detail, "at": _now(),
                                          "pid": os.getpid()})


def spawn(st: Store, delivery_id: str) -> subprocess.Popen:
    """Start the worker for ``delivery_id`` in a separate process. Its lock is taken here and
    handed over (inherited descriptor), so the delivery never looks interrupted meanwhile."""
    folder = _folder(st, delivery_id)
    fd = os.open(folder / ".worker.lock", os.O_RDWR | os.O_CREAT, FILE_MODE)
    try:
        if not take(fd, patience=1.0):
            raise Refused("dlv_refuse_running", id=delivery_id)
        log = open(folder / "worker.log", "ab")  # noqa: SIM115 - handed to the child
        os.chmod(folder / "worker.log", FILE_MODE)
        env = dict(os.environ)
        # as `python -m pipelines build`: Polars' allocator hands freed pages back at once
        env.setdefault("_RJEM_MALLOC_CONF", "dirty_decay_ms:0,muzzy_decay_ms:0")
        proc = subprocess.Popen(
            [sys.executable, "-m", "pipelines.delivery.worker", "--store", str(st.root),
             "--warehouse", str(st.warehouse), "--lock-fd", str(fd), "--nice",
             str(WORKER_NICE), delivery_id],
            pass_fds=(fd,), stdin=subprocess.DEVNULL, stdout=log, stderr=log,
            start_new_session=True, env=env, cwd=str(settings.ROOT))
        log.close()
        write_json(folder / "worker.json", {"pid": proc.pid, "at": _now()})
    finally:
        os.close(fd)  # the child holds the lock now
    threading.Thread(target=proc.wait, daemon=True).start()  # no zombie left behind
    return proc


def rerun(st: Store, delivery_id: str, by: str, *, roles: Sequence[str] = ("cli",),
          run: str = "spawn") -> Delivery:
    """Run an interrupted delivery's validation again (same files)."""
    d = _transition_to(st, delivery_id, ("interrupted",), "validating", by, "rerun")
    _progress(_folder(st, delivery_id), "queued")
    if run == "inline":
        from pipelines.delivery.worker import run_delivery

        run_delivery(st, d.id)
    else:
        spawn(st, d.id)
    return get(st, delivery_id)


# --- decisions -------------------------------------------------------------------------------

def approve(st: Store, delivery_id: str, by: str, *, four_eyes: bool = True,
            roles: Sequence[str] = ("cli",), wait: float = 30.0) -> versions.Version:
    """Put a valid delivery's candidate live (the build's lock and durable swap) as a new
    version. Refused: not ``valid``; ``four_eyes`` and ``by`` proposed it; the live warehouse
    is not the one the candidate was built against ("validate again")."""
    d = get(st, delivery_id)
    if d.state != "valid":
        raise Refused("dlv_refuse_state", id=d.id, state=d.state)
    if four_eyes and _same_person(by, d.by):
        raise Refused("dlv_refuse_own", id=d.id)
    folder = _folder(st, delivery_id)
    candidate = folder / "candidate.duckdb"
    st.live.parent.mkdir(parents=True, exist_ok=True)
    with build_lock(st.live, wait):
        d = get(st, delivery_id)  # again, under the lock: another approver may have been first
        if d.state != "valid":
            raise Refused("dlv_refuse_state", id=d.id, state=d.state)
        if versions.live_sha(st) != d.live_sha256:
            raise Refused("dlv_refuse_moved", id=d.id)
        if not candidate.is_file() or sha256(candidate) != d.candidate_sha256:
            raise Refused("dlv_refuse_candidate", id=d.id)
        versions.adopt_live(st)  # the warehouse being replaced stays restorable
        install_copy(candidate, st.warehouse)
        files = {f["file"]: f["sha256"] for f in d.files}
        v = versions.record(st, kind="delivery", warehouse_file=candidate, raw=files,
                            run_id=d.run_id, as_of_date=d.as_of_date,
                            warehouse_sha=d.candidate_sha256, delivery=d.id, uploader=d.by,
                            approver=by)

        def mark(x: Delivery) -> None:
            x.approved_by, x.version, x.four_eyes = by, v.number, four_eyes

        d = _transition_to(st, delivery_id, ("valid",), "approved", by, extra=mark)
        for other in list_deliveries(st):
            if other.id != d.id and other.state == "valid":
                with contextlib.suppress(Refused):
                    _transition_to(st, other.id, ("valid",), "superseded", by,
                                   f"delivery {d.id} went live first")
                    (_folder(st, other.id) / "candidate.duckdb").unlink(missing_ok=True)
    candidate.unlink(missing_ok=True)  # kept in the store as version N
    _audit("approve", by, roles, d, four_eyes=four_eyes, version=v.number,
           warehouse_sha256=d.candidate_sha256)
    return v


def _same_person(a: str, b: str) -> bool:
    return a.strip().casefold() == b.strip().casefold()


def reject(st: Store, delivery_id: str, by: str, reason: str, *,
           roles: Sequence[str] = ("cli",)) -> Delivery:
    """Reject a valid (or interrupted) delivery; a reason is required."""
    if not reason or not reason.strip():
        raise Refused("dlv_refuse_reason")
    get(st, delivery_id)
    d = _transition_to(st, delivery_id, ("valid", "interrupted"), "rejected", by,
                       reason.strip(), extra=lambda x: setattr(x, "reason", reason.strip()))
    (_folder(st, delivery_id) / "candidate.duckdb").unlink(missing_ok=True)
    _audit("reject", by, roles, d, reason=reason.strip())
    return d


def withdraw(st: Store, delivery_id: str, by: str, *, admin: bool = False,
             roles: Sequence[str] = ("cli",), wait: float = 10.0) -> Delivery:
    """The uploader (or an admin) takes back a delivery not decided yet. A worker still
    validating it is stopped (its process group killed; ``wait``: seconds for it to go) and the
    candidate's files, finished or half-built, are removed."""
    d = get(st, delivery_id)
    if not admin and not _same_person(by, d.by):
        raise Refused("dlv_refuse_not_yours", id=d.id)
    d = _transition_to(st, delivery_id, OPEN, "withdrawn", by)
    folder = _folder(st, delivery_id)
    stopped = _stop_worker(folder, delivery_id, wait)
    candidate = folder / "candidate.duckdb"
    candidate.unlink(missing_ok=True)
    with contextlib.suppress(BuildBusy):  # (a worker that outlived ``wait`` cleans up itself)
        remove_leftovers(candidate)
    _audit("withdraw", by, roles, d, **({"worker_stopped": True} if stopped else {}))
    return d


def _stop_worker(folder: Path, delivery_id: str, wait: float) -> bool:
    """Kill the worker still running ``delivery_id`` (the process group ``flow.spawn`` started,
    named in ``worker.json``) and wait until its lock is free; False if none was running. The
    pid is checked first (it holds the lock, is its own group's leader and runs this
    delivery's worker), so a recycled pid is never signalled."""
    lock = folder / ".worker.lock"
    if not is_locked(lock):
        return False
    try:
        pid = int(read_json(folder / "worker.json")["pid"])
    except (OSError, ValueError, KeyError, TypeError):
        return False  # run inline (the CLI): it sees the withdrawal when it finishes
    if not _runs_worker(pid, delivery_id):
        return False
    with contextlib.suppress(ProcessLookupError):
        os.killpg(pid, signal.SIGKILL)
    deadline = time.monotonic() + wait
    while is_locked(lock) and time.monotonic() < deadline:
        time.sleep(0.05)
    return True


def _runs_worker(pid: int, delivery_id: str) -> bool:
    try:
        args = Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")
        leader = os.getpgid(pid) == pid
    except (OSError, ProcessLookupError):
        return False
    return leader and b"pipelines.delivery.worker" in args and delivery_id.encode() in args


def delete(st: Store, delivery_id: str, by: str, *, admin: bool = False,
           roles: Sequence[str] = ("cli",)) -> None:
    """Remove a rejected (or withdrawn/superseded) delivery and its files: the uploader or an
    admin."""
    d = get(st, delivery_id)
    if not admin and not _same_person(by, d.by):
        raise Refused("dlv_refuse_not_yours", id=d.id)
    if d.state not in ("rejected", "withdrawn", "superseded"):
        raise Refused("dlv_refuse_state", id=d.id, state=d.state)
    _remove(st, d)
    _audit("delete", by, roles, d)


def _remove(st: Store, d: Delivery) -> None:
    with st.lock():
        shutil.rmtree(_folder(st, d.id), ignore_errors=True)
        versions.collect_garbage(st)


def purge_expired(st: Store, days: int | None = None) -> list[str]:
    """Delete rejected/withdrawn/superseded deliveries decided more than ``days`` ago
    (``DTP_REJECTED_DAYS``, 0 = never)."""
    days = settings.rejected_days() if days is None else days
    if days <= 0 or not st.deliveries_dir.is_dir():
        return []
    cutoff = dt.datetime.now(dt.UTC) - dt.timedelta(days=days)
    gone = []
    for rec in st.deliveries_dir.glob("*/delivery.json"):
        try:
            d = _load(rec.parent)
            when = dt.datetime.fromisoformat(d.history[-1]["at"].replace("Z", "+00:00"))
        except (OSError, ValueError, TypeError, KeyError, IndexError):
            continue
        if d.state in ("rejected", "withdrawn", "superseded") and when < cutoff:
            _remove(st, d)
            _audit("delete", "system", ("system",), d, reason=f"older than {days} days")
            gone.append(d.id)
    return gone


# --- what the page and the CLI show ----------------------------------------------------------

def changes_of(st: Store, delivery_id: str) -> Changes | None:
    """The stored comparison with the live warehouse it was built against (valid deliveries
    and later); None before."""
    folder = _folder(st, delivery_id) / "changes"
    return Changes.load(folder) if (folder / "kpi.parquet").exists() else None


def report_of(st: Store, delivery_id: str) -> pl.DataFrame:
    """The validation report (file, column, rule, rows as a spreadsheet numbers them, count,
    severity, message): errors of a rejected delivery, warnings of a valid one."""
    p = _folder(st, delivery_id) / "report.parquet"
    if p.exists():
        return pl.read_parquet(p)
    return pl.DataFrame(schema={c: pl.Int64 if c == "count" else pl.String
                                for c in REPORT_COLUMNS})


def candidate_of(st: Store, delivery_id: str) -> Path | None:
    p = _folder(st, delivery_id) / "candidate.duckdb"
    return p if p.exists() else None


def _chmod_tree(folder: Path) -> None:
    for p in folder.rglob("*"):
        os.chmod(p, DIR_MODE if p.is_dir() else FILE_MODE)
