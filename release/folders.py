"""Putting a finished folder in place (a release pack, a register record)."""

from __future__ import annotations

import datetime as dt
import os
import shutil
from pathlib import Path


def replace_folder(tmp: Path, target: Path) -> None:
    """Move the finished folder ``tmp`` to ``target`` (same file system). An existing
    ``target`` is first renamed aside (``.<name>.old-<time>``), then removed once ``tmp`` is
    in place, so ``target`` is only ever missing between two renames."""
    if target.exists():
        old = target.with_name(f".{target.name}.old-{dt.datetime.now():%Y%m%d%H%M%S%f}")
        os.replace(target, old)
        os.replace(tmp, target)
        shutil.rmtree(old, ignore_errors=True)
    else:
        os.replace(tmp, target)
