"""What the real-browser tests share: a live ``streamlit run`` of the dashboard on a given
warehouse, and Debian chromium launched through Playwright (the ``browser`` fixture in
``conftest.py``); for the signed-in ones, a real OIDC provider (``oidc-provider-mock``), the
app's ``[auth]`` secrets pointing at it, and a sign-in through its form."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
CHROMIUM = Path("/usr/bin/chromium")
ARTIFACTS = ROOT / "test-artifacts"
ARGS = ["--headless=new", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
        "--disable-component-update", "--disable-sync", "--no-first-run"]

# every browser test module: ``pytestmark = MARKS``
MARKS = [
    pytest.mark.browser,
    pytest.mark.skipif(not CHROMIUM.exists(), reason="needs Debian chromium at /usr/bin/chromium"),
]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def serve(warehouse: Path, port: int | None = None, args: tuple[str, ...] = (),
          env_extra: dict[str, str] | None = None) -> tuple[subprocess.Popen, str]:
    """Start ``streamlit run dashboard/app.py`` on ``warehouse`` on a free port (or ``port``,
    with extra command-line ``args`` and environment); return the process and its URL once
    ``/_stcore/health`` answers. The server's output goes to ``streamlit-<port>.log`` beside
    the warehouse (and into the error if it does not start)."""
    port = port or free_port()
    env = {**os.environ, "DTP_WAREHOUSE": str(warehouse), **(env_extra or {})}
    log = warehouse.parent / f"streamlit-{port}.log"
    with open(log, "w") as out:
        proc = subprocess.Popen(
            [sys.executable, "-m", "streamlit", "run", "dashboard/app.py",
             "--server.address", "127.0.0.1", "--server.port", str(port),
             "--server.headless", "true", "--browser.gatherUsageStats", "false",
             "--server.fileWatcherType", "none", *args],
            cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    wait_http(url + "/_stcore/health", proc, log)
    return proc, url


def wait_http(url: str, proc: subprocess.Popen, log: Path) -> None:
    """Wait (at most 60 s) until ``url`` answers 200; if ``proc`` ends first or the time runs
    out, stop it and raise with its ``log``."""
    deadline = time.monotonic() + 60
    while True:
        try:
            with urllib.request.urlopen(url, timeout=2) as r:
                if r.status == 200:
                    return
        except OSError:
            pass
        if proc.poll() is not None or time.monotonic() > deadline:
            stop(proc)
            raise RuntimeError(f"{url} did not answer: " + log.read_text())
        time.sleep(0.3)


def stop(proc: subprocess.Popen) -> None:
    proc.terminate()
    try:
        proc.wait(timeout=10)
    except subprocess.TimeoutExpired:
        proc.kill()


@contextmanager
def streamlit_app(warehouse: Path, **extra_env: str) -> Iterator[str]:
    """The URL of a live app on ``warehouse``, stopped on exit."""
    proc, url = serve(warehouse, env_extra=extra_env)
    try:
        yield url
    finally:
        stop(proc)


@contextmanager
def chromium() -> Iterator[object]:
    """Debian chromium, headless, through Playwright."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=str(CHROMIUM), args=ARGS)
        try:
            yield b
        finally:
            b.close()


# Streamlit's run is over, and no widget or chart still shows the placeholder it draws while
# its code loads in the browser (``stSkeleton``: under load a multiselect's chips came ~1 s
# after the run ended, and a test that read the page then missed them)
_SETTLED = ("() => !document.querySelector("
            "'[data-testid=\"stStatusWidget\"], [data-testid=\"stSkeleton\"]')")


def idle(page: object, timeout: int = 60_000) -> None:
    """Wait until Streamlit's run is over and every element is drawn in full (checked twice:
    a rerun can start right after the first one ends)."""
    page.wait_for_function(_SETTLED, timeout=timeout)
    page.wait_for_timeout(400)
    page.wait_for_function(_SETTLED, timeout=timeout)


def settle(page: object, timeout: int = 60_000) -> None:
    """Wait until Streamlit has drawn the page's title, then until it is ``idle``."""
    page.wait_for_selector('[data-testid="stMain"] h1', timeout=timeout)
    idle(page, timeout)


@contextmanager
def oidc_provider(tmp: Path, people: dict[str, dict]) -> Iterator[str]:
    """``oidc-provider-mock`` on a free loopback port (working in ``tmp``, its log there), with
    ``people``'s claims as its predefined users; yields its URL, stopped on exit."""
    port = free_port()
    args = [sys.executable, "-m", "oidc_provider_mock", "--host", "127.0.0.1", "--port",
            str(port)]
    for claims in people.values():
        args += ["--user-claims", json.dumps(claims)]
    log = tmp / "provider.log"
    with open(log, "w") as out:
        proc = subprocess.Popen(args, stdout=out, stderr=subprocess.STDOUT, cwd=tmp)
    url = f"http://127.0.0.1:{port}"
    wait_http(url + "/.well-known/openid-configuration", proc, log)
    try:
        yield url
    finally:
        stop(proc)


def auth_secrets(path: Path, port: int, provider: str) -> Path:
    """Write a ``secrets.toml`` whose ``[auth]`` signs in through ``provider`` for an app
    served on ``port``; return ``path`` (for ``--secrets.files``)."""
    path.write_text(
        "[auth]\n"
        f'redirect_uri = "http://127.0.0.1:{port}/oauth2callback"\n'
        f'cookie_secret = "{os.urandom(16).hex()}"\n'
        'client_id = "dtp-dashboard"\n'
        'client_secret = "test-secret"\n'
        f'server_metadata_url = "{provider}/.well-known/openid-configuration"\n',
        encoding="utf-8")
    return path


def sign_in(browser: object, url: str, sub: str,
            ready: Callable[[object], object] | None = None, **context: object):
    """A new browser context (Japanese, 1400x1000, plus ``context``'s options), signed in at
    ``url`` as the provider's user ``sub`` through its form; waits for ``ready(page)`` (a
    locator; default: the sidebar's navigation), then ``idle``. Returns (context, page)."""
    ctx = browser.new_context(locale="ja-JP", viewport={"width": 1400, "height": 1000},
                              **context)
    page = ctx.new_page()
    page.goto(url)
    page.get_by_role("button", name="サインイン").click()
    page.wait_for_url(lambda u: "/oauth2/authorize" in u, timeout=30_000)
    # the provider's form: type the subject (its predefined users carry the claims)
    page.locator('input[name="sub"]').fill(sub)
    page.locator('input[name="sub"]').press("Enter")
    page.wait_for_url(lambda u: u.startswith(url) and "oauth2callback" not in u,
                      timeout=30_000)
    (ready or nav_locator)(page).wait_for(timeout=60_000)
    idle(page)
    return ctx, page


def nav_locator(page: object) -> object:
    """The sidebar's navigation."""
    return page.locator('[data-testid="stSidebarNav"]')


def nav_titles(page: object) -> set[str]:
    """The sidebar navigation's page titles (each link's text after its icon's name)."""
    links = page.locator('[data-testid="stSidebarNav"] a').all_inner_texts()
    return {t.strip().splitlines()[-1].strip() for t in links}
