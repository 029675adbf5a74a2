"""Data deliveries in a real browser (issue 22), two signed-in people through the OIDC mock:
A uploads through the real file chooser, A cannot approve, B sees the same changes and
approves, the pages show the new run, an admin restores the earlier version and the warehouse
is byte-identical to it; a viewer gets no page and no URL bypass."""

from __future__ import annotations

import copy
import hashlib
import os
import shutil
from collections.abc import Iterator
from pathlib import Path

import dataset
import pytest
from browser_support import (
    ARTIFACTS,
    MARKS,
    auth_secrets,
    free_port,
    idle,
    nav_titles,
    oidc_provider,
    serve,
    sign_in,
    stop,
)

pytestmark = MARKS

PEOPLE = {
    "a": {"sub": "u-a", "email": "a.steward@example.go.jp", "groups": ["staff"]},
    "b": {"sub": "u-b", "email": "b.steward@example.go.jp", "groups": ["staff", "stewards"]},
    "admin": {"sub": "u-admin", "email": "boss@example.go.jp", "groups": ["staff"]},
    "viewer": {"sub": "u-viewer", "email": "v@example.go.jp", "groups": ["staff"]},
}
ACCESS = """
contact = "help@example.go.jp"
viewer  = ["group:staff"]
admin   = ["boss@example.go.jp"]
steward = ["a.steward@example.go.jp", "group:stewards"]
"""


def _sha(p: Path) -> str:
    return hashlib.sha256(p.read_bytes()).hexdigest()


@pytest.fixture(scope="module")
def provider(tmp_path_factory) -> Iterator[str]:
    with oidc_provider(tmp_path_factory.mktemp("oidc-dlv"), PEOPLE) as url:
        yield url


@pytest.fixture(scope="module")
def served(provider, tiny_warehouse, tmp_path_factory) -> Iterator[tuple[str, Path, Path]]:
    """(url, warehouse, store): a copy of the tiny warehouse (version 1 recorded), the app
    signed in through the provider, stewards A and B, an admin, a viewer."""
    tmp = tmp_path_factory.mktemp("deliveries")
    wh = tmp / "warehouse.duckdb"
    shutil.copyfile(tiny_warehouse, wh)
    store = tmp / "store"
    env = {"DTP_DELIVERIES": str(store), "DTP_WAREHOUSE": str(wh)}
    old = {k: os.environ.get(k) for k in env}
    os.environ.update(env)
    try:
        from pipelines.delivery import versions
        from pipelines.delivery.store import Store
        from pipelines.warehouse import build_lock

        st = Store().open()
        with build_lock(st.live):
            versions.adopt_live(st)
    finally:
        for k, val in old.items():
            if val is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = val
    port = free_port()
    secrets = auth_secrets(tmp / "secrets.toml", port, provider)
    access = tmp / "access.toml"
    access.write_text(ACCESS, encoding="utf-8")
    proc, url = serve(wh, port, ("--secrets.files", str(secrets)),
                      {"DTP_ACCESS_FILE": str(access), "DTP_AUDIT_LOG": str(tmp / "audit.jsonl"),
                       "DTP_EDITION": "internal", "DTP_DELIVERIES": str(store)})
    try:
        yield url, wh, store
    finally:
        stop(proc)


def _sign_in(browser, url: str, who: str):  # noqa: ANN001, ANN202
    return sign_in(browser, url, PEOPLE[who]["sub"])


def _open_deliveries(page, url: str) -> None:  # noqa: ANN001
    page.goto(url + "/deliveries")
    page.get_by_role("heading", name="データを登録").wait_for(timeout=60_000)
    idle(page)


def _summary(page):  # noqa: ANN001, ANN202
    """The changes' summary line (an alert above the tables; the list's cell is a canvas)."""
    return page.locator('[data-testid="stAlert"]').filter(has_text="達成状況の変化 3件").first


def _shot(page, name: str) -> None:  # noqa: ANN001
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"deliveries-{name}.png"), full_page=True)


def _hiring_file(tmp: Path) -> Path:
    rows = [r for r in copy.deepcopy(dataset.base())["hiring"] if r["employee_id"] != "E5"]
    return dataset.write({"hiring": rows}, tmp) / "hiring.csv"


def _run_id(wh: Path) -> str:
    import duckdb

    with duckdb.connect(str(wh), read_only=True) as con:
        return con.sql("SELECT run_id FROM pipeline_runs ORDER BY started_at DESC "
                       "LIMIT 1").fetchall()[0][0]


def test_two_people_deliver_approve_and_an_admin_restores(browser, served, tmp_path):
    url, wh, store = served
    v1 = _sha(wh)
    old_run = _run_id(wh)
    # A uploads through the real file chooser
    ctx_a, a = _sign_in(browser, url, "a")
    ctx_b = ctx_admin = None
    try:
        assert "データ更新" in nav_titles(a)
        _open_deliveries(a, url)
        with a.expect_file_chooser() as chooser:
            a.locator('[data-testid="stFileUploaderDropzone"] button').first.click()
        chooser.value.set_files(str(_hiring_file(tmp_path)))
        a.get_by_text("hiring.csv").first.wait_for(timeout=30_000)
        a.locator(".st-key-dlv_note textarea").fill("12月分")
        a.get_by_role("button", name="登録して検証").click()
        a.get_by_text("を登録しました").wait_for(timeout=60_000)
        # the page polls the worker's state on disk until the validation is over
        _summary(a).wait_for(timeout=120_000)
        idle(a)
        approve_a = a.get_by_role("button", name="承認して公開")
        assert approve_a.count() == 1 and approve_a.is_disabled()  # A cannot approve
        _shot(a, "a-own")
        assert _sha(wh) == v1

        # B sees the same changes and approves
        ctx_b, b = _sign_in(browser, url, "b")
        _open_deliveries(b, url)
        _summary(b).wait_for(timeout=60_000)
        b.get_by_role("button", name="承認して公開").click()
        b.get_by_text("として公開しました").wait_for(timeout=60_000)
        idle(b)
        new_run = _run_id(wh)
        assert _sha(wh) != v1 and new_run != old_run
        # the pages show the new run at their next interaction (A's open session too)
        for page in (b, a):
            page.goto(url + "/")
            page.get_by_text(new_run).first.wait_for(timeout=60_000)
        _shot(b, "b-approved")

        # an admin restores version 1: byte-identical
        ctx_admin, adm = _sign_in(browser, url, "admin")
        _open_deliveries(adm, url)
        adm.locator(".st-key-dlv_restore_n input[role='combobox']").click()
        adm.keyboard.type("1")
        adm.keyboard.press("Enter")
        idle(adm)
        adm.locator(".st-key-dlv_restore_reason input").fill("12月分の採用ファイルに誤り")
        adm.locator(".st-key-dlv_restore_reason input").press("Enter")
        idle(adm)
        adm.locator(".st-key-dlv_restore button").click()
        adm.get_by_text("版 1 を復元しました").wait_for(timeout=60_000)
        _shot(adm, "admin-restored")
        assert _sha(wh) == v1
        adm.goto(url + "/")
        adm.get_by_text(old_run).first.wait_for(timeout=60_000)
    except Exception:
        _shot(a, "a-failure")
        if ctx_admin is not None:
            _shot(adm, "admin-failure")
        raise
    finally:
        for c in (ctx_a, ctx_b, ctx_admin):
            if c is not None:
                c.close()


def test_a_viewer_gets_no_page_and_no_url_bypass(browser, served):
    url, _, _ = served
    ctx, page = _sign_in(browser, url, "viewer")
    try:
        assert "データ更新" not in nav_titles(page)
        page.goto(url + "/deliveries")
        page.locator('[data-testid="stMain"]').wait_for(timeout=30_000)
        idle(page)
        assert page.locator('[data-testid="stFileUploader"]').count() == 0
        assert page.get_by_text("データを登録").count() == 0
        assert page.locator('[class*="st-key-dlv_"]').count() == 0
    finally:
        ctx.close()
