"""The roll-up store (issue 24 item 2): ``rollup accept PACK_DIR --store DIR`` keeps each pack as
its organisation's partition for the month of its as-of date; ``rollup --store DIR --out FILE``
writes every month, the ``ALL`` rows per month from that month's packs, and the organisation-
months not sent.

Three organisations × three months, one organisation missing the middle month. The sample has
one as-of date, so each month's pack is a differently seeded sample of the organisation with
its as-of date moved into that month in every file that records it (``publication.json``,
``public.duckdb``, the XLSX's about sheet; their checksums recomputed: the pack tells one story,
as the intake requires)."""

from __future__ import annotations

import shutil
from pathlib import Path

import duckdb
import polars as pl
import pytest
from packs import move_as_of

from pipelines.__main__ import main
from pipelines.sample import generate
from pipelines.warehouse import build
from release import publication, rollup_store
from release.organisation import resolve

ORGS = {"MOE": 31, "XYZ": 32, "QRS": 33}
MONTHS = {"2026-09": "2026-09-30", "2026-10": "2026-10-31", "2026-11": "2026-11-20"}
SKIP = ("QRS", "2026-10")  # not sent
STAFF = 120


def _warehouse(root: Path, code: str, seed: int) -> Path:
    wh = root / f"{code}-{seed}.duckdb"
    if not wh.exists():
        raw = root / f"raw-{code}-{seed}"
        generate(raw, staff=STAFF, seed=seed, organisation=code)
        build(raw, wh)
    return wh


def _pack(root: Path, code: str, wh: Path, as_of: str, threshold: int = 5) -> dict:
    pack = publication.write_pack(wh, root / f"pack-{code}-{as_of}-{wh.stem}-{threshold}",
                                  threshold, resolve(code, None, None, None)).out_dir
    move_as_of(pack, as_of)  # in every file that records it: the pack tells one story
    return {"warehouse": wh, "pack": pack}


@pytest.fixture(scope="module")
def months(tmp_path_factory: pytest.TempPathFactory) -> dict[tuple[str, str], dict]:
    """(month, organisation) → its warehouse and pack."""
    root = tmp_path_factory.mktemp("months")
    out = {}
    for i, (month, as_of) in enumerate(MONTHS.items()):
        for code, seed in ORGS.items():
            if (code, month) != SKIP:  # (two data sets per organisation: fewer builds)
                wh = _warehouse(root, code, seed * 10 + (i == len(MONTHS) - 1))
                out[(month, code)] = _pack(root, code, wh, as_of)
    return out


@pytest.fixture(scope="module")
def store(months, tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("store") / "store"
    for (_, _), o in sorted(months.items()):
        assert main(["rollup", "accept", str(o["pack"]), "--store", str(path),
                     "--submitted-by", "tester@example.go.jp"]) == 0
    return path


@pytest.fixture(scope="module")
def rolled(store, tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("rolled") / "rollup.duckdb"
    assert main(["rollup", "--store", str(store), "--out", str(out)]) == 0
    return out


def q(path: Path, sql: str, **params: object) -> pl.DataFrame:
    with duckdb.connect(str(path), read_only=True) as con:
        return con.sql(sql, params=params or None).pl()


def test_each_pack_is_its_organisations_partition_of_its_month(months, store):
    recs = rollup_store.submissions(store)
    assert len(recs) == len(months) == 8
    for rec in recs:
        assert rec["stored"].startswith(f"month={rec['month']}/organisation={rec['organisation']}/")
        assert (store / rec["stored"] / "kpi.parquet").is_file()
        assert rec["submitted_by"] == "tester@example.go.jp" and rec["replaces"] is None
    assert rollup_store.missing(recs) == [("2026-10", "QRS")]


def test_every_month_in_the_file_and_the_missing_month_listed(months, rolled):
    assert q(rolled, "SELECT DISTINCT month FROM rollup_kpi ORDER BY 1")["month"].to_list() == \
        list(MONTHS)
    assert q(rolled, "SELECT month, organisation FROM rollup_missing").rows() == [SKIP[::-1]]
    m = q(rolled, "SELECT month, organisations, missing FROM rollup_months ORDER BY month")
    assert m.rows() == [("2026-09", 3, 0), ("2026-10", 2, 1), ("2026-11", 3, 0)]
    # not carried forward: QRS has no row in the month it did not send
    assert q(rolled, "SELECT count(*) FROM rollup_kpi WHERE organisation = 'QRS' "
                     "AND month = '2026-10'").item() == 0
    assert q(rolled, "SELECT count(*) FROM rollup_kpi_pace WHERE month = '2026-10' "
                     "AND organisation = 'QRS'").item() == 0
    assert set(q(rolled, "SELECT DISTINCT month FROM rollup_kpi_pace")["month"]) == set(MONTHS)
    assert q(rolled, "SELECT organisations, months FROM rollup_meta").row(0) == (3, 3)


def test_each_months_rows_are_that_months_packs(months, rolled):
    for (month, code), o in months.items():
        own = q(o["warehouse"], "SELECT metric, fiscal_year, bureau_code, numerator FROM kpi")
        mine = q(rolled, "SELECT metric, fiscal_year, bureau_code, numerator, flag FROM "
                         "rollup_kpi WHERE month = $m AND organisation = $o", m=month, o=code)
        assert mine.height == own.height
        j = mine.filter(pl.col("flag") == "F").join(
            own, on=["metric", "fiscal_year", "bureau_code"], nulls_equal=True)
        same = (j["numerator"] == j["numerator_right"]) | (
            j["numerator"].is_null() & j["numerator_right"].is_null())
        assert j.height > 0 and same.all(), (month, code)


def test_all_rows_per_month_are_the_sums_of_that_months_free_parts(rolled):
    k = q(rolled, "SELECT * FROM rollup_kpi WHERE bureau_code IS NULL")
    parts = k.filter(pl.col("organisation") != "ALL")
    total = k.filter(pl.col("organisation") == "ALL")
    sums = parts.group_by("month", "metric", "fiscal_year").agg(
        pl.len().alias("n"), (pl.col("flag") == "F").all().alias("all_free"),
        pl.col("value").sum().alias("s_value"), pl.col("numerator").sum().alias("s_num"),
        pl.col("denominator").sum().alias("s_den"))
    sent = dict(q(rolled, "SELECT month, organisations FROM rollup_months").rows())
    t = total.join(sums, on=["month", "metric", "fiscal_year"])
    assert t.height == total.height and set(t["month"]) == set(MONTHS)
    checked = 0
    for r in t.iter_rows(named=True):
        if r["all_free"] and r["n"] == sent[r["month"]]:
            assert r["flag"] == "F"
            if r["metric"].endswith("_rate"):
                if r["s_den"]:
                    assert r["value"] == pytest.approx(r["s_num"] / r["s_den"])
            else:
                assert r["value"] == pytest.approx(r["s_value"])
            checked += 1
        else:
            assert r["flag"] == "S" and r["value"] is None
    assert checked > 0
    # the month QRS did not send: the ALL rows are the two senders' sums
    oct_ = t.filter((pl.col("month") == "2026-10") & (pl.col("flag") == "F"))
    assert oct_.height > 0 and (oct_["n"] == 2).all()


def test_a_second_pack_of_the_month_replaces_the_first_and_both_are_kept(months, store,
                                                                          tmp_path):
    copy = Path(shutil.copytree(store, tmp_path / "store"))
    again = _pack(tmp_path, "MOE", months[("2026-09", "MOE")]["warehouse"], MONTHS["2026-11"])
    before = rollup_store.current(rollup_store.submissions(copy))[("2026-11", "MOE")]
    assert main(["rollup", "accept", str(again["pack"]), "--store", str(copy)]) == 0
    recs = rollup_store.submissions(copy)
    now = rollup_store.current(recs)[("2026-11", "MOE")]
    assert now["replaces"] == before["stored"] and now["stored"] != before["stored"]
    assert (copy / before["stored"] / "kpi.parquet").is_file()  # the earlier one kept
    out = tmp_path / "r.duckdb"
    assert main(["rollup", "--store", str(copy), "--out", str(out)]) == 0
    subs = q(out, "SELECT stored, replaces, current FROM rollup_submissions WHERE "
                  "organisation = 'MOE' AND month = '2026-11' ORDER BY accepted_at")
    assert subs.rows() == [(before["stored"], None, False),
                           (now["stored"], before["stored"], True)]
    own = q(again["warehouse"], "SELECT sum(numerator) FROM kpi WHERE bureau_code IS NULL "
                                "AND numerator IS NOT NULL").item()
    got = q(out, "SELECT count(*) FROM rollup_kpi WHERE organisation = 'MOE' AND month = "
                 "'2026-11'").item()
    assert got == q(again["warehouse"], "SELECT count(*) FROM kpi").item() and own is not None


def test_the_file_after_an_accept_is_built_incrementally_and_equals_a_full_build(
        months, store, rolled, tmp_path, capsys):
    """``rollup --store`` onto the store's own previous file copies it and reads only the
    changed organisation-month (here a replacement of MOE's 2026-11): every table equals a
    full build's (the ALL rows of that month computed again from its packs)."""
    copy = Path(shutil.copytree(store, tmp_path / "store"))
    again = _pack(tmp_path, "MOE", months[("2026-09", "MOE")]["warehouse"], MONTHS["2026-11"])
    assert main(["rollup", "accept", str(again["pack"]), "--store", str(copy)]) == 0
    inc, full = tmp_path / "inc.duckdb", tmp_path / "full.duckdb"
    shutil.copy(rolled, inc)
    capsys.readouterr()
    assert main(["rollup", "--store", str(copy), "--out", str(inc)]) == 0
    assert "incremental: 1 organisation-month(s)" in capsys.readouterr().out
    assert main(["rollup", "--store", str(copy), "--out", str(full)]) == 0
    assert "incremental" not in capsys.readouterr().out
    for table in ("rollup_kpi", "rollup_kpi_pace", "rollup_organisations", "rollup_bureaus",
                  "rollup_plans", "rollup_submissions", "rollup_missing", "rollup_months"):
        a, b = q(inc, f"SELECT * FROM {table}"), q(full, f"SELECT * FROM {table}")
        assert a.sort(a.columns, nulls_last=True).equals(b.sort(b.columns, nulls_last=True)), \
            table
    assert q(inc, "SELECT count(*) FROM rollup_kpi WHERE organisation = 'ALL' AND month = "
                  "'2026-11'").item() > 0


def test_a_bad_pack_or_another_threshold_is_rejected_and_the_store_unchanged(months, store,
                                                                             tmp_path, capsys):
    copy = Path(shutil.copytree(store, tmp_path / "store"))
    log = (copy / "submissions.jsonl").read_bytes()
    files = sorted(p for p in copy.rglob("*"))
    bad = Path(shutil.copytree(months[("2026-11", "XYZ")]["pack"], tmp_path / "bad"))
    text = (bad / "kpi.csv").read_text(encoding="utf-8-sig")
    i = text.index("[c]")
    (bad / "kpi.csv").write_text(text[:i] + "3" + text[i + 3:], encoding="utf-8-sig")
    assert main(["rollup", "accept", str(bad), "--store", str(copy)]) == 1
    assert "changed since it was published" in capsys.readouterr().err
    other = _pack(tmp_path, "XYZ", months[("2026-11", "XYZ")]["warehouse"], MONTHS["2026-11"],
                  threshold=3)
    assert main(["rollup", "accept", str(other["pack"]), "--store", str(copy)]) == 1
    assert "different suppression thresholds" in capsys.readouterr().err
    assert (copy / "submissions.jsonl").read_bytes() == log
    assert sorted(p for p in copy.rglob("*")) == files


def test_rollup_cli_usage(tmp_path):
    for argv in (["rollup", "accept", str(tmp_path)],  # no --store
                 ["rollup", "--store", str(tmp_path)],  # no --out
                 ["rollup", "--store", str(tmp_path), "--out", str(tmp_path / "r"),
                  str(tmp_path)]):
        with pytest.raises(SystemExit) as exc:
            main(argv)
        assert exc.value.code == 2
    assert main(["rollup", "--store", str(tmp_path / "empty"), "--out",
                 str(tmp_path / "r.duckdb")]) == 1
    assert not (tmp_path / "r.duckdb").exists()
