"""Any data set that follows the contract builds and every page renders: no targets, no
published figures, one fiscal year, fact files with a header only."""

from __future__ import annotations

import copy
from pathlib import Path

import dataset
import duckdb
import pytest
from conftest import build_from
from streamlit.testing.v1 import AppTest

APP = str(Path(__file__).resolve().parent.parent / "dashboard" / "app.py")
PAGES = ("hiring", "training", "certification", "security", "workforce", "data", "dictionary",
         "quality")


def _no_targets() -> dict:
    data = copy.deepcopy(dataset.base())
    data["plan_targets"] = []
    del data["published"]  # optional file
    return data


def _one_fy() -> dict:
    data = copy.deepcopy(dataset.base())
    for name in ("roster", "training", "phishing_drills"):
        data[name] = [r for r in data[name] if r["fiscal_year"] == "2021"]
    data["hiring"] = [r for r in data["hiring"] if r["hire_fiscal_year"] == "2021"]
    data["certification"] = []
    data["published"] = []
    return data


def _empty_facts() -> dict:
    data = copy.deepcopy(dataset.base())
    for name in ("hiring", "training", "certification", "phishing_drills", "published"):
        data[name] = []
    return data


CASES = {"no_targets": _no_targets, "one_fy": _one_fy, "empty_facts": _empty_facts}


@pytest.fixture(scope="module", params=list(CASES))
def edge(request, tmp_path_factory) -> tuple[str, Path]:
    return request.param, build_from(CASES[request.param](), tmp_path_factory.mktemp(
        request.param))


def test_kpi_shape(edge):
    name, wh = edge
    with duckdb.connect(str(wh), read_only=True) as con:
        fys = [r[0] for r in con.execute("SELECT DISTINCT fiscal_year FROM kpi ORDER BY 1")
               .fetchall()]
        statuses = {r[0] for r in con.execute("SELECT DISTINCT status FROM kpi").fetchall()}
    expected = {"no_targets": [2020, 2021], "one_fy": [2021], "empty_facts": []}[name]
    assert fys == expected
    if name == "no_targets":
        assert statuses == {"no_target"}


def test_every_page_renders(edge, monkeypatch):
    _, wh = edge
    monkeypatch.setenv("DTP_WAREHOUSE", str(wh))
    for lang in ("ja", "en"):
        at = AppTest.from_file(APP, default_timeout=60)
        at.query_params.update({"lang": lang})
        at.run()
        assert not at.exception, at.exception
        for page in PAGES:
            at.switch_page(f"views/{page}.py")
            at.run()
            assert not at.exception, (page, lang, at.exception)


def test_briefing_pack_builds(edge):
    """The executive briefing pack (issue 9) on every edge data set, both formats."""
    import io

    from pptx import Presentation
    from pypdf import PdfReader

    from dashboard import brief

    name, wh = edge
    if name == "empty_facts":  # no FY at all: a clear refusal, no empty pack
        with pytest.raises(brief.NoData, match="no fiscal year"):
            brief.view_for(wh)
        return
    for lang in ("ja", "en"):
        v = brief.view_for(wh, lang=lang)
        prs = Presentation(io.BytesIO(brief.build(v, "pptx")))
        assert len(prs.slides) == 9  # at most two charts a slide: §3-§5 take two each
        assert len(PdfReader(io.BytesIO(brief.build(v, "pdf"))).pages) == 6
