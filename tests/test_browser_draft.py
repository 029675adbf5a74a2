"""A plan revision from draft to live, in Debian chromium with sign-in (oidc-provider-mock and
Streamlit's st.login, as tests/test_browser_signin.py): a planner opens 計画の改定案, makes
the revision start in FY2020 and raises the digital-hires minimum in the targets table, sees
FY2020 turn from 達成 to 未達, and proposes the draft as a data delivery; the live warehouse
is untouched until a second person (the admin, signed in) approves the delivery on the データ
更新 page (the proposer herself is refused: four eyes); after approval the plan review page
shows the revision.
A viewer does not get the page.

Data: the hand-made data set (tests/dataset.py; FY2020-21, as of 2021-07-01) without
plans.csv (the implicit plan ``plan``, digital hires 1-2), built by the CLI into a warehouse
with its delivery store (version 1 holds the raw set the delivery carries over)."""

from __future__ import annotations

import hashlib
import os
import re
import subprocess
import sys
import time
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
    serve,
    settle,
    stop,
)
from test_browser_signin import EXAMPLE, PEOPLE, _sign_in, provider  # noqa: F401

pytestmark = MARKS

ROOT = Path(__file__).resolve().parent.parent
TITLE = "デジタル人材計画(令和3年度改定)"


def _sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


@pytest.fixture(scope="module")
def live(provider, tmp_path_factory) -> Iterator[dict]:  # noqa: F811
    tmp = tmp_path_factory.mktemp("draft_browser")
    raw = dataset.write(dataset.base(), tmp / "raw")
    wh, store = tmp / "warehouse.duckdb", tmp / "store"
    env = {**os.environ, "DTP_WAREHOUSE": str(wh), "DTP_DELIVERIES": str(store)}
    r = subprocess.run([sys.executable, "-m", "pipelines", "build", "--raw", str(raw),
                        "--warehouse", str(wh)], cwd=ROOT, env=env, capture_output=True,
                       text=True, timeout=300)
    assert r.returncode == 0 and "Recorded as version 1" in r.stdout, r.stdout + r.stderr
    port = free_port()
    secrets = auth_secrets(tmp / "secrets.toml", port, provider)
    access = tmp / "access.toml"
    access.write_text(EXAMPLE.read_text(encoding="utf-8"), encoding="utf-8")
    audit_log = tmp / "audit.jsonl"
    proc, url = serve(wh, port, ("--secrets.files", str(secrets)),
                      {"DTP_ACCESS_FILE": str(access), "DTP_AUDIT_LOG": str(audit_log),
                       "DTP_EDITION": "internal", "DTP_DELIVERIES": str(store),
                       "DTP_DRAFTS": str(tmp / "drafts")})
    try:
        yield {"url": url, "wh": wh, "store": store, "audit": audit_log, "tmp": tmp}
    finally:
        stop(proc)


def _edit_cell(page, key: str, row: int, column: int, text: str) -> None:  # noqa: ANN001
    """Type ``text`` into a cell of a st.data_editor (a canvas grid): click its first data
    cell, move with the arrow keys, type, Enter."""
    grid = page.locator(f"[class*='st-key-{key}']").first
    grid.scroll_into_view_if_needed()
    page.wait_for_timeout(300)
    box = grid.bounding_box()  # (viewport coordinates, as the mouse takes them)
    page.mouse.click(box["x"] + 60, box["y"] + 52)  # row 0, first column (below the header)
    page.wait_for_timeout(500)  # the grid takes the keyboard focus
    for _ in range(row):
        page.keyboard.press("ArrowDown")
    for _ in range(column):
        page.keyboard.press("ArrowRight")
    page.keyboard.type(text)
    page.wait_for_timeout(300)
    page.keyboard.press("Enter")
    idle(page)


def test_viewer_gets_no_draft_page(browser, live):
    ctx, page = _sign_in(browser, live["url"], "viewer")
    try:
        assert "計画の改定案" not in nav_titles(page)
        page.goto(live["url"] + "/draft")
        idle(page)
        assert page.get_by_text("改定する計画").count() == 0
    finally:
        ctx.close()


def test_draft_proposed_approved_and_reviewed(browser, live):
    from pipelines.delivery import flow, store

    url, wh = live["url"], live["wh"]
    before = _sha(wh)
    ctx, page = _sign_in(browser, url, "planner")
    try:
        assert "計画の改定案" in nav_titles(page)
        page.goto(url + "/draft")
        settle(page)
        # the revision starts in FY2020 (adopted 2021-07-01, the data's as-of date)
        fy = page.locator(".st-key-draft_fy_from input")
        fy.fill("2020")
        fy.press("Enter")
        idle(page)
        title = page.locator(".st-key-draft_title_ja input")
        title.fill(TITLE)
        title.press("Enter")
        idle(page)
        # digital hires (row 0): minimum 1 -> 2 (column 4)
        flip = page.get_by_text("デジタル人材候補の採用数・令和2年度 (2020)・省全体: "
                                "✔ 達成 → ▼ 未達")
        for attempt in range(3):  # a click on a canvas grid can land before it is drawn
            _edit_cell(page, "draft_targets", 0, 4, "2")
            try:
                flip.wait_for(timeout=10_000)
                break
            except Exception:
                page.screenshot(path=str(ARTIFACTS / f"draft_revision_try{attempt}.png"),
                                full_page=True)
                page.keyboard.press("Escape")
        flip.wait_for(timeout=20_000)
        assert "うち1件は判定が変わります" in page.locator(
            "[data-testid='stAlert']").first.inner_text()
        page.screenshot(path=str(ARTIFACTS / "draft_revision.png"), full_page=True)
        # propose it as a data delivery
        page.locator(".st-key-draft_note input").fill("目標の引き上げ案")
        page.get_by_role("button", name="データ更新として提案").click()
        done = page.get_by_text(re.compile(r"データ更新 \S+ として提案しました"))
        done.wait_for(timeout=60_000)
        delivery = re.search(r"データ更新 (\S+) として", done.inner_text()).group(1)
        assert _sha(wh) == before  # nothing live changes before approval

        st = store.Store(live["store"], wh)
        deadline = time.monotonic() + 180
        while (d := flow.get(st, delivery)).state == "validating":
            assert time.monotonic() < deadline, "the delivery was not validated in time"
            time.sleep(1)
        assert d.state == "valid", (d.state, flow.report_of(st, delivery))
        assert {f["file"] for f in d.files if f["uploaded"]} == {"plans.csv",
                                                                "plan_targets.csv"}
        assert d.by == PEOPLE["planner"]["email"] and d.note == "目標の引き上げ案"
        # four eyes: not the proposer; a second person approves
        with pytest.raises(flow.Refused):
            flow.approve(st, delivery, PEOPLE["planner"]["email"], roles=("planner",))
        assert _sha(wh) == before
        # a second person (the admin) approves it on the データ更新 page
        actx, admin = _sign_in(browser, url, "admin")
        try:
            admin.goto(url + "/deliveries")
            settle(admin)
            admin.locator(f".st-key-dlv_approve_{delivery} button").first.click()
            admin.get_by_text(re.compile(f"データ更新 {delivery} を承認し")).wait_for(
                timeout=60_000)
        finally:
            actx.close()
        assert flow.get(st, delivery).approved_by == PEOPLE["admin"]["email"]
        assert _sha(wh) != before

        # the plan review page shows the revision (the app reads the new run at once)
        page.goto(url + "/review")
        settle(page)
        page.get_by_text(TITLE).first.wait_for(timeout=30_000)
        assert "2021年7月1日" in page.locator('[data-testid="stMain"]').inner_text()
        page.screenshot(path=str(ARTIFACTS / "draft_revision_review.png"), full_page=True)
    finally:
        ctx.close()
