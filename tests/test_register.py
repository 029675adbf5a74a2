"""Protection over time (issue 23): the release register, releases protected together, the
protection-interval rule, a refused release, and the pace of the year in publication form.

The same ministry (the shipped sample) is cut at successive as-of dates (``attack.cut``: the
data as they stood that day), each cut built and published, and the packs attacked as one
problem by ``attack.attack_releases`` (completed FYs identical, the year in progress only
accumulating, course caps, distinct openers — in the Aug and Sep cuts only one drill has been
held —, kpi_pace). Made through the register, nothing is recovered or narrowed below the
threshold; made one by one (the control), the same attack finds cells.
"""

from __future__ import annotations

import datetime as dt
import json
import os
from pathlib import Path

import attack
import dataset
import polars as pl
import pytest
from conftest import build_from

from pipelines.warehouse import build
from release import disclosure, publication, register

ROOT = Path(__file__).resolve().parent.parent
SAMPLE_RAW = ROOT / "data" / "raw"
CUTS = (dt.date(2026, 8, 10), dt.date(2026, 9, 10))  # one drill held in both (Jun 10)
CONTROL_NEXT = dt.date(2026, 10, 10)


@pytest.fixture(scope="module")
def cuts(tmp_path_factory: pytest.TempPathFactory) -> list[tuple[str, Path]]:
    root = tmp_path_factory.mktemp("cuts")
    out = []
    for day in CUTS:
        raw = attack.cut(SAMPLE_RAW, day, root / f"raw-{day}")
        wh = root / f"{day}.duckdb"
        build(raw, wh)
        out.append((day.isoformat(), wh))
    return out


@pytest.fixture(scope="module")
def through_register(cuts, tmp_path_factory) -> tuple[Path, list[tuple[str, Path, Path]]]:
    root = tmp_path_factory.mktemp("registered")
    releases = root / "releases"
    packs = []
    for label, wh in cuts:
        p = publication.write_pack(wh, root / f"pack-{label}", 5, releases=releases)
        packs.append((label, p.out_dir, wh))
    return releases, packs


def test_the_cuts_are_one_ministry_month_after_month(cuts):
    """The cut data are what the attack assumes: as-of dates as cut, one drill so far."""
    import duckdb

    for (label, wh), day in zip(cuts, CUTS, strict=True):
        with duckdb.connect(str(wh), read_only=True) as con:
            as_of = con.sql("SELECT as_of_date FROM pipeline_runs").fetchall()[-1][0]
            drills = con.sql("SELECT count(DISTINCT drill_id) FROM mart_drills "
                             "WHERE fiscal_year = 2026").fetchall()[0][0]
        assert as_of <= day and as_of.month == day.month and drills == 1, label


def test_joint_attack_on_releases_made_through_the_register(through_register):
    """The exact attack (integer program, HiGHS): 0 recovered, 0 narrowed, 0 unresolved of
    ~22,500 protected cells (about 10 CPU seconds: each component is one HiGHS model, and
    most cells are proven by a few pushes whose vertices are integral)."""
    releases, packs = through_register
    res = attack.attack_releases(packs, SAMPLE_RAW / "published.csv", 5, time_limit=300)
    assert res.infeasible_at_truth == []  # every relation the attacker uses is true
    assert res.protected > 10_000
    assert res.recovered == [], res.recovered[:10]
    assert res.narrowed == [], res.narrowed[:10]
    assert res.unresolved == [], res.unresolved[:10]  # a time limit proves nothing
    # one folder per release, with the pack's checksums
    recs = register.releases(releases, None)
    assert [r.as_of_date.isoformat()[:7] for r in recs] == ["2026-08", "2026-09"]
    for rec, (_, pack, _) in zip(recs, packs, strict=True):
        meta = json.loads((pack / publication.META_NAME).read_text(encoding="utf-8"))
        assert {k: v for k, v in rec.files.items() if k != publication.META_NAME} == meta["files"]
        assert rec.files[publication.META_NAME] == publication.sha256(pack /
                                                                      publication.META_NAME)
        shown = rec.frames("shown")["kpi"]
        packed = pl.read_csv(pack / "kpi.csv", infer_schema=False, encoding="utf8-lossy")
        assert shown["numerator"].to_list() == packed["numerator"].to_list()


def test_a_completed_fy_unchanged_since_is_not_audited_again(through_register, cuts):
    """A completed FY whose problem is what it was at the latest release that had it
    completed (same threshold, data, published figures, policy) was proven then: the next
    release skips its audit (the register's cost, issue 23) and shows what that release
    showed. Any change brings the audit back."""
    releases, _ = through_register
    aug = register.releases(releases, None)[0]
    earlier = [disclosure.Earlier(aug.release_id, aug.as_of_date, aug.frames("inputs"),
                                  aug.frames("shown"), aug.threshold, aug.counts)]

    def frozen(tables, threshold=5, earlier=earlier):
        return set(disclosure._frozen(tables, threshold, run["as_of_date"], earlier))

    tables, run = disclosure.read_inputs(cuts[1][1])
    done = {fy for fy in tables["kpi"]["fiscal_year"].unique().to_list() if fy < 2026}
    assert len(done) >= 5
    assert frozen(tables) == done
    assert frozen(tables, 6) == set()
    changed = dict(tables)
    kpi = tables["kpi"].with_row_index("i")
    first = kpi.filter(pl.col("fiscal_year") == 2024)["i"][0]
    changed["kpi"] = kpi.with_columns(
        pl.when(pl.col("i") == first).then(pl.col("numerator") + 1)
        .otherwise(pl.col("numerator")).alias("numerator")).drop("i")
    assert frozen(changed) == done - {2024}
    policy = dict(tables, public_figures=tables["public_figures"].clear())
    assert frozen(policy) == set()
    old = [disclosure.Earlier(aug.release_id, aug.as_of_date,
                              {k: v for k, v in aug.frames("inputs").items()
                               if k != "published"}, aug.frames("shown"), aug.threshold,
                              aug.counts)]
    assert frozen(tables, earlier=old) == set()  # an older record
    # what the skipped FYs show is what the August release showed, and the cells it could
    # not protect (a published total below the threshold) are still counted
    a_rec, b_rec = register.releases(releases, None)
    a, b = (r.frames("shown")["kpi"].filter(pl.col("fiscal_year") < 2026)
            for r in (a_rec, b_rec))
    assert a.equals(b, null_equal=True)
    before = {k: v for k, v in a_rec.counts["unprotectable_by_fy"].items() if int(k) < 2026}
    assert before and before == {k: v for k, v in b_rec.counts["unprotectable_by_fy"].items()
                                 if int(k) < 2026}
    assert b_rec.counts["unprotectable"] == sum(b_rec.counts["unprotectable_by_fy"].values())


def test_control_the_same_releases_made_one_by_one_give_cells_away(cuts, tmp_path):
    """Without the register each month is protected on its own: the joint attack recovers or
    narrows cells (so the tests above mean something). Sep and Oct: Aug and Sep made one by
    one happen to leak nothing since each release frees what bounds a cell (issue 23), so
    the control takes the next month; the same two made through the register leak nothing."""
    raw = attack.cut(SAMPLE_RAW, CONTROL_NEXT, tmp_path / "raw-oct")
    oct_wh = tmp_path / "oct.duckdb"
    build(raw, oct_wh)
    months = [cuts[1], (CONTROL_NEXT.isoformat(), oct_wh)]
    alone = [(label, publication.write_pack(wh, tmp_path / "alone" / label, 5).out_dir, wh)
             for label, wh in months]
    res = attack.attack_releases(alone, SAMPLE_RAW / "published.csv", 5, stop_after=1,
                                 time_limit=300)
    assert res.infeasible_at_truth == []
    assert res.recovered or res.narrowed
    joint = [(label, publication.write_pack(wh, tmp_path / "joint" / label, 5,
                                            releases=tmp_path / "releases").out_dir, wh)
             for label, wh in months]
    res = attack.attack_releases(joint, SAMPLE_RAW / "published.csv", 5, time_limit=300)
    assert res.infeasible_at_truth == []
    assert (res.recovered, res.narrowed, res.unresolved) == ([], [], [])


LONG_CUTS = (dt.date(2026, 7, 10), *CUTS, dt.date(2026, 10, 10), dt.date(2026, 11, 10))


@pytest.mark.skipif(not os.environ.get("DTP_LONG_ATTACKS"),
                    reason="five monthly releases, built and published through one register: "
                    "several minutes; run with DTP_LONG_ATTACKS=1")
def test_joint_attack_on_five_months_through_the_register(tmp_path):
    """Jul to Nov 2026 (one drill held in Jul to Sep, more later), each published through
    the register after the ones before, attacked as one integer program."""
    releases, packs = tmp_path / "releases", []
    for day in LONG_CUTS:
        wh = tmp_path / f"{day}.duckdb"
        build(attack.cut(SAMPLE_RAW, day, tmp_path / f"raw-{day}"), wh)
        pack = publication.write_pack(wh, tmp_path / f"pack-{day}", 5, releases=releases)
        packs.append((day.isoformat(), pack.out_dir, wh))
    res = attack.attack_releases(packs, SAMPLE_RAW / "published.csv", 5, time_limit=600)
    assert res.infeasible_at_truth == []
    assert res.protected > 40_000
    assert res.recovered == [], res.recovered[:10]
    assert res.narrowed == [], res.narrowed[:10]
    assert res.unresolved == [], res.unresolved[:10]


def test_pace_in_publication_form_says_nothing_between_two_days(through_register, cuts,
                                                                tmp_path):
    """Successive months' expected_remainder, differenced, give the reference years' mean
    count of events between two fiscal days; the publication form shows no projection
    figure (only ytd and needed, which kpi shows, and no_target / no_data)."""
    _, packs = through_register
    assert attack.pace_between_days([p for _, p, _ in packs]) == []
    for _, pack, _ in packs:
        pace = pl.read_csv(pack / "kpi_pace.csv", infer_schema=False)
        for col in disclosure.PROJECTION:
            assert pace[col].drop_nulls().is_in(["[c]"]).all(), col
        assert pace["pace_status"].drop_nulls().is_in(["[c]", "no_target", "no_data"]).all()
    # the pace as computed, month after month: the daily curve comes back
    import duckdb

    raw_packs = []
    for label, wh in cuts:
        d = tmp_path / label
        d.mkdir()
        with duckdb.connect(str(wh), read_only=True) as con:
            con.sql("SELECT * FROM kpi_pace").pl().write_csv(d / "kpi_pace.csv")
        raw_packs.append(d)
    found = attack.pace_between_days(raw_packs)
    assert found and any(m == "ipa_passes" for m, *_ in found)


def _tiny_cut(day: str, tmp: Path) -> Path:
    data = dataset.base()
    raw = dataset.write(data, tmp / "full")
    return build_from_raw(attack.cut(raw, dt.date.fromisoformat(day), tmp / "cut"), tmp)


def build_from_raw(raw: Path, tmp: Path) -> Path:
    wh = tmp / "warehouse.duckdb"
    build(raw, wh)
    return wh


def test_a_release_that_cannot_be_protected_is_refused_and_writes_nothing(tmp_path):
    """Published with threshold 2, then (a month later) with 5: cells of the completed FY
    that the first release showed (2 to 4 people) would now have to be withheld — they are
    known already. The second release names them and writes neither pack nor record."""
    releases = tmp_path / "releases"
    first = _tiny_cut("2021-06-15", tmp_path / "june")
    publication.write_pack(first, tmp_path / "pack-june", 2, releases=releases)
    second = build_from(dataset.base(), tmp_path / "july")
    with pytest.raises(disclosure.Refused) as err:
        publication.write_pack(second, tmp_path / "pack-july", 5, releases=releases)
    msgs = err.value.messages
    assert msgs and all("showed" in m for m in msgs), msgs
    assert any("below the threshold 5" in m for m in msgs), msgs
    assert not (tmp_path / "pack-july").exists()
    assert len(register.releases(releases, None)) == 1
    # the CLI: exit 1, the cells listed, nothing written
    import subprocess
    import sys

    res = subprocess.run([sys.executable, "-m", "pipelines", "publish", "--warehouse",
                          str(second), "--out", str(tmp_path / "cli"), "--threshold", "5",
                          "--releases", str(releases)], cwd=ROOT, capture_output=True,
                         text=True, timeout=300)
    assert res.returncode == 1 and "Traceback" not in res.stderr
    assert "cannot be protected together with the earlier ones" in res.stderr
    assert msgs[0] in res.stderr
    assert not (tmp_path / "cli").exists()


def test_republishing_the_same_run_replaces_its_record(tmp_path, tiny_warehouse):
    releases = tmp_path / "releases"
    a = publication.write_pack(tiny_warehouse, tmp_path / "a", 5, releases=releases)
    b = publication.write_pack(tiny_warehouse, tmp_path / "b", 5, releases=releases)
    assert len(register.releases(releases, None)) == 1
    for name in a.release.tables:
        assert a.release.tables[name].equals(b.release.tables[name], null_equal=True)
    # the Data page's publication rows are the recorded release's
    rec = register.find(releases, a.release.run_id)
    assert rec is not None and rec.threshold == 5
