"""Download files made from Polars frames: CSV and Parquet, formula-injection safety, ASCII
file names. (The XLSX writer is ``release.xlsx``; disclosure control is
``release.disclosure``.)

Pure functions, no Streamlit: the data page wraps them in lazy download callables.

Formula injection (OWASP "CSV injection"): a text cell whose first character (after any
leading spaces) makes Excel or LibreOffice read it as a formula — ``=``, ``+``, ``-``, ``@``,
tab, CR, LF, their full-width and small forms, and the dashes that CP932 output or Excel's
own input conversion turn into a minus (EN DASH, MINUS SIGN) — gets a leading apostrophe in
CSV, and in XLSX is written as a string cell with Excel's quote prefix (shown without the
apostrophe, never evaluated, not even after editing). Numbers, and text that is nothing but a
plain number such as ``-5``, stay numbers. Neutralisation runs last, after any character
mapping an encoding needs (CP932 maps EN DASH to ``-``), so what is checked is what is written.
Parquet is for analysis tools, not spreadsheets, and keeps values exactly as they are.
"""

from __future__ import annotations

import datetime as dt
import io
import re
from collections.abc import Iterable
from dataclasses import dataclass

import polars as pl

CP932_REPLACEMENT = "〓"  # geta mark: the customary stand-in for a character CP932 lacks

# first characters that make Excel (or LibreOffice) read a cell as a formula
INJECTION_START = ("=+-@\t\r\n"
                   "＝＋－＠"  # full-width forms (Japanese Excel converts them on input)
                   "\ufe62\ufe63\ufe66\ufe6b"  # small forms ﹢ ﹣ ﹦ ﹫
                   "\u2013\u2212")  # EN DASH, MINUS SIGN
# leading blanks Excel skips before it looks for a formula: space, NBSP, ideographic space
_LEADING_BLANKS = " \u00a0\u3000"
INJECTION_RE = f"^[{re.escape(_LEADING_BLANKS)}]*[{re.escape(INJECTION_START)}]"
PLAIN_NUMBER_RE = r"^[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?$"
# a missing value's placeholder alone (「–」): no formula, and an apostrophe before it was noise
# in every "missing" cell (issue 29)
PLACEHOLDER_RE = "^[\u2013\\-\u2212\uff0d]$"
_INJECTION = re.compile(INJECTION_RE)
_PLACEHOLDER = re.compile(PLACEHOLDER_RE)
_NUMBER = re.compile(PLAIN_NUMBER_RE)

# Characters outside CP932 that have an obvious CP932 look-alike (Unicode vs Microsoft
# mappings of the same JIS code points, and a few common dashes).
_CP932_LOOKALIKE = str.maketrans({
    "\u301c": "\uff5e",  # 〜 WAVE DASH → ～
    "\u2016": "\u2225",  # ‖ → ∥
    "\u2212": "\uff0d",  # − MINUS SIGN → －
    "\u00a2": "\uffe0",  # ¢ → ￠
    "\u00a3": "\uffe1",  # £ → ￡
    "\u00ac": "\uffe2",  # ¬ → ￢
    "\u2014": "\u2015",  # — EM DASH → ―
    "\u2013": "-",       # – EN DASH
    "\u00a0": " ",       # no-break space
})


# --- formula injection ------------------------------------------------------------------------

def is_dangerous(value: object) -> bool:
    """True when ``value`` is text that Excel would read as a formula."""
    return (isinstance(value, str) and _INJECTION.match(value) is not None
            and not _NUMBER.match(value) and not _PLACEHOLDER.match(value))


def dangerous_expr(name: str) -> pl.Expr:
    col = pl.col(name)
    return (col.str.contains(INJECTION_RE) & ~col.str.contains(PLAIN_NUMBER_RE)
            & ~col.str.contains(PLACEHOLDER_RE))


def neutralise(frame: pl.DataFrame) -> pl.DataFrame:
    """Prefix an apostrophe to every text cell that Excel would read as a formula."""
    text = [n for n, t in frame.schema.items() if t == pl.String]
    if not text:
        return frame
    return frame.with_columns(
        pl.when(dangerous_expr(n)).then(pl.lit("'") + pl.col(n)).otherwise(pl.col(n)).alias(n)
        for n in text
    )


# --- CSV ----------------------------------------------------------------------------------------

@dataclass(frozen=True)
class CsvFile:
    data: bytes
    encoding: str
    replaced: tuple[str, ...] = ()  # characters the encoding could not hold (CP932 only)


def _csv_text(frame: pl.DataFrame) -> str:
    return neutralise(frame).write_csv(line_terminator="\r\n", null_value="",
                                       datetime_format="%Y-%m-%d %H:%M:%S")


def to_csv(frame: pl.DataFrame, encoding: str = "utf-8-sig") -> CsvFile:
    """CSV for Excel: UTF-8 with BOM (default) or CP932, CRLF, formula-safe.

    CP932 cannot hold every character: look-alikes are mapped (〜 → ～, − → －, …) and anything
    else becomes ``〓``; the characters concerned are listed in ``replaced``. The mapping is
    applied to the values before formula neutralisation. Never raises for an unencodable
    character.
    """
    if encoding in ("utf-8-sig", "utf-8", "utf8"):
        return CsvFile(b"\xef\xbb\xbf" + _csv_text(frame).encode("utf-8"), "utf-8-sig")
    if encoding.lower().replace("_", "").replace("-", "") in ("cp932", "windows31j", "mskanji",
                                                              "shiftjis", "sjis"):
        text = _csv_text(frame)
        try:
            return CsvFile(text.encode("cp932"), "cp932")
        except UnicodeEncodeError:
            pass
        bad = sorted(ch for ch in set(text) if not _cp932_ok(ch))
        mapped = _cp932_map(frame, {ch: _cp932_substitute(ch) for ch in bad})
        return CsvFile(_csv_text(mapped).encode("cp932"), "cp932", tuple(bad))
    raise ValueError(f"unsupported CSV encoding: {encoding}")


def _cp932_map(frame: pl.DataFrame, mapping: dict[str, str]) -> pl.DataFrame:
    """``frame`` with the characters in ``mapping`` replaced in its text cells and names."""
    table = str.maketrans(mapping)
    text = [n for n, t in frame.schema.items() if t == pl.String]
    out = frame.with_columns(
        pl.col(n).str.replace_many(list(mapping), list(mapping.values())) for n in text)
    # anything that is not text (dates, numbers) is written in ASCII; only names remain
    return out.rename({n: n.translate(table) for n in out.columns})


def _cp932_ok(ch: str) -> bool:
    try:
        ch.encode("cp932")
    except UnicodeEncodeError:
        return False
    return True


def _cp932_substitute(ch: str) -> str:
    alt = ch.translate(_CP932_LOOKALIKE)
    return alt if alt != ch and _cp932_ok(alt) else CP932_REPLACEMENT


# --- Parquet ------------------------------------------------------------------------------------

def to_parquet(frame: pl.DataFrame) -> bytes:
    """Parquet (zstd), values exactly as in the frame."""
    buf = io.BytesIO()
    frame.write_parquet(buf, compression="zstd", statistics=True)
    return buf.getvalue()


# --- file names ---------------------------------------------------------------------------------

def _ascii(text: str, keep: str = "") -> str:
    text = re.sub(r"[^A-Za-z0-9.+" + re.escape(keep) + "-]+", "-", text)
    return re.sub(r"-{2,}", "-", text).strip("-.")


def file_name(dataset: str, parts: Iterable[str], as_of: dt.date | None, ext: str,
              suppressed: bool = False, max_len: int = 120) -> str:
    """``dtp_<dataset>_<filter summary>_asof<YYYY-MM-DD>[_suppressed].<ext>``, ASCII only.

    ``parts`` are short filter summaries such as ``FY2022-2024`` or ``B1+B2``; anything
    outside ``[A-Za-z0-9.+-]`` becomes ``-`` so the name is safe on every file system.
    """
    summary = "_".join(p for p in (_ascii(x) for x in parts) if p)
    tail = "_asof" + (as_of.isoformat() if as_of else "unknown")
    tail += "_suppressed" if suppressed else ""
    head = "dtp_" + (_ascii(dataset, keep="_") or "data")
    room = max_len - len(head) - len(tail) - len(ext) - 2
    if summary and room > 4:
        if len(summary) > room:
            summary = summary[: room - 1].rstrip("_-") + "~"
        head += "_" + summary
    return f"{head}{tail}.{_ascii(ext) or 'bin'}"

