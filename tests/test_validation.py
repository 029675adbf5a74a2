"""Every category of contract violation is refused: exit code 1, one clear line per failed rule
naming the file, the column and (for row-level rules) the spreadsheet row — header = row 1,
first data row = row 2 — and the warehouse built before stays byte-for-byte as it was, with no
stray file beside it.

Each case starts from the valid hand-made data set (tests/dataset.py), breaks one thing, and
lists the exact lines expected: also a check that one mistake is reported once, not echoed by
other rules. Builds run in-process: Great Expectations takes ~1-2 s per build.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import duckdb
import pytest
from conftest import dataset

from pipelines.__main__ import main

ROOT = Path(__file__).resolve().parents[1]
GRADES = "must be one of staff, chief, deputy_director, director, executive"
METRICS = ("must be one of digital_hires, new_hire_a_level_rate, new_hire_security_rate, "
           "training_participants, ipa_certified_staff, ipa_passes, …")
ROUND = "must be between 1 and 4"
DRILL = ("all rows of a drill_id must share fiscal_year, round and sent_on (these rows differ "
         "from the drill's other rows)")
IN_ROSTER = "must appear in roster.csv (in some fiscal year)"


@pytest.fixture(autouse=True)
def wide_console(monkeypatch):
    """rich wraps long lines at the terminal width (80 when not a terminal); compare whole
    lines. (test_messages_are_one_line_each checks the default width.)"""
    monkeypatch.setenv("COLUMNS", "1000")


@pytest.fixture(scope="module")
def good_warehouse(tmp_path_factory: pytest.TempPathFactory) -> Path:
    tmp = tmp_path_factory.mktemp("good")
    raw = dataset.write(dataset.base(), tmp / "raw")
    wh = tmp / "warehouse.duckdb"
    assert main(["build", "--raw", str(raw), "--warehouse", str(wh)]) == 0
    return wh


@pytest.fixture
def warehouse(tmp_path: Path, good_warehouse: Path) -> Path:
    """A copy of the good warehouse in a folder of its own."""
    folder = tmp_path / "warehouse"
    folder.mkdir()
    return Path(shutil.copy2(good_warehouse, folder / "warehouse.duckdb"))


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def refused(raw: Path, wh: Path, capsys: pytest.CaptureFixture) -> list[str]:
    """Build ``raw`` over ``wh``; assert it is refused with nothing lost; return the message
    lines (without their indentation)."""
    before, listing = sha256(wh), sorted(os.listdir(wh.parent))
    capsys.readouterr()
    code = main(["build", "--raw", str(raw), "--warehouse", str(wh)])
    out, err = capsys.readouterr()
    assert code == 1, err
    assert sha256(wh) == before, "the warehouse was changed"
    assert sorted(os.listdir(wh.parent)) == listing, "stray files beside the warehouse"
    assert "Traceback" not in err
    lines = err.splitlines()
    assert lines[0] == f"Input rejected — the warehouse was not changed ({wh}).", err
    assert all(line.startswith("  ") for line in lines[1:]), err
    return [line.strip() for line in lines[1:]]


def write(tmp: Path, edit: Callable[[dict], object] | None = None) -> Path:
    data = dataset.base()
    if edit is not None:
        edit(data)
    return dataset.write(data, tmp / "raw")


def cell(file: str, index: int, column: str, value: str) -> Callable[[dict], None]:
    """Set one cell; ``index`` is the row's index in dataset.base() (spreadsheet row index+2)."""
    def edit(data: dict) -> None:
        data[file][index][column] = value
    return edit


def edits(*fns: Callable[[dict], object]) -> Callable[[dict], None]:
    def edit(data: dict) -> None:
        for fn in fns:
            fn(data)
    return edit


# --- problems with a file as a whole (refused before any row is checked) ----------------------

def test_missing_file(tmp_path, warehouse, capsys):
    raw = write(tmp_path)
    (raw / "roster.csv").unlink()
    assert refused(raw, warehouse, capsys) == [f"roster.csv: file not found in {raw}"]


def test_missing_published_is_fine(tmp_path, warehouse, capsys):
    """published.csv is the one optional file."""
    raw = write(tmp_path)
    (raw / "published.csv").unlink()
    assert main(["build", "--raw", str(raw), "--warehouse", str(warehouse)]) == 0


@pytest.mark.parametrize(("file", "header", "expected"), [
    ("exams.csv", "exam_code,name_ja,name_en",
     ["exams.csv: missing column(s): itss_level"]),
    ("bureaus.csv", "bureau_code,name_ja,name_en,remarks",
     ["bureaus.csv: unexpected column(s): 'remarks' (expected exactly: bureau_code, name_ja, "
      "name_en)"]),
    ("exams.csv", "exam_code,name_ja,name_en,itss_levl",
     ["exams.csv: missing column(s): itss_level",
      "exams.csv: unexpected column(s): 'itss_levl' (expected exactly: exam_code, name_ja, "
      "name_en, itss_level)"]),
    ("bureaus.csv", "bureau_code,name_ja,name_en,name_ja",
     ["bureaus.csv: duplicated column(s): name_ja"]),
], ids=["missing", "extra", "misspelt", "duplicated"])
def test_wrong_columns(tmp_path, warehouse, capsys, file, header, expected):
    raw = write(tmp_path)
    path = raw / file
    lines = path.read_text("utf-8").splitlines()
    if header.count(",") > lines[0].count(","):  # one more column: give every row a cell
        lines = [lines[0]] + [row + "," for row in lines[1:]]
    elif header.count(",") < lines[0].count(","):  # drop the last column of every row
        lines = [row.rsplit(",", 1)[0] for row in lines]
    path.write_text("\n".join([header, *lines[1:]]) + "\n", "utf-8")
    assert refused(raw, warehouse, capsys) == expected


def test_empty_file(tmp_path, warehouse, capsys):
    raw = write(tmp_path)
    (raw / "courses.csv").write_bytes(b"")
    assert refused(raw, warehouse, capsys) == [
        "courses.csv: the file is empty (expected a header row: course_code, name_ja, name_en, "
        "provider, category, level)"]


@pytest.mark.parametrize(("encoding", "bad", "expected"), [
    ("utf-8", b"\x81\x7f", "bad bytes on line 3 (81 7f 2c 53)"),
    ("utf-8", b"\xff\xfe\xfd", "bad bytes on line 3 (ff fe fd 2c)"),
    ("cp932", b"\x81\x7f", "bad bytes on line 3 (81 7f 2c 53)"),
    ("cp932", b"\xff\xfe\xfd", "bad bytes on line 3 (ff fe fd 2c)"),
])
def test_undecodable_bytes(tmp_path, warehouse, capsys, encoding, bad, expected):
    """Bytes that are neither UTF-8 nor CP932, in a file that is otherwise UTF-8 or CP932
    (Python's cp932 codec maps 0xFD-0xFF to private-use characters: still refused)."""
    raw = dataset.write(dataset.base(), tmp_path / "raw", encoding=encoding)
    path = raw / "bureaus.csv"
    path.write_bytes(path.read_bytes().replace("第二局".encode(encoding), bad))
    assert refused(raw, warehouse, capsys) == [
        f"bureaus.csv: cannot decode the file (neither UTF-8 nor CP932): {expected}"]


def test_utf16_is_named(tmp_path, warehouse, capsys):
    raw = write(tmp_path)
    path = raw / "bureaus.csv"
    path.write_bytes(path.read_text("utf-8").encode("utf-16"))
    assert refused(raw, warehouse, capsys) == [
        "bureaus.csv: cannot decode the file: it is UTF-16 (Excel's \"Unicode text\"); save it "
        "as CSV in UTF-8 or CP932 (Shift_JIS)"]


def test_file_problems_of_several_files_are_all_reported(tmp_path, warehouse, capsys):
    raw = write(tmp_path)
    (raw / "roster.csv").unlink()
    (raw / "courses.csv").write_bytes(b"")
    path = raw / "exams.csv"
    path.write_bytes(path.read_bytes().replace(b"itss_level", b"level"))
    lines = refused(raw, warehouse, capsys)
    assert [line.split(":")[0] for line in lines] == ["courses.csv", "exams.csv", "exams.csv",
                                                      "roster.csv"]


# --- rules on cells, rows and across files (Great Expectations) -------------------------------

def drop_roster(employee: str, fy: str) -> Callable[[dict], None]:
    def edit(data: dict) -> None:
        data["roster"] = [r for r in data["roster"]
                          if (r["employee_id"], r["fiscal_year"]) != (employee, fy)]
    return edit


def append(file: str, index: int, **changes: str) -> Callable[[dict], None]:
    """Append a copy of a row (as the file's last row), with changes."""
    def edit(data: dict) -> None:
        data[file].append({**data[file][index], **changes})
    return edit


CASES = [
    # required
    pytest.param(cell("roster", 1, "grade", ""),
                 ["roster.csv: grade: is required (empty cell) — 1 row, e.g. row 3"],
                 id="required-str"),
    pytest.param(cell("roster", 1, "fiscal_year", ""),
                 ["roster.csv: fiscal_year: is required (empty cell) — 1 row, e.g. row 3"],
                 id="required-int"),
    # types
    pytest.param(cell("roster", 1, "fiscal_year", "20x0"),
                 ["roster.csv: fiscal_year: must be a whole number — 1 row, e.g. row 3 "
                  "(value '20x0')"], id="bad-int"),
    pytest.param(cell("hiring", 0, "hire_date", "2021-02-30"),
                 ["hiring.csv: hire_date: must be a date written YYYY-MM-DD — 1 row, e.g. "
                  "row 2 (value '2021-02-30')"], id="bad-date-feb30"),
    pytest.param(cell("hiring", 1, "hire_date", "2021/04/01"),
                 ["hiring.csv: hire_date: must be a date written YYYY-MM-DD — 1 row, e.g. "
                  "row 3 (value '2021/04/01')"], id="bad-date-slashes"),
    pytest.param(cell("training", 0, "completed_on", "2021/03/31"),
                 ["training.csv: completed_on: must be a date written YYYY-MM-DD — 1 row, e.g. "
                  "row 2 (value '2021/03/31')"], id="bad-date-optional"),
    pytest.param(cell("units", 0, "security_post", "yes"),
                 ["units.csv: security_post: must be true or false (or 1/0) — 1 row, e.g. "
                  "row 2 (value 'yes')"], id="bad-bool"),
    pytest.param(cell("published", 0, "value", "n/a"),
                 ["published.csv: value: must be a number — 1 row, e.g. row 2 (value 'n/a')"],
                 id="bad-float"),
    # enums are case-sensitive
    pytest.param(cell("roster", 1, "grade", "Staff"),
                 [f"roster.csv: grade: {GRADES} — 1 row, e.g. row 3 (value 'Staff')"],
                 id="enum-case"),
    pytest.param(cell("training", 0, "status", "Completed"),
                 ["training.csv: status: must be one of completed, incomplete — 1 row, e.g. "
                  "row 2 (value 'Completed')"], id="enum-status"),
    pytest.param(cell("courses", 3, "level", "A"),
                 ["courses.csv: level: must be A–D when category is unified_it, and empty "
                  "otherwise — 1 row, e.g. row 5 (category=it_seminar, level=A)"],
                 id="level-outside-unified-it"),
    # keys
    pytest.param(append("exams", 0),
                 ["exams.csv: exam_code: must be unique — 2 rows, e.g. rows 2, 4 "
                  "(values 'IP', 'IP')"], id="duplicate-key"),
    pytest.param(append("roster", 0, unit_code=""),
                 ["roster.csv: employee_id: (fiscal_year, employee_id) must be unique — 2 rows, "
                  "e.g. rows 2, 11 (fiscal_year=2020, employee_id=E1; fiscal_year=2020, "
                  "employee_id=E1)"], id="duplicate-compound-key"),
    # ranges
    pytest.param(cell("phishing_drills", 1, "round", "5"),  # not also "differs from D1"
                 [f"phishing_drills.csv: round: {ROUND} — 1 row, e.g. row 3 (value '5')"],
                 id="round-5"),
    pytest.param(cell("exams", 0, "itss_level", "0"),
                 [f"exams.csv: itss_level: {ROUND} — 1 row, e.g. row 2 (value '0')"],
                 id="itss-level-0"),
    # fiscal-year consistency (FY N = April 1 of N .. March 31 of N+1)
    pytest.param(cell("hiring", 0, "hire_fiscal_year", "2021"),
                 ["hiring.csv: hire_fiscal_year: must equal the fiscal year of hire_date "
                  "(April 1 – March 31) — 1 row, e.g. row 2 (hire_date=2021-03-31, "
                  "hire_fiscal_year=2021)"], id="hire-fy-march-31"),
    pytest.param(cell("hiring", 1, "hire_fiscal_year", "2020"),
                 ["hiring.csv: hire_fiscal_year: must equal the fiscal year of hire_date "
                  "(April 1 – March 31) — 1 row, e.g. row 3 (hire_date=2021-04-01, "
                  "hire_fiscal_year=2020)"], id="hire-fy-april-1"),
    pytest.param(cell("training", 0, "completed_on", "2021-04-01"),
                 ["training.csv: completed_on: must fall in the row's fiscal_year (April 1 – "
                  "March 31) — 1 row, e.g. row 2 (fiscal_year=2020, completed_on=2021-04-01)"],
                 id="completed-after-fy"),
    pytest.param(cell("training", 0, "completed_on", ""),
                 ["training.csv: completed_on: must be given when status is completed, and "
                  "empty otherwise — 1 row, e.g. row 2 (status=completed, completed_on=(empty))"],
                 id="completed-without-date"),
    pytest.param(cell("training", 5, "completed_on", "2021-05-01"),
                 ["training.csv: completed_on: must be given when status is completed, and "
                  "empty otherwise — 1 row, e.g. row 7 (status=incomplete, "
                  "completed_on=2021-05-01)"], id="incomplete-with-date"),
    pytest.param(cell("phishing_drills", 3, "sent_on", "2021-06-02"),
                 [f"phishing_drills.csv: drill_id: {DRILL} — 1 row, e.g. row 5 (drill_id=D2, "
                  "fiscal_year=2021, round=1, sent_on=2021-06-02)"], id="drill-sent-on-differs"),
    pytest.param(cell("phishing_drills", 1, "sent_on", "2021-04-01"),  # not also "differs"
                 ["phishing_drills.csv: fiscal_year: must equal the fiscal year of sent_on "
                  "(April 1 – March 31) — 1 row, e.g. row 3 (fiscal_year=2020, "
                  "sent_on=2021-04-01)"], id="drill-fy-of-sent-on"),
    pytest.param(cell("roster", 0, "hire_fiscal_year", "2021"),
                 ["roster.csv: hire_fiscal_year: must not be after fiscal_year — 1 row, e.g. "
                  "row 2 (fiscal_year=2020, hire_fiscal_year=2021)"], id="roster-hired-later"),
    # units belong to the row's bureau
    pytest.param(cell("roster", 0, "unit_code", "U2"),
                 ["roster.csv: unit_code: must be a unit of the row's bureau_code (see "
                  "units.csv) — 1 row, e.g. row 2 (unit_code=U2, bureau_code=B1)"],
                 id="roster-unit-of-other-bureau"),
    # references to the reference tables (an unknown bureau is not also a unit mismatch)
    pytest.param(cell("roster", 0, "bureau_code", "B9"),
                 ["roster.csv: bureau_code: must be listed in bureaus.csv — 1 row, e.g. row 2 "
                  "(value 'B9')"], id="unknown-bureau-roster"),
    pytest.param(cell("units", 0, "bureau_code", "b1"),
                 ["units.csv: bureau_code: must be listed in bureaus.csv — 1 row, e.g. row 2 "
                  "(value 'b1')"], id="unknown-bureau-units"),
    pytest.param(cell("roster", 0, "unit_code", "U9"),
                 ["roster.csv: unit_code: must be listed in units.csv — 1 row, e.g. row 2 "
                  "(value 'U9')"], id="unknown-unit"),
    pytest.param(cell("training", 0, "course_code", "ua"),
                 ["training.csv: course_code: must be listed in courses.csv — 1 row, e.g. "
                  "row 2 (value 'ua')"], id="unknown-course"),
    pytest.param(cell("certification", 1, "exam_code", "XX"),
                 ["certification.csv: exam_code: must be listed in exams.csv — 1 row, e.g. "
                  "row 3 (value 'XX')"], id="unknown-exam"),
    # plan targets and metric codes
    pytest.param(append("plan_targets", 0, fy_from="2030", fy_to="2031"),
                 ["plan_targets.csv: metric: must have at most one target per metric and FY "
                  "(the FY spans of these rows overlap) — 2 rows, e.g. rows 2, 7 "
                  "(metric=digital_hires, fy_from=2016, fy_to=2030; metric=digital_hires, "
                  "fy_from=2030, fy_to=2031)"], id="overlapping-targets"),
    pytest.param(cell("plan_targets", 0, "metric", "digital_hire"),
                 [f"plan_targets.csv: metric: {METRICS} — 1 row, e.g. row 2 "
                  "(value 'digital_hire')"], id="unknown-metric-plan-targets"),
    pytest.param(cell("published", 0, "metric", "Digital_hires"),
                 [f"published.csv: metric: {METRICS} — 1 row, e.g. row 2 "
                  "(value 'Digital_hires')"], id="unknown-metric-published"),
    pytest.param(cell("plan_targets", 0, "target_min", "3"),
                 ["plan_targets.csv: target_min: must hold what the kind needs (range: "
                  "target_min ≤ target_max; min: target_min; max: target_max) — 1 row, e.g. "
                  "row 2 (kind=range, target_min=3, target_max=2)"], id="range-min-over-max"),
    pytest.param(cell("plan_targets", 1, "target_min", ""),
                 ["plan_targets.csv: target_min: must hold what the kind needs (range: "
                  "target_min ≤ target_max; min: target_min; max: target_max) — 1 row, e.g. "
                  "row 3 (kind=min, target_min=(empty), target_max=(empty))"],
                 id="min-without-target-min"),
    pytest.param(cell("plan_targets", 2, "fy_to", "2015"),
                 ["plan_targets.csv: fy_to: must not be before fy_from — 1 row, e.g. row 4 "
                  "(fy_from=2016, fy_to=2015)"], id="fy-to-before-fy-from"),
    # people in the fact tables are on the roster
    pytest.param(cell("training", 2, "employee_id", "E9"),
                 [f"training.csv: employee_id: {IN_ROSTER} — 1 row, e.g. row 4 (value 'E9')"],
                 id="training-not-on-roster"),
    pytest.param(cell("certification", 0, "employee_id", "e1"),
                 [f"certification.csv: employee_id: {IN_ROSTER} — 1 row, e.g. row 2 "
                  "(value 'e1')"], id="certification-not-on-roster"),
    pytest.param(cell("phishing_drills", 4, "employee_id", "E6"),
                 [f"phishing_drills.csv: employee_id: {IN_ROSTER} — 1 row, e.g. row 6 "
                  "(value 'E6')"], id="drill-not-on-roster"),
    pytest.param(drop_roster("E5", "2020"),
                 ["hiring.csv: employee_id: must appear in roster.csv in the fiscal year of "
                  "hire_date — 1 row, e.g. row 2 (employee_id=E5, hire_date=2021-03-31)"],
                 id="hire-not-on-roster-in-hire-fy"),
]


@pytest.mark.parametrize(("edit", "expected"), CASES)
def test_contract_violation(tmp_path, warehouse, capsys, edit, expected):
    assert refused(write(tmp_path, edit), warehouse, capsys) == expected


def test_several_errors_are_all_reported(tmp_path, warehouse, capsys):
    def edit(data: dict) -> None:
        for i, grade in enumerate(["Staff", "intern", "Chief", "boss"], start=1):
            data["roster"][i]["grade"] = grade
        data["exams"][0]["itss_level"] = "9"
        data["hiring"][0]["hire_date"] = "2021/03/31"
        data["training"][0]["employee_id"] = "E9"
        data["training"][3]["employee_id"] = "E9"

    assert refused(write(tmp_path, edit), warehouse, capsys) == [
        f"exams.csv: itss_level: {ROUND} — 1 row, e.g. row 2 (value '9')",
        "hiring.csv: hire_date: must be a date written YYYY-MM-DD — 1 row, e.g. row 2 "
        "(value '2021/03/31')",
        f"roster.csv: grade: {GRADES} — 4 rows, e.g. rows 3, 4, 5 "
        "(values 'Staff', 'intern', 'Chief', …)",
        f"training.csv: employee_id: {IN_ROSTER} — 2 rows, e.g. rows 2, 5 (values 'E9', 'E9')",
    ]


def test_messages_are_one_line_each(tmp_path, warehouse, capsys, monkeypatch):
    """One line per failed rule even when stderr is not a terminal (rich's default width
    is 80 columns there): logs and CI output must not break a message in two."""
    monkeypatch.delenv("COLUMNS")
    raw = write(tmp_path, edits(cell("plan_targets", 0, "metric", "digital_hire"),
                                cell("roster", 1, "grade", "Staff")))
    before = sha256(warehouse)
    code = main(["build", "--raw", str(raw), "--warehouse", str(warehouse)])
    err = capsys.readouterr().err
    assert code == 1 and sha256(warehouse) == before
    lines = [line.strip() for line in err.splitlines()[1:]]
    assert lines == [f"plan_targets.csv: metric: {METRICS} — 1 row, e.g. row 2 "
                     "(value 'digital_hire')",
                     f"roster.csv: grade: {GRADES} — 1 row, e.g. row 3 (value 'Staff')"]


# --- what is not a failure ---------------------------------------------------------------------

def test_published_figure_that_disagrees_is_a_warning(tmp_path, warehouse, capsys):
    """published.csv differs from the computed kpi: the build succeeds (exit 0), prints a
    warning naming the metric and FY, and stores it in validation_results."""
    raw = write(tmp_path, cell("published", 0, "value", "5"))
    before = sha256(warehouse)
    capsys.readouterr()
    assert main(["build", "--raw", str(raw), "--warehouse", str(warehouse)]) == 0
    out = capsys.readouterr().out
    warning = ("published.csv: digital_hires FY2020: published 5 (plan §2) but the warehouse "
               "computes 1")
    assert f"  warning: {warning}" in out.splitlines()
    assert sha256(warehouse) != before  # replaced by the new build
    assert sorted(os.listdir(warehouse.parent)) == ["warehouse.duckdb"]
    with duckdb.connect(str(warehouse), read_only=True) as con:
        stored = con.sql("SELECT suite, severity, success, message FROM validation_results "
                         "WHERE severity = 'warning'").fetchall()
        errors = con.execute("SELECT count(*), count(*) FILTER (WHERE NOT success) "
                         "FROM validation_results WHERE severity = 'error'").fetchone()
    assert stored == [("published.csv", "warning", False, warning)]
    assert errors[0] > 100 and errors[1] == 0  # every rule's result is kept, all passed


def test_usage_error_exits_2(capsys):
    with pytest.raises(SystemExit) as exc:
        main(["build", "--bogus"])
    assert exc.value.code == 2
    assert "--bogus" in capsys.readouterr().err


def test_command_line_smoke(tmp_path, warehouse):
    """The real command: exit code 1, a message, no stack trace; the warehouse unchanged."""
    raw = write(tmp_path, cell("roster", 1, "grade", "Staff"))
    before = sha256(warehouse)
    env = {**os.environ, "COLUMNS": "1000"}
    proc = subprocess.run(
        [sys.executable, "-m", "pipelines", "build", "--raw", str(raw), "--warehouse",
         str(warehouse)], cwd=ROOT, capture_output=True, text=True, env=env, timeout=120)
    assert proc.returncode == 1, proc.stderr
    assert "Traceback" not in proc.stderr
    assert f"roster.csv: grade: {GRADES} — 1 row, e.g. row 3 (value 'Staff')" in proc.stderr
    assert sha256(warehouse) == before
    assert sorted(os.listdir(warehouse.parent)) == ["warehouse.duckdb"]
