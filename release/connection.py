"""The one way the dashboard side opens a warehouse file for reading.

A private in-memory DuckDB ``ATTACH``es the file read-only (no connection keeps DuckDB's
per-process database cache serving a replaced file), creates the status rule's macros (the
build's own, pipelines/sql.py) and is then locked (``LOCK``): no external access, no extension
autoload, settings locked, so a view stored in the file cannot read other files. Used by the
pages' queries (``dashboard.queries``), the disclosure control's inputs and the public edition.
No Streamlit here: ``python -m pipelines publish`` reads through it too.
"""

from __future__ import annotations

import duckdb

from pipelines.readonly import LOCK, attach

__all__ = ["LOCK", "connect"]


def connect(path: str) -> duckdb.DuckDBPyConnection:
    """A locked, read-only connection to the warehouse at ``path`` (its database is ``wh``,
    in use); the caller closes it (``pipelines.readonly.attach``)."""
    return attach({"wh": path}, use="wh")
