"""Export functions: CSV/XLSX/Parquet bytes, formula-injection safety, file names, suppression."""

from __future__ import annotations

import datetime as dt
import io
import re
import time
import zipfile
from xml.etree import ElementTree

import openpyxl
import polars as pl
import pytest

from release import disclosure as dc
from release import exports as ex
from release import xlsx as xl

PAYLOADS = ['=HYPERLINK("http://x","y")', "+cmd", "@SUM(A1)", "-2+3", "\t=1+1", "\r=1+1",
            "＝1+1", "=cmd|' /C calc'!A0"]


def sample_frame() -> pl.DataFrame:
    return pl.DataFrame({
        "fiscal_year": [2022, 2023, 2024, 2024],
        "employee_id": ["E0001", "E0002", "E0003", None],
        "bureau_code": ["B1", "B2", "B1", "B2"],
        "course": ["統一研修Aレベル", "情報セキュリティ〜基礎", "ITパスポート, 対策\n講座",
                   '"引用"'],
        "completed_on": [dt.date(2022, 4, 1), dt.date(2024, 3, 31), None, dt.date(2025, 1, 5)],
        "participants": [1, 0, 12, -5],
        "rate": [0.5, None, 1.0, -0.25],
        "digital_talent": [True, False, None, True],
    })


def meta(**kw: object) -> xl.ExportMeta:
    base = dict(dataset="stg_training", title="研修受講", definition="研修受講(受講1件1行)",
                filters=(("局 bureau", "B1, B2"), ("年度 FY", "2022–2024"), ("level", "A")),
                as_of=dt.date(2025, 3, 31), run_id="20250401T000000Z-abc123",
                data_origin="sample", generated_at=dt.datetime(2025, 4, 2, 9, 30),
                columns=(("fiscal_year", "INTEGER", "年度"),))
    base.update(kw)
    return xl.ExportMeta(**base)  # type: ignore[arg-type]


# --- CSV -----------------------------------------------------------------------------------------

def test_csv_starts_with_bom_and_round_trips():
    frame = sample_frame()
    out = ex.to_csv(frame)
    assert out.data.startswith(b"\xef\xbb\xbf")
    assert out.encoding == "utf-8-sig" and out.replaced == ()
    back = pl.read_csv(io.BytesIO(out.data[3:]), schema=frame.schema)
    assert back.equals(frame)
    assert "統一研修Aレベル" in out.data.decode("utf-8-sig")


def test_csv_cp932_keeps_japanese_and_replaces_what_it_cannot_hold():
    frame = pl.DataFrame({"name": ["第一局", "𠮷野家", "〜と−", "✓済"], "n": [1, 2, 3, 4]})
    out = ex.to_csv(frame, "cp932")
    assert out.encoding == "cp932"
    text = out.data.decode("cp932")  # decodes cleanly
    assert "第一局" in text
    assert "〓野家" in text  # U+20BB7 is outside CP932: geta mark
    assert "～と－" in text  # look-alikes mapped rather than lost
    assert "𠮷" in out.replaced and "✓" in out.replaced
    back = pl.read_csv(io.BytesIO(text.encode()))
    assert back["name"].to_list()[0] == "第一局" and back.height == 4
    assert ex.to_csv(pl.DataFrame({"a": ["abc"]}), "cp932").replaced == ()
    with pytest.raises(ValueError):
        ex.to_csv(frame, "latin-1")


# --- Parquet -------------------------------------------------------------------------------------

def test_parquet_round_trips():
    frame = sample_frame()
    back = pl.read_parquet(io.BytesIO(ex.to_parquet(frame)))
    assert back.equals(frame)
    assert back.schema == frame.schema


# --- XLSX ----------------------------------------------------------------------------------------

def excel_text(value: object) -> object:
    """A string cell as Excel shows it (openpyxl leaves SpreadsheetML's _xHHHH_ escapes)."""
    if not isinstance(value, str):
        return value
    return re.sub(r"_x([0-9A-F]{4})_", lambda m: chr(int(m.group(1), 16)), value)


def load(data: bytes) -> openpyxl.Workbook:
    return openpyxl.load_workbook(io.BytesIO(data))


def about_dict(wb: openpyxl.Workbook) -> dict[str, list[str]]:
    out: dict[str, list[str]] = {}
    key = ""
    for k, v, *_ in wb["about"].iter_rows(values_only=True):
        key = k or key
        out.setdefault(key, []).append(v)
    return out


def test_xlsx_opens_with_data_and_about_sheets():
    frame = sample_frame()
    wb = load(xl.to_xlsx(frame, meta()))
    assert wb.sheetnames == ["data", "about"]
    rows = list(wb["data"].iter_rows(values_only=True))
    assert rows[0] == tuple(frame.columns)
    assert len(rows) == frame.height + 1
    assert rows[1][:4] == (2022, "E0001", "B1", "統一研修Aレベル")
    assert rows[1][4] == dt.datetime(2022, 4, 1)  # a real date cell
    assert rows[1][5:] == (1, 0.5, True)
    assert rows[3][2:4] == ("B1", "ITパスポート, 対策\n講座")
    assert rows[4][1] is None and rows[4][5] == -5
    about = about_dict(wb)
    assert about["データセット"] == ["stg_training"]
    assert about["定義"] == ["研修受講(受講1件1行)"]
    assert about["適用した絞り込み"] == ["局 bureau: B1, B2", "年度 FY: 2022–2024", "level: A"]
    assert about["データ基準日"] == ["2025-03-31"]
    assert about["パイプライン実行ID"] == ["20250401T000000Z-abc123"]
    assert about["ファイル作成日時"] == ["2025-04-02T09:30:00"]
    assert about["行数"] == ["4"]
    assert about["秘匿処理(公表用)"][0].startswith("なし")


def test_xlsx_about_in_english_and_with_suppression():
    supp = dc.Suppression(5, ("participants",), cells=3, dropped_totals=1)
    wb = load(xl.to_xlsx(sample_frame(), meta(lang="en", filters=(), suppression=supp)))
    about = about_dict(wb)
    assert about["Filters applied"] == ["none (all rows)"]
    assert about["Disclosure control (for publication)"][0].startswith("applied")
    assert "3 cells" in about["Disclosure control (for publication)"][0]


def test_xlsx_is_well_formed_xml():
    frame = sample_frame().with_columns(pl.Series("odd", ["a<b&c>", "ctl\x01\x1f", "_x0041_",
                                                          "  space "]))
    data = xl.to_xlsx(frame, meta())
    with zipfile.ZipFile(io.BytesIO(data)) as z:
        assert z.testzip() is None
        for name in z.namelist():
            if name.endswith(".xml") or name.endswith(".rels"):
                ElementTree.fromstring(z.read(name))  # raises if malformed
    cells = [r[-1] for r in load(data)["data"].iter_rows(min_row=2, values_only=True)]
    assert cells[0] == "a<b&c>" and cells[3] == "  space "


def test_xlsx_splits_past_the_sheet_row_limit(monkeypatch):
    monkeypatch.setattr(xl, "XLSX_MAX_ROWS", 4)  # 3 data rows per sheet
    frame = pl.DataFrame({"i": list(range(8))})
    wb = load(xl.to_xlsx(frame, meta()))
    assert wb.sheetnames == ["data", "data_2", "data_3", "about"]
    got = [v for s in ("data", "data_2", "data_3")
           for (v,) in wb[s].iter_rows(min_row=2, values_only=True)]
    assert got == list(range(8))
    assert all(wb[s]["A1"].value == "i" for s in ("data", "data_2", "data_3"))


def test_xlsx_empty_frames():
    assert load(xl.to_xlsx(pl.DataFrame({"a": []}, schema={"a": pl.Int64}), meta()))[
        "data"]["A1"].value == "a"
    assert load(xl.to_xlsx(pl.DataFrame(), meta())).sheetnames == ["data", "about"]


# --- formula injection ---------------------------------------------------------------------------

def test_csv_neutralises_formula_payloads_and_keeps_numbers():
    frame = pl.DataFrame({"text": PAYLOADS + ["-5", "plain"], "n": list(range(-5, 5))})
    body = ex.to_csv(frame).data.decode("utf-8-sig")
    back = pl.read_csv(io.BytesIO(body.encode()), schema={"text": pl.String, "n": pl.Int64})
    for got, sent in zip(back["text"], PAYLOADS, strict=False):
        assert got == "'" + sent
    assert back["text"][-2:].to_list() == ["-5", "plain"]  # a plain number is not a formula
    assert back["n"].to_list() == list(range(-5, 5))  # negative numbers stay numbers
    assert "\r\n-5," in body  # written unquoted, so Excel reads a number


def test_xlsx_writes_payloads_as_text_and_negative_numbers_as_numbers():
    frame = pl.DataFrame({"text": PAYLOADS, "n": [-5] * len(PAYLOADS),
                          "x": [-0.5] * len(PAYLOADS)})
    ws = load(xl.to_xlsx(frame, meta()))["data"]
    for row in ws.iter_rows(min_row=2):
        text, n, x = row
        assert text.data_type == "s" and text.quotePrefix  # Excel shows it as text, never runs
        assert excel_text(text.value) in PAYLOADS
        assert n.data_type == "n" and n.value == -5
        assert x.data_type == "n" and x.value == -0.5
    assert not any(c.data_type == "f" for r in ws.iter_rows() for c in r)
    with zipfile.ZipFile(io.BytesIO(xl.to_xlsx(frame, meta()))) as z:
        assert b"<f>" not in z.read("xl/worksheets/sheet1.xml")


def test_neutralise_only_touches_dangerous_text():
    frame = pl.DataFrame({"t": ["=1", "a=1", "", None, "-5", "1e5", "-"], "n": [-1] * 7})
    out = ex.neutralise(frame)
    # a lone "-" is a missing value's placeholder, no formula (issue 29)
    assert out["t"].to_list() == ["'=1", "a=1", "", None, "-5", "1e5", "-"]
    assert out["n"].to_list() == [-1] * 7
    assert ex.is_dangerous("@x") and not ex.is_dangerous(-5) and not ex.is_dangerous("-5")


# --- file names ----------------------------------------------------------------------------------

def test_file_names_are_ascii_and_say_what_is_inside():
    name = ex.file_name("stg_training", ["B1+B2", "FY2022-2024", "level-A"],
                        dt.date(2025, 3, 31), "csv")
    assert name == "dtp_stg_training_B1+B2_FY2022-2024_level-A_asof2025-03-31.csv"
    supp = ex.file_name("mart_hiring", ["第一局", "a/b\\c:d"], dt.date(2025, 3, 31), "csv",
                        suppressed=True)
    assert supp.isascii() and supp.endswith("_asof2025-03-31_suppressed.csv")
    assert "/" not in supp and "\\" not in supp and ":" not in supp
    long = ex.file_name("kpi", ["x" * 300], None, "xlsx")
    assert len(long) <= 120 and long.endswith("_asofunknown.xlsx")


# --- disclosure-controlled tables in files -------------------------------------------------------

def test_suppressed_columns_stay_numeric_in_xlsx():
    frame = pl.DataFrame({"bureau_code": ["01", "02"], "n": ["[c]", "12"]})
    info = dc.Suppression(5, ("n",), cells=1)
    wb = load(xl.to_xlsx(frame, meta(suppression=info)))
    rows = list(wb["data"].iter_rows(min_row=2, values_only=True))
    assert rows == [("01", "[c]"), ("02", 12)]  # codes stay text, counts numbers
    body = ex.to_csv(frame).data.decode("utf-8-sig")
    assert "[c]" in body


def test_bureau_name_column_is_text_never_a_count_or_a_formula():
    """Downloads carry ``bureau_name`` beside ``bureau_code``: a name that looks like a
    formula is written as text, while the counts beside it stay numbers."""
    payload = '=HYPERLINK("http://x","y")'
    frame = pl.DataFrame({"fiscal_year": [2024] * 3, "bureau_code": [None, "B1", "B2"],
                          "bureau_name": ["省全体", payload, None], "n": ["30", "[c]", "[c]"]})
    info = dc.Suppression(5, ("n",), cells=2)
    back = pl.read_csv(io.BytesIO(ex.to_csv(frame).data[3:]), infer_schema=False)
    assert back["bureau_name"].to_list() == ["省全体", "'" + payload, None]
    ws = load(xl.to_xlsx(frame, meta(suppression=info)))["data"]
    cells = [r[2] for r in ws.iter_rows(min_row=2)]
    assert [c.value for c in cells] == ["省全体", payload, None]
    assert cells[1].data_type == "s" and cells[1].quotePrefix and not cells[0].quotePrefix
    assert [r[3] for r in ws.iter_rows(min_row=2, values_only=True)] == [30, "[c]", "[c]"]


# --- speed ---------------------------------------------------------------------------------------

def test_300k_rows_export_in_seconds():
    n = 300_000
    i = pl.int_range(n, eager=True)
    frame = pl.DataFrame({
        "fiscal_year": i % 9 + 2016,
        "employee_id": ("E" + i.cast(pl.String)),
        "bureau_code": pl.Series(["B01", "B02", "B03"] * (n // 3)),
        "unit_code": ("U" + (i % 500).cast(pl.String)),
        "grade": pl.Series(["staff", "chief", "deputy_director"] * (n // 3)),
        "employment_type": ["career"] * n,
        "hire_fiscal_year": i % 25 + 2000,
        "digital_talent": i % 7 == 0,
        "placement": ["home"] * n,
        "hire_date": pl.Series([dt.date(2020, 4, 1)] * n),
    })
    assert frame.shape == (n, 10)
    timings = {}
    for label, fn in [("csv", lambda: ex.to_csv(frame).data),
                      ("csv_cp932", lambda: ex.to_csv(frame, "cp932").data),
                      ("parquet", lambda: ex.to_parquet(frame)),
                      ("xlsx", lambda: xl.to_xlsx(frame, meta()))]:
        t0 = time.perf_counter()
        data = fn()
        timings[label] = time.perf_counter() - t0
        assert len(data) > 0
    print({k: round(v, 2) for k, v in timings.items()})
    assert timings["csv"] < 5 and timings["parquet"] < 5 and timings["xlsx"] < 30


# --- every dangerous first character, both encodings ------------------------------------------

DANGEROUS_FIRST = ["=", "+", "-", "@", "\t", "\r", "\n", "＝", "＋", "－", "＠",
                   "\u2013",  # EN DASH: CP932 has none, it is written as "-"
                   "\u2212",  # MINUS SIGN: written as "－" in CP932
                   "\ufe62", "\ufe63", "\ufe66", "\ufe6b",  # small forms
                   "\u00a0=", "\u00a0-", "\u00a0\u2013", " =", "\u3000＝"]  # after blanks


@pytest.mark.parametrize("encoding", ["utf-8-sig", "cp932"])
@pytest.mark.parametrize("first", DANGEROUS_FIRST, ids=lambda c: f"U+{ord(c[0]):04X}{len(c)}")
def test_every_dangerous_first_character_is_neutralised(first, encoding):
    payload = first + "cmd|' /C calc'!A0"
    out = ex.to_csv(pl.DataFrame({"name": [payload, "ok"], "n": [-1, 2]}), encoding)
    text = out.data.decode(out.encoding).lstrip("\ufeff")
    back = pl.read_csv(io.BytesIO(text.encode()), infer_schema=False)
    written = back["name"][0]
    # checked after the CP932 mapping: prefixed, or replaced by 〓 (no CP932 look-alike)
    assert not ex.is_dangerous(written), (encoding, written)
    assert written.startswith("'") or written.startswith(ex.CP932_REPLACEMENT), written
    assert back["name"][1] == "ok" and back["n"].to_list() == ["-1", "2"]
    ws = load(xl.to_xlsx(pl.DataFrame({"name": [payload]}), meta()))["data"]
    cell = ws["A2"]
    assert cell.data_type == "s" and cell.quotePrefix


@pytest.mark.parametrize("encoding", ["utf-8-sig", "cp932"])
def test_harmless_text_is_not_prefixed(encoding):
    safe = ["a=1", "—見出し", "\u00a0abc", "5", "-5", "〜基礎"]
    out = ex.to_csv(pl.DataFrame({"t": safe}), encoding)
    text = out.data.decode(out.encoding).lstrip("\ufeff")
    back = pl.read_csv(io.BytesIO(text.encode()), infer_schema=False)["t"].to_list()
    assert not [v for v in back if v.startswith("'")], back


def test_cp932_maps_en_dash_before_neutralising():
    """An EN DASH becomes "-" in CP932: the written cell must be prefixed all the same."""
    out = ex.to_csv(pl.DataFrame({"name": ["\u2013cmd|' /C calc'!A0"]}), "cp932")
    line = out.data.decode("cp932").splitlines()[1]
    assert line.lstrip('"').startswith("'-cmd"), line
    assert "\u2013" in out.replaced
