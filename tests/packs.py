"""Test helper: change a publication pack the way its sender legitimately would, in every file
that records the change, so the pack still tells one story (issue 28's intake)."""

from __future__ import annotations

import hashlib
import json
import zipfile
from pathlib import Path

import duckdb


def move_as_of(pack: Path, as_of: str) -> Path:
    """Set the pack's as-of date to ``as_of`` in publication.json, public.duckdb's
    publication_meta and the XLSX's about sheet, and recompute their checksums."""
    meta = json.loads((pack / "publication.json").read_text(encoding="utf-8"))
    with duckdb.connect(str(pack / "public.duckdb")) as con:
        con.execute("UPDATE publication_meta SET as_of_date = ?", [as_of])
    xlsx = pack / "publication.xlsx"
    with zipfile.ZipFile(xlsx) as zin:
        members = [(i, zin.read(i)) for i in zin.infolist()]
    with zipfile.ZipFile(xlsx, "w", zipfile.ZIP_DEFLATED) as zout:
        for info, data in members:
            if info.filename == "xl/sharedStrings.xml":  # the about sheet's as_of_date
                data = data.replace(f"<t>{meta['as_of_date']}</t>".encode(),
                                    f"<t>{as_of}</t>".encode())
            zout.writestr(info, data)
    meta["as_of_date"] = as_of
    for name in ("public.duckdb", "publication.xlsx"):
        meta["files"][name] = hashlib.sha256((pack / name).read_bytes()).hexdigest()
    (pack / "publication.json").write_text(json.dumps(meta, ensure_ascii=False),
                                           encoding="utf-8")
    return pack
