"""The XLSX writer: the rows on 'data' sheets and an 'about' sheet that says what the file is.

Text that Excel would read as a formula (``release.exports.is_dangerous``) is written as a
string cell with Excel's quote prefix: shown without the apostrophe, never evaluated, not even
after editing. Numbers, and text that is nothing but a plain number, stay numbers; so do the
counts of a publication table, except the ``[c]`` marker.
"""

from __future__ import annotations

import datetime as dt
import functools
import io
import math
import re
import zipfile
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import polars as pl

from release import i18n
from release.exports import PLAIN_NUMBER_RE, dangerous_expr, is_dangerous

if TYPE_CHECKING:
    from release.disclosure import Suppression

XLSX_MAX_ROWS = 1_048_576  # Excel's limit per sheet, header included


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
        *(dangerous_expr(n).any().alias(f"d{i}") for i, n in enumerate(names)),
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
                expr = (pl.when(dangerous_expr(name))
                        .then(cell(f' s="{xf["quoted"]}" t="inlineStr"', inline))
                        .otherwise(expr))
            if fl.numeric:
                expr = (pl.when(col.str.contains(PLAIN_NUMBER_RE))
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


def to_workbook(sheets: Mapping[str, pl.DataFrame], about: Sequence[tuple[str, str]],
                numeric: Mapping[str, Sequence[str]] = {}) -> bytes:  # noqa: B006
    """Several small tables in one workbook (one sheet each, then 'about'), cell by cell.

    For the publication pack (a few thousand rows): counts written as text by disclosure
    control (``numeric``) become numbers again, except ``[c]``; text Excel would read as a
    formula gets the quote prefix; dates are dates.
    """
    import xlsxwriter

    buf = io.BytesIO()
    wb = xlsxwriter.Workbook(buf, {
        "strings_to_formulas": False, "strings_to_urls": False, "strings_to_numbers": False,
        "nan_inf_to_errors": True})
    bold = wb.add_format({"bold": True})
    quoted = wb.add_format({"quote_prefix": True})
    date = wb.add_format({"num_format": "yyyy-mm-dd"})
    number = re.compile(PLAIN_NUMBER_RE)
    for name, frame in sheets.items():
        ws = wb.add_worksheet(name[:31])
        ws.write_row(0, 0, frame.columns, bold)
        ws.freeze_panes(1, 0)
        as_number = set(numeric.get(name, ()))
        for c, col in enumerate(frame.columns):
            ws.set_column(c, c, max(10, min(40, len(col) + 2)))
            for r, v in enumerate(frame.get_column(col).to_list(), start=1):
                if v is None:
                    continue
                if isinstance(v, bool):
                    ws.write_boolean(r, c, v)
                elif isinstance(v, (int, float)):
                    ws.write_number(r, c, v)
                elif isinstance(v, dt.datetime):
                    ws.write_string(r, c, v.isoformat(sep=" "))
                elif isinstance(v, dt.date):
                    ws.write_datetime(r, c, dt.datetime(v.year, v.month, v.day), date)
                elif col in as_number and number.match(str(v)):
                    ws.write_number(r, c, float(v))
                else:
                    text = str(v)
                    if is_dangerous(text):
                        ws.write_string(r, c, text, quoted)
                    else:
                        ws.write_string(r, c, text)
    ws = wb.add_worksheet("about")
    ws.set_column(0, 0, 24)
    ws.set_column(1, 1, 80)
    for r, (key, value) in enumerate(about):
        ws.write_string(r, 0, key, bold)
        ws.write_string(r, 1, value, quoted if is_dangerous(value) else None)
    wb.close()
    return buf.getvalue()
