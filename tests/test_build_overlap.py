"""The build's speed-ups of issue 10 change nothing a user sees (docs/PERFORMANCE.md).

- A large file is validated by GX a column at a time (``suites.SPLIT_ROWS``): every contract
  case of the validation suite gives the same lines when every file is split that way.
- The tables are built in a thread while GX validates: invalid input stops that thread (also
  inside a long statement) and leaves nothing behind; a failure of the tables with valid input
  is an error, never a silent success.
- The reader's UTF-8 fast path (Polars checks the bytes while parsing) reads exactly what the
  full path reads, and leaves CP932 and broken files to it.
"""

from __future__ import annotations

import hashlib
import os
import threading
from pathlib import Path

import duckdb
import pytest
from conftest import dataset
from test_validation import CASES, refused, write

from expectations import suites
from pipelines import sql
from pipelines.raw import InputError, read_all
from pipelines.warehouse import build


@pytest.fixture(autouse=True)
def wide_console(monkeypatch):
    monkeypatch.setenv("COLUMNS", "1000")


@pytest.fixture(scope="module")
def good(tmp_path_factory: pytest.TempPathFactory) -> Path:
    tmp = tmp_path_factory.mktemp("overlap")
    wh = tmp / "warehouse.duckdb"
    build(dataset.write(dataset.base(), tmp / "raw"), wh)
    return wh


@pytest.fixture
def warehouse(tmp_path: Path, good: Path) -> Path:
    folder = tmp_path / "warehouse"
    folder.mkdir()
    target = folder / "warehouse.duckdb"
    target.write_bytes(good.read_bytes())
    return target


def sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def tables_threads() -> list[threading.Thread]:
    return [t for t in threading.enumerate() if t.name == "build-tables"]


@pytest.mark.parametrize(("edit", "expected"), CASES)
def test_column_batches_report_the_same_lines(tmp_path, warehouse, capsys, monkeypatch, edit,
                                              expected):
    monkeypatch.setattr(suites, "SPLIT_ROWS", 0)  # every file a column at a time
    assert refused(write(tmp_path, edit), warehouse, capsys) == expected


def test_column_batches_group_rules_by_column(tmp_path):
    files = read_all(dataset.write(dataset.base(), tmp_path / "raw"))
    rules = suites.table_rules(files["roster"].table, files) + suites.derive(files)["roster"]
    assert suites._batches(rules, suites.SPLIT_ROWS) == [("", list(range(len(rules))))]
    split = suites._batches(rules, suites.SPLIT_ROWS + 1)
    assert sorted(i for _, pos in split for i in pos) == list(range(len(rules)))
    assert len(split) > 2
    for label, pos in split:
        columns = {rules[i].kwargs["column"] for i in pos}
        if label == " [flags]":
            assert all(c.startswith("__") for c in columns)
        else:
            assert columns == {label.strip(" []")}


def test_invalid_input_stops_a_long_statement_and_leaves_nothing(tmp_path, warehouse,
                                                                 monkeypatch):
    # the marts would run for hours: only an interrupt ends them
    monkeypatch.setattr(sql, "MARTS", "CREATE TABLE forever AS "
                                      "SELECT count(*) FROM range(1000000000000) a")
    data = dataset.base()
    data["roster"][1]["grade"] = "boss"
    raw = dataset.write(data, tmp_path / "raw")
    before, listing = sha(warehouse), sorted(os.listdir(warehouse.parent))
    outcome: list[BaseException] = []

    def run() -> None:
        try:
            build(raw, warehouse)
        except BaseException as exc:  # noqa: BLE001
            outcome.append(exc)

    runner = threading.Thread(target=run)
    runner.start()
    runner.join(120)
    assert not runner.is_alive(), "the build did not stop the tables' statement"
    assert len(outcome) == 1 and isinstance(outcome[0], InputError), outcome
    assert any("grade" in m for m in outcome[0].messages)
    assert not tables_threads()
    assert sha(warehouse) == before
    assert sorted(os.listdir(warehouse.parent)) == listing


def test_a_failure_of_the_tables_with_valid_input_is_raised(tmp_path, warehouse, monkeypatch):
    monkeypatch.setattr(sql, "MARTS", "CREATE TABLE broken AS SELECT * FROM no_such_table")
    raw = dataset.write(dataset.base(), tmp_path / "raw")
    before, listing = sha(warehouse), sorted(os.listdir(warehouse.parent))
    with pytest.raises(duckdb.CatalogException, match="no_such_table"):
        build(raw, warehouse)
    assert not tables_threads()
    assert sha(warehouse) == before
    assert sorted(os.listdir(warehouse.parent)) == listing


def test_valid_input_builds_with_the_tables_thread_gone(tmp_path, warehouse):
    res = build(dataset.write(dataset.base(), tmp_path / "raw"), warehouse)
    assert not tables_threads()
    names = [p["name"] for p in res.phases]
    assert names.index("stage") < names.index("marts") < names.index("kpi") < names.index("swap")
    with duckdb.connect(str(warehouse), read_only=True) as con:
        assert con.execute("SELECT count(*) FROM kpi").fetchone()[0] > 0


@pytest.mark.parametrize("variant", ["utf-8", "bom", "crlf", "bom+crlf", "blank-lines",
                                     "quoted-empty", "cp932", "ragged"])
def test_utf8_fast_path_reads_exactly_what_the_full_path_reads(tmp_path, monkeypatch, variant):
    """pipelines/raw.py lets Polars check UTF-8 while parsing (no decode in Python first):
    the frame, the encoding and any message are those of the full path."""
    from pipelines import raw as rawmod
    from pipelines.schema import TABLES

    folder = dataset.write(dataset.base(), tmp_path / "raw")
    path = folder / "roster.csv"
    text = path.read_bytes().decode("utf-8")
    if "crlf" in variant:
        text = text.replace("\n", "\r\n")
    if variant == "blank-lines":
        lines = text.split("\n")
        text = "\n".join(lines[:3] + ["", ",,,,,,,,"] + lines[3:])
    if variant == "quoted-empty":
        text = text.replace(",staff,", ',"",', 1)
    if variant == "ragged":
        text = text.replace(",staff,", ",staff,x,", 1)
    if variant == "cp932":  # (Excel's Japanese CSV; 髙 and ① are outside Shift_JIS)
        text = text.replace(",E1,", ",髙①E1,", 1)
    data = text.encode("cp932" if variant == "cp932" else "utf-8")
    if "bom" in variant:
        data = b"\xef\xbb\xbf" + data
    path.write_bytes(data)
    table = next(t for t in TABLES if t.name == "roster")

    def read() -> tuple[str, object]:
        try:
            f = rawmod.read_table(table, path)
        except InputError as exc:
            return "error", exc.messages
        return f.encoding, f.frame

    took_fast = rawmod._read_utf8(table, path, data) is not None
    assert took_fast == (variant not in ("cp932", "ragged"))
    fast = read()
    monkeypatch.setattr(rawmod, "_read_utf8", lambda *a: None)  # the full path only
    full = read()
    assert fast[0] == full[0]
    if fast[0] == "error":
        assert fast[1] == full[1]
    else:
        assert fast[1].equals(full[1])
    expected = {"bom": "utf-8-sig", "bom+crlf": "utf-8-sig", "cp932": "cp932",
                "ragged": "error"}.get(variant, "utf-8")
    assert fast[0] == expected
