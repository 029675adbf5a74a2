"""The データ更新 / Data deliveries page (issue 22) through AppTest: local mode (upload through
the file uploader, a real worker process, the changes, self-approval with four_eyes false),
signed-in stewards (no approving one's own, crafted approvals refused server-side), admins
(restore, byte-identical), viewers (no page, no URL bypass), stewards without a ladder role."""

from __future__ import annotations

import copy
import hashlib
import json
import shutil
import time
from pathlib import Path

import dataset
import pytest
from streamlit.testing.v1 import AppTest

from dashboard import access, deliveries
from dashboard.access import Identity
from pipelines.delivery import flow, versions
from pipelines.delivery.store import Store

ROOT = Path(__file__).resolve().parent.parent
APP = str(ROOT / "dashboard" / "app.py")
PAGE = "views/deliveries.py"
AUTH = {"auth": {"redirect_uri": "http://localhost:8501/oauth2callback",
                 "cookie_secret": "x" * 32, "client_id": "dtp", "client_secret": "s",
                 "server_metadata_url": "http://127.0.0.1:9/.well-known/openid-configuration"}}
ACCESS = """
contact = "help@example.go.jp"
viewer  = ["group:staff"]
admin   = ["boss@example.go.jp"]
steward = ["a@example.go.jp", "group:stewards"]
"""
PEOPLE = {"a": {"email": "a@example.go.jp", "groups": ["staff"]},
          "b": {"email": "b@example.go.jp", "groups": ["staff", "stewards"]},
          "only": {"email": "s@example.go.jp", "groups": ["stewards"]},
          "viewer": {"email": "v@example.go.jp", "groups": ["staff"]},
          "admin": {"email": "boss@example.go.jp", "groups": []}}


def _sha(p: Path) -> str:
    return hashlib.sha256(p.read_bytes()).hexdigest()


@pytest.fixture()
def live(tiny_warehouse: Path, tmp_path: Path, monkeypatch) -> Path:  # noqa: ANN001
    """A copy of the tiny warehouse, its store under tmp_path, version 1 recorded."""
    wh = tmp_path / "warehouse.duckdb"
    shutil.copyfile(tiny_warehouse, wh)
    monkeypatch.setenv("DTP_WAREHOUSE", str(wh))
    monkeypatch.setenv("DTP_DELIVERIES", str(tmp_path / "store"))
    monkeypatch.setenv("DTP_AUDIT_LOG", str(tmp_path / "audit.jsonl"))
    from pipelines.warehouse import build_lock

    st = Store().open()
    with build_lock(st.live):
        assert versions.adopt_live(st).number == 1
    return wh


@pytest.fixture()
def signin(tmp_path: Path, monkeypatch) -> None:  # noqa: ANN001
    p = tmp_path / "access.toml"
    p.write_text(ACCESS, encoding="utf-8")
    monkeypatch.setenv("DTP_ACCESS_FILE", str(p))


def app(who: str | None = None) -> AppTest:
    at = AppTest.from_file(APP, default_timeout=60)
    if who is not None:
        at.secrets.update(AUTH)
        at.user = {"is_logged_in": True, "sub": f"sub-{who}", **PEOPLE[who]}
    at.run()
    at.switch_page(PAGE)
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def principal(who: str) -> access.Principal:
    ident = Identity.from_claims({"sub": who, **PEOPLE[who]})
    roles = access.roles_for(ident, access.load_access())
    return access.Principal(ident.user, roles, "internal", "oidc", ident)


def hiring_without_e5() -> bytes:
    rows = [r for r in copy.deepcopy(dataset.base())["hiring"] if r["employee_id"] != "E5"]
    folder = dataset.write({"hiring": rows}, Path(__import__("tempfile").mkdtemp()))
    return (folder / "hiring.csv").read_bytes()


def texts(at: AppTest) -> str:
    parts = [e.value for e in (*at.markdown, *at.caption, *at.text, *at.info, *at.error,
                               *at.success, *at.warning)]
    return "\n".join(str(p) for p in parts)


def wait_done(st: Store, delivery_id: str, timeout: float = 120) -> flow.Delivery:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        d = flow.get(st, delivery_id)
        if d.state != "validating":
            return d
        time.sleep(0.2)
    raise AssertionError(flow.get(st, delivery_id))


def button(at: AppTest, key_start: str):  # noqa: ANN201
    found = [b for b in at.button if (b.key or "").startswith(key_start)]
    assert found, [b.key for b in at.button]
    return found[0]


def test_local_mode_upload_see_changes_approve(live, monkeypatch):
    monkeypatch.delenv("DTP_EDITION", raising=False)
    before = _sha(live)
    at = app()
    assert "four_eyes: false" in texts(at)
    at.file_uploader(key="dlv_files").set_value([("hiring.csv", hiring_without_e5(),
                                                  "text/csv")])
    at.text_area(key="dlv_note").input("December")
    next(b for b in at.button if b.label == "登録して検証").click()
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    assert "を登録しました" in texts(at)
    st = Store()
    (d,) = flow.list_deliveries(st)
    assert d.by == "local" and d.uploaded == ["hiring.csv"]
    assert wait_done(st, d.id).state == "valid"  # a separate process did it
    assert _sha(live) == before
    at.run()
    shown = texts(at)
    assert "達成状況の変化 3件(うち1件が未達に)" in shown  # the summary line
    button(at, "dlv_approve_").click()
    at.run()
    assert not at.exception
    assert "承認し、版 2 として公開しました" in texts(at)
    assert _sha(live) != before
    log = [json.loads(x) for x in Path(live.parent / "audit.jsonl").read_text(
        encoding="utf-8").splitlines()]
    (approve,) = [x for x in log if x["event"] == "approve"]
    assert approve["detail"]["four_eyes"] is False and approve["delivery"] == d.id
    # local mode is not an admin: restore is the CLI's (or an admin's)
    assert not [b for b in at.button if b.key == "dlv_restore"]


def test_signed_in_steward_cannot_approve_own_and_crafted_approvals_fail(live, signin):
    st = Store()
    own = flow.propose(st, [("hiring.csv", hiring_without_e5())], "", "a@example.go.jp",
                       run="inline")
    assert own.state == "valid"
    at = app("a")
    approve = button(at, "dlv_approve_")
    assert approve.disabled  # A's own: the button is off ...
    out = deliveries.approve(principal("a"), own.id, "en")  # ... and a crafted call refused
    assert not out.ok and "another person must approve" in out.lines[0]
    # B sees the same changes and approves
    at_b = app("b")
    assert "達成状況の変化 3件" in texts(at_b)
    button(at_b, "dlv_approve_").click()
    at_b.run()
    assert "版 2" in texts(at_b)
    assert versions.live_version(st).number == 2
    # rejected and withdrawn deliveries cannot be approved by a crafted call or session
    rej = flow.propose(st, [("hiring.csv", hiring_without_e5())], "", "a@example.go.jp",
                       run="inline")
    flow.reject(st, rej.id, "b@example.go.jp", "no")
    wd = flow.propose(st, [("hiring.csv", hiring_without_e5())], "", "a@example.go.jp",
                      run="inline")
    flow.withdraw(st, wd.id, "a@example.go.jp")
    for did in (rej.id, wd.id):
        out = deliveries.approve(principal("b"), did, "en")
        assert not out.ok and "cannot be done now" in out.lines[0]
        at_b = app("b")
        at_b.session_state["dlv_pick"] = did  # a crafted session: no approve button either
        at_b.run()
        assert not at_b.exception
        assert not [b for b in at_b.button if (b.key or "").startswith("dlv_approve_")]
    assert versions.live_version(st).number == 2


def test_admin_restores_byte_identical(live, signin):
    st = Store()
    v1 = _sha(live)
    d = flow.propose(st, [("hiring.csv", hiring_without_e5())], "", "a@example.go.jp",
                     run="inline")
    flow.approve(st, d.id, "b@example.go.jp")
    assert _sha(live) != v1
    at_b = app("b")  # a steward who is not an admin: no restore
    assert not [b for b in at_b.button if b.key == "dlv_restore"]
    out = deliveries.restore(principal("b"), 1, "crafted", "en")
    assert not out.ok and _sha(live) != v1
    at = app("admin")
    at.selectbox(key="dlv_restore_n").set_value(1)
    at.text_input(key="dlv_restore_reason").input("bad hires file")
    next(b for b in at.button if b.key == "dlv_restore").click()
    at.run()
    assert not at.exception
    assert "版 1 を復元しました" in texts(at)
    assert _sha(live) == v1
    assert versions.list_versions(st)[0].kind == "restore"


def test_viewer_gets_no_page_and_no_url_bypass(live, signin):
    at = AppTest.from_file(APP, default_timeout=60)
    at.secrets.update(AUTH)
    at.user = {"is_logged_in": True, "sub": "sub-viewer", **PEOPLE["viewer"]}
    at.run()
    with pytest.raises(ValueError, match="Could not find a navigation page"):
        at.switch_page(PAGE)
    assert not access.may_deliver(principal("viewer"))
    out = deliveries.upload(principal("viewer"), [("hiring.csv", b"x\n")], "", "en")
    assert not out.ok and flow.list_deliveries(Store()) == []


def test_steward_without_a_ladder_role_gets_the_deliveries_page_only(live, signin):
    p = principal("only")
    assert p.roles == ("steward",) and p.role == "steward"
    assert [pg.url_path for pg in access.allowed_pages(p, (*__import__(
        "dashboard.nav", fromlist=["x"]).PLAN_PAGES,))] == []
    at = app("only")
    assert at.file_uploader(key="dlv_files") is not None


def test_killed_worker_and_restarted_server_show_interrupted_and_rerun(live, monkeypatch):
    """The worker (a separate process) is killed mid-validation and the server "restarts"
    (a fresh AppTest: no session survives): the live warehouse is untouched, the delivery
    reads as interrupted with a button to run it again, which finishes it."""
    import os
    import signal

    monkeypatch.delenv("DTP_EDITION", raising=False)
    before = _sha(live)
    st = Store()
    d = flow.propose(st, [("hiring.csv", hiring_without_e5())], "", "local", run="spawn")
    deadline = time.monotonic() + 60
    pid = None
    while time.monotonic() < deadline and pid is None:
        prog = flow.get(st, d.id).progress
        if prog.get("phase") in ("intake", "read", "validate", "warehouse"):
            pid = prog.get("pid")
        time.sleep(0.02)
    assert pid, flow.get(st, d.id)
    os.kill(pid, signal.SIGKILL)
    deadline = time.monotonic() + 10
    while flow.get(st, d.id).state != "interrupted" and time.monotonic() < deadline:
        time.sleep(0.05)
    assert _sha(live) == before
    at = app()  # a new server process's first session
    assert "検証が中断されました" in texts(at)
    assert not [b for b in at.button if (b.key or "").startswith("dlv_approve_")]
    button(at, "dlv_rerun_").click()
    at.run()
    assert not at.exception
    assert wait_done(st, d.id).state == "valid"
    assert _sha(live) == before  # still only a candidate


def test_first_delivery_makes_the_warehouse(tmp_path, monkeypatch):
    """No warehouse yet: the deliveries page still opens (the other pages say there is none);
    a whole raw set delivered and approved becomes version 1 and the live warehouse."""
    monkeypatch.delenv("DTP_EDITION", raising=False)
    wh = tmp_path / "warehouse.duckdb"
    monkeypatch.setenv("DTP_WAREHOUSE", str(wh))
    monkeypatch.setenv("DTP_DELIVERIES", str(tmp_path / "store"))
    monkeypatch.setenv("DTP_AUDIT_LOG", str(tmp_path / "audit.jsonl"))
    at = app()
    assert at.file_uploader(key="dlv_files") is not None
    raw = dataset.write(dataset.base(), tmp_path / "raw")
    st = Store()
    d = flow.propose(st, raw, "first", "local", run="inline")
    assert d.state == "valid" and all(f["uploaded"] for f in d.files)
    ch = flow.changes_of(st, d.id)
    assert ch.kpi["value_before"].is_null().all()
    deliveries.approve(access.LOCAL, d.id, "en")
    assert wh.exists() and versions.live_version(st).number == 1
    assert _sha(wh) == versions.get(st, 1).warehouse_sha256


def test_refused_upload_is_one_plain_line_per_problem(live, monkeypatch):
    monkeypatch.delenv("DTP_EDITION", raising=False)
    at = app()
    at.file_uploader(key="dlv_files").set_value([
        ("[click](javascript:alert(1)).csv", b"a\n", "text/csv"),
        ("hiring.xlsx", b"PK\x03\x04", "application/octet-stream")])
    next(b for b in at.button if b.label == "登録して検証").click()
    at.run()
    assert not at.exception
    (err,) = [e.value for e in at.error]
    assert "not a file of the contract" in err and "not a CSV file" in err
    assert "](javascript" not in err  # escaped: no link can come of it
    assert "\\[click\\]\\(javascript" in err
    assert flow.list_deliveries(Store()) == []


def test_the_page_in_english(live, monkeypatch):
    monkeypatch.delenv("DTP_EDITION", raising=False)
    st = Store()
    flow.propose(st, [("hiring.csv", hiring_without_e5())], "", "local", run="inline")
    at = AppTest.from_file(APP, default_timeout=60)
    at.query_params["lang"] = "en"
    at.run()
    at.switch_page(PAGE)
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    shown = texts(at)
    assert "Local mode: you may approve your own delivery (four_eyes: false)." in shown
    assert "3 statuses change, 1 of them to below (未達)" in shown
    assert any(b.label == "Approve and go live" for b in at.button)


def test_a_rejected_delivery_keeps_its_report_table_and_csv(live, monkeypatch):
    monkeypatch.delenv("DTP_EDITION", raising=False)
    rows = copy.deepcopy(dataset.base())["hiring"]
    rows[1]["track"] = "wizard"
    folder = dataset.write({"hiring": rows}, Path(__import__("tempfile").mkdtemp()))
    st = Store()
    d = flow.propose(st, folder, "", "local", run="inline")
    assert d.state == "rejected"
    at = app()
    tables = [t.value for t in at.dataframe]
    report = next(t for t in tables if "規則" in t.columns)
    row = report[report["列"] == "track"].iloc[0]
    assert (row["ファイル"], row["行(表計算ソフトの行番号)"]) == ("hiring.csv", "3")
    assert [b for b in at.get("download_button") if b.proto.label == "検証結果 CSV"]
    assert not [b for b in at.button if (b.key or "").startswith("dlv_approve_")]
    assert deliveries.report_csv(flow.report_of(st, d.id)).startswith(b"\xef\xbb\xbf")
