"""Reading the raw files: any data set that follows the contract builds, whatever its encoding
(UTF-8, UTF-8 with BOM, CP932), line endings (LF, CRLF), column order or boolean spelling —
and the warehouse it gives is the same.

Builds run in-process (``pipelines.__main__.main``); the slow part is Great Expectations,
~1-2 s per build of the tiny data set.
"""

from __future__ import annotations

import csv
import random
from pathlib import Path

import duckdb
import polars as pl
import pytest
from conftest import dataset

from pipelines.__main__ import main
from pipelines.raw import ROW, InputError, read_table
from pipelines.schema import BY_NAME

# Characters outside JIS X 0208 that CP932 (Windows-31J) has and Shift_JIS has not:
# 髙 (IBM extension, "hashigo-daka") and ① (NEC special character).
NAME_JA = "髙橋①課"

# Tables whose content must not depend on how the files were written (not the run metadata).
COMPARED = ("kpi", "bureaus", "units", "courses", "exams", "plan_targets", "published",
            "stg_hiring", "stg_roster", "stg_training", "stg_certification",
            "stg_phishing_drills")


def data_with_kanji() -> dict:
    data = dataset.base()
    data["bureaus"][0]["name_ja"] = NAME_JA
    data["units"][1]["name_ja"] = "①総務課(髙)"
    return data


def build(raw: Path, wh: Path) -> Path:
    assert main(["build", "--raw", str(raw), "--warehouse", str(wh)]) == 0
    return wh


def contents(wh: Path) -> dict[str, list[tuple]]:
    with duckdb.connect(str(wh), read_only=True) as con:
        return {t: sorted(con.sql(f"SELECT * FROM {t}").fetchall(), key=repr) for t in COMPARED}


def write_shuffled(data: dict, out: Path, seed: int = 7) -> Path:
    """Like dataset.write, but every file's columns in a different (seeded) order."""
    out.mkdir(parents=True, exist_ok=True)
    rnd = random.Random(seed)
    for name, rows in data.items():
        cols = BY_NAME[name].column_names
        rnd.shuffle(cols)
        with open(out / f"{name}.csv", "w", encoding="utf-8", newline="") as fh:
            w = csv.DictWriter(fh, fieldnames=cols, lineterminator="\n")
            w.writeheader()
            for row in rows:
                w.writerow({c: row.get(c, "") for c in cols})
    return out


def with_bools(data: dict, spell) -> dict:  # noqa: ANN001
    """Rewrite every boolean cell; ``spell(value, i)`` gives the new text of the i-th one."""
    i = 0
    for name, rows in data.items():
        bools = [c.name for c in BY_NAME[name].columns if c.dtype == "bool"]
        for row in rows:
            for c in bools:
                row[c] = spell(row[c] == "true", i)
                i += 1
    return data


@pytest.fixture(scope="module")
def reference(tmp_path_factory: pytest.TempPathFactory) -> dict[str, list[tuple]]:
    """The warehouse of the plain UTF-8 / LF / contract-order files."""
    tmp = tmp_path_factory.mktemp("reference")
    return contents(build(dataset.write(data_with_kanji(), tmp / "raw"), tmp / "wh.duckdb"))


def test_reference_keeps_the_kanji(reference):
    assert ("B1", NAME_JA, "First Bureau") in reference["bureaus"]
    assert len(reference["kpi"]) > 0


@pytest.mark.parametrize(("encoding", "newline", "found"), [
    ("utf-8-sig", "\n", "utf-8-sig"),
    ("cp932", "\n", "cp932"),
    ("utf-8", "\r\n", "utf-8"),
], ids=["utf8-bom", "cp932", "crlf"])  # CP932 + CRLF together: test_everything_at_once
def test_encodings_and_line_endings_build_the_same_warehouse(tmp_path, reference, encoding,
                                                              newline, found):
    raw = dataset.write(data_with_kanji(), tmp_path / "raw", encoding=encoding, newline=newline)
    head = (raw / "bureaus.csv").read_bytes()[:40]
    assert head.startswith(b"\xef\xbb\xbf") == (encoding == "utf-8-sig")
    assert (b"\r\n" in head) == (newline == "\r\n")
    wh = build(raw, tmp_path / "wh.duckdb")
    assert contents(wh) == reference
    with duckdb.connect(str(wh), read_only=True) as con:
        encodings = {f: e for f, e in con.sql("SELECT file, encoding FROM pipeline_run_files")
                     .fetchall()}
    assert encodings["bureaus.csv"] == found
    assert encodings["exams.csv"] == found  # every file has Japanese text


def test_columns_in_any_order_build_the_same_warehouse(tmp_path, reference):
    raw = write_shuffled(data_with_kanji(), tmp_path / "raw")
    header = (raw / "roster.csv").read_text("utf-8").splitlines()[0].split(",")
    assert header != BY_NAME["roster"].column_names  # really shuffled
    assert contents(build(raw, tmp_path / "wh.duckdb")) == reference


def test_booleans_true_false_1_0(tmp_path, reference):
    """All four spellings mixed within the files (only 1/0: test_everything_at_once)."""
    data = with_bools(data_with_kanji(),
                      lambda v, i: (("true", "1") if v else ("false", "0"))[i % 2])
    spelled = {r[c] for r in data["phishing_drills"] for c in ("opened", "reported")}
    assert spelled == {"true", "false", "1", "0"}
    raw = dataset.write(data, tmp_path / "raw")
    assert contents(build(raw, tmp_path / "wh.duckdb")) == reference


def test_everything_at_once(tmp_path, reference):
    """CP932 + CRLF + shuffled columns + 1/0 booleans + trailing blank lines."""
    data = with_bools(data_with_kanji(), lambda v, i: "1" if v else "0")
    raw = write_shuffled(data, tmp_path / "raw", seed=3)
    for f in raw.iterdir():
        text = f.read_text("utf-8").replace("\n", "\r\n") + "\r\n\r\n"
        f.write_bytes(text.encode("cp932"))
    assert contents(build(raw, tmp_path / "wh.duckdb")) == reference


# --- reading details (no Great Expectations: fast) --------------------------------------------

def read(tmp_path: Path, name: str, content: bytes):  # noqa: ANN201
    path = tmp_path / f"{name}.csv"
    path.write_bytes(content)
    return read_table(BY_NAME[name], path)


def test_row_numbers_are_spreadsheet_rows(tmp_path):
    """Header = row 1; blank lines and rows of empty cells are skipped but keep their numbers;
    a quoted value over two lines is one row."""
    f = read(tmp_path, "bureaus",
             b'bureau_code,name_ja,name_en\r\nB1,a,b\r\n\r\nB2,"two\r\nlines",c\r\n,,\r\n'
             b'B3,d,e\r\n\r\n')
    assert f.frame[ROW].to_list() == [2, 4, 6]
    assert f.frame["bureau_code"].to_list() == ["B1", "B2", "B3"]
    assert f.frame["name_ja"][1] == "two\r\nlines"


def test_typed_columns_and_flags(tmp_path):
    f = read(tmp_path, "phishing_drills",
             b"drill_id,fiscal_year,round,sent_on,employee_id,opened,reported\n"
             b"D1,2020,1,2020-06-01,E1,TRUE,0\n"
             b"D1,2020,x,2020-6-1,E2,yes,\n")
    fr = f.frame
    assert fr["fiscal_year"].dtype == pl.Int64 and fr["sent_on"].dtype == pl.Date
    assert fr["opened"].to_list() == [True, None]
    assert fr["reported"].to_list() == [False, None]
    assert fr["__type_ok__round"].to_list() == [True, False]
    assert fr["__type_ok__sent_on"].to_list() == [True, False]  # not YYYY-MM-DD
    assert fr["__type_ok__opened"].to_list() == [True, False]
    assert fr["__type_ok__reported"].to_list() == [True, True]  # empty is not a type error


def test_not_a_number_is_not_a_number(tmp_path):
    f = read(tmp_path, "published",
             b"metric,fiscal_year,value,source\na,2020,nan,s\nb,2020,inf,s\nc,2020,0.5,s\n")
    assert f.frame["__type_ok__value"].to_list() == [False, False, True]


def test_header_may_be_quoted_and_padded(tmp_path):
    f = read(tmp_path, "bureaus", b'"bureau_code", name_ja ,"name_en"\nB1,a,b\n')
    assert f.frame["name_ja"].to_list() == ["a"]


def test_row_with_too_many_cells_is_named(tmp_path):
    with pytest.raises(InputError) as exc:
        read(tmp_path, "bureaus", b"bureau_code,name_ja,name_en\nB1,a,b\nB2,c,d,e\n")
    assert exc.value.messages == [
        "bureaus.csv: row 3 has 4 cells but the header has 3 columns (a stray comma, or an "
        "unquoted comma inside a value?)"]


def test_cp932_is_detected(tmp_path):
    f = read(tmp_path, "bureaus", "bureau_code,name_ja,name_en\nB1,髙①,x\n".encode("cp932"))
    assert f.encoding == "cp932"
    assert f.frame["name_ja"].to_list() == ["髙①"]
