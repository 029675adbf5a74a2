"""The roll-up's door: ONE intake validation of a publication pack, for every way a pack
arrives (``python -m pipelines rollup``, ``rollup accept`` into the monthly store, the
submissions inbox). A pack is untrusted input, checked like raw CSVs; every refusal is one
line naming the pack, the file, the field or column and the rows.

Entry points:

* :func:`check_pack` ``(folder) -> Pack``: the validated pack, or :class:`Rejected` with one
  line per problem;
* :func:`read_pack` ``(folder, problems) -> Pack | None``: the same, collecting the lines into
  ``problems`` (to report every pack of a run at once).

What is checked (docs/ROLLUP.md, table of checks):

* ``publication.json``: method, parameters (rounding, perturbation), threshold, as-of date,
  organisation; every file it lists must have the sha256 it records (a file changed after
  publishing is *tampered*), ``kpi.csv`` must be listed;
* ``kpi.csv`` (and ``kpi_pace.csv`` where the pack has it): the publication form's columns,
  every row of the pack's own organisation, metric codes, numbers or ``[c]``, statuses,
  one row per metric, FY and bureau; ``plans.csv``; ``public.duckdb``'s organisation and
  threshold.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import io
import json
import re
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import duckdb
import polars as pl

from pipelines.schema import METRIC_CODES, TARGET_KINDS
from release.catalogue import KPI, PACE, PACE_COLUMNS
from release.disclosure import METHOD, SUPPRESSED, check_threshold
from release.organisation import OrganisationError, check_code
from release.publication import (
    IMPLICIT_PLAN,
    META_NAME,
    ORG_COLUMN,
    PLAN_COLUMNS,
    PLANS_NAME,
    PUBLIC_NAME,
)

KPI_FILE = "kpi.csv"
PACE_FILE = "kpi_pace.csv"
NAMES = ("bureau_name_ja", "bureau_name_en")
KPI_NUMBERS = ("value", "numerator", "denominator", "target_min", "target_max")
KPI_STATUSES = ("met", "below", "above", "in_progress", "no_target", "no_data")
PACE_STATUSES = ("on_track", "at_risk", "no_target", "no_data")
_NAME_RE = re.compile(r"[A-Za-z0-9_.-]+")


class Rejected(Exception):
    """The packs cannot be rolled up: one line per problem."""

    def __init__(self, messages: Sequence[str]):
        super().__init__("; ".join(messages))
        self.messages = list(messages)


@dataclass
class Pack:
    """One organisation's validated pack."""

    folder: Path
    code: str
    name_ja: str | None
    name_en: str | None
    method: str
    threshold: int
    as_of_date: dt.date
    run_id: str | None
    kpi: pl.DataFrame
    pace: pl.DataFrame | None
    plans: pl.DataFrame | None = None  # the organisation's plan generations (plans.csv)



def kpi_columns() -> list[str]:
    """kpi.csv's header in a pack with an organisation."""
    return _pack_columns(KPI.column_names)


def pace_columns() -> list[str]:
    return _pack_columns(PACE.column_names)


def _pack_columns(names: Sequence[str]) -> list[str]:
    out = [ORG_COLUMN]
    for c in names:
        out += [c, *NAMES] if c == "bureau_code" else [c]
    return out


# --- reading one pack ---------------------------------------------------------------------

def _read_csv(data: bytes) -> pl.DataFrame:
    if data.startswith(b"\xef\xbb\xbf"):
        data = data[3:]
    return pl.read_csv(io.BytesIO(data), infer_schema=False)


def _numbers(frame: pl.DataFrame, columns: Sequence[str], where: str,
             problems: list[str]) -> pl.DataFrame:
    """Text columns → Float64 (``[c]`` and empty → NULL; the text kept as ``__raw_<c>``); a
    cell that is neither a number nor ``[c]`` is a problem (first rows named, spreadsheet
    numbering: header = row 1)."""
    out = []
    for c in columns:
        col = pl.col(c).str.strip_chars()
        num = col.cast(pl.Float64, strict=False)
        bad = frame.with_row_index("__row", 2).filter(
            col.is_not_null() & (col != "") & (col != SUPPRESSED)
            & (num.is_null() | num.is_nan() | num.is_infinite()))
        if bad.height:
            rows = ", ".join(str(r) for r in bad["__row"].head(5))
            problems.append(f"{where}: column {c}: not a number or {SUPPRESSED} "
                            f"(rows {rows}{', …' if bad.height > 5 else ''})")
        out += [num.alias(c), pl.col(c).alias(f"__raw_{c}")]
    return frame.with_columns(out)


def _enum(frame: pl.DataFrame, column: str, allowed: Sequence[str], where: str,
          problems: list[str], nullable: bool = True) -> None:
    col = pl.col(column)
    ok = col.is_in(list(allowed)) | (col == SUPPRESSED)
    if nullable:
        ok = ok | col.is_null()
    bad = frame.with_row_index("__row", 2).filter(~ok.fill_null(False))
    if bad.height:
        values = sorted({str(v) for v in bad[column].head(20)})
        problems.append(f"{where}: column {column}: unknown value(s) {', '.join(values[:5])} "
                        f"(rows {', '.join(str(r) for r in bad['__row'].head(5))})")


def _table(folder: Path, name: str, data: bytes, columns: list[str], code: str,
           problems: list[str]) -> pl.DataFrame | None:
    where = f"{folder}/{name}"
    try:
        frame = _read_csv(data)
    except (pl.exceptions.PolarsError, UnicodeDecodeError) as exc:
        problems.append(f"{where}: cannot be read as CSV ({str(exc).splitlines()[0]})")
        return None
    if frame.columns != columns:
        missing = [c for c in columns if c not in frame.columns]
        extra = [c for c in frame.columns if c not in columns]
        what = "; ".join(x for x in (
            f"missing {', '.join(missing)}" if missing else "",
            f"unexpected {', '.join(extra)}" if extra else "",
            "columns out of order" if not missing and not extra else "") if x)
        problems.append(f"{where}: header is not the publication form ({what})")
        return None
    wrong = frame.with_row_index("__row", 2).filter(pl.col(ORG_COLUMN) != code)
    if wrong.height or frame[ORG_COLUMN].null_count():
        problems.append(f"{where}: column {ORG_COLUMN}: rows of another organisation than "
                        f"{code} (rows {', '.join(str(r) for r in wrong['__row'].head(5))})")
    _enum(frame, "metric", METRIC_CODES, where, problems, nullable=False)
    fy = pl.col("fiscal_year").cast(pl.Int32, strict=False)
    bad = frame.with_row_index("__row", 2).filter(fy.is_null())
    if bad.height:
        problems.append(f"{where}: column fiscal_year: not a year "
                        f"(rows {', '.join(str(r) for r in bad['__row'].head(5))})")
    frame = frame.with_columns(fy.alias("fiscal_year"))
    keys = ["metric", "fiscal_year", "bureau_code"]
    dup = frame.filter(pl.struct(keys).is_duplicated())
    if dup.height:
        first = dup.row(0, named=True)
        problems.append(f"{where}: {dup.height} rows share metric, fiscal_year and bureau_code "
                        f"(e.g. {first['metric']} FY{first['fiscal_year']} "
                        f"{first['bureau_code'] or '(ministry)'})")
    return frame


def _meta(folder: Path, problems: list[str]) -> dict | None:
    path = folder / META_NAME
    if not folder.is_dir():
        problems.append(f"{folder}: not a folder")
        return None
    if not path.is_file():
        problems.append(f"{folder}: no {META_NAME} (not a publication pack)")
        return None
    try:
        meta = json.loads(path.read_text(encoding="utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        problems.append(f"{path}: not valid JSON ({exc})")
        return None
    if not isinstance(meta, dict):
        problems.append(f"{path}: not a JSON object")
        return None
    return meta


def read_pack(folder: Path, problems: list[str]) -> Pack | None:
    """The pack in ``folder``, validated; None (and lines in ``problems``) if it is not
    usable."""
    before = len(problems)
    meta = _meta(folder, problems)
    if meta is None:
        return None
    where = folder / META_NAME
    org = meta.get("organisation")
    code = None
    if not isinstance(org, dict) or not org.get("code"):
        problems.append(f"{where}: no organisation — publish it again with "
                        "`python -m pipelines publish --organisation CODE`")
    else:
        try:
            code = check_code(org.get("code"))
        except OrganisationError as exc:
            problems.append(f"{where}: {exc}")
    method = meta.get("method")
    if method != METHOD:
        problems.append(f"{where}: method {method!r} is not {METHOD!r}")
    if meta.get("rounding_base") != 1 or meta.get("max_perturbation") != 0:
        problems.append(f"{where}: rounding_base must be 1 and max_perturbation 0 (got "
                        f"{meta.get('rounding_base')!r}, {meta.get('max_perturbation')!r})")
    threshold = None
    try:
        threshold = check_threshold(meta.get("threshold"))
    except ValueError as exc:
        problems.append(f"{where}: threshold: {exc}")
    as_of = None
    try:
        as_of = dt.date.fromisoformat(str(meta.get("as_of_date")))
    except ValueError:
        problems.append(f"{where}: as_of_date {meta.get('as_of_date')!r} is not a date "
                        "(YYYY-MM-DD)")
    if as_of is not None and as_of > dt.date.today() + dt.timedelta(days=1):
        problems.append(f"{where}: as_of_date {as_of} is in the future")
    data = _checked_files(folder, meta.get("files"), problems)
    if len(problems) > before or code is None or threshold is None or as_of is None:
        return None
    kpi = _table(folder, KPI_FILE, data[KPI_FILE], kpi_columns(), code, problems)
    pace = None
    if PACE_FILE in data:
        pace = _table(folder, PACE_FILE, data[PACE_FILE], pace_columns(), code, problems)
    if kpi is not None:
        kpi = _numbers(kpi, KPI_NUMBERS, f"{folder}/{KPI_FILE}", problems)
        _enum(kpi, "status", KPI_STATUSES, f"{folder}/{KPI_FILE}", problems)
        _enum(kpi, "target_kind", TARGET_KINDS, f"{folder}/{KPI_FILE}", problems)
    if pace is not None:
        numeric = [c for c in PACE_COLUMNS if c != "pace_status"]
        pace = _numbers(pace, numeric, f"{folder}/{PACE_FILE}", problems)
        _enum(pace, "pace_status", PACE_STATUSES, f"{folder}/{PACE_FILE}", problems)
    plans = _plans(folder, data[PLANS_NAME], code, problems) if PLANS_NAME in data else None
    if PUBLIC_NAME in data:
        _check_public(folder, code, threshold, problems)
    if len(problems) > before or kpi is None:
        return None
    return Pack(folder, code, org.get("name_ja"), org.get("name_en"), method, threshold,
                as_of, meta.get("run_id"), kpi, pace, plans)


def _plans(folder: Path, data: bytes, code: str, problems: list[str]) -> pl.DataFrame | None:
    """plans.csv of a pack: the organisation's plans (title, period, adoption, revision)."""
    where = f"{folder}/{PLANS_NAME}"
    try:
        frame = _read_csv(data)
    except (pl.exceptions.PolarsError, UnicodeDecodeError) as exc:
        problems.append(f"{where}: cannot be read as CSV ({str(exc).splitlines()[0]})")
        return None
    if frame.columns != [ORG_COLUMN, *PLAN_COLUMNS]:
        problems.append(f"{where}: header is not {', '.join([ORG_COLUMN, *PLAN_COLUMNS])}")
        return None
    rows = frame.with_row_index("__row", 2)
    # no adoption date: only the implicit plan of a data set without plans.csv (raw-data.md),
    # which is then the organisation's one plan
    implicit = ((pl.col("plan_id") == IMPLICIT_PLAN) & pl.col("adopted_on").is_null()
                & (pl.len() == 1))
    bad = rows.filter((pl.col(ORG_COLUMN) != code).fill_null(True)
                      | pl.col("plan_id").is_null()
                      | pl.col("title_ja").is_null() | pl.col("title_en").is_null()
                      | pl.col("fy_from").cast(pl.Int32, strict=False).is_null()
                      | pl.col("fy_to").cast(pl.Int32, strict=False).is_null()
                      | (pl.col("adopted_on").str.to_date(strict=False).is_null()
                         & ~implicit.fill_null(False)))
    if bad.height:
        problems.append(f"{where}: rows of another organisation, without a plan_id or titles, "
                        f"or with a period or adoption date that is not one (an empty "
                        f"adoption date only for the implicit plan '{IMPLICIT_PLAN}', alone) "
                        f"(rows {', '.join(str(r) for r in bad['__row'].head(5))})")
        return None
    return frame.with_columns(pl.col("fy_from", "fy_to").cast(pl.Int32),
                              pl.col("adopted_on").str.to_date(strict=False))


def _checked_files(folder: Path, files: object, problems: list[str]) -> dict[str, bytes]:
    """The listed files' bytes, each checked against its sha256 in publication.json."""
    where = folder / META_NAME
    if not isinstance(files, dict) or not files:
        problems.append(f"{where}: no file checksums (published before the roll-up existed: "
                        "publish it again)")
        return {}
    out: dict[str, bytes] = {}
    for name, digest in sorted(files.items()):
        if not isinstance(name, str) or not _NAME_RE.fullmatch(name) or name == META_NAME:
            problems.append(f"{where}: {name!r} is not a file name of the pack")
            continue
        path = folder / name
        if not path.is_file():
            problems.append(f"{path}: listed in {META_NAME} but missing")
            continue
        data = path.read_bytes() if name != PUBLIC_NAME else b""
        got = (hashlib.sha256(data).hexdigest() if name != PUBLIC_NAME
               else _sha256_file(path))
        if got != digest:
            problems.append(f"{path}: changed since it was published (sha256 {got[:12]}… , "
                            f"{META_NAME} says {str(digest)[:12]}…): tampered or damaged")
            continue
        out[name] = data
    if KPI_FILE not in files:
        problems.append(f"{where}: {KPI_FILE} is not listed")
    return out


def _sha256_file(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def _check_public(folder: Path, code: str, threshold: int, problems: list[str]) -> None:
    """The public-edition file says the same organisation and threshold as publication.json
    (read through the one locked connection)."""
    from release.connection import connect
    from release.public import MARKER

    path = folder / PUBLIC_NAME
    try:
        con = connect(str(path))
        try:
            meta = con.sql(f"SELECT * FROM {MARKER}").pl().row(0, named=True)
        finally:
            con.close()
    except (duckdb.Error, pl.exceptions.PolarsError, IndexError) as exc:
        problems.append(f"{path}: not a public-edition file ({str(exc).splitlines()[0]})")
        return
    if meta.get("organisation") != code or meta.get("threshold") != threshold:
        problems.append(f"{path}: organisation {meta.get('organisation')!r} / threshold "
                        f"{meta.get('threshold')!r} differ from {META_NAME}")



def check_pack(folder: str | Path) -> Pack:
    """THE intake validation: the pack in ``folder``, validated; raises :class:`Rejected`
    (one line per problem, each naming the pack, the file, the field or column and the rows)
    when it is not usable."""
    problems: list[str] = []
    pack = read_pack(Path(folder), problems)
    if pack is None or problems:
        raise Rejected(problems or [f"{folder}: not a usable publication pack"])
    return pack


__all__ = ["KPI_FILE", "PACE_FILE", "Pack", "Rejected", "check_pack", "kpi_columns",
           "pace_columns", "read_pack"]
