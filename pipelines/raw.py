"""Read the contract's CSV files into typed Polars frames.

Accepts UTF-8, UTF-8 with BOM and CP932; LF or CRLF; columns in any order. Problems with the
file as a whole (missing, empty, undecodable, wrong header) raise :class:`InputError` naming the
file. Cell-level problems (a date that is not a date, …) do not raise here: each typed column
gets a companion flag ``__type_ok__<col>`` that the Great Expectations suites check, so every
problem is reported the same way, with row numbers.
"""

from __future__ import annotations

import codecs
import hashlib
import re
from dataclasses import dataclass
from pathlib import Path

import polars as pl

from pipelines.schema import TABLES, RawTable

TYPE_FLAG = "__type_ok__"
ROW = "__row"  # row number as a spreadsheet shows it (the header is row 1)
_TYPED = "__typed__"

# code columns (a few distinct values each): Categorical, 4 bytes a cell instead of a 16-byte
# string view (-300 MB at 300,000 staff); DuckDB reads them as VARCHAR
_CODES = {"bureau_code", "unit_code", "course_code", "exam_code", "drill_id"}

_BOOL_TRUE = ("true", "1")
_BOOL_FALSE = ("false", "0")


class InputError(Exception):
    """A user error in the input: reported as a message, never as a stack trace."""

    def __init__(self, messages: list[str] | str, results: list | None = None):
        self.messages = [messages] if isinstance(messages, str) else list(messages)
        # the failed rules (expectations.suites.RuleResult) when validation raised it: the
        # delivery report's table (file, column, rule, rows); reading errors have messages only
        self.results = list(results or [])
        super().__init__("\n".join(self.messages))


@dataclass
class RawFile:
    table: RawTable
    path: Path
    sha256: str
    encoding: str
    frame: pl.DataFrame  # typed columns + type flags + __row
    # the cells as written: not kept (it would double the memory of every typed column); read
    # again from the file, only when a failed rule quotes a value
    text: pl.DataFrame | None = None

    def raw_values(self, column: str, rows: list[int]) -> list[str | None]:
        if self.text is None:
            self.text = _read_text(self.table, self.path)[2]
        picked = self.text.filter(pl.col(ROW).is_in(rows)).sort(ROW)
        return [None if v is None else str(v) for v in picked[column].to_list()]

    @property
    def rows(self) -> int:
        return self.frame.height


# Single bytes 0x80, 0xA0, 0xFD-0xFF: Python's cp932 codec maps them to U+0080 and private-use
# characters, but they never occur in text saved by Japanese Excel: such a file is not CP932.
_CP932_STRAY = re.compile("[\x80\uf8f0-\uf8f3]")


def _is_utf8(data: bytes, step: int = 1 << 24) -> bool:
    """Is ``data`` valid UTF-8? Checked 16 MB at a time: decoding a whole file at once would
    hold a second copy of it (as a str) only to throw it away."""
    dec = codecs.getincrementaldecoder("utf-8")()
    view = memoryview(data)
    try:
        for i in range(0, len(data), step):
            dec.decode(view[i:i + step])
        dec.decode(b"", final=True)
    except UnicodeDecodeError:
        return False
    return True


def _decode(path: Path, data: bytes) -> tuple[bytes, str]:
    """Return UTF-8 bytes without BOM and the encoding found."""
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        raise InputError(f"{path.name}: cannot decode the file: it is UTF-16 (Excel's \"Unicode "
                         f"text\"); save it as CSV in UTF-8 or CP932 (Shift_JIS)")
    if data.startswith(b"\xef\xbb\xbf"):
        data, enc = data[3:], "utf-8-sig"
    else:
        enc = "utf-8"
    if _is_utf8(data):
        return data, enc
    try:
        data.decode("utf-8")
    except UnicodeDecodeError as exc:
        utf8_error = exc
    try:
        text = data.decode("cp932")
    except UnicodeDecodeError as exc:
        bad_at = exc.start
    else:
        stray = _CP932_STRAY.search(text)
        if stray is None:
            return text.encode("utf-8"), "cp932"
        bad_at = len(text[: stray.start()].encode("cp932"))
    # Which line to name: if non-ASCII text before the first UTF-8 error decoded fine, the file
    # is meant to be UTF-8 and the UTF-8 error is the bad spot; otherwise the CP932 one is.
    if not data[: utf8_error.start].isascii():
        bad_at = utf8_error.start
    line = data[:bad_at].count(b"\n") + 1
    shown = data[bad_at:bad_at + 4].hex(" ")
    raise InputError(
        f"{path.name}: cannot decode the file (neither UTF-8 nor CP932): bad bytes on line "
        f"{line} ({shown})"
    )


def _header(path: Path, data: bytes, start: int = 0) -> list[str]:
    """The header cells, from ``data[start:]`` (no copy of the rest of the file)."""
    end = data.find(b"\n", start)
    first = data[start:end if end >= 0 else len(data)].rstrip(b"\r").decode("utf-8")
    return [h.strip().strip('"') for h in first.split(",")]


# an empty file: nothing but what bytes.isspace() counts as space (matched in place: strip()
# or a slice would copy the whole file)
_BLANK = re.compile(rb"[ \t\n\r\x0b\x0c]*")


def _parse_error(path: Path, data: bytes, width: int, exc: Exception) -> str:
    """Name the first row with more cells than the header, if that is the problem."""
    import csv
    import io

    reader = csv.reader(io.StringIO(data.decode("utf-8"), newline=""))
    for row_no, cells in enumerate(reader, start=1):
        if len(cells) > width:
            return (f"{path.name}: row {row_no} has {len(cells)} cells but the header has "
                    f"{width} columns (a stray comma, or an unquoted comma inside a value?)")
    return f"{path.name}: cannot parse the CSV: {str(exc).splitlines()[0]}"


def check_header(table: RawTable, path: Path, header: list[str]) -> None:
    expected = table.column_names
    problems = []
    missing = [c.name for c in table.columns if c.name not in header and not c.omittable]
    extra = [c for c in header if c not in expected]
    dupes = sorted({c for c in header if header.count(c) > 1})
    if missing:
        problems.append(f"{path.name}: missing column(s): {', '.join(missing)}")
    if extra:
        shown = ", ".join(repr(c) for c in extra)
        problems.append(
            f"{path.name}: unexpected column(s): {shown} (expected exactly: {', '.join(expected)})"
        )
    if dupes:
        problems.append(f"{path.name}: duplicated column(s): {', '.join(dupes)}")
    if problems:
        raise InputError(problems)


def _typed(col: pl.Expr, dtype: str) -> pl.Expr:
    if dtype == "int":
        return col.cast(pl.Int64, strict=False)
    if dtype == "float":
        num = col.cast(pl.Float64, strict=False)
        return pl.when(num.is_finite()).then(num)  # "nan" and "inf" are not numbers here
    if dtype == "date":
        # YYYY-MM-DD only: strptime alone also takes 2021-4-1 (and is not slower with this)
        return pl.when(col.str.len_bytes() == 10).then(
            col.str.strptime(pl.Date, "%Y-%m-%d", strict=False))
    if dtype == "bool":
        low = col.str.to_lowercase()
        return (
            pl.when(low.is_in(_BOOL_TRUE))
            .then(True)
            .when(low.is_in(_BOOL_FALSE))
            .then(False)
            .otherwise(None)
        )
    return col


_BOM = b"\xef\xbb\xbf"


def _parse(data: bytes) -> pl.DataFrame:
    """Every cell as written (text), a UTF-8 BOM skipped, empty cells null."""
    return pl.read_csv(data, infer_schema=False, has_header=True, empty_string_is_null=True)


def _read_utf8(table: RawTable, path: Path, raw: bytes) -> pl.DataFrame | None:
    """The file parsed as UTF-8 if it is a well-formed UTF-8 file with the contract's header;
    None for anything the full path must look at (and word the message for)."""
    start = 3 if raw.startswith(_BOM) else 0
    if _BLANK.fullmatch(raw, start):
        return None
    try:
        header = _header(path, raw, start)
        check_header(table, path, header)
        return _parse(raw)
    except (UnicodeDecodeError, InputError, pl.exceptions.PolarsError):
        return None


def _read_text(table: RawTable, path: Path) -> tuple[str, str, pl.DataFrame]:
    """(sha256, encoding, the cells as written with their spreadsheet row numbers)."""
    if not path.is_file():
        raise InputError(f"{path.name}: file not found in {path.parent}")
    raw_bytes = path.read_bytes()
    sha = hashlib.sha256(raw_bytes).hexdigest()
    # Fast path for UTF-8 (with or without BOM), the usual case: Polars checks that every byte
    # is UTF-8 while it parses and skips the BOM itself, so the file is neither decoded in
    # Python first nor copied (-0.4 CPU s at 300,000 staff). Anything else - CP932, UTF-16, a
    # broken or empty file - takes the full path below, with its messages.
    df = _read_utf8(table, path, raw_bytes)
    if df is not None:
        enc = "utf-8-sig" if raw_bytes.startswith(_BOM) else "utf-8"
    else:
        data, enc = _decode(path, raw_bytes)
        del raw_bytes
        if _BLANK.fullmatch(data):
            raise InputError(f"{path.name}: the file is empty (expected a header row: "
                             f"{', '.join(table.column_names)})")
        header = _header(path, data)
        check_header(table, path, header)
        try:
            df = _parse(data)
        except pl.exceptions.PolarsError as exc:
            raise InputError(_parse_error(path, data, len(header), exc)) from None
        del data
    df = df.rename({c: c.strip() for c in df.columns})
    # a column the header may leave out (plan_targets.plan_id): present, every cell empty
    df = df.with_columns(pl.lit(None, pl.String).alias(c) for c in table.column_names
                         if c not in df.columns)
    # a quoted empty cell ("") is still an empty string: make it null, but rewrite (copy) only
    # the columns that have one
    quoted_empty = df.select(
        (pl.col(c) == "").any().alias(c) for c in table.column_names).row(0, named=True)
    text = df.select(
        pl.int_range(2, pl.len() + 2, dtype=pl.Int64).alias(ROW),
        *[pl.when(pl.col(c) == "").then(None).otherwise(pl.col(c)).alias(c)
          if quoted_empty[c] else pl.col(c) for c in table.column_names],
    )
    del df
    # a blank line (or a row of empty cells, as Excel leaves after deleted rows) holds no data:
    # drop it, keeping the other rows' spreadsheet numbers
    blank = text.select(pl.all_horizontal(pl.exclude(ROW).is_null())).to_series()
    if blank.any():  # (no copy of a large frame when there is nothing to drop)
        text = text.filter(~blank)
    return sha, enc, text


def read_table(table: RawTable, path: Path) -> RawFile:
    sha, enc, text = _read_text(table, path)
    # each typed column is converted once (a second select derives its flag from the result)
    typed = text.with_columns(_typed(pl.col(c.name), c.dtype).alias(_TYPED + c.name)
                              for c in table.columns if c.dtype != "str")
    exprs: list[pl.Expr] = [pl.col(ROW)]
    for c in table.columns:
        col = pl.col(c.name)
        if c.dtype == "str":
            exprs.append(col.cast(pl.Categorical) if c.enum or c.name in _CODES else col)
        else:
            exprs.append(pl.col(_TYPED + c.name).alias(c.name))
            exprs.append((col.is_null() | pl.col(_TYPED + c.name).is_not_null())
                         .alias(TYPE_FLAG + c.name))
    # one chunk per column: Arrow export (to DuckDB) and pandas conversion (for GX) are then
    # zero-copy; with the reader's many chunks beside single-chunk categoricals, every export
    # re-chunked the whole frame (+470 MB at 300,000 staff)
    return RawFile(table, path, sha, enc, typed.select(exprs).rechunk())


def read_all(raw_dir: Path) -> dict[str, RawFile]:
    """Read every contract file; collect file-level problems of all files before raising."""
    if not raw_dir.is_dir():
        raise InputError(f"{raw_dir}: the raw-data folder does not exist")
    files: dict[str, RawFile] = {}
    problems: list[str] = []
    for table in TABLES:
        path = raw_dir / table.file
        if table.optional and not path.exists():
            continue
        try:
            files[table.name] = read_table(table, path)
        except InputError as exc:
            problems.extend(exc.messages)
    if problems:
        raise InputError(problems)
    return files


def clean(frame: pl.DataFrame) -> pl.DataFrame:
    """The typed columns only (drop the row number and type flags)."""
    return frame.select([c for c in frame.columns if not c.startswith("__")])
