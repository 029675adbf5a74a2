"""A link's page parameter that the page does not use is named in the one notice, not
dropped without a word (issue 29): ``pace`` on /hiring (one metric, no pace selector),
``pace`` and ``fy`` on /review; a parameter the page uses is not."""

from __future__ import annotations

from pathlib import Path

import pytest
from conftest import build_from
from test_plan_review import landing
from test_plans import generations


@pytest.fixture(scope="module")
def wh(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build_from(generations(), tmp_path_factory.mktemp("url_notice"))


def notice(at) -> str:  # noqa: ANN001
    return " ".join(str(c.value) for c in at.sidebar.caption) + " ".join(
        str(t.value) for t in at.toast)


@pytest.mark.parametrize("url_path, params, named", [
    ("hiring", {"pace": "digital_hires"}, ["pace"]),
    ("review", {"pace": "x", "fy": "2020", "plan": "p2"}, ["pace", "fy"]),
])
def test_unused_page_parameters_are_named(wh, monkeypatch, url_path, params, named):
    at = landing(wh, monkeypatch, url_path, **params)
    assert not at.exception
    text = notice(at)
    for name in named:
        assert name in text, (name, text)
        assert at.query_params.get(name) is None  # dropped from the URL
    if url_path == "review":
        assert "plan" not in text.split(":")[-1]  # the review uses its plan
        assert at.query_params.get("plan") == "p2"


def test_a_clean_link_has_no_notice(wh, monkeypatch):
    at = landing(wh, monkeypatch, "review", plan="p2")
    assert not at.exception and "⚠️" not in notice(at) and not at.toast
