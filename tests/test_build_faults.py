"""A build that survives faults (issue 10): kill -9, a full disk, a second build at the same
time, a symlinked warehouse path, and the file's permissions.

Each test breaks a real build of the hand-made data set (tests/dataset.py) the way an operator
would meet it: a process killed with SIGKILL, a tmpfs too small for the new file (as root; an
injected ENOSPC everywhere), two ``python -m pipelines build`` processes at once.
"""

from __future__ import annotations

import errno
import hashlib
import os
import shutil
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import duckdb
import pytest
from conftest import dataset

from pipelines import warehouse as wmod
from pipelines.__main__ import main
from pipelines.settings import ROOT
from pipelines.warehouse import BuildBusy, build, build_lock


@pytest.fixture(autouse=True)
def wide_console(monkeypatch):
    monkeypatch.setenv("COLUMNS", "1000")


@pytest.fixture(scope="module")
def raw(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return dataset.write(dataset.base(), tmp_path_factory.mktemp("faults") / "raw")


@pytest.fixture(scope="module")
def good(tmp_path_factory: pytest.TempPathFactory, raw: Path) -> Path:
    wh = tmp_path_factory.mktemp("good") / "warehouse.duckdb"
    build(raw, wh)
    return wh


@pytest.fixture
def wh(tmp_path: Path, good: Path) -> Path:
    """A copy of a good warehouse, alone in its folder."""
    folder = tmp_path / "wh"
    folder.mkdir()
    return Path(shutil.copy2(good, folder / "warehouse.duckdb"))


def sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def runs(path: Path) -> list[str]:
    with duckdb.connect(str(path), read_only=True) as con:
        return [r[0] for r in con.execute(
            "SELECT run_id FROM pipeline_runs ORDER BY started_at").fetchall()]


def cli(raw: Path, wh: Path, *extra: str) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "-m", "pipelines", "build", "--raw", str(raw), "--warehouse", str(wh),
         *extra], cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        env={**os.environ, "COLUMNS": "1000"})


def wait_for(cond, timeout: float = 120.0) -> None:  # noqa: ANN001
    end = time.monotonic() + timeout
    while not cond():
        assert time.monotonic() < end, "timed out"
        time.sleep(0.01)


# --- kill -9 -----------------------------------------------------------------------------------

@pytest.mark.parametrize("moment", ["lock taken", "new file being written"])
def test_kill_9_keeps_the_old_warehouse_and_the_next_build_cleans_up(raw, wh, moment):
    before, history = sha(wh), runs(wh)
    lock = wh.with_name(f".{wh.name}.lock")
    proc = cli(raw, wh)
    if moment == "lock taken":
        wait_for(lock.exists)
    else:
        wait_for(lambda: any(p.name.endswith(".tmp") for p in wh.parent.iterdir()))
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    assert proc.returncode == -signal.SIGKILL
    assert sha(wh) == before, "the killed build changed the warehouse"
    left = sorted(p.name for p in wh.parent.iterdir() if p != wh)
    assert left, "nothing left behind: the kill came too late to test anything"

    res = build(raw, wh)
    assert sorted(os.listdir(wh.parent)) == [wh.name], "leftovers of the killed build remain"
    assert res.cleaned == [n for n in left if not n.endswith(".lock")]
    assert runs(wh) == [*history, res.run_id]  # the old history carried over, one new run


# --- full disk ---------------------------------------------------------------------------------

def assert_disk_full(code: int, err: str, wh: Path, before: str, listing: list[str]) -> None:
    assert code == 1, err
    assert "Traceback" not in err
    lines = err.strip().splitlines()
    assert len(lines) == 1, err
    assert str(wh) in lines[0] and "no space left" in lines[0]
    assert "MB of free space needed" in lines[0] and "MB free" in lines[0]
    assert sha(wh) == before
    assert sorted(os.listdir(wh.parent)) == listing, "files left behind"


def test_full_disk_injected_enospc(raw, wh, monkeypatch, capsys):
    """The file system refuses the last write (the fsync before the swap)."""
    real = wmod._fsync

    def no_space(path: Path) -> None:
        if path.name.endswith(".tmp"):
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC), str(path))
        real(path)

    monkeypatch.setattr(wmod, "_fsync", no_space)
    before, listing = sha(wh), sorted(os.listdir(wh.parent))
    capsys.readouterr()
    code = main(["build", "--raw", str(raw), "--warehouse", str(wh)])
    assert_disk_full(code, capsys.readouterr().err, wh, before, listing)


@pytest.fixture
def tiny_fs(tmp_path: Path, good: Path):  # noqa: ANN201
    """A tmpfs with room for the old warehouse and 256 KB more (root only)."""
    mnt = tmp_path / "tiny"
    mnt.mkdir()
    size = good.stat().st_size + 256 * 1024
    if os.geteuid() != 0 or shutil.which("mount") is None:
        pytest.skip("mounting a tmpfs needs root")
    done = subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={size}", "tmpfs", str(mnt)],
                          capture_output=True)
    if done.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here: {done.stderr.decode().strip()}")
    try:
        yield mnt
    finally:
        subprocess.run(["umount", str(mnt)], check=True)


def test_full_disk_on_a_tiny_filesystem(raw, good, tiny_fs):
    wh = Path(shutil.copy2(good, tiny_fs / "warehouse.duckdb"))
    before, listing = sha(wh), sorted(os.listdir(tiny_fs))
    proc = cli(raw, wh)
    _, err = proc.communicate(timeout=300)
    assert_disk_full(proc.returncode, err, wh, before, listing)


# --- concurrent builds -------------------------------------------------------------------------

def test_second_build_exits_at_once_when_a_build_is_running(raw, wh, capsys):
    before = sha(wh)
    with build_lock(wh):  # another build holds the lock
        capsys.readouterr()
        assert main(["build", "--raw", str(raw), "--warehouse", str(wh)]) == 1
        err = capsys.readouterr().err.strip()
        assert "Traceback" not in err and len(err.splitlines()) == 1, err
        assert f"another build of {wh} is running (pid {os.getpid()})" in err
        assert "--wait" in err
        with pytest.raises(BuildBusy, match="after waiting 0.3 s"):
            build(raw, wh, wait=0.3)
    assert sha(wh) == before
    assert sorted(os.listdir(wh.parent)) == [wh.name]  # the lock file goes with the build


def test_second_build_waits_for_the_first(raw, wh):
    history = runs(wh)
    release = threading.Event()

    def hold() -> None:
        with build_lock(wh):
            release.wait(30)

    holder = threading.Thread(target=hold)
    holder.start()
    wait_for(wh.with_name(f".{wh.name}.lock").exists)
    timer = threading.Timer(1.0, release.set)
    timer.start()
    started = time.monotonic()
    res = build(raw, wh, wait=60)
    assert time.monotonic() - started >= 0.9  # it waited for the lock
    holder.join()
    assert runs(wh) == [*history, res.run_id]


def test_two_processes_at_once_both_build_and_keep_the_history(raw, wh):
    history = runs(wh)
    first = cli(raw, wh, "--wait", "300")
    second = cli(raw, wh, "--wait", "300")
    for p in (first, second):
        _, err = p.communicate(timeout=600)
        assert p.returncode == 0, err
    after = runs(wh)
    assert after[:len(history)] == history and len(after) == len(history) + 2
    assert sorted(os.listdir(wh.parent)) == [wh.name]


def test_second_process_without_wait_is_refused_while_the_first_runs(raw, wh):
    lock = wh.with_name(f".{wh.name}.lock")
    first = cli(raw, wh)
    wait_for(lock.exists)
    second = cli(raw, wh)
    _, err2 = second.communicate(timeout=300)
    _, err1 = first.communicate(timeout=300)
    assert first.returncode == 0, err1
    assert second.returncode == 1 and "another build of" in err2 and "Traceback" not in err2
    assert len(runs(wh)) == 2  # the good build's run and the first process's


# --- symlink, permissions, fsync ---------------------------------------------------------------

def test_symlinked_warehouse_keeps_the_link_and_replaces_the_target(raw, wh, tmp_path):
    link = tmp_path / "links" / "current.duckdb"
    link.parent.mkdir()
    link.symlink_to(wh)
    before = runs(wh)
    res = build(raw, link)
    assert link.is_symlink() and link.resolve() == wh.resolve()
    assert runs(wh) == [*before, res.run_id]  # the target was replaced
    assert sorted(os.listdir(link.parent)) == [link.name]
    assert sorted(os.listdir(wh.parent)) == [wh.name]


def test_relative_symlink_to_a_first_build(raw, tmp_path):
    (tmp_path / "data").mkdir()
    link = tmp_path / "warehouse.duckdb"
    link.symlink_to(Path("data") / "real.duckdb")  # dangling until the first build
    build(raw, link)
    assert link.is_symlink() and (tmp_path / "data" / "real.duckdb").is_file()


def test_first_build_creates_the_file_0640(raw, tmp_path):
    old = os.umask(0)  # whatever the umask, the warehouse is not world-readable
    try:
        wh = build(raw, tmp_path / "new" / "warehouse.duckdb").warehouse
    finally:
        os.umask(old)
    assert wh.stat().st_mode & 0o777 == 0o640


def test_rebuild_keeps_mode_and_group(raw, wh):
    groups = [g for g in os.getgroups() if g != wh.stat().st_gid]
    gid = (groups[0] if groups else wh.stat().st_gid) if os.geteuid() != 0 else 4242
    os.chown(wh, -1, gid)
    os.chmod(wh, 0o604)
    build(raw, wh)
    st = wh.stat()
    assert st.st_mode & 0o777 == 0o604
    assert st.st_gid == gid


def test_folder_fsynced_after_the_replace(raw, wh, monkeypatch):
    events: list[str] = []
    real_fsync, real_replace = os.fsync, os.replace

    def fsync(fd: int) -> None:
        events.append("fsync " + os.readlink(f"/proc/self/fd/{fd}"))
        real_fsync(fd)

    def replace(src, dst) -> None:  # noqa: ANN001
        events.append(f"replace {Path(dst)}")
        real_replace(src, dst)

    monkeypatch.setattr(wmod.os, "fsync", fsync)
    monkeypatch.setattr(wmod.os, "replace", replace)
    build(raw, wh)
    i = events.index(f"replace {wh}")
    assert events[i - 1].startswith(f"fsync {wh.parent}/.{wh.name}.")  # the new file, before
    assert events[i + 1] == f"fsync {wh.parent}"  # the folder, after
