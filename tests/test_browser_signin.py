"""Sign-in with a real OIDC provider (``oidc-provider-mock``, started here on a loopback port)
and Streamlit's native ``st.login``, in Debian chromium: each role of the example access file
and an unlisted person sign in; what each sees, which datasets each can download, the URL
bypass, and the audit lines it leaves."""

from __future__ import annotations

import io
import json
import time
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import unquote

import duckdb
import polars as pl
import pytest
from browser_support import (
    ARTIFACTS,
    MARKS,
    auth_secrets,
    free_port,
    idle,
    nav_locator,
    nav_titles,
    oidc_provider,
    serve,
    sign_in,
    stop,
)

pytestmark = MARKS

ROOT = Path(__file__).resolve().parent.parent
EXAMPLE = ROOT / "config" / "access.example.toml"
PEOPLE = {
    "viewer": {"sub": "u-viewer", "email": "kenji.ito@example.go.jp",
               "groups": ["dtp-all-staff"]},
    "planner": {"sub": "u-planner", "email": "Hanako.Sato@example.go.jp",
                "groups": ["dtp-all-staff"]},
    "analyst": {"sub": "u-analyst", "email": "yui.kato@example.go.jp",
                "groups": ["dtp-all-staff", "dtp-analysts"]},
    "admin": {"sub": "u-admin", "email": "taro.suzuki@example.go.jp", "groups": []},
    "stranger": {"sub": "u-stranger", "email": "someone@example.com", "groups": ["other"]},
}


@pytest.fixture(scope="module")
def provider(tmp_path_factory) -> Iterator[str]:
    """oidc-provider-mock on a free loopback port, with the test people as predefined users."""
    with oidc_provider(tmp_path_factory.mktemp("oidc"), PEOPLE) as url:
        yield url


@pytest.fixture(scope="module")
def signed_app(provider, tiny_warehouse, tmp_path_factory) -> Iterator[tuple[str, Path]]:
    """The dashboard with [auth] pointing at the provider, the example access file, and its
    own audit log; yields (url, audit log)."""
    tmp = tmp_path_factory.mktemp("signed")
    port = free_port()
    secrets = auth_secrets(tmp / "secrets.toml", port, provider)
    access = tmp / "access.toml"
    access.write_text(EXAMPLE.read_text(encoding="utf-8"), encoding="utf-8")
    audit_log = tmp / "audit.jsonl"
    proc, url = serve(tiny_warehouse, port, ("--secrets.files", str(secrets)),
                      {"DTP_ACCESS_FILE": str(access), "DTP_AUDIT_LOG": str(audit_log),
                       "DTP_EDITION": "internal"})
    try:
        yield url, audit_log
    finally:
        stop(proc)


def _sign_in(browser, url: str, who: str):  # noqa: ANN001, ANN202
    """A new browser context, signed in as ``who`` through the provider's form."""
    return sign_in(browser, url, PEOPLE[who]["sub"], _title_or_nav, accept_downloads=True)


def _title_or_nav(page):  # noqa: ANN001, ANN202
    return page.get_by_text("総務省デジタル人材確保・育成計画").or_(nav_locator(page)).first


def _options(page) -> list[str]:  # noqa: ANN001
    page.locator(".st-key-data_dataset input[role='combobox']").click()
    page.get_by_role("option").first.wait_for(timeout=10_000)
    texts = page.get_by_role("option").all_inner_texts()
    page.keyboard.press("Escape")
    return [t.split(" — ")[-1].split(" ")[0] for t in texts]


def _download(page, kind: str) -> tuple[str, bytes]:  # noqa: ANN001
    with page.expect_download(timeout=60_000) as info:
        page.locator(f".st-key-data_dl_{kind} button").click()
    return info.value.suggested_filename, Path(info.value.path()).read_bytes()


def _lines(path: Path) -> list[dict]:
    return [json.loads(x) for x in path.read_text(encoding="utf-8").splitlines()] \
        if path.exists() else []


def _shot(page, name: str) -> None:  # noqa: ANN001
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"signin-{name}.png"), full_page=True)


ROW_LEVEL = {"stg_roster", "stg_hiring", "stg_training", "stg_certification",
             "stg_phishing_drills"}

SEES = {  # the navigation each role gets (Japanese page titles)
    "viewer": {"概要", "データ", "定義", "データ品質"},
    "planner": {"概要", "データ", "定義", "データ品質"},
    "analyst": {"概要", "データ", "定義", "データ品質"},
    "admin": {"概要", "データ", "定義", "データ品質", "監査ログ"},
}


@pytest.mark.parametrize("role", ["viewer", "planner", "analyst", "admin"])
def test_each_role_signs_in_and_gets_its_row(role, browser, signed_app, tiny_warehouse):
    url, audit_log = signed_app
    before = len(_lines(audit_log))
    ctx, page = _sign_in(browser, url, role)
    try:
        nav = nav_titles(page)
        assert SEES[role] <= nav, nav
        assert ("監査ログ" in nav) == (role == "admin")
        assert PEOPLE[role]["email"] in page.locator('[data-testid="stSidebar"]').inner_text()
        # the URL bypass: ask for the roster by URL
        page.goto(f"{url}/data?dataset=stg_roster")
        page.locator('[data-testid="stMetricValue"]').first.wait_for(timeout=60_000)
        idle(page)
        options = set(_options(page))
        box = page.locator(".st-key-data_dataset")
        chosen = box.inner_text() + " " + (box.locator("input").get_attribute("value") or "")
        chosen += " " + (box.locator("input").get_attribute("aria-label") or "")
        if role in ("viewer", "planner"):
            assert not options & ROW_LEVEL, options
            assert "stg_roster" not in chosen and "kpi" in chosen
            assert "stg_roster" in page.locator('[data-testid="stAlert"]').first.inner_text()
            name, data = _download(page, "csv")
            assert data.startswith(b"\xef\xbb\xbf")
            frame = pl.read_csv(io.BytesIO(data[3:]), infer_schema=False)
            assert "metric" in frame.columns and "employee_id" not in frame.columns
            if role == "viewer":
                assert page.locator(".st-key-data_pub").count() == 0  # no switch to turn off
        else:
            assert options >= ROW_LEVEL
            assert "stg_roster" in chosen
            name, data = _download(page, "csv")
            with duckdb.connect(str(tiny_warehouse), read_only=True) as con:
                n = con.sql("SELECT count(*) FROM stg_roster").fetchall()[0][0]
            frame = pl.read_csv(io.BytesIO(data[3:]), infer_schema=False)
            assert frame.height == n and "employee_id" in frame.columns
        if role == "admin":
            page.goto(f"{url}/audit")
            page.locator('[data-testid="stDataFrame"]').first.wait_for(timeout=60_000)
            idle(page)
            assert page.locator(".st-key-audit_dl button").count() == 1
        _shot(page, role)
    except Exception:
        _shot(page, f"{role}-failure")
        raise
    finally:
        ctx.close()
    time.sleep(0.5)
    mine = [x for x in _lines(audit_log)[before:] if x["user"] == PEOPLE[role]["email"]]
    events = [x["event"] for x in mine]
    assert events.count("sign_in") == 1 and "view" in events  # one sign-in, several pages
    (dl,) = [x for x in mine if x["event"] == "download"]
    assert dl["rows"] == frame.height and dl["format"] == "csv"
    assert dl["publication"] is (role == "viewer")
    assert dl["dataset"] == ("stg_roster" if role in ("analyst", "admin") else "kpi")
    assert dl["roles"][-1] == role
    if role in ("viewer", "planner"):
        assert any(x["event"] == "denied" and x["dataset"] == "stg_roster" for x in mine)


def test_unlisted_person_is_denied_and_names_the_contact(browser, signed_app):
    url, audit_log = signed_app
    ctx, page = _sign_in(browser, url, "stranger")
    try:
        body = page.locator('[data-testid="stMain"]')
        body.get_by_text("dx-jinzai@example.go.jp").wait_for(timeout=30_000)
        assert page.locator('[data-testid="stSidebarNav"]').count() == 0
        assert page.locator('[data-testid="stMetricValue"]').count() == 0
        for path in ("/data?dataset=stg_roster", "/audit", "/quality"):
            page.goto(url + path)
            body.get_by_text("dx-jinzai@example.go.jp").wait_for(timeout=30_000)
            idle(page)
            assert page.locator('[data-testid="stDataFrame"]').count() == 0
            assert page.locator('[data-testid="stDownloadButton"]').count() == 0
            assert "stg_roster" not in unquote(page.locator("body").inner_text())
        _shot(page, "stranger")
    finally:
        ctx.close()
    mine = [x for x in _lines(audit_log) if x["user"] == PEOPLE["stranger"]["email"]]
    assert mine and {x["event"] for x in mine} == {"denied"}


def test_nobody_reaches_a_figure_before_signing_in(browser, signed_app):
    url, _ = signed_app
    ctx = browser.new_context(locale="ja-JP")
    page = ctx.new_page()
    try:
        for path in ("/", "/data?dataset=stg_roster", "/quality", "/audit"):
            page.goto(url + path)
            page.get_by_role("button", name="サインイン").wait_for(timeout=30_000)
            idle(page)
            assert page.locator('[data-testid="stMetricValue"]').count() == 0
            assert page.locator('[data-testid="stDataFrame"]').count() == 0
            assert page.locator('[data-testid="stPlotlyChart"]').count() == 0
            assert page.locator('[data-testid="stSidebarNav"]').count() == 0
    finally:
        ctx.close()
