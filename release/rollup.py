"""The government-wide roll-up: organisations' publication packs side by side, from the packs
alone (``python -m pipelines rollup --out FILE PACK_DIR...``).

No row-level data and no unprotected figure ever reaches it: each organisation runs the
product at home and sends its protected pack (``python -m pipelines publish --organisation
CODE``). The roll-up validates every pack like raw input and rejects the whole run with one
line per problem (the previous roll-up file stays as it was):

* ``publication.json``: method, parameters (rounding, perturbation), threshold, as-of date,
  organisation; every file it lists must have the sha256 it records (a file changed after
  publishing is *tampered*), ``kpi.csv`` must be listed;
* ``kpi.csv`` (and ``kpi_pace.csv`` where the pack has it): the publication form's columns,
  every row of the pack's own organisation, metric codes, numbers or ``[c]``, statuses,
  one row per metric, FY and bureau;
* across packs: one pack per organisation, one threshold and one method.

The file (DuckDB, written beside ``--out`` and swapped in like the build's warehouse):

* ``rollup_kpi``: each organisation's kpi rows as published, a withheld cell NULL, and
  ``flag`` — SDMX confidentiality status: ``F`` free; ``C`` withheld by the sender (the pack's
  ``[c]``, primary or secondary: the pack deliberately does not say which, see
  docs/ROLLUP.md); ``S`` withheld by the receiver (this roll-up). With each organisation's own
  target, status and plan. Government-wide rows, ``organisation = 'ALL'`` (ministry rows
  only: bureaus are each organisation's own): a count is the sum, a rate Σ numerator ÷ Σ
  denominator, **only where every part is free**; otherwise NULL, flag ``S``, and
  ``value_low`` / ``value_high`` the bounds that the free parts alone imply (counts: the sum of
  the free parts, no upper bound; rates with every denominator free: each withheld
  numerator between 0 and its denominator). Everything in the file follows from free cells,
  so no difference of its figures (``ALL`` − the other organisations included) says anything
  about a withheld one;
* ``rollup_kpi_pace``: each organisation's pace of the year in progress, where its pack has
  ``kpi_pace.csv`` (withheld: NULL, flag ``C``); no government-wide pace;
* ``rollup_organisations``, ``rollup_bureaus``, ``rollup_meta``.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import io
import json
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import duckdb
import polars as pl

from pipelines.schema import METRIC_CODES, TARGET_KINDS
from release.catalogue import KPI, PACE, PACE_COLUMNS
from release.disclosure import METHOD, SUPPRESSED, check_threshold
from release.organisation import ALL, OrganisationError, check_code
from release.publication import META_NAME, ORG_COLUMN, PLAN_COLUMNS, PLANS_NAME, PUBLIC_NAME

KPI_FILE = "kpi.csv"
PACE_FILE = "kpi_pace.csv"
NAMES = ("bureau_name_ja", "bureau_name_en")
KPI_NUMBERS = ("value", "numerator", "denominator", "target_min", "target_max")
KPI_STATUSES = ("met", "below", "above", "in_progress", "no_target", "no_data")
PACE_STATUSES = ("on_track", "at_risk", "no_target", "no_data")
FREE, SENDER, RECEIVER = "F", "C", "S"  # SDMX CL_CONF_STATUS
TABLES = ("rollup_kpi", "rollup_kpi_pace", "rollup_organisations", "rollup_bureaus",
          "rollup_meta")
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


@dataclass
class Result:
    out: Path
    organisations: list[str]
    threshold: int
    rows: dict[str, int] = field(default_factory=dict)
    seconds: float = 0.0


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
    bad = rows.filter((pl.col(ORG_COLUMN) != code).fill_null(True)
                      | pl.col("plan_id").is_null()
                      | pl.col("fy_from").cast(pl.Int32, strict=False).is_null()
                      | pl.col("fy_to").cast(pl.Int32, strict=False).is_null()
                      | pl.col("adopted_on").str.to_date(strict=False).is_null())
    if bad.height:
        problems.append(f"{where}: rows of another organisation, without a plan_id, or with a "
                        f"period or adoption date that is not one "
                        f"(rows {', '.join(str(r) for r in bad['__row'].head(5))})")
        return None
    return frame.with_columns(pl.col("fy_from", "fy_to").cast(pl.Int32),
                              pl.col("adopted_on").str.to_date())


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


# --- combining ------------------------------------------------------------------------------

def check_together(packs: Sequence[Pack], problems: list[str]) -> None:
    """One pack per organisation, one threshold, one method."""
    seen: dict[str, Path] = {}
    for p in packs:
        if p.code in seen:
            problems.append(f"{p.folder}: organisation {p.code} is also {seen[p.code]} "
                            "(one pack per organisation)")
        seen.setdefault(p.code, p.folder)
    for what, get in (("thresholds", lambda p: p.threshold), ("methods", lambda p: p.method)):
        values = {get(p) for p in packs}
        if len(values) > 1:
            listing = ", ".join(f"{p.code} {get(p)}" for p in packs)
            problems.append(f"packs made with different suppression {what} cannot be combined "
                            f"({listing}): publish them again with one")


def _withheld(columns: Sequence[str]) -> pl.Expr:
    return pl.any_horizontal((pl.col(f"__raw_{c}") == SUPPRESSED).fill_null(False)
                             for c in columns)


def organisation_rows(packs: Sequence[Pack]) -> pl.DataFrame:
    """Every organisation's kpi rows: withheld cells NULL, flag F or C."""
    frames = [p.kpi.with_columns(
        pl.when(pl.col("status") == SUPPRESSED).then(None).otherwise(pl.col("status"))
        .alias("status"),
        pl.when(_withheld(("value", "numerator", "denominator"))).then(pl.lit(SENDER))
        .otherwise(pl.lit(FREE)).alias("flag"),
        pl.lit(None, pl.Float64).alias("value_low"),
        pl.lit(None, pl.Float64).alias("value_high")) for p in packs]
    return pl.concat(frames, how="vertical_relaxed")


def government_wide(rows: pl.DataFrame, organisations: int) -> pl.DataFrame:
    """``organisation = 'ALL'``: per metric and FY over the organisations' ministry rows, a
    figure only where every part is free (and every organisation has the row); otherwise
    NULL, flag S, and the bounds the free parts imply."""
    m = rows.filter(pl.col("bureau_code").is_null())
    free = pl.col("flag") == FREE
    g = m.group_by("metric", "fiscal_year").agg(
        pl.len().alias("parts"),
        free.all().alias("all_free"),
        pl.col("value").sum().alias("sum_value"),
        pl.col("numerator").sum().alias("sum_num"),
        pl.col("denominator").sum().alias("sum_den"),
        pl.col("numerator").is_not_null().all().alias("num_free"),
        pl.col("denominator").is_not_null().all().alias("den_free"),
        pl.col("denominator").null_count().alias("den_missing"),
        # rates: withheld numerators lie between 0 and their (free) denominators
        pl.when(pl.col("numerator").is_null()).then(pl.col("denominator")).otherwise(0.0)
        .sum().alias("slack"),
        pl.col("value").filter(free).sum().alias("free_value"),
    )
    complete = pl.col("all_free") & (pl.col("parts") == organisations)
    rate_value = pl.when(pl.col("sum_den") > 0).then(pl.col("sum_num") / pl.col("sum_den"))
    bounds_ok = ~complete & pl.col("den_free") & (pl.col("parts") == organisations)
    rate = pl.col("metric").str.ends_with("_rate")
    return g.select(
        pl.lit(ALL).alias(ORG_COLUMN), "metric", "fiscal_year",
        pl.lit(None, pl.String).alias("bureau_code"),
        pl.when(complete).then(pl.when(rate).then(rate_value).otherwise(pl.col("sum_value")))
        .alias("value"),
        pl.when(pl.col("num_free") & (pl.col("parts") == organisations))
        .then(pl.col("sum_num")).alias("numerator"),
        pl.when(pl.col("den_free") & (pl.col("parts") == organisations) & rate)
        .then(pl.col("sum_den")).alias("denominator"),
        pl.when(complete).then(pl.lit(FREE)).otherwise(pl.lit(RECEIVER)).alias("flag"),
        pl.when(complete).then(None)
        .when(~rate & (pl.col("parts") == organisations)).then(pl.col("free_value"))
        .when(rate & bounds_ok & (pl.col("sum_den") > 0))
        .then(pl.col("sum_num").fill_null(0) / pl.col("sum_den"))
        .alias("value_low"),
        pl.when(complete).then(None)
        .when(rate & bounds_ok & (pl.col("sum_den") > 0))
        .then((pl.col("sum_num").fill_null(0) + pl.col("slack")) / pl.col("sum_den"))
        .alias("value_high"),
    )


def combine(packs: Sequence[Pack]) -> dict[str, pl.DataFrame]:
    """The roll-up's tables from validated packs."""
    rows = organisation_rows(packs)
    order = [ORG_COLUMN, "metric", "fiscal_year", "bureau_code", "value", "numerator",
             "denominator", "flag", "value_low", "value_high", "target_kind", "target_min",
             "target_max", "status", "plan_id"]
    kpi = pl.concat([rows.select(order), government_wide(rows, len(packs))],
                    how="diagonal_relaxed").select(order).sort(
        pl.col(ORG_COLUMN) == ALL, ORG_COLUMN, "metric", "fiscal_year", "bureau_code",
        nulls_last=False)
    out = {"rollup_kpi": kpi}
    paces = [p.pace.with_columns(
        pl.when(pl.col("pace_status") == SUPPRESSED).then(None)
        .otherwise(pl.col("pace_status")).alias("pace_status"),
        pl.col("as_of").str.to_date(strict=False),
        pl.col("fy_day", "reference_years").cast(pl.Int32, strict=False),
        pl.when(_withheld([c for c in PACE_COLUMNS if c != "pace_status"])
                | (pl.col("pace_status") == SUPPRESSED).fill_null(False))
        .then(pl.lit(SENDER)).otherwise(pl.lit(FREE)).alias("flag"))
        for p in packs if p.pace is not None]
    if paces:
        pace = pl.concat(paces, how="diagonal_relaxed")
        out["rollup_kpi_pace"] = pace.drop(
            [c for c in pace.columns if c.startswith("__raw_")] + list(NAMES))
    plans = [p.plans for p in packs if p.plans is not None]
    if plans:  # each organisation's plan titles and periods: rollup_kpi.plan_id names them
        out["rollup_plans"] = pl.concat(plans, how="vertical_relaxed").sort(
            ORG_COLUMN, "adopted_on")
    out["rollup_organisations"] = pl.DataFrame(
        [{ORG_COLUMN: p.code, "name_ja": p.name_ja, "name_en": p.name_en,
          "as_of_date": p.as_of_date, "run_id": p.run_id, "threshold": p.threshold,
          "method": p.method, "pack": str(p.folder), "kpi_rows": p.kpi.height,
          "pace_rows": p.pace.height if p.pace is not None else 0} for p in packs],
        schema={ORG_COLUMN: pl.String, "name_ja": pl.String, "name_en": pl.String,
                "as_of_date": pl.Date, "run_id": pl.String, "threshold": pl.Int64,
                "method": pl.String, "pack": pl.String, "kpi_rows": pl.Int64,
                "pace_rows": pl.Int64})
    out["rollup_bureaus"] = pl.concat(
        [p.kpi.filter(pl.col("bureau_code").is_not_null())
         .select(ORG_COLUMN, "bureau_code", pl.col("bureau_name_ja").alias("name_ja"),
                 pl.col("bureau_name_en").alias("name_en")).unique(maintain_order=True)
         for p in packs], how="vertical_relaxed").sort(ORG_COLUMN, "bureau_code")
    return out


# --- writing --------------------------------------------------------------------------------

def build_rollup(folders: Sequence[Path], out: Path, wait: float = 0.0,
                 clock: Callable[[], float] | None = None) -> Result:
    """Validate every pack, combine them and swap the roll-up file into place; raises
    :class:`Rejected` (nothing written) when any pack or their combination is invalid."""
    import time

    from pipelines.warehouse import _remove, _swap, _tmp_paths, build_lock

    started = time.perf_counter()
    problems: list[str] = []
    packs = [p for f in folders if (p := read_pack(Path(f), problems)) is not None]
    if not problems:
        check_together(packs, problems)
    if problems:
        raise Rejected(problems)
    tables = combine(packs)
    out = Path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    with build_lock(out, wait):
        tmp, leftovers = _tmp_paths(out)
        try:
            con = duckdb.connect(str(tmp))
            try:
                for name, frame in tables.items():
                    con.register("frame", frame)
                    con.execute(f'CREATE TABLE "{name}" AS SELECT * FROM frame')
                    con.unregister("frame")
                con.execute(
                    "CREATE TABLE rollup_meta AS SELECT ?::TIMESTAMPTZ AS built_at, "
                    "?::INTEGER AS threshold, ? AS method, ?::INTEGER AS organisations",
                    [dt.datetime.now(dt.UTC), packs[0].threshold, packs[0].method,
                     len(packs)])
                con.execute("CHECKPOINT")
            finally:
                con.close()
            _swap(tmp, out)
        finally:
            for p in leftovers:
                _remove(p)
    rows = {name: frame.height for name, frame in tables.items()}
    return Result(out, [p.code for p in packs], packs[0].threshold, rows,
                  time.perf_counter() - started)


__all__ = ["ALL", "FREE", "RECEIVER", "SENDER", "Pack", "Rejected", "Result", "build_rollup",
           "check_together", "combine", "government_wide", "kpi_columns", "pace_columns",
           "read_pack"]
