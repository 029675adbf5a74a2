"""The synthetic MIC-shaped sample: deterministic, contract-valid, small, and marked as sample."""

from __future__ import annotations

import hashlib
import json
from datetime import date
from pathlib import Path

import polars as pl
import pytest

from pipelines import sample
from pipelines.schema import BY_NAME, TABLES

ROOT = Path(__file__).resolve().parent.parent
COMMITTED = ROOT / "data" / "raw"
SMALL = 600  # staff for the quick runs


def _sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _fy(col: str) -> pl.Expr:
    d = pl.col(col)
    return d.dt.year() - (d.dt.month() < 4).cast(pl.Int32)


def read_raw(raw_dir: Path) -> dict[str, pl.DataFrame]:
    """Read the generated CSVs strictly as the contract types them (all strings first)."""
    out = {}
    for t in TABLES:
        df = pl.read_csv(raw_dir / t.file, infer_schema=False)
        casts = []
        for c in t.columns:
            e = pl.col(c.name)
            if c.dtype == "int":
                e = e.cast(pl.Int64)
            elif c.dtype == "float":
                e = e.cast(pl.Float64)
            elif c.dtype == "date":
                e = e.str.to_date("%Y-%m-%d")
            elif c.dtype == "bool":
                e = e.replace_strict({"true": True, "false": False}, return_dtype=pl.Boolean)
            casts.append(e)
        out[t.name] = df.with_columns(casts)
    return out


def contract_violations(raw_dir: Path) -> list[str]:
    """Every rule of shared/contract/raw-data.md checked on a raw folder; [] when all hold."""
    bad: list[str] = []
    for t in TABLES:
        raw = (raw_dir / t.file).read_bytes()
        if raw.startswith(b"\xef\xbb\xbf") or b"\r" in raw:
            bad.append(f"{t.file}: BOM or CR line ending")
        header = raw.split(b"\n", 1)[0].decode()
        if header.split(",") != t.column_names:
            bad.append(f"{t.file}: header {header!r}")
    d = read_raw(raw_dir)

    def check(ok: bool, msg: str) -> None:
        if not ok:
            bad.append(msg)

    for t in TABLES:
        df = d[t.name]
        for c in t.columns:
            s = df[c.name]
            if c.required:
                check(s.null_count() == 0, f"{t.name}.{c.name}: missing values")
            if c.enum:
                extra = set(s.drop_nulls().unique()) - set(c.enum)
                check(not extra, f"{t.name}.{c.name}: values outside the enum {extra}")
            if c.min is not None:
                check(s.min() >= c.min and s.max() <= c.max, f"{t.name}.{c.name}: out of range")
        if t.key:
            check(df.select(t.key).is_duplicated().sum() == 0, f"{t.name}: duplicate key {t.key}")
    for name, key in (("plan_targets", None), ("hiring", "employee_id"),
                      ("training", "record_id"), ("certification", "record_id")):
        if key:
            check(d[name][key].is_unique().all(), f"{name}.{key} not unique")

    bureaus = set(d["bureaus"]["bureau_code"])
    units = d["units"]
    check(set(units["bureau_code"]) <= bureaus, "units.bureau_code not in bureaus")
    courses = d["courses"]
    check(courses.filter((pl.col("category") == "unified_it") != pl.col("level").is_not_null())
          .height == 0, "courses.level set iff unified_it")
    pt = d["plan_targets"]
    check(pt.filter(pl.col("fy_from") > pl.col("fy_to")).height == 0, "plan_targets fy_from>fy_to")
    check(pt.select("plan_id", "metric").is_unique().all(), "plan_targets: overlapping targets")
    plans = d["plans"]
    inside = pt.join(plans.select("plan_id", p_from="fy_from", p_to="fy_to"), on="plan_id",
                     how="left")
    check(inside.filter(~((pl.col("fy_from") >= pl.col("p_from"))
                          & (pl.col("fy_to") <= pl.col("p_to")))).height == 0,
          "plan_targets: a target outside its plan's period (or an unknown plan)")
    check(plans["adopted_on"].is_unique().all(), "plans: duplicate adopted_on")
    need = {"range": ("target_min", "target_max"), "min": ("target_min",),
            "max": ("target_max",), "growth": ()}
    for row in pt.iter_rows(named=True):
        for col in need[row["kind"]]:
            check(row[col] is not None, f"plan_targets {row['metric']}: {col} missing")

    h, r, tr = d["hiring"], d["roster"], d["training"]
    ce, ph = d["certification"], d["phishing_drills"]
    check(h.filter(_fy("hire_date") != pl.col("hire_fiscal_year")).height == 0,
          "hiring.hire_fiscal_year != FY(hire_date)")
    check(set(h["bureau_code"]) <= bureaus, "hiring.bureau_code not in bureaus")
    check(set(r["bureau_code"]) <= bureaus, "roster.bureau_code not in bureaus")
    ru = r.filter(pl.col("unit_code").is_not_null()).join(
        units.select("unit_code", ub="bureau_code"), on="unit_code", how="left")
    check(ru["ub"].null_count() == 0, "roster.unit_code not in units")
    check(ru.filter(pl.col("ub") != pl.col("bureau_code")).height == 0,
          "roster unit's bureau != roster bureau_code")
    check(r.filter(pl.col("hire_fiscal_year") > pl.col("fiscal_year")).height == 0,
          "roster.hire_fiscal_year > fiscal_year")
    check(set(tr["course_code"]) <= set(courses["course_code"]), "training.course_code unknown")
    check(tr.filter((pl.col("status") == "completed") != pl.col("completed_on").is_not_null())
          .height == 0, "training.completed_on present iff completed")
    check(tr.filter(pl.col("completed_on").is_not_null() & (_fy("completed_on")
                                                            != pl.col("fiscal_year"))).height == 0,
          "training: FY(completed_on) != fiscal_year")
    check(set(ce["exam_code"]) <= set(d["exams"]["exam_code"]), "certification.exam_code unknown")
    check(ph.filter(_fy("sent_on") != pl.col("fiscal_year")).height == 0,
          "phishing: fiscal_year != FY(sent_on)")
    check(ph.group_by("drill_id").agg(pl.col("fiscal_year", "round", "sent_on").n_unique()
                                      .max()).filter(pl.col("fiscal_year") > 1).height == 0
          and ph.select("drill_id", "fiscal_year", "round", "sent_on").unique()
          .group_by("drill_id").len().filter(pl.col("len") > 1).height == 0,
          "phishing: a drill_id with several fiscal_year/round/sent_on")
    ids = set(r["employee_id"])
    for name, df in (("training", tr), ("certification", ce), ("phishing_drills", ph)):
        check(set(df["employee_id"]) <= ids, f"{name}.employee_id not in roster")
    hr = h.join(r, left_on=["employee_id", "hire_fiscal_year"],
                right_on=["employee_id", "fiscal_year"], how="anti")
    check(hr.height == 0, "hiring rows missing from roster in the hire FY")
    pub = d["published"]
    check(set(pub["metric"]) <= set(BY_NAME["published"].column("metric").enum),
          "published.metric unknown")
    # no direct identifiers
    for t in TABLES:
        text = (raw_dir / t.file).read_text(encoding="utf-8")
        check("@" not in text, f"{t.file}: looks like an e-mail address")
    return bad


@pytest.fixture(scope="module")
def small(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("sample_small")
    sample.generate(out, staff=SMALL, seed=7)
    return out


@pytest.fixture(scope="module")
def default(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("sample_default")
    sample.generate(out)
    return out


def test_deterministic(small: Path, tmp_path: Path) -> None:
    rows = sample.generate(tmp_path, staff=SMALL, seed=7)
    for t in TABLES:
        assert (tmp_path / t.file).read_bytes() == (small / t.file).read_bytes(), t.file
    assert (tmp_path / sample.MANIFEST).read_bytes() == (small / sample.MANIFEST).read_bytes()
    assert set(rows) == {t.file for t in TABLES}


def test_seed_changes_output(small: Path, tmp_path: Path) -> None:
    sample.generate(tmp_path, staff=SMALL, seed=8)
    assert (tmp_path / "roster.csv").read_bytes() != (small / "roster.csv").read_bytes()


def test_defaults_reproduce_committed_data(default: Path) -> None:
    manifest = json.loads((COMMITTED / sample.MANIFEST).read_text(encoding="utf-8"))
    assert manifest["staff"] == sample.DEFAULT_STAFF
    assert manifest["seed"] == sample.DEFAULT_SEED
    for t in TABLES:
        assert _sha(COMMITTED / t.file) == _sha(default / t.file), t.file
        assert manifest["files"][t.file] == _sha(default / t.file), t.file
    assert sample.is_sample(COMMITTED)


@pytest.mark.parametrize("which", ["small", "default"])
def test_contract_rules_hold(which: str, request: pytest.FixtureRequest) -> None:
    raw_dir = request.getfixturevalue(which)
    assert contract_violations(raw_dir) == []


@pytest.mark.parametrize("which", ["small", "default"])
def test_published_digital_hires(which: str, request: pytest.FixtureRequest) -> None:
    h = pl.read_csv(request.getfixturevalue(which) / "hiring.csv")
    per_fy = (h.filter(pl.col("track") == "digital_candidate").group_by("hire_fiscal_year")
              .len())
    counts = dict(zip(per_fy["hire_fiscal_year"], per_fy["len"], strict=True))
    assert [counts.get(fy, 0) for fy in range(2016, 2023)] == [1, 1, 0, 2, 1, 0, 8]
    pub = pl.read_csv(request.getfixturevalue(which) / "published.csv")
    assert pub.sort("fiscal_year")["value"].to_list() == [1, 1, 0, 2, 1, 0, 8]


def test_as_of_date_is_november_2026(default: Path) -> None:
    d = read_raw(default)
    latest = max(d["hiring"]["hire_date"].max(), d["training"]["completed_on"].max(),
                 d["certification"]["exam_date"].max(), d["phishing_drills"]["sent_on"].max())
    assert latest == sample.AS_OF
    for name, col in (("hiring", "hire_date"), ("training", "completed_on"),
                      ("certification", "exam_date"), ("phishing_drills", "sent_on")):
        assert date(2026, 11, 1) <= d[name][col].max() <= sample.AS_OF, name
    earliest = min(d["hiring"]["hire_fiscal_year"].min(), d["roster"]["fiscal_year"].min(),
                   d["training"]["fiscal_year"].min(), d["phishing_drills"]["fiscal_year"].min())
    assert earliest == 2016


def test_story_shape(default: Path) -> None:
    d = read_raw(default)
    r = d["roster"]
    heads = r.group_by("fiscal_year").len().sort("fiscal_year")["len"].to_list()
    assert len(heads) == 11 and all(3800 <= n <= 4200 for n in heads)
    pol = r.filter(pl.col("employment_type") == "political")
    assert set(pol["bureau_code"]) == {"MS"}
    da = r.filter(pl.col("placement") == "digital_agency")
    assert da["fiscal_year"].min() == 2021
    drills = d["phishing_drills"].select("fiscal_year", "drill_id").unique()
    held = dict(drills.group_by("fiscal_year").len().sort("fiscal_year").iter_rows())
    assert held == {2016: 2, 2017: 3, **{fy: 4 for fy in range(2018, 2026)}, 2026: 2}
    # political appointees take no training and get no drill mails
    pol_ids = set(pol["employee_id"])
    assert not pol_ids & set(d["training"]["employee_id"])
    assert not pol_ids & set(d["phishing_drills"]["employee_id"])
    # hires complete level A at 100 % in FY2024 and FY2025
    h, tr = d["hiring"], d["training"]
    a = tr.filter((pl.col("course_code") == "UIT-A") & (pl.col("status") == "completed"))
    for fy in (2024, 2025):
        hires = set(h.filter(pl.col("hire_fiscal_year") == fy)["employee_id"])
        done = set(a.filter(pl.col("fiscal_year") == fy)["employee_id"])
        assert hires <= done


def test_is_sample(small: Path, tmp_path: Path) -> None:
    assert sample.is_sample(small)
    for t in TABLES:
        (tmp_path / t.file).write_bytes((small / t.file).read_bytes())
    (tmp_path / sample.MANIFEST).write_bytes((small / sample.MANIFEST).read_bytes())
    assert sample.is_sample(tmp_path)
    target = tmp_path / "roster.csv"
    data = bytearray(target.read_bytes())
    data[-2] = ord("0") if data[-2] != ord("0") else ord("1")
    target.write_bytes(bytes(data))
    assert not sample.is_sample(tmp_path)
    target.write_bytes((small / "roster.csv").read_bytes())
    assert sample.is_sample(tmp_path)
    (tmp_path / "units.csv").unlink()
    assert not sample.is_sample(tmp_path)


def test_is_sample_false_without_or_with_unlisted(small: Path, tmp_path: Path) -> None:
    assert not sample.is_sample(tmp_path)  # empty folder
    for t in TABLES:
        (tmp_path / t.file).write_bytes((small / t.file).read_bytes())
    assert not sample.is_sample(tmp_path)  # no manifest
    manifest = json.loads((small / sample.MANIFEST).read_text(encoding="utf-8"))
    del manifest["files"]["published.csv"]
    (tmp_path / sample.MANIFEST).write_text(json.dumps(manifest), encoding="utf-8")
    assert not sample.is_sample(tmp_path)  # a contract file the manifest does not list
    (tmp_path / sample.MANIFEST).write_text("{not json", encoding="utf-8")
    assert not sample.is_sample(tmp_path)


def test_small_size(default: Path) -> None:
    total = sum(p.stat().st_size for p in default.iterdir())
    assert total <= 6.5 * 2**20
    committed = sum(p.stat().st_size for p in COMMITTED.iterdir() if p.is_file())
    assert committed <= 6.5 * 2**20


def test_rejects_bad_arguments(tmp_path: Path) -> None:
    with pytest.raises(ValueError):
        sample.generate(tmp_path, staff=10)
    with pytest.raises(ValueError):
        sample.generate(tmp_path, seed=-1)


@pytest.mark.parametrize("args", [["--staff", "50"], ["--seed", "-1"], ["--staff", "x"]])
def test_sample_cli_usage_errors_exit_2(tmp_path, capsys, args):
    from pipelines.__main__ import main

    with pytest.raises(SystemExit) as exc:
        main(["sample", "--out", str(tmp_path / "out"), *args])
    assert exc.value.code == 2
    assert "Traceback" not in capsys.readouterr().err
    assert not (tmp_path / "out").exists()


def test_the_build_reads_the_origin_never_the_generator():
    """warehouse.py decides sample/provided with pipelines.origin, not the generator package."""
    import ast

    from pipelines import warehouse

    tree = ast.parse(Path(warehouse.__file__).read_text(encoding="utf-8"))
    modules = {n.module for n in ast.walk(tree) if isinstance(n, ast.ImportFrom)}
    assert "pipelines.origin" in modules
    assert not any(m and m.startswith("pipelines.sample") for m in modules)
