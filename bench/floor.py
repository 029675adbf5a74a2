"""Reference runs for the build benchmark: what the build cannot avoid, timed in the same run.

``python -m bench.floor read-write RAW DB`` reads every contract file with the build's own
reader (pipelines/raw.py: decode, parse, type, flag) and writes the typed columns to a new
DuckDB file as they are: no validation, no joins, no marts, no kpi. The build does all of this
and more, so its time can only approach this one.

``python -m bench.floor gx`` imports Great Expectations and validates the shipped sample (a few
hundred rows): GX's fixed cost, which does not shrink with the data.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

os.environ.setdefault("_RJEM_MALLOC_CONF", "dirty_decay_ms:0,muzzy_decay_ms:0")  # as the CLI


def read_write(raw: Path, db: Path) -> None:
    import duckdb
    import polars as pl

    from pipelines.raw import clean, read_all

    files = read_all(raw)
    with duckdb.connect(str(db), config={"preserve_insertion_order": False}) as con:
        for name, f in files.items():
            con.register("frame", clean(f.frame).to_arrow(compat_level=pl.CompatLevel.newest()))
            con.execute(f'CREATE TABLE "{name}" AS SELECT * FROM frame')
            con.unregister("frame")
        con.execute("CHECKPOINT")


def gx_fixed() -> None:
    from expectations.suites import validate
    from pipelines.raw import read_all
    from pipelines.settings import ROOT

    validate(read_all(ROOT / "data" / "raw"))


if __name__ == "__main__":
    if sys.argv[1:2] == ["read-write"] and len(sys.argv) == 4:
        read_write(Path(sys.argv[2]), Path(sys.argv[3]))
    elif sys.argv[1:] == ["gx"]:
        gx_fixed()
    else:
        sys.exit("usage: python -m bench.floor read-write RAW DB | gx")
