"""Sign-in, roles and the audit trail (issue 7): the rules of dashboard/access.py, the pages
through AppTest as each role, the audit log under concurrent writers, and the locked DuckDB
connection of the dashboard."""

from __future__ import annotations

import io
import json
import multiprocessing
import sys
import threading
import types
from pathlib import Path

import duckdb
import pytest
from streamlit.testing.v1 import AppTest

from dashboard import access, audit, downloads, queries
from dashboard.access import AccessDenied, AccessFileError, Identity
from dashboard.datasets import DataFilter
from pipelines import settings
from release import catalogue

ROOT = Path(__file__).resolve().parent.parent
APP = str(ROOT / "dashboard" / "app.py")
EXAMPLE = ROOT / "config" / "access.example.toml"
AUTH = {"auth": {"redirect_uri": "http://localhost:8501/oauth2callback",
                 "cookie_secret": "x" * 32, "client_id": "dtp", "client_secret": "s",
                 "server_metadata_url": "http://127.0.0.1:9/.well-known/openid-configuration"}}

STAFF = {"email": "someone@example.go.jp", "groups": ["dtp-all-staff"]}
PEOPLE = {  # claims of the ID token -> the role the example access file gives
    "viewer": STAFF,
    "planner": {"email": "Hanako.Sato@EXAMPLE.go.jp", "groups": []},  # case-insensitive
    "analyst": {"email": "a@example.go.jp", "groups": ["dtp-analysts", "other"]},
    "admin": {"email": "taro.suzuki@example.go.jp"},
}
ROW_LEVEL = [ds.name for ds in catalogue.DOWNLOADABLE if ds.row_level]
AGGREGATED = [ds.name for ds in catalogue.DOWNLOADABLE if ds.aggregated]


def lines(path: Path) -> list[dict]:
    if not path.exists():
        return []
    return [json.loads(raw) for raw in path.read_text(encoding="utf-8").splitlines()]


@pytest.fixture
def audit_log(tmp_path, monkeypatch) -> Path:
    p = tmp_path / "audit.jsonl"
    monkeypatch.setenv("DTP_AUDIT_LOG", str(p))
    return p


@pytest.fixture
def access_file(tmp_path, monkeypatch) -> Path:
    p = tmp_path / "access.toml"
    p.write_text(EXAMPLE.read_text(encoding="utf-8"), encoding="utf-8")
    monkeypatch.setenv("DTP_ACCESS_FILE", str(p))
    return p


# --- the access file ----------------------------------------------------------------------------

def test_example_access_file_gives_each_person_their_role_cumulatively():
    af = access.load_access(EXAMPLE)
    assert af.contact == "dx-jinzai@example.go.jp"
    for role, claims in PEOPLE.items():
        roles = access.roles_for(Identity.from_claims(claims), af)
        assert roles == access.ROLES[:access.ROLES.index(role) + 1], role
    nobody = Identity.from_claims({"sub": "x", "email": "x@example.go.jp", "groups": ["dtp"]})
    assert access.roles_for(nobody, af) == ()
    # a group name is not an e-mail address and vice versa
    assert access.roles_for(Identity.from_claims({"email": "group:dtp-analysts"}), af) == ()
    assert access.roles_for(Identity.from_claims({"groups": ["taro.suzuki@example.go.jp"]}),
                            af) == ()
    unverified = {"sub": "x", "email": "taro.suzuki@example.go.jp", "email_verified": False}
    assert access.roles_for(Identity.from_claims(unverified), af) == ()
    assert Identity.from_claims(unverified).user == "x"
    assert not any("@" in e and not e.endswith("example.go.jp")
                   for es in af.entries.values() for e in es), "example addresses only"


@pytest.mark.parametrize("text", [
    "viewer = [",  # not TOML
    'viewers = ["group:x"]',  # a typo is not silently ignored
    'viewer = "group:x"',  # not a list
    'viewer = ["hanako"]',  # neither e-mail nor group
    'viewer = ["group:"]',
    'contact = 3',
])
def test_invalid_access_files_are_refused(text):
    with pytest.raises(AccessFileError):
        access.parse_access(text)


def test_missing_access_file_is_named_without_its_folder(tmp_path):
    with pytest.raises(AccessFileError) as e:
        access.load_access(tmp_path / "nope.toml")
    assert "nope.toml" in str(e.value) and str(tmp_path) not in str(e.value)


# --- the gate -------------------------------------------------------------------------------------

def test_gate_decisions(access_file, tmp_path):
    d = access.decide
    assert d(None, False, "127.0.0.1", False, {}).status == "misconfigured"
    assert d("public", True, "0.0.0.0", False, {}).principal == access.PUBLIC
    assert d("internal", False, "127.0.0.1", False, {}).principal == access.LOCAL
    assert d("internal", False, "::1", False, {}).principal == access.LOCAL
    for exposed in ("0.0.0.0", "", None, "192.168.1.5"):
        assert d("internal", False, exposed, False, {}).status == "local_exposed"
    assert d("internal", None, "127.0.0.1", False, {}).status == "misconfigured"
    assert d("internal", True, "0.0.0.0", False, {}).status == "sign_in"
    g = d("internal", True, "0.0.0.0", True, {"sub": "s1", "email": "x@example.go.jp"})
    assert (g.status, g.contact) == ("denied", "dx-jinzai@example.go.jp")
    g = d("internal", True, "0.0.0.0", True, {"sub": "s2", **PEOPLE["planner"]})
    assert g.ok and g.principal.role == "planner"
    assert g.principal.user == "Hanako.Sato@EXAMPLE.go.jp"
    # with sign-in configured, a missing or broken access file serves nobody
    missing = d("internal", True, "0.0.0.0", True, PEOPLE["admin"],
                access_path=tmp_path / "gone.toml")
    assert missing.status == "misconfigured" and "gone.toml" in missing.reason
    access_file.write_text("admin = [", encoding="utf-8")
    assert d("internal", True, "0.0.0.0", True, PEOPLE["admin"]).status == "misconfigured"


def test_edition_setting(monkeypatch):
    monkeypatch.delenv("DTP_EDITION", raising=False)
    assert settings.edition() == "internal"
    monkeypatch.setenv("DTP_EDITION", "Public")
    assert settings.edition() == "public"
    monkeypatch.setenv("DTP_EDITION", "internl")
    with pytest.raises(settings.EditionError):
        settings.edition()


def principal(role: str) -> access.Principal:
    ident = Identity.from_claims({"sub": role, **PEOPLE[role]})
    return access.Principal(ident.user, access.ROLES[:access.ROLES.index(role) + 1],
                            "internal", "oidc", ident)


def test_each_role_gets_exactly_its_row_of_the_table():
    pages = {"overview", "hiring", "training", "certification", "security", "workforce",
             "dictionary", "quality", "data", "audit"}
    for role in access.ROLES:
        p = principal(role)
        assert {pg for pg in pages if access.can_page(p, pg)} == pages - (
            set() if role == "admin" else {"audit"}), role
        pub = set(access.datasets_for(p, publication=True))
        raw = set(access.datasets_for(p, publication=False))
        assert pub == set(AGGREGATED), role  # publication form: aggregated only, for all
        want = set() if role == "viewer" else set(AGGREGATED)
        if role in ("analyst", "admin"):
            want |= set(ROW_LEVEL)
        assert raw == want, role
    public = access.PUBLIC
    assert {pg for pg in pages if access.can_page(public, pg)} == pages - {"quality", "audit"}
    assert set(access.datasets_for(public, True)) == set(AGGREGATED)
    assert access.datasets_for(public, False) == []
    assert not access.show_run_internals(public)
    # nothing that is not a downloadable dataset, for anyone
    for p in (principal("admin"), access.LOCAL, public):
        assert not access.may_download(p, "pipeline_runs", False)
        assert not access.may_download(p, "bureaus", True)
        assert not access.may_download(p, "stg_roster", True)


# --- downloads re-check the role when the bytes are made ---------------------------------------

def test_download_callable_made_before_a_role_change_is_refused(tiny_warehouse, access_file,
                                                                audit_log, monkeypatch):
    monkeypatch.setenv("DTP_EDITION", "internal")
    p = principal("analyst")
    f = DataFilter("stg_roster")
    make = downloads.download("csv", str(tiny_warehouse), f, lang="ja", publication=False,
                            threshold=5, bureau_names={}, principal=p)
    data = make()
    with duckdb.connect(str(tiny_warehouse), read_only=True) as con:
        n = con.sql("SELECT count(*) FROM stg_roster").fetchall()[0][0]
    (line,) = lines(audit_log)
    assert {k: line[k] for k in ("user", "event", "dataset", "format", "rows", "publication")
            } == {"user": "a@example.go.jp", "event": "download", "dataset": "stg_roster",
                  "format": "csv", "rows": n, "publication": False}
    assert list(line) == list(audit.KEYS) and line["run_id"]
    assert line["ts"][-6] in "+-" and line["ts"][-3] == ":"  # ISO 8601 with offset
    assert data.count(b"\n") == n + 1
    # the analysts' group loses its role: the same callable now gets nothing
    access_file.write_text(EXAMPLE.read_text(encoding="utf-8").replace(
        '"group:dtp-analysts"', '"group:someone-else"'), encoding="utf-8")
    with pytest.raises(AccessDenied):
        make()
    assert [x["event"] for x in lines(audit_log)] == ["download", "denied"]
    # a viewer's callable for an unprotected table is refused even if built by hand
    viewer = downloads.download("csv", str(tiny_warehouse), DataFilter("kpi"), lang="ja",
                              publication=False, threshold=5, bureau_names={},
                              principal=principal("viewer"))
    with pytest.raises(AccessDenied):
        viewer()
    # ... and the access file going missing stops every download
    access_file.unlink()
    pub = downloads.download("csv", str(tiny_warehouse), DataFilter("kpi"), lang="ja",
                           publication=True, threshold=5, bureau_names={},
                           principal=principal("admin"))
    with pytest.raises(AccessDenied):
        pub()


def test_download_budget_refuses_before_rendering(tiny_warehouse, monkeypatch, audit_log):
    monkeypatch.setitem(downloads.BUDGET_ROWS, "xlsx", 3)
    make = downloads.download("xlsx", str(tiny_warehouse), DataFilter("stg_roster"), lang="ja",
                            publication=False, threshold=5, bureau_names={},
                            principal=access.LOCAL)
    with pytest.raises(downloads.OverBudget):
        make()
    assert lines(audit_log) == []  # nothing left, nothing logged as downloaded


def test_no_audit_line_no_bytes(tiny_warehouse, tmp_path, monkeypatch):
    not_a_folder = tmp_path / "file"
    not_a_folder.write_text("x")
    monkeypatch.setenv("DTP_AUDIT_LOG", str(not_a_folder / "audit.jsonl"))
    make = downloads.download("csv", str(tiny_warehouse), DataFilter("kpi"), lang="ja",
                            publication=True, threshold=5, bureau_names={},
                            principal=access.LOCAL)
    with pytest.raises(OSError):
        make()


# --- the audit log --------------------------------------------------------------------------------

def _writer(path: str, tag: str, n: int) -> None:
    import os

    os.environ["DTP_AUDIT_LOG"] = path
    from dashboard import access as a
    from dashboard import audit as au

    who = a.Principal(tag, ("viewer",))
    big = {"values": {"x": ["y" * 5000]}}  # lines longer than a pipe buffer
    for i in range(n):
        au.record("view", who, page=f"p{i}", filters=big)


def test_concurrent_sessions_never_interleave_or_lose_a_line(tmp_path, monkeypatch):
    path = str(tmp_path / "audit.jsonl")
    # AppTest leaves the app's script as __main__; a spawned child would run it again (and
    # fail where a warehouse exists): the children need only this module's _writer
    monkeypatch.setitem(sys.modules, "__main__", types.ModuleType("__main__"))
    ctx = multiprocessing.get_context("spawn")
    procs = [ctx.Process(target=_writer, args=(path, f"proc{i}", 150)) for i in range(3)]
    for p in procs:
        p.start()
    threads = [threading.Thread(target=_writer, args=(path, f"thread{i}", 150))
               for i in range(3)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    for p in procs:
        p.join(60)
        assert p.exitcode == 0
    got = lines(Path(path))  # every line is whole JSON
    assert len(got) == 6 * 150
    for tag in [f"proc{i}" for i in range(3)] + [f"thread{i}" for i in range(3)]:
        mine = [g["page"] for g in got if g["user"] == tag]
        assert mine == [f"p{i}" for i in range(150)], tag  # none lost, in order
    frame, bad = audit.read(Path(path))
    assert (frame.height, bad) == (900, 0)


def test_audit_reader_skips_bad_lines(tmp_path):
    p = tmp_path / "a.jsonl"
    audit.append(audit.line("view", "u", ["viewer"], page="overview"), p)
    with open(p, "a") as fh:
        fh.write("{not json\n[1,2]\n")
    audit.append(audit.line("download", "u", ["viewer"], rows=3, publication=True), p)
    frame, bad = audit.read(p)
    assert bad == 2 and frame["event"].to_list() == ["view", "download"]
    with pytest.raises(ValueError):
        audit.line("deleted", "u", [])
    with pytest.raises(ValueError):
        audit.line("view", "u", [], secret="x")


# --- the dashboard's DuckDB connection is locked ------------------------------------------------

def test_a_stored_view_cannot_read_other_files(tiny_warehouse, tmp_path):
    evil = tmp_path / "evil.duckdb"
    evil.write_bytes(tiny_warehouse.read_bytes())
    with duckdb.connect(str(evil)) as con:
        con.execute("CREATE VIEW leak AS SELECT * FROM read_csv('/etc/hostname')")
        assert con.sql("SELECT count(*) FROM leak").fetchall()[0][0] >= 0  # works outside
    with pytest.raises(duckdb.Error, match="disabled by configuration"):
        queries._run_batch(str(evil), [queries._q("SELECT * FROM leak")])
    con = queries._connect(str(evil))
    try:
        with pytest.raises(duckdb.Error):
            con.execute("SET enable_external_access = true")
        with pytest.raises(duckdb.Error):
            con.execute("ATTACH '/etc/hostname' AS x")
        assert con.sql("SELECT count(*) FROM kpi").fetchall()[0][0] > 0  # the warehouse reads
    finally:
        con.close()


# --- the pages, as each role (AppTest) ----------------------------------------------------------

def app(wh: Path, monkeypatch, user: dict | None = None, page: str | None = None,
        **params: str) -> AppTest:
    monkeypatch.setenv("DTP_WAREHOUSE", str(wh))
    at = AppTest.from_file(APP, default_timeout=60)
    if user is not None:
        at.secrets.update(AUTH)
        at.user = user
    if page:  # the page's own URL parameters are set when it is opened
        at.run()
        at.switch_page(page)
    for k, v in params.items():
        at.query_params[k] = v
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def text(at: AppTest) -> str:
    parts = [e.value for e in (*at.markdown, *at.caption, *at.text, *at.title, *at.header,
                               *at.info, *at.error, *at.warning)]
    return "\n".join(str(p) for p in parts)


def signed_in(role: str) -> dict:
    return {"is_logged_in": True, "sub": f"sub-{role}", **PEOPLE[role]}


def dataset_options(at: AppTest) -> list[str]:
    (box,) = [s for s in at.selectbox if s.key == "data_dataset"]
    return [o.split(" — ")[-1].split(" ")[0] for o in box.options]  # "title — name (kind)"


def test_local_mode_says_so_on_every_page(tiny_warehouse, monkeypatch, audit_log):
    monkeypatch.delenv("DTP_EDITION", raising=False)
    for page in ("views/overview.py", "views/data.py", "views/quality.py"):
        at = app(tiny_warehouse, monkeypatch, page=page)
        html = " ".join(h.proto.body for h in at.get("html"))
        assert "ローカルモード(サインインなし)" in html, page
    views = [x for x in lines(audit_log) if x["event"] == "view"]
    assert views and {x["user"] for x in views} == {"local"}
    assert {x["roles"][-1] for x in views} == {"analyst"}


def test_local_mode_offers_row_level_data(tiny_warehouse, monkeypatch):
    at = app(tiny_warehouse, monkeypatch, page="views/data.py")
    opts = dataset_options(at)
    assert set(ROW_LEVEL) <= {o for o in opts}


def test_sign_in_page_shows_no_data(tiny_warehouse, monkeypatch, access_file):
    at = app(tiny_warehouse, monkeypatch, user={"is_logged_in": False})
    assert [b.label for b in at.button] == ["サインイン"]
    assert not at.dataframe and not at.metric and not at.sidebar.multiselect
    assert "局" not in " ".join(o for s in at.selectbox for o in s.options)


def test_unlisted_person_gets_the_denied_page_and_nothing_else(tiny_warehouse, monkeypatch,
                                                               access_file, audit_log):
    user = {"is_logged_in": True, "sub": "s-x", "email": "stranger@example.go.jp",
            "groups": ["nope"]}
    at = app(tiny_warehouse, monkeypatch, user=user, dataset="stg_roster")
    t = text(at)
    assert "dx-jinzai@example.go.jp" in t and "stranger@example.go.jp" in t
    assert not at.dataframe and not at.metric and not at.sidebar.multiselect
    assert not at.get("download_button")
    at.switch_page("views/data.py")
    at.run()
    assert not at.dataframe and not at.get("download_button")
    assert [x["event"] for x in lines(audit_log)] == ["denied"]
    assert lines(audit_log)[0]["user"] == "stranger@example.go.jp"


def test_missing_access_file_serves_no_data(tiny_warehouse, monkeypatch, tmp_path):
    monkeypatch.setenv("DTP_ACCESS_FILE", str(tmp_path / "access.toml"))
    at = app(tiny_warehouse, monkeypatch, user=signed_in("admin"))
    t = text(at)
    assert "access.toml" in t and str(tmp_path) not in t
    assert not at.dataframe and not at.metric and not at.button


def test_bad_edition_serves_no_data(tiny_warehouse, monkeypatch):
    monkeypatch.setenv("DTP_EDITION", "everything")
    at = app(tiny_warehouse, monkeypatch)
    assert "DTP_EDITION" in text(at)
    assert not at.dataframe and not at.metric


@pytest.mark.parametrize("role", list(access.ROLES))
def test_data_page_offers_each_role_its_datasets(role, tiny_warehouse, monkeypatch,
                                                 access_file, audit_log):
    at = app(tiny_warehouse, monkeypatch, user=signed_in(role), page="views/data.py")
    opts = set(dataset_options(at))
    if role == "viewer":
        assert opts == set(AGGREGATED)
        assert not at.toggle  # publication form is not a choice
        assert "公表用" in text(at)
    elif role == "planner":
        assert opts == set(AGGREGATED)
        (tog,) = at.toggle
        assert tog.value is False
    else:
        assert opts == set(AGGREGATED) | set(ROW_LEVEL)
    events = [x["event"] for x in lines(audit_log)]
    assert events[0] == "sign_in" and "view" in events
    assert {x["user"] for x in lines(audit_log)} == {PEOPLE[role]["email"]}


@pytest.mark.parametrize("role", ["viewer", "planner"])
def test_url_bypass_to_row_level_data_fails(role, tiny_warehouse, monkeypatch, access_file,
                                            audit_log):
    at = app(tiny_warehouse, monkeypatch, user=signed_in(role), page="views/data.py",
             dataset="stg_roster")
    (box,) = [s for s in at.selectbox if s.key == "data_dataset"]
    assert box.value == "kpi"
    assert "stg_roster" in text(at)  # the page says it was refused
    assert "employee_id" not in {str(c) for d in at.dataframe for c in d.value.columns}
    denied = [x for x in lines(audit_log) if x["event"] == "denied"]
    assert [d["dataset"] for d in denied] == ["stg_roster"]


def test_viewer_cannot_switch_publication_off_by_url(tiny_warehouse, monkeypatch, access_file):
    at = app(tiny_warehouse, monkeypatch, user=signed_in("viewer"), page="views/data.py",
             pub="0", dataset="mart_headcount")
    assert not at.toggle
    assert any(i.icon == ":material/shield:" for i in at.info)  # suppression applied


def test_only_admins_open_the_audit_page(tiny_warehouse, monkeypatch, access_file, audit_log):
    with pytest.raises(ValueError, match="Could not find a navigation page"):
        app(tiny_warehouse, monkeypatch, user=signed_in("analyst"), page="views/audit.py")
    at = app(tiny_warehouse, monkeypatch, user=signed_in("admin"), page="views/audit.py")
    assert "監査ログ" in [t.value for t in at.title]
    (table,) = [d for d in at.dataframe]
    assert {"sign_in", "view"} <= set(table.value["event"])
    assert at.get("download_button")


def test_public_edition_has_no_sign_in_quality_or_row_level(tiny_warehouse, monkeypatch,
                                                            audit_log):
    monkeypatch.setenv("DTP_EDITION", "public")
    from release import public

    public.public_path(tiny_warehouse, 5)  # made ahead (the worker: test_public_worker.py)
    at = app(tiny_warehouse, monkeypatch, user={"is_logged_in": False}, page="views/data.py",
             dataset="stg_roster")
    assert set(dataset_options(at)) == set(AGGREGATED)
    assert not at.toggle and not any(b.label in ("サインイン", "Sign in") for b in at.button)
    with duckdb.connect(str(tiny_warehouse), read_only=True) as con:
        (run_id,), = con.sql("SELECT run_id FROM pipeline_runs").fetchall()
    assert run_id not in text(at)  # no run internals
    with pytest.raises(ValueError, match="Could not find a navigation page"):
        app(tiny_warehouse, monkeypatch, page="views/quality.py")
    at = app(tiny_warehouse, monkeypatch, page="views/overview.py")
    assert run_id not in text(at) and "overview" in {x["page"] for x in lines(audit_log)}
    assert {x["user"] for x in lines(audit_log)} == {"public"}


def test_audit_page_filters_by_event_and_its_csv_rechecks_the_role(
        tiny_warehouse, monkeypatch, access_file, audit_log):
    at = app(tiny_warehouse, monkeypatch, user=signed_in("admin"), page="views/audit.py")
    at.multiselect(key="audit_events").set_value(["sign_in"]).run()
    (table,) = at.dataframe
    assert set(table.value["event"]) == {"sign_in"}
    frame, _ = audit.read()
    admin = principal("admin")
    make = downloads.audit_csv(frame, admin, {"events": ["sign_in"]})
    data = make()
    assert data.count(b"\n") == frame.height + 1
    assert lines(audit_log)[-1]["dataset"] == "audit_log"
    access_file.write_text(EXAMPLE.read_text(encoding="utf-8").replace(
        'admin   = ["taro.suzuki@example.go.jp"]', "admin = []"), encoding="utf-8")
    with pytest.raises(AccessDenied):
        make()  # the button drawn for an admin gives nothing once the role is gone


def test_local_mode_on_an_open_address_shows_no_data(tiny_warehouse, monkeypatch):
    from streamlit import config

    old = config.get_option("server.address")
    config.set_option("server.address", "0.0.0.0")
    try:
        at = app(tiny_warehouse, monkeypatch)
    finally:
        config.set_option("server.address", old)
    assert "127.0.0.1" in text(at)
    assert not at.dataframe and not at.metric and not at.sidebar.multiselect


def test_data_page_past_the_budget_disables_csv_and_xlsx_and_offers_parquet(
        tiny_warehouse, monkeypatch):
    monkeypatch.setitem(downloads.BUDGET_ROWS, "csv", 3)
    monkeypatch.setitem(downloads.BUDGET_ROWS, "xlsx", 3)
    at = app(tiny_warehouse, monkeypatch, page="views/data.py", dataset="stg_roster")
    buttons = {b.proto.id.split("data_dl_")[-1]: b for b in at.get("download_button")}
    assert {k: b.proto.disabled for k, b in buttons.items()} == {
        "csv": True, "xlsx": True, "parquet": False}
    assert any("Parquet" in w.value for w in at.warning)


# --- the briefing pack (Overview buttons) goes through the same gate ------------------------------

@pytest.mark.parametrize("role", list(access.ROLES))
def test_briefing_pack_needs_unprotected_aggregates(role, tiny_warehouse, monkeypatch,
                                                    access_file, audit_log):
    at = app(tiny_warehouse, monkeypatch, user=signed_in(role))
    labels = {b.proto.label: b.proto.disabled for b in at.get("download_button")}
    pptx = [d for label, d in labels.items() if "PowerPoint" in label]
    assert pptx == [role == "viewer"], labels  # viewers: publication form only, so no pack
    assert access.may_brief(principal(role)) is (role != "viewer")
    assert not access.may_brief(access.PUBLIC)


def test_briefing_pack_callable_rechecks_the_role_and_is_audited(tiny_warehouse, access_file,
                                                                 audit_log, monkeypatch):
    from dashboard import brief

    monkeypatch.setenv("DTP_EDITION", "internal")
    planner = principal("planner")
    v = brief.view_for(tiny_warehouse)
    who = access.authorize_brief(planner)
    assert who.role == "planner" and brief.build(v, "pptx")[:2] == b"PK"
    with pytest.raises(AccessDenied):
        access.authorize_brief(principal("viewer"))
    # the planner loses the role after the button was drawn: refused, with a denied line
    access_file.write_text(EXAMPLE.read_text(encoding="utf-8").replace(
        '"hanako.sato@example.go.jp"', '"someone.else@example.go.jp"'), encoding="utf-8")
    with pytest.raises(AccessDenied):
        access.authorize_brief(planner)
    assert [x["event"] for x in lines(audit_log)] == ["denied", "denied"]


@pytest.mark.parametrize("bad", ["1", "5.0", "five"])
def test_a_bad_suppression_threshold_stops_the_app_with_a_message(bad, tiny_warehouse,
                                                                   monkeypatch):
    monkeypatch.setenv("DTP_SUPPRESS_BELOW", bad)
    at = app(tiny_warehouse, monkeypatch)
    (err,) = at.error
    assert "DTP_SUPPRESS_BELOW" in err.value and "設定エラー" in err.value
    assert not at.metric and not at.dataframe and not at.get("plotly_chart")


def test_the_disclosure_control_reads_through_the_locked_connection(tiny_warehouse, tmp_path):
    """publish and the public edition read a warehouse the way the pages do: a view stored in
    the file in place of a table cannot make them read another file."""
    from release import disclosure, public

    evil = tmp_path / "evil.duckdb"
    evil.write_bytes(tiny_warehouse.read_bytes())
    with duckdb.connect(str(evil)) as con:
        con.execute("DROP TABLE published")
        con.execute("CREATE VIEW published AS SELECT * FROM read_csv('/etc/hostname')")
    with pytest.raises(duckdb.Error, match="disabled by configuration"):
        disclosure.read_inputs(evil)
    assert public.is_public(tiny_warehouse) is False  # (a personnel warehouse, read locked)


@pytest.mark.parametrize("table", ["plan_targets", "exams", "bureaus"])
def test_the_public_file_reads_reference_tables_through_the_locked_connection(
        table, tiny_warehouse, tmp_path):
    """public.write copies the reference tables through ``connection.connect`` too: a view
    stored under such a name cannot make the public edition read another file."""
    from release import public, publication

    evil = tmp_path / "evil.duckdb"
    evil.write_bytes(tiny_warehouse.read_bytes())
    rel = publication.release(tiny_warehouse, 5)  # (the kpi and marts are the true ones)
    with duckdb.connect(str(evil)) as con:
        con.execute(f"DROP TABLE {table}")
        con.execute(f"CREATE VIEW {table} AS SELECT * FROM read_csv('/etc/hostname')")
    out = tmp_path / "public.duckdb"
    with pytest.raises(duckdb.Error, match="disabled by configuration"):
        public.write(rel, evil, out)
    assert not out.exists()


# --- the plan review's CSV goes through the same gate (issue 18) ---------------------------------

@pytest.mark.parametrize("role", list(access.ROLES))
def test_review_csv_needs_unprotected_aggregates(role, tiny_warehouse, monkeypatch,
                                                 access_file, audit_log):
    at = app(tiny_warehouse, monkeypatch, user=signed_in(role), page="views/plan_review.py")
    (button,) = [b for b in at.get("download_button") if b.proto.id.endswith("review_download")]
    assert button.proto.disabled is (role == "viewer")  # viewers: publication form only
    assert access.may_review_csv(principal(role)) is (role != "viewer")
    assert access.may_review_csv(access.PUBLIC)  # the public file holds only the release


def test_review_csv_callable_rechecks_the_role_and_is_audited(tiny_warehouse, access_file,
                                                              audit_log, monkeypatch):
    from dashboard import review

    monkeypatch.setenv("DTP_EDITION", "internal")
    monkeypatch.setenv("DTP_WAREHOUSE", str(tiny_warehouse))
    run = queries.current_run(tiny_warehouse)
    (gen,) = review.generations(run, "ja")
    rows = review.review(run, "ja", gen).rows
    planner = principal("planner")
    make = downloads.review_csv(rows, planner, plan_id=gen.plan_id, lang="ja",
                                run_id=run.run_id)
    data = make()
    assert data.startswith(b"\xef\xbb\xbf") and data.count(b"\n") == rows.height + 1
    (line,) = lines(audit_log)
    assert {k: line[k] for k in ("user", "event", "page", "dataset", "format", "rows",
                                 "publication", "run_id", "filters")} == {
        "user": PEOPLE["planner"]["email"], "event": "download", "page": "review",
        "dataset": "plan_review", "format": "csv", "rows": rows.height, "publication": False,
        "run_id": run.run_id, "filters": {"plan": gen.plan_id, "lang": "ja"}}
    # a viewer's callable, built by hand, gets nothing (and leaves a denied line)
    viewer = downloads.review_csv(rows, principal("viewer"), plan_id=gen.plan_id, lang="ja",
                                  run_id=run.run_id)
    with pytest.raises(AccessDenied):
        viewer()
    # the planner loses the role after the button was drawn: the same callable is refused
    access_file.write_text(EXAMPLE.read_text(encoding="utf-8").replace(
        '"hanako.sato@example.go.jp"', '"someone.else@example.go.jp"'), encoding="utf-8")
    with pytest.raises(AccessDenied):
        make()
    assert [x["event"] for x in lines(audit_log)] == ["download", "denied", "denied"]


def test_review_page_pack_callable_rechecks_the_role_and_is_audited(tiny_warehouse, access_file,
                                                                     audit_log, monkeypatch):
    from pptx import Presentation

    from dashboard import brief

    monkeypatch.setenv("DTP_EDITION", "internal")
    v = brief.view_for(tiny_warehouse, lang="en")
    planner = principal("planner")
    make = downloads.brief_pack(v, "pptx", planner, page="review", plan="plan")
    prs = Presentation(io.BytesIO(make()))
    assert len(prs.slides) == 10  # the pack (9 slides) and the review of the implicit plan
    (line,) = lines(audit_log)
    assert {k: line[k] for k in ("event", "page", "dataset", "format", "publication")} == {
        "event": "download", "page": "review", "dataset": "briefing_pack", "format": "pptx",
        "publication": False}
    assert line["filters"]["plan"] == "plan" and line["filters"]["lang"] == "en"
    with pytest.raises(AccessDenied):  # a viewer's, built by hand
        downloads.brief_pack(v, "pptx", principal("viewer"), page="review", plan="plan")()
    access_file.write_text(EXAMPLE.read_text(encoding="utf-8").replace(
        '"hanako.sato@example.go.jp"', '"someone.else@example.go.jp"'), encoding="utf-8")
    with pytest.raises(AccessDenied):  # the role lost after the button was drawn
        make()
    assert [x["event"] for x in lines(audit_log)] == ["download", "denied", "denied"]


@pytest.mark.parametrize("role", list(access.ROLES))
def test_review_page_pack_buttons_need_unprotected_aggregates(role, tiny_warehouse,
                                                              monkeypatch, access_file,
                                                              audit_log):
    at = app(tiny_warehouse, monkeypatch, user=signed_in(role), page="views/plan_review.py")
    buttons = {b.proto.id.rsplit("-", 1)[-1]: b.proto.disabled
               for b in at.get("download_button")}
    assert buttons["review_brief_pptx"] is (role == "viewer"), buttons
