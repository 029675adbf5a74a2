"""The roll-up's door: ONE intake validation of a publication pack, for every way a pack
arrives (``python -m pipelines rollup``, ``rollup accept`` into the monthly store, the
submissions inbox). A pack is untrusted input, checked like raw CSVs; every refusal is one
line naming the pack, the file, the field or column and the rows, and never quotes a file's
content beyond the pack's own fields (shown with ``repr``, cut short: no control character
reaches a terminal or a log).

Entry points:

* :func:`check_pack` ``(folder, *, keys=None, limits=None) -> Pack``: the validated pack, or
  :class:`Rejected` with one line per problem;
* :func:`read_pack` ``(folder, problems, *, keys=None, limits=None) -> Pack | None``: the same,
  collecting the lines into ``problems`` (to report every pack of a run at once);
* :func:`unpack_zip` ``(zip_file, dest) -> Path``: an uploaded pack's zip unpacked safely (no
  absolute paths, no ``..``, no links or special files, the same size limits), then
  :func:`check_pack` the folder it returns.

In order, each step only when the ones before found nothing (docs/ROLLUP.md, table of checks):

1. **before reading** (``lstat``): the folder holds regular files only (no symbolic link,
   folder, device, pipe or socket), at most ``max_files``, each at most ``max_file_bytes``
   and all together at most ``max_pack_bytes`` (``pipelines.settings.pack_limits``);
2. ``publication.json`` (opened with ``O_NOFOLLOW``): exactly the publication form's keys,
   each of its exact JSON type (a boolean is not a number); method, rounding 1, perturbation
   0, threshold, as-of date (a date, not in the future, not before the earliest FY),
   organisation (code; names strings of 1–120 characters without control characters), run;
3. the signature (``publication.sig``) when a keys file registers the organisation
   (``release.signing``);
4. the files: every file of the folder listed in ``files`` and every listed file present; the
   required ones there; each file's sha256 as recorded (read once, without following links:
   the bytes checked are the bytes parsed);
5. the tables, after counting their lines against ``max_rows``: ``kpi.csv``, ``kpi_pace.csv``
   and ``plans.csv`` in the publication form (columns, the pack's own organisation, metric
   codes, fiscal years between the earliest FY and the as-of date's FY, numbers or ``[c]``,
   statuses and kinds, text without control characters, one row per key);
6. one story: ``public.duckdb`` and ``publication.xlsx`` hold the same rows, values and
   withheld cells as ``kpi.csv`` and ``kpi_pace.csv``, and the same metadata as
   ``publication.json``; the first differing cell is named.
"""

from __future__ import annotations

import atexit
import contextlib
import datetime as dt
import hashlib
import html
import io
import json
import os
import re
import secrets
import shutil
import stat
import tempfile
import threading
import zipfile
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from dataclasses import field as dc_field
from pathlib import Path, PurePosixPath

import duckdb
import polars as pl

from pipelines.fiscal import fiscal_year
from pipelines.schema import METRIC_CODES, TARGET_KINDS
from pipelines.settings import PackLimits, pack_limits
from release.catalogue import KPI, PACE, PACE_COLUMNS
from release.disclosure import METHOD, SUPPRESSED, check_threshold
from release.organisation import OrganisationError, check_code
from release.packfiles import _listing, _Unreadable, preflight, read_file, show
from release.publication import (
    IMPLICIT_PLAN,
    META_NAME,
    ORG_COLUMN,
    PLAN_COLUMNS,
    PLANS_NAME,
    PUBLIC_NAME,
    SIG_NAME,
    XLSX_NAME,
)

KPI_FILE = "kpi.csv"
PACE_FILE = "kpi_pace.csv"
# the files a pack must have (docs/ROLLUP.md): the metadata, the rows, and the two other
# forms of the same rows that the one-story check holds them against
REQUIRED = (META_NAME, KPI_FILE, XLSX_NAME, PUBLIC_NAME)
NAMES = ("bureau_name_ja", "bureau_name_en")
KPI_NUMBERS = ("value", "numerator", "denominator", "target_min", "target_max")
KPI_STATUSES = ("met", "below", "above", "in_progress", "no_target", "no_data")
PACE_STATUSES = ("on_track", "at_risk", "no_target", "no_data")
META_KEYS = ("method", "threshold", "rounding_base", "max_perturbation", "run_id",
             "as_of_date", "organisation", "public_figures", "files")
ORG_KEYS = ("code", "name_ja", "name_en")
NAME_MAX = 120  # characters of an organisation's (or a bureau's) name
TEXT_MAX = 200  # characters of any other text cell of a pack
_NAME_RE = re.compile(r"[A-Za-z0-9_.-]+")
_DIGEST_RE = re.compile(r"[0-9a-f]{64}")
_DATE_RE = re.compile(r"\d{4}-\d{2}-\d{2}")
_RUN_RE = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.:+-]{0,63}")
_CONTROL_RE = re.compile(r"[\x00-\x1f\x7f-\x9f]")
_CONTROL_PL = r"[\x00-\x1f\x7f-\x9f]"
_UNREAD = object()


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
    signed_by: str | None = None  # the registered key that verified publication.sig
    # its disclosure policy (publication.json public_figures): metric → first FY or None
    public: dict[str, int | None] = dc_field(default_factory=dict)


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




def _rows(frame: pl.DataFrame, n: int = 5) -> str:
    rows = ", ".join(str(r) for r in frame["__row"].head(n))
    return f"rows {rows}{', …' if frame.height > n else ''}"




# --- 2. publication.json ----------------------------------------------------------------------

@dataclass
class _Meta:
    code: str | None = None
    name_ja: str | None = None
    name_en: str | None = None
    method: str | None = None
    threshold: int | None = None
    as_of: dt.date | None = None
    run_id: str | None = None
    files: dict[str, str] | None = None
    public: dict[str, int | None] | None = None


def name_problem(value: object) -> str | None:
    """Why ``value`` is not an organisation's name (None when it is one, or absent)."""
    if value is None:
        return None
    if not isinstance(value, str):
        return f"not text (JSON {type(value).__name__})"
    if not value.strip():
        return "empty"
    if len(value) > NAME_MAX:
        return f"{len(value):,} characters, more than {NAME_MAX}"
    if _CONTROL_RE.search(value):
        return "contains a control character"
    return None


def _is_int(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _parse_meta(folder: Path, raw: bytes, limits: PackLimits, problems: list[str],
                today: dt.date) -> _Meta | None:
    where = folder / META_NAME
    try:
        meta = json.loads(raw.decode("utf-8"))
    except UnicodeDecodeError:
        problems.append(f"{where}: not UTF-8 text")
        return None
    except (json.JSONDecodeError, RecursionError) as exc:
        problems.append(f"{where}: not valid JSON ({getattr(exc, 'msg', 'too deeply nested')}"
                        f"{f', line {exc.lineno}' if isinstance(exc, json.JSONDecodeError) else ''}"
                        ")")
        return None
    if not isinstance(meta, dict):
        problems.append(f"{where}: not a JSON object")
        return None
    out = _Meta()
    extra = sorted(k for k in meta if k not in META_KEYS)
    if extra:
        problems.append(f"{where}: unexpected key(s) {', '.join(show(k, 30) for k in extra[:5])}"
                        " (not the publication form)")
    missing = [k for k in META_KEYS if k not in meta and k != "organisation"
               and k != "files" and k != "public_figures"]
    if missing:
        problems.append(f"{where}: missing key(s) {', '.join(missing)}")
    org = meta.get("organisation")
    if not isinstance(org, dict) or not org.get("code"):
        problems.append(f"{where}: no organisation — publish it again with "
                        "`python -m pipelines publish --organisation CODE`")
    else:
        bad = sorted(k for k in org if k not in ORG_KEYS)
        if bad:
            problems.append(f"{where}: organisation: unexpected key(s) "
                            f"{', '.join(show(k, 30) for k in bad[:5])}")
        try:
            out.code = check_code(org.get("code"))
        except OrganisationError as exc:
            out.code = None
            problems.append(f"{where}: organisation.code: {exc}".replace(
                repr(org.get("code")), show(org.get("code"))))
        for key in ("name_ja", "name_en"):
            why = name_problem(org.get(key))
            if why:
                problems.append(f"{where}: organisation.{key}: {why} (a name is 1–{NAME_MAX} "
                                "characters of text without control characters)")
            else:
                setattr(out, key, org.get(key))
    method = meta.get("method")
    if method != METHOD or not isinstance(method, str):
        problems.append(f"{where}: method {show(method)} is not {METHOD!r}")
    else:
        out.method = method
    rb, mp = meta.get("rounding_base"), meta.get("max_perturbation")
    if not (_is_int(rb) and rb == 1 and _is_int(mp) and mp == 0):
        problems.append(f"{where}: rounding_base must be the integer 1 and max_perturbation the "
                        f"integer 0 (got {show(rb, 30)}, {show(mp, 30)})")
    t = meta.get("threshold")
    if not _is_int(t):
        problems.append(f"{where}: threshold: must be a JSON integer of at least 2, got "
                        f"{show(t, 30)}")
    else:
        try:
            out.threshold = check_threshold(t)
        except ValueError as exc:
            problems.append(f"{where}: threshold: {exc}")
    run = meta.get("run_id")
    if run is not None and not (isinstance(run, str) and _RUN_RE.fullmatch(run)):
        problems.append(f"{where}: run_id {show(run)} is not a pipeline run id (1–64 letters, "
                        "digits and . _ : + -)")
    else:
        out.run_id = run
    raw_date = meta.get("as_of_date")
    try:
        if not isinstance(raw_date, str) or not _DATE_RE.fullmatch(raw_date):
            raise ValueError
        out.as_of = dt.date.fromisoformat(raw_date)
    except ValueError:
        problems.append(f"{where}: as_of_date {show(raw_date)} is not a date (YYYY-MM-DD)")
    first = dt.date(limits.earliest_fy, 4, 1)
    if out.as_of is not None and out.as_of > today + dt.timedelta(days=1):
        problems.append(f"{where}: as_of_date {out.as_of} is in the future")
        out.as_of = None
    elif out.as_of is not None and out.as_of < first:
        problems.append(f"{where}: as_of_date {out.as_of} is before FY{limits.earliest_fy} "
                        f"({first}), the earliest fiscal year a pack may hold")
        out.as_of = None
    out.public = _public_figures(meta.get("public_figures"), where, problems)
    files = meta.get("files")
    if not isinstance(files, dict) or not files:
        problems.append(f"{where}: no file checksums (published before the roll-up existed: "
                        "publish it again)")
    else:
        good = {}
        for name, digest in files.items():
            if not _NAME_RE.fullmatch(name) or name in (META_NAME, SIG_NAME):
                problems.append(f"{where}: files: {show(name)} is not a file name of the pack")
            elif not isinstance(digest, str) or not _DIGEST_RE.fullmatch(digest):
                problems.append(f"{where}: files.{name}: {show(digest, 30)} is not a sha256 "
                                "(64 lowercase hexadecimal digits)")
            else:
                good[name] = digest
        out.files = good
    return out


def _public_figures(entries: object, where: object, problems: list[str]
                    ) -> dict[str, int | None]:
    """publication.json's ``public_figures`` (the organisation's disclosure policy, issue
    23): metric → first FY (None: every FY) of the ministry-wide values it publishes itself.
    Absent (older packs): none."""
    out: dict[str, int | None] = {}
    if entries is None:
        return out
    if not isinstance(entries, list):
        problems.append(f"{where}: public_figures must be a list")
        return out
    keys = {"metric", "level", "fy_from", "source"}
    for e in entries[:50]:
        fy = e.get("fy_from") if isinstance(e, dict) else None
        source = e.get("source") if isinstance(e, dict) else None
        ok = (isinstance(e, dict) and set(e) <= keys and e.get("metric") in METRIC_CODES
              and e.get("level") == "ministry" and (fy is None or _is_int(fy))
              and (source is None or (isinstance(source, str) and len(source) <= TEXT_MAX
                                      and not _CONTROL_RE.search(source))))
        if not ok:
            problems.append(f"{where}: public_figures: {show(e, 60)} is not a metric code, "
                            "level ministry, an optional integer fy_from and a source")
            continue
        out[e["metric"]] = fy
    return out


# --- 4. the files -----------------------------------------------------------------------------

def _files(folder: Path, meta: _Meta, sizes: Mapping[str, int], limits: PackLimits,
           problems: list[str]) -> dict[str, bytes]:
    """Every listed file's bytes, each read once without following links and checked against
    its sha256; the folder and the list agree both ways; the required files are there."""
    where = folder / META_NAME
    listed = meta.files or {}
    for name in REQUIRED:
        if name != META_NAME and name not in listed and name not in sizes:
            problems.append(f"{folder}: no {name} (a pack must have "
                            f"{', '.join(REQUIRED)}: docs/ROLLUP.md)")
    for name in sorted(sizes):
        if name not in listed and name not in (META_NAME, SIG_NAME):
            problems.append(f"{folder}/{name if _NAME_RE.fullmatch(name) else show(name)}: "
                            f"not listed in {META_NAME}'s files (every file of a pack is "
                            "listed with its sha256)")
    out: dict[str, bytes] = {}
    for name, digest in sorted(listed.items()):
        path = folder / name
        if name not in sizes:
            if os.path.lexists(path):
                continue  # a link or special file: already named by the listing
            problems.append(f"{path}: listed in {META_NAME} but missing")
            continue
        try:
            data = read_file(path, limits.max_file_bytes)
        except _Unreadable as exc:
            problems.append(f"{path}: {exc}")
            continue
        got = hashlib.sha256(data).hexdigest()
        if got != digest:
            problems.append(f"{path}: changed since it was published (sha256 {got[:12]}… , "
                            f"{META_NAME} says {digest[:12]}…): tampered or damaged")
            continue
        out[name] = data
    if meta.files is not None and KPI_FILE not in listed and KPI_FILE in sizes:
        problems.append(f"{where}: {KPI_FILE} is not listed")
    return out


# --- 5. the tables ----------------------------------------------------------------------------

def _read_csv(data: bytes, where: str, limits: PackLimits, problems: list[str]
              ) -> pl.DataFrame | None:
    lines = data.count(b"\n")
    if lines > limits.max_rows + 1:
        problems.append(f"{where}: {lines:,} lines, over the limit of {limits.max_rows:,} rows "
                        "per table (DTP_PACK_MAX_ROWS): not read")
        return None
    if data.startswith(b"\xef\xbb\xbf"):
        data = data[3:]
    try:
        data.decode("utf-8")
        return pl.read_csv(io.BytesIO(data), infer_schema=False)
    except UnicodeDecodeError:
        problems.append(f"{where}: not UTF-8 text")
    except pl.exceptions.PolarsError as exc:
        problems.append(f"{where}: cannot be read as CSV ({show(str(exc).splitlines()[0], 120)})")
    return None


def _numbers(frame: pl.DataFrame, columns: Sequence[str], where: str,
             problems: list[str]) -> pl.DataFrame:
    """Text columns → Float64 (``[c]`` and empty → NULL; the text kept as ``__raw_<c>``); a
    cell that is neither a number nor ``[c]`` is a problem (first rows named, spreadsheet
    numbering: header = row 1)."""
    out, masks = [], {}
    for c in columns:
        col = pl.col(c).str.strip_chars()
        num = col.cast(pl.Float64, strict=False)
        masks[c] = (col.is_not_null() & (col != "") & (col != SUPPRESSED)
                    & (num.is_null() | num.is_nan() | num.is_infinite())).fill_null(False)
        out += [num.alias(c), pl.col(c).alias(f"__raw_{c}")]
    hit = frame.select(m.any().alias(c) for c, m in masks.items()).row(0)  # one pass
    for c, any_bad in zip(columns, hit, strict=True):
        if any_bad:
            bad = frame.with_row_index("__row", 2).filter(masks[c])
            problems.append(f"{where}: column {c}: not a number or {SUPPRESSED} ({_rows(bad)})")
    return frame.with_columns(out)


def _integers(frame: pl.DataFrame, columns: Sequence[str], where: str, problems: list[str],
              low: int = 0, high: int = 10_000) -> None:
    for c in columns:
        col = pl.col(c)
        num = col.cast(pl.Int64, strict=False)
        bad = frame.with_row_index("__row", 2).filter(
            col.is_not_null() & (col != SUPPRESSED)
            & (num.is_null() | (num < low) | (num > high)).fill_null(True))
        if bad.height:
            problems.append(f"{where}: column {c}: not a whole number from {low} to {high} "
                            f"({_rows(bad)})")


def _enum(frame: pl.DataFrame, column: str, allowed: Sequence[str], where: str,
          problems: list[str], nullable: bool = True) -> None:
    col = pl.col(column)
    ok = col.is_in(list(allowed)) | (col == SUPPRESSED)
    if nullable:
        ok = ok | col.is_null()
    bad = frame.with_row_index("__row", 2).filter(~ok.fill_null(False))
    if bad.height:
        values = sorted({show(v, 30) for v in bad[column].head(20)})
        problems.append(f"{where}: column {column}: unknown value(s) {', '.join(values[:5])} "
                        f"({_rows(bad)})")


def _text(frame: pl.DataFrame, where: str, problems: list[str],
          limits: Mapping[str, int] | None = None) -> None:
    """Every text cell: no control character, at most ``TEXT_MAX`` (names: ``NAME_MAX``)
    characters."""
    limits = limits or {}
    masks = {c: (pl.col(c).str.contains(_CONTROL_PL)
                 | (pl.col(c).str.len_chars() > limits.get(c, TEXT_MAX))).fill_null(False)
             for c in frame.columns}
    hit = frame.select(m.any().alias(c) for c, m in masks.items()).row(0)  # one pass
    rows = frame.with_row_index("__row", 2)
    for c, any_bad in zip(frame.columns, hit, strict=True):
        if not any_bad:
            continue
        most = limits.get(c, TEXT_MAX)
        bad = rows.filter(masks[c])
        if bad.height:
            problems.append(f"{where}: column {c}: a control character or more than {most} "
                            f"characters ({_rows(bad)})")


def _fiscal_years(frame: pl.DataFrame, where: str, first: int, last: int,
                  problems: list[str]) -> pl.DataFrame:
    fy = pl.col("fiscal_year").str.strip_chars().cast(pl.Int32, strict=False)
    rows = frame.with_row_index("__row", 2)
    bad = rows.filter(fy.is_null())
    if bad.height:
        problems.append(f"{where}: column fiscal_year: not a year ({_rows(bad)})")
    out = rows.filter(fy.is_not_null() & ((fy < first) | (fy > last)))
    if out.height:
        problems.append(f"{where}: column fiscal_year: outside FY{first}–FY{last} (the earliest "
                        f"fiscal year a pack may hold to the as-of date's) ({_rows(out)})")
    return frame.with_columns(fy.alias("fiscal_year"))


def _table(folder: Path, name: str, data: bytes, columns: list[str], meta: _Meta,
           limits: PackLimits, problems: list[str]) -> pl.DataFrame | None:
    where = f"{folder}/{name}"
    frame = _read_csv(data, where, limits, problems)
    if frame is None:
        return None
    if frame.columns != columns:
        missing = [c for c in columns if c not in frame.columns]
        extra = [c for c in frame.columns if c not in columns]
        what = "; ".join(x for x in (
            f"missing {', '.join(missing)}" if missing else "",
            f"unexpected {', '.join(show(c, 30) for c in extra[:5])}" if extra else "",
            "columns out of order" if not missing and not extra else "") if x)
        problems.append(f"{where}: header is not the publication form ({what})")
        return None
    wrong = frame.with_row_index("__row", 2).filter(
        (pl.col(ORG_COLUMN) != meta.code).fill_null(True))
    if wrong.height:
        problems.append(f"{where}: column {ORG_COLUMN}: rows of another organisation than "
                        f"{meta.code} ({_rows(wrong)})")
    _enum(frame, "metric", METRIC_CODES, where, problems, nullable=False)
    _text(frame, where, problems, dict.fromkeys(NAMES, NAME_MAX))
    frame = _fiscal_years(frame, where, limits.earliest_fy, fiscal_year(meta.as_of), problems)
    keys = ["metric", "fiscal_year", "bureau_code"]
    dup = frame.filter(pl.struct(keys).is_duplicated())
    if dup.height:
        first = dup.row(0, named=True)
        bureau = show(first["bureau_code"], 30) if first["bureau_code"] else "(ministry)"
        problems.append(f"{where}: {dup.height} rows share metric, fiscal_year and bureau_code "
                        f"(e.g. {show(first['metric'], 30)} FY{first['fiscal_year']} {bureau})")
    return frame


def _plans(folder: Path, data: bytes, meta: _Meta, limits: PackLimits, problems: list[str]
           ) -> pl.DataFrame | None:
    """plans.csv of a pack: the organisation's plans (title, period, adoption, revision)."""
    where = f"{folder}/{PLANS_NAME}"
    frame = _read_csv(data, where, limits, problems)
    if frame is None:
        return None
    if frame.columns != [ORG_COLUMN, *PLAN_COLUMNS]:
        problems.append(f"{where}: header is not {', '.join([ORG_COLUMN, *PLAN_COLUMNS])}")
        return None
    _text(frame, where, problems)
    rows = frame.with_row_index("__row", 2)
    # no adoption date: only the implicit plan of a data set without plans.csv (raw-data.md),
    # which is then the organisation's one plan
    implicit = ((pl.col("plan_id") == IMPLICIT_PLAN) & pl.col("adopted_on").is_null()
                & (pl.len() == 1))
    fy = [pl.col(c).cast(pl.Int32, strict=False) for c in ("fy_from", "fy_to")]
    bad = rows.filter((pl.col(ORG_COLUMN) != meta.code).fill_null(True)
                      | pl.col("plan_id").is_null()
                      | pl.col("title_ja").is_null() | pl.col("title_en").is_null()
                      | fy[0].is_null() | fy[1].is_null()
                      | (fy[0] < limits.earliest_fy).fill_null(False)
                      | (fy[1] < fy[0]).fill_null(False) | (fy[1] > 2100).fill_null(False)
                      | (pl.col("adopted_on").str.to_date("%Y-%m-%d", strict=False).is_null()
                         & ~implicit.fill_null(False)))
    if bad.height:
        problems.append(f"{where}: rows of another organisation, without a plan_id or titles, "
                        f"or with a period (FY{limits.earliest_fy} or later, fy_from ≤ fy_to) "
                        f"or adoption date that is not one (an empty adoption date only for the "
                        f"implicit plan '{IMPLICIT_PLAN}', alone) ({_rows(bad)})")
        return None
    return frame.with_columns(pl.col("fy_from", "fy_to").cast(pl.Int32),
                              pl.col("adopted_on").str.to_date("%Y-%m-%d", strict=False))


# --- 6. one story across the files -------------------------------------------------------------

def _first_difference(got: pl.DataFrame, want: pl.DataFrame) -> tuple[int, str, object, object
                                                                      ] | None:
    """(row, column, got, want) of the first cell where two text frames differ (row in
    spreadsheet numbering: header = 1), None when they are the same."""
    if got.columns != want.columns:
        return (1, "(header)", got.columns, want.columns)
    n = min(got.height, want.height)
    first: tuple[int, str, object, object] | None = None
    for c in got.columns:
        a, b = got[c].head(n), want[c].head(n)
        diff = a.ne_missing(b)
        idx = diff.arg_true()
        if idx.len() and (first is None or idx[0] + 2 < first[0]):
            i = idx[0]
            first = (i + 2, c, a[i], b[i])
    if first is None and got.height != want.height:
        return (n + 2, "(row count)", got.height, want.height)
    return first


# The one DuckDB of the process that reads packs' public.duckdb (an instance costs ~20 ms of
# CPU to create, more than the reading): in memory, locked like release.connection.connect (no
# external access, no extension, no setting undone) except that it may open files in ONE private
# folder (0700; on tmpfs where there is one), where each pack's copy is written, attached
# READ_ONLY, read and detached — one at a time, so a view stored in a hostile file can read no
# other file than its own copy.
_READER: tuple[int, duckdb.DuckDBPyConnection, Path] | None = None
_READER_LOCK = threading.Lock()


def _reader() -> tuple[duckdb.DuckDBPyConnection, Path]:
    global _READER
    if _READER is None or _READER[0] != os.getpid():  # (a forked child makes its own)
        from pipelines.readonly import LOCK

        shm = Path("/dev/shm")
        base = str(shm) if shm.is_dir() and os.access(shm, os.W_OK | os.X_OK) else None
        folder = Path(tempfile.mkdtemp(prefix="dtp-intake-", dir=base))
        con = duckdb.connect(":memory:", config={"autoinstall_known_extensions": False,
                                                 "autoload_known_extensions": False,
                                                 "memory_limit": "256MB", "threads": 1})
        try:
            con.execute("SET allowed_directories = ?", [[f"{folder}/"]])
            for sql in LOCK:
                con.execute(sql)
        except BaseException:
            con.close()
            shutil.rmtree(folder, ignore_errors=True)
            raise
        atexit.register(shutil.rmtree, folder, True)
        _READER = (os.getpid(), con, folder)
    return _READER[1], _READER[2]


def _drop_reader() -> None:
    global _READER
    if _READER is not None:
        _, con, folder = _READER
        _READER = None
        with contextlib.suppress(duckdb.Error):
            con.close()
        shutil.rmtree(folder, ignore_errors=True)


def _public(folder: Path, data: bytes, problems: list[str]) -> dict | None:
    """publication_meta, pub_kpi, pub_kpi_pace and bureaus of the pack's public.duckdb, read
    from the very bytes that were checked (a private copy: no link can swap the file)."""
    from release import exports
    from release.public import MARKER

    path = folder / PUBLIC_NAME
    with _READER_LOCK:
        con, private = _reader()
        copy = private / f"{secrets.token_hex(8)}.duckdb"
        fd = os.open(copy, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW, 0o600)
        try:
            with os.fdopen(fd, "wb") as f:
                f.write(data)
            attached = False
            try:
                con.execute("ATTACH ? AS wh (READ_ONLY)", [str(copy)])
                attached = True
                con.execute("USE wh")
                meta = con.sql(f"SELECT * FROM {MARKER}").pl().row(0, named=True)
                tables = {t: con.sql(f'SELECT * FROM "pub_{t}"').pl()
                          for t in ("kpi", PACE.name)}
                bureaus = con.sql("SELECT bureau_code, name_ja, name_en FROM bureaus").pl()
            except (duckdb.Error, pl.exceptions.PolarsError, IndexError) as exc:
                problems.append(f"{path}: not a public-edition file "
                                f"({show(str(exc).splitlines()[0], 120)})")
                return None
            finally:
                if attached:
                    try:
                        con.execute("USE memory")
                        con.execute("DETACH wh")
                    except duckdb.Error:  # never leave a pack attached: a new reader
                        _drop_reader()
        finally:
            with contextlib.suppress(OSError):
                copy.unlink()
    text = {t: pl.read_csv(exports.to_csv(f).data[3:], infer_schema=False) if f.height else f
            for t, f in tables.items()}
    return {"meta": meta, "tables": text, "bureaus": bureaus}


def _story(folder: Path, meta: _Meta, data: Mapping[str, bytes],
           csv: Mapping[str, pl.DataFrame], limits: PackLimits, problems: list[str]) -> None:
    """public.duckdb and publication.xlsx say what publication.json, kpi.csv and kpi_pace.csv
    say: the first differing cell named."""
    pub = _public(folder, data[PUBLIC_NAME], problems)
    if pub is None:
        return
    where = folder / PUBLIC_NAME
    pm = pub["meta"]
    as_of = pm.get("as_of_date")
    for field, got, want in (
            ("organisation", pm.get("organisation"), meta.code),
            ("organisation_name_ja", pm.get("organisation_name_ja"), meta.name_ja),
            ("organisation_name_en", pm.get("organisation_name_en"), meta.name_en),
            ("threshold", pm.get("threshold"), meta.threshold),
            ("run_id", pm.get("run_id"), meta.run_id),
            ("as_of_date", as_of.isoformat() if isinstance(as_of, dt.date) else as_of,
             meta.as_of.isoformat() if meta.as_of else None)):
        if got != want:
            problems.append(f"{where}: publication_meta.{field} {show(got)} differs from "
                            f"{META_NAME}'s {show(want)} (the pack's files must tell one story)")
            return
    for name, table in ((KPI_FILE, "kpi"), (PACE_FILE, PACE.name)):
        want = pub["tables"][table]
        got = csv.get(name)
        if got is None:
            if want.height:
                problems.append(f"{folder}: no {name}, but {PUBLIC_NAME} holds {want.height:,} "
                                f"{table} rows (the pack's files must tell one story)")
            continue
        diff = _first_difference(got.drop(ORG_COLUMN, *NAMES), want)
        if diff:
            row, col, a, b = diff
            problems.append(f"{folder}/{name}: row {row}, column {col}: {show(a, 40)}, but "
                            f"{PUBLIC_NAME} says {show(b, 40)} (the pack's files must tell one "
                            "story)")
    if problems:
        return
    _xlsx_story(folder, meta, data[XLSX_NAME], csv, limits, problems)


# The cells as publish writes them (xlsxwriter): a value, a shared or inline string, or
# nothing; no formula, no rich value. A cell of any other shape makes the workbook unreadable
# here (refused), so nothing in it goes unchecked.
_CELL_PL = (r'^(?<letters>[A-Z]{1,3})(?<row>[0-9]{1,7})"(?: s="[0-9]+")?'
            r'(?: t="(?<t>s|str|n|b|e|inlineStr)")?(?: s="[0-9]+")?'
            r'(?:/>|><v>(?<v>[^<]*)</v></c>|><is><t(?: [^>]*)?>(?<is>[^<]*)</t></is></c>)')
_ATTR = re.compile(r'([\w:]+)="([^"]*)"')
_T = re.compile(r"<t\b[^>]*>(.*?)</t>", re.S)
_SI = re.compile(r"<si>(.*?)</si>", re.S)


def _attrs(tag: str) -> dict[str, str]:
    return {k: html.unescape(v) for k, v in _ATTR.findall(tag)}


def _col_index(letters: str) -> int:
    n = 0
    for ch in letters:
        n = n * 26 + ord(ch) - 64
    return n - 1


class _BadXlsx(Exception):
    pass


def read_xlsx(data: bytes, sheets: Sequence[str], limit: int) -> dict[str, pl.DataFrame]:
    """The cells of ``sheets`` of an XLSX as long frames (``row``, ``col`` from 0; ``kind``
    ``text`` / ``number`` / ``bool`` / ``error``; ``text``; ``number``), read without a
    spreadsheet library: the zip's members and sizes checked first (no member over ``limit``
    bytes unpacked), no XML entity expanded beyond the standard ones, and only cells of the
    shape ``publish`` writes (no formula): anything else raises :class:`_BadXlsx`."""
    try:
        z = zipfile.ZipFile(io.BytesIO(data))
        members = {i.filename: i for i in z.infolist()}

        def member(name: str) -> str:
            info = members.get(name)
            if info is None:
                raise _BadXlsx(f"no {name}")
            if info.file_size > limit:
                raise _BadXlsx(f"{name}: {info.file_size:,} bytes unpacked, over the limit")
            with z.open(info) as f:
                out = f.read(limit + 1)
            if len(out) > limit:
                raise _BadXlsx(f"{name}: over the limit unpacked")
            return out.decode("utf-8")

        rels = {a.get("Id"): a.get("Target", "") for a in
                (_attrs(t) for t in re.findall(r"<Relationship\b[^>]*>",
                                               member("xl/_rels/workbook.xml.rels")))}
        book = {a.get("name"): rels.get(a.get("r:id")) for a in
                (_attrs(t) for t in re.findall(r"<sheet\b[^>]*>", member("xl/workbook.xml")))}
        shared: list[str] = []
        if "xl/sharedStrings.xml" in members:
            shared = [html.unescape("".join(_T.findall(si)))
                      for si in _SI.findall(member("xl/sharedStrings.xml"))]
        out: dict[str, pl.DataFrame] = {}
        for sheet in sheets:
            target = book.get(sheet)
            if not target:
                continue
            path = target.lstrip("/") if target.startswith("/") else f"xl/{target}"
            xml = member(path)
            starts = sum(xml.count(f"<c{ch}") for ch in (" ", ">", "/", "\t", "\n", "\r"))
            chunks = xml.split('<c r="')[1:]
            if len(chunks) != starts:
                raise _BadXlsx(f"sheet {sheet}: cells not of the form publish writes")
            if not chunks:
                out[sheet] = pl.DataFrame(schema={"row": pl.Int64, "col": pl.Int64,
                                                  "kind": pl.String, "text": pl.String,
                                                  "number": pl.Float64})
                continue
            parts = pl.Series("c", chunks, dtype=pl.String).str.extract_groups(_CELL_PL)
            f = parts.struct.unnest()
            if f["letters"].null_count():
                raise _BadXlsx(f"sheet {sheet}: cells not of the form publish writes (a "
                               "formula, or an unknown cell type)")
            index = {c: _col_index(c) for c in f["letters"].unique().to_list()}
            t, v = pl.col("t"), pl.col("v")
            sidx = pl.when(t == "s").then(v.cast(pl.Int64, strict=False))
            strings = pl.LazyFrame({"sidx": range(len(shared)), "shared": shared},
                                   schema={"sidx": pl.Int64, "shared": pl.String})
            # one query per sheet (each Polars call has its cost): the cells, and whether
            # any refers to a shared string that does not exist or is a number that is not one
            f = (f.lazy().with_columns(
                pl.col("letters").replace_strict(index, return_dtype=pl.Int64).alias("col"),
                t.fill_null("n"),
                *(pl.when(pl.col(c).str.contains("&", literal=True))
                  .then(pl.col(c).map_elements(html.unescape, return_dtype=pl.String))
                  .otherwise(pl.col(c)).alias(c) for c in ("v", "is")))
                 .with_columns(pl.when(v == "").then(None).otherwise(v).alias("v"))
                 .with_columns(sidx.alias("sidx"))
                 .join(strings, on="sidx", how="left")
                 .select(
                     (pl.col("row").cast(pl.Int64) - 1).alias("row"), "col",
                     pl.when(t.is_in(["s", "str", "inlineStr"])).then(pl.lit("text"))
                     .when(t == "b").then(pl.lit("bool")).when(t == "e").then(pl.lit("error"))
                     .when(v.is_null()).then(pl.lit("empty"))
                     .otherwise(pl.lit("number")).alias("kind"),
                     pl.when(t == "s").then(pl.col("shared"))
                     .when(t == "inlineStr").then(pl.col("is"))
                     .otherwise(v).alias("text"),
                     pl.when(t == "n").then(v.cast(pl.Float64, strict=False)).alias("number"),
                     ((t == "s") & (pl.col("sidx").is_null() | (pl.col("sidx") < 0)
                                    | (pl.col("sidx") >= len(shared)))).alias("__nostring"),
                     ((t == "n") & v.is_not_null()
                      & v.cast(pl.Float64, strict=False).is_null()).alias("__nan"))
                 .collect())
            if f["__nostring"].any():
                raise _BadXlsx(f"sheet {sheet}: a shared string that does not exist")
            if f["__nan"].any():
                raise _BadXlsx(f"sheet {sheet}: a number cell that is not a number")
            out[sheet] = f.drop("__nostring", "__nan")
        return out
    except (zipfile.BadZipFile, KeyError, ValueError, IndexError, UnicodeDecodeError,
            OSError, EOFError, NotImplementedError, pl.exceptions.PolarsError) as exc:
        raise _BadXlsx(f"not a readable workbook ({show(str(exc), 80)})") from None


_EXCEL_EPOCH = dt.date(1899, 12, 30)


def _sheet_difference(frame: pl.DataFrame, cells: pl.DataFrame
                      ) -> tuple[int, str, object, object] | None:
    """(row, column, xlsx cell, csv text) of the first cell where a CSV's text frame and an
    XLSX sheet's cells differ (row in spreadsheet numbering), None when they agree."""
    from release.exports import dangerous_expr

    width = len(frame.columns)
    header = cells.filter(pl.col("row") == 0).sort("col")
    if header["text"].to_list() != frame.columns or header["col"].to_list() != list(
            range(width)):
        return (1, "(header)", header["text"].to_list()[:width], frame.columns)
    names = {c: i for i, c in enumerate(frame.columns)}
    # one Int64 key per cell (row, col): a join on one column instead of two; sorted by it
    # is sorted by row, then column (a column index is < 2**20: at most 3 letters)
    span = 1 << 20
    long = (frame.lazy().with_row_index("row", 1)
            .unpivot(index="row", variable_name="name", value_name="csv")
            .select((pl.col("row").cast(pl.Int64) * span
                     + pl.col("name").replace_strict(names, return_dtype=pl.Int64)).alias("key"),
                    "csv"))
    body = cells.lazy().filter(pl.col("row") > 0).select(
        (pl.col("row") * span + pl.col("col")).alias("key"), "kind", "text", "number")
    j = long.join(body, on="key", how="full", coalesce=True)
    csv, kind = pl.col("csv"), pl.col("kind")
    empty_csv = csv.is_null() | (csv == "")
    as_date = csv.str.to_date("%Y-%m-%d", strict=False)
    days = (as_date - pl.lit(_EXCEL_EPOCH)).dt.total_days().cast(pl.Float64)
    num = csv.cast(pl.Float64, strict=False)
    same = (
        pl.when(empty_csv).then(kind.is_null() | (kind == "empty")
                                | ((kind == "text") & (pl.col("text") == "")))
        .when(kind == "text").then((csv == pl.col("text")) | (
            (csv == pl.lit("'") + pl.col("text")) & dangerous_expr("text")))
        .when(kind == "number").then(
            pl.when(as_date.is_not_null()).then(days == pl.col("number"))
            .otherwise((num - pl.col("number")).abs()
                        <= 1e-14 * pl.max_horizontal(num.abs(), pl.col("number").abs())))
        .when(kind == "bool").then(csv.str.to_lowercase() == pl.when(pl.col("text") == "1")
                                   .then(pl.lit("true")).otherwise(pl.lit("false")))
        .otherwise(pl.lit(False)))
    bad = (j.filter(~same.fill_null(False)).sort("key").head(1)
           .with_columns((pl.col("key") // span).alias("row"), (pl.col("key") % span).alias("col"))
           .collect())
    if not bad.height:
        return None
    r = bad.row(0, named=True)
    col = frame.columns[r["col"]] if r["col"] is not None and r["col"] < width else \
        f"(column {r['col'] + 1})"
    shown = r["number"] if r["kind"] == "number" else r["text"]
    return (r["row"] + 1, col, shown, r["csv"])


def _xlsx_story(folder: Path, meta: _Meta, data: bytes, csv: Mapping[str, pl.DataFrame],
                limits: PackLimits, problems: list[str]) -> None:
    where = folder / XLSX_NAME
    try:
        sheets = read_xlsx(data, ("kpi", PACE.name, "about"), limits.max_file_bytes)
    except _BadXlsx as exc:
        problems.append(f"{where}: {exc}")
        return
    about_cells = sheets.get("about")
    about: dict[str, object] = {}
    if about_cells is not None:
        grid = {(r["row"], r["col"]): r for r in about_cells.iter_rows(named=True)}
        for (row, col), cell in grid.items():
            if col == 0 and cell["text"] is not None:
                value = grid.get((row, 1))
                about[cell["text"]] = None if value is None else (
                    value["number"] if value["kind"] == "number" else value["text"])
    for key, want in (("organisation", meta.code), ("organisation_name_ja", meta.name_ja),
                      ("organisation_name_en", meta.name_en), ("method", meta.method),
                      ("threshold", str(meta.threshold)), ("run_id", meta.run_id),
                      ("as_of_date", meta.as_of.isoformat() if meta.as_of else None)):
        got = about.get(key)
        if (want or "") != (got if isinstance(got, str) else "" if got is None else
                            f"{got:g}"):
            problems.append(f"{where}: sheet about, {key}: {show(got)} differs from "
                            f"{META_NAME}'s {show(want)} (the pack's files must tell one story)")
            return
    for name, sheet in ((KPI_FILE, "kpi"), (PACE_FILE, PACE.name)):
        frame = csv.get(name)
        cells = sheets.get(sheet)
        if frame is None:
            if cells is not None and cells.filter(pl.col("row") > 0).height:
                problems.append(f"{folder}: no {name}, but {XLSX_NAME} has a sheet {sheet} "
                                "(the pack's files must tell one story)")
            continue
        if cells is None:
            problems.append(f"{where}: no sheet {sheet} (the pack's files must tell one story)")
            continue
        diff = _sheet_difference(frame, cells)
        if diff:
            row, col, got, want = diff
            problems.append(f"{where}: sheet {sheet}, row {row}, column {col}: {show(got, 40)}, "
                            f"but {name} says {show(want, 40)} (the pack's files must tell one "
                            "story)")

# --- the entry points ------------------------------------------------------------------------

def read_pack(folder: str | Path, problems: list[str], *, keys: object | None = None,
              limits: PackLimits | None = None, today: dt.date | None = None
              ) -> Pack | None:
    """The pack in ``folder``, validated; None (and lines in ``problems``) if it is not
    usable. ``keys``: a ``release.signing.Keys`` (the central keys file; default: the one
    DTP_ROLLUP_KEYS names, if any): a pack of an organisation with registered keys must carry
    a ``publication.sig`` that verifies over its ``publication.json``."""
    folder = Path(folder)
    limits = limits or pack_limits()
    today = today or dt.date.today()
    before = len(problems)
    sizes = _listing(folder, limits, problems)
    if sizes is None:
        return None
    if META_NAME not in sizes:
        if not os.path.lexists(folder / META_NAME):
            problems.append(f"{folder}: no {META_NAME} (not a publication pack)")
        return None
    if len(problems) > before:
        return None
    try:
        raw = read_file(folder / META_NAME, limits.max_meta_bytes)
    except _Unreadable as exc:
        problems.append(f"{folder / META_NAME}: {exc}")
        return None
    meta = _parse_meta(folder, raw, limits, problems, today)
    if meta is None or len(problems) > before:
        return None
    signed_by = None
    if keys is None:  # the central keys file of the settings (DTP_ROLLUP_KEYS), if any
        keys = _default_keys(problems)
        if len(problems) > before:
            return None
    if keys is not None:
        from release.signing import verify_pack

        signed_by = verify_pack(folder, meta.code, raw, SIG_NAME in sizes, keys, limits,
                                problems)
        if len(problems) > before:
            return None
    data = _files(folder, meta, sizes, limits, problems)
    if len(problems) > before:
        return None
    kpi = _table(folder, KPI_FILE, data[KPI_FILE], kpi_columns(), meta, limits, problems)
    pace = None
    if PACE_FILE in data:
        pace = _table(folder, PACE_FILE, data[PACE_FILE], pace_columns(), meta, limits,
                      problems)
    plans = _plans(folder, data[PLANS_NAME], meta, limits, problems) \
        if PLANS_NAME in data else None
    if len(problems) > before or kpi is None:
        return None
    text = {KPI_FILE: kpi.with_columns(pl.col("fiscal_year").cast(pl.String))}
    if pace is not None:
        text[PACE_FILE] = pace.with_columns(pl.col("fiscal_year").cast(pl.String))
    kpi = _numbers(kpi, KPI_NUMBERS, f"{folder}/{KPI_FILE}", problems)
    _enum(kpi, "status", KPI_STATUSES, f"{folder}/{KPI_FILE}", problems)
    _enum(kpi, "target_kind", TARGET_KINDS, f"{folder}/{KPI_FILE}", problems)
    if pace is not None:
        where = f"{folder}/{PACE_FILE}"
        numeric = [c for c in PACE_COLUMNS if c != "pace_status"]
        pace = _numbers(pace, numeric, where, problems)
        _enum(pace, "pace_status", PACE_STATUSES, where, problems)
        _integers(pace, ("fy_day",), where, problems, 0, 365)
        _integers(pace, ("reference_years",), where, problems, 0, 100)
        bad = pace.with_row_index("__row", 2).filter(
            pl.col("as_of").str.to_date("%Y-%m-%d", strict=False).is_null()
            & pl.col("as_of").is_not_null())
        if bad.height:
            problems.append(f"{where}: column as_of: not a date (YYYY-MM-DD) ({_rows(bad)})")
    if len(problems) > before:
        return None
    _story(folder, meta, data, text, limits, problems)
    if len(problems) > before:
        return None
    return Pack(folder, meta.code, meta.name_ja, meta.name_en, meta.method, meta.threshold,
                meta.as_of, meta.run_id, kpi, pace, plans, signed_by, meta.public or {})


def _default_keys(problems: list[str]) -> object | None:
    from pipelines.settings import rollup_keys

    path = rollup_keys()
    if path is None:
        return None
    from release.signing import SigningError, load_keys

    try:
        return load_keys(path)
    except SigningError as exc:
        problems.append(f"DTP_ROLLUP_KEYS: {exc}")
        return None




def check_pack(folder: str | Path, *, keys: object | None = None,
               limits: PackLimits | None = None) -> Pack:
    """THE intake validation: the pack in ``folder``, validated; raises :class:`Rejected`
    (one line per problem, each naming the pack, the file, the field or column and the rows)
    when it is not usable."""
    problems: list[str] = []
    pack = read_pack(Path(folder), problems, keys=keys, limits=limits)
    if pack is None or problems:
        raise Rejected(problems or [f"{folder}: not a usable publication pack"])
    return pack


# --- an uploaded pack (the inbox) ------------------------------------------------------------

def unpack_zip(zip_file: str | Path, dest: str | Path, *,
               limits: PackLimits | None = None) -> Path:
    """Unpack an uploaded pack's zip into the new folder ``dest`` (which must not exist) and
    return it; raises :class:`Rejected` — nothing left behind — when the zip is not a flat
    folder of regular files within the limits: no absolute path, no ``..``, no link, no
    special file, no sub-folder (a pack is flat; one top folder is allowed and stripped), no
    member over ``max_file_bytes`` unpacked, at most ``max_files`` members and
    ``max_pack_bytes`` in all (checked from the zip's directory, then again while unpacking).
    Then :func:`check_pack` the folder."""

    limits = limits or pack_limits()
    zip_file, dest = Path(zip_file), Path(dest)
    where = str(zip_file)
    problems: list[str] = []
    try:
        size = os.lstat(zip_file).st_size
        if size > limits.max_pack_bytes:
            raise Rejected([f"{where}: {size:,} bytes, over the limit of "
                            f"{limits.max_pack_bytes:,} per pack (DTP_PACK_MAX_MB): not read"])
        raw = read_file(zip_file, limits.max_pack_bytes)
    except _Unreadable as exc:
        raise Rejected([f"{where}: {exc}"]) from None
    except OSError as exc:
        raise Rejected([f"{where}: cannot be read ({exc.strerror})"]) from None
    try:
        z = zipfile.ZipFile(io.BytesIO(raw))
        infos = z.infolist()
    except (zipfile.BadZipFile, ValueError, OSError, EOFError):
        raise Rejected([f"{where}: not a zip file"]) from None
    if len(infos) > limits.max_files + 1:
        raise Rejected([f"{where}: more than {limits.max_files} members: not unpacked"])
    names = [i.filename for i in infos]
    tops = {n.split("/", 1)[0] for n in names if "/" in n}
    prefix = f"{next(iter(tops))}/" if len(tops) == 1 and all(
        n.startswith(next(iter(tops)) + "/") for n in names) else ""
    plan: list[tuple[zipfile.ZipInfo, str]] = []
    total = 0
    for info in infos:
        name = info.filename
        label = show(name, 80)
        mode = (info.external_attr >> 16) & 0xFFFF
        if name.startswith(("/", "\\")) or PurePosixPath(name).is_absolute() or (
                len(name) > 1 and name[1] == ":"):
            problems.append(f"{where}: member {label}: an absolute path")
            continue
        if ".." in PurePosixPath(name.replace("\\", "/")).parts:
            problems.append(f"{where}: member {label}: a path with ..")
            continue
        if stat.S_ISLNK(mode):
            problems.append(f"{where}: member {label}: a symbolic link (a pack holds regular "
                            "files only)")
            continue
        if info.is_dir():
            if name != prefix:
                problems.append(f"{where}: member {label}: a sub-folder (a pack is flat)")
            continue
        if stat.S_IFMT(mode) and not stat.S_ISREG(mode):  # no type bits: a plain file
            problems.append(f"{where}: member {label}: not a regular file")
            continue
        rel = name[len(prefix):]
        if "/" in rel or "\\" in rel:
            problems.append(f"{where}: member {label}: in a sub-folder (a pack is flat)")
            continue
        if not _NAME_RE.fullmatch(rel):
            problems.append(f"{where}: member {label}: not a file name of a pack")
            continue
        if info.file_size > limits.max_file_bytes:
            problems.append(f"{where}: member {rel}: {info.file_size:,} bytes unpacked, over the "
                            f"limit of {limits.max_file_bytes:,} per file: not unpacked")
            continue
        total += info.file_size
        plan.append((info, rel))
    if total > limits.max_pack_bytes:
        problems.append(f"{where}: {total:,} bytes unpacked in all, over the limit of "
                        f"{limits.max_pack_bytes:,} per pack: not unpacked")
    if problems:
        raise Rejected(problems)
    dest.mkdir(mode=0o700)
    try:
        for info, rel in plan:
            fd = os.open(dest / rel, os.O_WRONLY | os.O_CREAT | os.O_EXCL
                         | getattr(os, "O_NOFOLLOW", 0), 0o600)
            written = 0
            with os.fdopen(fd, "wb") as out, z.open(info) as src:
                while block := src.read(1 << 20):
                    written += len(block)
                    if written > limits.max_file_bytes:
                        raise Rejected([f"{where}: member {rel}: over the limit unpacked"])
                    out.write(block)
    except (zipfile.BadZipFile, OSError, EOFError, NotImplementedError) as exc:
        shutil.rmtree(dest, ignore_errors=True)
        raise Rejected([f"{where}: cannot be unpacked ({show(str(exc), 80)})"]) from None
    except BaseException:
        shutil.rmtree(dest, ignore_errors=True)
        raise
    return dest


__all__ = ["KPI_FILE", "PACE_FILE", "REQUIRED", "Pack", "Rejected", "check_pack", "preflight",
           "kpi_columns", "name_problem", "pace_columns", "read_file", "read_pack", "read_xlsx",
           "show", "unpack_zip"]
