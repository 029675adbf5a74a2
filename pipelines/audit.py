"""The audit trail's format and writer: append-only JSON Lines at ``DTP_AUDIT_LOG`` (default
``data/audit.jsonl``), outside the warehouse, so a rebuild never touches it. The dashboard's
``dashboard.audit`` (sessions, views, downloads, the 監査ログ page) and the delivery flow
(``pipelines.delivery``: page and CLI alike) write through here.

One object per event, always with the same keys (``KEYS``; null where an event has no value):
``ts`` (ISO 8601 with offset), ``user`` (e-mail, else sub; ``local`` in local mode),
``roles``, ``event``, ``page``, ``dataset``, ``format``, ``filters``, ``rows``,
``publication``, ``run_id``; the executive digest's ``mail`` lines (user ``digest``) also
``recipient``, ``version`` and ``message_id``; for deliveries ``delivery`` (its id, or
``version N``), ``files`` (file, sha256, rows: never row contents) and ``detail`` (state, reason,
``four_eyes`` …).

Each line is written with one ``write`` to a file opened ``O_APPEND``, under an exclusive
``flock`` (other processes) and a lock (other threads of this one), so concurrent writers
never interleave or lose a line.
"""

from __future__ import annotations

import datetime as dt
import fcntl
import json
import os
import threading
from pathlib import Path

from pipelines import settings

KEYS = ("ts", "user", "roles", "event", "page", "dataset", "format", "filters", "rows",
        "publication", "run_id", "recipient", "version", "message_id", "delivery", "files",
        "detail")
EVENTS = ("sign_in", "denied", "view", "download", "mail",
          # data deliveries (issue 22)
          "upload", "validation", "approve", "reject", "withdraw", "restore", "delete",
          # the roll-up's submissions inbox (issue 24): a pack uploaded, put into the store,
          # or refused (invalid, or not the submitter's organisation)
          "submit", "accepted", "rejected")

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
