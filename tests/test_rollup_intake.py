"""The roll-up's door (issue 28): every pack is untrusted input. Each case of the issue's table,
made as a hostile or careless sender would — one edit to a valid pack, then every sha256 in
publication.json recomputed — and run through ``python -m pipelines rollup --out gov.duckdb
PACK OTHER_PACK``: refused (exit 1) with the pack named, no traceback, the previous roll-up
byte-identical, and a symlink target's content never printed. Also the zip intake helper, the
limits' settings and the one intake entry point (``release.intake.check_pack``)."""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import time
import zipfile
from pathlib import Path

import polars as pl
import pytest

from pipelines.__main__ import main
from pipelines.settings import PackLimits, SettingsError, pack_limits
from release import intake

HOSTILE = ("悪意省 [今すぐ確認](http://phish.example/phish) "
           "![x](http://beacon.example/beacon.png)")
SECRET = "TOP-SECRET-FIRST-LINE do not print"


@pytest.fixture(scope="module")
def packs(rollup_packs: list[Path]) -> dict[str, Path]:
    """The two valid packs the session's roll-up is made from (conftest ``rollup_packs``)."""
    return {p.name.removeprefix("pack-"): p for p in rollup_packs}


def rehash(pack: Path) -> None:
    """What a sender can always do after an edit: recompute every sha256 of ``files`` (and list
    every file of the folder)."""
    p = pack / "publication.json"
    meta = json.loads(p.read_text(encoding="utf-8"))
    files = {}
    for f in sorted(pack.iterdir()):
        if f.name in ("publication.json", "publication.sig") or not f.is_file() \
                or f.is_symlink():
            continue
        files[f.name] = hashlib.sha256(f.read_bytes()).hexdigest()
    if isinstance(meta.get("files"), dict):
        files = {k: v for k, v in files.items() if k in meta["files"]}
    meta["files"] = files
    p.write_text(json.dumps(meta, ensure_ascii=False, indent=2), encoding="utf-8")


def edit_meta(pack: Path, **changes: object) -> None:
    p = pack / "publication.json"
    meta = json.loads(p.read_text(encoding="utf-8"))
    for key, value in changes.items():
        if key.startswith("org_"):
            meta["organisation"][key[4:]] = value
        else:
            meta[key] = value
    p.write_text(json.dumps(meta, ensure_ascii=False), encoding="utf-8")


def edit_csv(pack: Path, name: str, row: int, column: str, value: str) -> None:
    """Set one cell of a pack's CSV (row in spreadsheet numbering), keeping its form."""
    p = pack / name
    frame = pl.read_csv(p, infer_schema=False)
    frame = frame.rename({frame.columns[0]: "organisation"})
    frame = frame.with_columns(pl.when(pl.int_range(pl.len()) == row - 2).then(pl.lit(value))
                               .otherwise(pl.col(column)).alias(column))
    p.write_bytes(b"\xef\xbb\xbf" + frame.write_csv(line_terminator="\r\n").encode("utf-8"))


def free_value_row(pack: Path) -> tuple[int, str]:
    frame = pl.read_csv(pack / "kpi.csv", infer_schema=False).with_row_index("r", 2)
    row = frame.filter(pl.col("value").is_not_null() & (pl.col("value") != "[c]")
                       & ~pl.col("metric").str.ends_with("_rate")).row(0, named=True)
    return row["r"], str(int(float(row["value"])) + 7)


def symlink_pace(pack: Path) -> None:
    secret = pack.parent / "server-secret.txt"
    secret.write_text(SECRET + "\nsecond line\n", encoding="utf-8")
    (pack / "kpi_pace.csv").unlink()
    (pack / "kpi_pace.csv").symlink_to(secret)


def huge_kpi(pack: Path, rows: int = 2_000_000) -> None:
    """kpi.csv of ``rows`` well-formed rows (invented bureaus)."""
    head = (pack / "kpi.csv").read_bytes().split(b"\n", 1)[0] + b"\n"
    line = "XYZ,digital_hires,2020,B{0:07d},局{0},Bureau {0},1,1,,,,,no_target,\r\n"
    with open(pack / "kpi.csv", "wb") as f:
        f.write(head)
        block = 100_000
        for start in range(0, rows, block):
            f.write("".join(line.format(i) for i in range(start, start + block))
                    .encode("utf-8"))


# edit (on XYZ's pack; hashes recomputed after it) → what the refusal says
CASES = {
    "markdown name": (lambda p: edit_meta(p, org_name_ja=HOSTILE),
                      "publication_meta.organisation_name_ja"),
    "name a number": (lambda p: edit_meta(p, org_name_ja=12345),
                      "organisation.name_ja: not text (JSON int)"),
    "name a list": (lambda p: edit_meta(p, org_name_en=["a", "b"]),
                    "organisation.name_en: not text (JSON list)"),
    "name 5,000 characters": (lambda p: edit_meta(p, org_name_ja="長" * 5000),
                              "organisation.name_ja: 5,000 characters, more than 120"),
    "name with an escape sequence": (lambda p: edit_meta(p, org_name_en="X\x1b[2J"),
                                     "organisation.name_en: contains a control character"),
    "fiscal_year -5": (lambda p: edit_csv(p, "kpi.csv", 3, "fiscal_year", "-5"),
                       "kpi.csv: column fiscal_year: outside FY2001–FY"),
    "fiscal_year 2147483647": (lambda p: edit_csv(p, "kpi.csv", 3, "fiscal_year",
                                                  "2147483647"),
                               "kpi.csv: column fiscal_year: outside FY2001–FY"),
    "as-of 1900": (lambda p: edit_meta(p, as_of_date="1900-01-01"),
                   "as_of_date 1900-01-01 is before FY2001"),
    "as-of in the future": (lambda p: edit_meta(p, as_of_date="2999-04-01"),
                            "is in the future"),
    "rounding_base true": (lambda p: edit_meta(p, rounding_base=True),
                           "rounding_base must be the integer 1"),
    "threshold 5.0": (lambda p: edit_meta(p, threshold=5.0),
                      "threshold: must be a JSON integer"),
    "unknown key": (lambda p: edit_meta(p, note="hi"), "unexpected key(s) 'note'"),
    "free value changed": (lambda p: edit_csv(p, "kpi.csv", *_at(free_value_row(p))),
                           "public.duckdb says"),
    "pace dropped from files": (lambda p: _drop_listed(p, "kpi_pace.csv"),
                                "kpi_pace.csv: not listed in publication.json's files"),
    "pace a symlink": (symlink_pace, "kpi_pace.csv: a symbolic link"),
    "2,000,000-row kpi.csv": (huge_kpi, "over the limit of"),
    "required file missing": (lambda p: (p / "public.duckdb").unlink(), "no public.duckdb"),
    "a fifo": (lambda p: os.mkfifo(p / "extra"), "extra: not a regular file"),
}


def _at(found: tuple[int, str]) -> tuple[int, str, str]:
    return found[0], "value", found[1]


def _drop_listed(pack: Path, name: str) -> None:
    p = pack / "publication.json"
    meta = json.loads(p.read_text(encoding="utf-8"))
    del meta["files"][name]
    p.write_text(json.dumps(meta), encoding="utf-8")


@pytest.mark.parametrize("case", list(CASES))
def test_each_case_of_the_table_is_refused(case, packs, rollup_file, tmp_path, capsys):
    copies = {c: Path(shutil.copytree(p, tmp_path / f"pack-{c}")) for c, p in packs.items()}
    out = tmp_path / "gov.duckdb"
    shutil.copy(rollup_file, out)
    before = out.read_bytes()
    change, message = CASES[case]
    change(copies["XYZ"])
    if case not in ("pace dropped from files",):
        rehash(copies["XYZ"])
    started = time.perf_counter()
    assert main(["rollup", "--out", str(out), *map(str, copies.values())]) == 1
    secs = time.perf_counter() - started
    err = capsys.readouterr().err
    assert "Roll-up rejected" in err and message in err, err
    assert str(copies["XYZ"]) in err  # the pack named
    assert str(copies["MOE"]) not in err  # the valid pack is not blamed
    assert "Traceback" not in err
    assert SECRET not in err and "second line" not in err
    assert "\x1b" not in err
    assert out.read_bytes() == before
    assert not list(tmp_path.glob(".gov.duckdb.*"))
    if case.startswith("2,000,000"):
        assert secs < 2.0, secs  # refused from stat, not parsed


def test_the_valid_packs_still_pass(packs):
    for code, p in packs.items():
        pack = intake.check_pack(p)
        assert pack.code == code and pack.kpi.height > 0


def test_a_view_in_public_duckdb_reads_no_other_file(packs, tmp_path):
    """public.duckdb is read by one locked DuckDB of the process that may open files only in
    its private folder, one pack's copy at a time: a view stored in the file that reads
    another file (here a CSV beside the pack, then another pack's public.duckdb) refuses the
    pack, the file's content never shown; the next pack is read as before."""
    import duckdb

    secret = tmp_path / "secret.csv"
    secret.write_text(f"a\n{SECRET}\n", encoding="utf-8")
    for target in (f"read_csv('{secret}')",
                   f"read_blob('{packs['MOE'] / 'public.duckdb'}')"):
        pack = Path(shutil.copytree(packs["XYZ"], tmp_path / f"p{len(target)}"))
        with duckdb.connect(str(pack / "public.duckdb")) as con:
            con.execute("DROP TABLE pub_kpi")
            con.execute(f"CREATE VIEW pub_kpi AS SELECT * FROM {target}")
        rehash(pack)
        with pytest.raises(intake.Rejected) as exc:
            intake.check_pack(pack)
        text = "\n".join(exc.value.messages)
        assert "public.duckdb: not a public-edition file" in text, text
        assert SECRET not in text
    assert intake.check_pack(packs["MOE"]).code == "MOE"
    assert intake.check_pack(packs["XYZ"]).code == "XYZ"


def test_a_pack_published_with_a_markdown_name_is_accepted_as_data(packs, tmp_path):
    """A name that is Markdown is still a name (1–120 characters, no control character): a
    pack that says it in every file is accepted; the pages show it as text
    (test_rollup_edition / test_browser_rollup)."""
    from release import publication
    from release.organisation import Organisation

    wh = packs["XYZ"].parent / "XYZ.duckdb"
    pack = publication.write_pack(wh, tmp_path / "p", 5,
                                  Organisation("XYZ", HOSTILE, HOSTILE)).out_dir
    assert intake.check_pack(pack).name_ja == HOSTILE


def test_an_xlsx_that_disagrees_is_refused_with_the_cell(packs, tmp_path):
    from release import xlsx

    pack = Path(shutil.copytree(packs["XYZ"], tmp_path / "p"))
    row, value = free_value_row(pack)
    kpi = pl.read_csv(pack / "kpi.csv", infer_schema=False)
    kpi = kpi.rename({kpi.columns[0]: "organisation"})
    pace = pl.read_csv(pack / "kpi_pace.csv", infer_schema=False)
    pace = pace.rename({pace.columns[0]: "organisation"})
    meta = json.loads((pack / "publication.json").read_text(encoding="utf-8"))
    about = [("organisation", "XYZ"), ("organisation_name_ja", meta["organisation"]["name_ja"]),
             ("organisation_name_en", meta["organisation"]["name_en"]),
             ("method", meta["method"]), ("threshold", str(meta["threshold"])),
             ("rounding_base", "1"), ("max_perturbation", "0"), ("run_id", meta["run_id"]),
             ("as_of_date", meta["as_of_date"])]
    numeric = {"kpi": ("value", "numerator", "denominator", "target_min", "target_max")}
    good = xlsx.to_workbook({"kpi": kpi, "kpi_pace": pace}, about, numeric=numeric)
    (pack / "publication.xlsx").write_bytes(good)
    rehash(pack)
    intake.check_pack(pack)  # the same story, written again: accepted
    bad = kpi.with_columns(pl.when(pl.int_range(pl.len()) == row - 2).then(pl.lit(value))
                           .otherwise(pl.col("value")).alias("value"))
    (pack / "publication.xlsx").write_bytes(xlsx.to_workbook(
        {"kpi": bad, "kpi_pace": pace}, about, numeric=numeric))
    rehash(pack)
    with pytest.raises(intake.Rejected) as exc:
        intake.check_pack(pack)
    assert f"sheet kpi, row {row}, column value" in exc.value.messages[0], exc.value.messages


def test_limits_come_from_one_settings_place(monkeypatch, packs):
    assert pack_limits() == PackLimits()
    monkeypatch.setenv("DTP_PACK_MAX_ROWS", "100")
    with pytest.raises(intake.Rejected) as exc:
        intake.check_pack(packs["MOE"])
    assert "over the limit of 100 rows per table (DTP_PACK_MAX_ROWS)" in exc.value.messages[0]
    monkeypatch.setenv("DTP_PACK_MAX_ROWS", "many")
    with pytest.raises(SettingsError, match="DTP_PACK_MAX_ROWS"):
        pack_limits()


# --- the zip intake (the inbox's uploads) -----------------------------------------------------

def _zip(path: Path, members: dict[str, bytes], links: dict[str, str] | None = None) -> Path:
    with zipfile.ZipFile(path, "w") as z:
        for name, data in members.items():
            z.writestr(name, data)
        for name, target in (links or {}).items():
            info = zipfile.ZipInfo(name)
            info.external_attr = (0o120777 << 16)
            z.writestr(info, target)
    return path


def test_unpack_zip_accepts_a_pack_and_check_pack_passes(packs, tmp_path):
    members = {f"pack-XYZ/{f.name}": f.read_bytes() for f in packs["XYZ"].iterdir()}
    dest = intake.unpack_zip(_zip(tmp_path / "u.zip", members), tmp_path / "in")
    assert intake.check_pack(dest).code == "XYZ"
    assert sorted(p.name for p in dest.iterdir()) == sorted(p.name for p in
                                                            packs["XYZ"].iterdir())


@pytest.mark.parametrize(("members", "links", "message"), [
    ({"../evil.csv": b"x"}, None, "a path with .."),
    ({"/etc/evil.csv": b"x"}, None, "an absolute path"),
    ({"kpi.csv": b"x"}, {"kpi_pace.csv": "/etc/passwd"}, "a symbolic link"),
    ({"a/b/kpi.csv": b"x", "c.csv": b"y"}, None, "sub-folder"),
])
def test_unpack_zip_refuses_paths_and_links(tmp_path, members, links, message):
    with pytest.raises(intake.Rejected) as exc:
        intake.unpack_zip(_zip(tmp_path / "u.zip", members, links), tmp_path / "in")
    assert message in " ".join(exc.value.messages)
    assert not (tmp_path / "in").exists()
    assert not (tmp_path.parent / "evil.csv").exists()


def test_unpack_zip_refuses_a_bomb_from_its_directory(tmp_path):
    path = tmp_path / "bomb.zip"
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED) as z:
        z.writestr("kpi.csv", b"0" * (3 << 20))
    limits = PackLimits(max_file_bytes=1 << 20)
    with pytest.raises(intake.Rejected, match="over the limit"):
        intake.unpack_zip(path, tmp_path / "in", limits=limits)
    assert not (tmp_path / "in").exists()
