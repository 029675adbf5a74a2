"""Serving hardened (issue 7): the warehouse file's permissions, no tracebacks or absolute
paths in the browser, the Streamlit settings the repository ships."""

from __future__ import annotations

import logging
import os
import stat
import tomllib
from pathlib import Path

import dataset as tiny_data
from streamlit.testing.v1 import AppTest
from test_access import APP, text

from dashboard import queries
from pipelines.warehouse import build

ROOT = Path(__file__).resolve().parent.parent


def mode(p: Path) -> int:
    return stat.S_IMODE(os.stat(p).st_mode)


def test_first_build_is_0640_and_a_rebuild_keeps_the_permissions(tmp_path):
    raw = tiny_data.write(tiny_data.base(), tmp_path / "raw")
    wh = tmp_path / "wh" / "warehouse.duckdb"
    old_umask = os.umask(0o000)  # even a permissive umask gives a first build 0640
    try:
        build(raw, wh)
    finally:
        os.umask(old_umask)
    assert mode(wh) == 0o640
    os.chmod(wh, 0o600)
    inode = os.stat(wh).st_ino
    build(raw, wh)
    assert os.stat(wh).st_ino != inode  # a new file was swapped in ...
    assert mode(wh) == 0o600  # ... with the old one's permissions


def test_streamlit_settings_bind_loopback_and_hide_error_details():
    cfg = tomllib.loads((ROOT / ".streamlit" / "config.toml").read_text(encoding="utf-8"))
    assert cfg["server"]["address"] == "127.0.0.1"
    assert cfg["client"]["showErrorDetails"] == "none"


def test_missing_warehouse_page_names_no_absolute_path(tmp_path, monkeypatch):
    monkeypatch.setenv("DTP_WAREHOUSE", str(tmp_path / "secret-dir" / "warehouse.duckdb"))
    at = AppTest.from_file(APP, default_timeout=60)
    at.run()
    assert not at.exception
    shown = text(at)
    assert "warehouse.duckdb" in shown and str(tmp_path) not in shown and "secret-dir" not in shown


def test_a_failing_page_shows_a_friendly_message_and_logs_the_details(
        tiny_warehouse, monkeypatch, caplog):
    def broken(*_a, **_k):
        raise RuntimeError("boom at /srv/secret/path.py line 3")

    monkeypatch.setattr(queries, "validation_results", broken)
    monkeypatch.setenv("DTP_WAREHOUSE", str(tiny_warehouse))
    at = AppTest.from_file(APP, default_timeout=60)
    at.run()
    at.switch_page("views/quality.py")
    with caplog.at_level(logging.ERROR, logger="dtp.app"):
        at.run()
    assert not at.exception  # no traceback element reaches the browser
    shown = text(at)
    assert "/srv/secret" not in shown and "boom" not in shown and "Traceback" not in shown
    assert any("問題が発生しました" in e.value for e in at.error)
    assert any("boom at /srv/secret" in (r.exc_text or "") + r.getMessage()
               or (r.exc_info and "boom" in str(r.exc_info[1])) for r in caplog.records)


def test_quality_page_shows_the_input_folder_without_its_absolute_path(tiny_warehouse,
                                                                       monkeypatch):
    monkeypatch.setenv("DTP_WAREHOUSE", str(tiny_warehouse))
    at = AppTest.from_file(APP, default_timeout=60)
    at.run()
    at.switch_page("views/quality.py")
    at.run()
    assert not at.exception
    assert str(tiny_warehouse.parent) not in text(at)
    for df in at.dataframe:
        assert str(tiny_warehouse.parent) not in df.value.to_string()
