"""The delivery store: one folder per live warehouse (``settings.deliveries``), 0700, every file
in it 0600 (uploaded files are personnel data).

    <root>/store.json                 the warehouse it belongs to
    <root>/blobs/<sha256[:2]>/<sha256>  every file once, by content (raw CSVs, warehouse files)
    <root>/versions/<N>.json          one live version each (pipelines/delivery/versions.py)
    <root>/live.json                  the live file's identity when it was last recorded
    <root>/deliveries/<id>/           one delivery (pipelines/delivery/flow.py)
    <root>/.store.lock                short critical sections (numbering, records, pruning)
    <root>/.queue.lock                one validation at a time

Locks are taken in one order: the warehouse's build lock, then ``.store.lock``.
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import json
import os
import secrets
import time
from collections.abc import Iterator
from pathlib import Path

from pipelines import settings
from pipelines.warehouse import live_file

DIR_MODE = 0o700
FILE_MODE = 0o600


class StoreError(Exception):
    """The store cannot be used (another warehouse's, unreadable): one clear line."""


def _touch(path: Path) -> None:
    """Mark a stored file as used now (garbage collection spares recent files)."""
    with contextlib.suppress(OSError):
        os.utime(path)


def write_private(path: Path, data: bytes) -> None:
    """Write ``data`` to ``path`` atomically (temporary file 0600 beside it, fsync, rename)."""
    tmp = path.with_name(f".{path.name}.{secrets.token_hex(4)}.tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, FILE_MODE)
    try:
        view = memoryview(data)
        while view:
            view = view[os.write(fd, view):]
        os.fsync(fd)
    except BaseException:
        os.close(fd)
        tmp.unlink(missing_ok=True)
        raise
    os.close(fd)
    os.replace(tmp, path)


def write_json(path: Path, obj: object) -> None:
    write_private(path, json.dumps(obj, ensure_ascii=False, indent=1, default=str)
                  .encode("utf-8"))


def read_json(path: Path) -> dict:
    return json.loads(path.read_text(encoding="utf-8"))


@contextlib.contextmanager
def flock(path: Path, blocking: bool = True, patience: float = 0.0) -> Iterator[bool]:
    """Hold an exclusive ``flock`` on ``path`` (created 0600); with ``blocking`` off, yields
    False if someone else still holds it after ``patience`` seconds."""
    fd = os.open(path, os.O_RDWR | os.O_CREAT, FILE_MODE)
    try:
        if not take(fd, blocking, patience):
            yield False
            return
        yield True
    finally:
        os.close(fd)


def take(fd: int, blocking: bool = False, patience: float = 0.0) -> bool:
    """``flock`` ``fd`` exclusively; non-blocking, retried for ``patience`` seconds (a reader's
    probe, :func:`is_locked`, holds a free lock for an instant)."""
    if blocking:
        fcntl.flock(fd, fcntl.LOCK_EX)
        return True
    deadline = time.monotonic() + patience
    while True:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            return True
        except BlockingIOError:
            if time.monotonic() >= deadline:
                return False
            time.sleep(0.02)


def is_locked(path: Path) -> bool:
    """Whether another process holds the flock on ``path`` (a live worker)."""
    if not path.exists():
        return False
    with flock(path, blocking=False) as got:
        return not got


class Store:
    """The store of one warehouse. ``root`` default: ``settings.deliveries(warehouse)``."""

    def __init__(self, root: Path | None = None, warehouse: Path | None = None) -> None:
        self.warehouse = Path(warehouse) if warehouse is not None else (
            settings.get_settings().warehouse)
        self.root = Path(root) if root is not None else settings.deliveries(self.warehouse)

    # --- layout -------------------------------------------------------------------------
    @property
    def blobs(self) -> Path:
        return self.root / "blobs"

    @property
    def versions_dir(self) -> Path:
        return self.root / "versions"

    @property
    def deliveries_dir(self) -> Path:
        return self.root / "deliveries"

    @property
    def live(self) -> Path:
        """The live warehouse file (a symlink's target)."""
        return live_file(self.warehouse)

    def blob(self, sha: str) -> Path:
        if len(sha) != 64 or not all(c in "0123456789abcdef" for c in sha):
            raise StoreError(f"not a sha256: {sha!r}")
        return self.blobs / sha[:2] / sha

    def in_use(self) -> bool:
        """Whether builds of this warehouse record versions: the configured warehouse
        (DTP_WAREHOUSE), a store set with DTP_DELIVERIES, or a store that exists already."""
        if os.environ.get("DTP_DELIVERIES") or (self.root / "store.json").exists():
            return True
        return self.live == live_file(settings.get_settings().warehouse)

    # --- opening ------------------------------------------------------------------------
    def open(self) -> Store:
        """Create the store (0700) or check that it belongs to this warehouse."""
        for d in (self.root, self.blobs, self.versions_dir, self.deliveries_dir):
            d.mkdir(mode=DIR_MODE, parents=True, exist_ok=True)
        os.chmod(self.root, DIR_MODE)
        meta = self.root / "store.json"
        mine = str(self.live)
        if meta.exists():
            try:
                owner = read_json(meta).get("warehouse")
            except (OSError, ValueError) as exc:
                raise StoreError(f"{meta}: cannot be read ({exc})") from None
            if owner != mine:
                raise StoreError(f"the delivery store {self.root} belongs to the warehouse "
                                 f"{owner}, not {mine} (set DTP_DELIVERIES to another folder)")
        else:
            write_json(meta, {"warehouse": mine})
        return self

    @contextlib.contextmanager
    def lock(self) -> Iterator[None]:
        """The store's short critical sections (after the build lock, never before it)."""
        self.root.mkdir(mode=DIR_MODE, parents=True, exist_ok=True)
        with flock(self.root / ".store.lock"):
            yield

    # --- blobs --------------------------------------------------------------------------
    def put_bytes(self, data: bytes) -> str:
        sha = hashlib.sha256(data).hexdigest()
        target = self.blob(sha)
        if target.exists():
            _touch(target)
        else:
            target.parent.mkdir(mode=DIR_MODE, exist_ok=True)
            write_private(target, data)
        return sha

    def put_file(self, path: Path, sha: str | None = None) -> str:
        """Copy ``path`` into the store (once per content); ``sha``: its known sha256, checked
        on the copy (a file changed meanwhile is refused). Returns the sha256."""
        if sha is not None and self.blob(sha).exists():
            _touch(self.blob(sha))
            return sha
        self.blobs.mkdir(mode=DIR_MODE, parents=True, exist_ok=True)
        tmp = self.blobs / f".in.{secrets.token_hex(6)}.tmp"
        h = hashlib.sha256()
        try:
            fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, FILE_MODE)
            with open(path, "rb") as src, os.fdopen(fd, "wb") as dst:
                for chunk in iter(lambda: src.read(1 << 20), b""):
                    h.update(chunk)
                    dst.write(chunk)
                dst.flush()
                os.fsync(dst.fileno())
            got = h.hexdigest()
            if sha is not None and got != sha:
                raise StoreError(f"{path} changed while it was stored (sha256 {got}, "
                                 f"expected {sha})")
            target = self.blob(got)
            target.parent.mkdir(mode=DIR_MODE, exist_ok=True)
            if target.exists():
                tmp.unlink()
                _touch(target)
            else:
                os.replace(tmp, target)
            return got
        finally:
            tmp.unlink(missing_ok=True)

    def link_blob(self, sha: str, dest: Path) -> None:
        """``dest`` names the stored file ``sha`` (a hard link: blobs are never changed)."""
        dest.unlink(missing_ok=True)
        try:
            os.link(self.blob(sha), dest)
        except OSError:
            with open(self.blob(sha), "rb") as f:
                write_private(dest, f.read())
