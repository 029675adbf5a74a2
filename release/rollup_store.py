"""The roll-up store: every organisation's pack, month after month (issue 24).

``python -m pipelines rollup accept PACK_DIR --store DIR`` validates one pack with the one
intake validation (:func:`release.intake.check_pack`, the same rules as ``rollup``) and keeps
it as that organisation's partition for the month (``YYYY-MM``) of its as-of date::

    DIR/submissions.jsonl                          one line per accepted pack (append-only)
    DIR/month=YYYY-MM/organisation=CODE/<stamp>/   the accepted pack as Parquet, never changed:
        kpi.parquet   the organisation's kpi rows as the roll-up holds them (flag F/C)
        pace.parquet  its pace rows (where the pack has kpi_pace.csv)
        plans.parquet its plan generations (where the pack has plans.csv)
        bureaus.parquet

A second pack of the same organisation and month replaces the first: the new line names the
folder it ``replaces``, and the earlier folder stays. The log line is the commit point (a
folder written by an accept that died before it is never read). Accepts hold the store's lock
(``.submissions.jsonl.lock``), so two at once are serialised.

``python -m pipelines rollup --store DIR --out FILE`` writes the roll-up file with every month
from the current partition of each organisation and month: ``rollup_kpi`` and
``rollup_kpi_pace`` with ``month``, the ``ALL`` rows per month from that month's packs only,
``rollup_missing`` (each organisation known to the store × each month from the first to the
last that it has not sent: listed, never carried forward), ``rollup_submissions`` (every
accepted pack, replaced ones included), and ``rollup_organisations`` / ``rollup_plans`` /
``rollup_bureaus`` from each organisation's latest month.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import shutil
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from types import SimpleNamespace

import duckdb
import polars as pl

from release.intake import Pack, Rejected, check_pack
from release.organisation import ALL
from release.publication import META_NAME, ORG_COLUMN, sha256
from release.rollup import (
    KPI_ORDER,
    MISSING_SCHEMA,
    ORGANISATIONS_SCHEMA,
    SUBMISSIONS_SCHEMA,
    Result,
    check_together,
    government_wide,
    month_of,
    pack_bureaus,
    pack_kpi,
    pack_pace,
    write_file,
)

LOG = "submissions.jsonl"
KPI_PART, PACE_PART, PLANS_PART, BUREAUS_PART = ("kpi.parquet", "pace.parquet", "plans.parquet",
                                                 "bureaus.parquet")


@dataclass(frozen=True)
class Accepted:
    """One accepted pack (a line of ``submissions.jsonl``)."""

    record: dict
    seconds: float

    @property
    def replaces(self) -> str | None:
        return self.record.get("replaces")


def submissions(store: Path) -> list[dict]:
    """Every accepted pack, in the order accepted (a torn last line — an accept killed while
    writing it — is not one)."""
    path = Path(store) / LOG
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except FileNotFoundError:
        return []
    out = []
    for line in lines:
        try:
            rec = json.loads(line)
        except json.JSONDecodeError:
            continue
        if isinstance(rec, dict) and {"month", ORG_COLUMN, "stored"} <= rec.keys():
            out.append(rec)
    return out


def current(records: Sequence[dict]) -> dict[tuple[str, str], dict]:
    """(month, organisation) → its latest accepted pack."""
    out: dict[tuple[str, str], dict] = {}
    for rec in records:
        out[(rec["month"], rec[ORG_COLUMN])] = rec
    return out


def _months(first: str, last: str) -> list[str]:
    y, m = int(first[:4]), int(first[5:7])
    out = []
    while f"{y:04d}-{m:02d}" <= last:
        out.append(f"{y:04d}-{m:02d}")
        y, m = (y + 1, 1) if m == 12 else (y, m + 1)
    return out


def missing(records: Sequence[dict]) -> list[tuple[str, str]]:
    """(month, organisation) not sent: every organisation known to the store × every month
    from the store's first to its last."""
    cur = current(records)
    if not cur:
        return []
    months = _months(min(m for m, _ in cur), max(m for m, _ in cur))
    orgs = sorted({o for _, o in cur})
    return [(m, o) for m in months for o in orgs if (m, o) not in cur]


def _fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _write_parquet(frame: pl.DataFrame, path: Path) -> None:
    frame.write_parquet(path, compression="zstd", statistics=True)


def check_against_store(pack: Pack, store: Path, problems: list[str]) -> None:
    """The pack can join the store's other organisations: one threshold, one method
    (:func:`release.rollup.check_together` on each other organisation's latest pack)."""
    latest: dict[str, dict] = {}
    for rec in submissions(store):
        latest[rec[ORG_COLUMN]] = rec
    others = [SimpleNamespace(code=c, folder=Path(store) / r["stored"],
                              threshold=r["threshold"], method=r["method"])
              for c, r in sorted(latest.items()) if c != pack.code]
    check_together([*others, pack], problems)


def accept(folder: str | Path, store: str | Path, submitted_by: str | None = None,
           wait: float = 0.0, source: str | None = None, pack: Pack | None = None,
           keys: object | None = None) -> Accepted:
    """Validate the pack in ``folder`` (unless ``pack``, already validated from it, is given)
    and keep it in ``store`` as its organisation's partition for its as-of month; raises
    :class:`Rejected` (nothing written) when it is not valid or cannot join the store."""
    from pipelines.warehouse import _remove, build_lock

    started = time.perf_counter()
    folder, store = Path(folder), Path(store)
    pack = pack or check_pack(folder, keys=keys)  # keys: release.signing.Keys, or DTP_ROLLUP_KEYS
    store.mkdir(parents=True, exist_ok=True)
    with build_lock(store / LOG, wait):
        problems: list[str] = []
        check_against_store(pack, store, problems)
        if problems:
            raise Rejected(problems)
        month = month_of(pack.as_of_date)
        now = dt.datetime.now(dt.UTC)
        stamp = f"{now:%Y%m%dT%H%M%S%fZ}"
        rel = Path(f"month={month}") / f"{ORG_COLUMN}={pack.code}" / stamp
        dest = store / rel
        dest.parent.mkdir(parents=True, exist_ok=True)
        tmp = dest.parent / f".{stamp}.tmp"
        try:
            tmp.mkdir()
            _write_parquet(pack_kpi(pack, month), tmp / KPI_PART)
            pace = pack_pace(pack, month)
            if pace is not None:
                _write_parquet(pace, tmp / PACE_PART)
            if pack.plans is not None:
                _write_parquet(pack.plans, tmp / PLANS_PART)
            _write_parquet(pack_bureaus(pack), tmp / BUREAUS_PART)
            for p in tmp.iterdir():
                fd = os.open(p, os.O_RDONLY)
                try:
                    os.fsync(fd)
                finally:
                    os.close(fd)
            os.replace(tmp, dest)
            _fsync_dir(dest.parent)
        except BaseException:
            _remove(tmp)
            raise
        before = current(submissions(store)).get((month, pack.code))
        record = {
            "month": month, ORG_COLUMN: pack.code, "name_ja": pack.name_ja,
            "name_en": pack.name_en, "as_of_date": pack.as_of_date.isoformat(),
            "run_id": pack.run_id, "threshold": pack.threshold, "method": pack.method,
            "accepted_at": now.isoformat(), "submitted_by": submitted_by,
            "source": source or str(folder), "stored": rel.as_posix(),
            "replaces": before["stored"] if before else None,
            "pack_sha256": sha256(folder / META_NAME) if (folder / META_NAME).is_file()
            else None,
            "kpi_rows": pack.kpi.height,
            "pace_rows": pack.pace.height if pack.pace is not None else 0,
        }
        line = (json.dumps(record, ensure_ascii=False) + "\n").encode("utf-8")
        fd = os.open(store / LOG, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o640)
        try:
            os.write(fd, line)
            os.fsync(fd)
        finally:
            os.close(fd)
    return Accepted(record, time.perf_counter() - started)


def part_frame(store: Path, rec: dict, part: str) -> pl.DataFrame | None:
    """One stored part of an accepted pack (None when that pack has none)."""
    path = Path(store) / rec["stored"] / part
    return pl.read_parquet(path) if path.is_file() else None


def _built_from(out: Path) -> dict[tuple[str, str], str] | None:
    """(month, organisation) → the stored folder of each pack the roll-up file ``out`` was
    built from (its ``rollup_submissions`` in use), when it is a file of a store in today's
    form; else None (no file, a one-shot file, an older form, unreadable)."""
    from pipelines.readonly import attach

    if not out.is_file():
        return None
    try:
        con = attach({"f": str(out)}, use="f")
        try:
            names = {r[0] for r in con.sql(
                "SELECT table_name FROM duckdb_tables() WHERE database_name = 'f'").fetchall()}
            if not {"rollup_kpi", "rollup_submissions", "rollup_meta"} <= names:
                return None
            if con.sql("SELECT * FROM rollup_kpi LIMIT 0").columns != KPI_ORDER:
                return None
            rows = con.sql("SELECT month, organisation, stored FROM rollup_submissions "
                           "WHERE current").fetchall()
        finally:
            con.close()
    except duckdb.Error:
        return None
    if not rows or any(stored is None for _, _, stored in rows):
        return None
    return {(m, o): stored for m, o, stored in rows}


def build_from_store(store: str | Path, out: str | Path, wait: float = 0.0,
                     full: bool = False) -> Result:
    """The roll-up file with every month of ``store`` (module docstring); raises
    :class:`Rejected` when the store holds no pack.

    When ``out`` is already this store's roll-up file and at most a quarter of the
    organisation-months changed since (a pack accepted or replaced: the usual case, one
    accept at a time), the build is **incremental** (unless ``full``): the current file is
    copied, the changed organisation-months' rows (kpi and pace) replaced by their new packs',
    the ``ALL`` rows of the months concerned computed again from that month's packs (the
    same :func:`release.rollup.government_wide`), and the small tables written anew — the
    same file as a full build, without reading every month's Parquet again."""
    started = time.perf_counter()
    store, out = Path(store), Path(out)
    records = submissions(store)
    if not records:
        raise Rejected([f"{store}: no accepted pack (python -m pipelines rollup accept "
                        "PACK_DIR --store DIR)"])
    cur = current(records)
    keys = sorted(cur)
    kept = {id(r) for r in cur.values()}
    latest: dict[str, dict] = {}
    for (_, org), rec in sorted(cur.items()):
        latest[org] = rec  # each organisation's latest month
    months = _months(keys[0][0], keys[-1][0])
    sent = pl.DataFrame({"month": [m for m, _ in keys]}).group_by("month").len(
        "organisations")
    gone = missing(records)
    changed = keys
    built = None if full else _built_from(out)
    if built is not None:
        ever = {r["stored"] for r in records}
        if set(built) <= set(cur) and set(built.values()) <= ever:
            changed = [k for k in keys if built.get(k) != cur[k]["stored"]]
            if len(changed) * 4 > len(keys):
                built = None
        else:
            built = None

    def files(part: str, which: Sequence[tuple[str, str]]) -> list[str]:
        return [str(p) for k in which if (p := store / cur[k]["stored"] / part).is_file()]

    kpi_files, pace_files = files(KPI_PART, changed), files(PACE_PART, changed)
    small: dict[str, pl.DataFrame] = {}
    plans = [f for r in latest.values() if (f := part_frame(store, r, PLANS_PART)) is not None]
    if plans:
        small["rollup_plans"] = pl.concat(plans, how="vertical_relaxed").sort(
            ORG_COLUMN, "adopted_on")
    small["rollup_bureaus"] = pl.concat(
        [part_frame(store, r, BUREAUS_PART) for r in latest.values()],
        how="vertical_relaxed").sort(ORG_COLUMN, "bureau_code")
    small["rollup_organisations"] = pl.DataFrame(
        [{ORG_COLUMN: c, "name_ja": r.get("name_ja"), "name_en": r.get("name_en"),
          "month": r["month"], "as_of_date": dt.date.fromisoformat(r["as_of_date"]),
          "run_id": r.get("run_id"), "threshold": r["threshold"], "method": r["method"],
          "pack": r["stored"], "kpi_rows": r.get("kpi_rows"), "pace_rows": r.get("pace_rows")}
         for c, r in latest.items()], schema=ORGANISATIONS_SCHEMA)
    small["rollup_submissions"] = pl.DataFrame(
        [{"month": r["month"], ORG_COLUMN: r[ORG_COLUMN],
          "accepted_at": dt.datetime.fromisoformat(r["accepted_at"]),
          "as_of_date": dt.date.fromisoformat(r["as_of_date"]),
          "submitted_by": r.get("submitted_by"), "run_id": r.get("run_id"),
          "source": r.get("source"), "stored": r["stored"], "replaces": r.get("replaces"),
          "current": id(r) in kept} for r in records], schema=SUBMISSIONS_SCHEMA)
    small["rollup_missing"] = pl.DataFrame(
        [{"month": m, ORG_COLUMN: o} for m, o in gone], schema=MISSING_SCHEMA)
    first = next(iter(latest.values()))
    rows: dict[str, int] = {}

    def exists(con: duckdb.DuckDBPyConnection, name: str) -> bool:
        return bool(con.sql("SELECT count(*) FROM duckdb_tables() WHERE table_name = $n "
                            "AND database_name = current_database()",
                            params={"n": name}).fetchall()[0][0])

    def fill(con: duckdb.DuckDBPyConnection) -> None:
        con.execute("SET preserve_insertion_order = false")  # (the big tables: no order kept)
        if built is not None:  # incremental: out the changed organisation-months and their ALL
            con.register("chg", pl.DataFrame({"month": [m for m, _ in changed],
                                              ORG_COLUMN: [o for _, o in changed]}))
            con.execute("DELETE FROM rollup_kpi WHERE organisation = $all AND month IN "
                        "(SELECT month FROM chg)", {"all": ALL})
            for table in ("rollup_kpi", "rollup_kpi_pace"):
                if exists(con, table):
                    con.execute(f"DELETE FROM {table} t USING chg c WHERE t.month = c.month "
                                "AND t.organisation = c.organisation")
            con.unregister("chg")
            for name in (*small, "rollup_plans", "rollup_months"):
                con.execute(f'DROP TABLE IF EXISTS "{name}"')
        if kpi_files:
            have = set(con.sql("SELECT * FROM read_parquet($files, union_by_name = true) "
                               "LIMIT 0", params={"files": kpi_files}).columns)
            # a column none of these months has yet (a store older than issue 23's policy
            # column): NULL, as union_by_name gives the months that lack it
            cols = ", ".join(f'"{c}"' if c in have else f'NULL::VARCHAR AS "{c}"'
                             for c in KPI_ORDER)
            into = "INSERT INTO rollup_kpi" if built is not None else "CREATE TABLE rollup_kpi AS"
            con.execute(f"{into} SELECT {cols} FROM read_parquet($files, union_by_name = true)",
                        {"files": kpi_files})
        for month in sorted({m for m, _ in changed}):  # a month at a time: memory bounded
            ministry = con.sql("SELECT month, organisation, metric, fiscal_year, bureau_code, "
                               "value, numerator, denominator, flag, policy FROM rollup_kpi "
                               "WHERE bureau_code IS NULL AND month = $m",
                               params={"m": month}).pl()
            if ministry.height:
                total = government_wide(ministry, sent)
                con.register("frame", total)
                con.execute("INSERT INTO rollup_kpi BY NAME SELECT * FROM frame")
                con.unregister("frame")
        if pace_files:
            if exists(con, "rollup_kpi_pace"):
                con.execute("INSERT INTO rollup_kpi_pace BY NAME SELECT * FROM "
                            "read_parquet($files, union_by_name = true)", {"files": pace_files})
            else:
                con.execute("CREATE TABLE rollup_kpi_pace AS SELECT * FROM "
                            "read_parquet($files, union_by_name = true)", {"files": pace_files})
        con.execute("SET preserve_insertion_order = true")
        for name, frame in small.items():
            con.register("frame", frame)
            con.execute(f'CREATE TABLE "{name}" AS SELECT * FROM frame')
            con.unregister("frame")
        con.register("frame", pl.DataFrame({"month": months}))
        con.execute("CREATE TABLE rollup_months AS SELECT f.month, "
                    "(SELECT count(*) FROM rollup_submissions s WHERE s.month = f.month "
                    "AND s.current) AS organisations, (SELECT count(*) FROM rollup_missing m "
                    "WHERE m.month = f.month) AS missing FROM frame f ORDER BY f.month")
        con.unregister("frame")
        for name in ("rollup_kpi", "rollup_kpi_pace", *small, "rollup_months"):
            if exists(con, name):
                rows[name] = con.sql(f'SELECT count(*) FROM "{name}"').fetchall()[0][0]

    def copy(tmp: Path) -> bool:
        shutil.copyfile(out, tmp)
        return True

    meta = (first["threshold"], first["method"], len(latest), len(months))
    if built is not None:
        try:
            write_file(out, wait, fill, meta, start=copy)
        except (duckdb.CatalogException, duckdb.BinderException,
                duckdb.ConversionException):  # the stored file's form differs: a full build
            return build_from_store(store, out, wait, full=True)
    else:
        write_file(out, wait, fill, meta)
    return Result(out, sorted(latest), first["threshold"], rows, time.perf_counter() - started,
                  incremental=built is not None, changed=len(changed))


# --- the inbox (the roll-up edition's submissions page) ---------------------------------------

INBOX = ".inbox"  # uploaded packs waiting for their submitter's decision (0700)


def unpack_pack(files: Sequence[tuple[str, bytes]], store: str | Path) -> Path:
    """The files of an uploaded pack (already through the zip-safety checks of
    ``pipelines.delivery.intake.read_zip``: ``label/member`` names) written into a new private
    folder of the store's inbox, flat (a zip may keep them in one folder); raises
    :class:`Rejected` for a name that is not a plain file name or a name given twice. The
    folder is then validated like any pack (:func:`release.intake.check_pack`)."""
    import re
    import secrets

    names: dict[str, bytes] = {}
    problems = []
    for label, data in files:
        base = label.replace("\\", "/").rsplit("/", 1)[-1]
        if not re.fullmatch(r"[A-Za-z0-9_.-]{1,64}", base) or base.startswith("."):
            problems.append(f"{label}: not a file name of a pack; refused")
        elif base in names:
            problems.append(f"{label}: {base} is in the zip twice; refused")
        else:
            names[base] = data
    if problems:
        raise Rejected(problems)
    inbox = Path(store) / INBOX
    inbox.mkdir(parents=True, exist_ok=True, mode=0o700)
    folder = inbox / secrets.token_hex(8)
    folder.mkdir(mode=0o700)
    for base, data in names.items():
        fd = os.open(folder / base, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        try:
            os.write(fd, data)
        finally:
            os.close(fd)
    return folder


def previous(store: str | Path, organisation: str, month: str) -> dict | None:
    """The organisation's pack in use for its latest month before ``month`` (None: none)."""
    before = [(m, rec) for (m, o), rec in current(submissions(Path(store))).items()
              if o == organisation and m < month]
    return max(before, key=lambda x: x[0])[1] if before else None


CHANGE_KINDS = ("flip", "withheld", "shown", "value", "added", "removed")


def pack_changes(before: pl.DataFrame | None, after: pl.DataFrame) -> pl.DataFrame:
    """The cells of ``after`` (a pack's kpi rows as the store keeps them) against ``before``
    (the organisation's previous month): ``kind`` flip (a status changed: first), withheld
    (shown before, withheld now), shown (withheld before, shown now), value (a shown value
    changed), added, removed; with the value, flag and status before and after."""
    keys = ["metric", "fiscal_year", "bureau_code"]
    cols = ["value", "flag", "status"]
    a = after.select(*keys, *cols)
    if before is None:
        b = pl.DataFrame(schema={**{k: a.schema[k] for k in keys},
                                 **{c: a.schema[c] for c in cols}})
    else:
        b = before.select(*keys, *cols).cast({k: a.schema[k] for k in keys})
    j = b.join(a, on=keys, how="full", nulls_equal=True, suffix="_after", coalesce=True)
    j = j.rename({c: f"{c}_before" for c in cols})
    fb, fa = pl.col("flag_before"), pl.col("flag_after")
    sb, sa = pl.col("status_before"), pl.col("status_after")
    vb, va = pl.col("value_before"), pl.col("value_after")
    kind = (pl.when(fb.is_null()).then(pl.lit("added"))
            .when(fa.is_null()).then(pl.lit("removed"))
            .when(sb.is_not_null() & sa.is_not_null() & (sb != sa)).then(pl.lit("flip"))
            .when((fb == "F") & (fa != "F")).then(pl.lit("withheld"))
            .when((fb != "F") & (fa == "F")).then(pl.lit("shown"))
            .when((fa == "F") & ((vb != va) | (vb.is_null() != va.is_null())))
            .then(pl.lit("value")))
    order = {k: i for i, k in enumerate(CHANGE_KINDS)}
    out = j.with_columns(kind.alias("kind")).filter(pl.col("kind").is_not_null())
    return out.with_columns(pl.col("kind").replace_strict(order, return_dtype=pl.Int8)
                            .alias("__order")).sort(
        "__order", "metric", "fiscal_year", "bureau_code", nulls_last=False).select(
        "kind", *keys, "value_before", "value_after", "flag_before", "flag_after",
        "status_before", "status_after")


__all__ = ["CHANGE_KINDS", "LOG", "Accepted", "accept", "build_from_store",
           "check_against_store", "current", "missing", "pack_changes", "previous",
           "submissions", "unpack_pack"]
