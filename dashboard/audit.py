"""The audit trail of the dashboard: its lines (``record``: sign-ins, denials, views, downloads)
and its reader (監査ログ page: ``views/audit.py``). The format and the locked append are
``pipelines.audit``'s (``KEYS``, ``EVENTS``, ``line``, ``append``), shared with the delivery
flow, which writes its own lines from the page and the CLI alike.
"""

from __future__ import annotations

import json
import logging
from pathlib import Path
from typing import TYPE_CHECKING

import polars as pl

from pipelines.audit import EVENTS, KEYS, append, line, path

if TYPE_CHECKING:
    from dashboard.access import Principal
    from dashboard.state import View

log = logging.getLogger("dtp.audit")

__all__ = ["EVENTS", "KEYS", "append", "line", "path", "read", "record", "view_filters"]


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
                for k in ("filters", "files", "detail"):
                    row[k] = None if row[k] is None else json.dumps(row[k], ensure_ascii=False)
                for k in ("ts", "user", "event", "page", "dataset", "format", "run_id",
                          "recipient", "version", "message_id", "delivery"):
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
