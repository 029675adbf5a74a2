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

from pipelines.sql import RULES

# After the read-only ATTACH the connection is locked: no file, URL or extension beyond the
# warehouse (a view stored in the file cannot read other files), and no setting can be undone.
LOCK = ("SET autoinstall_known_extensions = false", "SET autoload_known_extensions = false",
        "SET enable_external_access = false", "SET lock_configuration = true")


def connect(path: str) -> duckdb.DuckDBPyConnection:
    """A locked, read-only connection to the warehouse at ``path`` (its database is ``wh``,
    in use); the caller closes it."""
    con = duckdb.connect(":memory:", config={"autoinstall_known_extensions": False,
                                             "autoload_known_extensions": False})
    try:
        con.execute("ATTACH ? AS wh (READ_ONLY)", [path])
        con.execute("USE wh")
        con.execute(RULES)  # the status rule's macros, the build's own (pipelines/sql.py)
        for sql in LOCK:
            con.execute(sql)
    except BaseException:
        con.close()
        raise
    return con
