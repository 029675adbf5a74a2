"""The roll-up's submissions inbox in a real browser (issue 24 item 4): Debian chromium through
Playwright against a live ``streamlit run`` with DTP_EDITION=rollup, signed in through a real
OIDC provider (``oidc-provider-mock`` on a loopback port, as test_browser_signin.py). MOE's
submitter uploads MOE's November pack through the file chooser, sees the changes against
October and accepts it into the store; XYZ's submitter uploading the same pack is refused (by
the server: nothing reaches the store)."""

from __future__ import annotations

import json
import shutil
import zipfile
from collections.abc import Iterator
from pathlib import Path

import pytest
from browser_support import (
    ARTIFACTS,
    MARKS,
    auth_secrets,
    free_port,
    oidc_provider,
    serve,
    sign_in,
    stop,
)
from packs import move_as_of

from pipelines.__main__ import main
from pipelines.sample import generate
from pipelines.warehouse import build
from release import publication, rollup_store
from release.organisation import resolve

pytestmark = MARKS

PEOPLE = {
    "moe": {"sub": "u-moe", "email": "moe.person@example.go.jp", "groups": ["moe-dtp"]},
    "xyz": {"sub": "u-xyz", "email": "xyz.person@example.go.jp", "groups": []},
}
ACCESS = """
contact = "dtp-rollup@example.go.jp"
submitter = ["MOE:group:moe-dtp", "XYZ:xyz.person@example.go.jp"]
"""


@pytest.fixture(scope="module")
def provider(tmp_path_factory) -> Iterator[str]:
    with oidc_provider(tmp_path_factory.mktemp("oidc-inbox"), PEOPLE) as url:
        yield url


def _moved(pack: Path, to: Path, as_of: str) -> Path:
    """A copy of ``pack`` as of ``as_of``, in every file that records it (one story)."""
    return move_as_of(Path(shutil.copytree(pack, to)), as_of)


@pytest.fixture(scope="module")
def inbox_app(provider, rollup_packs, tmp_path_factory) -> Iterator[dict]:
    """The store (October: MOE and XYZ), the roll-up file made from it, MOE's November pack
    zipped, and the roll-up edition served with sign-in."""
    root = tmp_path_factory.mktemp("inbox-browser")
    store = root / "store"
    for pack in rollup_packs:
        code = pack.name.removeprefix("pack-")
        assert main(["rollup", "accept", str(_moved(pack, root / f"{code}-oct", "2026-10-31")),
                     "--store", str(store)]) == 0
    out = root / "rollup.duckdb"
    assert main(["rollup", "--store", str(store), "--out", str(out)]) == 0
    raw = root / "raw-MOE-nov"
    generate(raw, staff=150, seed=23, organisation="MOE")
    wh = root / "MOE-nov.duckdb"
    build(raw, wh)
    nov = publication.write_pack(wh, root / "MOE-nov", 5, resolve("MOE", None, None, raw)
                                 ).out_dir
    zip_path = root / "moe-2026-11.zip"
    with zipfile.ZipFile(zip_path, "w", zipfile.ZIP_DEFLATED) as z:
        for p in sorted(nov.iterdir()):
            z.write(p, f"MOE-nov/{p.name}")
    port = free_port()
    secrets = auth_secrets(root / "secrets.toml", port, provider)
    access = root / "access.toml"
    access.write_text(ACCESS, encoding="utf-8")
    audit_log = root / "audit.jsonl"
    proc, url = serve(out, port, ("--secrets.files", str(secrets)),
                      {"DTP_ACCESS_FILE": str(access), "DTP_AUDIT_LOG": str(audit_log),
                       "DTP_EDITION": "rollup", "DTP_ROLLUP_STORE": str(store)})
    try:
        yield {"url": url, "store": store, "zip": zip_path, "audit": audit_log, "out": out}
    finally:
        stop(proc)


def _sign_in(browser, url: str, who: str):  # noqa: ANN001, ANN202
    return sign_in(browser, url, PEOPLE[who]["sub"],
                   lambda page: page.get_by_role("heading", name="パックの提出"))


def _upload(page, path: Path) -> None:  # noqa: ANN001
    """Through the file chooser, as a person does (the uploader's button)."""
    with page.expect_file_chooser(timeout=30_000) as chooser:
        page.locator('[data-testid="stFileUploaderDropzone"] button').first.click()
    chooser.value.set_files(str(path))


def _shot(page, name: str) -> None:  # noqa: ANN001
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"rollup-inbox-{name}.png"), full_page=True)


def _events(path: Path) -> list[dict]:
    return [json.loads(x) for x in path.read_text(encoding="utf-8").splitlines()] \
        if path.exists() else []


def test_a_submitter_uploads_sees_the_changes_and_accepts(inbox_app, browser):
    ctx, page = _sign_in(browser, inbox_app["url"], "moe")
    try:
        _upload(page, inbox_app["zip"])
        page.get_by_role("heading", name="前月との違い").wait_for(timeout=60_000)
        page.get_by_text("2026年10月分のパックとの比較").wait_for(timeout=30_000)
        summary = page.get_by_text("新たに秘匿", exact=False).first.inner_text()
        assert summary.startswith("状況の変化") and "件" in summary, summary
        grid = page.locator("[data-testid='stDataFrame']").first  # the changes' table
        grid.wait_for(timeout=30_000)
        _shot(page, "changes")
        page.get_by_role("button", name="受け付ける").click()
        page.get_by_text("2026年11月分を受け付けました").wait_for(timeout=60_000)
        _shot(page, "accepted")
    finally:
        ctx.close()
    cur = rollup_store.current(rollup_store.submissions(inbox_app["store"]))
    rec = cur[("2026-11", "MOE")]
    assert rec["submitted_by"] == PEOPLE["moe"]["email"] and rec["source"] == "moe-2026-11.zip"
    events = [e["event"] for e in _events(inbox_app["audit"])
              if e["event"] in ("submit", "accepted", "rejected")]
    assert events == ["submit", "accepted"]


def test_a_submitter_of_another_organisation_is_refused(inbox_app, browser):
    before = (inbox_app["store"] / "submissions.jsonl").read_bytes()
    ctx, page = _sign_in(browser, inbox_app["url"], "xyz")
    try:
        _upload(page, inbox_app["zip"])
        page.get_by_text("あなたが提出できるのは").wait_for(timeout=60_000)
        assert page.get_by_role("button", name="受け付ける").count() == 0
        _shot(page, "refused")
    finally:
        ctx.close()
    assert (inbox_app["store"] / "submissions.jsonl").read_bytes() == before
    refused = [e for e in _events(inbox_app["audit"])
               if e["event"] == "rejected" and e["user"] == PEOPLE["xyz"]["email"]]
    assert refused and refused[-1]["dataset"] == "MOE"

