"""End-to-end: the shipped sample in data/raw/ builds through the CLI and reproduces the plan."""

from __future__ import annotations

import subprocess
import sys

import duckdb
import pytest

from pipelines.settings import ROOT

PUBLISHED = [1, 1, 0, 2, 1, 0, 8]  # plan §2, FY2016–FY2022
STATUSES = ["met", "met", "below", "met", "met", "below", "above"]


@pytest.fixture(scope="module")
def sample_build(tmp_path_factory):
    wh = tmp_path_factory.mktemp("e2e") / "warehouse.duckdb"
    proc = subprocess.run(
        [sys.executable, "-m", "pipelines", "build", "--raw", str(ROOT / "data" / "raw"),
         "--warehouse", str(wh)], capture_output=True, text=True, cwd=ROOT, timeout=300)
    return proc, wh


def test_cli_summary(sample_build):
    proc, wh = sample_build
    assert proc.returncode == 0, proc.stderr
    assert "roster" in proc.stdout and "rows" in proc.stdout
    assert "FY2016–FY2026" in proc.stdout
    assert "as-of date: 2026-11-20" in proc.stdout
    assert "data origin: sample" in proc.stdout
    assert "0 warnings" in proc.stdout
    assert wh.exists()
    assert not [p for p in wh.parent.iterdir() if p.name != wh.name]


def test_published_hires_and_statuses(sample_build):
    _, wh = sample_build
    with duckdb.connect(str(wh), read_only=True) as con:
        rows = con.execute(
            "SELECT value, status FROM kpi WHERE metric = 'digital_hires' "
            "AND bureau_code IS NULL AND fiscal_year BETWEEN 2016 AND 2022 "
            "ORDER BY fiscal_year").fetchall()
        assert [r[0] for r in rows] == PUBLISHED
        assert [r[1] for r in rows] == STATUSES
        assert con.execute("SELECT count(*) FROM published_check WHERE NOT matches"
                           ).fetchone()[0] == 0
        assert con.execute("SELECT data_origin FROM pipeline_runs").fetchone()[0] == "sample"
        # FY2026 is in progress as of November 2026
        assert con.execute("SELECT DISTINCT status FROM kpi WHERE fiscal_year = 2026 AND "
                           "target_kind IS NOT NULL AND value IS NOT NULL").fetchall() == [
            ("in_progress",)]


def test_rebuild_keeps_run_history(sample_build, tmp_path):
    _, wh = sample_build
    copy = tmp_path / "w.duckdb"
    copy.write_bytes(wh.read_bytes())
    from pipelines.warehouse import build

    build(ROOT / "data" / "raw", copy)
    with duckdb.connect(str(copy), read_only=True) as con:
        assert con.execute("SELECT count(*) FROM pipeline_runs").fetchone()[0] == 2
