"""The URL-kept widgets of dashboard/state.py (select, multiselect, toggle and the global
controls): a URL value the session did not write is read whenever it appears — at the start and
mid-session (a link, back/forward, an edit) — and every ignored value gets the notice, each time
(issue 9, rough edge 3; issue 11, one widget core)."""

from __future__ import annotations

from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

APP = str(Path(__file__).resolve().parent.parent / "dashboard" / "app.py")


def start(wh: Path, monkeypatch: pytest.MonkeyPatch, page: str | None = None,
          **params: str) -> AppTest:
    monkeypatch.setenv("DTP_WAREHOUSE", str(wh))
    at = AppTest.from_file(APP, default_timeout=60)
    at.query_params.update(params)
    at.run()
    if page:
        at.switch_page(page).run()
    assert not at.exception
    return at


def notices(at: AppTest) -> list[str]:
    return [c.value for c in at.caption if c.value.startswith("⚠️")]


def toasts(at: AppTest) -> list[str]:
    return [t.value for t in at.toast]


def edit_url(at: AppTest, **params: str) -> AppTest:
    """The user changes the URL mid-session (or goes back to an earlier one)."""
    at.query_params.update(params)
    at.run()
    assert not at.exception
    return at


def test_global_notice_every_time(tiny_warehouse, monkeypatch):
    at = start(tiny_warehouse, monkeypatch, bureau="ZZ")
    assert any("bureau" in n for n in notices(at)) and toasts(at)
    at.run()  # nothing new in the URL: no notice
    assert not notices(at) and not toasts(at)
    edit_url(at, bureau="QQ")
    assert any("bureau" in n for n in notices(at)), "second bad value: notice again"
    assert any("bureau" in t for t in toasts(at))
    edit_url(at, fy_from="1999")
    assert any("fy_from" in n for n in notices(at))
    # a valid value mid-session is applied, without a notice
    edit_url(at, bureau="B2", fy_from="2021", fy_to="2021")
    assert not notices(at)
    assert at.sidebar.multiselect(key="bureaus").value == ["B2"]
    assert at.sidebar.select_slider(key="fy_span").value == (2021, 2021)
    edit_url(at, bureau="", foo="")  # empty values and unknown keys count too
    assert any("bureau" in n and "foo" in n for n in notices(at))
    edit_url(at, lang="xx")
    assert any("lang" in n for n in notices(at))
    assert at.sidebar.radio(key="lang").value == "ja"


def test_page_select_notice_every_time(tiny_warehouse, monkeypatch):
    at = start(tiny_warehouse, monkeypatch, "views/hiring.py")
    edit_url(at, track="zz")
    assert any("track" in n for n in notices(at)) and any("track" in t for t in toasts(at))
    assert at.selectbox(key="hiring_track").value == "digital_candidate"
    assert "track" not in at.query_params
    edit_url(at, track="yy")
    assert any("track" in n for n in notices(at)), "second bad value: notice again"
    edit_url(at, track="all")
    assert not notices(at)
    assert at.selectbox(key="hiring_track").value == "all"
    # the widget is the truth once the URL holds what it wrote
    at.selectbox(key="hiring_track").set_value("digital_candidate").run()
    assert "track" not in at.query_params and not notices(at)


def test_fy_select_reads_a_changed_url(tiny_warehouse, monkeypatch):
    at = start(tiny_warehouse, monkeypatch, fy="zz")
    assert any("fy" in n for n in notices(at))
    edit_url(at, fy="2021")
    assert at.selectbox(key="overview_fy").value == 2021 and not notices(at)
    edit_url(at, fy="1900")
    assert any("fy" in n for n in notices(at))
    assert at.selectbox(key="overview_fy").value == 2021  # kept


def test_multiselect_and_toggle_notice_every_time(tiny_warehouse, monkeypatch):
    at = start(tiny_warehouse, monkeypatch, "views/data.py")
    edit_url(at, dataset="stg_training", f_category="unified_it,nonsense")
    assert at.selectbox(key="data_dataset").value == "stg_training"
    assert any("f_category" in n for n in notices(at))
    assert at.multiselect(key="data_f_category").value == ["unified_it"]
    assert at.query_params["f_category"] == "unified_it"
    edit_url(at, f_category="unified_it,other_nonsense")
    assert any("f_category" in n for n in notices(at)), "second bad value: notice again"
    edit_url(at, pub="maybe")
    assert any("pub" in n for n in notices(at))
    assert at.toggle(key="data_pub").value is False
    edit_url(at, pub="perhaps")
    assert any("pub" in n for n in notices(at))
    edit_url(at, pub="1")
    assert at.toggle(key="data_pub").value is True and not notices(at)


def test_page_value_survives_leaving_and_reentering(tiny_warehouse, monkeypatch):
    at = start(tiny_warehouse, monkeypatch, "views/hiring.py")
    edit_url(at, track="all")
    at.switch_page("views/training.py").run()
    assert "track" not in at.query_params
    at.switch_page("views/hiring.py").run()
    assert at.selectbox(key="hiring_track").value == "all" and not notices(at)
