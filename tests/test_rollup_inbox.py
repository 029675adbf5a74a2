"""The roll-up edition's submissions inbox (issue 24 item 4): the access file's ``submitter``
list, the standing checked server-side (a submitter of another organisation is refused), an
uploaded zip through the delivery flow's zip safety and the one pack validation (reported in
the CLI's words), the changes against the organisation's previous month (status flips first),
the accept into the store, and the audit lines submit / accepted / rejected.

The store holds the two conftest organisations' packs for October; the upload is MOE's
November pack (a differently seeded MOE sample: statuses, values and withheld cells move)."""

from __future__ import annotations

import io
import json
import shutil
import zipfile
from pathlib import Path

import duckdb
import pytest
from packs import move_as_of
from streamlit.testing.v1 import AppTest

from dashboard import access, nav
from dashboard.rollup import inbox
from pipelines.__main__ import main
from pipelines.sample import generate
from pipelines.warehouse import build
from release import publication, rollup_store
from release.organisation import resolve

APP = str(Path(__file__).resolve().parent.parent / "dashboard" / "app.py")
ACCESS = """
contact = "dtp-rollup@example.go.jp"
viewer = ["group:rollup-readers"]
submitter = ["MOE:group:moe-dtp", "XYZ:xyz.person@example.go.jp"]
"""
MOE = access.Identity("moe-sub", "moe.person@example.go.jp", ("moe-dtp",))
XYZ = access.Identity("xyz-sub", "xyz.person@example.go.jp", ())
AUTH = {"auth": {"redirect_uri": "http://localhost:8501/oauth2callback",
                 "cookie_secret": "x" * 32, "client_id": "c", "client_secret": "s",
                 "server_metadata_url": "http://127.0.0.1:9/.well-known/openid-configuration"}}


def _moved(pack: Path, to: Path, as_of: str) -> Path:
    """A copy of ``pack`` as of ``as_of``, in every file that records it (one story)."""
    return move_as_of(Path(shutil.copytree(pack, to)), as_of)


def zipped(folder: Path, top: str | None = "pack") -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as z:
        for p in sorted(folder.iterdir()):
            z.write(p, f"{top}/{p.name}" if top else p.name)
    return buf.getvalue()


@pytest.fixture(scope="module")
def world(rollup_packs, tmp_path_factory) -> dict:
    """The store (October: MOE and XYZ), MOE's November pack (one status flipped) and the
    access file."""
    root = tmp_path_factory.mktemp("inbox")
    store = root / "store"
    for pack in rollup_packs:
        code = pack.name.removeprefix("pack-")
        moved = _moved(pack, root / f"{code}-oct", "2026-10-31")
        assert main(["rollup", "accept", str(moved), "--store", str(store)]) == 0
    raw = root / "raw-MOE-nov"  # November: the same organisation, a month's more changes
    generate(raw, staff=150, seed=23, organisation="MOE")
    wh = root / "MOE-nov.duckdb"
    build(raw, wh)
    nov = publication.write_pack(wh, root / "MOE-nov", 5, resolve("MOE", None, None, raw)
                                 ).out_dir
    acc = root / "access.toml"
    acc.write_text(ACCESS, encoding="utf-8")
    out = root / "rollup.duckdb"
    assert main(["rollup", "--store", str(store), "--out", str(out)]) == 0
    return {"store": store, "nov": nov, "access": acc, "rollup": out,
            "xyz": rollup_packs[1], "root": root}


@pytest.fixture
def env(world, monkeypatch, tmp_path):
    monkeypatch.setenv("DTP_EDITION", "rollup")
    monkeypatch.setenv("DTP_ACCESS_FILE", str(world["access"]))
    monkeypatch.setenv("DTP_ROLLUP_STORE", str(world["store"]))
    monkeypatch.setenv("DTP_WAREHOUSE", str(world["rollup"]))
    log = tmp_path / "audit.jsonl"
    monkeypatch.setenv("DTP_AUDIT_LOG", str(log))
    return log


def principal(ident: access.Identity) -> access.Principal:
    acc = access.load_access()
    return access.Principal(ident.user, access.roles_for(ident, acc), "rollup", "oidc", ident,
                            access.submits_for(ident, acc))


def events(log: Path) -> list[dict]:
    return [json.loads(x) for x in log.read_text(encoding="utf-8").splitlines()] \
        if log.exists() else []


# --- the access file ---------------------------------------------------------------------------

def test_the_submitter_list(world, env):
    acc = access.load_access()
    assert acc.submitters == (("MOE", "group:moe-dtp"), ("XYZ", "xyz.person@example.go.jp"))
    assert access.submits_for(MOE, acc) == ("MOE",)
    assert access.submits_for(XYZ, acc) == ("XYZ",)
    for bad, says in (('submitter = ["moe.person@example.go.jp"]', "CODE:e-mail"),
                      ('submitter = ["ALL:x@example.go.jp"]', "reserved"),
                      ('submitter = ["MOE:nobody"]', "neither an e-mail"),
                      ('submitter = "MOE:x@example.go.jp"', "list of strings")):
        with pytest.raises(access.AccessFileError, match=says):
            access.parse_access(bad)


def test_a_submitter_needs_no_role_and_opens_the_inbox_only(world, env):
    claims = {"sub": "moe-sub", "email": "moe.person@example.go.jp", "groups": ["moe-dtp"]}
    gate = access.decide("rollup", True, "0.0.0.0", True, claims, world["access"])
    assert gate.ok and gate.principal.roles == () and gate.principal.submits == ("MOE",)
    pages = {p.url_path for p in access.allowed_pages(gate.principal, nav.ROLLUP_PAGES)}
    assert pages == {"inbox"}
    assert access.may_submit(gate.principal, "MOE")
    assert not access.may_submit(gate.principal, "XYZ")
    # not in the ministry edition, and a reader without the list has no inbox
    gate = access.decide("internal", True, "0.0.0.0", True, claims, world["access"])
    assert gate.status == "denied"
    reader = access.Principal("r@example.go.jp", ("viewer",), "rollup", "oidc")
    assert not access.can_page(reader, "inbox") and not access.may_submit(reader, "MOE")


# --- receiving a pack ------------------------------------------------------------------------

def test_a_pack_is_checked_and_compared_with_the_previous_month(world, env):
    got = inbox.receive(principal(MOE), "moe-nov.zip", zipped(world["nov"]), world["store"])
    assert got.ok, got.problems
    assert (got.organisation, got.month) == ("MOE", "2026-11")
    assert got.previous["month"] == "2026-10" and got.replaces is None
    ch = got.changes
    kinds = ch["kind"].to_list()
    assert "flip" in kinds and kinds[0] == "flip"  # status flips first
    assert kinds == sorted(kinds, key=rollup_store.CHANGE_KINDS.index)
    assert {"withheld", "shown", "value"} <= set(kinds)
    before = rollup_store.part_frame(world["store"], got.previous, "kpi.parquet")
    for row in ch.filter(ch["kind"] == "flip").head(5).iter_rows(named=True):
        old = before.filter((before["metric"] == row["metric"])
                            & (before["fiscal_year"] == row["fiscal_year"])
                            & (before["bureau_code"].eq_missing(row["bureau_code"])))
        assert old["status"].item() == row["status_before"] != row["status_after"]
    assert [e["event"] for e in events(env)] == ["submit"]
    shutil.rmtree(got.folder)


def test_the_submitter_accepts_and_the_store_keeps_it(world, env, tmp_path):
    store = Path(shutil.copytree(world["store"], tmp_path / "store"))
    p = principal(MOE)
    got = inbox.receive(p, "moe-nov.zip", zipped(world["nov"]), store)
    out = tmp_path / "rollup.duckdb"
    rec = inbox.accept(p, got, store, out)
    assert (rec["organisation"], rec["month"], rec["submitted_by"], rec["source"]) == (
        "MOE", "2026-11", "moe.person@example.go.jp", "moe-nov.zip")
    assert got.folder is None and not any((store / rollup_store.INBOX).iterdir())
    assert rollup_store.current(rollup_store.submissions(store))[("2026-11", "MOE")] == rec
    acc = [e for e in events(env) if e["event"] == "accepted"]
    assert len(acc) == 1 and acc[0]["dataset"] == "MOE" and acc[0]["detail"]["month"] == \
        "2026-11"
    # the roll-up file is rebuilt in its own process
    import time

    for _ in range(120):
        if out.exists():
            break
        time.sleep(0.5)
    with duckdb.connect(str(out), read_only=True) as con:
        assert con.sql("SELECT month FROM rollup_months ORDER BY 1").fetchall() == [
            ("2026-10",), ("2026-11",)]


def test_a_submitter_of_another_organisation_is_refused_server_side(world, env, tmp_path):
    store = Path(shutil.copytree(world["store"], tmp_path / "store"))
    before = (store / "submissions.jsonl").read_bytes()
    p = principal(XYZ)
    got = inbox.receive(p, "moe-nov.zip", zipped(world["nov"]), store)
    assert got.refused and not got.ok and got.folder is None
    with pytest.raises(rollup_store.Rejected):
        inbox.accept(p, got, store, tmp_path / "r.duckdb")
    # even a valid upload taken over from a MOE session: the check is at the accept itself
    mine = inbox.receive(principal(MOE), "moe-nov.zip", zipped(world["nov"]), store)
    with pytest.raises(access.AccessDenied):
        inbox.accept(p, mine, store, tmp_path / "r.duckdb")
    assert (store / "submissions.jsonl").read_bytes() == before
    rejected = [e for e in events(env) if e["event"] == "rejected"]
    assert len(rejected) == 2 and {e["user"] for e in rejected} == {"xyz.person@example.go.jp"}
    assert all(e["dataset"] == "MOE" for e in rejected)


def test_bad_uploads_are_reported_in_the_clis_words(world, env, tmp_path, capsys):
    store = Path(shutil.copytree(world["store"], tmp_path / "store"))
    p = principal(MOE)
    # tampered: the same line as `rollup accept`, naming the upload instead of a folder
    bad = Path(shutil.copytree(world["nov"], tmp_path / "bad"))
    text = (bad / "kpi.csv").read_text(encoding="utf-8-sig")
    i = text.index("[c]")
    (bad / "kpi.csv").write_text(text[:i] + "3" + text[i + 3:], encoding="utf-8-sig")
    got = inbox.receive(p, "moe.zip", zipped(bad, None), store)
    assert not got.ok and any(x.startswith("moe.zip/kpi.csv: changed since it was published")
                              for x in got.problems), got.problems
    assert main(["rollup", "accept", str(bad), "--store", str(store)]) == 1
    cli = capsys.readouterr().err
    assert got.problems[0].replace("moe.zip", str(bad)) in cli
    # zip safety (the delivery flow's): a path leaving the folder, not a zip, a nested zip
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        z.writestr("../publication.json", "{}")
    got = inbox.receive(p, "evil.zip", buf.getvalue(), store)
    assert "a path leaving the folder" in got.problems[0]
    got = inbox.receive(p, "pack.xlsx", b"PK\x03\x04", store)
    assert "not a .zip file" in got.problems[0]
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        z.writestr("a/b/c/kpi.csv", "x")
    got = inbox.receive(p, "deep.zip", buf.getvalue(), store)
    assert got.problems and not got.ok
    assert not any((store / rollup_store.INBOX).iterdir())  # nothing left behind
    assert {e["event"] for e in events(env)} == {"submit", "rejected"}


# --- the page (AppTest) ------------------------------------------------------------------------

def test_the_inbox_page_for_a_submitter_and_not_for_a_reader(world, env):
    at = AppTest.from_file(APP, default_timeout=120)
    at.secrets.update(AUTH)
    at.user = {"is_logged_in": True, "sub": "moe-sub", "email": "moe.person@example.go.jp",
               "groups": ["moe-dtp"]}
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    assert at.title[0].value == "パックの提出"
    assert "環境省" in " ".join(c.value for c in at.caption)
    assert at.get("file_uploader")
    at = AppTest.from_file(APP, default_timeout=120)
    at.secrets.update(AUTH)
    at.user = {"is_logged_in": True, "sub": "r", "email": "r@example.go.jp",
               "groups": ["rollup-readers"]}
    at.run()
    assert not at.exception
    assert at.title[0].value != "パックの提出" and not at.get("file_uploader")
