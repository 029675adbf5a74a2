"""The roll-up intake's first step, with the standard library only (release/intake.py step 1):
what a pack folder holds, from ``lstat`` before anything is opened, and reading one of its
files without following a link. ``python -m pipelines rollup`` runs :func:`preflight` on every
pack before it imports Polars or DuckDB, so an oversized or linked pack is refused at once."""

from __future__ import annotations

import errno
import os
import re
import stat
from collections.abc import Sequence
from pathlib import Path

from pipelines.settings import PackLimits, pack_limits

_NAME_RE = re.compile(r"[A-Za-z0-9_.-]+")


def show(value: object, limit: int = 60) -> str:
    """A value from a pack as a refusal quotes it: ``repr`` (control characters escaped), cut
    to ``limit`` characters."""
    text = repr(value)
    return text if len(text) <= limit else text[:limit - 1] + "…"


# --- 1. before reading: what the folder holds (lstat) ------------------------------------------

def _listing(folder: Path, limits: PackLimits, problems: list[str]) -> dict[str, int] | None:
    """name → size of every entry of ``folder``, from ``lstat`` (nothing is opened): regular
    files only, within the limits; None when the folder cannot be used at all."""
    try:
        st = os.stat(folder)
    except OSError:
        problems.append(f"{folder}: not a folder")
        return None
    if not stat.S_ISDIR(st.st_mode):
        problems.append(f"{folder}: not a folder")
        return None
    sizes: dict[str, int] = {}
    total = 0
    try:
        with os.scandir(folder) as it:
            for n, entry in enumerate(it):
                if n >= limits.max_files:
                    problems.append(f"{folder}: more than {limits.max_files} files (a pack has "
                                    "about 13): not read")
                    return None
                name = entry.name
                where = f"{folder}/{name if _NAME_RE.fullmatch(name) else show(name)}"
                s = entry.stat(follow_symlinks=False)
                if stat.S_ISLNK(s.st_mode):
                    problems.append(f"{where}: a symbolic link (a pack holds regular files "
                                    "only; not followed)")
                elif not stat.S_ISREG(s.st_mode):
                    problems.append(f"{where}: not a regular file (a pack holds regular files "
                                    "only: no folder, device, pipe or socket)")
                elif s.st_size > limits.max_file_bytes:
                    problems.append(f"{where}: {s.st_size:,} bytes, over the limit of "
                                    f"{limits.max_file_bytes:,} per file (DTP_PACK_MAX_FILE_MB)"
                                    ": not read")
                else:
                    sizes[name] = s.st_size
                    total += s.st_size
    except OSError as exc:
        problems.append(f"{folder}: cannot be listed ({exc.strerror})")
        return None
    if total > limits.max_pack_bytes:
        problems.append(f"{folder}: {total:,} bytes in all, over the limit of "
                        f"{limits.max_pack_bytes:,} per pack (DTP_PACK_MAX_MB): not read")
    return sizes


class _Unreadable(Exception):
    pass


def read_file(path: Path, limit: int) -> bytes:
    """The bytes of the regular file ``path``, opened without following a link and read up
    to ``limit`` bytes; :class:`_Unreadable` (a message without any content) otherwise."""
    flags = os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_NONBLOCK", 0) \
        | getattr(os, "O_CLOEXEC", 0)
    try:
        fd = os.open(path, flags)
    except OSError as exc:
        if exc.errno == errno.ELOOP:
            raise _Unreadable("a symbolic link (not followed)") from None
        raise _Unreadable(f"cannot be opened ({exc.strerror})") from None
    try:
        st = os.fstat(fd)
        if not stat.S_ISREG(st.st_mode):
            raise _Unreadable("not a regular file")
        if st.st_size > limit:
            raise _Unreadable(f"{st.st_size:,} bytes, over the limit of {limit:,}: not read")
        chunks, size = [], 0
        while block := os.read(fd, 1 << 20):
            chunks.append(block)
            size += len(block)
            if size > limit:
                raise _Unreadable(f"over the limit of {limit:,} bytes: not read")
        return b"".join(chunks)
    finally:
        os.close(fd)


def preflight(folders: Sequence[str | Path], problems: list[str],
              limits: PackLimits | None = None) -> None:
    """Step 1 for every pack of a run before any is read (``lstat`` only): one oversized or
    linked pack refuses the run without parsing the others."""
    limits = limits or pack_limits()
    for folder in folders:
        _listing(Path(folder), limits, problems)


__all__ = ["preflight", "read_file", "show"]
