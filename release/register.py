"""The release register (issue 23): every release ``python -m pipelines publish`` makes, kept
so that the next one is protected together with all of them (docs/DISCLOSURE.md, "Over time").

Layout: ``<releases>/<organisation code or _>/<as-of date>_<run id>/`` holding

* ``release.json``: release id, organisation, run id, as-of date, threshold, when it was
  recorded and the sha256 of every file of the pack it was written with;
* ``shown/<dataset>.parquet``: what the release showed (the publication form: counts as text,
  ``[c]`` for a withheld one), kpi, kpi_pace and every mart, and the bureau names;
* ``inputs/<dataset>.parquet``: the true kpi and marts the release was protected from, with
  the published figures and the disclosure policy — the next release's audit checks the
  earlier withheld cells against them (and skips a completed FY whose problem is unchanged
  since, ``disclosure._frozen``). **Internal**, like the warehouse: never publish the
  register.

A folder is written to a temporary name beside it and renamed into place. File I/O only: the
protection itself (``disclosure.protect(..., earlier=...)``) reads what this returns.
"""

from __future__ import annotations

import datetime as dt
import json
import re
import shutil
import tempfile
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

import polars as pl

from release.folders import replace_folder

META = "release.json"
NO_ORGANISATION = "_"
_ID = re.compile(r"^\d{4}-\d{2}-\d{2}_[A-Za-z0-9T:._-]+$")


@dataclass(frozen=True)
class Recorded:
    """One release of the register, as stored."""

    path: Path
    release_id: str
    run_id: str | None
    as_of_date: dt.date
    threshold: int
    files: Mapping[str, str]
    counts: Mapping[str, object]

    def frames(self, part: str) -> dict[str, pl.DataFrame]:
        """``part`` = "shown" or "inputs": {dataset: frame}."""
        return {p.stem: pl.read_parquet(p) for p in sorted((self.path / part).glob("*.parquet"))}


def folder(root: Path, organisation: str | None) -> Path:
    return Path(root) / (organisation or NO_ORGANISATION)


def release_id(as_of: dt.date, run_id: str | None) -> str:
    return f"{as_of.isoformat()}_{re.sub(r'[^A-Za-z0-9T:._-]', '-', run_id or 'run')}"


def releases(root: Path, organisation: str | None) -> list[Recorded]:
    """The organisation's recorded releases, oldest first (unfinished folders ignored)."""
    base = folder(root, organisation)
    out = []
    if not base.is_dir():
        return out
    for p in base.iterdir():
        if not p.is_dir() or not _ID.match(p.name) or not (p / META).is_file():
            continue
        meta = json.loads((p / META).read_text(encoding="utf-8"))
        out.append(Recorded(p, meta["release_id"], meta.get("run_id"),
                            dt.date.fromisoformat(meta["as_of_date"]), int(meta["threshold"]),
                            meta.get("files") or {}, meta.get("counts") or {}))
    return sorted(out, key=lambda r: (r.as_of_date, r.release_id))


def find(root: Path, run_id: str | None) -> Recorded | None:
    """The latest recorded release of warehouse run ``run_id`` (any organisation)."""
    if run_id is None or not Path(root).is_dir():
        return None
    found = [r for org in sorted(Path(root).iterdir()) if org.is_dir()
             for r in releases(root, org.name) if r.run_id == run_id]
    return found[-1] if found else None


def signature(root: Path) -> tuple:
    """Changes whenever a release is recorded (for caches keyed on the register)."""
    root = Path(root)
    if not root.is_dir():
        return ()
    return tuple(sorted((str(p.relative_to(root)), p.stat().st_mtime_ns)
                        for p in root.glob(f"*/*/{META}")))


def record(root: Path, organisation: str | None, *, run_id: str | None, as_of: dt.date,
           threshold: int, shown: Mapping[str, pl.DataFrame],
           inputs: Mapping[str, pl.DataFrame], files: Mapping[str, str],
           counts: Mapping[str, object] | None = None) -> Path:
    """Record a release (replacing an earlier record of the same release id)."""
    base = folder(root, organisation)
    base.mkdir(parents=True, exist_ok=True)
    rid = release_id(as_of, run_id)
    tmp = Path(tempfile.mkdtemp(prefix=f".{rid}.", dir=base))
    try:
        for part, frames in (("shown", shown), ("inputs", inputs)):
            (tmp / part).mkdir()
            for name, frame in frames.items():
                frame.write_parquet(tmp / part / f"{name}.parquet")
        meta = {"release_id": rid, "organisation": organisation, "run_id": run_id,
                "as_of_date": as_of.isoformat(), "threshold": threshold,
                "recorded_at": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
                "counts": dict(counts or {}), "files": dict(sorted(files.items()))}
        (tmp / META).write_text(json.dumps(meta, ensure_ascii=False, indent=2) + "\n",
                                encoding="utf-8")
        replace_folder(tmp, base / rid)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    return base / rid
