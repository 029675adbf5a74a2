"""The delivery flow end to end through its CLI and functions (pipelines/delivery): propose →
validate + candidate → approve (four eyes) / reject / withdraw; versions and restore; a
killed worker; bad uploads; the store's permissions and the audit lines."""

from __future__ import annotations

import copy
import hashlib
import io
import json
import os
import signal
import stat
import time
import zipfile
from pathlib import Path

import dataset
import pytest

from pipelines.__main__ import main
from pipelines.delivery import flow, intake, versions
from pipelines.delivery.store import Store


def _sha(p: Path) -> str:
    return hashlib.sha256(p.read_bytes()).hexdigest()


def _csv(name: str, rows: list[dict], tmp: Path) -> bytes:
    folder = dataset.write({name: rows}, tmp / f"one-{name}-{time.monotonic_ns()}")
    return (folder / f"{name}.csv").read_bytes()


@pytest.fixture()
def live(tmp_path: Path, capsys) -> tuple[Path, Path]:  # noqa: ANN001
    """A warehouse built by the CLI (version 1, "CLI") and its own store."""
    raw = dataset.write(dataset.base(), tmp_path / "raw")
    wh = tmp_path / "warehouse.duckdb"
    Store(None, wh).open()  # a scratch warehouse records versions once it has a store
    assert main(["build", "--raw", str(raw), "--warehouse", str(wh)]) == 0
    assert "Recorded as version 1" in capsys.readouterr().out
    return wh, tmp_path / "warehouse.duckdb.deliveries"


def _hiring_without_e5(tmp_path: Path) -> Path:
    d = copy.deepcopy(dataset.base())
    folder = tmp_path / "delivery"
    dataset.write({"hiring": [r for r in d["hiring"] if r["employee_id"] != "E5"]}, folder)
    return folder


def test_cli_propose_show_changes_approve_restore(live, tmp_path, capsys):
    wh, store = live
    v1 = _sha(wh)
    raw = _hiring_without_e5(tmp_path)
    args = ["--warehouse", str(wh)]
    assert main(["delivery", "propose", "--raw", str(raw), "--by", "a@example.jp",
                 "--note", "November", *args]) == 0
    printed = capsys.readouterr().out.strip().splitlines()
    did = printed[-1]
    assert flow.ID_PATTERN.fullmatch(did)
    assert any("statuses change" in line for line in printed)
    assert _sha(wh) == v1  # nothing live yet

    d = flow.get(Store(None, wh), did)
    assert d.state == "valid" and d.uploaded == ["hiring.csv"]
    carried = {f["file"] for f in d.files if not f["uploaded"]}
    assert "roster.csv" in carried and "hiring.csv" not in carried
    assert next(f for f in d.files if f["file"] == "hiring.csv")["rows"] == 1

    assert main(["delivery", "show", did, "--json", *args]) == 0
    shown = json.loads(capsys.readouterr().out)
    assert shown["state"] == "valid" and shown["changes"]["kpi"][0]["status_after"] == "below"

    out_csv = tmp_path / "changes.csv"
    assert main(["delivery", "changes", did, "--out", str(out_csv), *args]) == 0
    lines = out_csv.read_text(encoding="utf-8").splitlines()
    assert lines[0] == ("metric,fiscal_year,bureau_code,value_before,value_after,"
                        "status_before,status_after,plan_before,plan_after")
    assert lines[1].startswith("digital_hires,2020,,1.0,0.0,met,below")

    capsys.readouterr()
    assert main(["delivery", "approve", did, "--by", "A@example.jp", *args]) == 1
    assert "another person must approve" in capsys.readouterr().err
    assert _sha(wh) == v1
    assert main(["delivery", "approve", did, "--by", "b@example.jp", *args]) == 0
    v2 = _sha(wh)
    assert v2 != v1
    assert main(["delivery", "approve", did, "--by", "b@example.jp", *args]) == 1  # twice

    capsys.readouterr()
    assert main(["versions", "list", *args]) == 0
    listed = capsys.readouterr().out.strip().splitlines()
    assert [line.split()[0] for line in listed] == ["2", "1"]
    assert "delivery" in listed[0] and "[live]" in listed[0] and "CLI" in listed[1]

    assert main(["versions", "restore", "1", "--by", "admin@example.jp", "--reason",
                 "bad hires file", *args]) == 0
    assert _sha(wh) == v1  # byte-identical
    st = Store(None, wh)
    newest = versions.list_versions(st)[0]
    assert (newest.number, newest.kind, newest.restored_from) == (3, "restore", 1)
    assert versions.live_version(st).number == 3

    # unknown ids: one line, exit 2
    assert main(["versions", "restore", "9", "--by", "x", "--reason", "r", *args]) == 2
    assert main(["delivery", "show", "20990101T000000Z-abcdef", *args]) == 2
    assert main(["delivery", "show", "../../etc", *args]) == 2
    err = capsys.readouterr().err
    assert "version 9 does not exist" in err and "does not exist" in err

    # the store: 0700, its files 0600; audit lines name files and hashes, never rows
    assert stat.S_IMODE(os.stat(store).st_mode) == 0o700
    for p in store.rglob("*"):
        if p.is_file() and not p.name.startswith(".") or p.suffix == ".lock":
            assert stat.S_IMODE(os.stat(p).st_mode) == 0o600, p
    log = [json.loads(x) for x in Path(os.environ["DTP_AUDIT_LOG"]).read_text(
        encoding="utf-8").splitlines()]
    mine = [x for x in log if x["delivery"] in (did, "version 1")]
    assert [x["event"] for x in mine] == ["upload", "validation", "approve", "restore"]
    assert mine[0]["files"][0]["sha256"] == d.files[0]["sha256"] or mine[0]["files"]
    assert mine[2]["detail"]["four_eyes"] is True
    assert "E2" not in json.dumps(mine)  # no row contents


def test_rejected_delivery_keeps_its_report(live, tmp_path, capsys):
    wh, _store = live
    before = _sha(wh)
    bad = copy.deepcopy(dataset.base())["hiring"]
    bad[1]["track"] = "wizard"
    folder = dataset.write({"hiring": bad}, tmp_path / "bad")
    assert main(["delivery", "propose", "--raw", str(folder), "--by", "a@x.jp",
                 "--warehouse", str(wh)]) == 1
    did = capsys.readouterr().out.strip().splitlines()[-1]
    st = Store(None, wh)
    d = flow.get(st, did)
    assert d.state == "rejected" and _sha(wh) == before
    report = flow.report_of(st, did)
    row = report.filter(report["column"] == "track").row(0, named=True)
    assert (row["file"], row["rows"], row["count"], row["severity"]) == (
        "hiring.csv", "3", 1, "error")
    with pytest.raises(flow.Refused, match="rejected"):
        flow.approve(st, did, "b@x.jp")
    # only the uploader or an admin deletes it
    with pytest.raises(flow.Refused, match="uploader or an admin"):
        flow.delete(st, did, "b@x.jp")
    flow.delete(st, did, "a@x.jp")
    with pytest.raises(flow.UnknownDelivery):
        flow.get(st, did)


def test_refused_when_live_moved_and_state_rules(live, tmp_path, capsys):
    wh, _ = live
    st = Store(None, wh)
    raw = _hiring_without_e5(tmp_path)
    d = flow.propose(st, raw, "", "a@x.jp", run="inline")
    other = flow.propose(st, raw, "", "a@x.jp", run="inline")
    assert d.state == other.state == "valid"
    # a CLI build in between: the candidate was built against another live warehouse
    base = dataset.write(dataset.base(), tmp_path / "raw2")
    assert main(["build", "--raw", str(base), "--warehouse", str(wh)]) == 0
    with pytest.raises(flow.Refused, match="validate again"):
        flow.approve(st, d.id, "b@x.jp")
    # reasons, withdrawals, own deliveries in local mode
    with pytest.raises(flow.Refused, match="reason"):
        flow.reject(st, d.id, "b@x.jp", "  ")
    flow.reject(st, d.id, "b@x.jp", "built against last month")
    with pytest.raises(flow.Refused):
        flow.approve(st, d.id, "b@x.jp")
    with pytest.raises(flow.Refused, match="uploader or an admin"):
        flow.withdraw(st, other.id, "b@x.jp")
    flow.withdraw(st, other.id, "a@x.jp")
    with pytest.raises(flow.Refused, match="withdrawn"):
        flow.approve(st, other.id, "a@x.jp", four_eyes=False)
    third = flow.propose(st, raw, "", "local", run="inline")
    v = flow.approve(st, third.id, "local", four_eyes=False)  # local mode: self-approval
    assert flow.get(st, third.id).four_eyes is False and v.approver == "local"


def test_killed_worker_reads_interrupted_and_reruns(live, tmp_path):
    wh, _ = live
    before = _sha(wh)
    st = Store(None, wh)
    d = flow.propose(st, _hiring_without_e5(tmp_path), "", "a@x.jp", run=None)
    assert flow.get(st, d.id).state == "interrupted"  # no worker holds it
    flow.rerun(st, d.id, "a@x.jp", run="spawn")
    proc_pid = None
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        prog = flow.get(st, d.id).progress
        if prog.get("phase") in ("read", "validate", "warehouse") and prog.get("pid"):
            proc_pid = prog["pid"]
            break
        time.sleep(0.05)
    assert proc_pid, flow.get(st, d.id).progress
    os.kill(proc_pid, signal.SIGKILL)
    deadline = time.monotonic() + 10
    while flow.get(st, d.id).state != "interrupted" and time.monotonic() < deadline:
        time.sleep(0.05)
    assert flow.get(st, d.id).state == "interrupted"
    assert _sha(wh) == before  # nothing half-applied
    assert not list(wh.parent.glob(f".{wh.name}.*.tmp"))
    flow.rerun(st, d.id, "a@x.jp", run="inline")
    assert flow.get(st, d.id).state == "valid"


def _running(pid: int) -> bool:
    """Whether ``pid`` is a live process (not gone, not a zombie waiting to be reaped)."""
    try:
        return Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()[0] != "Z"
    except OSError:
        return False


def test_withdraw_mid_validation_stops_the_worker(live, tmp_path, monkeypatch):
    """Issue 22: withdrawing a delivery whose validation is running kills its worker process
    (held in validation by DTP_WORKER_HOLD, its half-built candidate on disk), marks it
    withdrawn and removes the candidate's files; the live warehouse is byte-identical."""
    wh, _ = live
    before = wh.read_bytes()
    st = Store(None, wh)
    monkeypatch.setenv("DTP_WORKER_HOLD", "validate")
    d = flow.propose(st, _hiring_without_e5(tmp_path), "", "a@x.jp", run="spawn")
    folder = st.deliveries_dir / d.id
    pid = json.loads((folder / "worker.json").read_text(encoding="utf-8"))["pid"]
    try:
        deadline = time.monotonic() + 120
        while not (flow.get(st, d.id).progress.get("phase") == "validate"
                   and list(folder.glob(".candidate.duckdb.*.tmp"))):
            assert time.monotonic() < deadline, flow.get(st, d.id).progress
            time.sleep(0.05)
        assert _running(pid) and flow.get(st, d.id).state == "validating"

        w = flow.withdraw(st, d.id, "a@x.jp")
        assert w.state == "withdrawn"
        assert not _running(pid)  # gone when withdraw returns, not when it would finish
        assert flow.get(st, d.id).state == "withdrawn"
        assert wh.read_bytes() == before
        assert not [p.name for p in folder.iterdir() if "candidate" in p.name]
        assert not list(wh.parent.glob(f".{wh.name}.*"))  # no temp file beside live
        log = [json.loads(x) for x in Path(os.environ["DTP_AUDIT_LOG"]).read_text(
            encoding="utf-8").splitlines()]
        line = [x for x in log if x.get("delivery") == d.id][-1]
        assert line["event"] == "withdraw" and line["detail"]["worker_stopped"] is True
    finally:
        if _running(pid):
            os.killpg(pid, signal.SIGKILL)


def _zip(entries: dict[str, bytes], links: tuple[str, ...] = ()) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:
        for name, data in entries.items():
            info = zipfile.ZipInfo(name)
            if name in links:
                info.external_attr = (stat.S_IFLNK | 0o777) << 16
            zf.writestr(info, data, compress_type=zipfile.ZIP_DEFLATED)
    return buf.getvalue()


@pytest.mark.parametrize(("uploads", "expect"), [
    ([("hiring.xlsx", b"PK\x03\x04")], "not a CSV file"),
    ([("staff.csv", b"a,b\n")], "not a file of the contract"),
    ([("hiring.csv", b"PK\x03\x04binary\x00")], "not a CSV file"),
    ([("hiring.csv", b"a\n"), ("x/hiring.csv", b"a\n")], "given twice"),
    ([("d.zip", _zip({"../hiring.csv": b"a\n"}))], "leaving the folder"),
    ([("d.zip", _zip({"/etc/hiring.csv": b"a\n"}))], "absolute path"),
    ([("d.zip", _zip({"inner.zip": _zip({"hiring.csv": b"a\n"})}))], "archive inside"),
    ([("d.zip", _zip({"hiring.csv": b"a" * 2_000_000}))], "zip bomb"),
    ([("d.zip", _zip({"hiring.csv": b"target"}, links=("hiring.csv",)))], "is a link"),
    ([("d.zip", _zip({"hiring.csv": b"a\n"})), ("hiring.csv", b"a\n")], "given twice"),
    ([("hiring.csv", b"a" * 3000)], "more than the upload limit"),
])
def test_bad_uploads_are_one_clear_line(uploads, expect):
    with pytest.raises(intake.Rejected) as exc:
        intake.unpack(uploads, limit=2048 if expect.startswith("more") else 10 << 20)
    assert any(expect in line for line in exc.value.lines), exc.value.lines


def test_zip_of_a_folder_is_taken(tmp_path):
    data = {"raw/hiring.csv": b"employee_id\n", "raw/roster.csv": b"fiscal_year\n"}
    assert sorted(intake.unpack([("d.zip", _zip(data))], 1 << 20)) == ["hiring.csv",
                                                                       "roster.csv"]


def test_upload_through_the_function_stores_nothing_when_refused(live, tmp_path):
    wh, store = live
    st = Store(None, wh)
    blobs = sorted(p.name for p in (store / "blobs").rglob("*") if p.is_file())
    with pytest.raises(intake.Rejected):
        flow.propose(st, {"hiring.csv": b"ok\n", "nope.txt": b"x"}, "", "a@x.jp", run=None)
    assert sorted(p.name for p in (store / "blobs").rglob("*") if p.is_file()) == blobs
    assert flow.list_deliveries(st) == []


def test_sample_next_month_changes_a_status_and_an_outlook(tmp_path, capsys):
    """`sample --next-month` is the sample's next delivery: a whole raw set (still sample
    data) whose changes include at least one status flip and one pace outlook flip."""
    import duckdb

    raw, nxt, wh = tmp_path / "raw", tmp_path / "next", tmp_path / "warehouse.duckdb"
    assert main(["sample", "--out", str(raw), "--staff", "600"]) == 0
    assert main(["sample", "--next-month", "--out", str(nxt), "--staff", "600"]) == 0
    Store(None, wh).open()
    assert main(["build", "--raw", str(raw), "--warehouse", str(wh)]) == 0
    st = Store(None, wh)
    d = flow.propose(st, nxt, "December", "steward@x.jp", run="inline")
    assert d.state == "valid", flow.report_of(st, d.id)
    ch = flow.changes_of(st, d.id)
    assert ch.kpi["flip"].any() and ch.pace["flip"].any()
    hires = ch.kpi.filter((ch.kpi["metric"] == "digital_hires") & ch.kpi["bureau_code"].is_null()
                          & (ch.kpi["fiscal_year"] == 2026)).row(0, named=True)
    assert hires["value_after"] == hires["value_before"] + 1
    assert "as of 2026-11-20 → 2026-12-20" in ch.summary("en")
    with duckdb.connect(str(flow.candidate_of(st, d.id)), read_only=True) as con:
        origin = con.sql("SELECT data_origin FROM pipeline_runs ORDER BY started_at DESC "
                         "LIMIT 1").fetchall()[0][0]
    assert origin == "sample"


def test_deliveries_wait_their_turn(live, tmp_path):
    """One validation at a time (the store's queue lock): a second worker shows ``queued``
    (validating, not interrupted) until the first is done."""
    from pipelines.delivery.store import flock

    wh, store = live
    st = Store(None, wh)
    with flock(store / ".queue.lock"):  # as if another delivery were being validated
        d = flow.propose(st, _hiring_without_e5(tmp_path), "", "a@x.jp", run="spawn")
        time.sleep(1.0)
        now = flow.get(st, d.id)
        assert now.state == "validating" and now.progress["phase"] == "queued"
    deadline = time.monotonic() + 120
    while flow.get(st, d.id).state == "validating" and time.monotonic() < deadline:
        time.sleep(0.2)
    assert flow.get(st, d.id).state == "valid"


def test_retention_and_expiry(live, tmp_path, monkeypatch):
    wh, store = live
    st = Store(None, wh)
    monkeypatch.setenv("DTP_VERSIONS_KEEP", "2")
    raw = _hiring_without_e5(tmp_path)
    first_sha = versions.get(st, 1).warehouse_sha256
    for n in (2, 3):
        d = flow.propose(st, raw, "", "a@x.jp", run="inline")
        for blob in (store / "blobs").rglob("*"):  # stored long ago (GC spares recent files)
            if blob.is_file():
                os.utime(blob, (time.time() - 7200, time.time() - 7200))
        flow.approve(st, d.id, "b@x.jp")
        assert versions.list_versions(st)[0].number == n
    assert [v.number for v in versions.list_versions(st)] == [3, 2]
    assert not st.blob(first_sha).exists()  # nothing names version 1's file any more
    with pytest.raises(versions.UnknownVersion, match="versions kept: 3, 2"):
        versions.get(st, 1)
    # a rejected delivery goes after DTP_REJECTED_DAYS
    d = flow.propose(st, raw, "", "a@x.jp", run="inline")
    flow.reject(st, d.id, "b@x.jp", "no")
    assert flow.purge_expired(st, days=30) == []
    rec = store / "deliveries" / d.id / "delivery.json"
    obj = json.loads(rec.read_text(encoding="utf-8"))
    obj["history"][-1]["at"] = "2026-01-01T00:00:00Z"
    rec.write_text(json.dumps(obj), encoding="utf-8")
    assert flow.purge_expired(st, days=30) == [d.id]
    assert not (store / "deliveries" / d.id).exists()


def test_cli_propose_takes_one_zip(live, tmp_path, capsys):
    wh, _ = live
    raw = _hiring_without_e5(tmp_path)
    archive = tmp_path / "december.zip"
    archive.write_bytes(_zip({"december/hiring.csv": (raw / "hiring.csv").read_bytes()}))
    assert main(["delivery", "propose", "--raw", str(archive), "--by", "a@x.jp",
                 "--warehouse", str(wh)]) == 0
    did = capsys.readouterr().out.strip().splitlines()[-1]
    d = flow.get(Store(None, wh), did)
    assert d.state == "valid" and d.uploaded == ["hiring.csv"]
    bad = tmp_path / "bad.zip"
    bad.write_bytes(_zip({"../hiring.csv": b"x\n"}))
    assert main(["delivery", "propose", "--raw", str(bad), "--by", "a@x.jp",
                 "--warehouse", str(wh)]) == 1
    assert "leaving the folder" in capsys.readouterr().err
