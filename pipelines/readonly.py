"""The locked, read-only way to open warehouse files: a private in-memory DuckDB ``ATTACH``es
each file ``READ_ONLY`` (no connection keeps DuckDB's per-process database cache serving a
replaced file), creates the status rule's macros (``sql.RULES``, the build's own) and is then
locked (``LOCK``): no external access, no extension autoload, settings locked, so a view stored
in a file cannot read other files. ``release.connection.connect`` (the dashboard's reader) opens
one file this way; the delivery changes (``pipelines.delivery.changes``) open two side by side.
"""

from __future__ import annotations

from collections.abc import Mapping

import duckdb

from pipelines.sql import RULES

# After the read-only ATTACH the connection is locked: no file, URL or extension beyond the
# attached files, and no setting can be undone.
LOCK = ("SET autoinstall_known_extensions = false", "SET autoload_known_extensions = false",
        "SET enable_external_access = false", "SET lock_configuration = true")


def attach(files: Mapping[str, str], use: str | None = None) -> duckdb.DuckDBPyConnection:
    """A locked connection with each ``{alias: path}`` attached read-only (``use``: the database
    in use, else the in-memory one); the caller closes it."""
    con = duckdb.connect(":memory:", config={"autoinstall_known_extensions": False,
                                             "autoload_known_extensions": False})
    try:
        for alias, path in files.items():
            if not alias.isidentifier():
                raise ValueError(f"bad database alias {alias!r}")
            con.execute(f"ATTACH ? AS {alias} (READ_ONLY)", [str(path)])
        if use is not None:
            con.execute(f"USE {use}")
        con.execute(RULES)  # the status rule's macros, the build's own (pipelines/sql.py)
        for sql in LOCK:
            con.execute(sql)
    except BaseException:
        con.close()
        raise
    return con
