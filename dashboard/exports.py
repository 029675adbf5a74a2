"""Download files made from Polars frames: CSV, XLSX, Parquet; formula-injection safety;
ASCII file names; and disclosure control (small-cell suppression) for tables that leave the
ministry.

Pure functions, no Streamlit: the data page wraps them in lazy download callables.

Formula injection (OWASP "CSV injection"): a text cell that starts with ``=``, ``+``, ``-``,
``@``, tab or carriage return — or their full-width forms, which Japanese Excel also treats as
a formula — gets a leading apostrophe in CSV, and in XLSX is written as a string cell with
Excel's quote prefix (shown without the apostrophe, never evaluated, not even after editing).
Numbers, and text that is nothing but a plain number such as ``-5``, stay numbers.
Parquet is for analysis tools, not spreadsheets, and keeps values exactly as they are.
"""

from __future__ import annotations

import datetime as dt
import functools
import io
import math
import re
import zipfile
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

import polars as pl

from dashboard import i18n

SUPPRESSED = "[c]"  # the marker UK Civil Service Statistics use for a suppressed cell
CP932_REPLACEMENT = "〓"  # geta mark: the customary stand-in for a character CP932 lacks

# first characters that make Excel (or LibreOffice) read a cell as a formula
INJECTION_START = "=+-@\t\r＝＋－＠"
_INJECTION_RE = "^[" + re.escape(INJECTION_START) + "]"
_PLAIN_NUMBER_RE = r"^[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?$"
_NUMBER = re.compile(_PLAIN_NUMBER_RE)

XLSX_MAX_ROWS = 1_048_576  # Excel's limit per sheet, header included

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
    return (isinstance(value, str) and value != "" and value[0] in INJECTION_START
            and not _NUMBER.match(value))


def _dangerous_expr(name: str) -> pl.Expr:
    col = pl.col(name)
    return col.str.contains(_INJECTION_RE) & ~col.str.contains(_PLAIN_NUMBER_RE)


def neutralise(frame: pl.DataFrame) -> pl.DataFrame:
    """Prefix an apostrophe to every text cell that Excel would read as a formula."""
    text = [n for n, t in frame.schema.items() if t == pl.String]
    if not text:
        return frame
    return frame.with_columns(
        pl.when(_dangerous_expr(n)).then(pl.lit("'") + pl.col(n)).otherwise(pl.col(n)).alias(n)
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
    else becomes ``〓``; the characters concerned are listed in ``replaced``. Never raises for
    an unencodable character.
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
        mapping = {ord(ch): _cp932_substitute(ch) for ch in bad}
        return CsvFile(text.translate(mapping).encode("cp932"), "cp932", tuple(bad))
    raise ValueError(f"unsupported CSV encoding: {encoding}")


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


# --- XLSX ---------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Suppression:
    """What disclosure control did, for the about sheet and the file name."""

    threshold: int
    columns: tuple[str, ...]  # columns that may hold the marker (written as numbers elsewhere)
    cells: int = 0  # cells suppressed (primary and secondary)
    dropped_totals: int = 0


@dataclass(frozen=True)
class ExportMeta:
    """Everything the XLSX 'about' sheet states about a download."""

    dataset: str
    title: str
    definition: str
    filters: tuple[tuple[str, str], ...] = ()  # (filter, value as shown), every filter applied
    as_of: dt.date | None = None
    run_id: str | None = None
    data_origin: str | None = None
    generated_at: dt.datetime = field(default_factory=lambda: dt.datetime.now().astimezone())
    suppression: Suppression | None = None
    columns: tuple[tuple[str, str, str], ...] = ()  # (name, type, meaning)
    lang: str = "ja"


def _sheet_names(n: int) -> list[str]:
    return ["data"] + [f"data_{i}" for i in range(2, n + 1)]


def to_xlsx(frame: pl.DataFrame, meta: ExportMeta) -> bytes:
    """XLSX: the rows on a 'data' sheet (continued on data_2, … past Excel's 1,048,576-row
    limit), then an 'about' sheet naming the dataset, its definition, every filter, the as-of
    date, the run, the time the file was made and whether disclosure control was applied.

    The workbook, its styles and the about sheet are made by xlsxwriter. Writing 3 million
    cells one call at a time through xlsxwriter takes ~20 s, so the data rows are rendered
    as SpreadsheetML in bulk by Polars string expressions and spliced into xlsxwriter's
    (header-only) data sheets: ~1 s for 300,000 rows × 10 columns.
    """
    import xlsxwriter

    buf = io.BytesIO()
    wb = xlsxwriter.Workbook(buf, {
        "strings_to_formulas": False, "strings_to_urls": False, "strings_to_numbers": False,
        "nan_inf_to_errors": True,
    })
    bold = wb.add_format({"bold": True})
    wrap = wb.add_format({"text_wrap": True, "valign": "top"})
    top = wb.add_format({"valign": "top", "bold": True})
    styles = {
        "quoted": wb.add_format({"quote_prefix": True}),
        "date": wb.add_format({"num_format": "yyyy-mm-dd"}),
        "datetime": wb.add_format({"num_format": "yyyy-mm-dd hh:mm:ss"}),
    }

    per_sheet = XLSX_MAX_ROWS - 1
    names = _sheet_names(max(1, math.ceil(frame.height / per_sheet)))
    for name in names:
        ws = wb.add_worksheet(name)
        ws.write_row(0, 0, frame.columns, bold)
        ws.freeze_panes(1, 0)
        for c, col in enumerate(frame.columns):
            ws.set_column(c, c, max(10, min(40, len(col) + 2)))
    about = wb.add_worksheet("about")  # after the data: what the file is and how it was made
    _write_about(about, meta, frame.height, names, bold, wrap, top, styles["quoted"])
    # give every cell style an index in styles.xml (a far, empty column of the about sheet)
    for i, fmt in enumerate(styles.values()):
        about.set_column(60 + i, 60 + i, None, fmt)
    wb.close()

    xf = {k: f.xf_index for k, f in styles.items()}
    numeric_text = set(meta.suppression.columns) if meta.suppression else set()
    prepared = _prepare(frame)
    src = zipfile.ZipFile(io.BytesIO(buf.getvalue()))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED, compresslevel=1) as dst:
        for item in src.infolist():
            data = src.read(item.filename)
            m = re.fullmatch(r"xl/worksheets/sheet(\d+)\.xml", item.filename)
            k = int(m.group(1)) - 1 if m else -1  # sheet1… = data sheets, then about
            if 0 <= k < len(names):
                chunk = prepared.slice(k * per_sheet, per_sheet)
                _write_data_sheet(dst, item.filename, data.decode("utf-8"), chunk, xf,
                                  numeric_text)
            else:
                dst.writestr(item, data)
    return out.getvalue()


def _prepare(frame: pl.DataFrame) -> pl.DataFrame:
    """Types the XML renderer handles: numbers, bool, date, datetime, text."""
    casts = []
    for name, dtype in frame.schema.items():
        if isinstance(dtype, pl.Decimal):
            casts.append(pl.col(name).cast(pl.Float64))
        elif (dtype.is_numeric() or dtype in (pl.Boolean, pl.Date, pl.String)
              or isinstance(dtype, pl.Datetime)):
            continue
        elif isinstance(dtype, (pl.Categorical, pl.Enum)) or dtype in (pl.Time, pl.Duration):
            casts.append(pl.col(name).cast(pl.String))
        else:  # lists, structs, binary…: their Python text
            casts.append(pl.col(name).map_elements(str, return_dtype=pl.String))
    return frame.with_columns(casts) if casts else frame


_XML_CONTROL = [chr(i) for i in (*range(0, 9), 11, 12, *range(13, 32))]


def _xml_text(e: pl.Expr, markup: bool, controls: bool) -> pl.Expr:
    """Escape text for a SpreadsheetML ``<t>``, as xlsxwriter does (control characters as
    ``_xHHHH_``, a literal ``_xHHHH_`` protected by ``_x005F``)."""
    if markup:
        e = (e.str.replace_all("&", "&amp;", literal=True)
             .str.replace_all("<", "&lt;", literal=True)
             .str.replace_all(">", "&gt;", literal=True)
             .str.replace_all(r"_(x[0-9A-Fa-f]{4}_)", "_x005F_$1"))
    if controls:
        for ch in _XML_CONTROL:
            e = e.str.replace_all(ch, f"_x{ord(ch):04X}_", literal=True)
        e = e.str.replace_all("[\ufffe\uffff]", "")
    return e


@dataclass(frozen=True)
class _TextFlags:
    """What a text column needs, found once per sheet so the common case stays cheap."""

    markup: bool  # & < > or a literal _xHHHH_
    controls: bool  # control characters
    dangerous: bool  # formula-like cells
    numeric: bool  # disclosure-controlled counts: numbers except [c]


def _text_flags(frame: pl.DataFrame, numeric_text: set[str]) -> dict[str, _TextFlags]:
    names = [n for n, t in frame.schema.items() if t == pl.String]
    if not names or frame.height == 0:
        return {n: _TextFlags(False, False, False, n in numeric_text) for n in names}
    checks = frame.select(
        *(pl.col(n).str.contains(r"[&<>]|_x[0-9A-Fa-f]{4}_").any().alias(f"m{i}")
          for i, n in enumerate(names)),
        *(pl.col(n).str.contains("[\x00-\x08\x0b-\x1f\ufffe\uffff]").any().alias(f"c{i}")
          for i, n in enumerate(names)),
        *(_dangerous_expr(n).any().alias(f"d{i}") for i, n in enumerate(names)),
    ).row(0, named=True)
    return {n: _TextFlags(bool(checks[f"m{i}"]), bool(checks[f"c{i}"]),
                          bool(checks[f"d{i}"]), n in numeric_text)
            for i, n in enumerate(names)}


def _cell_exprs(frame: pl.DataFrame, row: pl.Expr, xf: dict[str, int],
                flags: dict[str, _TextFlags]) -> list[pl.Expr]:
    from xlsxwriter.utility import xl_col_to_name

    cells = []
    for c, (name, dtype) in enumerate(frame.schema.items()):
        col = pl.col(name)
        ref = pl.concat_str([pl.lit(f'<c r="{xl_col_to_name(c)}'), row])

        def cell(attrs: str, inner: pl.Expr, ref: pl.Expr = ref) -> pl.Expr:
            return pl.concat_str([ref, pl.lit(f'"{attrs}>'), inner, pl.lit("</c>")])

        def value(x: pl.Expr) -> pl.Expr:
            return pl.concat_str([pl.lit("<v>"), x, pl.lit("</v>")])

        if dtype == pl.Boolean:
            expr = cell(' t="b"', value(col.cast(pl.Int8).cast(pl.String)))
        elif dtype.is_float():
            bad = col.is_nan() | col.is_infinite()
            expr = (pl.when(bad).then(cell(' t="e"', pl.lit("<v>#NUM!</v>")))
                    .otherwise(cell("", value(col.cast(pl.String)))))
        elif dtype.is_numeric():
            expr = cell("", value(col.cast(pl.String)))
        elif dtype == pl.Date:
            serial = (col.cast(pl.Int32) + 25569).cast(pl.String)  # 1970-01-01 = 25569
            expr = cell(f' s="{xf["date"]}"', value(serial))
        elif isinstance(dtype, pl.Datetime):
            naive = col.dt.replace_time_zone(None) if dtype.time_zone else col
            serial = (naive.dt.epoch("us").cast(pl.Float64) / 86_400_000_000 + 25569)
            expr = cell(f' s="{xf["datetime"]}"', value(serial.cast(pl.String)))
        else:
            fl = flags[name]
            inline = pl.concat_str([pl.lit('<is><t xml:space="preserve">'),
                                    _xml_text(col, fl.markup, fl.controls),
                                    pl.lit("</t></is>")])
            expr = cell(' t="inlineStr"', inline)
            if fl.dangerous:
                expr = (pl.when(_dangerous_expr(name))
                        .then(cell(f' s="{xf["quoted"]}" t="inlineStr"', inline))
                        .otherwise(expr))
            if fl.numeric:
                expr = (pl.when(col.str.contains(_PLAIN_NUMBER_RE))
                        .then(cell("", value(col.str.strip_chars_start("+"))))
                        .otherwise(expr))
        cells.append(pl.when(col.is_null()).then(pl.lit("")).otherwise(expr)
                     if frame.get_column(name).null_count() else expr)
    return cells


def _write_data_sheet(dst: zipfile.ZipFile, filename: str, xml: str, chunk: pl.DataFrame,
                      xf: dict[str, int], numeric_text: set[str], batch: int = 50_000) -> None:
    """Splice the rows of ``chunk`` (from spreadsheet row 2) into xlsxwriter's sheet XML."""
    from xlsxwriter.utility import xl_col_to_name

    last = f"{xl_col_to_name(max(chunk.width, 1) - 1)}{chunk.height + 1}"
    xml = re.sub(r'<dimension ref="[^"]*"/>', f'<dimension ref="A1:{last}"/>', xml, count=1)
    if "</sheetData>" not in xml or chunk.width == 0:  # no columns: nothing to add
        dst.writestr(filename, xml)
        return
    head, tail = xml.split("</sheetData>", 1)
    flags = _text_flags(chunk, numeric_text)
    with dst.open(filename, "w", force_zip64=True) as fh:
        fh.write(head.encode("utf-8"))
        for start in range(0, chunk.height, batch):
            part = chunk.slice(start, batch)
            row = (pl.int_range(pl.len(), dtype=pl.Int64) + (start + 2)).cast(pl.String)
            rows = part.select(pl.concat_str(
                [pl.lit('<row r="'), row, pl.lit('">'),
                 *_cell_exprs(part, row, xf, flags), pl.lit("</row>")]
            ).alias("x")).get_column("x")
            fh.write(rows.str.join("").item().encode("utf-8"))
        fh.write(("</sheetData>" + tail).encode("utf-8"))


def _about_rows(meta: ExportMeta, rows: int, sheets: Sequence[str]) -> list[tuple[str, str]]:
    lab = functools.partial(i18n.t, lang=meta.lang)
    out = [(lab("about_dataset"), meta.dataset), (lab("about_title"), meta.title),
           (lab("about_definition"), meta.definition)]
    if meta.filters:
        out += [(lab("about_filters") if i == 0 else "", f"{k}: {v}")
                for i, (k, v) in enumerate(meta.filters)]
    else:
        out.append((lab("about_filters"), lab("about_none")))
    origin = meta.data_origin or ""
    if origin == "sample":
        origin = lab("about_origin_sample")
    elif origin == "provided":
        origin = lab("about_origin_provided")
    out += [
        (lab("about_rows"), f"{rows:,}"),
        (lab("about_as_of"), meta.as_of.isoformat() if meta.as_of else ""),
        (lab("about_run_id"), meta.run_id or ""),
        (lab("about_origin"), origin),
        (lab("about_generated"), meta.generated_at.isoformat(timespec="seconds")),
    ]
    s = meta.suppression
    out.append((lab("about_suppression"),
                lab("about_supp_on", t=s.threshold, m=s.threshold - 1, n=s.cells,
                    d=s.dropped_totals) if s else lab("about_supp_off")))
    out += [(lab("about_formula"), lab("about_formula_text")),
            (lab("about_sheets"), ", ".join(sheets))]
    return out


def _write_about(ws, meta: ExportMeta, rows: int, sheets: Sequence[str], bold, wrap, top,  # noqa: ANN001
                 quoted) -> None:  # noqa: ANN001
    lab = functools.partial(i18n.t, lang=meta.lang)
    ws.set_column(0, 0, 28)
    ws.set_column(1, 1, 90)
    ws.set_column(2, 2, 60)

    def put(r: int, c: int, text: str, fmt) -> None:  # noqa: ANN001
        ws.write_string(r, c, text, quoted if is_dangerous(text) else fmt)

    r = 0
    for key, value in _about_rows(meta, rows, sheets):
        put(r, 0, key, top)
        put(r, 1, value, wrap)
        r += 1
    if meta.columns:
        r += 1
        ws.write_string(r, 0, lab("about_columns"), bold)
        r += 1
        ws.write_row(r, 0, [lab("about_column"), lab("about_type"), lab("about_meaning")], bold)
        for name, dtype, meaning in meta.columns:
            r += 1
            for c, text in enumerate((name, dtype, meaning)):
                put(r, c, text, wrap)


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


# --- disclosure control -------------------------------------------------------------------------

@dataclass(frozen=True)
class RateSpec:
    """A rate column and the count columns it is made of (either may be None)."""

    column: str
    numerator: str | None = None
    denominator: str | None = None


@dataclass(frozen=True)
class Margin:
    """Rows that add up to a total row in the same file.

    Within each group of rows with equal ``by`` values, the row(s) where ``total`` is true are
    the total (e.g. ``bureau_code IS NULL`` = the whole ministry) and the others its parts.
    """

    by: tuple[str, ...]
    total: pl.Expr


@dataclass(frozen=True)
class Suppressed:
    frame: pl.DataFrame
    info: Suppression


def suppress(frame: pl.DataFrame, count_columns: Sequence[str],
             rate_specs: Sequence[RateSpec] = (), threshold: int = 5,
             margins: Sequence[Margin] = (), exempt: pl.Expr | None = None) -> pl.DataFrame:
    """Disclosure control for an aggregated table; see :func:`suppress_table`."""
    return suppress_table(frame, count_columns, rate_specs, threshold, margins, exempt).frame


def suppress_table(frame: pl.DataFrame, count_columns: Sequence[str],
                   rate_specs: Sequence[RateSpec] = (), threshold: int = 5,
                   margins: Sequence[Margin] = (), exempt: pl.Expr | None = None) -> Suppressed:
    """Replace small counts by ``[c]`` so that no one can be singled out.

    1. *Primary*: a count from 1 to ``threshold - 1`` is suppressed (0 is shown: it says
       nobody, and suppressing it would only draw attention to its neighbours). Rows where
       ``exempt`` is true (counts of events rather than people) are left alone.
    2. *Secondary*, for every ``Margin`` and count column: within a group whose total row is
       in the file, if suppressed parts could be recovered by subtracting the shown parts from
       the total — exactly one part suppressed, or the suppressed parts add up to less than
       ``threshold`` — the next-smallest part (positive values first) is suppressed too,
       until neither holds; if no part is left to suppress, the total itself is suppressed.
       Repeated until nothing changes (a cell may sit in several margins).
    3. *Rates*: a rate is suppressed when its denominator is below ``threshold`` or when its
       numerator or denominator is suppressed (either could be worked back from the rate).

    Count and rate columns come back as text (``"12"``, ``"0.5"``, ``"[c]"``); other columns
    are untouched.
    """
    threshold = max(int(threshold), 1)
    n = frame.height
    counts = [c for c in count_columns if c in frame.columns]
    values = {c: frame.get_column(c).to_list() for c in counts}
    hidden: dict[str, list[bool]] = {}
    exempt_rows = (frame.select(exempt.fill_null(False)).to_series().to_list()
                   if exempt is not None else [False] * n)
    for c in counts:
        hidden[c] = [v is not None and not ex and 0 < v < threshold
                     for v, ex in zip(values[c], exempt_rows, strict=True)]

    # secondary suppression against totals in the same file
    dropped: set[int] = set()
    groups = [_margin_groups(frame, m) for m in margins]
    changed = True
    while changed:
        changed = False
        for group_list in groups:
            for parts, totals in group_list:
                for c in counts:
                    changed |= _protect(values[c], hidden[c], parts, totals, threshold,
                                        dropped)

    out = {c: _count_text(values[c], hidden[c]) for c in counts}
    rate_cells = 0
    for spec in rate_specs:
        if spec.column not in frame.columns:
            continue
        rates = frame.get_column(spec.column).to_list()
        num_hidden = hidden.get(spec.numerator or "", [False] * n)
        den_hidden = hidden.get(spec.denominator or "", [False] * n)
        dens = (frame.get_column(spec.denominator).to_list()
                if spec.denominator in frame.columns else [None] * n)
        text = []
        for r, rate in enumerate(rates):
            small_den = dens[r] is not None and dens[r] < threshold
            if rate is not None and (num_hidden[r] or den_hidden[r] or small_den):
                text.append(SUPPRESSED)
                rate_cells += 1
            else:
                text.append(None if rate is None else _num_text(rate))
        out[spec.column] = text
    cells = sum(sum(h) for h in hidden.values()) + rate_cells
    result = frame.with_columns(pl.Series(c, v, dtype=pl.String) for c, v in out.items())
    cols = tuple(out)
    return Suppressed(result, Suppression(threshold, cols, cells, len(dropped)))


def _margin_groups(frame: pl.DataFrame, margin: Margin) -> list[tuple[list[int], list[int]]]:
    idx = frame.with_row_index("__i").with_columns(margin.total.fill_null(False).alias("__t"))
    out = []
    for _, g in idx.group_by(list(margin.by), maintain_order=True):
        totals = g.filter(pl.col("__t")).get_column("__i").to_list()
        parts = g.filter(~pl.col("__t")).get_column("__i").to_list()
        if totals and parts:
            out.append((parts, totals))
    return out


def _protect(values: list, hidden: list[bool], parts: list[int], totals: list[int],
             threshold: int, dropped: set[int]) -> bool:
    """Suppress more cells of one group/column until no part can be worked out from a
    shown total. Returns True if anything changed."""
    if all(hidden[t] or values[t] is None for t in totals):
        return False
    changed = False
    while True:
        sup = [i for i in parts if hidden[i]]
        if not sup:
            return changed
        total_sup = sum(values[i] or 0 for i in sup)
        if len(sup) >= 2 and total_sup >= threshold:
            return changed
        free = [i for i in parts if not hidden[i] and values[i] is not None]
        if not free:
            for t in totals:
                if not hidden[t] and values[t] is not None:
                    hidden[t] = True
                    dropped.add(t)
            return True
        pick = min(free, key=lambda i: (values[i] == 0, values[i], i))
        hidden[pick] = True
        changed = True


def _num_text(v: object) -> str:
    if isinstance(v, float) and v.is_integer():
        return str(int(v))
    return str(v)


def _count_text(values: list, hidden: list[bool]) -> list[str | None]:
    return [SUPPRESSED if h else (None if v is None else _num_text(v))
            for v, h in zip(values, hidden, strict=True)]
