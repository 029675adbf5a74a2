"""The audit trail: append-only JSON Lines at ``DTP_AUDIT_LOG`` (default ``data/audit.jsonl``),
outside the warehouse, so a rebuild never touches it.

One object per event, always with the same keys (``KEYS``; null where an event has no value):
``ts`` (ISO 8601 with offset), ``user`` (e-mail, else sub; ``local`` in local mode),
``roles``, ``event`` (``sign_in`` | ``denied`` | ``view`` | ``download``), ``page``,
``dataset``, ``format``, ``filters``, ``rows``, ``publication``, ``run_id``; the executive
digest's ``mail`` lines (user ``digest``) also ``recipient``, ``version`` and ``message_id``.

Each line is written with one ``write`` to a file opened ``O_APPEND``, under an exclusive
``flock`` (other processes) and a lock (other threads of this one), so concurrent sessions
never interleave or lose a line.
"""

from __future__ import annotations

import datetime as dt
import fcntl
import json
import logging
import os
import threading
from pathlib import Path
from typing import TYPE_CHECKING

import polars as pl

from pipelines import settings

if TYPE_CHECKING:
    from dashboard.access import Principal
    from dashboard.state import View

log = logging.getLogger("dtp.audit")

KEYS = ("ts", "user", "roles", "event", "page", "dataset", "format", "filters", "rows",
        "publication", "run_id", "recipient", "version", "message_id")
EVENTS = ("sign_in", "denied", "view", "download", "mail")

_lock = threading.Lock()


def path() -> Path:
    return settings.audit_log()


def line(event: str, user: str, roles: tuple[str, ...] | list[str], **fields: object) -> str:
    if event not in EVENTS:
        raise ValueError(event)
    extra = set(fields) - set(KEYS)
    if extra:
        raise ValueError(f"unknown audit keys: {sorted(extra)}")
    obj = {k: None for k in KEYS}
    obj.update(fields)
    obj.update(ts=dt.datetime.now().astimezone().isoformat(timespec="milliseconds"),
               user=user, roles=list(roles), event=event)
    return json.dumps(obj, ensure_ascii=False, default=str, separators=(",", ":")) + "\n"


def append(text: str, target: Path | None = None) -> None:
    """Append whole lines; raises OSError if they cannot be written."""
    p = Path(target or path())
    p.parent.mkdir(parents=True, exist_ok=True)
    data = text.encode("utf-8")
    with _lock:
        fd = os.open(p, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o640)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX)
            view = memoryview(data)
            while view:
                n = os.write(fd, view)
                view = view[n:]
        finally:
            os.close(fd)  # closing releases the flock


def view_filters(v: View) -> dict[str, object]:
    """The global view (bureaus, FY span) as an audit line's ``filters``."""
    return {"bureaus": list(v.bureaus) if v.bureaus else None, "fy_from": v.fy_from,
            "fy_to": v.fy_to}


def record(event: str, who: Principal, *, strict: bool = False, **fields: object) -> None:
    """Write one audit line for ``who``. ``strict`` (downloads): raise if it cannot be
    written, so that nothing leaves without its line; otherwise log the failure."""
    text = line(event, who.user, who.roles, **fields)
    try:
        append(text)
    except OSError:
        log.exception("audit log could not be written (%s event)", event)
        if strict:
            raise


def read(target: Path | None = None) -> tuple[pl.DataFrame, int]:
    """Every line as a table (``filters`` and ``roles`` as JSON text) and the number of lines
    that could not be read."""
    p = Path(target or path())
    rows: list[dict] = []
    bad = 0
    try:
        with open(p, encoding="utf-8") as fh:
            for raw in fh:
                if not raw.strip():
                    continue
                try:
                    obj = json.loads(raw)
                    if not isinstance(obj, dict):
                        raise ValueError
                except ValueError:
                    bad += 1
                    continue
                row = {k: obj.get(k) for k in KEYS}
                row["roles"] = ",".join(map(str, row["roles"] or []))
                row["filters"] = (None if row["filters"] is None else
                                  json.dumps(row["filters"], ensure_ascii=False))
                for k in ("ts", "user", "event", "page", "dataset", "format", "run_id",
                          "recipient", "version", "message_id"):
                    row[k] = None if row[k] is None else str(row[k])
                row["rows"] = row["rows"] if isinstance(row["rows"], int) else None
                row["publication"] = (row["publication"]
                                      if isinstance(row["publication"], bool) else None)
                rows.append(row)
    except FileNotFoundError:
        pass
    schema = {k: pl.String for k in KEYS} | {"rows": pl.Int64, "publication": pl.Boolean}
    return pl.DataFrame(rows, schema=schema) if rows else pl.DataFrame(
        schema=schema), bad
