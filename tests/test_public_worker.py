"""The public edition on a warehouse makes its protected file in ONE detached worker process
(release.public), never in the Streamlit script thread: the first visit says the figures are
being prepared and polls; then the pages show as before; a failed worker is one line with its
log; concurrent sessions start one worker."""

from __future__ import annotations

import os
import shutil
import time
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from release import public

APP = str(Path(__file__).resolve().parent.parent / "dashboard" / "app.py")


@pytest.fixture
def fresh(tiny_warehouse, tmp_path, monkeypatch) -> Path:
    """A copy of the tiny warehouse with its own, empty cache (DTP_PUBLIC_CACHE)."""
    wh = tmp_path / "warehouse.duckdb"
    shutil.copy(tiny_warehouse, wh)
    monkeypatch.setenv("DTP_PUBLIC_CACHE", str(tmp_path / "cache"))
    monkeypatch.setenv("DTP_WAREHOUSE", str(wh))
    monkeypatch.setenv("DTP_EDITION", "public")
    return wh


def _texts(at: AppTest) -> str:
    return "\n".join(str(e.value) for e in [*at.info, *at.error, *at.markdown, *at.title])


def _wait(pid: int, timeout: float = 300.0) -> None:
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return
        proc = public._CHILDREN.get(pid)
        if proc is not None and proc.poll() is not None:
            return
        time.sleep(0.2)
    raise AssertionError("the worker did not finish")


def test_first_visit_prepares_in_one_worker_then_shows_the_figures(fresh):
    t = public.target(fresh, 5)
    at = AppTest.from_file(APP, default_timeout=60)
    started = time.monotonic()
    at.run()
    assert time.monotonic() - started < 30  # the script thread does not make the file
    assert not at.exception, [e.value for e in at.exception]
    assert "Preparing the published figures" in _texts(at) or "公表用の集計値を準備" in _texts(at)
    assert not at.metric and not at.dataframe  # nothing of the warehouse meanwhile
    pid = int(t.pidfile.read_text())
    at.run()  # a rerun while it runs: no second worker
    assert int(t.pidfile.read_text()) == pid
    assert [p for p in public._CHILDREN if p == pid] == [pid]
    other = AppTest.from_file(APP, default_timeout=60)  # another session: no second worker
    other.run()
    assert public.status(fresh, 5).state == "preparing"
    assert int(t.pidfile.read_text()) == pid
    _wait(pid)
    assert t.out.exists() and not t.pidfile.exists()
    assert oct(os.stat(t.out).st_mode & 0o777) == "0o600"
    assert oct(os.stat(t.folder).st_mode & 0o777) == "0o700"
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    assert "Preparing" not in _texts(at) and "準備しています" not in _texts(at)
    assert at.metric  # the overview's cards, from the protected file
    assert public.public_path(fresh, 5) == t.out  # the blocking callers share the cache


def test_a_failed_worker_is_one_line_and_the_next_visit_retries(fresh, monkeypatch):
    t = public.target(fresh, 5)
    monkeypatch.setenv("DTP_SUPPRESS_BELOW", "5")
    # a worker that fails: its module cannot read the warehouse (not a DuckDB file any more)
    keep = fresh.read_bytes()
    fresh.write_bytes(b"not a database")
    os.utime(fresh, ns=(os.stat(t.out.parent).st_mtime_ns,) * 2)
    t = public.target(fresh, 5)
    st = public.status(fresh, 5)
    assert st.state == "preparing"
    _wait(int(t.pidfile.read_text()))
    assert t.failed.exists()
    at = AppTest.from_file(APP, default_timeout=60)
    at.session_state["_public_file_visited"] = True  # the session that saw it start
    at.run()
    assert not at.exception
    (err,) = at.error
    assert "\n" not in err.value and "Traceback" not in err.value
    assert t.log.name in err.value
    assert "Traceback" in t.log.read_text()  # the details are in the log
    fresh.write_bytes(keep)  # fixed; a new visit retries
    t = public.target(fresh, 5)
    again = AppTest.from_file(APP, default_timeout=60)
    again.run()
    assert "Preparing the published figures" in _texts(again) or "準備" in _texts(again)
    _wait(int(t.pidfile.read_text()))
    assert t.out.exists()


def test_the_lock_starts_one_worker_and_a_dead_pid_is_taken_over(fresh, monkeypatch):
    t = public.target(fresh, 5)
    started: list[int] = []
    real = public._start
    monkeypatch.setattr(public, "_start", lambda *a: (started.append(1), real(*a)))
    import threading

    threads = [threading.Thread(target=public.status, args=(fresh, 5)) for _ in range(4)]
    for th in threads:
        th.start()
    for th in threads:
        th.join()
    assert started == [1]
    pid = int(t.pidfile.read_text())
    _wait(pid)
    assert t.out.exists()
    # a stale pid file (a worker killed before it took the build lock) is taken over
    t.out.unlink()
    t.pidfile.write_text("999999999")
    assert public.status(fresh, 5).state == "preparing"
    assert started == [1, 1]
    _wait(int(t.pidfile.read_text()))
    assert t.out.exists()
