"""The government-wide roll-up (issue 17): organisation identity in the pack, ``pipelines
rollup`` (validation, rejection without writing, the atomic swap), ``rollup_kpi`` against each
organisation's own kpi, the government-wide rows, and the attack on packs + roll-up together.

Two organisations made from data sets that share nothing: differently shaped samples
(``sample --organisation``: own bureaus, size, targets; own seeds)."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import attack
import duckdb
import polars as pl
import pytest

from pipelines.__main__ import main
from pipelines.sample import generate
from pipelines.warehouse import build
from release import publication, rollup
from release.organisation import Organisation, OrganisationError, read_file, resolve

ORGS = {"MOE": 11, "XYZ": 12}  # organisation → seed
STAFF = 150


@pytest.fixture(scope="module")
def orgs(tmp_path_factory: pytest.TempPathFactory) -> dict[str, dict[str, Path]]:
    """Per organisation: its raw folder, warehouse and pack (threshold 5)."""
    root = tmp_path_factory.mktemp("orgs")
    out = {}
    for code, seed in ORGS.items():
        raw = root / f"raw-{code}"
        generate(raw, staff=STAFF, seed=seed, organisation=code)
        wh = root / f"{code}.duckdb"
        build(raw, wh)
        org = resolve(code, None, None, raw)
        pack = publication.write_pack(wh, root / f"pack-{code}", 5, org).out_dir
        out[code] = {"raw": raw, "warehouse": wh, "pack": pack}
    return out


@pytest.fixture(scope="module")
def rolled(orgs, tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("rollup") / "rollup.duckdb"
    rollup.build_rollup([o["pack"] for o in orgs.values()], out)
    return out


def q(path: Path, sql: str) -> pl.DataFrame:
    with duckdb.connect(str(path), read_only=True) as con:
        return con.sql(sql).pl()


# --- organisation identity -------------------------------------------------------------------

def test_the_samples_are_differently_shaped_ministries(orgs):
    bureaus = {c: q(o["warehouse"], "SELECT bureau_code FROM bureaus")["bureau_code"].to_list()
               for c, o in orgs.items()}
    assert sorted(bureaus["MOE"]) == ["EMB", "ERB", "GEB", "MS", "NEB"]
    assert bureaus["XYZ"] != bureaus["MOE"] and all(b.startswith("B") for b in bureaus["XYZ"])
    targets = {c: q(o["warehouse"], "SELECT target_min FROM plan_targets WHERE metric = "
                    "'new_hire_a_level_rate' ORDER BY fy_from")["target_min"].to_list()
               for c, o in orgs.items()}
    assert targets["MOE"] != [1.0] * len(targets["MOE"])  # its own plan's targets
    assert read_file(orgs["MOE"]["raw"]) == Organisation(
        "MOE", "環境省", "Ministry of the Environment")


def test_every_pack_file_carries_the_organisation(orgs):
    pack = orgs["MOE"]["pack"]
    meta = json.loads((pack / "publication.json").read_text(encoding="utf-8"))
    assert meta["organisation"] == {"code": "MOE", "name_ja": "環境省",
                                    "name_en": "Ministry of the Environment"}
    assert set(meta["files"]) == {p.name for p in pack.iterdir()} - {"publication.json"}
    for csv in pack.glob("*.csv"):
        f = pl.read_csv(csv, infer_schema=False)
        assert f.columns[0].lstrip("\ufeff") == "organisation"
        assert set(f[f.columns[0]].to_list()) <= {"MOE"}, csv.name
    import openpyxl

    wb = openpyxl.load_workbook(pack / "publication.xlsx", read_only=True)
    assert all(wb[s].cell(1, 1).value == "organisation" for s in wb.sheetnames if s != "about")
    assert q(pack / "public.duckdb", "SELECT organisation FROM publication_meta").item() == "MOE"
    assert "環境省" in (pack / "README.md").read_text(encoding="utf-8")


def test_organisation_from_the_command_line_and_the_file(tmp_path):
    (tmp_path / "organisation.csv").write_text(
        "organisation_code,name_ja,name_en\nMOJ,法務省,Ministry of Justice\n", encoding="utf-8")
    assert resolve(None, None, None, tmp_path) == Organisation("MOJ", "法務省",
                                                               "Ministry of Justice")
    assert resolve("MOJ", None, "MoJ", tmp_path) == Organisation("MOJ", "法務省", "MoJ")
    with pytest.raises(OrganisationError, match="names MOJ"):
        resolve("MOE", None, None, tmp_path)
    for bad in ("ALL", "moe", "M", "A" * 17, "M E"):
        with pytest.raises(OrganisationError):
            resolve(bad, None, None, None)


def test_publish_cli_organisation_errors(tiny_warehouse, tmp_path, capsys):
    args = ["publish", "--warehouse", str(tiny_warehouse), "--out", str(tmp_path / "p")]
    with pytest.raises(SystemExit) as exc:
        main([*args, "--organisation", "ALL"])
    assert exc.value.code == 2
    (tmp_path / "raw").mkdir()
    (tmp_path / "raw" / "organisation.csv").write_text("code\nMIC\n", encoding="utf-8")
    assert main([*args, "--organisation", "MIC", "--raw", str(tmp_path / "raw")]) == 1
    assert "organisation_code,name_ja,name_en" in capsys.readouterr().err
    assert not (tmp_path / "p").exists()


# --- the roll-up file ------------------------------------------------------------------------

def test_every_free_cell_equals_the_organisations_own_kpi(orgs, rolled):
    r = q(rolled, "SELECT * FROM rollup_kpi")
    for code, o in orgs.items():
        own = q(o["warehouse"], "SELECT metric, fiscal_year, bureau_code, value, numerator, "
                "denominator, target_min, target_max, status FROM kpi")
        mine = r.filter(pl.col("organisation") == code)
        assert mine.height == own.height
        j = mine.join(own, on=["metric", "fiscal_year", "bureau_code"], nulls_equal=True,
                      suffix="_own")
        assert j.height == own.height
        free = j.filter(pl.col("flag") == "F")
        assert free.height > 0
        for c in ("value", "numerator", "denominator"):
            same = (free[c] == free[f"{c}_own"]) | (free[c].is_null() & free[f"{c}_own"]
                                                   .is_null())
            assert same.all(), (code, c)
        # its own plan's targets, and its status wherever the pack shows it
        assert ((j["target_min"] == j["target_min_own"]) | j["target_min"].is_null()).all()
        shown = j.filter(pl.col("status").is_not_null())
        assert (shown["status"] == shown["status_own"]).all()
        held = j.filter(pl.col("flag") == "C")
        assert held.height > 0
        # a withheld cell is empty: never a number the pack does not show
        pack = pl.read_csv(o["pack"] / "kpi.csv", infer_schema=False)
        hidden = pack.filter(pl.col("numerator") == "[c]").height
        assert held.filter(pl.col("numerator").is_null()).height >= hidden


def test_government_wide_counts_are_sums_where_every_part_is_free(orgs, rolled):
    r = q(rolled, "SELECT * FROM rollup_kpi WHERE bureau_code IS NULL")
    parts = r.filter(pl.col("organisation") != "ALL")
    total = r.filter(pl.col("organisation") == "ALL")
    truth = pl.concat([q(o["warehouse"], "SELECT metric, fiscal_year, value, numerator, "
                         "denominator FROM kpi WHERE bureau_code IS NULL") for o in orgs.values()])
    truth = truth.group_by("metric", "fiscal_year").agg(
        pl.col("numerator").sum().alias("t_num"), pl.col("denominator").sum().alias("t_den"),
        pl.col("value").sum().alias("t_value"))
    flags = parts.group_by("metric", "fiscal_year").agg(
        (pl.col("flag") == "F").all().alias("all_free"))
    t = total.join(flags, on=["metric", "fiscal_year"]).join(truth, on=["metric",
                                                                      "fiscal_year"])
    assert t.height == total.height > 0
    for row in t.iter_rows(named=True):
        rate = row["metric"].endswith("_rate")
        if row["all_free"]:
            assert row["flag"] == "F"
            if rate:
                assert row["value"] == pytest.approx(row["t_num"] / row["t_den"]) \
                    if row["t_den"] else row["value"] is None
            else:
                assert row["value"] == pytest.approx(row["t_value"])
        else:
            assert row["flag"] == "S" and row["value"] is None
            if row["value_low"] is not None:  # the bounds hold for the truth
                v = row["t_num"] / row["t_den"] if rate else row["t_value"]
                assert row["value_low"] - 1e-9 <= v
                if row["value_high"] is not None:
                    assert v <= row["value_high"] + 1e-9
    assert (t["flag"] == "S").any() and (t["flag"] == "F").any()


def test_pace_rows_are_carried_where_the_pack_has_them(orgs, rolled):
    pace = q(rolled, "SELECT * FROM rollup_kpi_pace")
    assert set(pace["organisation"]) == set(ORGS)
    own = q(orgs["MOE"]["warehouse"], "SELECT count(*) FROM kpi_pace").item()
    assert pace.filter(pl.col("organisation") == "MOE").height == own
    assert set(pace["flag"]) <= {"F", "C"}


def test_each_organisation_is_judged_by_its_own_plan_in_force(orgs, rolled):
    """Packs carry their plan generations (plans.csv); every organisation row's plan_id names
    one of its own plans, and its targets are its own kpi's (issue 18 item 4)."""
    plans = q(rolled, "SELECT * FROM rollup_plans")
    assert set(plans["organisation"]) == set(ORGS)
    for code, o in orgs.items():
        own = q(o["warehouse"], "SELECT plan_id, title_ja, fy_from, fy_to FROM plans "
                                "ORDER BY plan_id")
        got = plans.filter(pl.col("organisation") == code).select(
            "plan_id", "title_ja", "fy_from", "fy_to").sort("plan_id")
        assert got.to_dicts() == own.to_dicts()
        named = q(rolled, f"SELECT DISTINCT plan_id FROM rollup_kpi WHERE organisation = "
                          f"'{code}' AND plan_id IS NOT NULL")["plan_id"].to_list()
        assert named and set(named) <= set(own["plan_id"])
        mine = q(rolled, f"SELECT metric, fiscal_year, target_kind, target_min, target_max, "
                         f"plan_id FROM rollup_kpi WHERE organisation = '{code}' AND "
                         f"bureau_code IS NULL ORDER BY metric, fiscal_year")
        kpi = q(o["warehouse"], "SELECT metric, fiscal_year, target_kind, target_min, "
                                "target_max, plan_id FROM kpi WHERE bureau_code IS NULL "
                                "ORDER BY metric, fiscal_year")
        assert mine.cast(kpi.schema).equals(kpi, null_equal=True)


def test_organisations_and_bureaus(rolled):
    o = q(rolled, "SELECT * FROM rollup_organisations ORDER BY organisation")
    assert o["organisation"].to_list() == ["MOE", "XYZ"]
    assert o["name_ja"].to_list()[0] == "環境省"
    b = q(rolled, "SELECT * FROM rollup_bureaus WHERE organisation = 'MOE'")
    assert "地球環境局" in b["name_ja"].to_list()


# --- the base contract: no plans.csv (issue 24 item 1) -----------------------------------------

def without_plans(raw: Path) -> None:
    """A raw folder of the base contract only: no plans.csv, and plan_targets.csv without
    plan_id (raw-data.md: every target then belongs to the implicit plan ``plan``). The targets
    kept are those of the sample's original plans (revising none): their periods do not
    overlap, so there is one target per metric and FY."""
    plans = pl.read_csv(raw / "plans.csv", infer_schema=False)
    originals = plans.filter(pl.col("revises").is_null())["plan_id"].to_list()
    targets = pl.read_csv(raw / "plan_targets.csv", infer_schema=False)
    targets.filter(pl.col("plan_id").is_in(originals)).drop("plan_id").write_csv(
        raw / "plan_targets.csv")
    (raw / "plans.csv").unlink()


@pytest.fixture(scope="module")
def planless(tmp_path_factory: pytest.TempPathFactory) -> dict[str, dict[str, Path]]:
    """Two ministries whose raw sets have no plans.csv, built and published through the CLI."""
    root = tmp_path_factory.mktemp("planless")
    out = {}
    for code, seed in (("ORGA", 21), ("ORGB", 22)):
        raw = root / f"raw-{code}"
        generate(raw, staff=STAFF, seed=seed, organisation=code)
        without_plans(raw)
        wh = root / f"{code}.duckdb"
        assert main(["build", "--raw", str(raw), "--warehouse", str(wh)]) == 0
        pack = root / f"pack-{code}"
        assert main(["publish", "--warehouse", str(wh), "--out", str(pack), "--threshold", "5",
                     "--organisation", code, "--raw", str(raw)]) == 0
        out[code] = {"raw": raw, "warehouse": wh, "pack": pack}
    return out


def test_ministries_without_plans_csv_roll_up(planless, tmp_path, capsys):
    """The implicit plan: id ``plan``, the targets' span, titles from the strings table, no
    adoption date — and the roll-up accepts it."""
    from release import i18n

    for code, o in planless.items():
        plans = pl.read_csv(o["pack"] / "plans.csv", infer_schema=False)
        span = q(o["warehouse"], "SELECT min(fy_from), max(fy_to) FROM plan_targets").row(0)
        assert plans.to_dicts() == [{
            "\ufefforganisation" if "\ufefforganisation" in plans.columns else "organisation":
            code, "plan_id": "plan", "title_ja": i18n.t("plan_implicit", "ja"),
            "title_en": i18n.t("plan_implicit", "en"), "fy_from": str(span[0]),
            "fy_to": str(span[1]), "adopted_on": None, "revises": None}]
    out = tmp_path / "r.duckdb"
    capsys.readouterr()
    assert main(["rollup", "--out", str(out), *(str(o["pack"]) for o in planless.values())]) \
        == 0, capsys.readouterr().err
    got = q(out, "SELECT organisation, plan_id, title_en, adopted_on FROM rollup_plans "
                 "ORDER BY organisation")
    assert got.rows() == [("ORGA", "plan", "The plan", None), ("ORGB", "plan", "The plan", None)]
    named = q(out, "SELECT DISTINCT plan_id FROM rollup_kpi WHERE organisation <> 'ALL' "
                   "AND plan_id IS NOT NULL")["plan_id"].to_list()
    assert named == ["plan"]
    assert q(out, "SELECT count(*) FROM rollup_kpi WHERE organisation = 'ALL'").item() > 0


def test_an_empty_adoption_date_is_only_for_the_implicit_plan(orgs, planless, tmp_path,
                                                               capsys):
    """A named plan without adopted_on, or the implicit plan beside another plan, is still
    rejected."""
    cases = {
        "named": (orgs["MOE"]["pack"], lambda t: t.replace(
            t.splitlines()[1], ",".join(t.splitlines()[1].split(",")[:6] + ["", ""]))),
        "beside": (planless["ORGA"]["pack"], lambda t: t + t.splitlines()[1].replace(
            ",plan,", ",other,").replace(",,", ",2020-04-01,") + "\n"),
    }
    for name, (source, edit) in cases.items():
        pack = Path(shutil.copytree(source, tmp_path / name))
        path = pack / "plans.csv"
        path.write_text(edit(path.read_text(encoding="utf-8-sig")), encoding="utf-8-sig")
        _edit_json(pack, files={**json.loads((pack / "publication.json").read_text(
            encoding="utf-8"))["files"], "plans.csv": publication.sha256(path)})
        assert main(["rollup", "--out", str(tmp_path / f"{name}.duckdb"), str(pack)]) == 1
        err = capsys.readouterr().err
        assert "plans.csv: rows of another organisation" in err and "rows 2" in err, (name, err)


# --- rejection ------------------------------------------------------------------------------

def _copy(orgs, tmp_path) -> dict[str, Path]:
    return {c: Path(shutil.copytree(o["pack"], tmp_path / f"pack-{c}"))
            for c, o in orgs.items()}


def _edit_json(pack: Path, **changes: object) -> None:
    p = pack / "publication.json"
    meta = json.loads(p.read_text(encoding="utf-8"))
    meta.update(changes)
    p.write_text(json.dumps(meta), encoding="utf-8")


def _tamper(pack: Path) -> None:
    p = pack / "kpi.csv"
    text = p.read_text(encoding="utf-8-sig")
    i = text.index("[c]")
    p.write_text(text[:i] + "3" + text[i + 3:], encoding="utf-8-sig")


CASES = {
    "tampered": (lambda packs: _tamper(packs["XYZ"]), "changed since it was published"),
    "no organisation": (lambda packs: _edit_json(packs["XYZ"], organisation=None),
                        "no organisation — publish it again"),
    "method": (lambda packs: _edit_json(packs["XYZ"], method="rounding_base_5"),
               "method 'rounding_base_5'"),
    "threshold": (lambda packs: _edit_json(packs["XYZ"], threshold=1), "threshold"),
    "as-of": (lambda packs: _edit_json(packs["XYZ"], as_of_date="2026-13-01"),
              "is not a date"),
    "duplicate": (lambda packs: packs.update(again=Path(shutil.copytree(
        packs["MOE"], packs["MOE"].with_name("again")))), "organisation MOE is also"),
    "missing file": (lambda packs: (packs["XYZ"] / "kpi.csv").unlink(), "listed in"),
    "not a pack": (lambda packs: (packs["XYZ"] / "publication.json").unlink(),
                   "no publication.json"),
}


@pytest.mark.parametrize("case", list(CASES))
def test_a_bad_pack_is_rejected_and_the_previous_rollup_stays(case, orgs, rolled, tmp_path,
                                                              capsys):
    packs = _copy(orgs, tmp_path)
    out = tmp_path / "rollup.duckdb"
    shutil.copy(rolled, out)
    before = out.read_bytes()
    change, message = CASES[case]
    change(packs)
    assert main(["rollup", "--out", str(out), *map(str, packs.values())]) == 1
    err = capsys.readouterr().err
    assert "Roll-up rejected" in err and message in err, err
    assert out.read_bytes() == before
    assert not list(tmp_path.glob(".rollup.duckdb.*"))  # no temp file left


def test_packs_with_different_thresholds_are_rejected(orgs, tmp_path, capsys):
    other = publication.write_pack(orgs["XYZ"]["warehouse"], tmp_path / "xyz3", 3,
                                   Organisation("XYZ")).out_dir
    out = tmp_path / "r.duckdb"
    assert main(["rollup", "--out", str(out), str(orgs["MOE"]["pack"]), str(other)]) == 1
    assert "different suppression thresholds" in capsys.readouterr().err
    assert not out.exists()


def test_rollup_usage_errors_exit_2(tmp_path):
    for argv in (["rollup", "--out", str(tmp_path / "r.duckdb")], ["rollup", str(tmp_path)]):
        with pytest.raises(SystemExit) as exc:
            main(argv)
        assert exc.value.code == 2


def test_rollup_cli_writes_the_file(orgs, tmp_path, capsys):
    out = tmp_path / "r.duckdb"
    assert main(["rollup", "--out", str(out), *(str(o["pack"]) for o in orgs.values())]) == 0
    assert "from 2 packs (MOE, XYZ" in capsys.readouterr().out
    assert q(out, "SELECT organisations FROM rollup_meta").item() == 2


# --- the attack --------------------------------------------------------------------------------

def test_attack_recovers_nothing_from_packs_and_rollup_together(orgs, rolled):
    """Every pack, every public edition (they hold the same release) and the roll-up in one
    model: ALL − the other organisations included. 0 protected cells recovered."""
    parts = [(c, o["pack"], None, o["warehouse"]) for c, o in orgs.items()]
    res = attack.attack_rollup(rolled, parts, 5)
    assert res.infeasible_at_truth == []
    assert res.protected > 100
    assert res.recovered == [], res.recovered[:10]


def test_the_attack_would_see_a_leaky_government_wide_row(orgs, rolled, tmp_path):
    """Control: an ALL row that shows a sum with a withheld part (as a naive roll-up would)
    gives the withheld part back."""
    leaky = tmp_path / "leaky.duckdb"
    shutil.copy(rolled, leaky)
    r = q(rolled, "SELECT * FROM rollup_kpi WHERE organisation <> 'ALL' AND bureau_code IS NULL")
    held = r.filter((pl.col("flag") == "C") & ~pl.col("metric").str.ends_with("_rate"))
    for row in held.iter_rows(named=True):
        others = r.filter((pl.col("metric") == row["metric"])
                          & (pl.col("fiscal_year") == row["fiscal_year"])
                          & (pl.col("organisation") != row["organisation"]))
        if not others["numerator"].null_count():
            break
    else:
        pytest.fail("no withheld count whose other parts are free")
    truth = q(orgs[row["organisation"]]["warehouse"], "SELECT numerator FROM kpi WHERE metric = "
              f"'{row['metric']}' AND fiscal_year = {row['fiscal_year']} AND bureau_code IS NULL"
              ).item()
    with duckdb.connect(str(leaky)) as con:
        con.execute("UPDATE rollup_kpi SET numerator = ?, value = ?, flag = 'F' "
                    "WHERE organisation = 'ALL' AND metric = ? AND fiscal_year = ? "
                    "AND bureau_code IS NULL",
                    [truth + others["numerator"].sum()] * 2 + [row["metric"],
                                                              row["fiscal_year"]])
    parts = [(c, o["pack"], None, o["warehouse"]) for c, o in orgs.items()]
    res = attack.attack_rollup(leaky, parts, 5)
    assert res.recovered, "the control must recover the withheld part"


# --- the disclosure policy: declared public figures (issue 23) -------------------------------

DEMO = {"MIC": 20210401, "MOE": 7, "MAFF": 11}  # the `make rollup-demo` organisations


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, Path]]:
    """The MIC/MOE/MAFF demo (small), each publishing through its register; each sample
    declares digital_hires public (public_figures.csv), as MIC's plan publishes it."""
    root = tmp_path_factory.mktemp("demo")
    warehouses = {}
    packs = []
    for code, seed in DEMO.items():
        raw = root / code / "raw"
        generate(raw, staff=STAFF, seed=seed, organisation=code)
        wh = root / code / "warehouse.duckdb"
        build(raw, wh)
        packs.append(publication.write_pack(wh, root / code / "pack", 5,
                                            resolve(code, None, None, raw),
                                            releases=root / "releases").out_dir)
        warehouses[code] = wh
    out = root / "rollup.duckdb"
    rollup.build_rollup(packs, out)
    return out, warehouses


def test_declared_digital_hires_are_government_wide_in_every_fy(demo):
    out, warehouses = demo
    r = q(out, "SELECT * FROM rollup_kpi WHERE metric = 'digital_hires' "
               "AND bureau_code IS NULL ORDER BY fiscal_year")
    every = r.filter(pl.col("organisation") == "ALL")
    fys = sorted(set(r["fiscal_year"].to_list()))
    assert every["fiscal_year"].to_list() == fys and len(fys) > 5
    assert every["flag"].to_list() == ["F"] * len(fys)  # a free sum in every FY
    assert every["policy"].to_list() == ["P"] * len(fys)
    own = r.filter(pl.col("organisation") != "ALL")
    assert own["flag"].unique().to_list() == ["F"] and own["policy"].unique().to_list() == ["P"]
    truth = pl.concat([q(wh, "SELECT fiscal_year, value FROM kpi WHERE metric = "
                             "'digital_hires' AND bureau_code IS NULL") for wh in
                       warehouses.values()]).group_by("fiscal_year").agg(pl.col("value").sum())
    want = dict(truth.iter_rows())
    assert {fy: v for fy, v in every.select("fiscal_year", "value").iter_rows()} == want
    # bureau cells stay protected: small ones withheld
    bureaus = q(out, "SELECT * FROM rollup_kpi WHERE metric = 'digital_hires' "
                     "AND bureau_code IS NOT NULL")
    assert (bureaus["flag"] == "C").any() and bureaus["policy"].is_null().all()
    meta = json.loads((out.parent / "MIC" / "pack" / "publication.json").read_text("utf-8"))
    assert [p["metric"] for p in meta["public_figures"]] == ["digital_hires"]
    readme = (out.parent / "MIC" / "pack" / "README.md").read_text("utf-8")
    assert "Disclosure policy" in readme and "公表方針" in readme


def test_the_policy_marks_only_declared_figures(orgs, rolled):
    """P only on the declared metric's ministry rows (the MOE/XYZ samples declare
    digital_hires too)."""
    r = q(rolled, "SELECT policy FROM rollup_kpi WHERE metric <> 'digital_hires'")
    assert r["policy"].is_null().all()
